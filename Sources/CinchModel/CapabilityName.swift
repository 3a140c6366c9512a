// SPDX-License-Identifier: Apache-2.0
// Linux capability names as users type them and as OCI configs spell them, and the list of real ones.

/// Capability names in OCI spelling (`CAP_NET_BIND_SERVICE`).
public enum CapabilityName {
    /// Every Linux capability in OCI spelling, indexed by its number: `all[10]` is
    /// `CAP_NET_BIND_SERVICE`.
    ///
    /// This is the authoritative list for cinch: the 41 capabilities of `<linux/capability.h>`
    /// from `CAP_CHOWN` (0) to `CAP_CHECKPOINT_RESTORE` (40, Linux 5.9), which is still
    /// `CAP_LAST_CAP` in Linux 6.x. A name outside it is not a capability any kernel cinch
    /// knows of grants.
    public static let all: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    private static let known = Set(all)

    /// Whether `name` is exactly the OCI spelling of a Linux capability (`CAP_` and upper case).
    ///
    /// Nothing is normalised: `cap_chown`, `CHOWN` and `CAP_CHOWN ` are not known names. Use
    /// ``ociName(_:)`` first to accept what users type.
    public static func isKnown(_ name: String) -> Bool { known.contains(name) }

    /// The number of a capability in OCI spelling (`CAP_NET_BIND_SERVICE` → 10), or nil when unknown.
    public static func number(of name: String) -> Int? { all.firstIndex(of: name) }

    /// `CAP_NET_BIND_SERVICE` → `NET_BIND_SERVICE`, the spelling Kubernetes and compose files use.
    public static func shortName(_ name: String) -> String {
        name.hasPrefix("CAP_") ? String(name.dropFirst(4)) : name
    }

    /// Parses a comma-separated list (`net_bind_service, CAP_CHOWN`) into sorted, unique OCI names.
    ///
    /// Empty items are ignored, so `""` is the empty set (every capability dropped).
    public static func parseList(_ text: String) -> [String] {
        let names = text.split(separator: ",").compactMap { item -> String? in
            let trimmed = item.filter { $0 != " " && $0 != "\t" }
            guard !trimmed.isEmpty else { return nil }
            return ociName(String(trimmed))
        }
        return Array(Set(names)).sorted()
    }

    /// `net_bind_service` → `CAP_NET_BIND_SERVICE`.
    public static func ociName(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }
}
