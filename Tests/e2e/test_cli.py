#!/usr/bin/env python3
"""End-to-end tests: the poolctl binary against `poolctl emulator` on a real
socket (127.0.0.1, port 0). Covers plan's call count against the minimum,
every exit code, saved and stale plans, partial failures, faults, kill and
rerun, and secret redaction.

Usage: test_cli.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import concurrent.futures
import io
import json
import os
import signal
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/poolctl"))
TOKEN = "e2e-very-secret-token-4242"
CROCK = "0123456789abcdefghjkmnpqrstvwxyz"


def sender_id(n):
    d = ""
    for _ in range(8):
        d = CROCK[n % 32] + d
        n //= 32
    return "comms_sender_01jd8a7k2m3n4p5q6r" + d


class Emulator:
    def __init__(self, seed_text, *flags):
        self.dir = tempfile.mkdtemp(prefix="poolctl-e2e-")
        self.seed = os.path.join(self.dir, "seed.yaml")
        with open(self.seed, "w") as f:
            f.write(seed_text)
        self.proc = subprocess.Popen(
            [BIN, "emulator", "--port", "0", "--seed", self.seed, *flags],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"emulator did not start: {line!r} {self.proc.stderr.read()}")
        self.url = line

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as r:
            return json.loads(r.read())

    def state(self):
        return self.get("/_emulator/state")

    def requests(self):
        return self.get("/_emulator/requests")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return self.proc.returncode

    def env(self):
        env = dict(os.environ)
        for k in ("TWILIO_API_KEY", "TWILIO_API_SECRET", "GITHUB_ACTIONS", "NO_COLOR"):
            env.pop(k, None)
        env.update(POOLCTL_API_URL=self.url, TWILIO_ACCOUNT_SID="ACe2e", TWILIO_AUTH_TOKEN=TOKEN)
        return env

    def run(self, *args, timeout=300):
        p = subprocess.run([BIN, *args], env=self.env(), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        assert TOKEN not in p.stdout and TOKEN not in p.stderr, "the auth token leaked into output"
        return p


def inventory(n, extra=""):
    lines = ["senders:"]
    for i in range(n):
        lines.append(f"  - {{id: {sender_id(i)}, address: \"+1415{i:07d}\", channel: SMS, status: ACTIVATED, displayName: null, tags: {{}}}}")
    return "\n".join(lines) + "\n" + extra


def manifest(dirname, stack, pools, prune=False):
    os.makedirs(dirname, exist_ok=True)
    text = f"apiVersion: poolctl/v1\nstack: {stack}\nprune: {'true' if prune else 'false'}\npools:\n"
    for key, senders in pools.items():
        text += f"  {key}:\n    tags: {{team: e2e}}\n    senders: [{', '.join(senders)}]\n"
    with open(os.path.join(dirname, "pools.yaml"), "w") as f:
        f.write(text)
    return dirname


def one_pool_per_key(state, stack, keys):
    for key in keys:
        owners = [p for p in state["pools"] if p["tags"].get("poolctl", "").split("~")[1:3] == [stack, key]]
        assert len(owners) == 1, f"{key}: {len(owners)} live pools"


def registry():
    """A script's list of tests and the decorator that adds to it."""
    tests = []

    def test(fn):
        tests.append(fn)
        return fn
    return tests, test


TESTS, test = registry()


@test
def plan_reads_with_the_minimum_number_of_calls():
    # 1,203 pools (2 pages); owned: one with 2,100 members (3 pages), one with 5, one empty.
    pools = "pools:\n"
    pools += f"  - {{name: big, tags: {{poolctl: v1~calls~big}}, senders: [{', '.join(sender_id(i) for i in range(2100))}]}}\n"
    pools += f"  - {{name: small, tags: {{poolctl: v1~calls~small}}, senders: [{', '.join(sender_id(i) for i in range(5))}]}}\n"
    pools += "  - {name: empty, tags: {poolctl: v1~calls~empty}, senders: []}\n"
    for i in range(1200):
        pools += f"  - {{name: unrelated {i}, tags: {{team: other}}, senders: []}}\n"
    emu = Emulator(inventory(2200, pools))
    try:
        d = tempfile.mkdtemp()
        m = manifest(d + "/m", "calls", {"big": [sender_id(i) for i in range(2100)], "small": [sender_id(i) for i in range(5)], "empty": []})
        before = emu.requests()["total"]
        p = emu.run("plan", m, "--format", "json")
        assert p.returncode == 0, p.stderr
        after = emu.requests()
        minimum = 2 + 3 + 1 + 1
        assert after["total"] - before == minimum, f"{after['total'] - before} calls, minimum {minimum}: {after['byEndpoint']}"
        doc = json.loads(p.stdout)
        s = doc["summary"]
        assert doc["formatVersion"] == 3 and (s["create"], s["addSenders"], s["removeSenders"], s["update"]) == (0, 0, 0, 3), s
    finally:
        emu.stop()


