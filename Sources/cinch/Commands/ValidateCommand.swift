// SPDX-License-Identifier: Apache-2.0
// `cinch validate`: check seccomp profiles with libseccomp, per ABI, without loading them.

import ArgumentParser
import CinchModel
import CinchSeccomp
import CinchValidate
import SystemPackage

/// `cinch validate FILE...`.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check seccomp profiles (Docker or OCI JSON) the way a container runtime would.",
        discussion: """
            Each file is read strictly (unknown keys, wrong types and unknown actions, operators or \
            architectures are errors with file:line:column and JSON path), compiled with libseccomp for \
            every ABI it covers, and linted: a denying profile should allow exit, exit_group, \
            rt_sigreturn and restart_syscall, and one syscall should not be in rules with different \
            actions. Docker includes/excludes are evaluated for this host with Docker's default \
            capabilities. Nothing is ever loaded into cinch.

            For a clean file, prints `FILE: ok (x86_64: N instructions, ...)` on standard output. \
            Diagnostics go to standard error.

            Exit status:
              0   every file is valid (warnings and notes do not fail)
              1   some file has an error diagnostic
              64  some file could not be read or parsed at all
            """
    )

    @Argument(help: "Profile files to check.")
    var files: [String]

    @Flag(help: "Also print libseccomp's pseudo filter code (PFC) for each file.")
    var pfc = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("Give at least one profile file.") }
    }

    func run() throws {
        var sawError = false
        var sawUnusable = false
        for file in files {
            let report = SeccompValidator.validate(path: file, includePFC: pfc)
            for diagnostic in report.diagnostics { writeError(diagnostic.description) }
            if !report.isUsable {
                sawUnusable = true
            } else if report.hasErrors {
                sawError = true
            } else {
                let sizes = report.perArchitecture.map {
                    "\($0.architecture.name): \($0.instructionCount) instructions"
                }
                print("\(file): ok (\(sizes.joined(separator: ", ")))")
            }
            if let text = report.pfc { print(text, terminator: text.hasSuffix("\n") ? "" : "\n") }
        }
        if sawUnusable { throw ExitCode(64) }
        if sawError { throw ExitCode.failure }
    }

    private func writeError(_ line: String) {
        _ = try? FileDescriptor.standardError.writeAll(Array((line + "\n").utf8))
    }
}
