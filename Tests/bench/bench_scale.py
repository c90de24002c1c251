#!/usr/bin/env python3
"""Plan at scale against the emulator (issue 20; numbers, not pass/fail).

For each size POOLS x SIZE (default 5,000 x 100, 10,000 x 200 and
10,000 x 1,000, i.e. 0.5M, 2M and 10M memberships), seeds `poolctl emulator`
with the pools (owned by stack `bench`) and writes manifests with 1% of the
memberships changed (in every pool, max(1, SIZE/100) members replaced by
others), then runs `poolctl plan --format json` once and prints:

  wall time; the client's CPU (user + system, from getrusage of the child,
  i.e. poolctl alone, not the emulator) per membership in microseconds; its
  peak RSS per membership in bytes; and the API calls next to the minimum.

Usage: bench_scale.py BIN [POOLSxSIZE ...] [--export]
  e.g. bench_scale.py .build-release/release/poolctl 5000x100 10000x200
  --export also times `export --out DIR` of 5,000 unmanaged pools x 100.
Seeding is the emulator's (YAML): its time is printed too, not counted."""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_plan_apply import BIN, Emulator, calls_delta, env_for, report_calls, sid  # noqa: E402

DEFAULT_SIZES = ["5000x100", "10000x200", "10000x1000"]


# Starts poolctl from a fresh, small interpreter and reports its rusage. Linux
# counts the RSS a child had before exec in its peak, and a child forked from
# this process (grown by reading the plans it checks) started at up to 140 MiB.
LAUNCHER = r"""
import json, os, sys, time
start = time.monotonic()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    json.dump({"wall": time.monotonic() - start, "code": os.waitstatus_to_exitcode(status),
               "cpu": usage.ru_utime + usage.ru_stime, "maxrss": usage.ru_maxrss * 1024}, f)
"""


def run_child(args, env, stdout):
    """Runs poolctl alone and measures it: (wall s, cpu s, peak RSS bytes, exit code)."""
    # Dirty pages of the files just written would be flushed while poolctl runs.
    os.sync()
    with tempfile.NamedTemporaryFile("r", suffix=".json") as result:
        proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, result.name, *args], env=env, stdout=stdout,
                                stderr=subprocess.PIPE)
        err = proc.communicate()[1].decode(errors="replace")
        measured = json.load(result)
    return measured["wall"], measured["cpu"], measured["maxrss"], measured["code"], err


def inventory_for(size):
    return max(20_000, size * 20)


def pool_members(pool, size, inventory):
    start = (pool * 37) % inventory
    return [(start + k) % inventory for k in range(size)]