@test
def exit_codes_plan_apply_plan():
    emu = Emulator(inventory(10))
    try:
        d = tempfile.mkdtemp()
        m = manifest(d + "/m", "codes", {"a": [sender_id(0), sender_id(1)], "b": [sender_id(2)]})
        p = emu.run("plan", m, "--detailed-exitcode")
        assert p.returncode == 2, (p.returncode, p.stderr)
        assert "Plan: 2 to create, 0 to update, 0 to delete; senders +3 -0;" in p.stdout, p.stdout
        p = emu.run("apply", m)
        assert p.returncode == 1 and "--auto-approve" in p.stderr, (p.returncode, p.stderr)
        assert emu.state()["pools"] == [], "apply without approval wrote something"
        p = emu.run("apply", m, "--auto-approve", "--format", "json")
        assert p.returncode == 0, p.stdout + p.stderr
        report = json.loads(p.stdout)
        assert report["formatVersion"] == 1 and report["outcome"] == "converged", report
        p = emu.run("plan", m, "--detailed-exitcode")
        assert p.returncode == 0, p.stdout
        one_pool_per_key(emu.state(), "codes", ["a", "b"])
        p = emu.run("validate", "/nonexistent")
        assert p.returncode == 1
        p = emu.run("plan", "--no-such-flag", m)
        assert p.returncode == 1
    finally:
        emu.stop()


@test
def saved_plan_show_and_stale_refusal():
    emu = Emulator(inventory(10))
    try:
        d = tempfile.mkdtemp()
        m = manifest(d + "/m", "saved", {"a": [sender_id(0)]})
        assert emu.run("apply", m, "--auto-approve").returncode == 0
        m = manifest(d + "/m", "saved", {"a": [sender_id(0), sender_id(1)]})
        plan_file = d + "/plan.json"
        p = emu.run("plan", m, "--out", plan_file)
        assert p.returncode == 0 and os.path.exists(plan_file), p.stderr
        assert TOKEN not in open(plan_file).read()
        # show needs no API and no credentials.
        env = {"PATH": os.environ.get("PATH", "")}
        for fmt in ("text", "json", "markdown"):
            s = subprocess.run([BIN, "show", plan_file, "--format", fmt], env=env, capture_output=True, text=True)
            assert s.returncode == 0, s.stderr
        s = subprocess.run([BIN, "show", plan_file], env=env, capture_output=True, text=True)
        assert s.stdout == p.stdout, "show differs from plan"
        # Someone changes the pool: the saved plan is stale, and nothing is written.
        m2 = manifest(d + "/m2", "saved", {"a": [sender_id(0), sender_id(5)]})
        assert emu.run("apply", m2, "--auto-approve").returncode == 0
        writes_before = {k: v for k, v in emu.requests()["byEndpoint"].items() if not k.startswith("GET")}
        state_before = emu.state()
        p = emu.run("apply", plan_file, "--auto-approve")
        assert p.returncode == 4, (p.returncode, p.stdout, p.stderr)
        assert "stale" in p.stderr and "members 2 -> 2" not in p.stderr, p.stderr
        writes_after = {k: v for k, v in emu.requests()["byEndpoint"].items() if not k.startswith("GET")}
        # The check runs under the stack lease: its own create and delete are the only writes.
        lease = {"POST /v1/SenderPools": 1, "DELETE /v1/SenderPools/{senderPoolId}": 1}
        delta = {k: writes_after.get(k, 0) - writes_before.get(k, 0) for k in set(writes_after) | set(writes_before)}
        assert {k: v for k, v in delta.items() if v} == lease, f"a stale plan wrote something: {delta}"
        assert emu.state() == state_before, "a stale plan changed a pool"
        # A fresh plan applies with no terminal and no flag: the saved plan is the review.
        p = emu.run("plan", m, "--out", plan_file)
        p = emu.run("apply", plan_file)
        assert p.returncode == 0 and "converged" in p.stdout + p.stderr, (p.returncode, p.stdout, p.stderr)
        assert emu.run("plan", m, "--detailed-exitcode").returncode == 0
        # On a terminal too, a saved plan asks nothing.
        m3 = manifest(d + "/m3", "saved", {"a": [sender_id(0), sender_id(1), sender_id(2)]})
        assert emu.run("plan", m3, "--out", plan_file).returncode == 0
        code, out, answered = run_on_tty(emu, ["apply", plan_file], "yes")
        assert code == 0 and not answered and "Only 'yes'" not in out, (code, out)
        assert emu.run("plan", m3, "--detailed-exitcode").returncode == 0
    finally:
        emu.stop()


