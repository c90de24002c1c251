#!/usr/bin/env python3
"""Rate-aware apply benchmarks (numbers, not pass/fail). Each scenario prints
its calls next to the minimum and its wall time next to the rate-limit bound
(minimum calls / rate), and the share of 429s.

1. Create 1,000 pools x 100 senders at --rate-limit 25 --latency 50 --operation-delay 1000.
2. Create 100 pools x 20 senders at --rate-limit 5.
3. 100 pools x 50 senders at --latency 50 --operation-delay 1000, side by side
   with Tests/bench/baseline_sequential.py (one call at a time, 1 s polls).
4. One pool: remove 1,000 of its 2,000 senders at --latency 20.

Usage: bench_rate.py BIN [1 2 3 4]."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_plan_apply import BIN, Emulator, calls_delta, env_for, members, sid, timed, write_manifest, write_seed  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
WHICH = [a for a in sys.argv[2:]] or ["1", "2", "3", "4"]
# The stack lease: create, about one poll, the operationId lookup, a listing, the delete.
LEASE = 5


def status_counts(before, after):
    return {k: v - before["byStatus"].get(k, 0) for k, v in after["byStatus"].items() if v - before["byStatus"].get(k, 0)}


def run(work, name, seed_pools, manifest_pools, flags, inventory, minimum, rate=None, extra=()):
    write_seed(f"{work}/{name}-seed.yaml", inventory, seed_pools)
    os.makedirs(f"{work}/{name}", exist_ok=True)
    write_manifest(f"{work}/{name}/pools.yaml", manifest_pools)
    emu = Emulator(f"{work}/{name}-seed.yaml", *flags)
    try:
        before = emu.requests()
        wall, peak, code, out, err = timed(["apply", f"{work}/{name}", "--auto-approve", "--format", "json", *extra], env_for(emu.url))
        after = emu.requests()
        calls = calls_delta(before, after)
        statuses = status_counts(before, after)
        report = json.loads(out[out.index("{"):out.rindex("}") + 1])
        total = sum(calls.values())
        limited = statuses.get("429", 0)
        print(f"  exit {code}, {report['outcome']}; wall {wall:.2f} s, peak {peak:.1f} MiB")
        print(f"  calls {total:,} (minimum {minimum:,}; {total / max(1, len(manifest_pools)):.3f} per pool); 429s {limited} ({100 * limited / max(1, total):.1f}%)")
        if rate:
            bound = minimum / rate
            print(f"  rate-limit bound {bound:.1f} s (minimum calls / {rate} rps); wall / bound = {wall / bound:.2f}")
        print("  by endpoint: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())))
        return wall
    finally:
        emu.stop()


if __name__ == "__main__":
    work = tempfile.mkdtemp(prefix="poolctl-bench-rate-")
    inventory = 10_000
    if "1" in WHICH:
        print("\n== 1. create 1,000 pools x 100 senders, --rate-limit 25 --latency 50 --operation-delay 1000")
        pools = [(f"n{i:05d}", members(i, 100, inventory)) for i in range(1000)]
        # Minimum: the refresh listing, 1,000 creates, one poll round, the verification listing, the lease.
        run(work, "s1", [], pools, ["--rate-limit", "25", "--latency", "50", "--operation-delay", "1000"], inventory,
            1 + 1000 + 1 + 1 + LEASE, rate=25)
    if "2" in WHICH:
        print("\n== 2. create 100 pools x 20 senders, --rate-limit 5")
        pools = [(f"n{i:05d}", members(i, 20, inventory)) for i in range(100)]
        run(work, "s2", [], pools, ["--rate-limit", "5"], inventory, 1 + 100 + 1 + 1 + LEASE, rate=5)
    if "3" in WHICH:
        print("\n== 3. 100 pools x 50 senders, --latency 50 --operation-delay 1000: poolctl vs the sequential baseline")
        pools = [(f"n{i:05d}", members(i, 50, inventory)) for i in range(100)]
        flags = ["--latency", "50", "--operation-delay", "1000"]
        ours = run(work, "s3", [], pools, flags, inventory, 1 + 100 + 1 + 1 + LEASE)
        write_seed(f"{work}/s3b-seed.yaml", inventory, [])
        with open(f"{work}/s3b.json", "w") as f:
            json.dump({k: v for k, v in pools}, f)
        emu = Emulator(f"{work}/s3b-seed.yaml", *flags)
        try:
            started = time.monotonic()
            p = subprocess.run([sys.executable, os.path.join(HERE, "baseline_sequential.py"), emu.url, f"{work}/s3b.json"],
                               capture_output=True, text=True)
            theirs = time.monotonic() - started
            print("  " + p.stdout.strip())
            print(f"  poolctl {ours:.2f} s vs baseline {theirs:.1f} s: {theirs / ours:.1f}x faster")
        finally:
            emu.stop()
    if "4" in WHICH:
        print("\n== 4. one pool: remove 1,000 of 2,000 senders, --latency 20")
        full = [sid(i) for i in range(2000)]
        run(work, "s4", [("big", full)], [("big", full[:1000])], ["--latency", "20"], 4000,
            1 + 2 + 1000 + 1 + 1 + LEASE)
