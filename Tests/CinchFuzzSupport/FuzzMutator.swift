// SPDX-License-Identifier: Apache-2.0
// A seeded, deterministic byte mutator: the fuzzer that runs inside `make test`, where libFuzzer
// is not built.

/// Makes hostile variants of seed inputs, reproducibly from a 64-bit seed.
///
/// Each variant applies one to four mutations: bit flips, interesting bytes (quotes,
/// brackets, NUL, 0x1D, invalid UTF-8), truncation, insertion, deletion, duplication, splicing
/// with another seed, dictionary tokens, huge or negative numbers, and deep nesting. The same
/// seed gives the same variants on every machine (SplitMix64, no system randomness).
public struct FuzzMutator {
    private var state: UInt64
    private let dictionary: [[UInt8]]

    /// Creates a mutator.
    ///
    /// - Parameters:
    ///   - seed: The random seed; the same seed gives the same sequence.
    ///   - dictionary: Tokens worth inserting (keys, keywords, record prefixes).
    public init(seed: UInt64, dictionary: [[UInt8]] = []) {
        self.state = seed
        self.dictionary = dictionary
    }

    /// The next pseudo-random number (SplitMix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (`bound` > 0).
    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// A variant of `input`; `other` is a second seed to splice from.
    public mutating func mutate(_ input: [UInt8], splicing other: [UInt8]) -> [UInt8] {
        var bytes = input
        // Half the variants differ by one mutation, so strict readers still accept some.
        for _ in 0...(below(2) == 0 ? 0 : below(4)) { mutateOnce(&bytes, other: other) }
        return bytes
    }

    /// Bytes that matter to the parsers.
    static let interesting: [UInt8] =
        Array("\"\\{}[],:=()\n\r\t 0-1.eE#/@^".utf8) + [0x00, 0x1D, 0x7F, 0x80, 0xC0, 0xFF]

    /// Byte strings that break things: invalid UTF-8, a lone surrogate, escapes, huge numbers.
    static let hostile: [[UInt8]] = [
        [0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x80, 0xA8], [0xCC, 0x81],
        Array("\\ud800".utf8), Array("\\u0000".utf8), Array("\\udbff\\udfff".utf8),
        Array("18446744073709551616".utf8), Array("-9223372036854775809".utf8), Array("99999999999999999999".utf8),
        Array("1e999999999".utf8), Array("-0".utf8), Array("0.0000000000000000000001".utf8),
        Array("4294967296".utf8), Array("2147483648".utf8), Array("-1".utf8),
        Array("msg=audit(".utf8), Array("):".utf8), Array("type=UNKNOWN[".utf8), Array(" audit: type=".utf8),
    ]

    private mutating func mutateOnce(_ bytes: inout [UInt8], other: [UInt8]) {
        let position = bytes.isEmpty ? 0 : below(bytes.count + 1)
        switch below(16) {
        case 0 where !bytes.isEmpty:
            let index = below(bytes.count)
            bytes[index] ^= 1 << UInt8(below(8))
        case 1 where !bytes.isEmpty:
            bytes[below(bytes.count)] = Self.interesting[below(Self.interesting.count)]
        case 2:
            bytes.insert(Self.interesting[below(Self.interesting.count)], at: position)
        case 3 where !bytes.isEmpty:
            bytes.removeLast(below(bytes.count) + 1)
        case 4 where !bytes.isEmpty:
            let start = below(bytes.count)
            bytes.removeSubrange(start..<min(bytes.count, start + 1 + below(16)))
        case 5 where !bytes.isEmpty:
            let start = below(bytes.count)
            let slice = bytes[start..<min(bytes.count, start + 1 + below(64))]
            bytes.insert(contentsOf: slice, at: below(bytes.count + 1))
        case 6 where !other.isEmpty:
            let start = below(other.count)
            let slice = other[start..<min(other.count, start + 1 + below(256))]
            bytes.insert(contentsOf: slice, at: position)
        case 7 where !dictionary.isEmpty:
            bytes.insert(contentsOf: dictionary[below(dictionary.count)], at: position)
        case 8:
            bytes.insert(contentsOf: Self.hostile[below(Self.hostile.count)], at: position)
        case 9 where bytes.count < 100_000:
            // Deep nesting, past every limit.
            let opener = ["[", "{\"a\":", "(", "{"][below(4)]
            let depth = [600, 5_000, 100_000][below(3)]
            bytes.insert(contentsOf: String(repeating: opener, count: depth).utf8, at: position)
        case 10:
            // A run of digits becomes a huge or negative number.
            guard let start = bytes.indices.first(where: { $0 >= position && bytes[$0] >= 0x30 && bytes[$0] <= 0x39 })
            else { break }
            var end = start
            while end < bytes.count, bytes[end] >= 0x30, bytes[end] <= 0x39 { end += 1 }
            bytes.replaceSubrange(start..<end, with: Self.hostile[8 + below(9)])
        case 11 where !bytes.isEmpty:
            // One line, repeated (many records, many keys).
            let start = bytes[..<min(position, bytes.count)].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
            let end = bytes[start...].firstIndex(of: 0x0A).map { $0 + 1 } ?? bytes.count
            let line = bytes[start..<end]
            guard line.count <= 4096 else { break }
            var lines: [UInt8] = []
            lines.reserveCapacity(line.count * 201)
            for _ in 0...below(200) { lines.append(contentsOf: line) }
            bytes.insert(contentsOf: lines, at: end)
        case 12:
            bytes.insert(contentsOf: [UInt8](repeating: 0, count: 1 + below(8)), at: position)
        case 13, 14:
            // The text of the next string literal becomes a dictionary token (a key, an action,
            // an architecture): valid JSON, other meaning.
            let words = dictionary.filter { $0.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 < 0x7F } }
            guard !words.isEmpty, let open = bytes[position...].firstIndex(of: 0x22),
                let close = bytes[(open + 1)...].firstIndex(of: 0x22)
            else { break }
            bytes.replaceSubrange((open + 1)..<close, with: words[below(words.count)])
        default:
            if !bytes.isEmpty { bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: next()) }
        }
    }
}