@test
def partial_failures_exit_3_and_the_next_plan_picks_up():
    emu = Emulator(inventory(5))
    try:
        d = tempfile.mkdtemp()
        unknown = sender_id(4000)  # well-formed, not in the inventory: counted as failed
        m = manifest(d + "/m", "partial", {"good": [sender_id(0)], "bad": [sender_id(1), unknown]})
        p = emu.run("apply", m, "--auto-approve")
        assert p.returncode == 3, (p.returncode, p.stdout, p.stderr)
        assert "good" in p.stdout and "NOT converged" in p.stdout and "1 sender is not a member: " + unknown in p.stdout, p.stdout
        p = emu.run("plan", m, "--detailed-exitcode")
        assert p.returncode == 2 and unknown in p.stdout, p.stdout
        one_pool_per_key(emu.state(), "partial", ["good", "bad"])
    finally:
        emu.stop()
    emu = Emulator(inventory(5), "--cancel-rate", "1", "--random-seed", "7")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "cancel", {"a": [sender_id(0)]})
        p = emu.run("apply", m, "--auto-approve", "--format", "json")
        assert p.returncode == 3, (p.returncode, p.stderr)
        report = json.loads(p.stdout)
        assert report["outcome"] == "partial" and report["pools"][0]["operations"][0]["status"] == "CANCELED", report
    finally:
        emu.stop()
    # Operations that outlive --timeout: each pool's report still names its create's
    # operation, as last polled (it used to list none). No lease: its own create would
    # outlive it too.
    emu = Emulator(inventory(5), "--operation-delay", "600000")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "slow", {"a": [sender_id(0)], "b": [sender_id(1)]})
        p = emu.run("apply", m, "--auto-approve", "--timeout", "4s", "--lock=false", "--format", "json")
        assert p.returncode == 3, (p.returncode, p.stderr[-600:])
        report = json.loads(p.stdout)
        for pool in report["pools"]:
            [operation] = pool["operations"]
            assert operation["kind"] == "create" and operation["status"] == "PROCESSING" and operation["polls"] >= 1, pool
    finally:
        emu.stop()


@test
def faults_still_converge_with_one_pool_per_key():
    keys = {f"pool-{i:02d}": [sender_id(i * 3 + j) for j in range(3)] for i in range(20)}
    for flags in (["--error-rate", "0.1"], ["--reset-after-write-rate", "0.1"], ["--rate-limit", "50"]):
        emu = Emulator(inventory(100), *flags, "--random-seed", "11", "--operation-delay", "50")
        try:
            m = manifest(tempfile.mkdtemp() + "/m", "faults", keys)
            codes = []
            for _ in range(4):
                p = emu.run("apply", m, "--auto-approve")
                codes.append(p.returncode)
                if p.returncode == 0:
                    break
            assert codes[-1] == 0, f"{flags}: exit codes {codes}: {p.stdout[-2000:]} {p.stderr[-2000:]}"
            one_pool_per_key(emu.state(), "faults", keys)
            p = emu.run("plan", m, "--detailed-exitcode")
            assert p.returncode == 0, f"{flags}: {p.stdout}"
        finally:
            emu.stop()


