// SPDX-License-Identifier: Apache-2.0
// What the machine running the tests can do, and where the built binaries are.

import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Facts about the test machine, used by `.enabled(if:)` traits.
///
/// On CI (`CI=true`) every prerequisite is reported as available, so a missing component makes
/// the test run and fail instead of being skipped: CI prepares everything, so a skip there is a
/// failure.
public enum TestEnvironment {
    /// `CI=true` in the environment.
    public static let isCI: Bool = getenv("CI").map { String(cString: $0) == "true" } ?? false

    /// Whether tests run as root.
    public static let isRoot: Bool = geteuid() == 0

    /// On CI always true; elsewhere `condition`.
    public static func available(_ condition: Bool) -> Bool { isCI || condition }

    /// The repository root, derived from this file's path.
    public static func repositoryRoot(file: StaticString = #filePath) -> String {
        var components = "\(file)".split(separator: "/", omittingEmptySubsequences: false)
        components.removeLast(3)  // …/Tests/CinchTestSupport/TestEnvironment.swift
        return components.joined(separator: "/")
    }

    /// A built product of this package (`cinch`, `cinch-probe`), from `CINCH_BIN_DIR` or `.build/debug`.
    public static func product(_ name: String) -> String {
        if let directory = getenv("CINCH_BIN_DIR") { return String(cString: directory) + "/" + name }
        return repositoryRoot() + "/.build/debug/" + name
    }

    /// Whether a product was built (run `swift build` before `swift test`; `make test` does).
    public static func hasProduct(_ name: String) -> Bool { access(product(name), X_OK) == 0 }

    /// Whether an executable is on PATH (`strace`, `runc`).
    public static func hasTool(_ name: String) -> Bool {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return path.split(separator: ":").contains { access("\($0)/\(name)", X_OK) == 0 }
    }

    /// Whether ptrace-based tracing can work here: the probe is built and ptrace is not blocked.
    public static let canPtrace: Bool = {
        guard hasProduct("cinch-probe") else { return false }
        if let scope = try? String(contentsOfFile: "/proc/sys/kernel/yama/ptrace_scope", encoding: .utf8),
            scope.trimmingCharacters(in: .whitespacesAndNewlines) == "3"
        {
            return false
        }
        return true
    }()
}
