#!/usr/bin/env python3
"""Issue 19 end to end: listings are not snapshots, and apply never writes to
a pool the stack does not own. The binary against `poolctl emulator`.

Every case runs: the emulator models offset paging, page caps, background
writes, ignored filters and the write log (GET /_emulator/writes).

Usage: test_safety.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import BIN, Emulator, inventory, manifest, one_pool_per_key, registry, run_tests, sender_id  # noqa: E402

TESTS, test = registry()
STACK = "safe"
KEYS = {f"k{i}": [sender_id(i)] for i in range(20)}
CHURN = ["--behavior", "paging=offset", "--behavior", "max-page-size=7", "--background-writes", "1"]


def seed(stack_keys, foreign=30, untagged_team=()):
    """Pools of stack 'safe' for `stack_keys` (as the manifest declares them,
    except keys in `untagged_team`, which lack the team tag), and `foreign`
    pools of other teams."""
    pools = "pools:\n"
    for key in stack_keys:
        team = "" if key in untagged_team else ", team: e2e"
        pools += f"  - {{name: {key}, tags: {{poolctl: v1~{STACK}~{key}{team}}}, senders: [{KEYS[key][0]}]}}\n"
    for i in range(foreign):
        pools += f"  - {{name: theirs-{i}, tags: {{team: other}}, senders: [{sender_id(100 + i)}]}}\n"
    return inventory(140, pools)


def ours(tags):
    """A pool this stack may write to: its ownership tag, or its lease tag."""
    owner = tags.get("poolctl", "").split("~")
    lease = tags.get("poolctl-lease", "").split("~")
    return owner[1:2] == [STACK] or lease[1:2] == [STACK]


def client_writes_outside_the_stack(emu):
    """Client writes to pools that carried neither this stack's ownership nor
    its lease tag just before the write; creates are the one exception."""
    bad = []
    for w in emu.get("/_emulator/writes")["writes"]:
        if w["actor"] != "client" or w["endpoint"] == "POST /v1/SenderPools":
            continue
        if not ours(w.get("tagsBefore") or {}):
            bad.append(w)
    return bad


def plan_json(emu, directory, *flags):
    p = emu.run("plan", directory, "--format", "json", *flags)
    assert p.returncode in (0, 2), p.stderr[-800:]
    return json.loads(p.stdout)


def destructive_or_create(plan):
    return [(c["action"], c["key"]) for c in plan["changes"] if c["action"] in ("create", "delete", "delete-duplicate")]


@test
def repeated_plans_under_offset_paging_never_create_or_delete_a_pool_that_exists_once():
    emu = Emulator(seed(KEYS, untagged_team=("k0",)), *CHURN)
    try:
        m = manifest(tempfile.mkdtemp() + "/m", STACK, KEYS, prune=True)
        for _ in range(6):
            plan = plan_json(emu, m)
            assert destructive_or_create(plan) == [], destructive_or_create(plan)
            assert [c["key"] for c in plan["changes"] if c["action"] == "update"] == ["k0"], plan["summary"]
        # A plan saved now and applied later (more background writes in between) deletes nothing.
        saved = os.path.join(tempfile.mkdtemp(), "plan.json")
        assert emu.run("plan", m, "--out", saved).returncode in (0, 2)
        p = emu.run("apply", saved)
        assert p.returncode == 0, p.stderr[-800:]
        state = emu.state()
        one_pool_per_key(state, STACK, KEYS)
        assert client_writes_outside_the_stack(emu) == []
        deletes = [w for w in emu.get("/_emulator/writes")["writes"] if w["actor"] == "client" and w["method"] == "DELETE"
                   and w["endpoint"] == "DELETE /v1/SenderPools/{senderPoolId}" and "poolctl" in (w.get("tagsBefore") or {})]
        assert deletes == [], deletes
    finally:
        emu.stop()


@test
def apply_under_offset_paging_creates_each_missing_key_once():
    # 5 keys have no pool yet: their absence must be confirmed before each create.
    emu = Emulator(seed([k for k in KEYS if k not in ("k3", "k7", "k11", "k15", "k19")]), *CHURN)
    try:
        m = manifest(tempfile.mkdtemp() + "/m", STACK, KEYS, prune=True)
        for _ in range(3):
            p = emu.run("apply", m, "--auto-approve")
            assert p.returncode == 0, p.stderr[-800:]
            one_pool_per_key(emu.state(), STACK, KEYS)
        assert client_writes_outside_the_stack(emu) == []
        assert destructive_or_create(plan_json(emu, m)) == []
    finally:
        emu.stop()


@test
def ignored_filters_with_foreign_pools_converge_and_touch_no_foreign_pool():
    emu = Emulator(seed(["k0", "k1"]), "--behavior", "filters=ignored")
    try:
        foreign_before = {p["id"]: p for p in emu.state()["pools"] if p["tags"].get("team") == "other"}
        keys = {k: KEYS[k] for k in ("k0", "k1", "k2", "k3")}
        m = manifest(tempfile.mkdtemp() + "/m", STACK, keys)
        for _ in range(3):
            p = emu.run("apply", m, "--auto-approve", "--max-batch", "1")
            assert p.returncode == 0, p.stderr[-800:]
        state = emu.state()
        one_pool_per_key(state, STACK, keys)
        foreign_after = {p["id"]: p for p in state["pools"] if p["tags"].get("team") == "other"}
        assert foreign_after == foreign_before, "a foreign pool changed"
        assert client_writes_outside_the_stack(emu) == []
    finally:
        emu.stop()


@test
def a_delete_reads_its_pool_first_one_get_per_delete():
    # Runs on today's emulator: prune two pools, under list lag.
    emu = Emulator(seed(KEYS, foreign=3), "--behavior", "list-lag=200")
    try:
        kept = {k: KEYS[k] for k in list(KEYS)[:18]}
        m = manifest(tempfile.mkdtemp() + "/m", STACK, kept, prune=True)
        p = emu.run("apply", m, "--auto-approve", "--format", "json")
        assert p.returncode == 0, p.stderr[-800:]
        report = json.loads(p.stdout)
        calls = report["apiCalls"]
        assert calls.get("DELETE /v1/SenderPools/{senderPoolId}") == 2, calls
        assert calls.get("GET /v1/SenderPools/{senderPoolId}") == 2, calls
        state = emu.state()
        one_pool_per_key(state, STACK, kept)
        assert len([x for x in state["pools"] if x["tags"].get("team") == "other"]) == 3
    finally:
        emu.stop()


@test
def a_manifest_may_not_declare_the_lease_tag():
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "pools.yaml"), "w") as f:
        f.write(f"apiVersion: poolctl/v1\nstack: {STACK}\npools:\n  a:\n    tags: {{poolctl-lease: v1~{STACK}~x~60}}\n")
    p = subprocess.run([BIN, "validate", d], capture_output=True, text=True)
    assert p.returncode != 0
    assert "pools.yaml:5:12: error: tag key 'poolctl-lease' is reserved" in p.stderr, p.stderr


if __name__ == "__main__":
    run_tests(TESTS)
