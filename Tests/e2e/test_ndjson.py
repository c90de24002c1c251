#!/usr/bin/env python3
"""`apply --log-format ndjson`, end to end: the binary against `poolctl
emulator` on 127.0.0.1 with a rate limit and injected 5xx, so that retries
happen. Every stderr line must be one JSON event of a documented type; the
pool results must match the plan; the credentials must appear nowhere.

Usage: test_ndjson.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import BIN, TOKEN, Emulator, inventory, manifest, registry, run_tests, sender_id  # noqa: E402

EVENTS = {"plan", "lease", "request", "retry", "operation-poll", "step", "pool-result", "apply-result",
          "diagnostic", "warning", "error"}
ENDPOINTS = {
    "GET /v1/SenderPools", "POST /v1/SenderPools", "GET /v1/SenderPools/{senderPoolId}",
    "PATCH /v1/SenderPools/{senderPoolId}", "DELETE /v1/SenderPools/{senderPoolId}",
    "GET /v1/SenderPools/{senderPoolId}/Senders", "POST /v1/SenderPools/{senderPoolId}/Senders",
    "DELETE /v1/SenderPools/{senderPoolId}/Senders/{senderId}", "GET /v1/SenderPools/Operations",
    "GET /v1/SenderPools/Operations/{operationId}",
    "GET /v1/SenderPools/{senderPoolId}/Senders/Operations/{operationId}", "GET /v1/Senders",
}
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
SID = "ACe2endjson"
STACK = "ndjson"


def events_of(stderr):
    """Every line of stderr as an event; fails on any line that is not one."""
    assert stderr.endswith("\n"), f"stderr does not end with a newline: {stderr[-200:]!r}"
    events = []
    # Split on "\n" only: str.splitlines() would also split inside a message on U+2028.
    for number, line in enumerate(stderr.split("\n")[:-1], 1):
        try:
            event = json.loads(line)
        except ValueError:
            raise AssertionError(f"stderr line {number} is not JSON: {line[:300]!r}")
        assert isinstance(event, dict), line
        assert event.get("v") == 1, line
        assert TIME.match(event.get("time", "")), line
        assert event.get("event") in EVENTS, line
        # Sorted keys, compact: the bytes are reproducible.
        assert line == json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False), line
        events.append(event)
    return events


def of(events, kind):
    return [e for e in events if e["event"] == kind]


def assert_no_secrets(*texts):
    basic = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    for text in texts:
        assert TOKEN not in text, "the auth token leaked"
        assert basic not in text, "the Basic credentials leaked"
        assert "Authorization" not in text and "authorization" not in text, "a header leaked"


def emulator(*flags):
    return Emulator(inventory(60, "pools:\n  - {name: old, tags: {poolctl: v1~ndjson~old}, senders: []}\n"),
                    "--account-sid", SID, "--auth-token", TOKEN, *flags)


def env_of(emu):
    env = emu.env()
    env["TWILIO_ACCOUNT_SID"] = SID
    return env


def run(emu, *args):
    return subprocess.run([BIN, *args], env=env_of(emu), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


TESTS, test = registry()


@test
def events_parse_and_match_the_plan_under_retries():
    keys = {f"p{i:02d}": [sender_id(i * 3 + j) for j in range(3)] for i in range(12)}
    emu = emulator("--rate-limit", "8", "--error-rate", "0.15", "--random-seed", "7", "--operation-delay", "100")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", STACK, keys, prune=True)
        planned = run(emu, "plan", m, "--format", "json")
        assert planned.returncode == 0, planned.stderr
        plan = json.loads(planned.stdout)
        changing = sorted(c["key"] for c in plan["changes"] if c["action"] != "no-change")
        assert "old" in changing and len(changing) == 13, changing
        before = emu.requests()["total"]

        p = run(emu, "apply", m, "--auto-approve", "--log-format", "ndjson")
        assert_no_secrets(p.stdout, p.stderr)
        events = events_of(p.stderr)
        kinds = {e["event"] for e in events}
        for kind in ("plan", "lease", "request", "retry", "operation-poll", "step", "pool-result", "apply-result"):
            assert kind in kinds, f"no {kind} event among {sorted(kinds)}"
        # stdout keeps the text plan and report. Retries absorb the 429s and
        # 5xx: the apply converges in one run.
        assert "Apply complete" in p.stdout, p.stdout[-500:]

        last = events[-1]
        assert last["event"] == "apply-result" and len(of(events, "apply-result")) == 1, last
        assert last["exitCode"] == p.returncode == 0, (p.returncode, last)
        assert last["outcome"] == "converged", last
        # Every request of the run is one line, and the server saw exactly those.
        requests = of(events, "request")
        assert last["apiCalls"] == len(requests) == emu.requests()["total"] - before, (last, len(requests))
        assert last["retries"] == len(of(events, "retry")), last

        summary = of(events, "plan")
        assert len(summary) == 1 and summary[0]["create"] == 12 and summary[0]["delete"] == 1, summary
        assert summary[0]["stack"] == STACK and summary[0]["source"] == "manifests", summary
        assert summary[0]["move"] == 0 and "targeting" not in summary[0], summary
        assert summary[0]["guard"] == {"blocked": False, "lifted": False, "violations": 0}, summary
        results = of(events, "pool-result")
        assert sorted(r["key"] for r in results) == changing, results
        for r in results:
            assert r["outcome"] in ("converged", "failed", "not-converged", "skipped"), r
            assert r["action"] == next(c["action"] for c in plan["changes"] if c["key"] == r["key"]), r
            if r["action"] == "create" and r["outcome"] == "converged":
                assert r["poolID"].startswith("comms_senderpool_") and r["operations"], r
        assert last["pools"] == 13 and last["converged"] == sum(r["outcome"] == "converged" for r in results), last

        for r in requests:
            assert r["endpoint"] in ENDPOINTS and r["method"] == r["endpoint"].split(" ")[0], r
            assert ("status" in r) != ("error" in r) and r["attempt"] >= 1 and r["durationMS"] >= 0, r
            assert set(r) <= {"v", "time", "event", "method", "endpoint", "poolID", "attempt", "status", "error",
                              "durationMS"}, r
        # The rate limit (8/s, under the client's starting 10/s) draws 429s; the
        # seeded error rate draws 5xx.
        statuses = {r.get("status") for r in requests}
        assert 429 in statuses and any(s and s >= 500 for s in statuses), statuses
        assert "429" in {r["reason"] for r in of(events, "retry")}, of(events, "retry")
        for r in of(events, "retry"):
            assert r["endpoint"] in ENDPOINTS and r["attempt"] >= 2 and r["delayMS"] >= 0, r
            assert r["reason"] in ("429", "5xx", "timeout", "connection"), r
        for poll in of(events, "operation-poll"):
            # An empty key is an operation of the lease, not of a pool.
            assert poll["via"] in ("listing", "fetch") and (poll["key"] in keys or poll["key"] == ""), poll
            assert poll["operationID"] and poll["status"], poll
        states = [e["state"] for e in of(events, "lease")]
        assert states[0] == "acquired" and states[-1] == "released", states
        # No sender id or query string reaches a request line.
        assert not any("comms_sender_" in json.dumps(r) or "?" in r["endpoint"] for r in requests)
    finally:
        emu.stop()


@test
def errors_are_events_and_stderr_stays_parseable():
    emu = emulator()
    try:
        d = tempfile.mkdtemp()
        m = manifest(d + "/m", STACK, {"a": [sender_id(0)]})
        env = env_of(emu)
        env["TWILIO_AUTH_TOKEN"] = "wrong-" + TOKEN
        p = subprocess.run([BIN, "apply", m, "--auto-approve", "--log-format", "ndjson"], env=env,
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert p.returncode == 1, p.stderr
        assert_no_secrets(p.stdout, p.stderr)
        events = events_of(p.stderr)
        errors = of(events, "error")
        assert len(errors) == 1 and "401" in errors[0]["message"] and errors[0]["exitCode"] == 1, errors
        assert events[-1]["event"] == "apply-result" and events[-1]["outcome"] == "error", events[-1]
        assert events[-1]["exitCode"] == 1 and events[-1]["stack"] == STACK, events[-1]
        assert any(e["event"] == "request" and e.get("status") == 401 for e in events), events

        with open(d + "/bad.yaml", "w") as f:
            f.write("apiVersion: poolctl/v1\nstack: ndjson\npools:\n  b:\n    tag: {x: y}\n")
        p = run(emu, "apply", d + "/bad.yaml", "--auto-approve", "--log-format", "ndjson")
        assert p.returncode == 1, p.stderr
        events = events_of(p.stderr)
        diagnostics = of(events, "diagnostic")
        assert diagnostics and diagnostics[0]["severity"] == "error" and diagnostics[0]["line"] == 5, diagnostics
        assert "tags" in diagnostics[0]["message"], diagnostics
        assert [e["event"] for e in events[-2:]] == ["error", "apply-result"], events
        assert not of(events, "request"), "an invalid manifest made a request"

        p = run(emu, "apply", m, "--log-format", "ndjson", "--debug")
        assert p.returncode == 1 and "--debug cannot be combined" in p.stderr, p.stderr
    finally:
        emu.stop()


@test
def an_interrupt_ends_the_stream_with_an_event():
    # Lease and pool creates each take 3 s: the interrupt lands while the pool is polled.
    emu = emulator("--operation-delay", "3000")
    try:
        m = manifest(tempfile.mkdtemp() + "/m", STACK, {"a": [sender_id(0)]})
        proc = subprocess.Popen([BIN, "apply", m, "--auto-approve", "--log-format", "ndjson"], env=env_of(emu),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL)
        # An event, not a timer: interrupt once the pool's create is being polled.
        lines = []
        while True:
            line = proc.stderr.readline()
            assert line, f"stderr ended early: {lines}"
            lines.append(line)
            if json.loads(line)["event"] == "operation-poll":
                break
        proc.send_signal(signal.SIGINT)
        out, rest = proc.communicate(timeout=60)
        assert proc.returncode == 130, (proc.returncode, rest)
        events = events_of("".join(lines) + rest)
        assert [e["event"] for e in events[-2:]] == ["error", "apply-result"], events[-3:]
        assert "released the lease of stack 'ndjson'" in events[-2]["message"], events[-2]
        assert events[-1]["outcome"] == "interrupted" and events[-1]["exitCode"] == 130, events[-1]
        # The run ended within the grace (it only read after the signal): its pools are logged, and counted.
        # Its create was written and ended; the fingerprint write after it was refused.
        [result] = [e for e in events if e["event"] == "pool-result"]
        assert result["key"] == "a" and result["outcome"] == "failed", result
        assert result["operations"][0]["status"] == "COMPLETED", result
        assert "apply was interrupted; no further write is made" in result["message"], result
        assert events[-1]["pools"] == 1 and events[-1]["converged"] == 0, events[-1]
        # stdout is as without ndjson: the report, as --format (text) says.
        assert "a " in out and "create: NOT converged" in out and "Apply PARTIAL" in out, out[-800:]
        assert_no_secrets(out, "".join(lines) + rest)
        assert not [p for p in emu.state()["pools"] if "poolctl-lease" in p["tags"]], "the lease was not released"
    finally:
        emu.stop()


if __name__ == "__main__":
    run_tests(TESTS)
