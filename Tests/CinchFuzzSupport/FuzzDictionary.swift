// SPDX-License-Identifier: Apache-2.0
// Reads the libFuzzer dictionaries under Tests/Fixtures/fuzz, so the mutation tests insert the
// same tokens libFuzzer does.

/// The tokens of a libFuzzer (AFL) dictionary.
///
/// ## Format
/// One token per line, `"token"` or `name="token"`; `#` starts a comment line. Inside the quotes
/// `\\`, `\"` and `\xNN` are escapes.
///
/// ## Parsing behavior
/// Lines that are not a quoted token are skipped, as libFuzzer would reject them; the dictionaries
/// are ours, so this is never user input.
public enum FuzzDictionary {
    /// The tokens of a dictionary file's contents.
    public static func tokens(_ bytes: [UInt8]) -> [[UInt8]] {
        var tokens: [[UInt8]] = []
        for line in bytes.split(separator: 0x0A) {
            guard let open = line.firstIndex(of: UInt8(ascii: "\"")), line.first != UInt8(ascii: "#"),
                line.last == UInt8(ascii: "\""), open < line.endIndex - 1
            else { continue }
            var token: [UInt8] = []
            var index = open + 1
            let end = line.endIndex - 1
            while index < end {
                let byte = line[index]
                if byte == UInt8(ascii: "\\"), index + 1 < end {
                    if line[index + 1] == UInt8(ascii: "x"), index + 3 < end,
                        let value = UInt8(String(decoding: line[(index + 2)...(index + 3)], as: UTF8.self), radix: 16)
                    {
                        token.append(value)
                        index += 4
                        continue
                    }
                    token.append(line[index + 1])
                    index += 2
                    continue
                }
                token.append(byte)
                index += 1
            }
            tokens.append(token)
        }
        return tokens
    }
}
