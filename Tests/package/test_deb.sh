#!/usr/bin/env bash
# make test-deb: install the .deb with apt-get, check that the installed poolctl
# needs no Swift toolchain, run it for real, then remove it.
#   usage: Tests/package/test_deb.sh ./poolctl_VERSION_ARCH.deb VERSION
# Run from the repository root, as root (or with sudo available).
set -euo pipefail
DEB=${1:?usage: test_deb.sh PATH/TO/poolctl_VERSION_ARCH.deb VERSION}
VERSION=${2:?usage: test_deb.sh PATH/TO/poolctl_VERSION_ARCH.deb VERSION}
DEB=$(readlink -f "$DEB")
REPO=$(pwd)
SUDO=""
[[ $(id -u) == 0 ]] || SUDO=sudo

WORK=$(mktemp -d)
EMULATOR=""
INSTALLED=0
passed=0
cleanup() {
  [[ -n $EMULATOR ]] && { kill "$EMULATOR" 2>/dev/null || true; wait "$EMULATOR" 2>/dev/null || true; }
  if [[ $INSTALLED == 1 ]]; then
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -qq poolctl >/dev/null 2>&1 || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); printf 'ok   %s\n' "$*"; }
fail() {
  printf 'FAIL %s\n' "$*" >&2
  echo "test_deb: $passed passed, 1 failed"
  exit 1
}
step() { printf '\n==> %s\n' "$*"; }

# The toolchain's Swift runtime (libswiftCore, libFoundation, libdispatch... in
# <toolchain>/usr/lib/swift/linux), to hide while the installed binary runs.
# Only that swift/ directory is hidden, never the lib directory above it: where
# Swift is installed under /usr (the swift:*-bookworm images) that is /usr/lib,
# and hiding it would hide libc too (/lib -> usr/lib), so every isolated run
# would fail and the control below would pass for the wrong reason. The static
# archives in lib/swift_static are never loaded at run time: nothing to hide.
TOOLCHAIN_LIB=""
HIDE_DIR=""
if command -v swift >/dev/null 2>&1; then
  TOOLCHAIN_LIB=$(readlink -f "$(dirname "$(readlink -f "$(command -v swift)")")/../lib")
  if [[ -d $TOOLCHAIN_LIB/swift ]]; then
    HIDE_DIR=$(readlink -f "$TOOLCHAIN_LIB/swift")
    case ${HIDE_DIR%/} in
      "" | / | /usr | /lib | /lib32 | /lib64 | /libx32 | /usr/lib | /usr/lib32 | /usr/lib64 | /usr/libx32 \
        | /usr/local/lib | /lib/*-linux-gnu* | /usr/lib/*-linux-gnu*)
        fail "refusing to hide $HIDE_DIR (from swift at $(command -v swift)): it is a system library directory, and hiding it would hide libc as well"
        ;;
    esac
    compgen -G "$HIDE_DIR/*/libswiftCore.so*" >/dev/null \
      || fail "no libswiftCore.so under $HIDE_DIR/*/: cannot tell where this toolchain keeps the Swift runtime"
  fi
fi

# Runs "$@" as a user without the toolchain would: an empty environment with
# PATH=/usr/bin:/bin and, when we may use a private mount namespace, the
# toolchain's Swift runtime directory covered by an empty tmpfs. Every step
# execs the next, so with EXEC=exec in a background subshell, $! is poolctl's pid.
EXEC=""
isolated() {
  if [[ $CAN_HIDE == 1 ]]; then
    $EXEC $SUDO unshare -m sh -c 'mount -t tmpfs none "$0" && exec "$@"' "$HIDE_DIR" \
      env -i PATH=/usr/bin:/bin HOME="$WORK" "$@"
  else
    $EXEC env -i PATH=/usr/bin:/bin HOME="$WORK" "$@"
  fi
}
CAN_HIDE=0
if [[ -n $HIDE_DIR ]] \
  && $SUDO unshare -m sh -c 'mount -t tmpfs none "$0"' "$HIDE_DIR" 2>/dev/null; then
  CAN_HIDE=1
fi

step "apt-get install -y $DEB"
[[ -f $DEB ]] || fail "no package at $DEB (run make deb)"
INSTALLED=1
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q -o DPkg::Lock::Timeout=300 "$DEB" \
  || fail "apt-get install $DEB"
dpkg-query -W -f='${Status} ${Version}\n' poolctl | grep -q '^install ok installed' \
  || fail "dpkg does not list poolctl as installed"
ok "apt-get installed $(basename "$DEB")"

step "files"
[[ $(env -i PATH=/usr/bin:/bin sh -c 'command -v poolctl') == /usr/bin/poolctl ]] \
  || fail "poolctl on PATH=/usr/bin:/bin is not /usr/bin/poolctl"
for f in /usr/bin/poolctl /usr/share/bash-completion/completions/poolctl \
  /usr/share/zsh/vendor-completions/_poolctl /usr/share/fish/vendor_completions.d/poolctl.fish \
  /usr/share/poolctl/manifest.schema.json /usr/share/poolctl/policy.schema.json /usr/share/doc/poolctl/copyright; do
  dpkg -S "$f" >/dev/null 2>&1 || fail "$f is not in the package"
  [[ -s $f ]] || fail "$f is missing or empty"
done
cmp -s /usr/share/poolctl/manifest.schema.json "$REPO/schema/manifest.schema.json" \
  || fail "the installed schema differs from schema/manifest.schema.json"
cmp -s /usr/share/poolctl/policy.schema.json "$REPO/schema/policy.schema.json" \
  || fail "the installed policy schema differs from schema/policy.schema.json"
bash -n /usr/share/bash-completion/completions/poolctl || fail "the bash completion script does not parse"
ok "/usr/bin/poolctl, completions (bash parses), schema and copyright installed"

step "ldd /usr/bin/poolctl"
ldd /usr/bin/poolctl | tee "$WORK/ldd"
if grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime|libicu|not found' "$WORK/ldd"; then
  fail "/usr/bin/poolctl still needs the libraries above"
fi
if readelf -d /usr/bin/poolctl | grep -E 'RPATH|RUNPATH'; then
  fail "/usr/bin/poolctl carries a run path (into the build toolchain?)"
fi
ok "no Swift runtime library, no run path"

if [[ $CAN_HIDE == 1 ]]; then
  echo "the toolchain's Swift runtime $HIDE_DIR is hidden (empty tmpfs) from here on"
  # The isolation must leave the system's libraries alone: a dynamically
  # linked system program still runs in it.
  isolated /bin/sh -c true || fail "the isolation breaks /bin/sh: hiding $HIDE_DIR hides system libraries"
  isolated /bin/sh -c 'for f in "$1"/*/libswiftCore.so*; do [ -e "$f" ] && exit 1; done; exit 0' sh "$HIDE_DIR" \
    || fail "the isolation does not hide libswiftCore.so under $HIDE_DIR"
  ok "isolation: libswiftCore.so hidden, /bin/sh still runs"
  # A control: a debug build (the toolchain's libraries via its run path) must
  # start without the isolation, and fail to start in it because libswiftCore
  # is missing, or the isolation proves nothing.
  if [[ -x $REPO/.build/debug/poolctl ]]; then
    env -i PATH=/usr/bin:/bin HOME="$WORK" "$REPO/.build/debug/poolctl" --version >/dev/null 2>&1 \
      || fail "control: .build/debug/poolctl does not run even with the toolchain in reach"
    if isolated "$REPO/.build/debug/poolctl" --version >/dev/null 2>"$WORK/control.err"; then
      fail "the isolation does not hide the toolchain: .build/debug/poolctl still runs"
    fi
    # The loader names the first library it cannot find (libswiftSwiftOnoneSupport.so
    # before libswiftCore.so for a debug build): it must be one of the hidden runtime's.
    missing=$(sed -n 's/.*error while loading shared libraries: \([^:]*\): .*/\1/p' "$WORK/control.err" | head -1)
    if [[ -z $missing ]] || ! compgen -G "$HIDE_DIR/*/$missing" >/dev/null; then
      cat "$WORK/control.err" >&2
      fail "control: .build/debug/poolctl failed in the isolation, but not for want of a Swift runtime library from $HIDE_DIR"
    fi
    ok "control: .build/debug/poolctl cannot start without the toolchain ($missing hidden)"
  fi
