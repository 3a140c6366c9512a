// SPDX-License-Identifier: Apache-2.0
// The error type of the libseccomp wrapper.

public import SystemPackage

/// A libseccomp call failed.
public struct SeccompError: Error, Sendable, CustomStringConvertible {
    /// The libseccomp function that failed.
    public var function: String
    /// The errno libseccomp returned (it returns `-errno`).
    public var errno: Errno
    /// Extra context: syscall name, architecture.
    public var context: String

    /// Creates an error.
    public init(function: String, errno: Errno, context: String = "") {
        self.function = function
        self.errno = errno
        self.context = context
    }

    /// A sentence naming the call, the context and the errno.
    public var description: String {
        let detail = context.isEmpty ? "" : " (\(context))"
        return "libseccomp \(function) failed\(detail): \(errno)"
    }
}
