// SPDX-License-Identifier: Apache-2.0
// Deterministic JSON rendering: sorted keys, two-space indentation, trailing newline.

extension JSONValue {
    /// Renders the value as pretty-printed JSON with object keys sorted, ending with a newline.
    ///
    /// Output is byte-identical for equal values, which keeps CI diffs and golden files stable.
    /// Short arrays of scalars stay on one line only when empty (`[]`), so diffs stay line-based.
    public func rendered() -> String {
        var out = ""
        write(into: &out, indent: 0)
        out.append("\n")
        return out
    }

    private func write(into out: inout String, indent: Int) {
        switch self {
        case .null: out.append("null")
        case .bool(let value): out.append(value ? "true" : "false")
        case .number(let text): out.append(text)
        case .string(let text): JSONValue.writeString(text, into: &out)
        case .array(let elements):
            if elements.isEmpty {
                out.append("[]")
                return
            }
            out.append("[\n")
            for (offset, element) in elements.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                element.value.write(into: &out, indent: indent + 2)
                out.append(offset == elements.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent) + "]")
        case .object(let members):
            if members.isEmpty {
                out.append("{}")
                return
            }
            out.append("{\n")
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (offset, member) in sorted.enumerated() {
                out.append(String(repeating: " ", count: indent + 2))
                JSONValue.writeString(member.key, into: &out)
                out.append(": ")
                member.value.value.write(into: &out, indent: indent + 2)
                out.append(offset == sorted.count - 1 ? "\n" : ",\n")
            }
            out.append(String(repeating: " ", count: indent) + "}")
        }
    }

    /// Appends `text` as a JSON string literal, escaping quotes, backslashes and control characters.
    static func writeString(_ text: String, into out: inout String) {
        out.append("\"")
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || (0x2028...0x2029).contains(scalar.value) {
                    let hex = String(scalar.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - hex.count) + hex)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out.append("\"")
    }
}
