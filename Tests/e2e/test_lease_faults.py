#!/usr/bin/env python3
"""The stack lease under faults, end to end (issue 19 items 3-6): the binary
against `poolctl emulator` on 127.0.0.1.

(a) 10% 5xx and 10% reset-after-write, nothing else running: 10 sequential
    applies of a 20-pool stack all exit 0 and leave no lease.
(b) the same faults plus list lag of 500 ms and create visibility after
    completion: 4 concurrent applies of two manifest versions with
    --lock-timeout all exit 0, end as one version, one pool per key, no lease.
(c) renewal under noop-patch=unchanged, no foreign write under
    filters=ignored, one apply at a time under offset paging with background
    writes.
(d) lists lagging 5 s behind writes: an apply exits 0 with one lease, none
    left, fingerprints recorded; then two --lock=false applies of a new key
    make one pool.

Usage: test_lease_faults.py [path/to/poolctl]. Prints the exit codes and wall
time of each run, then 'N passed, N failed'."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import BIN, Emulator, inventory, manifest, one_pool_per_key, registry, run_tests, sender_id, wait_for  # noqa: E402

LEASE_TAG = "poolctl-lease"
FAULTS = ["--error-rate", "0.1", "--reset-after-write-rate", "0.1"]


def leases(state):
    return [p for p in state["pools"] if LEASE_TAG in p["tags"]]


def owned(state, stack):
    return [p for p in state["pools"] if p["tags"].get("poolctl", "").split("~")[1:2] == [stack]]


def start_apply(emu, directory, *flags):
    return subprocess.Popen([BIN, "apply", directory, "--auto-approve", *flags], env=emu.env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)


TESTS, test = registry()


@test
def ten_sequential_applies_under_faults_all_exit_0_and_leave_no_lease():
    keys = {f"pool-{i:02d}": [sender_id(i * 3 + j) for j in range(3)] for i in range(20)}
    emu = Emulator(inventory(100), *FAULTS, "--random-seed", "19", "--operation-delay", "50")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "faults", keys)
        runs = []
        for _ in range(10):
            began = time.time()
            p = emu.run("apply", m, "--auto-approve", "--lock-ttl", "10s")
            runs.append((p.returncode, round(time.time() - began, 1)))
            assert p.returncode == 0, f"runs {runs}: {p.stdout[-1500:]} {p.stderr[-1500:]}"
            assert leases(emu.state()) == [], f"run {len(runs)} left a lease: {leases(emu.state())}"
        print(f"  (exit code, seconds) per run: {runs}")
        one_pool_per_key(emu.state(), "faults", keys)
    finally:
        emu.stop()


@test
def four_concurrent_applies_of_two_versions_under_faults_and_lag():
    v1 = {f"k{i}": [sender_id(i * 2)] for i in range(8)}
    v2 = {f"k{i}": [sender_id(i * 2), sender_id(i * 2 + 1)] for i in range(8)}
    emu = Emulator(inventory(100), *FAULTS, "--random-seed", "7", "--operation-delay", "200",
                   "--behavior", "list-lag=500", "--behavior", "create-visibility=after-completion")
    try:
        a = manifest(tempfile.mkdtemp() + "/a", "race", v1)
        b = manifest(tempfile.mkdtemp() + "/b", "race", v2)
        began = time.time()
        procs = [start_apply(emu, d, "--lock-timeout", "5m", "--lock-ttl", "10s") for d in (a, b, a, b)]
        outs = [p.communicate(timeout=420) for p in procs]
        codes = [p.returncode for p in procs]
        print(f"  exit codes {codes}, wall time {time.time() - began:.1f} s")
        assert codes == [0, 0, 0, 0], \
            f"exit codes {codes}: {[(o[0][-2500:], o[1][-800:]) for o, c in zip(outs, codes) if c != 0]}"
        # Let the list lag pass before judging the end state.
        time.sleep(1)
        state = emu.state()
        one_pool_per_key(state, "race", v1)
        assert len(owned(state, "race")) == len(v1), f"{len(owned(state, 'race'))} owned pools"
        assert leases(state) == [], f"leases left over: {leases(state)}"
        # One version: a plan of either manifest is clean.
        clean = [emu.run("plan", d, "--detailed-exitcode").returncode for d in (a, b)]
        assert 0 in clean, f"neither version is live: plan exit codes {clean}"
    finally:
        emu.stop()


@test
def renewal_survives_noop_patch_unchanged():
    # A PATCH with identical values does not bump updatedAt: the renewal counter must.
    emu = Emulator(inventory(100), "--behavior", "noop-patch=unchanged", "--operation-delay", "500")
    try:
        # One pool filled one sender per request: an apply of many seconds, well past its lease's TTL.
        m = manifest(tempfile.mkdtemp() + "/m", "noop", {"k": [sender_id(i) for i in range(16)]})
        first = start_apply(emu, m, "--lock-ttl", "3s", "--max-batch", "1")

        def lease_writes():
            return [w for w in emu.get("/_emulator/writes")["writes"]
                    if w["actor"] == "client" and LEASE_TAG in ((w["tagsAfter"] or w["tagsBefore"]) or {})]
        # Renewals run every TTL/3 from the create: after the 4th, the create's updatedAt plus the TTL
        # and its second of grace has passed, so only a renewal that moved updatedAt keeps the lease live.
        wait_for(lambda: len([w for w in lease_writes() if w["method"] == "PATCH"]) >= 4, "4 renewals")
        second = emu.run("apply", m, "--auto-approve", "--lock-ttl", "3s")
        assert first.poll() is None, "the first apply ended before the rival looked: the test proves nothing"
        out = first.communicate(timeout=120)
        assert first.returncode == 0, out[1][-1500:]
        assert second.returncode == 5, f"the rival did not see a live lease: {second.returncode} {second.stderr[-800:]}"
        assert "the stack is locked by" in second.stderr, second.stderr[-800:]
        assert leases(emu.state()) == []
    finally:
        emu.stop()


@test
def filters_ignored_never_touch_a_foreign_pool():
    emu = Emulator(inventory(100), "--behavior", "filters=ignored", *FAULTS, "--random-seed", "3")
    try:
        keys = {f"k{i}": [sender_id(i)] for i in range(5)}
        m = manifest(tempfile.mkdtemp() + "/m", "filt", keys)
        for _ in range(3):
            p = emu.run("apply", m, "--auto-approve")
            assert p.returncode == 0, p.stderr[-1500:]
        writes = emu.get("/_emulator/writes")["writes"]
        foreign = [w for w in writes if w["actor"] == "client" and w.get("tagsBefore") is not None
                   and "poolctl" not in w["tagsBefore"] and LEASE_TAG not in w["tagsBefore"]
                   and w["method"] != "POST"]
        assert foreign == [], f"writes to pools outside the stack: {foreign[:3]}"
        assert leases(emu.state()) == []
    finally:
        emu.stop()


@test
def offset_paging_with_background_writes_lets_one_apply_in_at_a_time():
    emu = Emulator(inventory(100), "--behavior", "paging=offset", "--behavior", "max-page-size=7",
                           "--background-writes", "5", "--operation-delay", "200")
    try:
        keys = {f"k{i}": [sender_id(i)] for i in range(8)}
        m = manifest(tempfile.mkdtemp() + "/m", "offset", keys)
        procs = [start_apply(emu, m, "--lock-timeout", "3m") for _ in range(3)]
        codes = [p.wait(timeout=300) for p in procs]
        assert codes == [0, 0, 0], codes
        one_pool_per_key(emu.state(), "offset", keys)
        assert leases(emu.state()) == []
    finally:
        emu.stop()



@test
def lists_lagging_seconds_behind_writes_converge_with_one_lease_per_apply():
    # Before: 6 s of list lag made each apply create 3 leases and leave one (the next apply
    # exited 5 for the TTL) and call its completed creates "not created" (exit 3).
    emu = Emulator(inventory(100), "--behavior", "list-lag=5000", "--operation-delay", "50")
    try:
        keys = {f"k{i}": [sender_id(i * 2), sender_id(i * 2 + 1)] for i in range(4)}
        m = manifest(tempfile.mkdtemp() + "/m", "lag", keys)
        began = time.time()
        p = emu.run("apply", m, "--auto-approve")
        timings = [round(time.time() - began, 1)]
        assert p.returncode == 0, f"apply: {p.stdout[-2000:]} {p.stderr[-800:]}"
        assert leases(emu.state()) == [], f"the apply left a lease: {leases(emu.state())}"
        creates = [w for w in emu.get("/_emulator/writes")["writes"]
                   if w["actor"] == "client" and w["method"] == "POST" and LEASE_TAG in (w["tagsAfter"] or {})]
        assert len(creates) == 1, f"{len(creates)} lease creates for one apply"
        # Without a lease nothing measures the lag: a completed create is still waited for until
        # the lists show it, or the next apply would plan it again (before: 2 pools for 1 key).
        keys["k4"] = [sender_id(20)]
        m = manifest(m, "lag", keys)
        for run in range(2):
            began = time.time()
            p = emu.run("apply", m, "--auto-approve", "--lock=false")
            timings.append(round(time.time() - began, 1))
            assert p.returncode == 0, f"--lock=false apply {run + 1}: {p.stdout[-2000:]} {p.stderr[-800:]}"
        assert "Nothing to apply." in p.stdout, p.stdout[-1500:]
        print(f"  seconds per apply: {timings}")
        state = emu.state()
        one_pool_per_key(state, "lag", keys)
        unrecorded = [p["id"] for p in owned(state, "lag") if "poolctl-applied" not in p["tags"]]
        assert unrecorded == [], f"pools without their fingerprint: {unrecorded}"
    finally:
        emu.stop()

if __name__ == "__main__":
    run_tests(TESTS)