def at_most_one_pool_per_key(state, stack):
    keys = [p["tags"].get("poolctl", "").split("~")[2] for p in state["pools"]
            if p["tags"].get("poolctl", "").split("~")[1:2] == [stack]]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    assert not twice, f"two live pools for {twice}"


@test
def a_lost_create_is_never_sent_twice_when_its_pool_shows_late():
    """Audit of 7 Dec: with operations (or a list lag) longer than the 4 s look,
    half the create answers lost made up to 5 duplicates in one apply."""
    keys = {f"late-{i}": [sender_id(i * 2 + j) for j in range(2)] for i in range(4)}
    # Lists 5 s behind are covered by unit tests (UnknownCreateEvidenceTests): here each apply's lease would wait them out.
    for flags, applies in ((["--behavior", "create-visibility=after-completion", "--operation-delay", "4500"], 1),):
        emu = Emulator(inventory(20), *flags, "--reset-after-write-rate", "0.5", "--random-seed", "3")
        try:
            m = manifest(tempfile.mkdtemp() + "/m", "late", keys)
            codes = []
            for _ in range(applies):
                p = emu.run("apply", m, "--auto-approve")
                codes.append(p.returncode)
                at_most_one_pool_per_key(emu.state(), "late")
                if p.returncode == 0:
                    break
            # After completion: the operation is waited for and the pool found, so one run suffices.
            assert codes[-1] == 0, f"{flags}: exit codes {codes}: {p.stdout[-1500:]}"
            one_pool_per_key(emu.state(), "late", keys)
        finally:
            emu.stop()


@test
def apply_under_a_rate_limit_of_5_converges_in_one_run():
    keys = {f"r{i:02d}": [sender_id(i * 3 + j) for j in range(3)] for i in range(20)}
    emu = Emulator(inventory(80), "--rate-limit", "5", "--operation-delay", "300")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "rate", keys)
        p = emu.run("apply", m, "--auto-approve")
        assert p.returncode == 0, p.stdout[-1500:] + p.stderr[-1500:]
        one_pool_per_key(emu.state(), "rate", keys)
        statuses = emu.requests()["byStatus"]
        total = sum(statuses.values())
        # The scheduler prevents 429s rather than retrying them: beyond slow
        # start's one probe into the unknown limit (at most a window of
        # --parallelism, 16, in flight when the first 429 comes back), at
        # most 10% of the calls draw one.
        assert statuses.get("429", 0) <= 16 + 0.1 * total, statuses
        assert statuses.get("429", 0) < total / 2, statuses
        assert emu.run("plan", m, "--detailed-exitcode").returncode == 0
    finally:
        emu.stop()


