#!/usr/bin/env bash
# Prepares this machine for cinch's demo and tests (idempotent): system packages, crun's cgroup
# needs, auditd, containerd. Needs root; without it, it only reports what is missing.
set -euo pipefail

packages=(libseccomp-dev seccomp strace runc crun podman containerd busybox-static apparmor auditd gzip wget python3 python3-yaml gcc libc6-dev tar jq git curl)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: missing packages (install them as root): ${missing[*]}" >&2
        exit 0
    fi
    echo "setup: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[[ $(id -u) -eq 0 ]] || exit 0

# crun refuses this VM's hybrid cgroup layout unless the hugetlb controller is on cgroup v1.
if [[ -d /sys/fs/cgroup ]] && ! mountpoint -q /sys/fs/cgroup/hugetlb 2>/dev/null; then
    mkdir -p /sys/fs/cgroup/hugetlb 2>/dev/null || true
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb 2>/dev/null || true
fi

# auditd collects the kernel's seccomp log records for the audit tests.
if ! pgrep -x auditd >/dev/null; then
    service auditd start >/dev/null 2>&1 || true
fi

# containerd runs the runtime wrapper as its runc binary in the engine tests (what a Kubernetes
# RuntimeClass selects). No init system starts it here, so start it in a session of its own.
if command -v containerd >/dev/null && ! timeout 5 ctr version >/dev/null 2>&1; then
    setsid containerd >/var/log/containerd.log 2>&1 </dev/null &
    for _ in $(seq 1 50); do
        timeout 5 ctr version >/dev/null 2>&1 && break
        sleep 0.2
    done
    timeout 5 ctr version >/dev/null 2>&1 || echo "setup: containerd did not start (see /var/log/containerd.log)" >&2
fi
