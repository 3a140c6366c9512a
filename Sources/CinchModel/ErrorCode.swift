// SPDX-License-Identifier: Apache-2.0
// The code of a domain error: one stable identifier type, one namespace per error type.

/// What kind of failure a domain error (`TraceError`, `ContainerError`) is: a stable identifier
/// such as `runtime-failed`.
///
/// `Domain` is the error type, so each error type has codes of its own: the codes are declared
/// in an extension `where Domain == ThatError`, and one error's code cannot be compared with
/// another's.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    private let name: String

    /// A code with the stable identifier `name`.
    public init(_ name: String) { self.name = name }

    /// The stable identifier.
    public var description: String { name }
}
