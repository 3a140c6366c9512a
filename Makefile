# cinch: build, test, demo and benchmarks. See README.md.
SWIFT ?= swift
DEBUG_BIN := .build/debug
RELEASE_BIN := .build/release
PREFIX ?= /usr/local
DESTDIR ?=
# The man page's date: the last commit's, so every build of a commit prints the same page.
MAN_DATE ?= $(shell git log -1 --format=%cs 2>/dev/null || echo 2026-01-01)

.PHONY: all setup build release man install test fuzz demo bench lint format clean

all: build

setup:
	bash scripts/setup.sh

build:
	$(SWIFT) build

# Products are built first: the tests run the real cinch and cinch-probe binaries.
# The binary to ship: the Swift runtime linked in statically, so it runs on hosts without Swift
# (it needs glibc >= the build host's and libseccomp2) and starts in ~3 ms instead of ~8 ms.
release:
	$(SWIFT) build -c release --static-swift-stdlib --product cinch

# cinch.1 from the commands' own help (swift-argument-parser's generate-manual).
man: release
	$(SWIFT) build --product generate-manual
	mkdir -p $(RELEASE_BIN)/man
	"$$($(SWIFT) build --show-bin-path)/generate-manual" $(RELEASE_BIN)/cinch --date $(MAN_DATE) \
		--output-directory $(RELEASE_BIN)/man

# The release binary, its man page and bash, zsh and fish completion under PREFIX (DESTDIR for staging).
install: release man
	install -D -m 755 $(RELEASE_BIN)/cinch $(DESTDIR)$(PREFIX)/bin/cinch
	# The OCI runtime wrapper engines call (docs/engines.md): cinch itself, under another name.
	ln -sf cinch $(DESTDIR)$(PREFIX)/bin/cinch-runtime
	ln -sf cinch $(DESTDIR)$(PREFIX)/bin/cinch-runtime-crun
	install -D -m 644 $(RELEASE_BIN)/man/cinch.1 $(DESTDIR)$(PREFIX)/share/man/man1/cinch.1
	mkdir -p $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	$(RELEASE_BIN)/cinch --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/cinch
	$(RELEASE_BIN)/cinch --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_cinch
	$(RELEASE_BIN)/cinch --generate-completion-script fish > $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/cinch.fish

test: setup build
	$(SWIFT) test --no-parallel

# libFuzzer with AddressSanitizer on the JSON readers, the AppArmor and capability-list parsers and
# the audit line parser, FUZZ_SECONDS each (FUZZ_TARGETS picks some; FUZZ_RUNS and FUZZ_SEED
# give a fixed budget of inputs from a seed): see scripts/fuzz.sh.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
FUZZ_RUNS ?=
FUZZ_SEED ?=
fuzz: setup
	SWIFT=$(SWIFT) FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_TARGETS="$(FUZZ_TARGETS)" FUZZ_RUNS=$(FUZZ_RUNS) \
		FUZZ_SEED=$(FUZZ_SEED) bash scripts/fuzz.sh

demo: setup build
	CINCH=$(DEBUG_BIN)/cinch PROBE=$(DEBUG_BIN)/cinch-probe bash scripts/demo.sh

# Measures the release binary (`make release`), as it ships.
bench: setup release
	$(SWIFT) build -c release --product cinch-probe
	CINCH=$(RELEASE_BIN)/cinch PROBE=$(RELEASE_BIN)/cinch-probe bash scripts/bench.sh

lint:
	$(SWIFT) format lint -r --strict Sources Tests Package.swift

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

clean:
	rm -rf .build
