#!/usr/bin/env python3
"""Writes a manifest set for the validate benchmark: POOLS pools with REFS
sender references each (aliases and ids mixed), split over 10 files."""
import os
import sys

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"


def sender_id(n: int) -> str:
    digits = []
    for _ in range(10):
        digits.append(CROCKFORD[n % 32])
        n //= 32
    return "comms_sender_0" + "1jd0000000000000" + "".join(reversed(digits))[1:]


def main() -> None:
    out = sys.argv[1]
    pools = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    refs = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    files = 10
    inventory = 20000
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(out):
        os.remove(os.path.join(out, name))
    with open(os.path.join(out, "00-senders.yaml"), "w") as f:
        f.write("apiVersion: poolctl/v1\nstack: bench\nsenders:\n")
        for a in range(1000):
            f.write(f"  s{a}: {sender_id(a)}\n")
    per_file = pools // files
    for i in range(files):
        with open(os.path.join(out, f"pools-{i:02}.yaml"), "w") as f:
            f.write("apiVersion: poolctl/v1\npools:\n")
            for p in range(i * per_file, (i + 1) * per_file):
                f.write(f"  pool-{p:05}:\n    name: Pool {p}\n    tags: {{team: t{p % 7}, region: r{p % 3}}}\n    senders:\n")
                start = (p * 37) % inventory
                for r in range(refs):
                    n = (start + r) % inventory
                    if n < 1000 and r % 2 == 0:
                        f.write(f"      - s{n}\n")
                    else:
                        f.write(f"      - {sender_id(n)}\n")
    print(f"wrote {pools} pools x {refs} references to {out}")


if __name__ == "__main__":
    main()
