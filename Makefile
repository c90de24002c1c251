# poolctl: the commands a new user and CI run. See README.md.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/debug/poolctl
RELEASE_SCRATCH := .build-release
RELEASE_BIN := $(RELEASE_SCRATCH)/release/poolctl
PYTHON ?= python3

.PHONY: all deps binary build test soak fuzz demo bench bench-validate bench-plan-apply bench-rate bench-export bench-emulator bench-scale clean format lint

all: build

# Debian's libyaml is a product requirement (no bundled copy). Install it when
# missing and we are root; otherwise say exactly what to run.
# deps-libyaml is all a release build needs; deps adds the test tools.
deps-libyaml:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists yaml-0.1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing libyaml-dev and pkg-config with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libyaml-dev pkg-config; \
	  else \
	    echo "poolctl needs Debian's libyaml: run 'sudo apt-get install -y libyaml-dev pkg-config'" >&2; exit 1; \
	  fi; \
	fi

# The Python modules the tests use (Tests/e2e/python_deps.sh): pip installs them
# for PYTHON, or, where Debian's own python3 cannot use pip (PEP 668), into a
# venv at TEST_VENV. PY, the tests' Python, is the one make deps chose last.
TEST_VENV := .build/test-python
PY = $(shell cat $(TEST_VENV).use 2>/dev/null || echo $(PYTHON))
deps: deps-libyaml
	@bash Tests/e2e/python_deps.sh "$(PYTHON)" "$(TEST_VENV)"

# The binary (and the test objects, so that make test reuses the build): all
# make demo needs.
binary: deps-libyaml
	$(SWIFT) build --build-tests

build: deps binary

# Every test: the Swift suites (unit, golden, end-to-end against the emulator),
# the schema checks, then the end-to-end scripts against the binary.
test: build
	$(SWIFT) test --skip-build --parallel
	$(PY) Tests/schema/test_manifest_schema.py
	$(PY) Tests/schema/test_policy_schema.py
	@$(MAKE) --no-print-directory --keep-going -j $(E2E_SCRIPTS_AT_ONCE) --output-sync=target e2e

# The end-to-end scripts, E2E_SCRIPTS_AT_ONCE at a time (each prints its
# output when it is done), and within a script E2E_JOBS tests at a time (4 by
# default, test_cli.run_tests). Each test runs its own emulator on its own port
# and spends most of its time waiting for operations, leases and list lag, so
# side by side they take about a quarter of the time one by one (on 2 cores:
# 530 s of scripts in about 120). The longest come first. `make build e2e-lease`
# runs one script; E2E_SCRIPTS_AT_ONCE=1 E2E_JOBS=1 runs everything in order.
E2E_SCRIPTS_AT_ONCE ?= 3
E2E_SCRIPTS := lease_faults behaviors cli lease ndjson export guard safety moves drift policy
.PHONY: e2e e2e-fuzz-short e2e-soak-short $(addprefix e2e-,$(E2E_SCRIPTS))
e2e: e2e-fuzz-short $(addprefix e2e-,$(E2E_SCRIPTS)) e2e-soak-short
$(addprefix e2e-,$(E2E_SCRIPTS)):
	$(PY) Tests/e2e/test_$(@:e2e-%=%).py $(BIN)
# The short forms of `make fuzz` and `make soak`.
e2e-fuzz-short:
	FUZZ_MAX_TIME=$(FUZZ_SHORT_TIME) PYTHON=$(PY) bash Tests/e2e/schemathesis.sh $(BIN)
e2e-soak-short:
	$(PY) Tests/e2e/test_soak.py $(BIN) --schedules $(SOAK_SHORT) --seed $(SOAK_SHORT_SEED)

