// SPDX-License-Identifier: Apache-2.0
// The error type of running a container.

public import CinchModel

/// A container could not be prepared, created or started.
public struct ContainerError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public typealias Code = ErrorCode<ContainerError>

    /// What kind of failure.
    public var code: Code
    /// The complete message.
    public var message: String
    /// The launcher's own error, for ``Code/launchFailed``.
    public var underlying: (any Error & Sendable)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The message.
    public var description: String { message }
}

extension ErrorCode where Domain == ContainerError {
    /// The OCI bundle is missing or broken.
    public static var badBundle: Self { Self("bad-bundle") }
    /// The container runtime failed in a way that is not the container's doing.
    public static var runtimeFailed: Self { Self("runtime-failed") }
    /// The launcher (for example a recorder tracing the runtime) failed; see ``ContainerError/underlying``.
    public static var launchFailed: Self { Self("launch-failed") }
}
