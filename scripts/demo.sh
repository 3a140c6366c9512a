#!/usr/bin/env bash
# cinch's main job on the built-in examples: record -> generate -> validate -> run under the profile.
# Regenerates Traces/ and Profiles/. Needs root (ptrace + seccomp) and the built products.
set -euo pipefail
cd "$(dirname "$0")/.."
CINCH=${CINCH:-.build/debug/cinch}
PROBE=${PROBE:-.build/debug/cinch-probe}

step() { printf '\n== %s\n' "$*"; }

# name | command (run from the repository root so paths in traces are repository-relative)
examples=(
  "shell|sh -c 'ls / >/dev/null; cat /etc/os-release'"
  "probe|$PROBE threads:2 fork vfork-exec:/bin/true int80:getpid socket:tcp"
)

summary=()
for entry in "${examples[@]}"; do
  name=${entry%%|*}
  command=${entry#*|}
  trace=Traces/$name.trace.json
  docker=Profiles/$name.seccomp.json
  oci=Profiles/$name.oci.json

  step "$name: record  ($command)"
  eval "$CINCH record -o $trace -- $command" >/dev/null

  step "$name: generate"
  "$CINCH" generate seccomp "$trace" -o "$docker"
  "$CINCH" generate seccomp --format oci "$trace" -o "$oci"

  step "$name: validate"
  "$CINCH" validate "$docker" "$oci"

  step "$name: run under the generated profile"
  eval "$CINCH run --seccomp $docker -- $command" >/dev/null
  echo "ok: the workload succeeds under $docker"

  allowed=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['syscalls'][0]['names']))" "$docker")
  summary+=("$name: $allowed syscalls allowed -> $docker (trace: $trace)")
done

step "denied syscalls fail: mkdir is not in the shell profile"
if "$CINCH" run --seccomp Profiles/shell.seccomp.json -- sh -c 'mkdir /tmp/cinch-demo-denied' 2>&1; then
  echo "unexpected: mkdir succeeded under the profile" >&2
  exit 1
fi
echo "ok: mkdir was denied (EPERM)"

step "summary"
printf '%s\n' "${summary[@]}"
