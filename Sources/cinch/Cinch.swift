// SPDX-License-Identifier: Apache-2.0
// The cinch command: record what a workload does, generate least-privilege profiles, prove them.

import ArgumentParser
import CinchWorkflow

/// The root command.
@main
struct Cinch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cinch",
        abstract: "Turn what a program or container actually does into the least privilege it needs.",
        discussion: """
            Typical flow: `cinch record -o t.json -- CMD`, `cinch generate seccomp t.json -o p.json`, \
            `cinch validate p.json`, `cinch run --seccomp p.json -- CMD`.
            """,
        version: VersionReport.text,
        subcommands: [
            RecordCommand.self, GenerateCommand.self, ValidateCommand.self, ExplainCommand.self, RunCommand.self,
            VerifyCommand.self, MinimizeCommand.self,
            AuditCommand.self,
            DiffCommand.self, MergeCommand.self, CheckCommand.self, RuntimeCommand.self, VersionCommand.self,
        ]
    )

    /// Parses and runs the command line; a first word that is not a command gets a suggestion
    /// instead of ArgumentParser's "unexpected arguments".
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        // The runtime wrapper takes runc's command line, which ArgumentParser must not read.
        let name = CommandLine.arguments.first.map { $0.split(separator: "/").last.map(String.init) ?? $0 } ?? ""
        if name.hasPrefix("cinch-runtime") {
            exit(withError: ExitCode(RuntimeJob.wrap(invokedAs: name, arguments: arguments, onError: Console.error)))
        }
        let rest = Array(arguments.dropFirst())
        if arguments.first == "runtime", !["-h", "--help", "help"].contains(rest.first ?? "-h") {
            exit(
                withError: ExitCode(
                    RuntimeJob.wrap(invokedAs: "cinch-runtime", arguments: rest, onError: Console.error)))
        }
        if arguments.first == RuntimeJob.recorderCommand {
            exit(withError: ExitCode(RuntimeJob.recorder(arguments: rest, onError: Console.error)))
        }
        if let word = arguments.first, let message = CommandSuggestion.message(for: word, commands: commandNames) {
            Console.error("cinch: \(message)")
            exit(withError: ExitStatus.unusableInput)
        }
        main(arguments)
    }

    /// Every subcommand's name, and `help`.
    static var commandNames: [String] {
        configuration.subcommands.map { $0._commandName } + ["help"]
    }
}

/// `cinch version`: the same as `cinch --version`.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "version",
        abstract: "Print cinch's version, libseccomp's, and the kernel's capability support.")

    func run() {
        print(VersionReport.text)
    }
}
