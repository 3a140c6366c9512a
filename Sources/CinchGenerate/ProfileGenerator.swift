// SPDX-License-Identifier: Apache-2.0
// The one contract every generator follows: traces with their file names in, a result with
// diagnostics and an optional output out.

public import CinchModel

/// A trace and the file it was read from, for messages.
public struct TraceInput: Sendable {
    /// The path as the user gave it.
    public var file: String
    /// The trace read from it.
    public var trace: Trace

    /// Creates an input.
    public init(file: String, trace: Trace) {
        self.file = file
        self.trace = trace
    }
}

/// What a generator produced: its output, unless an error diagnostic prevented it.
public struct GeneratorResult<Output: Sendable>: Sendable {
    /// The generated artifact; nil when any diagnostic is an error (then nothing may be written).
    public var output: Output?
    /// Errors (unusable traces), warnings and notes, in the order found.
    public var diagnostics: [Diagnostic]

    /// Creates a result.
    public init(output: Output?, diagnostics: [Diagnostic]) {
        self.output = output
        self.diagnostics = diagnostics
    }

    /// Whether any diagnostic is an error.
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// A generator of one kind of artifact from traces.
///
/// Every generator is pure: the same inputs and options give the same output, byte for byte once
/// rendered. It never throws for a bad trace; it reports an error ``Diagnostic`` (located at the
/// trace's file where it concerns one trace) and returns no output.
public protocol ProfileGenerator {
    /// What the user chooses besides the traces.
    associatedtype Options: Sendable
    /// The generated artifact, as a model.
    associatedtype Output: Sendable

    /// Generates an artifact from the union of `inputs`.
    static func generate(_ inputs: [TraceInput], options: Options) -> GeneratorResult<Output>
}

extension SeccompProfileGenerator: ProfileGenerator {
    /// Generates a seccomp profile; no output when a diagnostic is an error.
    public static func generate(_ inputs: [TraceInput], options: Options) -> GeneratorResult<SeccompProfile> {
        let result = generate(from: inputs.map(\.trace), files: inputs.map(\.file), options: options)
        let failed = result.diagnostics.contains { $0.severity == .error }
        return GeneratorResult(output: failed ? nil : result.profile, diagnostics: result.diagnostics)
    }
}

extension CapabilityProfileGenerator: ProfileGenerator {
    /// Generates a capability list; the format only changes the notes.
    public static func generate(_ inputs: [TraceInput], options: Format) -> GeneratorResult<Profile> {
        let result = generate(from: inputs, format: options)
        return GeneratorResult(output: result.profile, diagnostics: result.diagnostics)
    }
}

extension AppArmorProfileGenerator: ProfileGenerator {
    /// Generates an AppArmor profile's text; no output when a diagnostic is an error.
    public static func generate(_ inputs: [TraceInput], options: Options) -> GeneratorResult<String> {
        let result = generate(from: inputs.map(\.trace), files: inputs.map(\.file), options: options)
        return GeneratorResult(output: result.hasErrors ? nil : result.text, diagnostics: result.diagnostics)
    }
}
