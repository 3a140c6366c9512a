// SPDX-License-Identifier: Apache-2.0
// Deterministic block-style YAML rendering of a JSON value, for Kubernetes objects.

extension JSONValue {
    /// Renders the value as block-style YAML, ending with a newline.
    ///
    /// ## Format
    /// - Object members are written in the order the object holds them, not sorted: whoever builds
    ///   the value decides the order, so a Kubernetes object can start with `apiVersion`, `kind`,
    ///   `metadata` and `spec`. A value built the same way renders byte-identically.
    /// - Each level is indented by two spaces; a sequence is indented under its key
    ///   (`key:` then `  - item`), and an object in a sequence starts on the dash line.
    /// - Empty arrays and objects are written `[]` and `{}`.
    /// - A key longer than 1000 characters is written as an explicit key (`? key`, then `: value`),
    ///   since YAML allows at most 1024 characters in an implicit one.
    /// - Numbers keep their JSON text; a fraction or exponent is spelled so that YAML 1.1
    ///   readers also see a float (`1e5` → `1.0e+5`). Integers are unchanged.
    ///
    /// ## Quoting
    /// Values are hostile input (names from traces), so a string or key is written plain only when
    /// it cannot be read as anything but that string: it starts with an ASCII letter, `_` or `/`,
    /// holds only ASCII letters, digits, `_`, `.`, `/` and `-`, and is none of the words YAML 1.1
    /// or 1.2 reads as a boolean or null (`yes`, `No`, `on`, `OFF`, `y`, `null`, in any case).
    /// Every other string — empty, numeric-looking, with a space, `:`, `#`, a quote, a line break
    /// or any non-ASCII character — is written double-quoted with JSON-style escapes, which YAML
    /// reads back exactly. Characters YAML does not allow raw in a document (C0 and C1 controls,
    /// DEL, U+2028, U+2029, U+FEFF, U+FFFE, U+FFFF) are written as `\uXXXX`, so no value can end
    /// its line and start another key.
    public func renderedYAML() -> String {
        switch self {
        case .array(let elements) where !elements.isEmpty:
            return Self.sequenceLines(elements).joined(separator: "\n") + "\n"
        case .object(let members) where !members.isEmpty:
            return Self.mappingLines(members).joined(separator: "\n") + "\n"
        default:
            return scalarYAML + "\n"
        }
    }

    /// Whether the value is written on its key's line: a scalar or an empty collection.
    private var isInline: Bool {
        switch self {
        case .array(let elements): elements.isEmpty
        case .object(let members): members.isEmpty
        default: true
        }
    }

    /// The value on one line; only for ``isInline`` values.
    private var scalarYAML: String {
        switch self {
        case .null: "null"
        case .bool(let value): value ? "true" : "false"
        case .number(let text): Self.yamlNumber(text)
        case .string(let text): Self.yamlString(text)
        case .array: "[]"
        case .object: "{}"
        }
    }

    private static func mappingLines(_ members: [(key: String, value: JSONNode)]) -> [String] {
        var lines: [String] = []
        for member in members {
            let key = yamlString(member.key)
            let value = member.value.value
            // YAML limits an implicit key to 1024 characters; a longer one is written explicitly.
            var keyLine = key + ":"
            if key.unicodeScalars.count > 1000 {
                lines.append("? " + key)
                keyLine = ":"
            }
            if value.isInline {
                lines.append("\(keyLine) \(value.scalarYAML)")
                continue
            }
            lines.append(keyLine)
            lines += value.blockLines.map { "  " + $0 }
        }
        return lines
    }

    private static func sequenceLines(_ elements: [JSONNode]) -> [String] {
        var lines: [String] = []
        for element in elements {
            let value = element.value
            if value.isInline {
                lines.append("- " + value.scalarYAML)
                continue
            }
            for (offset, line) in value.blockLines.enumerated() {
                lines.append((offset == 0 ? "- " : "  ") + line)
            }
        }
        return lines
    }

    /// The lines of a non-empty collection, unindented.
    private var blockLines: [String] {
        switch self {
        case .array(let elements): Self.sequenceLines(elements)
        case .object(let members): Self.mappingLines(members)
        default: [scalarYAML]
        }
    }

    // MARK: - Scalars

    /// Words that YAML 1.1 or 1.2 reads as booleans or null when plain, compared in lower case.
    private static let reservedWords: Set<String> = ["y", "yes", "n", "no", "true", "false", "on", "off", "null"]

    /// Whether `text` reads back as the same string when written without quotes.
    static func isPlainSafe(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard let first = bytes.first else { return false }
        func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }
        func isDigit(_ byte: UInt8) -> Bool { (0x30...0x39).contains(byte) }
        guard isLetter(first) || first == UInt8(ascii: "_") || first == UInt8(ascii: "/") else { return false }
        let allowed = bytes.allSatisfy { byte in
            isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "-")
        }
        return allowed && !reservedWords.contains(text.lowercased())
    }

    /// `text` as a YAML scalar: plain when ``isPlainSafe(_:)``, otherwise double-quoted.
    static func yamlString(_ text: String) -> String {
        guard !isPlainSafe(text) else { return text }
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                let value = scalar.value
                if value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029
                    || value == 0xFEFF || value == 0xFFFE || value == 0xFFFF
                {
                    let hex = String(value, radix: 16, uppercase: true)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A JSON number's text as a YAML number that 1.1 and 1.2 readers agree on.
    ///
    /// JSON integers are YAML integers as they are. YAML 1.1 reads a float only with a `.` in the
    /// mantissa and a sign on the exponent, so `1e5` becomes `1.0e+5` and `2.5E3` becomes
    /// `2.5E+3`; the value is unchanged.
    static func yamlNumber(_ text: String) -> String {
        guard let exponentIndex = text.firstIndex(where: { $0 == "e" || $0 == "E" }) else {
            return text
        }
        var mantissa = String(text[..<exponentIndex])
        if !mantissa.contains(".") { mantissa += ".0" }
        var exponent = String(text[text.index(after: exponentIndex)...])
        if !exponent.hasPrefix("+") && !exponent.hasPrefix("-") { exponent = "+" + exponent }
        return mantissa + String(text[exponentIndex]) + exponent
    }
}
