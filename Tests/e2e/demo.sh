#!/usr/bin/env bash
# make demo: the whole job against a local emulator.
set -euo pipefail
BIN=${1:-.build/debug/poolctl}
OUT=$(mktemp -d)
trap 'kill "$EMULATOR" 2>/dev/null || true; wait "$EMULATOR" 2>/dev/null || true; rm -rf "$OUT"' EXIT

# Bold only on a terminal and without NO_COLOR: a log file gets plain text.
if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }

step "poolctl validate examples/quickstart examples/multi-file"
"$BIN" validate examples/quickstart
"$BIN" validate examples/multi-file

step "poolctl emulator --seed examples/seeds/quickstart.yaml --port 0"
"$BIN" emulator --seed examples/seeds/quickstart.yaml --port 0 > "$OUT/url" 2> "$OUT/emulator.log" &
EMULATOR=$!
for _ in $(seq 1 100); do [[ -s "$OUT/url" ]] && break; sleep 0.1; done
[[ -s "$OUT/url" ]] || { echo "the emulator did not start:"; cat "$OUT/emulator.log"; exit 1; }
export POOLCTL_API_URL=$(head -1 "$OUT/url")
# The emulator accepts any non-empty pair; the real API needs real ones.
export TWILIO_ACCOUNT_SID=ACdemo TWILIO_AUTH_TOKEN=demo-token
echo "emulator at $POOLCTL_API_URL"

step "poolctl plan examples/quickstart --out plan.json"
"$BIN" plan examples/quickstart --out "$OUT/plan.json"

step "poolctl apply --auto-approve (the saved plan)"
"$BIN" apply "$OUT/plan.json" --auto-approve

step "poolctl plan examples/quickstart --detailed-exitcode (must report no changes)"
set +e
"$BIN" plan examples/quickstart --detailed-exitcode
code=$?
set -e
if [[ $code -ne 0 ]]; then
  echo "demo FAILED: the second plan exited $code, expected 0 (no changes)"
  exit 1
fi
step "demo OK: plan, apply and a clean second plan"
