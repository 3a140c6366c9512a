// SPDX-License-Identifier: Apache-2.0
// `cinch merge traces|profiles`: unions of recordings (with coverage) and of seccomp profiles.

import ArgumentParser
import CinchDiff
import CinchLinux
import CinchModel
import CinchWorkflow

/// `cinch merge`.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge traces (with coverage) or seccomp profiles by union.",
        subcommands: [MergeTracesCommand.self, MergeProfilesCommand.self]
    )
}

/// `--coverage text|json`.
enum CoverageFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, none
}

/// `cinch merge traces T1 T2... -o OUT`.
struct MergeTracesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traces",
        abstract: "Merge recordings into one trace and report how many recordings saw each syscall.",
        discussion: """
            The union trace is written to --output (counts add up; a trace is complete only if all \
            inputs are). The coverage report goes to standard output: one row per ABI and syscall \
            with "seen in k of n recordings" and the total number of calls, rarest first, as an \
            aligned table (--coverage text), as JSON (--coverage json: cinchCoverage version 1), \
            or not at all (--coverage none).

            Exit status: 0 on success, 64 when a trace is unusable, 73 when the output cannot be written.
            """
    )

    @Argument(help: "Trace files.")
    var traces: [String]

    @Option(name: .shortAndLong, help: "Where to write the union trace ('-' for standard output).")
    var output: String

    @Option(help: "Coverage report on standard output: text, json or none.")
    var coverage: CoverageFormat = .text

    func validate() throws {
        guard !traces.isEmpty else { throw ValidationError("Give at least one trace.") }
        if output == "-", coverage != .none {
            throw ValidationError("With -o -, add --coverage none: both would go to standard output.")
        }
    }

    func run() throws {
        switch MergeJob.traces(traces, output: output) {
        case .unusable(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .refused(let diagnostics), .invalid(let diagnostics):
            Console.report(diagnostics)
            throw ExitStatus.unusableInput
        case .unwritable(let error):
            throw Console.fail(error, ExitStatus.cannotWrite)
        case .written(let merge, _):
            switch coverage {
            case .text: print(merge.coverageTable, terminator: "")
            case .json: print(merge.coverageJSON.rendered(), terminator: "")
            case .none: break
            }
        }
    }
}

/// `--prefer allow|deny`.
enum MergePreference: String, ExpressibleByArgument, CaseIterable {
    case allow, deny

    var model: ProfileMerge.Preference { self == .allow ? .allow : .deny }
}

/// `cinch merge profiles P1 P2... -o OUT`.
struct MergeProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles",
        abstract: "Merge seccomp profiles by union, reporting conflicting actions.",
        discussion: """
            Plain rules are united per syscall; conditional rules (arguments, includes/excludes) are \
            kept once each. When inputs give one syscall different actions or errnos, or have \
            different default actions, each conflict is reported on standard error and nothing is \
            written, unless --prefer allow (take the most permissive) or --prefer deny (the most \
            restrictive) resolves them. The output uses the first profile's format (Docker or OCI) \
            and unites architectures and flags; it is deterministic.

            Exit status:
              0   merged and written
              1   conflicts and no --prefer (nothing written)
              64  a profile could not be read or parsed
              73  the output could not be written
            """
    )

    @Argument(help: "Seccomp profile files (Docker or OCI JSON).")
    var profiles: [String]

    @Option(name: .shortAndLong, help: "Where to write the merged profile ('-' for standard output).")
    var output: String

    @Option(help: "Resolve conflicts: allow (most permissive) or deny (most restrictive).")
    var prefer: MergePreference?

    func validate() throws {
        guard !profiles.isEmpty else { throw ValidationError("Give at least one profile.") }
    }

    func run() throws {
        switch MergeJob.profiles(profiles, preference: prefer?.model, output: output) {
        case .unusable(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .refused(let diagnostics):
            Console.report(diagnostics)
            Console.error("cinch: nothing written; resolve the conflicts or pass --prefer allow|deny.")
            throw ExitStatus.failure
        case .invalid(let diagnostics):
            Console.report(diagnostics)
            Console.error("cinch: nothing written: the merged profile does not compile; fix the profiles above.")
            throw ExitStatus.unusableInput
        case .unwritable(let error):
            throw Console.fail(error, ExitStatus.cannotWrite)
        case .written(_, let diagnostics):
            Console.report(diagnostics)
        }
    }
}
