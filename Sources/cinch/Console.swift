// SPDX-License-Identifier: Apache-2.0
// Writing messages to standard error (Glibc's `stderr` global is not usable in Swift 6 mode).

import ArgumentParser
import CinchModel
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

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
    static var isTerminal: Bool { isatty(2) == 1 }

    /// Prints diagnostics, most severe first, and returns whether any was an error.
    @discardableResult
    static func report(_ diagnostics: [Diagnostic]) -> Bool {
        for diagnostic in diagnostics.sorted(by: { $0.severity > $1.severity }) { error("cinch: \(diagnostic)") }
        return diagnostics.contains { $0.severity == .error }
    }
}

/// Exit statuses shared by the commands (documented in ExitCodes and each command's discussion).
enum ExitStatus {
    /// The input could not be used (EX_USAGE).
    static let unusableInput = ExitCode(64)
}

/// Loads traces, turning input errors into exit status 64 with the file named.
func loadTraces(_ paths: [String]) throws -> [Trace] {
    var traces: [Trace] = []
    for path in paths {
        do {
            traces.append(try Trace.load(path: path))
        } catch {
            Console.error("cinch: \(error)")
            throw ExitStatus.unusableInput
        }
    }
    return traces
}
