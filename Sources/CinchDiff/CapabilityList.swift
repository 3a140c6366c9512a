// SPDX-License-Identifier: Apache-2.0
// Capability lists (the `--cap-add` set a workload needs) and how `cinch diff` recognises its inputs.

public import CinchModel

/// A set of Linux capabilities, as a workload's `--cap-drop=ALL --cap-add=…` list.
///
/// ## Format
/// Either a JSON array of strings (`["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]`) or text with one
/// or more names per line, separated by whitespace or commas. In text, `#` starts a comment.
///
/// ## Parsing behavior
/// Names are accepted with or without the `CAP_` prefix and in any case, and are stored as
/// `CAP_` plus upper case. Duplicates collapse. A name must consist of letters, digits and `_`;
/// anything else is rejected with its line number.
public struct CapabilityList: Sendable, Hashable {
    /// The capabilities, `CAP_`-prefixed, upper case, sorted.
    public var names: [String]

    /// Creates a list from names in any spelling.
    public init(_ names: some Sequence<String>) {
        self.names = Array(Set(names.map(Self.canonical))).sorted()
    }

    /// `sys_admin` → `CAP_SYS_ADMIN`.
    public static func canonical(_ name: String) -> String { "CAP_" + SeccompTargetName.capability(name) }

    /// Parses a capability list.
    ///
    /// - Throws: ``InputError`` naming the file, line and the bad name.
    public init(bytes: [UInt8], file: String) throws(InputError) {
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if firstByte == UInt8(ascii: "[") {
            let root = try JSONCursor.parse(bytes, file: file)
            var names: [String] = []
            for element in try root.arrayElements() {
                let name = try element.string()
                guard Self.isWellFormed(name) else { throw element.error("\"\(name)\" is not a capability name") }
                names.append(name)
            }
            self.init(names)
            return
        }
        var names: [String] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for token in content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" }) {
                guard Self.isWellFormed(String(token)) else {
                    throw InputError(
                        "\"\(token)\" is not a capability name", at: ProfileLocation(file: file, line: offset + 1))
                }
                names.append(String(token))
            }
        }
        self.init(names)
    }

    /// The list as text, one name per line, sorted.
    public var text: String { names.map { $0 + "\n" }.joined() }

    private static func isWellFormed(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F
            }
    }
}

/// One side of `cinch diff`: a seccomp profile, a capability list or an AppArmor profile,
/// recognised by content.
public enum DiffInput: Sendable {
    /// A Docker or OCI seccomp profile.
    case seccomp(SeccompProfile)
    /// A capability list.
    case capabilities(CapabilityList)
    /// An AppArmor profile.
    case apparmor(AppArmorProfile)

    /// Reads `path`; the word `docker-default` stands for ``DockerDefaultProfile`` (write
    /// `./docker-default` for a file of that name).
    ///
    /// A file whose first non-blank character is `{` is a seccomp profile; one that
    /// ``AppArmorProfile/looksLikeProfile(_:)`` (first token `profile`, `#include`, `include`,
    /// `abi`, `@{…}` or `/path … {`) is an AppArmor profile; anything else is read as a
    /// ``CapabilityList``.
    /// - Throws: ``InputError`` when the file cannot be read or parsed.
    public static func load(_ path: String) throws(InputError) -> DiffInput {
        if path == DockerDefaultProfile.name { return .seccomp(DockerDefaultProfile.profile) }
        let bytes = try FileIO.read(path)
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if firstByte == UInt8(ascii: "{") { return .seccomp(try SeccompProfile(jsonBytes: bytes, file: path)) }
        if AppArmorProfile.looksLikeProfile(bytes) { return .apparmor(try AppArmorProfile(bytes: bytes, file: path)) }
        return .capabilities(try CapabilityList(bytes: bytes, file: path))
    }
}
