// SPDX-License-Identifier: Apache-2.0
// What every `cinch generate` subcommand takes besides its own options: traces, -o and -q.

import ArgumentParser
import CinchModel
import CinchWorkflow

/// The traces a generator reads, where its artifact goes, and whether notes are printed.
struct GeneratorIO: ParsableArguments {
    @Argument(help: "Trace files.")
    var traces: [String]

    @Option(name: .shortAndLong, help: "Output file; - is standard output.")
    var output = "-"

    @Flag(name: .shortAndLong, help: "Print no notes.")
    var quiet = false

    func validate() throws {
        guard !traces.isEmpty else { throw ValidationError("Give at least one trace.") }
    }

    /// Builds and writes the artifact with ``GenerateJob``, reports its findings and maps the
    /// outcome to the exit status of `cinch generate`.
    ///
    /// - Parameter refusal: what to say when nothing was written because of the diagnostics.
    func generate(_ recipe: ArtifactRecipe, refusal: String) throws {
        try Self.finish(GenerateJob.run(recipe, traceFiles: traces, output: output), quiet: quiet, refusal: refusal)
    }

    /// Reports a ``GenerateJob`` outcome and maps it to an exit status.
    static func finish(_ outcome: GenerateJob.Outcome, quiet: Bool, refusal: String) throws {

        func report(_ findings: [Diagnostic]) -> Bool {
            Console.report(quiet ? findings.filter { $0.severity != .note } : findings)
        }
        switch outcome {
        case .written(let diagnostics):
            _ = report(diagnostics)
        case .unreadableTrace(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .refused(let diagnostics, _):
            _ = report(diagnostics)
            throw Console.fail(refusal, ExitStatus.unusableInput)
        case .unwritable(let diagnostics, let error):
            _ = report(diagnostics)
            throw Console.fail(error, ExitStatus.cannotWrite)
        }
    }
}
