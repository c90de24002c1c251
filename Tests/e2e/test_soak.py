#!/usr/bin/env python3
"""The seeded, randomized stateful test of issue 19: schedules of concurrent
applies against a faulty emulator, checked against the emulator's write log.

Each schedule starts a fresh `poolctl emulator` with a random mix of faults:
500/503s, connection resets after writes, a rate limit, offset paging with a
small server page size while a background writer creates and deletes foreign
pools, list lag and late create visibility. It then runs 1-4 concurrent
applies of random versions of one stack (some killed with SIGKILL at a random
moment), and finally one quiet apply (no concurrency, no kill; the faults stay
on) of one version. The quiet apply may exit 3 only when each pool it left is a
create whose answer was lost and which it could not prove unmade (the API has no
idempotency key, and under steady churn no listing may prove absence): then, as
a user would, it is run again, up to QUIET_RUNS times in all.

Invariants, on every schedule:
  - no client write to a pool outside the stack: every PATCH, DELETE, Add
    Senders and Remove Sender in GET /_emulator/writes hits a pool whose tags,
    just before the write, carry this stack's ownership or lease tag, and every
    create carries one of them;
  - no declared pool deleted unless a version applied in the schedule dropped
    its key (or another live pool carried the same ownership: duplicate repair);
  - after the quiet apply (and its reruns): it exits 0, one pool per declared
    key, exact names, tags and members, no lease, and no other owned pool.

Usage: test_soak.py [path/to/poolctl] [--schedules N] [--seed S] [--lags MS,...]. The seed is
printed first: `--seed S` replays a run (the emulators' faults are seeded by
it too; thread timing is not, so a replay is close, not exact). Prints
'N passed, N failed', one test per schedule."""
import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_cli  # noqa: E402
from test_cli import Emulator, inventory, run_tests, sender_id  # noqa: E402

STACK = "soak"
KEYS = [f"k{i}" for i in range(8)]
INVENTORY = 120
FOREIGN = 12
LEASE_TAG = "poolctl-lease"
# Short, so a SIGKILLed holder's lease blocks the others for seconds; long enough
# that renewals survive 20% faults (3 s, the minimum, loses leases under them).
LOCK_TTL = "10s"
# The list lags drawn from (ms); `--lags` widens them (make soak adds seconds).
LAGS = [200, 500]
# Quiet applies at most: the first and up to two reruns after lost creates.
QUIET_RUNS = 3
# What apply says of a create it did not send again (Applier.notRepeated).
NOT_REPEATED = "it was not sent again, since a second create could make a second pool"
REPORT_LINE = re.compile(
    r"^  [✓✗-] \S+(?: \S+)? (?P<action>[a-z-]+): (?P<status>converged|NOT converged|skipped)(?: \(senders [^)]*\))?$",
    re.MULTILINE)


def seed_text(rng):
    """The inventory and a few foreign pools, some holding senders."""
    pools = []
    for i in range(FOREIGN):
        members = sorted(rng.sample(range(INVENTORY), rng.randint(0, 4)))
        senders = ", ".join(sender_id(m) for m in members)
        pools.append(f"  - {{name: foreign-{i}, tags: {{team: other{i % 3}}}, senders: [{senders}]}}")
    return inventory(INVENTORY, "pools:\n" + "\n".join(pools) + "\n")


def random_version(rng):
    """A manifest version: 3-8 of KEYS, each with a name, tags and members."""
    keys = sorted(rng.sample(KEYS, rng.randint(3, len(KEYS))))
    version = {}
    for key in keys:
        members = sorted(rng.sample(range(INVENTORY), rng.randint(0, 25)))
        tags = {"team": rng.choice(["sales", "ops", "support"])}
        if rng.random() < 0.5:
            tags["tier"] = rng.choice(["gold", "silver"])
        version[key] = {"name": f"{key} {rng.choice(['alpha', 'beta', 'gamma'])}", "tags": tags, "senders": members}
    return version


