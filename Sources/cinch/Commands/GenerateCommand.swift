// SPDX-License-Identifier: Apache-2.0
// `cinch generate seccomp`: traces in, least-privilege profile out.

import ArgumentParser
import CinchGenerate
import CinchModel
import CinchWorkflow

/// Groups the generators.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate profiles from traces.",
        subcommands: [GenerateSeccompCommand.self, GenerateCapabilitiesCommand.self, GenerateAppArmorCommand.self]
    )
}

/// `cinch generate seccomp`.
struct GenerateSeccompCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp",
        abstract: "Generate a least-privilege seccomp profile from one or more traces.",
        discussion: """
            The profile denies by default and allows what the traces saw, plus exit, exit_group, \
            rt_sigreturn and restart_syscall. Several traces are merged by union. Docker format lists \
            the observed ABIs in archMap; OCI format in architectures. Output is byte-identical for \
            the same input.

            Where the traces recorded argument values, the profile restricts arguments too: socket \
            to the observed address families, personality to the observed personas, and clone to \
            calls without namespace flags (Docker's rule) when no call created a namespace. \
            --no-argument-rules allows every syscall by name only, as traces without argument data do.

            Exit status: 0 on success (warnings are printed to stderr); 64 when a trace is unusable or \
            names a syscall that is malformed or unknown to libseccomp (nothing is written then); 73 \
            when the profile cannot be written.
            """
    )

    @Argument(help: "Trace files.")
    var traces: [String]

    @Option(help: "Profile format: docker or oci.")
    var format: ProfileFormat = .docker

    @Option(help: "Errno for denied syscalls: EPERM or ENOSYS.")
    var defaultErrno: DefaultErrno = .EPERM

    @Option(name: .customLong("arch"), help: "Cover this ABI instead of the observed ones (repeatable).")
    var architectures: [String] = []

    @Option(name: .shortAndLong, help: "Output file (default: standard output).")
    var output = "-"

    @Flag(help: "Allow syscalls by name only, without argument conditions from recorded values.")
    var noArgumentRules = false

    @Flag(name: .shortAndLong, help: "Print no notes.")
    var quiet = false

    func validate() throws {
        guard !traces.isEmpty else { throw ValidationError("Give at least one trace.") }
        for name in architectures where Architecture(named: name) == nil {
            throw ValidationError("Unknown architecture '\(name)' (try x86_64, x86, x32, aarch64, arm).")
        }
    }

    func run() throws {
        let options = SeccompProfileGenerator.Options(
            format: format.model, defaultErrno: defaultErrno.value,
            architectures: architectures.isEmpty ? nil : architectures.compactMap { Architecture(named: $0) },
            argumentRules: !noArgumentRules)
        try finish(
            GenerateJob.run(.seccomp(options), traceFiles: traces, output: output), quiet: quiet,
            refusal: "no profile was written: fix the traces above.")
    }
}

/// Reports a ``GenerateJob`` outcome and maps it to the exit status of `cinch generate`.
///
/// - Parameter refusal: what to say when nothing was written because of the diagnostics.
func finish(_ outcome: GenerateJob.Outcome, quiet: Bool, refusal: String) throws {
    func report(_ findings: [Diagnostic]) -> Bool {
        Console.report(quiet ? findings.filter { $0.severity != .note } : findings)
    }
    switch outcome {
    case .written(let diagnostics):
        _ = report(diagnostics)
    case .unreadableTrace(let error):
        Console.error("cinch: \(error)")
        throw ExitStatus.unusableInput
    case .refused(let diagnostics, _):
        _ = report(diagnostics)
        Console.error("cinch: \(refusal)")
        throw ExitStatus.unusableInput
    case .unwritable(let diagnostics, let error):
        _ = report(diagnostics)
        Console.error("cinch: \(error)")
        throw ExitStatus.cannotWrite
    }
}
