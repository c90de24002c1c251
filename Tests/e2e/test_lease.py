#!/usr/bin/env python3
"""Concurrent applies and the stack lease, end to end: the binary against
`poolctl emulator` on 127.0.0.1. Four applies of one manifest, two different
manifests at once, exit 5 without --lock-timeout, a holder killed with
SIGKILL, and duplicates that exist anyway.

Usage: test_lease.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import BIN, Emulator, inventory, manifest, one_pool_per_key, registry, run_tests, sender_id, wait_for  # noqa: E402

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
        m = manifest(tempfile.mkdtemp() + "/m", "busy", {f"k{i}": [sender_id(i)] for i in range(3)})
        first = start_apply(emu, m)
        # The holder's lease is visible before it writes anything else.
        wait_for(lambda: any(p["tags"].get("poolctl") for p in emu.state()["pools"]), "the first apply's first pool")
        before = [p for p in emu.state()["pools"] if LEASE_TAG not in p["tags"]]
        started = time.monotonic()
        second = emu.run("apply", m, "--auto-approve")
        assert second.returncode == 5, (second.returncode, second.stderr[-800:])
        assert "the stack is locked by" in second.stderr and "poolctl unlock busy" in second.stderr, second.stderr
        assert time.monotonic() - started < 15, "exit 5 was not immediate"
        after = [p for p in emu.state()["pools"] if LEASE_TAG not in p["tags"]]
        # Only the first apply's creates may have landed meanwhile; the second wrote no pool.
        assert all(p["tags"].get("poolctl", "").startswith("v1~busy~") for p in after) and len(after) >= len(before)
        first.communicate(timeout=120)
        assert first.returncode == 0
        one_pool_per_key(emu.state(), "busy", [f"k{i}" for i in range(3)])
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
