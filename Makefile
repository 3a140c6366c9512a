# cinch: build, test, demo and benchmarks. See README.md.
SWIFT ?= swift
DEBUG_BIN := .build/debug
RELEASE_BIN := .build/release

.PHONY: all setup build test fuzz demo bench lint format clean

all: build

setup:
	bash scripts/setup.sh

build:
	$(SWIFT) build

# Products are built first: the tests run the real cinch and cinch-probe binaries.
test: setup build
	$(SWIFT) test --no-parallel

# libFuzzer with AddressSanitizer on the JSON readers, the AppArmor and capability-list parsers and
# the audit line parser, FUZZ_SECONDS each (FUZZ_TARGETS picks some): see scripts/fuzz.sh.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: setup
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" bash scripts/fuzz.sh

demo: setup build
	CINCH=$(DEBUG_BIN)/cinch PROBE=$(DEBUG_BIN)/cinch-probe bash scripts/demo.sh

# The release build links the Swift runtime statically, as a shipped binary would be: it starts
# in ~3 ms instead of ~8 ms (no dynamic Swift libraries to load) and runs on hosts without Swift.
bench: setup
	$(SWIFT) build -c release --static-swift-stdlib --product cinch
	$(SWIFT) build -c release --product cinch-probe
	CINCH=$(RELEASE_BIN)/cinch PROBE=$(RELEASE_BIN)/cinch-probe bash scripts/bench.sh

lint:
	$(SWIFT) format lint -r --strict Sources Tests Package.swift

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

clean:
	rm -rf .build
