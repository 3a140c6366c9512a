// SPDX-License-Identifier: Apache-2.0
// `cinch run`: run a command under a seccomp profile, the proof that a profile works.

import ArgumentParser
import CinchLinux
import CinchModel
import CinchSeccomp

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
        let profile: SeccompProfile
        do {
            profile = try SeccompProfile.load(path: seccomp)
        } catch {
            Console.error("cinch: \(error)")
            throw ExitStatus.unusableInput
        }
        let compilation = SeccompProfileCompiler.compile(profile, file: seccomp)
        let hasErrors = Console.report(compilation.diagnostics.filter { $0.severity != .note })
        guard !hasErrors, let bpf = compilation.bpf else { throw ExitStatus.unusableInput }
        let child: SpawnedChild
        do {
            child = try Spawn.spawn(
                command, filter: bpf, traced: false, noNewPrivileges: noNewPrivileges || !Spawn.hasSysAdmin)
        } catch {
            Console.error("cinch: \(error)")
            throw error.stage == .lookup ? ExitStatus.notFound : ExitStatus.cannotExecute
        }
        Signals.forward(to: child.pid)
        let status = try Spawn.wait(for: child.pid)
        Signals.stopForwarding()
        let code = status.shellStatus
        if code != 0 { throw ExitCode(code) }
    }
}