def write_version(directory, version):
    os.makedirs(directory, exist_ok=True)
    text = f"apiVersion: poolctl/v1\nstack: {STACK}\nprune: true\npools:\n"
    for key, pool in version.items():
        text += f"  {key}:\n    name: {pool['name']}\n"
        text += "    tags: {" + ", ".join(f"{k}: {v}" for k, v in sorted(pool["tags"].items())) + "}\n"
        text += "    senders: [" + ", ".join(sender_id(m) for m in pool["senders"]) + "]\n"
    with open(os.path.join(directory, "pools.yaml"), "w") as f:
        f.write(text)
    return directory


def faults(rng, seed):
    """A random mix of the emulator's faults, and a label for the report."""
    flags = ["--operation-delay", str(rng.choice([20, 50, 150])), "--random-seed", str(seed)]
    label = []
    if rng.random() < 0.7:
        flags += ["--error-rate", "0.1"]
        label.append("5xx")
    if rng.random() < 0.7:
        flags += ["--reset-after-write-rate", "0.1"]
        label.append("reset")
    if rng.random() < 0.4:
        flags += ["--rate-limit", str(rng.choice([100, 300]))]
        label.append("rate")
    if rng.random() < 0.6:
        flags += ["--behavior", "paging=offset", "--behavior", f"max-page-size={rng.choice([4, 6, 8])}",
                  "--background-writes", str(rng.choice([0.5, 1, 2]))]
        label.append("offset+bg")
    if rng.random() < 0.5:
        flags += ["--behavior", f"list-lag={rng.choice(LAGS)}"]
        label.append("lag")
    if rng.random() < 0.5:
        flags += ["--behavior", "create-visibility=after-completion"]
        label.append("late")
    return flags, "+".join(label) or "none"


def lock_ttl(flags):
    """LOCK_TTL, or 30 s under seconds of list lag: the lease waits for its own
    pool to be listed within 3/4 of the write time its TTL leaves."""
    lags = [int(f.split("=")[1]) for f in flags if f.startswith("list-lag=")]
    return "30s" if lags and max(lags) >= 1000 else LOCK_TTL


