// SPDX-License-Identifier: Apache-2.0
// Writing messages to standard error (Glibc's `stderr` global is not usable in Swift 6 mode).

import ArgumentParser
import CinchLinux
import CinchModel
import SystemPackage

/// Messages for the user on standard error.
enum Console {
    /// Writes one line to standard error.
    static func error(_ message: String) {
        _ = try? FileDescriptor.standardError.writeAll(Array((message + "\n").utf8))
    }

    /// Writes without a newline (for the live status line).
    static func raw(_ text: String) {
        _ = try? FileDescriptor.standardError.writeAll(Array(text.utf8))
    }

    /// Whether standard error is a terminal.
    static var isTerminal: Bool { System.isTerminal(2) }

    /// Prints `cinch: MESSAGE` to standard error and returns `status`, for `throw Console.fail(…)`.
    static func fail(_ message: some CustomStringConvertible, _ status: ExitCode) -> ExitCode {
        error("cinch: \(message)")
        return status
    }

    /// Prints diagnostics, most severe first, and returns whether any was an error.
    @discardableResult
    static func report(_ diagnostics: [Diagnostic]) -> Bool {
        for diagnostic in diagnostics.sorted(by: { $0.severity > $1.severity }) { error("cinch: \(diagnostic)") }
        return diagnostics.contains { $0.severity == .error }
    }
}

/// Exit statuses shared by the commands (documented in ExitCodes and each command's discussion).
enum ExitStatus {
    /// 1: the job ran and its answer is "no" (validation errors, drift, a widening, a failed verify).
    static let failure = ExitCode.failure
    /// 64: the input is unusable (a malformed trace, profile, manifest or option).
    static let unusableInput = ExitCode(64)
    /// 69: a tool cinch needs is missing (apparmor_parser, auditctl).
    static let unavailable = ExitCode(69)
    /// 70: cinch could not trace or run the workload (ptrace, the container runtime).
    static let cannotRun = ExitCode(70)
    /// 75: the run did not exercise the workload: with `--driver` or `--wait-port`, the container
    /// never became ready (or exited first), so the driver never ran.
    static let notExercised = ExitCode(75)
    /// 73: an output file could not be written.
    static let cannotWrite = ExitCode(73)
    /// 126: the command exists but cannot be executed.
    static let cannotExecute = ExitCode(126)
    /// 127: the command was not found.
    static let notFound = ExitCode(127)
}
