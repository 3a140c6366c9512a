#!/usr/bin/env bash
# make fuzz: builds the libFuzzer harness (Tests/cinch-fuzz) with coverage and AddressSanitizer,
# then fuzzes each parser for FUZZ_SECONDS, seeded from Tests/Fixtures. A crash, a hang (one input
# over 10 s), memory past 2 GB or a broken property stops that parser with the input saved.
#
#   FUZZ_SECONDS=60                 seconds per parser
#   FUZZ_RUNS=N FUZZ_SEED=S         instead: N inputs per parser from seed S and the committed seeds
#                                   alone (a fresh corpus): a fixed budget that does not depend on
#                                   the machine's speed (the inputs still vary a little, see below)
#   FUZZ_TARGETS="json audit …"     the parsers (default: all; see FuzzTarget in Tests/CinchFuzzSupport)
set -euo pipefail
cd "$(dirname "$0")/.."

swift=${SWIFT:-swift}
seconds=${FUZZ_SECONDS:-60}
targets=${FUZZ_TARGETS:-json trace seccomp manifest apparmor capabilities audit}
scratch=.build/fuzz

# SwiftPM's --sanitize=fuzzer links libFuzzer's main instead of the module's. The -Xswiftc flag
# comes after it on every compile line, and swiftc keeps the last -sanitize: coverage and ASan.
# (--sanitize=fuzzer --sanitize=address compiles with ASan alone, and the fuzzer runs blind.)
# Release: four times the inputs per second of a debug build, and the same traps (bounds,
# overflow and precondition checks stay in -O; the sources have no assert). CINCH_LIBFUZZER=1
# adds the harness to the package; its own build directory leaves .build/debug alone.
mkdir -p "$scratch/crashes" "$scratch/logs"
if ! CINCH_LIBFUZZER=1 "$swift" build -c release --scratch-path "$scratch" --product cinch-fuzz \
    --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address >"$scratch/logs/build.log" 2>&1; then
    grep -v "warning: Cannot export local symbol" "$scratch/logs/build.log" | tail -n 40
    echo "fuzz: the harness did not build" >&2
    exit 1
fi
binary=$scratch/release/cinch-fuzz

# Swift's backtracer would hold a crashed run for its report; libFuzzer prints the stack itself.
export SWIFT_BACKTRACE=enable=no
status=0
for target in $targets; do
    info=$(CINCH_FUZZ_TARGET=$target CINCH_FUZZ_SEEDS=1 "$binary")
    seeds=()
    for directory in $(sed -n 's/^seeds: //p' <<<"$info"); do
        [[ -d Tests/Fixtures/$directory ]] && seeds+=("Tests/Fixtures/$directory")
    done
    dictionary=Tests/Fixtures/$(sed -n 's/^dictionary: //p' <<<"$info")
    corpus=$scratch/corpus/$target
    budget=(-max_total_time="$seconds")
    spent="in ${seconds} s"
    if [[ -n ${FUZZ_RUNS:-} ]]; then
        # The mutations follow the seed and the committed inputs. Swift seeds its hashing per
        # process, which changes Set and Dictionary order and so the coverage libFuzzer steers by;
        # deterministic hashing removes most of that, not all (two runs of a parser can still
        # differ by a few per cent of their inputs). A failing input is saved and printed either way.
        export SWIFT_DETERMINISTIC_HASHING=1
        corpus=$scratch/corpus-runs/$target
        rm -rf "$corpus"
        budget=(-runs="$FUZZ_RUNS" -seed="${FUZZ_SEED:-1}")
        spent="from seed ${FUZZ_SEED:-1}"
    fi
    mkdir -p "$corpus"
    log=$scratch/logs/$target.log
    # The first directory is the corpus libFuzzer grows (kept between runs); the rest are seeds.
    if ! CINCH_FUZZ_TARGET=$target "$binary" "${budget[@]}" -timeout=10 -rss_limit_mb=2048 \
        -detect_leaks=0 -print_final_stats=1 -dict="$dictionary" -artifact_prefix="$scratch/crashes/$target-" \
        "$corpus" "${seeds[@]}" >"$log" 2>&1; then
        grep -v -E '^#[0-9]+' "$log" | tail -n 40
        echo "fuzz: $target FAILED (full log: $log). The input is in $scratch/crashes/$target-*." >&2
        echo "      Reproduce: CINCH_FUZZ_TARGET=$target $binary FILE" >&2
        echo "      Fix the parser, then pin the input in Tests/Fixtures/fuzz/regressions/$target/ (make test" >&2
        echo "      checks every input there) and write a test that fails without the fix." >&2
        status=1
        continue
    fi
    summary=$(grep -E "^cinch-fuzz $target: " "$log" | tail -n 1)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    accepted=$(sed -E 's/.*: ([0-9]+) accepted.*/\1/' <<<"$summary")
    rejected=$(sed -E 's/.* ([0-9]+) rejected.*/\1/' <<<"$summary")
    echo "fuzz: $target: $runs inputs $spent: $accepted parsed, $rejected rejected; corpus $(ls "$corpus" | wc -l) files"
    # A run that never parses, or never rejects, is not exercising the parser.
    if [[ ${accepted:-0} -eq 0 || ${rejected:-0} -eq 0 ]]; then
        echo "fuzz: $target reached only one outcome: the seeds or the harness are wrong" >&2
        status=1
    fi
done
exit $status