# The randomized stateful test (issue 19) at length: SOAK_SCHEDULES schedules
# of concurrent, killed and faulted applies, then 20 sequential applies under
# 10% 5xx and 10% resets (each must exit 0); prints its seed for replay
# (SOAK_SEED=S replays). `make test` runs SOAK_SHORT of them.
SOAK_SCHEDULES ?= 200
SOAK_SHORT ?= 3
# make test replays fixed schedules, so CI does not draw new ones each run.
SOAK_SHORT_SEED ?= 19
# The list lags (ms) the long soak draws from; make test's short form keeps 200 and 500.
SOAK_LAGS ?= 200,500,4000
soak: build
	$(PY) Tests/e2e/test_soak.py $(BIN) --schedules $(SOAK_SCHEDULES) --sequential 20 --lags $(SOAK_LAGS) $(if $(SOAK_SEED),--seed $(SOAK_SEED))

# The long fuzz run: schemathesis against the emulator with the OpenAPI
# contract, 500 examples per operation and up to 15 minutes (make test runs
# the same script with 30 examples and 45 s). FUZZ_SEED picks the seed.
FUZZ_MAX_EXAMPLES ?= 500
# make test's short form: 30 examples per operation within 45 s.
FUZZ_SHORT_TIME ?= 45
FUZZ_MAX_TIME ?= 900
fuzz: build
	FUZZ_MAX_EXAMPLES=$(FUZZ_MAX_EXAMPLES) FUZZ_MAX_TIME=$(FUZZ_MAX_TIME) PYTHON=$(PY) bash Tests/e2e/schemathesis.sh $(BIN)

# The main job on a fresh machine: validate, start the emulator seeded for the
# quickstart, plan, apply, then plan again, which must report no changes.
demo: binary
	@bash Tests/e2e/demo.sh $(BIN)

# Validation speed and memory on a generated set: 2,000 pools x 500 sender
# references, in a release build.
bench-validate: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_SCRATCH) --product poolctl
	$(PYTHON) Tests/bench/gen_validate_set.py .build/bench-validate
	@echo "==> validating 2,000 pools x 500 sender references"
	$(PYTHON) Tests/bench/measure.py $(RELEASE_BIN) validate .build/bench-validate

# plan and apply against the emulator: 2,000 pools x 200 senders planned with
# 5% of memberships changed; 1,000 new pools applied; a 5% change applied
# across 2,000 pools. Prints wall time, peak memory, calls next to the minimum.
bench-plan-apply: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_SCRATCH) --product poolctl
	$(PYTHON) Tests/bench/bench_plan_apply.py $(RELEASE_BIN)

# Rate-aware apply (issue 12): calls next to the minimum, wall time next to
# the rate-limit bound, and a sequential script as the baseline.
bench-rate: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_SCRATCH) --product poolctl
	$(PYTHON) Tests/bench/bench_rate.py $(RELEASE_BIN)


# Formatting is a habit, not a review topic: `make format` rewrites the tree
# with the committed .swift-format; `make lint` checks it (CI runs it).
FORMAT_PATHS := Sources Tests Package.swift
format:
	$(SWIFT) format format --in-place --recursive --parallel $(FORMAT_PATHS)

lint:
	$(SWIFT) format lint --strict --recursive --parallel $(FORMAT_PATHS)
# export of 5,000 unmanaged pools x 100 senders from the emulator: wall time,
# peak memory (GNU time -v), calls next to the minimum.
bench-export: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_SCRATCH) --product poolctl
	$(PYTHON) Tests/bench/bench_export.py $(RELEASE_BIN)

# The emulator is never the bottleneck (issue 20): seeding 10,000 pools x
# 1,000 senders (ids listed, then senderRange), member pages of 1,000 and
# simple GETs with wrk (32 connections, loopback, bounded runs).
bench-emulator: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_SCRATCH) --product poolctl
	@command -v wrk >/dev/null 2>&1 || { echo "bench-emulator needs wrk: apt-get install -y wrk" >&2; exit 1; }
	$(PYTHON) Tests/bench/bench_emulator.py $(RELEASE_BIN)

