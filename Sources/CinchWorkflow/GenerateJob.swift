// SPDX-License-Identifier: Apache-2.0
// `cinch generate`: read traces, build one artifact, write it atomically.

public import CinchGenerate
internal import CinchLinux
public import CinchModel

/// Generates one artifact from trace files and writes it.
public enum GenerateJob {
    /// How the job ended.
    public enum Outcome: Sendable {
        /// The artifact was written; the findings are warnings and notes.
        case written(diagnostics: [Diagnostic])
        /// A trace file (or another input file, such as a capability list) could not be read or
        /// parsed; nothing was built.
        case unreadableTrace(InputError)
        /// The generator or validator refused; nothing was written.
        case refused(diagnostics: [Diagnostic], failure: ArtifactBuild.Failure)
        /// The artifact was built but the output could not be written.
        case unwritable(diagnostics: [Diagnostic], error: InputError)
    }

    /// Reads `traceFiles`, builds the artifact the ``ArtifactBuilder`` way and writes it to `output`.
    ///
    /// - Parameters:
    ///   - recipe: what to build.
    ///   - traceFiles: the traces, as the user named them.
    ///   - output: the file to write, or `-` for standard output.
    public static func run(_ recipe: ArtifactRecipe, traceFiles: [String], output: String) -> Outcome {
        let inputs: [TraceInput]
        do {
            inputs = try TraceInput.load(traceFiles)
        } catch {
            return .unreadableTrace(error)
        }
        return write(ArtifactBuilder.build(recipe, from: inputs, output: output), to: output)
    }

    /// Writes a built artifact to `output`, or says why nothing was written.
    static func write(_ build: ArtifactBuild, to output: String) -> Outcome {
        guard let text = build.text else {
            return .refused(diagnostics: build.diagnostics, failure: build.failure ?? .generation)
        }
        do {
            try ArtifactBuilder.write(text, to: output)
        } catch {
            return .unwritable(diagnostics: build.diagnostics, error: error)
        }
        return .written(diagnostics: build.diagnostics)
    }
}

extension TraceInput {
    /// Reads every file in `paths` as a trace, in order.
    ///
    /// - Throws: ``InputError`` naming the first file that cannot be read or parsed.
    public static func load(_ paths: [String]) throws(InputError) -> [TraceInput] {
        var inputs: [TraceInput] = []
        for path in paths { inputs.append(TraceInput(file: path, trace: try Trace.load(path: path))) }
        return inputs
    }
}