@test
def kill_in_the_middle_then_rerun_converges():
    keys = {f"k-{i:02d}": [sender_id(i * 5 + j) for j in range(5)] for i in range(30)}
    emu = Emulator(inventory(200), "--operation-delay", "400", "--latency", "60")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "kill", keys)
        # A short lease TTL: the killed apply's lease is waited out below.
        proc = subprocess.Popen([BIN, "apply", m, "--auto-approve", "--parallelism", "1", "--lock-ttl", "3s"], env=emu.env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # An event, not a timer: kill once 5 of the 30 pools exist (one
        # request in flight, so the creates arrive one by one).
        wait_for(lambda: len([p for p in emu.state()["pools"] if "poolctl" in p["tags"]]) >= 5, "5 pools")
        proc.kill()
        proc.wait()
        partial = len([p for p in emu.state()["pools"] if "poolctl" in p["tags"]])
        assert 0 < partial < len(keys), f"kill landed at a boundary: {partial} pools"
        p = emu.run("apply", m, "--auto-approve", "--lock-timeout", "1m")
        assert p.returncode == 0, p.stdout + p.stderr
        one_pool_per_key(emu.state(), "kill", keys)
        state = {pl["tags"]["poolctl"].split("~")[2]: pl["senders"] for pl in emu.state()["pools"]}
        for key, senders in keys.items():
            assert state[key] == sorted(senders), key
    finally:
        emu.stop()


@test
def secrets_never_appear_with_debug():
    emu = Emulator(inventory(5), "--account-sid", "ACe2e", "--auth-token", TOKEN)
    try:
        d = tempfile.mkdtemp()
        m = manifest(d + "/m", "secret", {"a": [sender_id(0)]})
        p = emu.run("plan", m, "--debug", "--out", d + "/plan.json")
        assert p.returncode == 0 and "[REDACTED]" in p.stderr, p.stderr[-500:]
        assert TOKEN not in open(d + "/plan.json").read()
        env = emu.env()
        env["TWILIO_AUTH_TOKEN"] = "wrong-" + TOKEN
        p = subprocess.run([BIN, "plan", m], env=env, capture_output=True, text=True)
        assert p.returncode == 1 and "401" in p.stderr, p.stderr
        assert TOKEN not in p.stderr and TOKEN not in p.stdout
        env.pop("TWILIO_AUTH_TOKEN")
        p = subprocess.run([BIN, "plan", m], env=env, capture_output=True, text=True)
        assert p.returncode == 1 and "TWILIO_AUTH_TOKEN" in p.stderr, p.stderr
    finally:
        emu.stop()


@test
def every_fixture_case_plans_applies_and_plans_clean_over_a_socket():
    fixtures = os.path.join(ROOT, "Tests", "Fixtures", "plan")
    for case in sorted(os.listdir(fixtures)):
        directory = os.path.join(fixtures, case)
        emu = Emulator(open(os.path.join(directory, "seed.yaml")).read())
        try:
            ids = [p["id"] for p in emu.state()["pools"]]  # sorted by id = creation order
            work = tempfile.mkdtemp() + "/m"
            os.makedirs(work)
            for name in os.listdir(os.path.join(directory, "manifests")):
                text = open(os.path.join(directory, "manifests", name)).read()
                for index, pool_id in enumerate(ids):
                    text = text.replace("{{seed-pool-%d}}" % index, pool_id)
                open(os.path.join(work, name), "w").write(text)
            # options.json: the flags the golden plan is made with (--target, --exclude).
            flags = []
            options_path = os.path.join(directory, "options.json")
            if os.path.exists(options_path):
                options = json.load(open(options_path))
                flags += [f for key in options.get("targets", []) for f in ("--target", key)]
                flags += [f for key in options.get("excludes", []) for f in ("--exclude", key)]
            plan = emu.run("plan", work, "--format", "json", *flags)
            doc = json.loads(plan.stdout)
            if doc["guard"]["blocked"]:
                # Refused with nothing written; --allow-destructive applies it (test_guard.py covers the rest).
                assert plan.returncode == 1, (case, plan.returncode)
                before = emu.state()
                p = emu.run("apply", work, "--auto-approve", *flags)
                assert p.returncode == 1 and "destructive-change guard" in p.stderr and emu.state() == before, (case, p.stderr)
                flags.append("--allow-destructive")
            if doc["summary"]["conflicts"]:
                assert plan.returncode == 1, (case, plan.returncode)
                p = emu.run("apply", work, "--auto-approve")
                assert p.returncode == 1 and "conflicts" in p.stderr, (case, p.returncode, p.stderr)
                continue
            assert plan.returncode == (1 if doc["guard"]["blocked"] else 0), (case, plan.stderr)
            p = emu.run("apply", work, "--auto-approve", *flags)
            assert p.returncode == 0, (case, p.stdout[-3000:], p.stderr[-2000:])
            # A partial plan converges only its keys: plan them again, minus the ones it deleted.
            deleted = {c["key"] for c in doc["changes"] if c["action"] == "delete"}
            again = [f for i, f in enumerate(flags) if f not in deleted and not (f == "--target" and flags[i + 1] in deleted)]
            p = emu.run("plan", work, "--detailed-exitcode", *again)
            assert p.returncode == 0, (case, p.stdout)
        finally:
            emu.stop()


@test
def a_reader_that_goes_away_does_not_stop_an_apply():
    """`poolctl apply … | head -1`: the rest of the output is lost, but the
    apply runs to its end and releases its lease (it used to trap on EPIPE).
    A reader that stops early chose to: the exit code is the apply's."""
    emu = Emulator(inventory(20))
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "pipe", {f"k{i}": [sender_id(i)] for i in range(20)})
        proc = subprocess.Popen([BIN, "apply", m, "--auto-approve"], env=emu.env(), stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.readline()
        proc.stdout.close()  # the reader goes away while poolctl still has a plan and a report to print
        err = proc.stderr.read().decode()
        code = proc.wait(timeout=120)
        assert code == 0, (code, err)
        assert "could not all be written" not in err, err
        assert "Fatal error" not in err, err
        state = emu.state()
        one_pool_per_key(state, "pipe", [f"k{i}" for i in range(20)])
        assert not [p for p in state["pools"] if "poolctl-lease" in (p.get("tags") or {})], "the lease was left behind"
        # plan and validate too exit normally into a closed pipe.
        for args in (["plan", m], ["validate", m]):
            p = subprocess.run(f"'{BIN}' {' '.join(args)} | true", shell=True, env=emu.env(), capture_output=True, text=True)
            assert "Fatal error" not in p.stderr, p.stderr
    finally:
        emu.stop()


@test
def apply_reads_a_saved_plan_or_a_manifest_from_a_pipe():
    """A pipe named on the command line (`/dev/stdin`, `<(…)`) is read once:
    apply used to peek at it (saved plan or manifest?) and then found it
    empty. `--out /dev/stdout` into a reader that stops early is no failure."""
    emu = Emulator(inventory(10))
    try:
        d = tempfile.mkdtemp()
        m = manifest(d + "/m", "piped", {"a": [sender_id(0)], "b": [sender_id(1)]})
        sh = lambda command: subprocess.run(["bash", "-c", command], env=emu.env(), capture_output=True, text=True,
                                            stdin=subprocess.DEVNULL, timeout=120)
        p = sh(f"'{BIN}' plan '{m}' --out /dev/stdout | head -c 1; exit ${{PIPESTATUS[0]}}")
        assert p.returncode == 0, (p.returncode, p.stderr)
        p = emu.run("plan", m, "--out", d + "/plan.json")
        assert p.returncode == 0, p.stderr
        p = sh(f"cat '{d}/plan.json' | '{BIN}' apply /dev/stdin")
        assert p.returncode == 0, (p.returncode, p.stderr)
        one_pool_per_key(emu.state(), "piped", ["a", "b"])
        # The manifest through a pipe: read whole, with nothing left to change.
        p = sh(f"'{BIN}' apply <(cat '{m}/pools.yaml') --auto-approve")
        assert p.returncode == 0 and "No changes" in p.stdout, (p.returncode, p.stdout, p.stderr)
        # Its diagnostics quote the piped text.
        p = sh(f"'{BIN}' apply <(printf 'apiVersion: poolctl/v1\\nstack: piped\\npools:\\n  a: {{name: [}}\\n') --auto-approve")
        assert p.returncode == 1 and "a: {name: [}" in p.stderr, (p.returncode, p.stderr)
    finally:
        emu.stop()


def run_on_tty(emu, args, answer, interrupt=False):
    """Runs poolctl with a terminal as stdin/stdout and answers its prompt
    (or, with `interrupt`, sends SIGINT there instead)."""
    import pty
    import select
    master, slave = pty.openpty()
    proc = subprocess.Popen([BIN, *args], env=emu.env(), stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    out = b""
    answered = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if not answered and b"Only 'yes' is accepted" in out:
                if interrupt:
                    proc.send_signal(signal.SIGINT)
                else:
                    os.write(master, answer.encode() + b"\n")
                answered = True
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    return proc.returncode, out.decode(errors="replace"), answered


@test
def apply_without_a_terminal_or_auto_approve_writes_nothing():
    """It cannot ask, so it plans without the lease (reads only) and refuses
    at the prompt: no lease pool made and deleted, nothing written. With no
    change there is nothing to ask, and it succeeds, as before."""
    emu = Emulator(inventory(5))
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "notty", {"a": [sender_id(0)]})
        p = emu.run("apply", m)
        assert p.returncode == 1 and "there is no terminal to ask on" in p.stderr, (p.returncode, p.stderr)
        assert "no lease was taken" in p.stderr and "1 to create" in p.stdout, (p.stdout, p.stderr)
        assert emu.get("/_emulator/writes")["writes"] == [], "a refused apply wrote"
        assert emu.run("apply", m, "--auto-approve").returncode == 0
        p = emu.run("apply", m)
        assert p.returncode == 0 and "Nothing to apply" in p.stdout, (p.returncode, p.stdout, p.stderr)
    finally:
        emu.stop()


@test
def an_interrupt_at_the_prompt_writes_nothing_and_waits_for_no_grace():
    """SIGINT at the confirmation prompt releases the lease and exits: no
    write has begun, so there is no run to wait for. (With a 10-minute grace,
    waiting for a run that is blocked on the prompt would hang this test.)"""
    emu = Emulator(inventory(5))
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "prompt", {"a": [sender_id(0)]})
        code, out, asked = run_on_tty(emu, ["apply", m, "--signal-grace", "10m"], "", interrupt=True)
        assert asked and code == 128 + signal.SIGINT, (code, out)
        assert "released the lease of stack 'prompt'" in out and "made no report" not in out, out
        assert emu.state()["pools"] == [], "an interrupted prompt left a pool (or the lease)"
    finally:
        emu.stop()


