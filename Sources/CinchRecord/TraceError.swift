// SPDX-License-Identifier: Apache-2.0
// The error type of the recorders.

public import CinchModel
public import SystemPackage

/// A recording could not be made.
public struct TraceError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public typealias Code = ErrorCode<TraceError>

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

extension ErrorCode where Domain == TraceError {
    /// The command could not be started.
    public static var spawnFailed: Self { Self("spawn-failed") }
    /// The command is not on PATH (or does not exist).
    public static var commandNotFound: Self { Self("command-not-found") }
    /// The command exists but cannot be executed (a directory, no execute permission).
    public static var cannotExecute: Self { Self("cannot-execute") }
    /// The OCI bundle is missing or broken.
    public static var badBundle: Self { Self("bad-bundle") }
    /// The container runtime failed in a way that is not the container's doing.
    public static var runtimeFailed: Self { Self("runtime-failed") }
    /// A ptrace request failed for a tracee cinch owns.
    public static var ptraceFailed: Self { Self("ptrace-failed") }
    /// The recording filter could not be built.
    public static var filterFailed: Self { Self("filter-failed") }
}