# Plan at scale (issue 20): 5,000 x 100, 10,000 x 200 (2M) and 10,000 x 1,000
# (10M) memberships with 1% changed, then export 5,000 x 100. Prints wall
# time, the client's CPU per membership and peak RSS per membership (getrusage
# of the poolctl process alone), and calls next to the minimum.
# SCALE_SIZES="5000x100 10000x200" picks the sizes.
SCALE_SIZES ?= 5000x100 10000x200 10000x1000
bench-scale: deps
	$(SWIFT) build -c release --scratch-path $(RELEASE_SCRATCH) --product poolctl
	$(PYTHON) Tests/bench/bench_scale.py $(RELEASE_BIN) $(SCALE_SIZES) --export

bench: bench-validate bench-plan-apply bench-rate bench-export bench-emulator bench-scale

clean:
	rm -rf .build

# ---------------------------------------------------------------------------
# Installable without a Swift toolchain: `make install`, `make deb`.
#
# `make dist` links the Swift runtime, Foundation and Dispatch statically
# (--static-swift-stdlib), so the binary needs only system libraries: libc,
# libstdc++, libgcc, zlib and Debian's libyaml (README "Install"). It builds in
# a scratch path of its own so it never invalidates .build (debug, tests) or
# .build-release (benchmarks), and without the $ORIGIN run path SwiftPM adds
# by default. Everything it writes stays under .build-dist/ (with
# DIST_CONFIG=debug, below, also .build),
# except the .deb, written to the top of the tree (ignored by git).
# `make install` and `make deb` write nothing into the build tree (the .deb
# aside), so `make dist && sudo make install` or `sudo make test-deb` leaves no
# root-owned file there for a later `make deb` or `make install` to trip on.
DIST_SCRATCH := .build-dist
# DIST_CONFIG=debug (what CI uses) packages the debug build: the objects
# `make build` compiled for the tests, linked again with the Swift runtime
# inside by Tests/package/static_relink.py (seconds, where a second cold build
# with --static-swift-stdlib took 8 minutes on 2 cores). It writes
# .build-dist/debug/poolctl and leaves .build/debug/poolctl as it was, but it
# builds .build first when the sources changed: run it as the user who owns
# .build (CI is root throughout), not `sudo make test-deb DIST_CONFIG=debug`
# over a user's tree, or root-owned objects will trip a later `make build`.
# Releases use the default, release: a build of its own in .build-dist, never
# in .build, since SwiftPM does not recompile when only --static-swift-stdlib
# changes, so switching .build between static and dynamic linking leaves
# objects that no longer link either way.
DIST_CONFIG ?= release
DIST_BIN := $(DIST_SCRATCH)/$(DIST_CONFIG)/poolctl
ifeq ($(DIST_CONFIG),debug)
DIST_CHECKOUTS := .build/checkouts
else
DIST_CHECKOUTS := $(DIST_SCRATCH)/checkouts
endif
# The one source of truth for the version: PoolctlVersion.current.
VERSION := $(shell sed -n 's/^ *public static let current = "\(.*\)"$$/\1/p' Sources/PoolctlCLI/Poolctl.swift)

# GNU-style install locations; `make install PREFIX=$HOME/.local` needs no root,
# and DESTDIR stages the whole tree elsewhere (the .deb uses it).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
# The installed binary is stripped (159 MB -> 82 MB); STRIP=true keeps symbols.
STRIP ?= strip
BASH_COMPLETION_DIR ?= $(DATADIR)/bash-completion/completions
ZSH_COMPLETION_DIR ?= $(DATADIR)/zsh/site-functions
FISH_COMPLETION_DIR ?= $(DATADIR)/fish/vendor_completions.d

