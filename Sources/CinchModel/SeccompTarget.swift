// SPDX-License-Identifier: Apache-2.0
// The host a Docker-format profile is resolved for: native ABI, capabilities, kernel version.

/// The facts dockerd resolves a Docker-format profile against.
///
/// Docker profiles carry `archMap` and per-rule `includes`/`excludes` (capabilities, host
/// architecture, minimum kernel). Before a runtime sees a profile, dockerd expands them for the
/// container's host and capabilities; ``SeccompProfile/resolved(for:)`` does the same, so the
/// compiler, `cinch verify` and `cinch diff` all agree on what a profile means.
public struct SeccompTarget: Sendable, Hashable {
    /// Docker's default capability set (moby's `oci` defaults), without the `CAP_` prefix.
    public static let dockerDefaultCapabilities: Set<String> = [
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "NET_RAW",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    ]

    /// The host's native ABI.
    public var native: Architecture
    /// The container's capabilities, upper-case without `CAP_`.
    public var capabilities: Set<String>
    /// The kernel `minKernel` is compared with; nil takes every `minKernel` as met.
    public var kernel: KernelVersion?

    /// Creates a target.
    ///
    /// - Parameters:
    ///   - capabilities: with or without `CAP_`, any case; nil means Docker's default set.
    ///   - kernel: nil means "new enough for every `minKernel`".
    public init(native: Architecture = .x86_64, capabilities: Set<String>? = nil, kernel: KernelVersion? = nil) {
        self.native = native
        self.capabilities = Set((capabilities ?? Self.dockerDefaultCapabilities).map(CapabilityList.shortName))
        self.kernel = kernel
    }

    /// Whether `rule` applies on this target, as dockerd decides.
    ///
    /// Every `includes` condition must hold (all capabilities present, the native architecture
    /// listed, kernel at least `minKernel`); any `excludes` condition that holds removes the rule.
    public func applies(_ rule: SeccompProfile.Rule) -> Bool {
        if let includes = rule.includes {
            if !includes.caps.allSatisfy({ capabilities.contains(CapabilityList.shortName($0)) }) { return false }
            if !includes.arches.isEmpty, !includes.arches.contains(where: matchesNative) { return false }
            if let minimum = includes.minKernel.flatMap(KernelVersion.init), let kernel, kernel < minimum {
                return false
            }
        }
        if let excludes = rule.excludes {
            if excludes.caps.contains(where: { capabilities.contains(CapabilityList.shortName($0)) }) { return false }
            if excludes.arches.contains(where: matchesNative) { return false }
            if let minimum = excludes.minKernel.flatMap(KernelVersion.init), let kernel, kernel >= minimum {
                return false
            }
        }
        return true
    }

    private func matchesNative(_ arch: String) -> Bool { arch == native.goName || arch == native.name }
}

extension SeccompProfile {
    /// The profile as a runtime receives it for `target`: OCI format, the ABIs for the target's
    /// native architecture listed, and only the rules that apply (without `includes`,
    /// `excludes` or comments). An OCI profile is returned with its architectures filled in.
    public func resolved(for target: SeccompTarget) -> SeccompProfile {
        var result = self
        result.format = .oci
        result.architectures = effectiveArchitectures(native: target.native)
        result.archMap = []
        result.syscalls = syscalls.filter(target.applies).map { rule in
            var plain = rule
            plain.includes = nil
            plain.excludes = nil
            plain.comment = nil
            return plain
        }
        return result
    }
}
