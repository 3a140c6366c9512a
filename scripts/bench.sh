#!/usr/bin/env bash
# bench.sh — wall-clock benchmark of cinch's tracing overhead (run by `make bench`).
#
# Environment:
#   CINCH   path to the release `cinch` binary. Unset/empty: the cinch modes are
#           skipped (native and strace still run).
#   PROBE   path to the release `cinch-probe` binary (required).
#   BENCH_REPS        repetitions per measurement, best one kept (default 3)
#   BENCH_LOOP_N      getppid calls in workload a (default 2000000)
#   BENCH_WORKLOAD_B  shell command for workload b (default: 40 python3 starts
#                     importing json+sqlite3; falls back to tar if no python3)
#
# Workloads:
#   a  $PROBE loop:N          one process, N raw getppid syscalls (tracer stop cost)
#   b  sh -c '...'            many short processes: fork/exec, dynamic loading
#
# Modes, each reported as seconds and as a ratio to native:
#   native                    the workload alone
#   run --seccomp P.json      enforcing the profile generated from a recording
#   strace -f                 strace -f -qq -o /dev/null (reference tracer)
#   record (cold)             cinch record with nothing known
#   record (known)            cinch record --known T.json (T covers the workload)
#
# Targets (printed as PASS/MISS, never fatal): known/run <= 1.1 and
# cold/strace <= 0.5 for each workload. The script exits nonzero only when a
# command fails.
set -euo pipefail

REPS=${BENCH_REPS:-3}
LOOP_N=${BENCH_LOOP_N:-2000000}
CINCH=${CINCH:-}
PROBE=${PROBE:-}

die() {
    echo "bench: $*" >&2
    exit 2
}

[[ -n $PROBE ]] || die "PROBE is not set (path to the release cinch-probe)"
[[ -x $PROBE ]] || die "PROBE=$PROBE is not executable"
[[ -z $CINCH || -x $CINCH ]] || die "CINCH=$CINCH is not executable"
[[ $REPS =~ ^[1-9][0-9]*$ ]] || die "BENCH_REPS must be a positive integer"
[[ $LOOP_N =~ ^[0-9]+$ ]] || die "BENCH_LOOP_N must be a non-negative integer"

STRACE=$(command -v strace || true)

if [[ -n ${BENCH_WORKLOAD_B:-} ]]; then
    WORKLOAD_B=$BENCH_WORKLOAD_B
