#!/usr/bin/env python3
"""The script a user would write instead of poolctl, as the baseline of the
rate benchmarks: one call at a time, pages of 50, a fixed 1 s poll. For each
pool: create it with its senders, poll its operation every second until it
ends, then look up the new pool by operationId.

Usage: baseline_sequential.py URL MANIFEST_JSON. Prints calls and wall time."""
import base64
import json
import sys
import time
import urllib.request

URL, SPEC = sys.argv[1], sys.argv[2]
AUTH = "Basic " + base64.b64encode(b"ACbench:bench").decode()
calls = 0


def call(method, path, body=None):
    global calls
    while True:
        calls += 1
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(URL + path, data=data, method=method,
                                         headers={"Authorization": AUTH, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                text = response.read()
                return json.loads(text) if text else {}
        except urllib.error.HTTPError as error:
            if error.code == 429:
                time.sleep(int(error.headers.get("Retry-After", "1")))
                continue
            raise


started = time.monotonic()
pools = json.load(open(SPEC))
existing = []
token = None
while True:  # read what exists, 50 at a time
    page = call("GET", "/v1/SenderPools?pageSize=50" + (f"&pageToken={token}" if token else ""))
    existing += page["senderPools"]
    token = page["pagination"]["next"]
    if not token:
        break
for name, senders in pools.items():
    accepted = call("POST", "/v1/SenderPools", {"name": name, "senders": [{"senderId": s} for s in senders]})
    while True:
        time.sleep(1)
        if call("GET", f"/v1/SenderPools/Operations/{accepted['operationId']}")["status"] != "PROCESSING":
            break
    call("GET", f"/v1/SenderPools?operationId={accepted['operationId']}")
print(f"baseline: {len(pools)} pools, {calls} calls, {time.monotonic() - started:.1f} s")
