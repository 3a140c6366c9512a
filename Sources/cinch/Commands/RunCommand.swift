// SPDX-License-Identifier: Apache-2.0
// `cinch run`: run a command under a seccomp profile, the proof that a profile works.

import ArgumentParser
import CinchLinux
import CinchModel
import CinchSeccomp
import CinchWorkflow

/// Runs a command with a seccomp profile applied right before execve.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command under a seccomp profile (Docker or OCI JSON).",
        discussion: """
            The profile is compiled with libseccomp in cinch and installed by the child right before \
            execve, so the command and everything it starts run under it; cinch itself never loads it.

            Exit status: the command's own (128+N when signal N killed it); 64 when the profile is \
            unusable or has errors; 126/127 when the command cannot be executed or found.
            """
    )

    @Option(help: "The seccomp profile to apply.")
    var seccomp: String

    @Flag(name: .long, help: "Set no_new_privs even when cinch has CAP_SYS_ADMIN.")
    var noNewPrivileges = false

    @Argument(parsing: .remaining, help: "The command to run, after --.")
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        guard !command.isEmpty else { throw ValidationError("Give the command to run after --.") }
    }

    func run() throws {
        switch RunJob.run(profile: seccomp, command: command, noNewPrivileges: noNewPrivileges) {
        case .unreadableProfile(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .unusableProfile(let diagnostics):
            Console.report(diagnostics)
            throw ExitStatus.unusableInput
        case .cannotStart(let error):
            Console.error("cinch: \(error)")
            throw error.stage == .lookup ? ExitStatus.notFound : ExitStatus.cannotExecute
        case .ran(let status, let diagnostics):
            Console.report(diagnostics)
            if status != 0 { throw ExitCode(status) }
        }
    }
}
