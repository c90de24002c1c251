#!/usr/bin/env python3
"""The destructive-change guard and targeting end to end: the binary against
`poolctl emulator` on 127.0.0.1. A truncated manifest set (3 of 4 pools gone,
7 of a pool's 12 senders gone) is blocked in every plan format with exit 1;
apply refuses it with no pool changed and no lease left; a saved blocked plan
is refused before any write; --allow-destructive (on plan, on apply, recorded
in a saved plan) lifts it; guard: in the manifest tunes it. --target and
--exclude plan and apply only their keys, read only their members, and a
saved targeted plan keeps its targets.

Usage: test_guard.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import Emulator, inventory, manifest, registry, run_tests, sender_id  # noqa: E402

TESTS, test = registry()


def guard_seed():
    """Stack 'g' owns big (12 senders), a, b and c; 'other' owns one pool."""
    pools = "pools:\n"
    pools += f"  - {{name: big, tags: {{poolctl: v1~g~big}}, senders: [{', '.join(sender_id(i) for i in range(12))}]}}\n"
    for i, key in enumerate("abc"):
        pools += f"  - {{name: {key}, tags: {{poolctl: v1~g~{key}}}, senders: [{sender_id(12 + i)}]}}\n"
    pools += "  - {name: other, tags: {poolctl: v1~other~x}, senders: []}\n"
    return inventory(20, pools)


def truncated(directory, guard=None):
    """Only big is left, with 5 of its 12 senders; prune is on."""
    path = manifest(directory, "g", {"big": [sender_id(i) for i in range(5)]}, prune=True)
    if guard:
        with open(os.path.join(path, "pools.yaml"), "a") as f:
            f.write(f"guard: {guard}\n")
    return path


def writes(emu):
    return {k: v for k, v in emu.requests()["byEndpoint"].items() if not k.startswith("GET")}


def delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in set(before) | set(after) if after.get(k, 0) != before.get(k, 0)}


def keys_of(state, stack):
    return sorted(p["tags"]["poolctl"].split("~")[2] for p in state["pools"] if p["tags"].get("poolctl", "").startswith(f"v1~{stack}~"))


def no_lease(state):
    return not any("poolctl-lease" in p["tags"] for p in state["pools"])


@test
def the_guard_blocks_plan_in_every_format_with_exit_1():
    emu = Emulator(guard_seed())
    try:
        m = truncated(tempfile.mkdtemp() + "/m")
        p = emu.run("plan", m)
        assert p.returncode == 1, (p.returncode, p.stderr)
        assert "!! Destructive-change guard: BLOCKED" in p.stdout, p.stdout
        assert "would delete 3 of the stack's 4 owned pools; the guard allows at most 2 (half of them)" in p.stdout, p.stdout
        assert "would remove 7 of the 12 members of pool 'big'" in p.stdout, p.stdout
        assert "- c " in p.stdout and "will be deleted" in p.stdout, "the full plan is rendered"
        assert "destructive-change guard blocked this plan" in p.stderr and "--allow-destructive" in p.stderr, p.stderr

        p = emu.run("plan", m, "--format", "json")
        assert p.returncode == 1, p.stderr
        doc = json.loads(p.stdout)
        g = doc["guard"]
        assert doc["formatVersion"] == 3 and g["blocked"] and not g["lifted"] and g["ownedPools"] == 4, g
        assert [(v["rule"], v["count"], v["total"], v["allowed"]) for v in g["violations"]] == [
            ("deleted-pools", 3, 4, 2), ("removed-members", 7, 12, 6)], g
        assert doc["summary"]["delete"] == 3, "the full plan is in the document"

        p = emu.run("plan", m, "--format", "markdown")
        assert p.returncode == 1, p.stderr
        lines = p.stdout.splitlines()
        assert lines[0] == "<!-- poolctl-plan:g -->" and lines[1] == "> [!CAUTION]", lines[:3]
        assert "Blocked by the destructive-change guard" in lines[2], lines[2]

        # --detailed-exitcode does not turn a blocked plan into "changes".
        assert emu.run("plan", m, "--detailed-exitcode").returncode == 1

        # Tuned by the manifest: 3 deletes and 7/12 removed are within these limits.
        tuned = truncated(tempfile.mkdtemp() + "/t", guard="{maxDeletedPools: 3, maxRemovedFraction: 0.6}")
        p = emu.run("plan", tuned, "--format", "json")
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["guard"]["violations"] == []
        p = emu.run("plan", truncated(tempfile.mkdtemp() + "/t", guard="{maxDeletedPools: 3}"), "--format", "json")
        assert p.returncode == 1 and [v["rule"] for v in json.loads(p.stdout)["guard"]["violations"]] == ["removed-members"]
    finally:
        emu.stop()


@test
def allow_destructive_lifts_the_guard_on_plan():
    emu = Emulator(guard_seed())
    try:
        m = truncated(tempfile.mkdtemp() + "/m")
        p = emu.run("plan", m, "--allow-destructive")
        assert p.returncode == 0, p.stderr
        assert "lifted by --allow-destructive" in p.stdout and "BLOCKED" not in p.stdout, p.stdout
        p = emu.run("plan", m, "--allow-destructive", "--detailed-exitcode", "--format", "json")
        assert p.returncode == 2, p.stderr
        g = json.loads(p.stdout)["guard"]
        assert g["lifted"] and not g["blocked"] and len(g["violations"]) == 2, g
        p = emu.run("plan", m, "--allow-destructive", "--format", "markdown")
        assert p.returncode == 0 and p.stdout.splitlines()[1] == "> [!NOTE]", p.stdout[:300]
    finally:
        emu.stop()


@test
def apply_refuses_a_blocked_plan_with_no_pool_changed_and_no_lease_left():
    emu = Emulator(guard_seed())
    try:
        m = truncated(tempfile.mkdtemp() + "/m")
        state, before = emu.state(), writes(emu)
        p = emu.run("apply", m, "--auto-approve")
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        assert "!! Destructive-change guard: BLOCKED" in p.stdout, "apply shows the plan and the guard"
        assert "destructive-change guard blocked this plan; no pool was changed" in p.stderr, p.stderr
        assert "would delete 3 of the stack's 4 owned pools" in p.stderr, p.stderr
        assert emu.state() == state, "a refused apply changed a pool"
        assert no_lease(emu.state())
        # The only writes are the lease's own create and delete.
        assert delta(before, writes(emu)) == {"POST /v1/SenderPools": 1, "DELETE /v1/SenderPools/{senderPoolId}": 1}, delta(before, writes(emu))

        # --allow-destructive applies it, and the next plan (still lifted) is clean.
        p = emu.run("apply", m, "--auto-approve", "--allow-destructive")
        assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
        after = emu.state()
        assert keys_of(after, "g") == ["big"] and keys_of(after, "other") == ["x"], after
        big = [pool for pool in after["pools"] if pool["name"] == "big"][0]
        assert big["senders"] == sorted(sender_id(i) for i in range(5))
        assert emu.run("plan", m, "--detailed-exitcode").returncode == 0
    finally:
        emu.stop()


@test
def a_saved_blocked_plan_is_refused_before_any_write_unless_allowed():
    emu = Emulator(guard_seed())
    try:
        d = tempfile.mkdtemp()
        m = truncated(d + "/m")
        blocked = d + "/blocked.json"
        p = emu.run("plan", m, "--out", blocked)
        assert p.returncode == 1 and os.path.exists(blocked), "a blocked plan is still saved"
        assert json.load(open(blocked))["guard"]["blocked"]
        state, before = emu.state(), writes(emu)
        p = emu.run("apply", blocked)
        assert p.returncode == 1 and "nothing was read or written" in p.stderr, (p.returncode, p.stderr)
        assert "BLOCKED" in p.stdout, p.stdout
        assert delta(before, writes(emu)) == {}, "a refused saved plan took the lease or wrote"
        assert emu.state() == state
        # The ndjson log's result names the stack even for a plan refused before the lease.
        p = emu.run("apply", blocked, "--log-format", "ndjson")
        result = [json.loads(line) for line in p.stderr.splitlines() if line.startswith("{")][-1]
        assert p.returncode == 1 and result.get("stack") == "g", (p.returncode, result)

        # A plan saved with --allow-destructive records it and applies.
        allowed = d + "/allowed.json"
        assert emu.run("plan", m, "--allow-destructive", "--out", allowed).returncode == 0
        assert json.load(open(allowed))["guard"]["lifted"]
        p = emu.run("apply", allowed)
        assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
        assert keys_of(emu.state(), "g") == ["big"] and no_lease(emu.state())
    finally:
        emu.stop()


@test
def apply_allow_destructive_lifts_a_saved_blocked_plan():
    emu = Emulator(guard_seed())
    try:
        d = tempfile.mkdtemp()
        blocked = d + "/blocked.json"
        assert emu.run("plan", truncated(d + "/m"), "--out", blocked).returncode == 1
        p = emu.run("apply", blocked, "--allow-destructive")
        assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
        assert keys_of(emu.state(), "g") == ["big"]
    finally:
        emu.stop()


def target_seed():
    """Stack 't' owns alpha, beta, gamma, old-1, old-2, one sender each."""
    pools = "pools:\n"
    for i, key in enumerate(["alpha", "beta", "gamma", "old-1", "old-2"]):
        pools += f"  - {{name: {key}, tags: {{poolctl: v1~t~{key}, team: e2e}}, senders: [{sender_id(i)}]}}\n"
    return inventory(10, pools)


def target_manifest(directory):
    """alpha and beta gain a sender, gamma is unchanged, delta is new, old-* are undeclared."""
    return manifest(directory, "t", {
        "alpha": [sender_id(0), sender_id(5)], "beta": [sender_id(1), sender_id(6)], "gamma": [sender_id(2)],
        "delta": [sender_id(7)]}, prune=True)


def total(emu):
    return emu.requests()["total"]


@test
def target_and_exclude_plan_only_their_keys_and_read_only_their_members():
    emu = Emulator(target_seed())
    try:
        m = target_manifest(tempfile.mkdtemp() + "/m")
        before = total(emu)
        p = emu.run("plan", m, "--target", "alpha", "--target", "old-1", "--format", "json")
        assert p.returncode == 0, p.stderr
        # One listing, then the members of alpha and old-1 only (a full plan reads 5).
        assert total(emu) - before == 3, total(emu) - before
        doc = json.loads(p.stdout)
        assert doc["targeting"] == {"targets": ["alpha", "old-1"], "excludes": [], "leftOut": ["beta", "delta", "gamma", "old-2"]}, doc
        assert [(c["key"], c["action"]) for c in doc["changes"]] == [("alpha", "update"), ("old-1", "delete")], doc["changes"]
        assert doc["guard"]["ownedPools"] == 5

        p = emu.run("plan", m, "--target", "alpha", "--target", "old-1")
        first = p.stdout.splitlines()
        assert first[0].startswith("! Partial plan (--target alpha, old-1)"), first[:2]
        assert first[1] == "! Left out, not planned: 4 pool keys (beta, delta, gamma, old-2).", first[:2]
        md = emu.run("plan", m, "--target", "alpha", "--format", "markdown").stdout.splitlines()
        assert md[0] == "<!-- poolctl-plan:t -->" and md[1] == "> [!WARNING]" and "Partial plan" in md[2], md[:3]

        p = emu.run("plan", m, "--exclude", "old-1", "--exclude", "old-2", "--format", "json")
        doc = json.loads(p.stdout)
        assert p.returncode == 0 and doc["targeting"]["leftOut"] == ["old-1", "old-2"], doc.get("targeting")
        assert [c["key"] for c in doc["changes"]] == ["alpha", "beta", "delta", "gamma"]

        # A key the stack does not have is an error before any member is read.
        before = total(emu)
        p = emu.run("plan", m, "--target", "alhpa")
        assert p.returncode == 1 and "--target 'alhpa'" in p.stderr and "did you mean 'alpha'?" in p.stderr, p.stderr
        assert total(emu) - before == 1, "only the listing"
        p = emu.run("plan", m, "--exclude", "nope")
        assert p.returncode == 1 and "--exclude 'nope'" in p.stderr, p.stderr
    finally:
        emu.stop()


@test
def apply_with_target_and_exclude_changes_only_their_keys():
    emu = Emulator(target_seed())
    try:
        m = target_manifest(tempfile.mkdtemp() + "/m")
        p = emu.run("apply", m, "--auto-approve", "--target", "alpha", "--target", "old-1")
        assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
        assert p.stdout.startswith("! Partial plan"), p.stdout[:200]
        state = emu.state()
        members = {p["name"]: p["senders"] for p in state["pools"]}
        assert keys_of(state, "t") == ["alpha", "beta", "gamma", "old-2"], state
        assert members["alpha"] == sorted([sender_id(0), sender_id(5)]) and members["beta"] == [sender_id(1)], members
        assert no_lease(state)

        p = emu.run("apply", m, "--auto-approve", "--exclude", "old-2")
        assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
        assert keys_of(emu.state(), "t") == ["alpha", "beta", "delta", "gamma", "old-2"]
        assert emu.run("plan", m, "--exclude", "old-2", "--detailed-exitcode").returncode == 0
        assert emu.run("plan", m, "--detailed-exitcode").returncode == 2, "old-2 is still to prune"
    finally:
        emu.stop()


@test
def a_saved_targeted_plan_keeps_its_targets():
    emu = Emulator(target_seed())
    try:
        d = tempfile.mkdtemp()
        m = target_manifest(d + "/m")
        saved = d + "/plan.json"
        p = emu.run("plan", m, "--target", "beta", "--target", "delta", "--out", saved)
        assert p.returncode == 0, p.stderr
        s = emu.run("show", saved)
        assert s.returncode == 0 and s.stdout == p.stdout and s.stdout.startswith("! Partial plan (--target beta, delta)"), s.stdout[:200]
        assert json.loads(emu.run("show", saved, "--format", "json").stdout)["targeting"]["targets"] == ["beta", "delta"]
        # The saved plan's targets are its own.
        p = emu.run("apply", saved, "--target", "alpha")
        assert p.returncode == 1 and "saved plan keeps the targets" in p.stderr, p.stderr
        p = emu.run("apply", saved)
        assert p.returncode == 0, (p.stdout[-2000:], p.stderr[-2000:])
        assert p.stdout.startswith("! Partial plan"), p.stdout[:200]
        state = emu.state()
        members = {p["name"]: p["senders"] for p in state["pools"]}
        assert keys_of(state, "t") == ["alpha", "beta", "delta", "gamma", "old-1", "old-2"], state
        assert members["beta"] == sorted([sender_id(1), sender_id(6)]) and members["alpha"] == [sender_id(0)], members
        assert emu.run("plan", m, "--target", "beta", "--target", "delta", "--detailed-exitcode").returncode == 0
    finally:
        emu.stop()


if __name__ == "__main__":
    run_tests(TESTS)
