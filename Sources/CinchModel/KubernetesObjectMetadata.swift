// SPDX-License-Identifier: Apache-2.0
// The name and namespace of a Kubernetes object cinch writes, and the DNS-1123 rules they follow.

/// The `metadata` of a Kubernetes object cinch writes: a name and, optionally, a namespace.
///
/// The API server accepts an object's name only as a DNS-1123 subdomain and a namespace only as a
/// DNS-1123 label; ``nameProblem(_:)`` and ``namespaceProblem(_:)`` apply those rules before
/// anything is written, so a name never needs quoting and cannot carry YAML of its own.
public struct KubernetesObjectMetadata: Sendable, Hashable {
    /// The longest DNS-1123 subdomain (an object name).
    public static let subdomainLimit = 253
    /// The longest DNS-1123 label (a namespace).
    public static let labelLimit = 63

    /// The object's name, a DNS-1123 subdomain.
    public var name: String
    /// The object's namespace, a DNS-1123 label; nil leaves it to `kubectl apply -n` or the
    /// current context.
    public var namespace: String?

    /// Creates metadata; check the parts with ``problems`` first.
    public init(name: String, namespace: String? = nil) {
        self.name = name
        self.namespace = namespace
    }

    /// What is wrong with the name and the namespace, as sentences; empty when both are valid.
    public var problems: [String] {
        [Self.nameProblem(name), namespace.flatMap(Self.namespaceProblem)].compactMap { $0 }
    }

    /// The `metadata` mapping: `name`, then `namespace` when there is one.
    public func jsonValue() -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name))]
        if let namespace { members.append(("namespace", .string(namespace))) }
        return .makeObject(members)
    }

    // MARK: - DNS-1123

    /// Whether `text` is a DNS-1123 label: 1 to 63 lower-case ASCII letters, digits and `-`,
    /// starting and ending with a letter or digit (`web`, `team-a`).
    public static func isLabel(_ text: String) -> Bool {
        isLabel(Array(text.utf8)[...])
    }

    /// Whether `text` is a DNS-1123 subdomain: at most 253 characters of DNS-1123 labels joined
    /// by `.` (`web`, `web.v2`, `1app`).
    public static func isSubdomain(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= subdomainLimit else { return false }
        return bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).allSatisfy(isLabel)
    }

    /// Why `name` cannot name an object, or nil when it can.
    public static func nameProblem(_ name: String) -> String? {
        guard !isSubdomain(name) else { return nil }
        return
            "The name \(quoted(name)) is not a DNS-1123 subdomain, which Kubernetes requires of an object's name: use at most \(subdomainLimit) lower-case letters, digits, '-' and '.', each '.'-separated part starting and ending with a letter or digit."
    }

    /// Why `namespace` cannot name a namespace, or nil when it can.
    public static func namespaceProblem(_ namespace: String) -> String? {
        guard !isLabel(namespace) else { return nil }
        return
            "The namespace \(quoted(namespace)) is not a DNS-1123 label, which Kubernetes requires of a namespace: use 1 to \(labelLimit) lower-case letters, digits and '-', starting and ending with a letter or digit."
    }

    private static func isLabel(_ bytes: ArraySlice<UInt8>) -> Bool {
        func isAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        guard let first = bytes.first, let last = bytes.last, bytes.count <= labelLimit else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last)
            && bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    /// `text` as a JSON string literal, so control characters in a message stay visible.
    private static func quoted(_ text: String) -> String {
        var out = ""
        JSONValue.writeString(text, into: &out)
        return out
    }
}