# Debian package: poolctl_<version>_<arch>.deb. A '-' in the version (0.2.0-rc.1)
# becomes '~', which dpkg sorts before the release (0.2.0~rc.1 < 0.2.0).
DEB_VERSION := $(subst -,~,$(VERSION))
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB := poolctl_$(DEB_VERSION)_$(DEB_ARCH).deb
# The staging tree: a fresh `mktemp -d` directory for each `make deb`, removed
# afterwards (deb passes it to deb-package as DEB_WORK).
DEB_WORK ?=
# dpkg-deb's compression. xz makes the smallest package (what a release
# ships); CI's debug binary (130 MB stripped) takes 60-90 s to xz and 3 s to
# gzip -1, so .ci/run asks for gzip: what it tests is the package's contents.
DEB_COMPRESSION ?= -Zxz
# debhelper's layout: dpkg-shlibdeps, run in DEB_WORK, finds debian/control there.
DEB_ROOT := $(DEB_WORK)/debian/poolctl
DEB_MAINTAINER ?= poolctl maintainers <maintainers@users.noreply.b-seed-c7916edf.example>
DEB_HOMEPAGE ?= https://github.com/poolctl/poolctl
# Used only when dpkg-shlibdeps (dpkg-dev) is missing; it lists what
# `objdump -p .build-dist/release/poolctl | grep NEEDED` shows.
DEB_DEPENDS_FALLBACK := libc6, libgcc-s1, libstdc++6, zlib1g, libyaml-0-2

.PHONY: deps-libyaml dist install uninstall deb deb-package test-deb clean-dist

# The binary with the Swift runtime linked in. A file target that
# depends on the sources, so `make dist && sudo make install` compiles nothing
# as root (root's PATH may not even have swift); touch, because swift build
# leaves the binary alone when nothing changed.
DIST_SOURCES := Makefile Package.swift $(shell find Sources -type f 2>/dev/null)
ifeq ($(DIST_CONFIG),debug)
# The same command as `make build`, so after `make test` it compiles nothing.
$(DIST_BIN): $(DIST_SOURCES) | deps-libyaml
	$(SWIFT) build --build-tests
	$(PYTHON) Tests/package/static_relink.py .build $@
else
$(DIST_BIN): $(DIST_SOURCES) | deps-libyaml
	$(SWIFT) build -c $(DIST_CONFIG) --static-swift-stdlib --disable-local-rpath \
	  --scratch-path $(DIST_SCRATCH) --product poolctl
	touch $@
endif

dist: $(DIST_BIN)
	@test -n "$(VERSION)" || { echo "cannot read PoolctlVersion.current in Sources/PoolctlCLI/Poolctl.swift" >&2; exit 1; }
	@test "$$($(DIST_BIN) --version)" = "$(VERSION)" || \
	  { echo "$(DIST_BIN) --version does not print $(VERSION) (PoolctlVersion.current)" >&2; exit 1; }

# bin/poolctl, shell completions generated by the binary itself (the scripts
# of swift-argument-parser), and the manifest and policy JSON Schemas for editors.
install: dist
	install -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(DATADIR)/poolctl" \
	  "$(DESTDIR)$(BASH_COMPLETION_DIR)" "$(DESTDIR)$(ZSH_COMPLETION_DIR)" "$(DESTDIR)$(FISH_COMPLETION_DIR)"
	install -m 0755 $(DIST_BIN) "$(DESTDIR)$(BINDIR)/poolctl"
	$(STRIP) "$(DESTDIR)$(BINDIR)/poolctl"
	install -m 0644 schema/manifest.schema.json "$(DESTDIR)$(DATADIR)/poolctl/manifest.schema.json"
	install -m 0644 schema/policy.schema.json "$(DESTDIR)$(DATADIR)/poolctl/policy.schema.json"
