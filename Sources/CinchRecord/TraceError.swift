// SPDX-License-Identifier: Apache-2.0
// The error type of the recorders.

public import SystemPackage

/// A recording could not be made.
public struct TraceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }
        /// The command could not be started.
        public static let spawnFailed = Code("spawn-failed")
        /// The command is not on PATH (or does not exist).
        public static let commandNotFound = Code("command-not-found")
        /// The command exists but cannot be executed (a directory, no execute permission).
        public static let cannotExecute = Code("cannot-execute")
        /// The OCI bundle is missing or broken.
        public static let badBundle = Code("bad-bundle")
        /// The container runtime failed in a way that is not the container's doing.
        public static let runtimeFailed = Code("runtime-failed")
        /// A ptrace request failed for a tracee cinch owns.
        public static let ptraceFailed = Code("ptrace-failed")
        /// The recording filter could not be built.
        public static let filterFailed = Code("filter-failed")
        /// The stable identifier.
        public var description: String { name }
    }

    /// What kind of failure.
    public var code: Code
    /// The complete message.
    public var message: String
    /// The errno behind it, if any.
    public var underlying: Errno?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: Errno? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The message.
    public var description: String { message }
}
