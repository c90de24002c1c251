#!/usr/bin/env python3
"""Concurrent applies and the stack lease, end to end: the binary against
`poolctl emulator` on 127.0.0.1. Four applies of one manifest, two different
manifests at once, exit 5 without --lock-timeout, a holder killed with
SIGKILL, and duplicates that exist anyway.

Usage: test_lease.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import base64
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import BIN, TOKEN, Emulator, inventory, manifest, one_pool_per_key, registry, run_tests, sender_id, wait_for  # noqa: E402

LEASE_TAG = "poolctl-lease"


def leases(state):
    return [p for p in state["pools"] if LEASE_TAG in p["tags"]]


def owned(state, stack):
    return [p for p in state["pools"] if p["tags"].get("poolctl", "").split("~")[1:2] == [stack]]


def start_apply(emu, directory, *flags):
    return subprocess.Popen([BIN, "apply", directory, "--auto-approve", *flags], env=emu.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


TESTS, test = registry()


@test
def four_concurrent_applies_make_one_pool_per_key():
    keys = {f"k{i}": [sender_id(i * 3 + j) for j in range(3)] for i in range(10)}
    emu = Emulator(inventory(40), "--operation-delay", "300", "--latency", "20")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "race", keys)
        procs = [start_apply(emu, m, "--lock-timeout", "3m") for _ in range(4)]
        outs = [p.communicate(timeout=240) for p in procs]
        codes = [p.returncode for p in procs]
        assert codes == [0, 0, 0, 0], f"exit codes {codes}: {[o[1][-600:] for o in outs]}"
        state = emu.state()
        one_pool_per_key(state, "race", keys)
        assert len(owned(state, "race")) == len(keys), f"{len(owned(state, 'race'))} owned pools"
        assert leases(state) == [], f"leases left over: {leases(state)}"
        assert emu.run("plan", m, "--detailed-exitcode").returncode == 0
    finally:
        emu.stop()


@test
def two_different_manifests_end_as_exactly_one_of_them():
    emu = Emulator(inventory(40), "--operation-delay", "200", "--latency", "10")
    try:
        a = manifest(tempfile.mkdtemp() + "/a", "mix", {f"a{i}": [sender_id(i)] for i in range(5)}, prune=True)
        b = manifest(tempfile.mkdtemp() + "/b", "mix", {f"b{i}": [sender_id(20 + i)] for i in range(5)}, prune=True)
        # The second apply replaces all 5 pools of the first: the destructive-change guard would
        # rightly block it, so both lift it; this test is about the lease.
        procs = [start_apply(emu, m, "--lock-timeout", "3m", "--allow-destructive") for m in (a, b)]
        outs = [p.communicate(timeout=240) for p in procs]
        assert [p.returncode for p in procs] == [0, 0], [o[1][-600:] for o in outs]
        keys = sorted(p["tags"]["poolctl"].split("~")[2] for p in owned(emu.state(), "mix"))
        assert keys in ([f"a{i}" for i in range(5)], [f"b{i}" for i in range(5)]), f"a mix: {keys}"
        assert leases(emu.state()) == []
    finally:
        emu.stop()


@test
def without_a_lock_timeout_the_second_apply_exits_5_at_once_and_writes_nothing():
    emu = Emulator(inventory(20), "--operation-delay", "1500")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "busy", {f"k{i}": [sender_id(i)] for i in range(12)})
        # At 4 requests a second the holder's 12 creates alone take 3 s after its first pool shows,
        # then 1.5 s of operation: well past the 1.5 s the second apply's own lease create takes,
        # however slow the machine (the rate is wall-clock).
        first = start_apply(emu, m, "--max-rps", "4")
        # The holder's lease is visible before it writes anything else.
        wait_for(lambda: any(p["tags"].get("poolctl") for p in emu.state()["pools"]), "the first apply's first pool")
        before = [p for p in emu.state()["pools"] if LEASE_TAG not in p["tags"]]
        second = emu.run("apply", m, "--auto-approve", "--log-format", "ndjson")
        assert second.returncode == 5, (second.returncode, second.stderr[-800:])
        events = [json.loads(line) for line in second.stderr.splitlines()]
        errors = [e["message"] for e in events if e["event"] == "error"]
        assert any("the stack is locked by" in e and "poolctl unlock busy" in e for e in errors), errors
        # At once: it never waited for the lease, whatever the machine's speed.
        waits = [e for e in events if e["event"] == "lease" and e.get("state") == "waiting"]
        assert waits == [], f"exit 5 came after waiting: {waits}"
        after = [p for p in emu.state()["pools"] if LEASE_TAG not in p["tags"]]
        # Only the first apply's creates may have landed meanwhile; the second wrote no pool.
        assert all(p["tags"].get("poolctl", "").startswith("v1~busy~") for p in after) and len(after) >= len(before)
        first.communicate(timeout=120)
        assert first.returncode == 0
        one_pool_per_key(emu.state(), "busy", [f"k{i}" for i in range(12)])
        assert leases(emu.state()) == []
    finally:
        emu.stop()


@test
def a_killed_holders_lease_is_waited_out_then_apply_converges():
    keys = {f"k{i}": [sender_id(i)] for i in range(6)}
    emu = Emulator(inventory(20), "--operation-delay", "800")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "dead", keys)
        holder = start_apply(emu, m, "--lock-ttl", "5s", "--parallelism", "2")
        wait_for(lambda: len(owned(emu.state(), "dead")) >= 1, "the holder's first create")
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        assert len(leases(emu.state())) == 1, "the killed holder's lease should still be there"
        started = time.monotonic()
        p = emu.run("apply", m, "--auto-approve", "--lock-timeout", "1m")
        waited = time.monotonic() - started
        assert p.returncode == 0, p.stderr[-1500:]
        assert "deleted stale lease" in p.stderr, p.stderr[-800:]
        assert waited >= 2, f"the stale lease was not waited out ({waited:.1f}s)"
        one_pool_per_key(emu.state(), "dead", keys)
        assert leases(emu.state()) == []
        assert emu.run("plan", m, "--detailed-exitcode").returncode == 0
    finally:
        emu.stop()


@test
def sigterm_releases_the_lease():
    emu = Emulator(inventory(20), "--operation-delay", "1500")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "term", {f"k{i}": [sender_id(i)] for i in range(4)})
        p = start_apply(emu, m)
        # The lease is held once the first pool is being created.
        wait_for(lambda: len(owned(emu.state(), "term")) >= 1, "the first create")
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 128 + signal.SIGTERM, (p.returncode, err[-500:])
        assert "released the lease" in err, err[-500:]
        assert leases(emu.state()) == []
        assert emu.run("apply", m, "--auto-approve").returncode == 0
        one_pool_per_key(emu.state(), "term", [f"k{i}" for i in range(4)])
    finally:
        emu.stop()


@test
def a_signal_while_the_lease_is_being_taken_leaves_no_lease():
    """Interruption audit, 7 Dec: SIGINT or SIGTERM while the lease's create
    was still running exited at once, silently, and the lease locked the
    stack until its TTL. Now the lease is waited for and released."""
    emu = Emulator(inventory(20), "--operation-delay", "1000")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "early", {f"k{i}": [sender_id(i)] for i in range(2)})
        p = start_apply(emu, m)
        # The lease's create is running: its pool is not shown until the operation ends.
        wait_for(lambda: emu.requests()["byEndpoint"].get("POST /v1/SenderPools", 0) >= 1, "the lease's create")
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 128 + signal.SIGINT, (p.returncode, err[-500:])
        assert "interrupted while taking the lease of stack 'early'" in err, err[-500:]
        assert leases(emu.state()) == [], leases(emu.state())
        assert owned(emu.state(), "early") == []
        assert emu.run("apply", m, "--auto-approve").returncode == 0
    finally:
        emu.stop()


@test
def a_signal_while_waiting_for_a_rivals_lease_stops_the_wait_at_once():
    """SIGINT while another apply holds the lease cancels the wait: with a
    10-minute --lock-timeout and --signal-grace, waiting either out would hang
    this test. Nothing is written, and no lease of the waiter is left."""
    emu = Emulator(inventory(20), "--operation-delay", "3000")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "rival", {"k": [sender_id(0)]})
        holder = start_apply(emu, m)
        creates_running(emu, "rival")
        waiter = start_apply(emu, m, "--lock-timeout", "10m", "--signal-grace", "10m", "--log-format", "ndjson")
        lines = []
        while True:
            line = waiter.stderr.readline()
            assert line, f"stderr ended early: {lines}"
            lines.append(line)
            event = json.loads(line)
            if event["event"] == "lease" and event.get("state") == "waiting":
                break
        waiter.send_signal(signal.SIGINT)
        _, rest = waiter.communicate(timeout=60)
        assert waiter.returncode == 128 + signal.SIGINT, (waiter.returncode, rest[-800:])
        last = [json.loads(x) for x in rest.splitlines()][-2:]
        assert last[1]["event"] == "apply-result" and last[1]["outcome"] == "interrupted", last
        assert "it was not taken, and no lease of this run was found left" in last[0]["message"], last
        out, err = holder.communicate(timeout=120)
        assert holder.returncode == 0, err[-800:]
        assert leases(emu.state()) == [], leases(emu.state())
        one_pool_per_key(emu.state(), "rival", ["k"])
    finally:
        emu.stop()


def operation_status(emu, operation_id):
    """The API's status of an operation, asked as any client would."""
    request = urllib.request.Request(
        f"{emu.url}/v1/SenderPools/Operations/{operation_id}",
        headers={"Authorization": "Basic " + base64.b64encode(f"ACe2e:{TOKEN}".encode()).decode()})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["status"]


