#!/usr/bin/env bash
# cinch's main job on the built-in examples: record -> generate -> validate -> prove by running.
# Regenerates Traces/ and Profiles/ (Profiles/cinch-profiles.json says which traces make which
# profile). Needs root (ptrace, seccomp, runc/crun) and the built products (make demo does both).
set -euo pipefail
cd "$(dirname "$0")/.."
CINCH=${CINCH:-.build/debug/cinch}
PROBE=${PROBE:-.build/debug/cinch-probe}
DEMO=.build/demo
PORT=18080

step() { printf '\n== %s\n' "$*"; }

# A busybox httpd bundle, like a service container: noNewPrivileges false as Docker and podman
# run containers, host network so the driver reaches it on 127.0.0.1.
make_httpd_bundle() {
    local bundle=$DEMO/httpd
    rm -rf "$bundle"
    mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/www/cgi-bin" "$bundle/rootfs"/{proc,sys,dev,tmp,etc}
    cp /bin/busybox "$bundle/rootfs/bin/busybox"
    for applet in sh httpd cat; do ln -s busybox "$bundle/rootfs/bin/$applet"; done
    echo '<h1>served under a cinch profile</h1>' >"$bundle/rootfs/www/index.html"
    echo 'cinch-cgi' >"$bundle/rootfs/www/cgi.txt"
    printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\ncat /www/cgi.txt\n' >"$bundle/rootfs/www/cgi-bin/hello.cgi"
    chmod 755 "$bundle/rootfs/www/cgi-bin/hello.cgi"
    (cd "$bundle" && runc spec)
    python3 - "$bundle/config.json" "$PORT" <<'PY'
import json, sys
path, port = sys.argv[1], sys.argv[2]
config = json.load(open(path))
config["process"].update(terminal=False, noNewPrivileges=False,
                         args=["httpd", "-f", "-p", "127.0.0.1:" + port, "-h", "/www"])
config["root"]["readonly"] = False
config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"] if n["type"] != "network"]
json.dump(config, open(path, "w"), indent=2)
PY
}

mkdir -p Traces Profiles "$DEMO"
# The page and a CGI script (a program the container runs, reading a file of its own).
driver="wget -q -O - http://127.0.0.1:$PORT/ | grep -q cinch && wget -q -O - http://127.0.0.1:$PORT/cgi-bin/hello.cgi | grep -q cinch-cgi"

step "record: a shell pipeline"
"$CINCH" record -o Traces/shell.trace.json -- sh -c 'ls / >/dev/null; cat /etc/os-release' >/dev/null

step "record: the probe (threads, fork, vfork+exec, an i386 int 0x80 call, a socket)"
"$CINCH" record -o Traces/probe.trace.json -- "$PROBE" threads:2 fork vfork-exec:/bin/true int80:getpid socket:tcp

step "record: busybox httpd as a container (a page and a CGI script), driven by wget, with runc and with crun"
# With --bundle, one recording observes syscalls, files, programs, sockets and capabilities.
make_httpd_bundle
for runtime in runc crun; do
    "$CINCH" record --runs 2 --bundle "$DEMO/httpd" --runtime "$runtime" --driver "$driver" --wait-port "$PORT" \
        --grace 1 --timeout 60 -o "Traces/httpd-$runtime.trace.json"
done

step "generate every profile listed in Profiles/cinch-profiles.json"
[[ -f Profiles/cinch-profiles.json ]] || "$CINCH" check --init
"$CINCH" check --write

