# poolctl: the commands a new user and CI run. See README.md.
SHELL := /bin/bash
SWIFT ?= swift
BIN := .build/debug/poolctl
RELEASE_SCRATCH := .build-release
RELEASE_BIN := $(RELEASE_SCRATCH)/release/poolctl
PYTHON ?= python3

.PHONY: all deps build test demo bench bench-validate bench-plan-apply bench-rate bench-export clean format lint

all: build

# Debian's libyaml is a product requirement (no bundled copy). Install it when
# missing and we are root; otherwise say exactly what to run.
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists yaml-0.1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing libyaml-dev and pkg-config with apt-get"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libyaml-dev pkg-config; \
	  else \
	    echo "poolctl needs Debian's libyaml: run 'sudo apt-get install -y libyaml-dev pkg-config'" >&2; exit 1; \
	  fi; \
	fi
	@if ! $(PYTHON) -c 'import jsonschema' >/dev/null 2>&1; then \
	  echo "==> installing jsonschema with pip"; $(PYTHON) -m pip install -q jsonschema; \
	fi

build: deps
	$(SWIFT) build --build-tests

# Every test: the Swift suites (unit, golden, end-to-end against the emulator)
# and the schema checks.
test: build
	$(SWIFT) test --skip-build --parallel
	$(PYTHON) Tests/schema/test_manifest_schema.py
	$(PYTHON) Tests/e2e/test_cli.py $(BIN)
	$(PYTHON) Tests/e2e/test_lease.py $(BIN)
	$(PYTHON) Tests/e2e/test_behaviors.py $(BIN)
	$(PYTHON) Tests/e2e/test_export.py $(BIN)
	$(PYTHON) Tests/e2e/test_guard.py $(BIN)
	PYTHON=$(PYTHON) bash Tests/e2e/schemathesis.sh $(BIN)

# The main job on a fresh machine: validate, start the emulator seeded for the
# quickstart, plan, apply, then plan again, which must report no changes.
demo: build
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

bench: bench-validate bench-plan-apply bench-rate bench-export

clean:
	rm -rf .build
