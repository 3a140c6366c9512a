// SPDX-License-Identifier: Apache-2.0
// Risk labels for AppArmor rules a diff adds: capabilities, writable kernel interfaces, mount, ptrace, ux.

public import CinchModel

extension RiskCatalog {
    /// The label for allowing `rule` (its `deny` flag is ignored), or nil when it is unremarkable.
    ///
    /// - Capabilities use ``risk(ofCapability:)``; `capability,` (every capability) is high.
    /// - File rules: writing a path under `/proc/sys`, `/sys`, `/proc/sysrq-trigger`, `/dev/mem`,
    ///   `/dev/kmem`, `/boot` or the container runtime's socket is high, as is reading `/dev/mem`,
    ///   `/proc/kcore` or that socket; reading `/etc/shadow` is medium; a bare `file,` is high. A
    ///   rule counts when its literal prefix lies inside one of those areas or its glob matches a
    ///   file in one (`/**` matches them all); `@{PROC}` and `@{sys}` are read as `/proc/` and
    ///   `/sys/` here.
    /// - Exec: `ux`, `Ux`, `pux` and the other unconfined fallbacks are high.
    /// - `mount`, `remount`, `umount`, `pivot_root` and `ptrace` are high (`ptrace (read)` medium);
    ///   `network raw`, `network packet` and `network,` are medium; `signal` to `unconfined`, bare
    ///   `signal,`, `change_profile` and `userns` are medium.
    public static func risk(ofAppArmorRule rule: AppArmorRule) -> Risk? {
        switch rule.body {
        case .capability(let names):
            guard !names.isEmpty else {
                return Risk(.high, "grants every capability the container has, CAP_SYS_ADMIN included")
            }
            return names.compactMap { risk(ofCapability: $0) }.max { $0.level < $1.level }
        case .file(let path, let modes, _):
            return fileRisk(path: path, modes: modes)
        case .network(let family, let type, _):
            if family == nil, type == nil {
                return Risk(.medium, "every socket family and type, raw and packet sockets included")
            }
            if type == "raw" || family == "packet" || type == "packet" {
                return Risk(.medium, "raw and packet sockets: spoofing and sniffing on the host's networks")
            }
            return nil
        case .other(let keyword, let arguments):
            return otherRisk(keyword: keyword, arguments: arguments)
        }
    }

    private static func otherRisk(keyword: String, arguments: String) -> Risk? {
        switch keyword {
        case "mount", "remount": return Risk(.high, "mounts filesystems; can expose host paths or hide files")
        case "umount": return Risk(.high, "unmounts filesystems, revealing what a mount hid")
        case "pivot_root": return Risk(.high, "changes the root filesystem")
        case "ptrace":
            if arguments.hasPrefix("(read)") { return Risk(.medium, "reads other processes' memory maps and state") }
            return Risk(.high, "inspects and rewrites other processes' memory and registers; a classic escape aid")
        case "signal" where arguments.isEmpty || arguments.contains("peer=unconfined"):
            return Risk(.medium, "sends signals to processes outside this profile")
        case "change_profile": return Risk(.medium, "switches to another profile, possibly a wider one")
        case "userns": return Risk(.medium, "creates user namespaces, which unlock more kernel surface")
        default: return nil
        }
    }

    private static func fileRisk(path: String?, modes: AppArmorFileModes) -> Risk? {
        guard let path else { return Risk(.high, "every file, every mode: the profile no longer confines files") }
        if let exec = modes.exec, exec.lowercased().contains("u") {
            return Risk(.high, "runs the program unconfined, outside every AppArmor rule")
        }
        let expanded = expandingKnownVariables(path)
        let glob = AppArmorGlob(expanded)
        let literal = String(expanded.prefix { !"*?[{\\".contains($0) })
        func touches(_ area: String) -> Bool {
            literal == area || literal.hasPrefix(area + "/") || glob.matches(area + sampleSuffix(area))
        }
        let writes = modes.grants("w") || modes.grants("a")
        if writes {
            for (area, reason) in writableAreas where touches(area) { return Risk(.high, reason) }
        }
        if writes || modes.grants("r") {
            for (area, level, reason) in readableAreas where touches(area) { return Risk(level, reason) }
        }
        return nil
    }

    /// A file inside `area` that a glob covering the area matches (`/proc/sys` → `/proc/sys/kernel/core_pattern`).
    private static func sampleSuffix(_ area: String) -> String {
        switch area {
        case "/proc/sys": "/kernel/core_pattern"
        case "/sys": "/kernel/uevent_helper"
        case "/boot": "/vmlinuz"
        default: ""
        }
    }

    /// `@{PROC}/sys/**` → `/proc/sys/**` for the sample matching only.
    private static func expandingKnownVariables(_ path: String) -> String {
        var result = path
        for (variable, value) in [
            ("@{PROC}/", "/proc/"), ("@{PROC}", "/proc/"), ("@{sys}/", "/sys/"), ("@{sys}", "/sys/"),
        ] {
            result = result.replacing(variable, with: value)
        }
        return result
    }

    private static let writableAreas: [(String, String)] = [
        ("/proc/sysrq-trigger", "writable /proc/sysrq-trigger can crash or reboot the host"),
        ("/proc/sys", "writable /proc/sys: kernel tunables; core_pattern runs code on the host"),
        ("/sys", "writable /sys: kernel and device settings; uevent_helper and release_agent run code on the host"),
        ("/dev/mem", "writes physical memory"),
        ("/dev/kmem", "writes kernel memory"),
        ("/boot", "writes the host's boot files"),
        ("/run/docker.sock", "the container runtime's socket controls the host"),
        ("/var/run/docker.sock", "the container runtime's socket controls the host"),
    ]

    private static let readableAreas: [(String, Risk.Level, String)] = [
        ("/dev/mem", .high, "reads physical memory"),
        ("/proc/kcore", .high, "reads kernel memory"),
        ("/run/docker.sock", .high, "the container runtime's socket controls the host"),
        ("/var/run/docker.sock", .high, "the container runtime's socket controls the host"),
        ("/etc/shadow", .medium, "reads password hashes"),
    ]
}
