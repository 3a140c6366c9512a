// SPDX-License-Identifier: Apache-2.0
// Turns traces, or a capability list file, into a Kubernetes container securityContext.

public import CinchModel

/// Generates a Kubernetes container `securityContext` (``KubernetesSecurityContext``).
///
/// The capabilities come from traces exactly as ``CapabilityProfileGenerator`` computes them
/// (the same refusals, notes and `no_new_privs` evidence), or from a capability list a user
/// already has (``generate(list:file:options:)``). The seccomp and AppArmor profiles are only
/// named: they must already be on the node, below the kubelet's seccomp directory and loaded into
/// the kernel respectively.
public enum SecurityContextGenerator: ProfileGenerator {
    /// The localhost profiles the securityContext names.
    public struct Options: Sendable, Hashable {
        /// A seccomp profile path relative to the kubelet's seccomp directory, or nil.
        public var seccompProfile: String?
        /// A loaded AppArmor profile's name, or nil.
        public var appArmorProfile: String?

        /// Creates options.
        public init(seccompProfile: String? = nil, appArmorProfile: String? = nil) {
            self.seccompProfile = seccompProfile
            self.appArmorProfile = appArmorProfile
        }

        /// What is wrong with the profile path and name, as sentences; empty when both are usable.
        public var problems: [String] {
            [
                seccompProfile.flatMap(KubernetesSecurityContext.seccompProfileProblem),
                appArmorProfile.flatMap(SecurityContextGenerator.appArmorProfileProblem),
            ].compactMap { $0 }
        }
    }

    /// Generates a securityContext from the capabilities the traces observed.
    ///
    /// - Returns: no output when a trace is refused (see ``CapabilityProfileGenerator``) or an
    ///   option is unusable (``Options/problems``).
    public static func generate(_ inputs: [TraceInput], options: Options) -> GeneratorResult<KubernetesSecurityContext>
    {
        let listed = CapabilityProfileGenerator.generate(from: inputs, format: .kubernetes)
        return finish(listed.profile, diagnostics: listed.diagnostics, options: options)
    }

    /// Generates a securityContext from a capability list read from `file`.
    ///
    /// Every name must be a Linux capability cinch knows (``CapabilityList/isKnown(_:)``), as
    /// `cinch verify --caps-file` requires: a runtime may refuse the container or drop the name.
    ///
    /// - Returns: no output when a name is unknown or an option is unusable.
    public static func generate(list: CapabilityList, file: String, options: Options)
        -> GeneratorResult<KubernetesSecurityContext>
    {
        var diagnostics: [Diagnostic] = []
        let unknown = list.unknownNames
        if !unknown.isEmpty {
            diagnostics.append(
                Diagnostic(
                    .error, id: "capabilities.unknown-name",
                    "The list names capabilities cinch does not know: \(unknown.joined(separator: ", ")) (it knows the \(CapabilityList.all.count) from CAP_CHOWN to CAP_CHECKPOINT_RESTORE); a runtime may refuse the container or drop the name.",
                    at: ProfileLocation(file: file)))
        }
        return finish(list, diagnostics: diagnostics, options: options)
    }

    private static func finish(_ list: CapabilityList?, diagnostics: [Diagnostic], options: Options)
        -> GeneratorResult<KubernetesSecurityContext>
    {
        let all = diagnostics + options.problems.map { Diagnostic(.error, id: "kubernetes.invalid-option", $0) }
        guard let list, !all.contains(where: { $0.severity == .error }) else {
            return GeneratorResult(output: nil, diagnostics: all)
        }
        let context = KubernetesSecurityContext(
            capabilities: list, seccompProfile: options.seccompProfile, appArmorProfile: options.appArmorProfile)
        return GeneratorResult(output: context, diagnostics: all)
    }

    /// Why `name` cannot be written as a localhost AppArmor profile, or nil when it can.
    ///
    /// The rule is ``AppArmorProfileGenerator/isProfileName(_:)``'s: the names
    /// `cinch generate apparmor` writes, which need no quoting anywhere they are used.
    public static func appArmorProfileProblem(_ name: String) -> String? {
        guard !AppArmorProfileGenerator.isProfileName(name) else { return nil }
        return
            "The AppArmor profile name \(SeccompProfileGenerator.escaped(name)) is not allowed: use 1 to \(AppArmorProfileGenerator.nameLimit) letters, digits, '.', '_' or '-', starting with a letter or digit."
    }
}