def start_apply(emu, directory, ttl=LOCK_TTL):
    return subprocess.Popen(
        [test_cli.BIN, "apply", directory, "--auto-approve", "--allow-destructive", "--lock-timeout", "2m",
         "--lock-ttl", ttl, "--timeout", "3m"],
        env=emu.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def ownership(tags):
    """(stack, key) of a pool's ownership tag, or None."""
    parts = (tags or {}).get("poolctl", "").split("~")
    return (parts[1], parts[2]) if len(parts) >= 3 and parts[0] == "v1" else None


def lease_stack(tags):
    parts = (tags or {}).get(LEASE_TAG, "").split("~")
    return parts[1] if len(parts) == 4 and parts[0] == "v1" else None


def belongs(tags):
    o = ownership(tags)
    return (o is not None and o[0] == STACK) or lease_stack(tags) == STACK


def check_writes(writes, droppable):
    """The write-log invariants; returns a list of violations."""
    problems = []
    # Live pools of each ownership key, replayed from the log (the seed has none).
    carriers = {}
    for w in writes:
        if w["actor"] != "client":
            continue
        endpoint, before, after = w["endpoint"], w.get("tagsBefore"), w.get("tagsAfter")
        if w["method"] == "POST" and endpoint == "POST /v1/SenderPools":
            if not belongs(after):
                problems.append(f"write {w['seq']}: a create without this stack's ownership or lease tag: {after}")
        elif not belongs(before):
            problems.append(f"write {w['seq']}: {endpoint} on {w.get('poolId')}, a pool outside the stack (tags before: {before})")
        key_before = ownership(before)
        if endpoint == "DELETE /v1/SenderPools/{senderPoolId}" and key_before and key_before[0] == STACK:
            others = carriers.get(key_before[1], set()) - {w["poolId"]}
            if key_before[1] not in droppable and not others:
                problems.append(f"write {w['seq']}: deleted {w['poolId']}, the only pool of declared key {key_before[1]}")
        # Replay: who carries which key after this write.
        if key_before and key_before[0] == STACK:
            carriers.get(key_before[1], set()).discard(w.get("poolId"))
        key_after = ownership(after) if endpoint != "DELETE /v1/SenderPools/{senderPoolId}" else None
        if key_after and key_after[0] == STACK and w.get("poolId"):
            carriers.setdefault(key_after[1], set()).add(w["poolId"])
    return problems


def check_final(state, version):
    problems = []
    owned = {}
    for p in state["pools"]:
        o = ownership(p["tags"])
        if o and o[0] == STACK:
            owned.setdefault(o[1], []).append(p)
    if sorted(owned) != sorted(version):
        problems.append(f"owned keys {sorted(owned)}, expected {sorted(version)}")
    for key, want in version.items():
        pools = owned.get(key, [])
        if len(pools) != 1:
            problems.append(f"{key}: {len(pools)} live pools")
            continue
        live = pools[0]
        tags = dict(want["tags"], poolctl=f"v1~{STACK}~{key}")
        # The fingerprint (issue 21) is not a user tag; a killed apply may not have written it.
        user = {k: v for k, v in live["tags"].items() if k != "poolctl-applied"}
        if live["name"] != want["name"] or user != tags:
            problems.append(f"{key}: name/tags {live['name']!r} {live['tags']}, expected {want['name']!r} {tags}")
        members = sorted(sender_id(m) for m in want["senders"])
        if sorted(live["senders"]) != members:
            problems.append(f"{key}: {len(live['senders'])} members, expected {len(members)}")
    leases = [p["id"] for p in state["pools"] if lease_stack(p["tags"]) == STACK]
    if leases:
        problems.append(f"leases left: {leases}")
    return problems


STATS = {"applies": 0, "killed": 0, "reruns": 0, "exit": {}}


def only_lost_creates(code, out):
    """Exit 3, and each pool left unconverged is a lost create not sent again."""
    # The report's pool lines: "  ✗ KEY [ID] ACTION: NOT converged [(senders …)]", "  - KEY … : skipped …".
    left = [m for m in REPORT_LINE.finditer(out) if m.group("status") != "converged"]
    creates = [m for m in left if m.group("action") == "create" and m.group("status") == "NOT converged"]
    lost = sum(1 for line in out.splitlines() if line.startswith("      error: ") and NOT_REPEATED in line)
    return code == 3 and left and len(creates) == len(left) and lost == len(left)


def schedule(number, seed):
    rng = random.Random(seed)
    flags, label = faults(rng, seed)
    versions = [random_version(rng) for _ in range(rng.randint(1, 3))]
    work = tempfile.mkdtemp(prefix="poolctl-soak-")
    dirs = [write_version(os.path.join(work, f"v{i}"), v) for i, v in enumerate(versions)]
    emu = Emulator(seed_text(rng), *flags)
    applied = set()
    try:
        # Chaos: 1-4 concurrent applies of random versions, some SIGKILLed.
        runs = []
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(versions))
            applied.add(i)
            kill_at = rng.uniform(0.05, 2.0) if rng.random() < 0.3 else None
            runs.append((start_apply(emu, dirs[i], lock_ttl(flags)), kill_at, time.monotonic()))
        for proc, kill_at, started in runs:
            if kill_at is not None:
                remaining = kill_at - (time.monotonic() - started)
                try:
                    proc.wait(timeout=max(0.0, remaining))
                except subprocess.TimeoutExpired:
                    proc.send_signal(signal.SIGKILL)
                    STATS["killed"] += 1
        for proc, _, _ in runs:
            out, _ = proc.communicate(timeout=400)
            STATS["applies"] += 1
            STATS["exit"][proc.returncode] = STATS["exit"].get(proc.returncode, 0) + 1
        # Quiet: one apply, nothing else running, faults still on.
        final = rng.randrange(len(versions))
        applied.add(final)
        for _ in range(QUIET_RUNS):
            quiet = start_apply(emu, dirs[final], lock_ttl(flags))
            out, _ = quiet.communicate(timeout=400)
            STATS["applies"] += 1
            STATS["exit"][quiet.returncode] = STATS["exit"].get(quiet.returncode, 0) + 1
            if not only_lost_creates(quiet.returncode, out):
                break
            STATS["reruns"] += 1
        # A key is droppable when some version applied here lacks it.
        droppable = {k for k in KEYS if any(k not in versions[i] for i in applied)}
        problems = check_writes(emu.get("/_emulator/writes")["writes"], droppable)
        if quiet.returncode != 0:
            problems.append(f"the quiet apply exited {quiet.returncode}:\n{out[-3000:]}")
        else:
            problems += check_final(emu.state(), versions[final])
        assert not problems, f"schedule {number} (seed {seed}, faults {label}):\n  " + "\n  ".join(problems)
    finally:
        emu.stop()


