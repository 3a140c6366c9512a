// SPDX-License-Identifier: Apache-2.0
// The one build path of every artifact: generate → validate → render → write atomically.

public import CinchGenerate
internal import CinchLinux
public import CinchModel
internal import CinchSeccomp
internal import CinchValidate

/// Which artifact to build from traces, and how.
public enum ArtifactRecipe: Sendable {
    /// A seccomp profile.
    case seccomp(SeccompProfileGenerator.Options)
    /// A seccomp profile that allows the traces' syscalls and logs every other one
    /// (`SCMP_ACT_LOG`), for recording through audit records; the traces are the known ones.
    case seccompLog(SeccompProfile.Format)
    /// A capability list in one of its formats.
    case capabilities(CapabilityProfileGenerator.Format)
    /// An AppArmor profile.
    case apparmor(AppArmorProfileGenerator.Options)
    /// A seccomp profile inside a security-profiles-operator `SeccompProfile` object (YAML); the
    /// options' format is ignored (the object holds the OCI form), written for that resource version.
    case seccompProfileObject(SeccompProfileGenerator.Options, KubernetesObjectMetadata, SeccompProfile.OperatorAPI)
    /// A Kubernetes container `securityContext` (YAML) with the traces' capabilities.
    case securityContext(SecurityContextGenerator.Options)
}

/// A built artifact as a model, for the semantic diff of a drift check.
public enum BuiltArtifact: Sendable {
    /// A seccomp profile.
    case seccomp(SeccompProfile)
    /// A capability list.
    case capabilities(CapabilityProfileGenerator.Profile)
    /// An AppArmor profile (its text; the diff parses it).
    case apparmor(String)
}

/// What building one artifact produced.
public struct ArtifactBuild: Sendable {
    /// Why no artifact was built.
    public enum Failure: Sendable, Equatable {
        /// The generator refused the traces.
        case generation
        /// The artifact was generated but its validator rejects it (libseccomp cannot compile
        /// it, `apparmor_parser` rejects it).
        case validation
    }

    /// The artifact; nil on a failure.
    public var artifact: BuiltArtifact?
    /// The rendered file contents; nil on a failure.
    public var text: String?
    /// The generator's and the validator's findings, in that order.
    public var diagnostics: [Diagnostic]
    /// Why nothing was built, if nothing was.
    public var failure: Failure?
}

/// Builds artifacts the one way `cinch generate`, `cinch check`, `cinch check --write` and
/// `make demo` all share.
///
/// 1. The generator turns the traces into a model (``ProfileGenerator``).
/// 2. The validator proves it: a seccomp profile is compiled with libseccomp for every ABI it
///    names (a trace can name syscalls that do not exist); an AppArmor profile is compiled with
///    `apparmor_parser -Q -K` when the parser is installed (a note says when it is not). A
///    capability list holds only known capability names by construction.
/// 3. The model is rendered; ``write(_:to:)`` replaces the file atomically.
///
/// An artifact that fails either step is never rendered, so it can never be written.
public enum ArtifactBuilder {
    /// Builds one artifact from `inputs`.
    ///
    /// - Parameters:
    ///   - recipe: what to build.
    ///   - inputs: the traces, with their file names for messages.
    ///   - output: the file it is for (`-` for standard output), named by the validator's findings.
    public static func build(_ recipe: ArtifactRecipe, from inputs: [TraceInput], output: String) -> ArtifactBuild {
        switch recipe {
        case .seccomp(var options):
            // Names recorded on other ABIs are translated with libseccomp's tables.
            if options.isPresent == nil { options.isPresent = SyscallResolver.presence }
            let generated = SeccompProfileGenerator.generate(inputs, options: options)
            guard let profile = generated.output else { return refused(generated.diagnostics) }
            return proven(profile, diagnostics: generated.diagnostics, output: output)
        case .seccompProfileObject(var options, let metadata, let api):
            options.format = .oci
            if options.isPresent == nil { options.isPresent = SyscallResolver.presence }
            let generated = SeccompProfileGenerator.generate(inputs, options: options)
            guard let profile = generated.output else { return refused(generated.diagnostics) }
            let inexpressible = profile.operatorObjectErrors(metadata, api: api)
            guard inexpressible.isEmpty else { return refused(generated.diagnostics + inexpressible) }
            return proven(profile, diagnostics: generated.diagnostics, output: output) {
                $0.operatorObject(metadata, api: api).renderedYAML()
            }
        case .securityContext(let options):
            return securityContext(SecurityContextGenerator.generate(inputs, options: options))
        case .seccompLog(let format):
            let generated = LogProfileGenerator.generate(
                known: inputs.map(\.trace), format: format, native: SyscallResolver.native)
            guard !generated.diagnostics.contains(where: { $0.severity == .error }) else {
                return refused(generated.diagnostics)
            }
            return proven(generated.profile, diagnostics: generated.diagnostics, output: output)
        case .capabilities(let format):
            let generated = CapabilityProfileGenerator.generate(inputs, options: format)
            guard let list = generated.output else { return refused(generated.diagnostics) }
            return ArtifactBuild(
                artifact: .capabilities(list), text: list.rendered(as: format), diagnostics: generated.diagnostics)
        case .apparmor(let options):
            let generated = AppArmorProfileGenerator.generate(inputs, options: options)
            guard let text = generated.output else { return refused(generated.diagnostics) }
            let validation = AppArmorValidator.validate(text: text, file: output == "-" ? "generated profile" : output)
            var diagnostics = generated.diagnostics
            switch validation.verdict {
            case .valid:
                diagnostics += validation.diagnostics
            case .invalid, .unusable:
                return ArtifactBuild(diagnostics: diagnostics + validation.diagnostics, failure: .validation)
            case .validatorUnavailable:
                let why = validation.diagnostics.map(\.message).joined(separator: " ")
                diagnostics.append(
                    Diagnostic(
                        .note, id: "apparmor.not-validated",
                        "The profile was not compiled, so it is unchecked. \(why) Check it with `cinch validate` "
                            + "where apparmor_parser is installed.",
                        at: output == "-" ? nil : ProfileLocation(file: output)))
            }
            return ArtifactBuild(artifact: .apparmor(text), text: text, diagnostics: diagnostics)
        }
    }