# The completions are generated in a temporary directory, not the build tree
# (install often runs as root), then installed with mode 0644.
	tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  $(DIST_BIN) --generate-completion-script bash > "$$tmp/poolctl.bash" && \
	  $(DIST_BIN) --generate-completion-script zsh > "$$tmp/_poolctl" && \
	  $(DIST_BIN) --generate-completion-script fish > "$$tmp/poolctl.fish" && \
	  install -m 0644 "$$tmp/poolctl.bash" "$(DESTDIR)$(BASH_COMPLETION_DIR)/poolctl" && \
	  install -m 0644 "$$tmp/_poolctl" "$(DESTDIR)$(ZSH_COMPLETION_DIR)/_poolctl" && \
	  install -m 0644 "$$tmp/poolctl.fish" "$(DESTDIR)$(FISH_COMPLETION_DIR)/poolctl.fish"

# Removes exactly what install wrote (same PREFIX and DESTDIR): the files,
# then the directories install may have created, each only if it is empty now:
# share/poolctl, the three completion directories, and the parent of each one
# removed (share/bash-completion, share/zsh, share/fish), never bin, share or
# PREFIX themselves. rmdir, never rm -rf: these directories are shared.
uninstall:
	rm -f "$(DESTDIR)$(BINDIR)/poolctl" "$(DESTDIR)$(DATADIR)/poolctl/manifest.schema.json" \
	  "$(DESTDIR)$(DATADIR)/poolctl/policy.schema.json" \
	  "$(DESTDIR)$(BASH_COMPLETION_DIR)/poolctl" "$(DESTDIR)$(ZSH_COMPLETION_DIR)/_poolctl" \
	  "$(DESTDIR)$(FISH_COMPLETION_DIR)/poolctl.fish"
	for d in "$(DESTDIR)$(DATADIR)/poolctl" \
	  "$(DESTDIR)$(BASH_COMPLETION_DIR)" "$(DESTDIR)$(ZSH_COMPLETION_DIR)" "$(DESTDIR)$(FISH_COMPLETION_DIR)"; do \
	  if [ -d "$$d" ]; then rmdir --ignore-fail-on-non-empty "$$d"; fi; \
	done
	for d in "$(DESTDIR)$(BASH_COMPLETION_DIR)" "$(DESTDIR)$(ZSH_COMPLETION_DIR)" "$(DESTDIR)$(FISH_COMPLETION_DIR)"; do \
	  [ -d "$$d" ] && continue; p=$$(dirname "$$d"); \
	  case $$p in "$(DESTDIR)$(DATADIR)" | "$(DESTDIR)$(PREFIX)" | "$(DESTDIR)$(BINDIR)" | / | .) continue ;; esac; \
	  if [ -d "$$p" ]; then rmdir --ignore-fail-on-non-empty "$$p"; fi; \
	done

# The Debian package: `make install` into a staging tree with PREFIX=/usr (zsh
# completions where Debian's zsh looks for packaged ones), a copyright file,
# then DEBIAN/control and md5sums, and dpkg-deb. Files are owned by root.
# The staging tree is a fresh temporary directory (removed on exit), so a
# root-owned tree left by an earlier `sudo make test-deb` cannot get in the way.
deb: dist
	rm -f $(DEB)
	work=$$(mktemp -d) && trap 'rm -rf "$$work"' EXIT && \
	  $(MAKE) --no-print-directory deb-package DEB_WORK="$$work"

deb-package:
	@test -n "$(DEB_WORK)" && test -d "$(DEB_WORK)" || { echo "deb-package is run by 'make deb' (needs DEB_WORK)" >&2; exit 1; }
	$(MAKE) --no-print-directory install DESTDIR=$(abspath $(DEB_ROOT)) PREFIX=/usr \
	  ZSH_COMPLETION_DIR=/usr/share/zsh/vendor-completions
	install -d $(DEB_ROOT)/usr/share/doc/poolctl $(DEB_ROOT)/DEBIAN