def sequential(count, seed):
    """`count` sequential applies of a 20-pool stack, alternating two versions,
    under 10% 500/503 and 10% resets after writes: every one exits 0 and none
    leaves a lease; no client write outside the stack."""
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="poolctl-soak-seq-")
    keys = [f"k{i:02d}" for i in range(20)]
    versions = []
    for v in range(2):
        version = {k: {"name": f"{k} v{v}", "tags": {"team": f"v{v}"}, "senders": sorted(rng.sample(range(INVENTORY), 5))}
                   for k in keys}
        versions.append((version, write_version(os.path.join(work, f"v{v}"), version)))
    emu = Emulator(seed_text(rng), "--operation-delay", "20", "--error-rate", "0.1", "--reset-after-write-rate", "0.1",
                   "--random-seed", str(seed))
    try:
        codes, problems = [], []
        for i in range(count):
            proc = start_apply(emu, versions[i % 2][1])
            out, _ = proc.communicate(timeout=400)
            codes.append(proc.returncode)
            leases = [p["id"] for p in emu.state()["pools"] if lease_stack(p["tags"]) == STACK]
            if proc.returncode != 0 or leases:
                log = os.path.join(work, f"apply-{i}.log")
                with open(log, "w") as f:
                    f.write(out)
                problems.append(f"apply {i}: exit {proc.returncode}, leases left {leases} (whole output: {log})\n{out[-2000:]}")
        problems += check_writes(emu.get("/_emulator/writes")["writes"], set())
        if not problems:
            problems += check_final(emu.state(), versions[(count - 1) % 2][0])
        print(f"soak: {count} sequential applies under 10% 5xx + 10% resets: exit codes {codes}")
        assert not problems, f"sequential (seed {seed}):\n  " + "\n  ".join(problems)
    finally:
        emu.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary", nargs="?")
    parser.add_argument("--schedules", type=int, default=int(os.environ.get("SOAK_SCHEDULES", "3")))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--sequential", type=int, default=0, help="also run N sequential applies under faults")
    parser.add_argument("--lags", default=None, help="list lags to draw from, in ms, e.g. 200,500,3000")
    args = parser.parse_args()
    if args.binary:
        test_cli.BIN = os.path.abspath(args.binary)
    if args.lags:
        LAGS[:] = [int(x) for x in args.lags.split(",")]
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    print(f"soak: seed {seed}, {args.schedules} schedules (replay: test_soak.py BIN --seed {seed} --schedules {args.schedules})",
          flush=True)
    master = random.Random(seed)
    tests = []
    for n in range(args.schedules):
        s = master.randrange(1, 2**31)

        def run(n=n, s=s):
            schedule(n, s)
        run.__name__ = f"schedule_{n}_seed_{s}"
        tests.append(run)
    if args.sequential:
        s = master.randrange(1, 2**31)

        def run_sequential(s=s):
            sequential(args.sequential, s)
        run_sequential.__name__ = f"sequential_{args.sequential}_applies_under_faults_seed_{s}"
        tests.append(run_sequential)
    try:
        # One schedule at a time: its kill times are wall-clock, and schedules side by side would shift one another's.
        run_tests(tests, jobs=1)
    finally:
        print(f"soak: seed {seed}; {STATS['applies']} applies, {STATS['killed']} killed, "
              f"{STATS['reruns']} quiet reruns after lost creates, exit codes "
              + json.dumps({str(k): v for k, v in sorted(STATS['exit'].items(), key=lambda kv: str(kv[0]))}))


if __name__ == "__main__":
    main()
