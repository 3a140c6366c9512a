// SPDX-License-Identifier: Apache-2.0
// A JSON document model that remembers where each value came from, for strict readers.

/// A parsed JSON value, with the line and column where it starts.
///
/// cinch reads profiles and traces strictly and must name the line, column and JSON path of every
/// problem, which `JSONDecoder` does not do reliably. Objects keep their members in document order
/// so duplicate keys can be reported.
public indirect enum JSONValue: Sendable, Equatable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number, kept as its literal text so 64-bit integers survive exactly.
    case number(String)
    /// A string.
    case string(String)
    /// An array.
    case array([JSONNode])
    /// An object, members in document order.
    case object([(key: String, value: JSONNode)])

    /// Compares two values structurally (object members by key, order ignored).
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a.map(\.value) == b.map(\.value)
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            let right = Dictionary(b.map { ($0.key, $0.value.value) }, uniquingKeysWith: { first, _ in first })
            return a.allSatisfy { right[$0.key] == $0.value.value }
        default: return false
        }
    }

    /// A short name of the value's JSON type, for error messages ("a string", "an object").
    public var typeDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A JSON value with its position in the source text.
public struct JSONNode: Sendable, Equatable {
    /// The value.
    public var value: JSONValue
    /// 1-based line of the value's first character (0 for values built in memory).
    public var line: Int
    /// 1-based column (in bytes) of the value's first character.
    public var column: Int

    /// Creates a node.
    public init(_ value: JSONValue, line: Int = 0, column: Int = 0) {
        self.value = value
        self.line = line
        self.column = column
    }

    /// Compares values only, ignoring positions.
    public static func == (lhs: JSONNode, rhs: JSONNode) -> Bool { lhs.value == rhs.value }
}

// MARK: - Building

extension JSONValue {
    /// An object value from key-value pairs (positions unset).
    public static func makeObject(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(members.map { (key: $0.0, value: JSONNode($0.1)) })
    }

    /// An array value from values (positions unset).
    public static func makeArray(_ elements: [JSONValue]) -> JSONValue {
        .array(elements.map { JSONNode($0) })
    }

    /// A number value from an integer.
    public static func integer<T: BinaryInteger>(_ value: T) -> JSONValue { .number(String(value)) }
}

// MARK: - Editing

extension JSONValue {
    /// The value of object member `key`, or nil (also for non-objects).
    public subscript(member key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value.value
    }

    /// A copy of this object with member `key` set to `value` (added at the end when missing).
    ///
    /// A non-object becomes an object holding only that member.
    public func setting(_ key: String, to value: JSONValue) -> JSONValue {
        guard case .object(var members) = self else { return .makeObject([(key, value)]) }
        if let index = members.firstIndex(where: { $0.key == key }) {
            members[index].value = JSONNode(value)
        } else {
            members.append((key: key, value: JSONNode(value)))
        }
        return .object(members)
    }

    /// The string value, or nil.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The boolean value, or nil.
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}
