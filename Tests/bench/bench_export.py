#!/usr/bin/env python3
"""Benchmark of export against the emulator (numbers, not pass/fail):
5,000 unmanaged pools x 100 senders, `export --out DIR` and `export` to
stdout. Prints wall time and peak memory (GNU time -v), API calls next to the
minimum, and checks that the result validates.

Usage: bench_export.py BIN"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_plan_apply import BIN, Emulator, calls_delta, env_for, members, report_calls, sid  # noqa: E402

POOLS, SIZE, INVENTORY = 5000, 100, 40_000


def write_seed(path):
    with open(path, "w") as f:
        f.write("senders:\n")
        for i in range(INVENTORY):
            f.write(f"  - {{id: {sid(i)}, address: \"+1{i:010d}\", channel: SMS, status: ACTIVATED, displayName: null, tags: {{}}}}\n")
        f.write("pools:\n")
        for i in range(POOLS):
            f.write(f"  - {{name: \"Pool {i:05d} - imported\", tags: {{team: t{i % 7}, v: \"00{i % 10}\"}}, senders: [{', '.join(members(i, SIZE, INVENTORY))}]}}\n")


def gnu_time(args, env, stdout):
    """Runs poolctl under /usr/bin/time -v: (wall seconds, peak MiB, exit code)."""
    p = subprocess.run(["/usr/bin/time", "-v", BIN, *args], env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", p.stderr)
    seconds = int(wall.group(1) or 0) * 3600 + int(wall.group(2)) * 60 + float(wall.group(3))
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr).group(1)) / 1024
    return seconds, peak, p.returncode


if __name__ == "__main__":
    work = tempfile.mkdtemp(prefix="poolctl-bench-export-")
    write_seed(f"{work}/seed.yaml")
    emu = Emulator(f"{work}/seed.yaml")
    minimum = {"GET /v1/SenderPools": -(-POOLS // 1000), "GET /v1/SenderPools/{senderPoolId}/Senders": POOLS}
    try:
        env = env_for(emu.url)
        for label, args, out in [
            ("export --out DIR", ["export", "--stack", "bench", "--out", f"{work}/out"], subprocess.DEVNULL),
            ("export > FILE", ["export", "--stack", "bench"], open(f"{work}/all.yaml", "w")),
        ]:
            before = emu.requests()
            wall, peak, code = gnu_time(args, env, out)
            calls = calls_delta(before, emu.requests())
            print(f"\n== {label}: {POOLS:,} pools x {SIZE} senders (exit {code})")
            print(f"  wall time {wall:.2f} s, peak memory {peak:.1f} MiB")
            report_calls(calls, minimum)
        size = sum(os.path.getsize(os.path.join(f"{work}/out", n)) for n in os.listdir(f"{work}/out"))
        print(f"\n  {len(os.listdir(f'{work}/out')):,} files, {size / 1e6:.1f} MB; stdout {os.path.getsize(f'{work}/all.yaml') / 1e6:.1f} MB")
        v = subprocess.run([BIN, "validate", f"{work}/out"], capture_output=True, text=True)
        print(f"  validate: exit {v.returncode}: {v.stdout.strip() or v.stderr.strip()[:200]}")
    finally:
        emu.stop()