else
    PYTHON=
    for p in /usr/bin/python3 "$(command -v python3 || true)"; do
        if [[ -n $p && -x $p ]]; then
            PYTHON=$p
            break
        fi
    done
    if [[ -n $PYTHON ]]; then
        # About 0.5-1 s natively on the reference VM; ~15k syscalls, 40 execs.
        WORKLOAD_B="i=0; while [ \$i -lt 40 ]; do $PYTHON -c 'import json, sqlite3' || exit 1; i=\$((i+1)); done"
    else
        # No python3: stat-heavy single process (~0.2 s natively, ~130k syscalls).
        WORKLOAD_B="tar cf /dev/null /usr/share 2>/dev/null"
    fi
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/cinch-bench.XXXXXX")
cleanup() { rm -rf -- "$TMP"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# now_ns — nanoseconds since the epoch.
now_ns() { date +%s%N; }

# run_quiet CMD... — runs CMD with stdout discarded and stderr kept in
# $TMP/stderr; on failure prints that stderr and exits 1.
run_quiet() {
    local rc=0
    "$@" >/dev/null 2>"$TMP/stderr" || rc=$?
    if ((rc != 0)); then
        echo "bench: command failed (exit $rc): $*" >&2
        cat "$TMP/stderr" >&2
        exit 1
    fi
}

# best_of CMD... — runs CMD $REPS times; sets BEST_NS to the fastest wall time.
BEST_NS=0
best_of() {
    local i start end elapsed best=
    for ((i = 0; i < REPS; i++)); do
        start=$(now_ns)
        run_quiet "$@"
        end=$(now_ns)
        elapsed=$((end - start))
        if [[ -z $best ]] || ((elapsed < best)); then
            best=$elapsed
        fi
    done
    BEST_NS=$best
}

# secs NS — formats nanoseconds as seconds with 3 decimals.
secs() { awk -v ns="$1" 'BEGIN { printf "%.3f", ns / 1e9 }'; }

# ratio A B — A/B with 2 decimals ("-" if either is missing).
ratio() {
    if [[ -z $1 || -z $2 || $2 == 0 ]]; then
        printf -- "-"
    else
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
    fi
}

# report LABEL NS NATIVE_NS — one table row.
report() { printf "  %-22s %9s s  %8sx\n" "$1" "$(secs "$2")" "$(ratio "$2" "$3")"; }

# skip LABEL WHY — a row for a mode that did not run.
skip() { printf "  %-22s %9s    (%s)\n" "$1" "skipped" "$2"; }

# check NAME A B LIMIT — prints PASS/MISS for A/B <= LIMIT (SKIP if A or B is missing).
TARGETS=()
check() {
    local name=$1 a=$2 b=$3 limit=$4 r verdict
    if [[ -z $a || -z $b ]]; then
        TARGETS+=("$(printf "  SKIP  %-34s (mode not run)" "$name")")
        return
    fi
    r=$(ratio "$a" "$b")
    if awk -v r="$r" -v l="$limit" 'BEGIN { exit !(r <= l) }'; then verdict=PASS; else verdict=MISS; fi
    TARGETS+=("$(printf "  %-4s  %-34s %s (target <= %s)" "$verdict" "$name" "$r" "$limit")")
}

# bench_workload ID DESCRIPTION CMD... — measures every mode for one workload.
bench_workload() {
    local id=$1 desc=$2
    shift 2
    local native run= st= cold= known=
    local trace="$TMP/$id.T.json" profile="$TMP/$id.P.json"

    echo
    echo "workload $id: $desc"
    printf "  %-22s %11s  %9s\n" "mode" "wall" "/native"

    best_of "$@"
    native=$BEST_NS
    report "native" "$native" "$native"

    if [[ -n $CINCH ]]; then
        # Untimed setup: a recording of the workload and the profile generated from it.
        run_quiet "$CINCH" record -q -o "$trace" -- "$@"
        run_quiet "$CINCH" generate seccomp "$trace" -o "$profile"
        best_of "$CINCH" run --seccomp "$profile" -- "$@"
        run=$BEST_NS
        report "cinch run --seccomp" "$run" "$native"
    else
        skip "cinch run --seccomp" "CINCH not set"
    fi

    if [[ -n $STRACE ]]; then
        best_of "$STRACE" -f -qq -o /dev/null "$@"
        st=$BEST_NS
        report "strace -f" "$st" "$native"
    else
        skip "strace -f" "strace not installed"
    fi

    if [[ -n $CINCH ]]; then
        best_of "$CINCH" record -q -o "$TMP/$id.cold.json" -- "$@"
        cold=$BEST_NS
        report "cinch record (cold)" "$cold" "$native"
        best_of "$CINCH" record -q --known "$trace" -o "$TMP/$id.warm.json" -- "$@"
        known=$BEST_NS
        report "cinch record --known" "$known" "$native"
    else
        skip "cinch record (cold)" "CINCH not set"
        skip "cinch record --known" "CINCH not set"
    fi

    check "$id: known/run" "$known" "$run" 1.1
    check "$id: cold/strace" "$cold" "$st" 0.5
}

echo "cinch bench: best of $REPS, wall clock ($(nproc) CPUs, kernel $(uname -r))"
echo "  CINCH=${CINCH:-<unset>}"
echo "  PROBE=$PROBE"
echo "  strace=${STRACE:-<not installed>}"
[[ -n $CINCH ]] || echo "  note: CINCH is not set; skipping the cinch modes"

bench_workload a "$PROBE loop:$LOOP_N" "$PROBE" "loop:$LOOP_N"
bench_workload b "sh -c: $WORKLOAD_B" sh -c "$WORKLOAD_B"

echo
echo "targets:"
printf "%s\n" "${TARGETS[@]}"

# --- audit ingest throughput (issue 4) ---
# Reserved for the audit-log ingest benchmark; add it here.

exit 0