@test
def apply_asks_on_a_terminal_and_only_yes_applies():
    emu = Emulator(inventory(5))
    try:
        m = manifest(tempfile.mkdtemp() + "/m", "tty", {"a": [sender_id(0)]})
        code, out, answered = run_on_tty(emu, ["apply", m], "no")
        assert answered and code == 1 and "cancelled" in out, (code, out)
        assert emu.state()["pools"] == [], "a refused apply wrote something"
        code, out, answered = run_on_tty(emu, ["apply", m], "yes")
        assert answered and code == 0 and "converged" in out, (code, out)
        # On a terminal the progress is a live status line.
        assert "[1/1 pools]" in out, out
        one_pool_per_key(emu.state(), "tty", ["a"])
    finally:
        emu.stop()


def wait_for(predicate, what, timeout=60):
    """Polls until `predicate` holds: an event, not a timer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


class _PerTestOutput:
    """sys.stdout while tests run side by side: what a test prints is kept
    with it and printed with its result, never interleaved with another's."""

    def __init__(self, real):
        self.real = real
        self.local = threading.local()

    def write(self, text):
        buffer = getattr(self.local, "buffer", None)
        return (buffer if buffer is not None else self.real).write(text)

    def flush(self):
        self.real.flush()


def run_tests(tests, label=lambda fn: fn.__name__, jobs=None):
    """Runs each test (E2E_ONLY=substring picks some), prints 'N passed, N
    failed' and exits 1 on any failure. Every e2e script ends here.

    Tests run E2E_JOBS at a time (default 4): each has its own emulator on
    its own port, and most of a test's time is spent waiting for operations
    and leases, not computing, so running them side by side shortens CI
    without loading the 2 cores much. E2E_JOBS=1 runs them one by one."""
    only = os.environ.get("E2E_ONLY")
    selected = [fn for fn in tests if not only or only in fn.__name__]
    jobs = max(1, jobs or int(os.environ.get("E2E_JOBS", "4")))
    results = {"passed": 0, "failed": 0}
    lock = threading.Lock()
    output = _PerTestOutput(sys.stdout)
    began = time.monotonic()

    def run_one(fn):
        output.local.buffer = io.StringIO()
        started = time.monotonic()
        try:
            fn()
            ok, trace = True, ""
        except Exception:
            ok, trace = False, traceback.format_exc()
        finally:
            kept, output.local.buffer = output.local.buffer.getvalue(), None
        with lock:
            results["passed" if ok else "failed"] += 1
            status = "ok  " if ok else "FAIL"
            output.real.write(f"{status} {label(fn)} ({time.monotonic() - started:.1f}s)\n{kept}{trace}")
            output.real.flush()

    sys.stdout = output
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    try:
        for future in [pool.submit(run_one, fn) for fn in selected]:
            future.result()
    except BaseException:
        # Ctrl-C: the queued tests must not start (the running ones end with their emulators).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        pool.shutdown(wait=True)
        sys.stdout = output.real
    print(f"took {time.monotonic() - began:.1f}s")
    print(f"{results['passed']} passed, {results['failed']} failed")
    sys.exit(1 if results["failed"] else 0)


if __name__ == "__main__":
    run_tests(TESTS)
