#!/usr/bin/env python3
"""`poolctl export` end to end: the binary against `poolctl emulator` on
127.0.0.1. 120 seeded pools (tricky names, two with the same name,
numeric-looking tag values, 0 to 1,500 members, 5 owned by another stack, 3
already owned by the target stack, 1 lease of another stack), then: export
makes the minimum calls and writes nothing; validate passes; plan shows only
adoptions; apply keeps every id, name and member and leaves other stacks
alone; plan is then clean; a second export plans clean and two exports are
byte-identical.

Usage: test_export.py [path/to/poolctl]. Prints 'N passed, N failed'."""
import json
import math
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import Emulator, inventory, registry, run_tests, sender_id  # noqa: E402

# PyYAML reads YAML 1.1, where yes/no/on/off are booleans: the reader an
# exported file must survive. Installed by `make deps`; without it the suite
# fails rather than skip the check.
import yaml  # noqa: E402

STACK = "acct"
TRICKY_NAMES = [
    "yes", "No", "on", "off", "null", "~", "true", "False", "1.0", "007", "0x1f", "1e3", ".5", "+1", "2024-01-01", "12:30",
    "- leading dash", "-dash", "# hash", "#hash", "&anchor", "*alias", "!tag", "|pipe", ">fold", "%pct", "@at", "`tick",
    "?q", ":colon", "[flow]", "{flow}", "key: value", "a #b", "trailing:", "trailing space ", " leading space",
    "it's", "'single'", "\"double\"", "back\\slash", "line\nbreak", "tab\there",
    "Café", "e\u0301 combining", "日本語のプール", "Ünïcödé – dash", "emoji 🎉", "\u00a0nbsp", "עברית",
    "Duplicate Name", "Duplicate Name", "Sales Leads - APAC", "sales leads apac", "x" * 256,
]
NUMERIC_VALUES = ["007", "1.0", "true", "yes", "null", "1e3", "0x1f", "-1", "~", "0"]


def member_count(i):
    fixed = [0, 1, 2, 999, 1000, 1001, 1500, 1499]
    return fixed[i] if i < len(fixed) else (i * 37) % 160


def seed_pools():
    """120 pools: 111 unowned, 5 of stack 'other', 3 of STACK, 1 lease of 'other'."""
    pools = []
    for i in range(111):
        name = TRICKY_NAMES[i] if i < len(TRICKY_NAMES) else f"Pool {i:03d}"
        tags = {"team": "t" + str(i % 3)}
        if i % 4 == 0:
            tags["v"] = NUMERIC_VALUES[i % len(NUMERIC_VALUES)]
        if i % 9 == 0:
            tags["n"] = NUMERIC_VALUES[(i // 9) % len(NUMERIC_VALUES)]
        pools.append({"name": name, "tags": tags, "senders": [sender_id((i + j) % 1600) for j in range(member_count(i))]})
    for i in range(5):
        pools.append({"name": f"Other {i}", "tags": {"poolctl": f"v1~other~k{i}", "team": "other"},
                      "senders": [sender_id(j) for j in range(i * 3)]})
    for i in range(3):
        value = f"v1~{STACK}~owned-{i}" + ("~protected" if i == 0 else "")
        pools.append({"name": f"Owned {i}", "tags": {"poolctl": value, "v": "1.0"}, "senders": [sender_id(j) for j in range(i * 700)]})
    pools.append({"name": "poolctl lease: other (host)", "tags": {"poolctl-lease": "v1~other~host~999999"}, "senders": []})
    assert len(pools) == 120
    return pools


def seed_text(pools):
    # JSON flow mappings are YAML; ensure_ascii=False keeps the UTF-8 text as is.
    return inventory(1600, "pools:\n" + "".join("  - " + json.dumps(p, ensure_ascii=False) + "\n" for p in pools))


def writes(requests):
    return {k: v for k, v in requests["byEndpoint"].items() if not k.startswith("GET")}


def delta(after, before):
    keys = set(after) | set(before)
    return {k: after.get(k, 0) - before.get(k, 0) for k in keys if after.get(k, 0) != before.get(k, 0)}


def read_dir(path):
    return {name: open(os.path.join(path, name), "rb").read() for name in sorted(os.listdir(path))}


def check_other_readers_agree(path, live_by_id):
    """Every file read with PyYAML (YAML 1.1) gives the live names and tag values as strings,
    and matches the editor schema (schema/manifest.schema.json)."""
    import jsonschema  # installed by `make deps`
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, "schema", "manifest.schema.json")) as f:
        schema = json.load(f)
    for name, data in read_dir(path).items():
        doc = yaml.safe_load(data.decode("utf-8"))
        jsonschema.validate(doc, schema)
        for key, pool in (doc.get("pools") or {}).items():
            assert isinstance(key, str), f"{name}: key {key!r} is not a string"
            if "adopt" not in pool:
                continue
            live = live_by_id[pool["adopt"]]
            assert pool["name"] == live["name"], f"{name}: name {pool['name']!r} != {live['name']!r}"
            user_tags = {k: v for k, v in live["tags"].items() if k != "poolctl"}
            assert pool.get("tags", {}) == user_tags, f"{name}: tags {pool.get('tags')!r} != {user_tags!r}"
            assert pool["senders"] == live["senders"], f"{name}: senders differ"


