// SPDX-License-Identifier: Apache-2.0
// The error thrown when an input file (trace, profile) cannot be used at all.

/// An input file that cannot be used: unreadable, not JSON, or of the wrong shape.
///
/// The message names the file and, where known, the line, column and JSON path.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is.
    public var location: ProfileLocation
    /// What is wrong, as a sentence.
    public var message: String

    /// Creates an error.
    public init(_ message: String, at location: ProfileLocation) {
        self.message = message
        self.location = location
    }

    /// `file:line:column (path): message`.
    public var description: String { "\(location): \(message)" }
}

/// Walks a ``JSONNode`` tree, building JSON paths and errors that point into the file.
public struct JSONCursor: Sendable {
    /// The node under the cursor.
    public var node: JSONNode
    /// Its JSON path (`$`, `$.syscalls[2].names`).
    public var path: String
    /// The file it came from.
    public var file: String

    /// A cursor at the root of a document.
    public init(root: JSONNode, file: String) {
        self.node = root
        self.path = "$"
        self.file = file
    }

    init(node: JSONNode, path: String, file: String) {
        self.node = node
        self.path = path
        self.file = file
    }

    /// This node's location.
    public var location: ProfileLocation {
        ProfileLocation(file: file, line: node.line, column: node.column, jsonPath: path)
    }

    /// An error at this node.
    public func error(_ message: String) -> InputError { InputError(message, at: location) }

    /// The members of an object, or an error naming the type found.
    public func objectMembers() throws(InputError) -> [(key: String, cursor: JSONCursor)] {
        guard case .object(let members) = node.value else {
            throw error("expected an object, found \(node.value.typeDescription)")
        }
        var seen = Set<String>()
        var result: [(key: String, cursor: JSONCursor)] = []
        for member in members {
            let child = JSONCursor(node: member.value, path: path + Self.pathComponent(member.key), file: file)
            guard seen.insert(member.key).inserted else { throw child.error("duplicate key \"\(member.key)\"") }
            result.append((key: member.key, cursor: child))
        }
        return result
    }

    /// The elements of an array, or an error.
    public func arrayElements() throws(InputError) -> [JSONCursor] {
        guard case .array(let elements) = node.value else {
            throw error("expected an array, found \(node.value.typeDescription)")
        }
        return elements.enumerated().map { JSONCursor(node: $1, path: path + "[\($0)]", file: file) }
    }

    /// The string value, or an error.
    public func string() throws(InputError) -> String {
        guard case .string(let text) = node.value else {
            throw error("expected a string, found \(node.value.typeDescription)")
        }
        return text
    }

    /// The boolean value, or an error.
    public func bool() throws(InputError) -> Bool {
        guard case .bool(let value) = node.value else {
            throw error("expected a boolean, found \(node.value.typeDescription)")
        }
        return value
    }

    /// The value as an unsigned integer that fits `T`, or an error.
    public func unsigned<T: FixedWidthInteger & UnsignedInteger>(_: T.Type = T.self) throws(InputError) -> T {
        guard case .number(let text) = node.value else {
            throw error("expected a non-negative integer, found \(node.value.typeDescription)")
        }
        guard let value = T(text) else {
            throw error("expected a non-negative integer no larger than \(T.max), found \(text)")
        }
        return value
    }

    /// The value as a signed integer that fits `T`, or an error.
    public func signed<T: FixedWidthInteger & SignedInteger>(_: T.Type = T.self) throws(InputError) -> T {
        guard case .number(let text) = node.value, let value = T(text) else {
            throw error("expected an integer, found \(node.value.typeDescription)")
        }
        return value
    }

    /// An array of strings, or an error at the first bad element.
    public func strings() throws(InputError) -> [String] {
        var result: [String] = []
        for element in try arrayElements() { result.append(try element.string()) }
        return result
    }

    /// `.key` for identifier-like keys, `["key"]` otherwise.
    static func pathComponent(_ key: String) -> String {
        let simple =
            !key.isEmpty
            && key.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F
            }
        if simple { return "." + key }
        var quoted = ""
        JSONValue.writeString(key, into: &quoted)
        return "[" + quoted + "]"
    }

    /// Parses `bytes` as JSON and returns a root cursor; syntax errors become ``InputError``s.
    public static func parse(_ bytes: [UInt8], file: String) throws(InputError) -> JSONCursor {
        do {
            return JSONCursor(root: try JSONParser.parse(bytes), file: file)
        } catch {
            throw InputError(
                "invalid JSON: \(error.message)",
                at: ProfileLocation(file: file, line: error.line, column: error.column)
            )
        }
    }
}
