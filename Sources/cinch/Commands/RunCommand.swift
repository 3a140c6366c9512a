// SPDX-License-Identifier: Apache-2.0
// `cinch run`: run a command under a seccomp profile and/or an AppArmor profile's file rules
// (enforced with Landlock), the proof that a profile works.

import ArgumentParser
import CinchLinux
import CinchModel
import CinchSeccomp
import CinchWorkflow

/// Runs a command with a seccomp profile and/or a Landlock ruleset applied right before execve.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command under a seccomp profile (Docker or OCI JSON) and/or an AppArmor profile.",
        discussion: """
            The seccomp profile is compiled with libseccomp in cinch and installed by the child right \
            before execve, so the command and everything it starts run under it; cinch itself never \
            loads it.

            An AppArmor profile cannot be loaded on a kernel without the AppArmor LSM, so its file \
            rules (and TCP bind/connect, when it allows no inet/inet6 stream socket) are enforced as a \
            Landlock ruleset that the child applies right before execve: the dynamic loader and \
            libraries of the command must be allowed by the profile. What Landlock cannot express is \
            listed as notes on stderr. The paths Landlock denied are named from the audit log (Landlock ABI 7; $CINCH_AUDIT_LOG, else /var/log/audit/audit.log).

            Exit status: the command's own (128+N when signal N killed it); 64 when a profile is \
            unusable or has errors; 69 when Landlock is unavailable; 126/127 when the command cannot \
            be executed or found.
            """
    )

    @Option(help: "The seccomp profile to apply.")
    var seccomp: String?

    @Option(help: "An AppArmor profile whose file rules to enforce with Landlock.")
    var apparmor: String?

    @Flag(name: .long, help: "Set no_new_privs even when cinch has CAP_SYS_ADMIN.")
    var noNewPrivileges = false

    @Argument(parsing: .remaining, help: "The command to run, after --.")
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        guard !command.isEmpty else { throw ValidationError("Give the command to run after --.") }
        guard seccomp != nil || apparmor != nil else { throw ValidationError("Give --seccomp, --apparmor or both.") }
    }

    func run() throws {
        switch RunJob.run(profile: seccomp, apparmor: apparmor, command: command, noNewPrivileges: noNewPrivileges) {
        case .unreadableProfile(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .unusableProfile(let diagnostics):
            Console.report(diagnostics)
            throw ExitStatus.unusableInput
        case .cannotStart(let error, let denied):
            Console.error("cinch: \(error)")
            for line in denied { Console.error("cinch: Landlock denied \(line)") }
            throw error.stage == .lookup ? ExitStatus.notFound : ExitStatus.cannotExecute
        case .cannotEnforce(let message):
            Console.error("cinch: \(message)")
            throw ExitStatus.unavailable
        case .ran(let status, let diagnostics, let denied):
            Console.report(diagnostics)
            for line in denied { Console.error("cinch: Landlock denied \(line)") }
            if status != 0 { throw ExitCode(status) }
        }
    }
}
