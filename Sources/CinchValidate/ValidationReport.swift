// SPDX-License-Identifier: Apache-2.0
// The one report shape of every validator.

public import CinchModel
public import CinchSeccomp

/// The outcome of validating one profile, whatever its kind.
public struct ValidationReport: Sendable {
    /// Which validator made the report.
    public enum Kind: Sendable, Equatable {
        /// ``SeccompValidator``: strict reading and a libseccomp compile per ABI.
        case seccomp
        /// ``AppArmorValidator``: `apparmor_parser -Q -K`.
        case apparmor
    }

    /// What validation concluded.
    public enum Verdict: Sendable, Equatable {
        /// The profile compiles (it may still have warnings and notes).
        case valid
        /// The profile was read but is wrong: ``ValidationReport/diagnostics`` has the errors.
        case invalid
        /// The file could not be read or parsed at all; the one error says why (the CLI exits 64).
        case unusable
        /// The validator itself is missing or could not run, so nothing was checked (exit 69).
        case validatorUnavailable
    }

    /// The file, as given.
    public var file: String
    /// Which validator made the report.
    public var kind: Kind
    /// What validation concluded.
    public var verdict: Verdict
    /// Findings in a stable order, with the file, line and (for JSON) path where known.
    public var diagnostics: [Diagnostic]
    /// A seccomp profile's dialect, when it could be read.
    public var format: SeccompProfile.Format?
    /// A seccomp profile's instruction counts of single-ABI filters, in its architecture order.
    public var perArchitecture: [SeccompProfileCompiler.ArchitectureProgram]
    /// libseccomp's pseudo filter code, when it was asked for and the profile compiled.
    public var pfc: String?
    /// The replay of traces through the compiled filter, when traces were given
    /// (``FilterReplay``); its findings are in ``diagnostics`` too.
    public var replay: FilterReplay.Report?

    /// Creates a report.
    public init(
        file: String, kind: Kind, verdict: Verdict, diagnostics: [Diagnostic] = [],
        format: SeccompProfile.Format? = nil, perArchitecture: [SeccompProfileCompiler.ArchitectureProgram] = [],
        pfc: String? = nil
    ) {
        self.file = file
        self.kind = kind
        self.verdict = verdict
        self.diagnostics = diagnostics
        self.format = format
        self.perArchitecture = perArchitecture
        self.pfc = pfc
    }

    /// Whether the file could be read and parsed at all.
    public var isUsable: Bool { verdict != .unusable }

    /// Whether any diagnostic is an error (warnings and notes do not count).
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}