def client_writes(emu):
    return [w for w in emu.get("/_emulator/writes")["writes"] if w["actor"] == "client"]


def ms(timestamp):
    """Milliseconds since the epoch of the write log's `2025-01-01T00:00:00.123Z`."""
    return round(datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


@test
def a_signal_while_the_lease_is_being_created_waits_for_it_and_deletes_it():
    """SIGINT while the lease's own create runs (a 6 s operation): the lease
    answers 409 until then, and the cleanup used to give up after 5 tries in
    about 4 s, leaving a lease that locked the stack (exit 5 next) while it
    said nothing was left. It is waited for and deleted now."""
    emu = Emulator(inventory(5), "--operation-delay", "6000")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "taking", {"k": [sender_id(0)]})
        proc = start_apply(emu, m)
        wait_for(lambda: any(w["endpoint"] == "POST /v1/SenderPools" for w in client_writes(emu)), "the lease's create")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 128 + signal.SIGINT, (proc.returncode, err[-800:])
        assert "no lease of this run was found left" in err, err[-800:]
        assert leases(emu.state()) == [], leases(emu.state())
        assert [w["endpoint"] for w in client_writes(emu)] == ["POST /v1/SenderPools", "DELETE /v1/SenderPools/{senderPoolId}"]
        p = emu.run("apply", m, "--auto-approve")
        assert p.returncode == 0, (p.returncode, p.stderr[-800:])
    finally:
        emu.stop()