# copyright: poolctl's own notice, then the licence of every package the
# static binary was built from (the Swift runtime is Apache-2.0 with the
# Runtime Library Exception).
	{ echo "poolctl: $(DEB_HOMEPAGE)"; echo "Copyright: the poolctl contributors."; echo; \
	  echo "The poolctl binary statically links the Swift runtime, Foundation and Dispatch"; \
	  echo "(Apache License 2.0 with Runtime Library Exception, https://swift.org/LICENSE.txt)"; \
	  echo "and the Swift packages it was built with, whose licences follow:"; \
	  for d in $(DIST_CHECKOUTS)/*/; do \
	    for f in "$$d"LICENSE "$$d"LICENSE.txt "$$d"LICENSE.md; do \
	      [ -f "$$f" ] || continue; \
	      printf '\n==> %s\n\n' "$$(basename "$$d")"; cat "$$f"; break; \
	    done; \
	  done; } > $(DEB_ROOT)/usr/share/doc/poolctl/copyright
	chmod 0644 $(DEB_ROOT)/usr/share/doc/poolctl/copyright
# Depends: dpkg-shlibdeps maps each NEEDED library of the binary to its
# package and minimum version (it reads a debian/control beside the tree).
	printf 'Source: poolctl\n\nPackage: poolctl\nArchitecture: any\n' > $(DEB_WORK)/debian/control
	if command -v dpkg-shlibdeps >/dev/null 2>&1; then \
	  (cd $(DEB_WORK) && dpkg-shlibdeps -O -edebian/poolctl/usr/bin/poolctl) \
	    | sed -n 's/^shlibs:Depends=//p' > $(DEB_WORK)/depends; \
	else \
	  echo "dpkg-shlibdeps (dpkg-dev) not found: stating Depends: $(DEB_DEPENDS_FALLBACK)"; \
	  echo "$(DEB_DEPENDS_FALLBACK)" > $(DEB_WORK)/depends; \
	fi
	grep -q libyaml-0-2 $(DEB_WORK)/depends || { echo "Depends lacks libyaml-0-2: $$(cat $(DEB_WORK)/depends)" >&2; exit 1; }
	{ echo "Package: poolctl"; \
	  echo "Version: $(DEB_VERSION)"; \
	  echo "Architecture: $(DEB_ARCH)"; \
	  echo "Maintainer: $(DEB_MAINTAINER)"; \
	  echo "Installed-Size: $$(du -sk --exclude=DEBIAN $(DEB_ROOT) | cut -f1)"; \
	  echo "Depends: $$(cat $(DEB_WORK)/depends)"; \
	  echo "Section: admin"; \
	  echo "Priority: optional"; \
	  echo "Homepage: $(DEB_HOMEPAGE)"; \
	  echo "Description: manage Twilio Comms SenderPools as code"; \
	  echo " poolctl reads YAML manifests that declare Twilio Comms API SenderPools, their"; \
	  echo " tags and their sender memberships, validates them offline, plans the changes"; \
	  echo " against the live account and applies them, like Terraform for this one API."; \
	  echo " It includes a local emulator of the SenderPools API for CI rehearsals."; \
	} > $(DEB_ROOT)/DEBIAN/control
	cd $(DEB_ROOT) && find usr -type f -print0 | sort -z | xargs -0 md5sum > DEBIAN/md5sums
	chmod -R u=rwX,go=rX $(DEB_ROOT)
# Reproducible: file times clamped to the last commit's.
	SOURCE_DATE_EPOCH=$$(git log -1 --format=%ct 2>/dev/null || date +%s) \
	  dpkg-deb --root-owner-group $(DEB_COMPRESSION) --build $(DEB_ROOT) $(DEB)
	dpkg-deb --info $(DEB)
	dpkg-deb --contents $(DEB)
	@if command -v lintian >/dev/null 2>&1; then lintian $(DEB) || true; fi

# Installs the .deb with apt-get (root), checks it runs with no Swift toolchain
# in reach (validate, and plan/apply against its own emulator), removes it.
test-deb: deb
	bash Tests/package/test_deb.sh ./$(DEB) $(VERSION)

clean-dist:
	rm -rf $(DIST_SCRATCH) poolctl_*.deb
clean: clean-dist
