#!/usr/bin/env python3
"""Benchmarks of plan and apply against the emulator (numbers, not pass/fail).

plan:  2,000 pools x 200 senders live, manifests with 5% of memberships changed.
apply: (a) 1,000 new pools x 100 senders; (b) a 5% membership change across
       2,000 pools x 100 senders; against --latency 5 --operation-delay 200.

Prints wall time, peak memory of poolctl, API calls by endpoint next to the
minimum, and polls per operation. Usage: bench_plan_apply.py BIN [plan|apply]..."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.path.abspath(sys.argv[1])
WHICH = sys.argv[2:] or ["plan", "apply"]
CROCK = "0123456789abcdefghjkmnpqrstvwxyz"


def sid(n):
    d = ""
    for _ in range(8):
        d = CROCK[n % 32] + d
        n //= 32
    return "comms_sender_01jd8a7k2m3n4p5q6r" + d


def members(pool, count, inventory):
    start = (pool * 37) % inventory
    return [sid((start + k) % inventory) for k in range(count)]


class Emulator:
    def __init__(self, seed, *flags):
        self.proc = subprocess.Popen([BIN, "emulator", "--port", "0", "--seed", seed, *flags],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.url = self.proc.stdout.readline().strip()

    def requests(self):
        with urllib.request.urlopen(self.url + "/_emulator/requests") as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def write_seed(path, inventory, pools):
    with open(path, "w") as f:
        f.write("senders:\n")
        for i in range(inventory):
            f.write(f"  - {{id: {sid(i)}, address: \"+1{i:010d}\", channel: SMS, status: ACTIVATED, displayName: null, tags: {{}}}}\n")
        f.write("pools:\n")
        for key, ids in pools:
            f.write(f"  - {{name: {key}, tags: {{poolctl: v1~bench~{key}}}, senders: [{', '.join(ids)}]}}\n")


def write_manifest(path, pools):
    with open(path, "w") as f:
        f.write("apiVersion: poolctl/v1\nstack: bench\npools:\n")
        for key, ids in pools:
            f.write(f"  {key}:\n    senders: [{', '.join(ids)}]\n")


def changed(pools, inventory, fraction=0.05):
    """Replaces `fraction` of each pool's members with other senders."""
    out = []
    for index, (key, ids) in enumerate(pools):
        n = max(1, int(len(ids) * fraction))
        keep = ids[n:]
        present = set(ids)
        extra, k = [], 0
        while len(extra) < n:
            candidate = sid((index * 7919 + 50_000 + k) % inventory)
            k += 1
            if candidate not in present:
                extra.append(candidate)
        out.append((key, keep + extra))
    return out


def timed(args, env):
    """Runs poolctl under measure.py and returns (wall, peak MiB, stdout)."""
    p = subprocess.run([sys.executable, os.path.join(HERE, "measure.py"), BIN, *args], env=env,
                       capture_output=True, text=True)
    m = re.search(r"wall time: ([\d.]+) s, peak memory: ([\d.]+) MiB, exit code: (\d+)", p.stdout)
    return float(m.group(1)), float(m.group(2)), int(m.group(3)), p.stdout, p.stderr


def calls_delta(before, after):
    out = {}
    for k, v in after["byEndpoint"].items():
        d = v - before["byEndpoint"].get(k, 0)
        if d:
            out[k] = d
    return out


def report_calls(calls, minimum):
    print(f"  {'endpoint':<60} {'calls':>8} {'minimum':>8}")
    for k in sorted(set(calls) | set(minimum)):
        print(f"  {k:<60} {calls.get(k, 0):>8} {minimum.get(k, '-'):>8}")
    print(f"  {'total':<60} {sum(calls.values()):>8} {sum(minimum.values()):>8}")


def env_for(url):
    env = dict(os.environ, POOLCTL_API_URL=url, TWILIO_ACCOUNT_SID="ACbench", TWILIO_AUTH_TOKEN="bench")
    env.pop("TWILIO_API_KEY", None)
    return env