TESTS, test = registry()


@test
def export_validate_plan_apply_plan_export_round_trip():
    pools = seed_pools()
    emu = Emulator(seed_text(pools))
    try:
        work = tempfile.mkdtemp(prefix="poolctl-export-")
        state0 = emu.state()
        live0 = {p["id"]: p for p in state0["pools"]}
        assert len(live0) == 120, len(live0)
        others0 = {i: p for i, p in live0.items() if p["tags"].get("poolctl", "").startswith("v1~other~") or "poolctl-lease" in p["tags"]}
        owned0 = {i: p for i, p in live0.items() if p["tags"].get("poolctl", "").startswith(f"v1~{STACK}~")}
        assert (len(others0), len(owned0)) == (6, 3)

        # 1. The minimum calls, and nothing written.
        before = emu.requests()
        d1 = os.path.join(work, "d1")
        p = emu.run("export", "--stack", STACK, "--out", d1)
        assert p.returncode == 0, p.stderr
        after = emu.requests()
        exported = [x for i, x in live0.items() if i not in others0]
        minimum = math.ceil(len(live0) / 1000) + sum(max(1, math.ceil(len(x["senders"]) / 1000)) for x in exported)
        assert after["total"] - before["total"] == minimum, f"{after['total'] - before['total']} calls, minimum {minimum}: {delta(after['byEndpoint'], before['byEndpoint'])}"
        assert delta(writes(after), writes(before)) == {}, "export wrote to the API"
        assert emu.state() == state0, "export changed the live state"
        assert f"with {minimum} API calls" in p.stderr, p.stderr
        for i, x in others0.items():
            if "poolctl" in x["tags"]:
                assert f"{i} \"{x['name']}\": owned by stack 'other'" in p.stderr, p.stderr
        assert "Left out 1 lease pool" in p.stderr, p.stderr
        files = read_dir(d1)
        assert len(files) == 1 + 114 and "_stack.yaml" in files, sorted(files)
        text = b"".join(files.values()).decode("utf-8")
        assert "poolctl-lease" not in text and "v1~other" not in text and "poolctl:" not in text.replace("apiVersion: poolctl/v1", "")
        check_other_readers_agree(d1, live0)

        # 2. validate passes.
        p = emu.run("validate", d1)
        assert p.returncode == 0, p.stdout + p.stderr
        assert "114 pools" in p.stdout, p.stdout

        # 3. plan: only adoptions; the already-owned pools unchanged.
        p = emu.run("plan", d1, "--format", "json")
        assert p.returncode == 0, p.stderr
        plan = json.loads(p.stdout)
        s = plan["summary"]
        got = (s["create"], s["delete"], s["update"], s["adopt"], s["addSenders"], s["removeSenders"], s["conflicts"], s["deleteBlocked"])
        assert got == (0, 0, 0, 111, 0, 0, 0, 0), s
        actions = {c["poolID"]: c["action"] for c in plan["changes"]}
        assert {actions[i] for i in owned0} == {"no-change"}, actions
        assert sorted(i for i, a in actions.items() if a == "adopt") == sorted(i for i in live0 if i not in others0 and i not in owned0)
        for c in plan["changes"]:
            if c["action"] == "adopt":
                assert [t["key"] for t in c["tags"]] == ["poolctl"], c["tags"]
                assert c["tags"][0]["after"].endswith("~protected"), c["tags"]
                assert c["name"]["before"] == c["name"]["after"] == live0[c["poolID"]]["name"], c["name"]

        # 4. apply keeps every id, name and member; other stacks untouched.
        before = emu.requests()
        p = emu.run("apply", d1, "--auto-approve", "--format", "json")
        assert p.returncode == 0, p.stdout + p.stderr
        after = emu.requests()
        lease = {"POST /v1/SenderPools": 1, "DELETE /v1/SenderPools/{senderPoolId}": 1}
        assert delta(writes(after), writes(before)) == {**lease, "PATCH /v1/SenderPools/{senderPoolId}": 111}, delta(writes(after), writes(before))
        state1 = emu.state()
        live1 = {x["id"]: x for x in state1["pools"]}
        assert set(live1) == set(live0), "the pool ids changed"
        for i, x in live0.items():
            y = live1[i]
            assert (y["name"], y["senders"]) == (x["name"], x["senders"]), f"{i} changed"
            if i in others0 or i in owned0:
                assert y == x, f"{i} ({x['name']}) was touched"
            else:
                assert {k: v for k, v in y["tags"].items() if k not in ("poolctl", "poolctl-applied")} == x["tags"], f"{i}: user tags changed"
                assert y["tags"]["poolctl"].startswith(f"v1~{STACK}~") and y["tags"]["poolctl"].endswith("~protected")

        # 5. plan is clean.
        p = emu.run("plan", d1, "--detailed-exitcode")
        assert p.returncode == 0, p.stdout + p.stderr

        # 6. Export again: plans clean; two exports are byte-identical.
        d2, d3 = os.path.join(work, "d2"), os.path.join(work, "d3")
        for d in (d2, d3):
            p = emu.run("export", "--stack", STACK, "--out", d)
            assert p.returncode == 0, p.stderr
        assert read_dir(d2) == read_dir(d3), "two exports of the same state differ"
        # The keys are the ones the first export chose, now read from ownership.
        assert sorted(read_dir(d2)) == sorted(files), set(read_dir(d2)) ^ set(files)
        p = emu.run("plan", d2, "--detailed-exitcode")
        assert p.returncode == 0, p.stdout + p.stderr
        first = emu.run("export", "--stack", STACK)
        second = emu.run("export", "--stack", STACK)
        assert first.returncode == 0 and first.stdout == second.stdout, "stdout exports differ"
        exported2 = read_dir(d2)
        # The stream holds the header, then the pools in key order ("1" before "1.0").
        as_documents = [exported2.pop("_stack.yaml")] + [exported2[n] for n in sorted(exported2, key=lambda n: n[:-len(".yaml")])]
        assert first.stdout == "---\n".join(x.decode("utf-8") for x in as_documents), "stdout is not the files as documents"
        assert emu.state() == state1, "export changed the live state"
    finally:
        emu.stop()


