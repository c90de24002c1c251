#!/usr/bin/env python3
"""`movedFrom` and `ignoreTags` end to end: the binary against `poolctl
emulator` on 127.0.0.1. A renamed key with `movedFrom` plans a move (no
create, no delete) and apply keeps the pool id; validate refuses ambiguous
moves with positions; a tag in `ignoreTags` changed by hand is neither shown
by plan nor overwritten by an apply that changes another tag.

Usage: test_moves.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import base64
import json
import os
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import TOKEN, Emulator, inventory, manifest, one_pool_per_key, registry, run_tests, sender_id, wait_for  # noqa: E402

TESTS, test = registry()


def write(dirname, text):
    os.makedirs(dirname, exist_ok=True)
    path = os.path.join(dirname, "pools.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def owned(emu, stack, key):
    return [p for p in emu.state()["pools"] if p["tags"].get("poolctl", "").split("~")[1:3] == [stack, key]]


def without_fingerprint(tags):
    """The tags less `poolctl-applied`, which apply adds once a pool converged (issue 21)."""
    assert tags.get("poolctl-applied", "").startswith("d1."), tags
    return {k: v for k, v in tags.items() if k != "poolctl-applied"}


def patch_tags_by_hand(emu, pool_id, tags):
    """Another tool writing the pool's tags, straight to the emulator's API."""
    request = urllib.request.Request(
        f"{emu.url}/v1/SenderPools/{pool_id}", data=json.dumps({"tags": tags}).encode(), method="PATCH",
        headers={"Content-Type": "application/json",
                 "Authorization": "Basic " + base64.b64encode(f"ACe2e:{TOKEN}".encode()).decode()})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status in (200, 202), response.status


@test
def a_renamed_key_with_moved_from_keeps_the_pool():
    emu = Emulator(inventory(4))
    try:
        d = manifest(tempfile.mkdtemp(), "mv", {"sales": [sender_id(0), sender_id(1)]}, prune=True)
        p = emu.run("apply", d, "--auto-approve")
        assert p.returncode == 0, p.stderr
        [before] = owned(emu, "mv", "sales")

        # The key is renamed; prune is on, so without movedFrom this would be a delete and a create.
        write(d, "apiVersion: poolctl/v1\nstack: mv\nprune: true\npools:\n"
                 "  sales-emea:\n    movedFrom: sales\n    tags: {team: e2e, region: EMEA}\n"
                 f"    senders: [{sender_id(0)}, {sender_id(2)}]\n")
        p = emu.run("plan", d, "--detailed-exitcode")
        assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
        assert f"→ sales-emea {before['id']} will be moved from 'sales'" in p.stdout, p.stdout
        assert "will be created" not in p.stdout and "will be deleted" not in p.stdout, p.stdout
        assert "1 to move" in p.stdout and "0 to create" in p.stdout and "0 to delete" in p.stdout, p.stdout

        p = emu.run("plan", d, "--format", "json")
        assert p.returncode == 0, p.stderr
        plan = json.loads(p.stdout)
        assert [(c["key"], c["action"], c.get("movedFrom"), c.get("poolID")) for c in plan["changes"]] == [
            ("sales-emea", "move", "sales", before["id"])], plan["changes"]
        assert plan["summary"]["create"] == 0 and plan["summary"]["delete"] == 0 and plan["summary"]["move"] == 1
        assert "POST /v1/SenderPools" not in plan["apiCalls"] and "DELETE /v1/SenderPools/{senderPoolId}" not in plan["apiCalls"]

        writes_before = emu.requests()["byEndpoint"]
        p = emu.run("apply", d, "--auto-approve", "--format", "json")
        assert p.returncode == 0, (p.stdout, p.stderr)
        report = json.loads(p.stdout)
        assert [(r["key"], r["action"], r["status"]) for r in report["pools"]] == [("sales-emea", "move", "converged")], report
        # The plan's estimate is exact: a PATCH, an add and its poll, a removal, its re-read, the verification listing.
        assert report["apiCalls"] == plan["apiCalls"], (report["apiCalls"], plan["apiCalls"])
        writes_after = emu.requests()["byEndpoint"]
        # One create and one delete: the stack lease's own, nothing for the pool.
        for endpoint in ("POST /v1/SenderPools", "DELETE /v1/SenderPools/{senderPoolId}"):
            assert writes_after.get(endpoint, 0) - writes_before.get(endpoint, 0) == 1, (endpoint, writes_before, writes_after)
        [after] = owned(emu, "mv", "sales-emea")
        assert after["id"] == before["id"], (before, after)
        assert without_fingerprint(after["tags"]) == {"poolctl": "v1~mv~sales-emea", "team": "e2e", "region": "EMEA"}, after["tags"]
        assert sorted(after["senders"]) == [sender_id(0), sender_id(2)], after["senders"]
        assert owned(emu, "mv", "sales") == []
        assert len(emu.state()["pools"]) == 1

        # The move is done: no changes, and a warning that movedFrom can go.
        p = emu.run("plan", d, "--detailed-exitcode")
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        assert "No changes." in p.stdout and "remove 'movedFrom: sales'" in p.stdout, p.stdout
    finally:
        emu.stop()


@test
def validate_refuses_ambiguous_moves_with_positions():
    d = tempfile.mkdtemp()
    path = write(d, "apiVersion: poolctl/v1\nstack: mv\npools:\n"
                    "  kept: {}\n"
                    "  a:\n    movedFrom: kept\n"
                    "  b:\n    movedFrom: old\n"
                    "  c:\n    movedFrom: old\n")
    emu = Emulator(inventory(1))
    try:
        p = emu.run("validate", d)
        assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
        out = p.stdout + p.stderr
        assert f"{path}:6:16: error: pool 'a' is moved from 'kept', which is still declared at {path}:4:3" in out, out
        assert (f"{path}:10:16: error: pool 'c' is moved from 'old', which pool 'b' is already moved from at {path}:8:16"
                in out), out
        p = emu.run("validate", d, "--format", "json")
        report = json.loads(p.stdout)
        assert not report["valid"]
        located = [(x["line"], x["column"], [(n["line"], n["column"]) for n in x["notes"]])
                   for x in report["diagnostics"]]
        assert located == [(6, 16, [(4, 3)]), (10, 16, [(8, 16)])], located
    finally:
        emu.stop()


@test
def an_ignored_tag_changed_by_hand_is_not_shown_and_is_kept():
    emu = Emulator(inventory(2))
    try:
        d = tempfile.mkdtemp()
        text = ("apiVersion: poolctl/v1\nstack: ig\nignoreTags: [owner]\npools:\n"
                f"  alpha:\n    tags: {{team: a, owner: ops}}\n    senders: [{sender_id(0)}]\n")
        write(d, text)
        p = emu.run("apply", d, "--auto-approve")
        assert p.returncode == 0, p.stderr
        [pool] = owned(emu, "ig", "alpha")
        assert pool["tags"]["owner"] == "ops", "an ignored tag is still written at create"

        patch_tags_by_hand(emu, pool["id"], {**pool["tags"], "owner": "finance-bot"})
        wait_for(lambda: owned(emu, "ig", "alpha")[0]["tags"].get("owner") == "finance-bot", "the hand-made tag")

        p = emu.run("plan", d, "--detailed-exitcode")
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        assert "owner" not in p.stdout, p.stdout

        # Another tag changes: the PATCH keeps the live value of the ignored one.
        write(d, text.replace("team: a", "team: b"))
        p = emu.run("plan", d, "--format", "json")
        [change] = json.loads(p.stdout)["changes"]
        assert change["action"] == "update" and [t["key"] for t in change["tags"]] == ["team"], change
        assert change["ignoredTags"] == ["owner"] and change["desiredTags"]["owner"] == "finance-bot", change
        p = emu.run("apply", d, "--auto-approve")
        assert p.returncode == 0, (p.stdout, p.stderr)
        [after] = owned(emu, "ig", "alpha")
        assert without_fingerprint(after["tags"]) == {"poolctl": "v1~ig~alpha", "team": "b", "owner": "finance-bot"}, after["tags"]
        p = emu.run("plan", d, "--detailed-exitcode")
        assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
        one_pool_per_key(emu.state(), "ig", ["alpha"])
    finally:
        emu.stop()


if __name__ == "__main__":
    run_tests(TESTS)