else
  echo "note: cannot hide the toolchain's Swift runtime (no toolchain, or no private mount namespace): running with env -i only"
fi

step "poolctl --version"
got=$(isolated /usr/bin/poolctl --version) || fail "poolctl --version exited $?"
[[ $got == "$VERSION" ]] || fail "poolctl --version printed '$got', expected '$VERSION'"
ok "poolctl --version: $got"
isolated /usr/bin/poolctl --generate-completion-script bash | cmp -s - /usr/share/bash-completion/completions/poolctl \
  || fail "the installed bash completion is not what poolctl generates"
ok "the installed completion is the binary's own"

step "poolctl validate examples/quickstart (from a copy of examples/)"
cp -r "$REPO/examples" "$WORK/examples"
cd "$WORK"
isolated /usr/bin/poolctl validate examples/quickstart || fail "validate examples/quickstart"
isolated /usr/bin/poolctl validate examples/multi-file || fail "validate examples/multi-file"
ok "validate"

step "plan and apply against /usr/bin/poolctl emulator on 127.0.0.1"
EXEC=exec isolated /usr/bin/poolctl emulator --seed examples/seeds/quickstart.yaml --host 127.0.0.1 --port 0 \
  > "$WORK/url" 2> "$WORK/emulator.log" &
EMULATOR=$!
for _ in $(seq 1 100); do [[ -s $WORK/url ]] && break; sleep 0.1; done
[[ -s $WORK/url ]] || { cat "$WORK/emulator.log" >&2; fail "the emulator did not start"; }
URL=$(head -1 "$WORK/url")
api() { isolated POOLCTL_API_URL="$URL" TWILIO_ACCOUNT_SID=ACdemo TWILIO_AUTH_TOKEN=demo-token "$@"; }
set +e
api /usr/bin/poolctl plan examples/quickstart --out plan.json --detailed-exitcode
code=$?
set -e
[[ $code == 2 ]] || fail "plan exited $code, expected 2 (changes)"
ok "plan --out plan.json: changes (exit 2)"
api /usr/bin/poolctl apply plan.json || fail "apply plan.json exited $?"
ok "apply plan.json"
api /usr/bin/poolctl plan examples/quickstart --detailed-exitcode > /dev/null \
  || fail "the second plan exited $?, expected 0 (no changes)"
ok "plan again: no changes (exit 0)"
kill "$EMULATOR"
wait "$EMULATOR" 2>/dev/null || true
EMULATOR=""
cd "$REPO"

step "apt-get remove -y poolctl"
DEBIAN_FRONTEND=noninteractive $SUDO apt-get remove -y -q -o DPkg::Lock::Timeout=300 poolctl \
  || fail "apt-get remove poolctl"
INSTALLED=0
[[ ! -e /usr/bin/poolctl ]] || fail "/usr/bin/poolctl is still there after apt-get remove"
ok "removed, /usr/bin/poolctl gone"

echo
echo "test_deb: $passed passed, 0 failed"
