#!/usr/bin/env python3
"""The emulator's own speed (issue 20: the emulator is never the bottleneck).

  1. seeding: start-up time (until the URL is printed) with POOLS pools x
     SIZE senders from an INVENTORY-sender inventory (default 10,000 x
     1,000 = 10M), written as YAML with every id listed (the form
     bench_plan_apply.py writes), then with the compact `senderRange`.
  2. member pages: GET /v1/SenderPools/{id}/Senders?pageSize=1000 with wrk
     (32 connections, loopback, bounded run), rotating over the pools;
     memberships per second = pages per second x 1,000.
  3. simple GETs: GET /v1/SenderPools/{id} with wrk, 32 connections.

Usage: bench_emulator.py POOLCTL [--pools N] [--size N] [--inventory N]
       [--duration S] [--listed-pools N]
Needs wrk (apt-get install -y wrk). Targets: >= 1M memberships/s, >= 25k
GET/s, seeding 10M memberships < 30 s.
"""
import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
AUTH = "Basic " + base64.b64encode(b"ACbench:bench").decode()


def sid(n: int) -> str:
    digits = []
    for _ in range(10):
        digits.append(CROCKFORD[n % 32])
        n //= 32
    return "comms_sender_01jd0000000000000" + "".join(reversed(digits))


def write_seed(path, inventory, pools, size, compact=False):
    """Pool p holds the `size` senders from position p * 37 on, wrapping:
    listed as ids, or (compact) as `senderRange`."""
    with open(path, "w") as f:
        f.write("senders:\n")
        for i in range(inventory):
            f.write(f"  - {{id: {sid(i)}, address: \"+1{i:010d}\", channel: SMS, status: ACTIVATED, displayName: null, tags: {{}}}}\n")
        f.write("pools:\n")
        for p in range(pools):
            start = (p * 37) % inventory
            if compact:
                members = f"senderRange: {{start: {start}, count: {size}}}"
            else:
                members = "senders: [" + ", ".join(sid((start + k) % inventory) for k in range(size)) + "]"
            f.write(f"  - {{name: p{p:05d}, tags: {{poolctl: v1~bench~p{p:05d}}}, {members}}}\n")


class Emulator:
    def __init__(self, binary, seed):
        start = time.monotonic()
        self.proc = subprocess.Popen([binary, "emulator", "--port", "0", "--seed", seed,
                                      "--account-sid", "ACbench", "--auth-token", "bench"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        self.startup = time.monotonic() - start
        if not self.url.startswith("http"):
            sys.exit(f"emulator did not start: {self.proc.stderr.read()}")

    def get(self, path):
        request = urllib.request.Request(self.url + path, headers={"Authorization": AUTH})
        with urllib.request.urlopen(request) as r:
            return json.loads(r.read())

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def wrk(url, script, duration, work):
    """Requests per second from a bounded wrk run (2 threads, 32 connections)."""
    path = os.path.join(work, "wrk.lua")
    with open(path, "w") as f:
        f.write(script)
    out = subprocess.run(["wrk", "-t2", "-c32", f"-d{duration}s", "--timeout", "10s", "-s", path, url],
                         capture_output=True, text=True, timeout=duration + 60).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    transfer = re.search(r"Transfer/sec:\s+(\S+)", out)
    return rate, int(errors.group(1)) if errors else 0, transfer.group(1) if transfer else "?"


def rotating(paths):
    listed = ", ".join(f'"{p}"' for p in paths)
    return f"""
local paths = {{ {listed} }}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1], {{ ["Authorization"] = "{AUTH}" }})
end
"""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--pools", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1_000)
    parser.add_argument("--inventory", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--form", choices=["compact", "listed"], default="compact",
                        help="how the seed served to wrk writes members (listed: for binaries without senderRange)")
    parser.add_argument("--listed-pools", type=int, default=10_000,
                        help="pools of the seed written with every id listed (0: skip that measurement)")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench_emulator needs wrk: apt-get install -y wrk")
    work = tempfile.mkdtemp(prefix="poolctl-bench-emulator-")
    try:
        if args.listed_pools > 0:
            listed = os.path.join(work, "listed.yaml")
            write_seed(listed, args.inventory, args.listed_pools, args.size)
            mib = os.path.getsize(listed) / 2**20
            emu = Emulator(args.binary, listed)
            emu.stop()
            os.remove(listed)
            print(f"seeding {args.listed_pools:,} pools x {args.size:,} senders listed as ids "
                  f"({args.listed_pools * args.size:,} memberships, {mib:.0f} MiB of YAML): {emu.startup:.1f} s "
                  f"(target < 30 s for 10M)")
        seed = os.path.join(work, "seed.yaml")
        write_seed(seed, args.inventory, args.pools, args.size, compact=args.form == "compact")
        total = args.pools * args.size
        emu = Emulator(args.binary, seed)
        try:
            form = "as senderRange" if args.form == "compact" else "listed as ids"
            print(f"seeding {args.pools:,} pools x {args.size:,} senders {form} ({total:,} memberships): "
                  f"{emu.startup:.1f} s (target < 30 s for 10M)")
            ids = [p["id"] for p in emu.get("/v1/SenderPools?pageSize=1000")["senderPools"]]
            pages = [f"/v1/SenderPools/{i}/Senders?pageSize=1000" for i in ids[:200]]
            # Warm-up: every sender's bytes once.
            wrk(emu.url, rotating(pages), 2, work)
            rate, errors, transfer = wrk(emu.url, rotating(pages), args.duration, work)
            print(f"member pages of 1,000: {rate:,.0f} pages/s = {rate * args.size / 1e6:.2f}M memberships/s "
                  f"({transfer}/s, {errors} non-2xx; target >= 1M/s)")
            fetches = [f"/v1/SenderPools/{i}" for i in ids[:200]]
            rate, errors, _ = wrk(emu.url, rotating(fetches), args.duration, work)
            print(f"simple GETs (fetch pool): {rate:,.0f}/s ({errors} non-2xx; target >= 25,000/s)")
        finally:
            emu.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
