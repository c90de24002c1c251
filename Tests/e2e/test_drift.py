#!/usr/bin/env python3
"""Drift end to end (issue 21): the binary against `poolctl emulator` on
127.0.0.1. After an apply, changes made by hand straight to the API (a
member added, a pool renamed, a pool deleted) are drift; a change made only
in the manifests is not. `poolctl drift` exits 2 and lists exactly those
pools and fields, `plan` shows them apart from the intended change, and
after the next apply `drift` exits 0.

Usage: test_drift.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import base64
import json
import os
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import TOKEN, Emulator, inventory, manifest, registry, run_tests, sender_id  # noqa: E402

TESTS, test = registry()
APPLIED = "poolctl-applied"


def by_hand(emu, method, path, body=None):
    """Another tool, straight to the emulator's API."""
    request = urllib.request.Request(
        emu.url + path, data=None if body is None else json.dumps(body).encode(), method=method,
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(f"ACe2e:{TOKEN}".encode()).decode()})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 202, 204), response.status


def owned(emu, key):
    [pool] = [p for p in emu.state()["pools"] if p["tags"].get("poolctl", "").split("~")[1:3] == ["dr", key]]
    return pool


def drift(emu, d, fmt="json"):
    p = emu.run("drift", d, "--format", fmt)
    return p, (json.loads(p.stdout) if fmt == "json" and p.stdout else None)


def settle(emu, pool_id, check):
    """The emulator applies writes asynchronously: wait until the pool shows it."""
    import time
    for _ in range(200):
        if check(next((p for p in emu.state()["pools"] if p["id"] == pool_id), None)):
            return
        time.sleep(0.05)
    raise AssertionError(f"{pool_id} never showed the change")


@test
def hand_changes_are_drift_and_manifest_changes_are_not():
    emu = Emulator(inventory(8))
    try:
        d = manifest(tempfile.mkdtemp(), "dr", {
            "alpha": [sender_id(0), sender_id(1)], "beta": [sender_id(2)], "gamma": [sender_id(3)], "delta": [sender_id(4)]})
        p = emu.run("apply", d, "--auto-approve")
        assert p.returncode == 0, p.stderr
        # Every pool carries what apply made it, written after verification.
        for key in ("alpha", "beta", "gamma", "delta"):
            assert owned(emu, key)["tags"].get(APPLIED, "").startswith("d1."), owned(emu, key)["tags"]
        p, report = drift(emu, d)
        assert p.returncode == 0 and report["pools"] == [] and report["formatVersion"] == 1, (p.returncode, p.stdout, p.stderr)
        assert emu.run("plan", d, "--detailed-exitcode").returncode == 0, "a second plan is clean"

        alpha, beta, delta = owned(emu, "alpha"), owned(emu, "beta"), owned(emu, "delta")
        by_hand(emu, "POST", f"/v1/SenderPools/{alpha['id']}/Senders", [{"senderId": sender_id(7)}])
        by_hand(emu, "PATCH", f"/v1/SenderPools/{beta['id']}", {"name": "beta renamed by hand"})
        by_hand(emu, "DELETE", f"/v1/SenderPools/{delta['id']}")
        settle(emu, alpha["id"], lambda pool: pool and sender_id(7) in pool["senders"])
        settle(emu, beta["id"], lambda pool: pool and pool["name"] == "beta renamed by hand")
        settle(emu, delta["id"], lambda pool: pool is None)
        # A change in the manifests only, on a third pool: intended, not drift.
        text = open(os.path.join(d, "pools.yaml")).read()
        text = text.replace(f"senders: [{sender_id(3)}]", f"senders: [{sender_id(3)}, {sender_id(5)}]")
        with open(os.path.join(d, "pools.yaml"), "w") as f:
            f.write(text)

        p, report = drift(emu, d)
        assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
        assert report["kind"] == "poolctl-drift" and report["stack"] == "dr", report
        assert report["pools"] == [
            {"key": "alpha", "poolID": alpha["id"], "fields": ["members"]},
            {"key": "beta", "poolID": beta["id"], "fields": ["name"]},
            {"key": "delta", "poolID": None, "fields": ["missing"]},
        ], report["pools"]
        text_report = emu.run("drift", d)
        assert text_report.returncode == 2, text_report
        assert "cannot be told apart" in text_report.stdout, text_report.stdout
        assert emu.run("drift", d, "--format", "markdown").returncode == 2

        # The plan shows drift apart from the intended change, with the cause of each field.
        plan = emu.run("plan", d, "--format", "json")
        assert plan.returncode == 0, plan.stderr
        changes = {c["key"]: c for c in json.loads(plan.stdout)["changes"]}
        assert changes["alpha"]["cause"] == {"members": "drift"} and changes["alpha"]["drift"] == ["members"], changes["alpha"]
        assert changes["beta"]["cause"] == {"name": "drift"} and changes["beta"]["drift"] == ["name"], changes["beta"]
        assert changes["gamma"]["cause"] == {"members": "manifest"} and changes["gamma"]["drift"] == [], changes["gamma"]
        assert changes["delta"]["action"] == "create" and changes["delta"]["drift"] == [], changes["delta"]
        shown = emu.run("plan", d).stdout
        block = shown.split("Changed outside poolctl", 1)[1].split("\n\n", 1)[0]
        assert "alpha" in block and "beta" in block and "gamma" not in block, block
        assert "members: apply removes 1 undeclared sender" in block, block
        md = emu.run("plan", d, "--format", "markdown").stdout
        assert "> **Changed outside poolctl**" in md, md

        p = emu.run("apply", d, "--auto-approve")
        assert p.returncode == 0, p.stderr
        p, report = drift(emu, d)
        assert p.returncode == 0 and report["pools"] == [], (p.returncode, p.stdout, p.stderr)
        assert emu.run("plan", d, "--detailed-exitcode").returncode == 0
    finally:
        emu.stop()