@test
def filters_and_no_protect():
    pools = [
        {"name": "Sales EU", "tags": {"team": "sales"}, "senders": [sender_id(0)]},
        {"name": "Sales US", "tags": {"team": "sales", "tier": "1"}, "senders": []},
        {"name": "Ops", "tags": {"team": "ops"}, "senders": []},
        {"name": "Sales Other", "tags": {"team": "sales", "poolctl": "v1~other~s"}, "senders": []},
    ]
    emu = Emulator(seed_text_small(pools))
    try:
        before = emu.requests()["total"]
        p = emu.run("export", "--stack", STACK, "--name", "^Sales", "--tag", "team=sales", "--no-protect")
        assert p.returncode == 0, p.stderr
        # One page of pools, and members of the two exported pools only.
        assert emu.requests()["total"] - before == 3
        assert "name: Sales EU" in p.stdout and "name: Sales US" in p.stdout and "Ops" not in p.stdout, p.stdout
        assert "protect: true" not in p.stdout and p.stdout.count("protect: false") == 2, p.stdout
        assert "\"Sales Other\": owned by stack 'other'" in p.stderr, p.stderr
        p = emu.run("export", "--stack", STACK, "--tag", "tier=1")
        assert p.returncode == 0 and "Sales US" in p.stdout and "Sales EU" not in p.stdout, p.stdout
    finally:
        emu.stop()


def seed_text_small(pools):
    return inventory(5, "pools:\n" + "".join("  - " + json.dumps(p, ensure_ascii=False) + "\n" for p in pools))


if __name__ == "__main__":
    run_tests(TESTS)