def write_files(work, pools, size):
    inventory = inventory_for(size)
    names = [sid(i) for i in range(inventory)]
    changed = max(1, size // 100)
    with open(f"{work}/seed.yaml", "w") as seed, open(f"{work}/m/pools.yaml", "w") as manifest:
        seed.write("senders:\n")
        for i in range(inventory):
            seed.write(f"  - {{id: {names[i]}, address: \"+1{i:010d}\", channel: SMS, status: ACTIVATED, displayName: null, tags: {{}}}}\n")
        seed.write("pools:\n")
        manifest.write("apiVersion: poolctl/v1\nstack: bench\npools:\n")
        for p in range(pools):
            key = f"p{p:05d}"
            ids = pool_members(p, size, inventory)
            seed.write(f"  - {{name: {key}, tags: {{poolctl: v1~bench~{key}}}, senders: [{', '.join(names[i] for i in ids)}]}}\n")
            # 1%: drop the first `changed` members, add `changed` others.
            extra = [(ids[-1] + 1 + k) % inventory for k in range(changed)]
            wanted = ids[changed:] + extra
            manifest.write(f"  {key}:\n    senders: [{', '.join(names[i] for i in wanted)}]\n")
    return changed


def bench_plan(spec, work):
    pools, size = (int(x) for x in spec.split("x"))
    memberships = pools * size
    os.makedirs(f"{work}/m", exist_ok=True)
    t0 = time.monotonic()
    changed = write_files(work, pools, size)
    t1 = time.monotonic()
    emu = Emulator(f"{work}/seed.yaml")
    t2 = time.monotonic()
    if not emu.url:
        print(f"\n== plan {pools:,} x {size:,}: the emulator did not start (seed of {os.path.getsize(f'{work}/seed.yaml') / 1e6:.0f} MB)")
        return
    try:
        before = emu.requests()
        with open(f"{work}/plan.json", "w") as out:
            wall, cpu, rss, code, err = run_child([BIN, "plan", f"{work}/m", "--format", "json"], env_for(emu.url), out)
        calls = calls_delta(before, emu.requests())
        print(f"\n== plan {pools:,} pools x {size:,} senders = {memberships:,} memberships, 1% changed (exit {code})")
        print(f"  (files written in {t1 - t0:.1f} s, emulator seeded in {t2 - t1:.1f} s)")
        if code not in (0, 2):
            print("  " + err.strip()[-600:])
        else:
            with open(f"{work}/plan.json") as f:
                summary = json.load(f)["summary"]
            print(f"  plan: +{summary['addSenders']:,} -{summary['removeSenders']:,} senders in {summary['update']:,} pools "
                  f"(expected +{pools * changed:,} -{pools * changed:,} in {pools:,})")
        print(f"  wall {wall:.2f} s | client CPU {cpu:.2f} s = {cpu / memberships * 1e6:.2f} us/membership | "
              f"peak RSS {rss / 2**20:.0f} MiB = {rss / memberships:.0f} B/membership")
        per_pool = -(-size // 1000)
        report_calls(calls, {"GET /v1/SenderPools": -(-pools // 1000), "GET /v1/SenderPools/{senderPoolId}/Senders": pools * per_pool})
        print(f"RESULT plan {spec} wall={wall:.2f} cpu={cpu:.2f} us_per_m={cpu / memberships * 1e6:.2f} "
              f"rss_mib={rss / 2**20:.0f} b_per_m={rss / memberships:.0f} calls={sum(calls.values())}")
    finally:
        emu.stop()


def bench_export(work):
    """Times export twice: into the work directory (a disk) and, where one
    exists, into a tmpfs. The disk run includes the filesystem's cost of
    creating 5,001 files, which on ext4 right after other runs deleted
    thousands varies from 0.2 to 3 s of kernel time (inode allocation); the
    tmpfs run is poolctl's own cost."""
    from bench_export import POOLS, SIZE, write_seed
    write_seed(f"{work}/export-seed.yaml")
    emu = Emulator(f"{work}/export-seed.yaml")
    targets = [("disk", work)]
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        targets.append(("tmpfs", "/dev/shm"))
    try:
        for label, parent in targets:
            out = tempfile.mkdtemp(prefix="poolctl-bench-export-", dir=parent)
            before = emu.requests()
            wall, cpu, rss, code, err = run_child([BIN, "export", "--stack", "bench", "--out", f"{out}/export"],
                                                  env_for(emu.url), subprocess.DEVNULL)
            subprocess.run(["rm", "-rf", out])
            calls = calls_delta(before, emu.requests())
            m = POOLS * SIZE
            print(f"\n== export --out DIR on {label} ({parent}): {POOLS:,} unmanaged pools x {SIZE} senders (exit {code})")
            print(f"  wall {wall:.2f} s | client CPU {cpu:.2f} s = {cpu / m * 1e6:.2f} us/membership | peak RSS {rss / 2**20:.0f} MiB")
            report_calls(calls, {"GET /v1/SenderPools": -(-POOLS // 1000), "GET /v1/SenderPools/{senderPoolId}/Senders": POOLS})
            print(f"RESULT export-{label} {POOLS}x{SIZE} wall={wall:.2f} cpu={cpu:.2f} rss_mib={rss / 2**20:.0f} calls={sum(calls.values())}")
    finally:
        emu.stop()


if __name__ == "__main__":
    args = sys.argv[2:]
    export = "--export" in args
    sizes = [a for a in args if a != "--export"] or ([] if export else DEFAULT_SIZES)
    work = tempfile.mkdtemp(prefix="poolctl-bench-scale-")
    started = time.monotonic()
    for spec in sizes:
        bench_plan(spec, work)
    if export:
        bench_export(work)
    subprocess.run(["rm", "-rf", work])
    print(f"\nbenchmarks took {time.monotonic() - started:.0f} s")