@test
def baseline_records_fingerprints_for_pools_applied_before_them():
    # Pools an older poolctl applied: owned, converged, with no fingerprint.
    seed = inventory(3, "pools:\n"
                        f"  - {{name: a, tags: {{poolctl: v1~dr~a, team: e2e}}, senders: [{sender_id(0)}]}}\n"
                        f"  - {{name: b, tags: {{poolctl: v1~dr~b, team: e2e}}, senders: [{sender_id(1)}]}}\n")
    emu = Emulator(seed)
    try:
        d = manifest(tempfile.mkdtemp(), "dr", {"a": [sender_id(0)], "b": [sender_id(1)]})
        assert emu.run("plan", d, "--detailed-exitcode").returncode == 0, "converged: no change without --baseline"
        # A change to such a pool plans as before, its cause unknown.
        renamed = manifest(tempfile.mkdtemp(), "dr", {"a": [sender_id(0)], "b": [sender_id(1), sender_id(2)]})
        planned = json.loads(emu.run("plan", renamed, "--format", "json").stdout)
        [b] = [c for c in planned["changes"] if c["key"] == "b"]
        assert b["action"] == "update" and b["cause"] == {"members": "unknown"} and b["drift"] == [], b
        preview = emu.run("plan", d, "--baseline", "--format", "json")
        planned = json.loads(preview.stdout)
        # Two PATCHes; the verification listing, and one reading the fingerprints back.
        assert planned["summary"]["update"] == 2 and planned["apiCalls"] == {
            "GET /v1/SenderPools": 2, "PATCH /v1/SenderPools/{senderPoolId}": 2}, planned["apiCalls"]
        p = emu.run("apply", d, "--baseline", "--auto-approve")
        assert p.returncode == 0, p.stderr
        assert all(APPLIED in owned(emu, k)["tags"] for k in ("a", "b")), emu.state()["pools"]
        assert emu.run("plan", d, "--baseline", "--detailed-exitcode").returncode == 0, "recorded once"
        by_hand(emu, "PATCH", f"/v1/SenderPools/{owned(emu, 'a')['id']}", {"name": "a by hand"})
        settle(emu, owned(emu, "a")["id"], lambda pool: pool and pool["name"] == "a by hand")
        p, report = drift(emu, d)
        assert p.returncode == 2 and report["pools"] == [{"key": "a", "poolID": owned(emu, "a")["id"], "fields": ["name"]}], report
    finally:
        emu.stop()


@test
def an_adopted_pool_deleted_by_hand_is_missing_not_a_conflict():
    """Export writes `adopt:` lines, which stay in the manifests: a pool
    adopted so and deleted by hand since is `missing` to drift (it used to
    exit 1 with no report), beside another pool's hand rename."""
    seed = inventory(2, "pools:\n  - {name: Legacy A, tags: {team: ops}}\n  - {name: Legacy B, tags: {team: ops}}\n")
    emu = Emulator(seed)
    try:
        d = tempfile.mkdtemp() + "/exported"
        p = emu.run("export", "--stack", "dr", "--out", d)
        assert p.returncode == 0, p.stderr
        assert emu.run("apply", d, "--auto-approve").returncode == 0
        a, b = owned(emu, "legacy-a"), owned(emu, "legacy-b")
        by_hand(emu, "DELETE", f"/v1/SenderPools/{a['id']}")
        by_hand(emu, "PATCH", f"/v1/SenderPools/{b['id']}", {"name": "renamed by hand"})
        settle(emu, b["id"], lambda pool: pool and pool["name"] == "renamed by hand")
        settle(emu, a["id"], lambda pool: pool is None)
        p, report = drift(emu, d)
        assert p.returncode == 2, (p.returncode, p.stderr[-600:])
        assert report["pools"] == [{"key": "legacy-a", "poolID": None, "fields": ["missing"]},
                                   {"key": "legacy-b", "poolID": b["id"], "fields": ["name"]}], report
        # plan still refuses the adopt of a pool that is gone.
        assert emu.run("plan", d).returncode == 1
    finally:
        emu.stop()


if __name__ == "__main__":
    run_tests(TESTS)
