#!/usr/bin/env python3
"""Policies end to end (issue 21): the binary against `poolctl emulator` on
127.0.0.1. `validate --format sarif` and `plan --sarif FILE` write SARIF that
passes the SARIF 2.1.0 schema, with one result per violation, `ruleId` the
rule's id and the manifest line; a plan the policy blocks exits 1, and
`apply --policy` then changes no pool.

Tests/schema/sarif-schema-2.1.0.json is the OASIS SARIF 2.1.0 schema, copied
from github.com/oasis-tcs/sarif-spec (sarif-2.1/schema/sarif-schema-2.1.0.json
at e058381), so that a clean clone checks against it offline.

Usage: test_policy.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import json
import os
import subprocess
import sys
import tempfile

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import BIN, Emulator, inventory, manifest, registry, run_tests, sender_id  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SARIF = jsonschema.Draft4Validator(json.load(open(os.path.join(ROOT, "Tests", "schema", "sarif-schema-2.1.0.json"))))
TESTS, test = registry()

POLICY = """apiVersion: poolctl/v1
kind: Policy
rules:
  - id: owner-tag
    description: Every pool names its owner.
    require:
      tags: {owner: .+}
  - id: few-removals
    severity: warning
    limit: {removeSenders: 1}
"""


def schema_errors(document):
    return [e.message for e in SARIF.iter_errors(document)]


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


@test
def validate_writes_sarif_that_passes_the_schema():
    work = tempfile.mkdtemp()
    m = manifest(os.path.join(work, "m"), "pol", {"a": [sender_id(0)], "b": [sender_id(1)]})
    policy = write(os.path.join(work, "policy.yaml"), POLICY)
    p = subprocess.run([BIN, "validate", m, "--policy", policy, "--format", "sarif"], capture_output=True, text=True, cwd=work)
    assert p.returncode == 1, p
    sarif = json.loads(p.stdout)
    assert schema_errors(sarif) == [], schema_errors(sarif)[:5]
    run = sarif["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["owner-tag", "few-removals"], run["tool"]
    results = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in run["results"]]
    assert results == [("owner-tag", "error", 5), ("owner-tag", "error", 8)], results
    related = run["results"][0]["relatedLocations"][0]["physicalLocation"]
    assert related["artifactLocation"]["uri"].endswith("policy.yaml") and related["region"]["startLine"] == 4, related
    # Manifest problems are results too, under the rule 'poolctl/manifest' (a policy rule id holds no slash).
    write(os.path.join(m, "pools.yaml"), "apiVersion: poolctl/v1\nstack: pol\npools:\n  a: {senders: [nope]}\n")
    bad = subprocess.run([BIN, "validate", m, "--format", "sarif"], capture_output=True, text=True)
    sarif = json.loads(bad.stdout)
    assert bad.returncode == 1 and schema_errors(sarif) == [], bad
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} == {"poolctl/manifest"}, sarif
    # A file that cannot be read: a location with the file and no region, still valid SARIF.
    os.symlink(os.path.join(work, "nowhere"), os.path.join(m, "gone.yaml"))
    gone = subprocess.run([BIN, "validate", m, "--format", "sarif"], capture_output=True, text=True)
    sarif = json.loads(gone.stdout)
    assert gone.returncode == 1 and schema_errors(sarif) == [], gone
    located = [r["locations"][0]["physicalLocation"] for r in sarif["runs"][0]["results"] if "symbolic link" in r["message"]["text"]]
    assert len(located) == 1 and located[0]["artifactLocation"]["uri"].endswith("gone.yaml") and "region" not in located[0], located


@test
def plan_writes_sarif_beside_the_plan_and_apply_refuses_what_the_policy_blocks():
    keys = {"a": [sender_id(0), sender_id(1), sender_id(2)]}
    seed = inventory(5, "pools:\n  - {name: a, tags: {poolctl: v1~pol~a, team: e2e, owner: ops}, senders: ["
                     + ", ".join(keys["a"]) + "]}\n")
    emu = Emulator(seed)
    try:
        work = tempfile.mkdtemp()
        m = manifest(os.path.join(work, "m"), "pol", {"a": [sender_id(0)]})
        text = open(os.path.join(m, "pools.yaml")).read().replace("tags: {team: e2e}", "tags: {team: e2e, owner: ops}")
        write(os.path.join(m, "pools.yaml"), text)
        policy = write(os.path.join(work, "policy.yaml"), POLICY.replace("    severity: warning\n", ""))
        out = os.path.join(work, "policy.sarif")
        p = emu.run("plan", m, "--policy", policy, "--sarif", out, "--format", "json")
        assert p.returncode == 1, (p.returncode, p.stdout[-1500:], p.stderr[-1500:])
        assert json.loads(p.stdout)["summary"]["removeSenders"] == 2, "the blocked plan is shown"
        sarif = json.load(open(out))
        assert schema_errors(sarif) == [], schema_errors(sarif)[:5]
        results = sarif["runs"][0]["results"]
        assert [(r["ruleId"], r["level"]) for r in results] == [("few-removals", "error")], results
        before = emu.state()
        a = emu.run("apply", m, "--policy", policy, "--auto-approve")
        assert a.returncode == 1 and "the policy blocked this plan" in a.stderr, a
        after = emu.state()
        pools = lambda s: sorted((p["name"], tuple(sorted(p["senders"]))) for p in s["pools"])
        assert pools(after) == pools(before), "apply changed a pool"
        lifted = emu.run("apply", m, "--policy", policy, "--allow-policy", "few-removals", "--auto-approve")
        assert lifted.returncode == 0, lifted
    finally:
        emu.stop()


if __name__ == "__main__":
    run_tests(TESTS)
