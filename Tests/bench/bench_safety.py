#!/usr/bin/env python3
"""What the safety kernel (issue 19) costs, in API calls, and how apply fares
under faults. Prints a table; asserts nothing (the e2e tests do).

  1. plan with nothing to change (20 owned pools, 30 foreign);
  2. apply that creates 20 pools;
  3. apply that prunes 5 pools;
  4. apply that changes nothing but one tag;
  5. 10 sequential applies of a 20-pool stack (alternating two versions)
     under 10% 500/503 and 10% reset-after-write: exit codes, leases left.

Usage: bench_safety.py [path/to/poolctl] [--server-page-size N]
(N > 0 caps the emulator's pages, so listings have several pages; needs an
emulator with --behavior max-page-size)."""
import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
import test_cli  # noqa: E402
from test_cli import Emulator, inventory, sender_id  # noqa: E402

STACK = "bench"


def foreign_pools(n):
    return "pools:\n" + "".join(f"  - {{name: foreign-{i}, tags: {{team: other}}, senders: [{sender_id(500 + i)}]}}\n" for i in range(n))


def write(directory, keys, tag="a"):
    os.makedirs(directory, exist_ok=True)
    text = f"apiVersion: poolctl/v1\nstack: {STACK}\nprune: true\npools:\n"
    for i, key in enumerate(keys):
        text += f"  {key}:\n    name: {key}\n    tags: {{team: {tag}}}\n    senders: [{sender_id(3 * i)}, {sender_id(3 * i + 1)}]\n"
    with open(os.path.join(directory, "pools.yaml"), "w") as f:
        f.write(text)
    return directory


def calls(emu, fn):
    before = emu.requests()["byEndpoint"]
    p = fn()
    after = emu.requests()["byEndpoint"]
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    return p, {k: v for k, v in sorted(delta.items()) if v}


def show(label, p, delta):
    print(f"{label}: exit {p.returncode}, {sum(delta.values())} calls")
    for k, v in delta.items():
        print(f"    {v:5d}  {k}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?")
    parser.add_argument("--server-page-size", type=int, default=0)
    args = parser.parse_args()
    if args.binary:
        test_cli.BIN = os.path.abspath(args.binary)
    flags = ["--behavior", f"max-page-size={args.server_page_size}"] if args.server_page_size else []
    work = tempfile.mkdtemp(prefix="poolctl-bench-safety-")
    keys = [f"p{i:02d}" for i in range(20)]
    full = write(os.path.join(work, "full"), keys)
    emu = Emulator(inventory(600, foreign_pools(30)), "--operation-delay", "20", *flags)
    try:
        p, d = calls(emu, lambda: emu.run("apply", full, "--auto-approve"))
        show("apply creating 20 pools", p, d)
        p, d = calls(emu, lambda: emu.run("plan", full))
        show("plan, nothing to change", p, d)
        p, d = calls(emu, lambda: emu.run("apply", full, "--auto-approve"))
        show("apply, nothing to change", p, d)
        p, d = calls(emu, lambda: emu.run("apply", write(os.path.join(work, "tag"), keys, "b"), "--auto-approve"))
        show("apply patching 20 pools' tags", p, d)
        p, d = calls(emu, lambda: emu.run("apply", write(os.path.join(work, "cut"), keys[:15], "b"), "--auto-approve"))
        show("apply pruning 5 pools", p, d)
    finally:
        emu.stop()

    emu = Emulator(inventory(600, foreign_pools(30)), "--operation-delay", "20", "--error-rate", "0.1",
                   "--reset-after-write-rate", "0.1", "--random-seed", "19", *flags)
    try:
        versions = [write(os.path.join(work, "va"), keys, "a"), write(os.path.join(work, "vb"), keys, "b")]
        codes = []
        began = time.monotonic()
        for i in range(10):
            codes.append(emu.run("apply", versions[i % 2], "--auto-approve", "--lock-timeout", "3m").returncode)
        leases = [p["id"] for p in emu.state()["pools"] if "poolctl-lease" in p["tags"]]
        print(f"10 sequential applies under 10% 5xx + 10% resets: exit codes {codes}, "
              f"{len(leases)} leases left, {time.monotonic() - began:.1f} s")
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
