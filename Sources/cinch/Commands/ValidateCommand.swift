// SPDX-License-Identifier: Apache-2.0
// `cinch validate`: check seccomp profiles with libseccomp, per ABI, and AppArmor profiles with
// apparmor_parser, without loading either.

import ArgumentParser
import CinchModel
import CinchSeccomp
import CinchValidate
import CinchWorkflow
import SystemPackage

/// `cinch validate FILE...`.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check seccomp profiles (Docker or OCI JSON) and AppArmor profiles without loading them.",
        discussion: """
            Each file is read strictly (unknown keys, wrong types and unknown actions, operators or \
            architectures are errors with file:line:column and JSON path), compiled with libseccomp for \
            every ABI it covers, and linted: a denying profile should allow exit, exit_group, \
            rt_sigreturn and restart_syscall, and one syscall should not be in rules with different \
            actions. Docker includes/excludes are evaluated for this host with Docker's default \
            capabilities. Nothing is ever loaded into cinch.

            A file that looks like an AppArmor profile (it starts with `profile`, `abi`, `include` \
            or a path followed by `{`) is compiled with `apparmor_parser -Q -K` instead: the parser \
            checks syntax, permissions and globs, and nothing is loaded or cached. The parser is \
            $CINCH_APPARMOR_PARSER, or apparmor_parser from PATH, /usr/sbin or /sbin. Compiling is \
            all it proves; whether the profile lets a workload run needs an AppArmor kernel.

            Every ABI a profile covers is checked, not only this host's: an OCI profile's \
            architectures, and each native architecture of a Docker archMap with its \
            subArchitectures (as dockerd would resolve it on such a host). A name that does not \
            exist on an ABI is reported at its JSON path (a warning when no ABI of the profile \
            has it, with what the ABI uses instead).

            With --trace, each seccomp profile is also proven against the traces: every recorded \
            syscall of every ABI, with every recorded argument value (socket families, personas, \
            clone flags) and every socket family of the trace's network observations, is run \
            through the profile's compiled filter by cinch's classic-BPF interpreter. Each call the \
            filter would not allow is an error naming the syscall, the ABI, the argument, the \
            action and the rule, located at the trace.

            For a clean file, prints `FILE: ok (x86_64: N instructions, ...)` (one entry per ABI; \
            with --trace followed by `; replayed N calls from M traces: all allowed`) or `FILE: ok \
            (AppArmor: compiles with apparmor_parser; not loaded)` on standard output. Diagnostics \
            go to standard error. --format json prints one JSON document instead (`cinchValidate`: \
            per file its kind, verdict, diagnostics and instructions per ABI), with the same exit status.

            Exit status:
              0   every file is valid (warnings and notes do not fail)
              1   some file has an error diagnostic, or --trace found a call it does not allow
              64  some file or trace could not be read or parsed at all
              69  some file is an AppArmor profile and apparmor_parser is not installed
            """
    )

    @Argument(help: "Profile files to check.")
    var files: [String]

    @Flag(help: "Also print libseccomp's pseudo filter code (PFC) for each file.")
    var pfc = false

    @Option(name: .customLong("trace"), help: "Replay this trace through each seccomp profile (repeatable).")
    var traces: [String] = []

    @OptionGroup var summary: SummaryOptions

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one profile file.") }
    }

    func run() throws {
        var sawError = false
        var sawUnusable = false
        var sawUnavailable = false
        let reports = ValidateJob.run(files, includePFC: pfc && !summary.isJSON, traces: traces)
        if summary.isJSON { summary.print(JobSummary.validation(reports)) }
        for report in reports {
            if summary.isJSON {
                sawUnusable = sawUnusable || report.verdict == .unusable
                sawUnavailable = sawUnavailable || report.verdict == .validatorUnavailable
                sawError = sawError || report.verdict == .invalid
                continue
            }
            for diagnostic in report.diagnostics { writeError(diagnostic.description) }
            switch report.verdict {
            case .unusable: sawUnusable = true
            case .validatorUnavailable: sawUnavailable = true
            case .invalid: sawError = true
            case .valid where report.kind == .apparmor:
                print("\(report.file): ok (AppArmor: compiles with apparmor_parser; not loaded)")
            case .valid:
                let sizes = report.perArchitecture.map {
                    "\($0.architecture.name): \($0.instructionCount) instructions"
                }
                let replayed = report.replay.map {
                    "; replayed \($0.callCount) calls from \($0.traceCount) trace\($0.traceCount == 1 ? "" : "s"): all allowed"
                }
                print("\(report.file): ok (\(sizes.joined(separator: ", ")))\(replayed ?? "")")
            }
            if let text = report.pfc { print(text, terminator: text.hasSuffix("\n") ? "" : "\n") }
        }
        if sawUnusable { throw ExitStatus.unusableInput }
        if sawUnavailable { throw ExitStatus.unavailable }
        if sawError { throw ExitStatus.failure }
    }

    private func writeError(_ line: String) {
        _ = try? FileDescriptor.standardError.writeAll(Array((line + "\n").utf8))
    }
}
