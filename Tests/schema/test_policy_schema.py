#!/usr/bin/env python3
"""schema/policy.schema.json accepts every example policy and rejects what
`poolctl validate --policy` rejects where a schema can say it (issue 21).
Ids unique across files and regexes that compile are poolctl's checks."""
import glob
import json
import os
import sys

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCHEMA = json.load(open(os.path.join(ROOT, "schema", "policy.schema.json")))
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)

HEADER = "apiVersion: poolctl/v1\nkind: Policy\nrules:\n"
INVALID = {
    "no id": "  - require: {protect: true}\n",
    "bad id": "  - id: Bad Id\n    require: {protect: true}\n",
    "neither check": "  - id: x\n    match: {key: a}\n",
    "both checks": "  - id: x\n    require: {protect: true}\n    limit: {deletes: 0}\n",
    "unknown key": "  - id: x\n    require: {protect: true}\n    extra: 1\n",
    "bad severity": "  - id: x\n    severity: fatal\n    require: {protect: true}\n",
    "protect false": "  - id: x\n    require: {protect: false}\n",
    "negative count": "  - id: x\n    require: {minMembers: -1}\n",
    "fraction above 1": "  - id: x\n    limit: {removeFraction: 1.5}\n",
    "fractional count": "  - id: x\n    limit: {removeSenders: 2.5}\n",
    "bad membership": "  - id: x\n    require: {membership: some}\n",
    "empty require": "  - id: x\n    require: {}\n",
    "unknown match key": "  - id: x\n    match: {labels: {}}\n    require: {protect: true}\n",
}


def main():
    passed, failed = 0, 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"FAIL: {what}")

    examples = sorted(glob.glob(os.path.join(ROOT, "examples", "policy", "*.y*ml")))
    check(len(examples) >= 1, "example policies found")
    for path in examples:
        with open(path, encoding="utf-8") as f:
            for doc in yaml.safe_load_all(f):
                errors = [e.message for e in VALIDATOR.iter_errors(doc)]
                check(not errors, f"{os.path.relpath(path, ROOT)} passes the schema: {errors}")
    for what, rules in INVALID.items():
        doc = yaml.safe_load(HEADER + rules)
        check(not VALIDATOR.is_valid(doc), f"the schema rejects a rule with {what}")
    for header in ["kind: Policy\nrules: []\n", "apiVersion: poolctl/v1\nkind: Manifest\nrules: []\n",
                   "apiVersion: poolctl/v1\nkind: Policy\n"]:
        check(not VALIDATOR.is_valid(yaml.safe_load(header)), f"the schema rejects {header!r}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
