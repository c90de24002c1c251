#!/usr/bin/env bash
# make deps: the Python modules the tests use, for PYTHON. Where pip may not
# install into PYTHON (Debian's own python3 is "externally managed", PEP 668),
# they go into a venv made from it at VENV, which the Makefile then runs the
# tests with (as root, python3-venv comes from apt-get when venv is missing).
#   usage: Tests/e2e/python_deps.sh PYTHON VENV
set -euo pipefail
PYTHON=${1:?usage: python_deps.sh PYTHON VENV}
VENV=${2:?usage: python_deps.sh PYTHON VENV}
# module:package; PyYAML because test_export reads exports as YAML 1.1.
MODULES=(jsonschema:jsonschema yaml:PyYAML schemathesis:schemathesis)

missing() {
  local spec
  for spec in "${MODULES[@]}"; do
    "$1" -c "import ${spec%%:*}" >/dev/null 2>&1 || echo "${spec#*:}"
  done
}

need=$(missing "$PYTHON")
[[ -z $need ]] && exit 0
if [[ -x $VENV/bin/python && -z $(missing "$VENV/bin/python") ]]; then exit 0; fi
echo "==> installing" $need "for $PYTHON"
mkdir -p "$(dirname "$VENV")"
# shellcheck disable=SC2086 # one word per package
if "$PYTHON" -m pip install -q $need 2>"$VENV.pip.log"; then
  rm -f "$VENV.pip.log"
  exit 0
fi
if ! grep -q externally-managed "$VENV.pip.log"; then
  cat "$VENV.pip.log" >&2
  echo "make test needs the Python packages" $need ": '$PYTHON -m pip install" $need "' failed (above)" >&2
  exit 1
fi
rm -f "$VENV.pip.log"
echo "==> $PYTHON is externally managed (PEP 668): the tests get a venv at $VENV"
if ! "$PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    "$PYTHON" -m venv "$VENV"
  else
    echo "make test needs a venv for the tests' Python packages: run 'sudo apt-get install -y python3-venv'" >&2
    exit 1
  fi
fi
# shellcheck disable=SC2086
"$VENV/bin/python" -m pip install -q $(missing "$VENV/bin/python")