def creates_running(emu, stack, count=1):
    """Waits for `count` pool creates of the apply (not its lease) and returns those writes."""
    def created():
        return [w for w in client_writes(emu) if w["endpoint"] == "POST /v1/SenderPools"
                and (w["tagsAfter"] or {}).get("poolctl", "").startswith(f"v1~{stack}~")]
    wait_for(lambda: len(created()) >= count, f"{count} create(s) of the apply")
    return created()


@test
def a_signal_stops_writes_waits_for_the_running_create_then_releases_the_lease():
    for sig in (signal.SIGINT, signal.SIGTERM):
        # A 3 s operation; --max-batch 1 makes pool k take two writes: the create carries the
        # first sender, Add Senders the second once the create has finished.
        emu = Emulator(inventory(20), "--operation-delay", "3000")
        try:
            m = manifest(tempfile.mkdtemp() + "/m", "sig", {"k": [sender_id(0), sender_id(1)]})
            p = start_apply(emu, m, "--max-batch", "1")
            [create] = creates_running(emu, "sig")
            # Nothing else can be written before the create's operation ends, 3 s from now.
            mark = max(w["seq"] for w in client_writes(emu))
            p.send_signal(sig)
            out, err = p.communicate(timeout=60)
            assert p.returncode == 128 + sig, (sig, p.returncode, err[-800:])
            assert "waited for operations in flight and released the lease" in err, err[-800:]
            # The run's own report, before the exit: what was written, and what was not.
            assert f"k {create['poolId']} create: NOT converged (senders +1 -0)" in out, out[-1500:]
            assert "create: COMPLETED, 1 created" in out and "apply was interrupted; no further write is made" in out, out[-1500:]
            assert "Apply PARTIAL: 1 of 1 pools did not converge" in out, out[-1500:]
            state = emu.state()
            assert leases(state) == [], f"a lease was left: {leases(state)}"
            # The running create was waited for and finished; Add Senders was never sent.
            pools = [x for x in owned(state, "sig")]
            assert [x["senders"] for x in pools] == [[sender_id(0)]], pools
            after = [w for w in client_writes(emu) if w["seq"] > mark]
            assert [(w["method"], LEASE_TAG in (w["tagsBefore"] or {})) for w in after] == [("DELETE", True)], \
                f"client writes after the signal: {after}"
            waited = ms(after[0]["time"]) - ms(create["time"])
            assert waited >= 3000, f"the lease was released {waited} ms after the create, before its operation ended"
        finally:
            emu.stop()