    /// The proof every seccomp profile cinch writes must pass: it compiles with libseccomp for
    /// every ABI it names (no unknown syscall, no rule libseccomp rejects). Returns the errors.
    ///
    /// - Parameter output: the file the profile is for, named by the errors.
    public static func seccompErrors(_ profile: SeccompProfile, output: String) -> [Diagnostic] {
        SeccompProfileCompiler.compileEveryArchitecture(profile, file: output).diagnostics.filter {
            $0.severity == .error
        }
    }

    /// Builds a securityContext from a capability list a user already has (`--capabilities FILE`),
    /// the way ``build(_:from:output:)`` builds one from traces.
    ///
    /// - Parameters:
    ///   - list: the list, read from `file`.
    ///   - file: where it was read from, for messages.
    ///   - options: the profiles the securityContext names.
    public static func buildSecurityContext(
        from list: CapabilityList, file: String, options: SecurityContextGenerator.Options
    ) -> ArtifactBuild {
        securityContext(SecurityContextGenerator.generate(list: list, file: file, options: options))
    }

    /// A generated securityContext rendered; its model is its capability list.
    private static func securityContext(_ generated: GeneratorResult<KubernetesSecurityContext>) -> ArtifactBuild {
        guard let context = generated.output else { return refused(generated.diagnostics) }
        return ArtifactBuild(
            artifact: .capabilities(context.capabilities), text: context.rendered(), diagnostics: generated.diagnostics)
    }

    /// `profile` rendered (as its own JSON unless `render` says otherwise), or a validation
    /// failure with the compiler's errors.
    private static func proven(
        _ profile: SeccompProfile, diagnostics: [Diagnostic], output: String,
        render: (SeccompProfile) -> String = { $0.jsonValue().rendered() }
    ) -> ArtifactBuild {
        let errors = seccompErrors(profile, output: output)
        guard errors.isEmpty else { return ArtifactBuild(diagnostics: diagnostics + errors, failure: .validation) }
        return ArtifactBuild(artifact: .seccomp(profile), text: render(profile), diagnostics: diagnostics)
    }

    /// Replaces `path` with `text` atomically (`-` is standard output).
    ///
    /// - Throws: ``InputError`` naming the file when it cannot be written.
    public static func write(_ text: String, to path: String) throws(InputError) {
        try FileIO.writeAtomically(text, to: path)
    }

    private static func refused(_ diagnostics: [Diagnostic]) -> ArtifactBuild {
        ArtifactBuild(diagnostics: diagnostics, failure: .generation)
    }
}
