#!/usr/bin/env bash
# make deps: the Python modules the tests use, for PYTHON. Where pip cannot
# install into PYTHON (Debian's own python3 is "externally managed", PEP 668,
# and may have no pip at all), they go into a venv made from it at VENV (as
# root, python3-venv comes from apt-get when venv is missing). The interpreter
# the tests then run with is written to VENV.use, which the Makefile reads.
#   usage: Tests/e2e/python_deps.sh PYTHON VENV
set -euo pipefail
PYTHON=${1:?usage: python_deps.sh PYTHON VENV}
VENV=${2:?usage: python_deps.sh PYTHON VENV}
# module:package; PyYAML because test_export reads exports as YAML 1.1.
MODULES=(jsonschema:jsonschema yaml:PyYAML schemathesis:schemathesis)
mkdir -p "$(dirname "$VENV")"
LOG="$VENV.pip.log"
trap 'rm -f "$LOG"' EXIT

missing() {
  local spec
  for spec in "${MODULES[@]}"; do
    "$1" -c "import ${spec%%:*}" >/dev/null 2>&1 || echo "${spec#*:}"
  done
}
use() {
  echo "$1" > "$VENV.use"
  exit 0
}

need=$(missing "$PYTHON")
[[ -z $need ]] && use "$PYTHON"
if [[ -x $VENV/bin/python && -z $(missing "$VENV/bin/python") ]]; then use "$VENV/bin/python"; fi
echo "==> installing" $need "for $PYTHON"
# shellcheck disable=SC2086 # one word per package
if "$PYTHON" -m pip install -q $need 2>"$LOG"; then use "$PYTHON"; fi
if ! grep -qE "externally-managed|No module named pip" "$LOG"; then
  cat "$LOG" >&2
  echo "make test needs the Python packages" $need ": '$PYTHON -m pip install" $need "' failed (above)" >&2
  exit 1
fi
echo "==> $PYTHON cannot install packages with pip (PEP 668, or no pip): the tests get a venv at $VENV"
if ! "$PYTHON" -m venv --clear "$VENV" >/dev/null 2>&1; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    "$PYTHON" -m venv --clear "$VENV"
  else
    echo "make test needs a venv for the tests' Python packages: run 'sudo apt-get install -y python3-venv'" >&2
    exit 1
  fi
fi
need=$(missing "$VENV/bin/python")
# shellcheck disable=SC2086
[[ -z $need ]] || "$VENV/bin/python" -m pip install -q $need
use "$VENV/bin/python"