@test
def a_create_still_running_when_the_signal_grace_ends_keeps_the_lease_and_says_so():
    emu = Emulator(inventory(20), "--operation-delay", "5000")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "grace", {"k": [sender_id(0)], "j": [sender_id(1)]})
        p = start_apply(emu, m, "--signal-grace", "1s", "--log-format", "ndjson")
        # Both creates were just accepted (they start together): their operations run 5 s, the grace period 1 s.
        creates_running(emu, "grace", 2)
        mark = max(w["seq"] for w in client_writes(emu))
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        assert p.returncode == 128 + signal.SIGINT, (p.returncode, err[-800:])
        events = [json.loads(line) for line in err.splitlines()]
        kept = [e for e in events if e["event"] == "lease" and e.get("state") == "kept"]
        assert len(kept) == 1 and kept[0]["operationIDs"], events[-4:]
        assert kept[0]["poolID"] == [e for e in events if e.get("state") == "acquired"][0]["poolID"], kept
        # It ended with the grace period, not with the creates: on the server's
        # clock their 5 s operations still run (no wall-clock bound here).
        running = [operation_status(emu, op) for op in kept[0]["operationIDs"]]
        assert any(status not in ("COMPLETED", "FAILED", "CANCELED") for status in running), running
        last = events[-1]
        assert last["event"] == "apply-result" and last["outcome"] == "interrupted" and last["exitCode"] == 130, last
        error = [e for e in events if e["event"] == "error"][-1]
        assert "is kept" in error["message"] and "still running after" in error["message"], error
        # The lease stays, to expire at its TTL: a rival could otherwise duplicate a pool not yet visible.
        assert len(leases(emu.state())) == 1, emu.state()
        after = [w for w in client_writes(emu) if w["seq"] > mark]
        assert after == [], f"writes after the signal: {after}"
    finally:
        emu.stop()


@test
def unlock_deletes_a_dead_holders_lease():
    emu = Emulator(inventory(20), "--operation-delay", "1500")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "stuck", {"k": [sender_id(0)]})
        holder = start_apply(emu, m, "--lock-ttl", "10m")
        wait_for(lambda: len(leases(emu.state())) == 1, "the lease")
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        p = emu.run("plan", m)
        assert "has been running since" in p.stderr, p.stderr
        assert emu.run("apply", m, "--auto-approve").returncode == 5
        p = emu.run("unlock", "stuck")
        assert p.returncode == 1 and "--auto-approve" in p.stderr, p.stderr
        p = emu.run("unlock", "stuck", "--auto-approve")
        assert p.returncode == 0 and "Deleted 1 lease" in p.stdout, p.stdout + p.stderr
        assert emu.run("apply", m, "--auto-approve").returncode == 0
    finally:
        emu.stop()


@test
def duplicates_are_repaired_keeping_the_oldest_unless_one_holds_an_undeclared_sender():
    seed = "pools:\n"
    seed += f"  - {{name: first, tags: {{poolctl: v1~dup~a}}, senders: [{sender_id(0)}]}}\n"
    seed += f"  - {{name: second, tags: {{poolctl: v1~dup~a}}, senders: [{sender_id(0)}]}}\n"
    seed += f"  - {{name: b1, tags: {{poolctl: v1~dup~b}}, senders: [{sender_id(1)}]}}\n"
    seed += f"  - {{name: b2, tags: {{poolctl: v1~dup~b}}, senders: [{sender_id(2)}]}}\n"
    emu = Emulator(inventory(10, seed))
    try:
        first_id = next(p["id"] for p in emu.state()["pools"] if p["name"] == "first")
        m = manifest(tempfile.mkdtemp() + "/m", "dup", {"a": [sender_id(0)], "b": [sender_id(1)]})
        p = emu.run("plan", m, "--format", "markdown")
        assert "delete duplicate" in p.stdout and p.returncode == 1, p.stdout[-1500:]
        p = emu.run("plan", m)
        assert f"holds {sender_id(2)}" in p.stdout, "the undeclared sender is not named: " + p.stdout[-1500:]
        # b's duplicate holds an undeclared sender: a conflict; a is repaired once b is declared.
        m2 = manifest(tempfile.mkdtemp() + "/m", "dup", {"a": [sender_id(0)], "b": [sender_id(1), sender_id(2)]})
        p = emu.run("apply", m2, "--auto-approve")
        assert p.returncode == 0, p.stdout[-1500:] + p.stderr[-800:]
        state = emu.state()
        one_pool_per_key(state, "dup", ["a", "b"])
        assert any(x["id"] == first_id for x in state["pools"]), "the oldest duplicate was not the one kept"
        assert emu.run("plan", m2, "--detailed-exitcode").returncode == 0
    finally:
        emu.stop()


if __name__ == "__main__":
    run_tests(TESTS)
