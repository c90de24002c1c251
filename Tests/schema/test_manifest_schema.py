#!/usr/bin/env python3
"""schema/manifest.schema.json accepts every example and rejects every invalid
fixture it can express. Fixtures it cannot express (rules across documents,
YAML-level problems) are listed with the reason, so a new fixture forces a
decision here."""
import glob
import json
import os
import sys

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = json.load(open(os.path.join(ROOT, "schema", "manifest.schema.json")))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

NOT_EXPRESSIBLE = {
    "billion-laughs": "alias expansion is a YAML-reader limit",
    "conflicting-alias": "spans two documents",
    "custom-tag": "YAML tags are not JSON",
    "ambiguous-move": "movedFrom uniqueness and declared keys span pools",
    "duplicate-adopt": "uniqueness across pools",
    "duplicate-mapping-key": "YAML readers keep one of the keys",
    "duplicate-sender-via-alias": "needs alias resolution",
    "guard-contradiction": "spans two documents",
    "invalid-utf8": "not text",
    "missing-stack": "stack is required once per set, not per document",
    "syntax-error": "not YAML",
    "unknown-alias": "needs the set's alias table",
    "unknown-anchor": "not YAML",
    "unknown-anchor-as-name": "not YAML",
    "merge-key": "YAML 1.1 readers merge '<<' keys; poolctl's reader (libyaml) refuses them",
}


def documents(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def main():
    passed, failed = 0, 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}")

    examples = sorted(
        p for p in glob.glob(os.path.join(ROOT, "examples", "*", "*.y*ml"))
        if all(os.sep + d + os.sep not in p for d in ("seeds", "ci", "policy"))
    )
    check(len(examples) >= 4, "examples found")
    for path in examples:
        for doc in documents(path):
            errors = [e.message for e in VALIDATOR.iter_errors(doc)]
            check(not errors, f"{os.path.relpath(path, ROOT)} passes the schema: {errors}")

    fixtures = sorted(glob.glob(os.path.join(ROOT, "Tests", "Fixtures", "invalid", "*.yaml")))
    check(len(fixtures) >= 25, "invalid fixtures found")
    for path in fixtures:
        name = os.path.basename(path)[:-5]
        if name in NOT_EXPRESSIBLE:
            continue
        docs = documents(path)
        rejected = any(not VALIDATOR.is_valid(doc) for doc in docs)
        check(rejected, f"invalid fixture {name} fails the schema")
    # movedFrom and ignoreTags (issue 14), document by document.
    base = {"apiVersion": "poolctl/v1", "stack": "web"}
    inline = [
        (True, {**base, "ignoreTags": ["owner", "cost.center"], "pools": {"b": {"movedFrom": "a", "ignoreTags": ["x"]}}}),
        (False, {**base, "pools": {"b": {"movedFrom": "a", "adopt": "comms_senderpool_01h9krwprkeee8fzqspvwy6nq8"}}}),
        (False, {**base, "pools": {"b": {"movedFrom": "Not_A_Key"}}}),
        (False, {**base, "ignoreTags": ["poolctl"]}),
        (False, {**base, "ignoreTags": ["poolctl-lease"]}),
        (False, {**base, "pools": {"b": {"tags": {"poolctl-lease": "v1"}}}}),
        (True, {**base, "pools": {"b": {"tags": {"poolctl-leased": "v1"}}}}),
        (False, {**base, "pools": {"b": {"ignoreTags": ["owner", "owner"]}}}),
        (False, {**base, "pools": {"b": {"ignoreTags": "owner"}}}),
    ]
    for valid, doc in inline:
        check(VALIDATOR.is_valid(doc) == valid, f"{'accepts' if valid else 'rejects'} {json.dumps(doc)}")

    # guard: its bounds and types, accepted and rejected like poolctl does.
    for guard, valid in [
        ({}, True), ({"maxDeletedPools": 0}, True), ({"maxDeletedPools": 3, "maxRemovedFraction": 0.25}, True),
        ({"maxRemovedFraction": 1}, True), ({"maxRemovedFraction": 0}, True),
        ({"maxDeletedPools": -1}, False), ({"maxDeletedPools": 2.5}, False), ({"maxDeletedPools": "2"}, False),
        ({"maxRemovedFraction": 1.5}, False), ({"maxRemovedFraction": "half"}, False), ({"maxDeletedPool": 2}, False),
        (None, False), (0.5, False),
    ]:
        check(VALIDATOR.is_valid({**base, "guard": guard}) == valid, f"guard: {guard!r} is {'valid' if valid else 'invalid'}")
    for name in NOT_EXPRESSIBLE:
        check(os.path.exists(os.path.join(ROOT, "Tests", "Fixtures", "invalid", name + ".yaml")), f"listed fixture {name} exists")

    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