step "validate with libseccomp (compiled per architecture, never loaded into cinch)"
"$CINCH" validate Profiles/*.seccomp.json Profiles/*.oci.json

step "replay every recorded call through each compiled filter (BPF interpreter, nothing loaded)"
"$CINCH" validate --trace Traces/probe.trace.json Profiles/probe.seccomp.json Profiles/probe.oci.json
"$CINCH" validate --trace Traces/httpd-runc.trace.json --trace Traces/httpd-crun.trace.json Profiles/httpd.seccomp.json
"$CINCH" explain Profiles/httpd.seccomp.json socket 10

step "the probe's profile for aarch64: names translated (the x86_64-only ones are warned about)"
"$CINCH" generate seccomp Traces/probe.trace.json --arch aarch64 -o "$DEMO/probe.aarch64.json"
"$CINCH" validate "$DEMO/probe.aarch64.json"

step "prove: run the workloads under their profiles"
"$CINCH" run --seccomp Profiles/shell.seccomp.json -- sh -c 'ls / >/dev/null; cat /etc/os-release' >/dev/null
echo "ok: the shell pipeline succeeds under Profiles/shell.seccomp.json"
"$CINCH" run --seccomp Profiles/probe.seccomp.json -- "$PROBE" threads:2 fork vfork-exec:/bin/true int80:getpid socket:tcp
echo "ok: the probe succeeds under Profiles/probe.seccomp.json"
for runtime in runc crun; do
    "$CINCH" verify --bundle "$DEMO/httpd" --runtime "$runtime" --seccomp Profiles/httpd.seccomp.json \
        --driver "$driver" --wait-port "$PORT" --grace 1 --timeout 60
done

step "capabilities: what httpd used after its exec boundary (cap_capable tracepoint), as a drop list"
"$CINCH" generate capabilities Traces/httpd-runc.trace.json Traces/httpd-crun.trace.json --format docker
caps=$(paste -sd, Profiles/httpd.caps)
echo "prove: the container runs with --cap-drop=ALL${caps:+ --cap-add=$caps} (bounding, effective, permitted)"
for runtime in runc crun; do
    "$CINCH" verify --bundle "$DEMO/httpd" --runtime "$runtime" --seccomp Profiles/httpd.seccomp.json \
        --caps-file Profiles/httpd.caps --driver "$driver" --wait-port "$PORT" --grace 1 --timeout 60
done

step "AppArmor: the profile from the same recordings (files, programs and sockets seen by ptrace)"
sed -n '/^profile/,/^}/p' Profiles/httpd.apparmor
"$CINCH" validate Profiles/httpd.apparmor
echo "ok: apparmor_parser -Q -K compiles Profiles/httpd.apparmor (this kernel has no AppArmor: compiled, never loaded)"
echo "prove: its file rules enforced with Landlock inside the container (the kernel this runs on has no AppArmor)"
for runtime in runc crun; do
    "$CINCH" verify --bundle "$DEMO/httpd" --runtime "$runtime" --apparmor Profiles/httpd.apparmor \
        --driver "$driver" --wait-port "$PORT" --grace 1 --timeout 60
done

step "AppArmor, the audit route: a profile from a complain-mode audit log (a recorded fixture)"
"$CINCH" audit ingest -q Tests/Fixtures/audit/apparmor-avc.log -o "$DEMO/avc.trace.json"
"$CINCH" generate apparmor -q --name cinch-demo "$DEMO/avc.trace.json" -o "$DEMO/demo.apparmor"
"$CINCH" validate "$DEMO/demo.apparmor"
echo "ok: apparmor_parser -Q -K compiles $DEMO/demo.apparmor (parsed and compiled, never loaded or enforced here)"

step "podman: record an image podman runs (cinch-runtime as its OCI runtime), replay under plain podman"
# No bundle by hand: cinch runs 'podman run' with the wrapper and the cinch.dev/trace annotation.
image=localhost/cinch-demo-httpd:latest
tar -C "$DEMO/httpd/rootfs" -cf "$DEMO/httpd-rootfs.tar" .
podman import -q "$DEMO/httpd-rootfs.tar" "$image" >/dev/null
podman_args=(--network host --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
serve=("$image" httpd -f -p "127.0.0.1:$PORT" -h /www)
"$CINCH" record --podman --driver "$driver" --wait-port "$PORT" --grace 1 --timeout 60 \
    -o "$DEMO/httpd-podman.trace.json" -- "${podman_args[@]}" "${serve[@]}"
"$CINCH" generate seccomp -q "$DEMO/httpd-podman.trace.json" -o "$DEMO/httpd-podman.seccomp.json"
replay=$(podman run -d "${podman_args[@]}" --security-opt seccomp="$DEMO/httpd-podman.seccomp.json" "${serve[@]}")
trap 'podman rm -f -t 0 "$replay" >/dev/null 2>&1 || true' EXIT
for _ in $(seq 1 50); do wget -q -O /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null && break; sleep 0.2; done
sh -c "$driver"
podman rm -f -t 0 "$replay" >/dev/null
echo "ok: plain podman (its default runtime, no cinch) serves the page and the CGI under $DEMO/httpd-podman.seccomp.json"

step "prove: a syscall outside the profile is denied (mkdir under the shell profile)"
if "$CINCH" run --seccomp Profiles/shell.seccomp.json -- sh -c 'mkdir /tmp/cinch-demo-denied' 2>&1; then
    echo "unexpected: mkdir succeeded under the profile" >&2
    exit 1
fi
echo "ok: mkdir was denied"

step "drift: every profile matches its traces"
"$CINCH" check

step "attack surface: Docker's default profile -> the httpd profile"
"$CINCH" diff docker-default Profiles/httpd.seccomp.json | grep -E 'syscalls allowed \(|arguments-|risk' || true

step "summary"
for profile in Profiles/*.seccomp.json; do
    count=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1])); print(len({n for r in p["syscalls"] if r["action"]=="SCMP_ACT_ALLOW" for n in r["names"]}))' "$profile")
    echo "$profile: $count syscalls allowed"
done