def bench_plan(work):
    inventory, count, size = 40_000, 2000, 200
    pools = [(f"p{i:05d}", members(i, size, inventory)) for i in range(count)]
    write_seed(f"{work}/seed.yaml", inventory, pools)
    os.makedirs(f"{work}/m", exist_ok=True)
    write_manifest(f"{work}/m/pools.yaml", changed(pools, inventory))
    emu = Emulator(f"{work}/seed.yaml")
    try:
        before = emu.requests()
        wall, peak, code, out, err = timed(["plan", f"{work}/m", "--format", "json"], env_for(emu.url))
        calls = calls_delta(before, emu.requests())
        summary = json.loads(out[out.index("{"):out.rindex("}") + 1])["summary"]
        print(f"\n== plan: {count:,} pools x {size} senders, 5% of memberships changed (exit {code})")
        print(f"  wall time {wall:.2f} s, peak memory {peak:.1f} MiB")
        print(f"  plan: +{summary['addSenders']:,} -{summary['removeSenders']:,} senders in {summary['update']:,} pools; apply estimate {summary['apiCalls']:,} calls")
        report_calls(calls, {"GET /v1/SenderPools": -(-count // 1000), "GET /v1/SenderPools/{senderPoolId}/Senders": count})
    finally:
        emu.stop()


def bench_apply(work):
    flags = ["--latency", "5", "--operation-delay", "200"]
    inventory = 40_000
    # (a) 1,000 new pools x 100 senders.
    write_seed(f"{work}/seed-a.yaml", inventory, [])
    pools = [(f"n{i:05d}", members(i, 100, inventory)) for i in range(1000)]
    os.makedirs(f"{work}/a", exist_ok=True)
    write_manifest(f"{work}/a/pools.yaml", pools)
    emu = Emulator(f"{work}/seed-a.yaml", *flags)
    try:
        before = emu.requests()
        wall, peak, code, out, err = timed(["apply", f"{work}/a", "--auto-approve", "--format", "json", "--parallelism", "32"], env_for(emu.url))
        calls = calls_delta(before, emu.requests())
        report = json.loads(out[out.index("{"):out.rindex("}") + 1])
        ops = [o for p in report["pools"] for o in p["operations"]]
        print(f"\n== apply (a): 1,000 new pools x 100 senders, --latency 5 --operation-delay 200 (exit {code}, {report['outcome']})")
        print(f"  wall time {wall:.2f} s, peak memory {peak:.1f} MiB, polls per operation {sum(o['polls'] for o in ops) / max(1, len(ops)):.2f}")
        # Minimum: the refresh listing; 1,000 creates; one poll round (1,000
        # operations in one listing); the verification listing; the stack
        # lease (create, a poll, its lookup, a listing, the delete); each
        # pool's poolctl-applied fingerprint, one PATCH once it converged, and
        # one listing that reads them back.
        report_calls(calls, {
            "GET /v1/SenderPools": 1 + 1 + 2 + 1, "POST /v1/SenderPools": 1000 + 1,
            "GET /v1/SenderPools/Operations": 1, "GET /v1/SenderPools/Operations/{operationId}": 1,
            "DELETE /v1/SenderPools/{senderPoolId}": 1, "PATCH /v1/SenderPools/{senderPoolId}": 1000,
        })
    finally:
        emu.stop()
    # (b) 5% membership change across 2,000 pools x 100 senders.
    pools = [(f"p{i:05d}", members(i, 100, inventory)) for i in range(2000)]
    write_seed(f"{work}/seed-b.yaml", inventory, pools)
    os.makedirs(f"{work}/b", exist_ok=True)
    target = changed(pools, inventory)
    write_manifest(f"{work}/b/pools.yaml", target)
    emu = Emulator(f"{work}/seed-b.yaml", *flags)
    try:
        before = emu.requests()
        wall, peak, code, out, err = timed(["apply", f"{work}/b", "--auto-approve", "--format", "json", "--parallelism", "32"], env_for(emu.url))
        calls = calls_delta(before, emu.requests())
        report = json.loads(out[out.index("{"):out.rindex("}") + 1])
        ops = [o for p in report["pools"] for o in p["operations"]]
        removed = sum(p["sendersRemoved"] for p in report["pools"])
        print(f"\n== apply (b): 5% membership change across 2,000 pools x 100 senders (exit {code}, {report['outcome']})")
        print(f"  wall time {wall:.2f} s, peak memory {peak:.1f} MiB, polls per operation {sum(o['polls'] for o in ops) / max(1, len(ops)):.2f}")
        # Minimum: refresh (2 + 2,000); one add per pool, polled in rounds of
        # 1,000 operations; one call per removed sender; verification: 2
        # listings and a member re-read of each pool that had removals; the
        # lease; each changed pool's fingerprint, one PATCH, read back in 2 listings.
        report_calls(calls, {
            "PATCH /v1/SenderPools/{senderPoolId}": 2000,
            "GET /v1/SenderPools": 2 + 2 + 2 + 2, "GET /v1/SenderPools/{senderPoolId}/Senders": 2000 + 2000,
            "POST /v1/SenderPools/{senderPoolId}/Senders": 2000,
            "GET /v1/SenderPools/Operations": 2, "GET /v1/SenderPools/Operations/{operationId}": 1,
            "DELETE /v1/SenderPools/{senderPoolId}/Senders/{senderId}": removed,
            "POST /v1/SenderPools": 1, "DELETE /v1/SenderPools/{senderPoolId}": 1,
        })
    finally:
        emu.stop()


if __name__ == "__main__":
    work = tempfile.mkdtemp(prefix="poolctl-bench-")
    started = time.monotonic()
    if "plan" in WHICH:
        bench_plan(work)
    if "apply" in WHICH:
        bench_apply(work)
    print(f"\nbenchmarks took {time.monotonic() - started:.0f} s")
