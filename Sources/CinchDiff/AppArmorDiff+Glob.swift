// SPDX-License-Identifier: Apache-2.0
// AppArmor path globs: matching a path, and deciding whether one glob covers everything another matches.

/// An AppArmor path glob, compiled for matching and for comparing with other globs.
///
/// ## Format
/// - `*` matches any characters except `/`, `**` any characters including `/`, `?` one
///   character except `/`.
/// - `[abc]`, `[a-z]` and `[^abc]` match one character of (or not of) a set; a negated set never
///   matches `/`.
/// - `{a,b,c}` matches any of the alternatives, which may themselves contain globs and nest.
/// - `@{NAME}` is a variable. cinch does not expand variables: `@{HOME}` matches only the text
///   `@{HOME}`, so `@{HOME}/**` covers `@{HOME}/.ssh/id_rsa` but not `/root/.ssh/id_rsa`.
/// - `\` escapes the next character.
///
/// ## Comparing globs
/// ``covers(_:)`` answers "does every path `other` matches also match `self`?" by matching the
/// elements of `other` symbolically: a `*` of `other` is covered by a `*` or `**`, a `**` only by
/// a `**`, and a character set by a set that contains it. Alternations are expanded first (at most
/// ``expansionLimit`` alternatives); each alternative of `other` must be covered by one
/// alternative of `self`. The answer is sound (true only when it is true) but not complete:
/// `/a/{b,c}` is not seen to be covered by the union of two rules `/a/b` and `/a/c`.
public struct AppArmorGlob: Sendable, Hashable, CustomStringConvertible {
    /// How many alternatives `{…}` may expand to before a glob is treated as opaque text.
    public static let expansionLimit = 256

    /// The glob as written.
    public var pattern: String
    /// The expanded alternatives, or nil when there are too many or the braces are unbalanced
    /// (the glob then only equals itself).
    let alternatives: [[Element]]?

    /// Compiles `pattern`. Compilation never fails: a malformed glob only equals itself.
    public init(_ pattern: String) {
        self.pattern = pattern
        self.alternatives = Self.expand(Array(pattern.utf8))
    }

    /// The glob as written.
    public var description: String { pattern }

    /// Whether the glob contains no wildcard, set or alternation.
    public var isLiteral: Bool {
        guard let alternatives, alternatives.count == 1, let only = alternatives.first else { return false }
        return only.allSatisfy { if case .set(let set) = $0 { set.isSingleByte } else { false } }
    }

    /// Whether `path`, a concrete path, matches the glob.
    public func matches(_ path: String) -> Bool {
        guard let alternatives else { return pattern == path }
        let elements = Array(path.utf8).map { Element.set(ByteSet(single: $0)) }
        return alternatives.contains { Self.match($0, elements) }
    }

    /// Whether every path `other` matches also matches `self` (see the type's discussion).
    public func covers(_ other: AppArmorGlob) -> Bool {
        if pattern == other.pattern { return true }
        guard let mine = alternatives, let theirs = other.alternatives else { return false }
        return theirs.allSatisfy { candidate in mine.contains { Self.match($0, candidate) } }
    }

    // MARK: - Elements

    /// One element of an expanded glob.
    enum Element: Hashable, Sendable {
        /// One byte out of a set (a literal is a set of one).
        case set(ByteSet)
        /// `*`.
        case star
        /// `**`.
        case doubleStar
    }

    /// A set of bytes as a 256-bit mask.
    struct ByteSet: Hashable, Sendable {
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        init() {}

        init(single byte: UInt8) { insert(byte) }

        /// Every byte but `/`: what `?` matches.
        static var anyButSlash: ByteSet {
            var set = ByteSet()
            for byte in UInt8.min...UInt8.max where byte != UInt8(ascii: "/") { set.insert(byte) }
            return set
        }

        mutating func insert(_ byte: UInt8) {
            let bit = UInt64(1) << UInt64(byte % 64)
            switch byte / 64 {
            case 0: words.0 |= bit
            case 1: words.1 |= bit
            case 2: words.2 |= bit
            default: words.3 |= bit
            }
        }

        func contains(_ byte: UInt8) -> Bool {
            let bit = UInt64(1) << UInt64(byte % 64)
            switch byte / 64 {
            case 0: return words.0 & bit != 0
            case 1: return words.1 & bit != 0
            case 2: return words.2 & bit != 0
            default: return words.3 & bit != 0
            }
        }

        func isSubset(of other: ByteSet) -> Bool {
            words.0 & ~other.words.0 == 0 && words.1 & ~other.words.1 == 0 && words.2 & ~other.words.2 == 0
                && words.3 & ~other.words.3 == 0
        }

        var inverted: ByteSet {
            var set = ByteSet()
            set.words = (~words.0, ~words.1, ~words.2, ~words.3)
            return set
        }

        var isSingleByte: Bool {
            words.0.nonzeroBitCount + words.1.nonzeroBitCount + words.2.nonzeroBitCount + words.3.nonzeroBitCount == 1
        }

        static func == (lhs: ByteSet, rhs: ByteSet) -> Bool {
            lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2
                && lhs.words.3 == rhs.words.3
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
            hasher.combine(words.2)
            hasher.combine(words.3)
        }
    }

    // MARK: - Matching

    /// Whether the glob `pattern` matches every path the element sequence `subject` matches.
    ///
    /// Dynamic programming over (pattern index, subject index), so hostile globs stay polynomial.
    static func match(_ pattern: [Element], _ subject: [Element]) -> Bool {
        let width = subject.count + 1
        // table[i * width + j]: pattern[i...] covers subject[j...]; filled from the end, no recursion.
        var table = [Bool](repeating: false, count: (pattern.count + 1) * width)
        table[pattern.count * width + subject.count] = true
        let slash = UInt8(ascii: "/")
        for i in stride(from: pattern.count - 1, through: 0, by: -1) {
            for j in stride(from: subject.count, through: 0, by: -1) {
                let skip = table[(i + 1) * width + j]
                let result: Bool
                switch pattern[i] {
                case .doubleStar:
                    result = skip || (j < subject.count && table[i * width + j + 1])
                case .star:
                    var consumes = false
                    if j < subject.count {
                        switch subject[j] {
                        case .set(let set): consumes = !set.contains(slash)
                        case .star: consumes = true
                        case .doubleStar: consumes = false
                        }
                    }
                    result = skip || (consumes && table[i * width + j + 1])
                case .set(let set):
                    guard j < subject.count, case .set(let other) = subject[j] else {
                        result = false
                        break
                    }
                    result = other.isSubset(of: set) && table[(i + 1) * width + j + 1]
                }
                table[i * width + j] = result
            }
        }
        return table[0]
    }

    // MARK: - Compiling

    /// Expands alternations and compiles each alternative, or nil when over the limit or malformed.
    static func expand(_ bytes: [UInt8]) -> [[Element]]? {
        var index = 0
        guard let result = expandSequence(bytes, &index, depth: 0, insideBraces: false), index == bytes.count else {
            return nil
        }
        return result
    }

    private static func expandSequence(
        _ bytes: [UInt8], _ index: inout Int, depth: Int, insideBraces: Bool
    ) -> [[Element]]? {
        guard depth < 16 else { return nil }
        var results: [[Element]] = [[]]
        func append(_ element: Element) {
            for offset in results.indices { results[offset].append(element) }
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: ","),
                UInt8(ascii: "}") where insideBraces:
                return results
            case UInt8(ascii: "}"):
                return nil
            case UInt8(ascii: "\\"):
                guard index + 1 < bytes.count else { return nil }
                append(.set(ByteSet(single: bytes[index + 1])))
                index += 2
            case UInt8(ascii: "@") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "{"):
                // A variable: kept as literal text up to its closing brace.
                guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")) else { return nil }
                for literal in bytes[index...close] { append(.set(ByteSet(single: literal))) }
                index = close + 1
            case UInt8(ascii: "*"):
                if index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "*") {
                    append(.doubleStar)
                    index += 2
                    while index < bytes.count, bytes[index] == UInt8(ascii: "*") { index += 1 }
                } else {
                    append(.star)
                    index += 1
                }
            case UInt8(ascii: "?"):
                append(.set(.anyButSlash))
                index += 1
            case UInt8(ascii: "["):
                guard let set = parseSet(bytes, &index) else { return nil }
                append(.set(set))
            case UInt8(ascii: "{"):
                index += 1
                var options: [[Element]] = []
                while true {
                    guard let option = expandSequence(bytes, &index, depth: depth + 1, insideBraces: true),
                        index < bytes.count
                    else { return nil }
                    options += option
                    guard options.count <= expansionLimit else { return nil }
                    index += 1
                    if bytes[index - 1] == UInt8(ascii: "}") { break }
                }
                var combined: [[Element]] = []
                for prefix in results {
                    for option in options { combined.append(prefix + option) }
                }
                guard combined.count <= expansionLimit else { return nil }
                results = combined
            default:
                append(.set(ByteSet(single: byte)))
                index += 1
            }
        }
        return insideBraces ? nil : results
    }

    /// Parses `[...]` starting at `index` (on the `[`); leaves `index` after the `]`.
    private static func parseSet(_ bytes: [UInt8], _ index: inout Int) -> ByteSet? {
        var cursor = index + 1
        var negated = false
        if cursor < bytes.count, bytes[cursor] == UInt8(ascii: "^") {
            negated = true
            cursor += 1
        }
        var set = ByteSet()
        var first = true
        while cursor < bytes.count {
            var byte = bytes[cursor]
            if byte == UInt8(ascii: "]"), !first { break }
            first = false
            if byte == UInt8(ascii: "\\"), cursor + 1 < bytes.count {
                cursor += 1
                byte = bytes[cursor]
            }
            if cursor + 2 < bytes.count, bytes[cursor + 1] == UInt8(ascii: "-"), bytes[cursor + 2] != UInt8(ascii: "]")
            {
                let upper = bytes[cursor + 2]
                if byte <= upper { for member in byte...upper { set.insert(member) } }
                cursor += 3
            } else {
                set.insert(byte)
                cursor += 1
            }
        }
        guard cursor < bytes.count else { return nil }
        index = cursor + 1
        if negated {
            var inverted = set.inverted
            // A negated set never matches the path separator.
            var slashless = ByteSet()
            for byte in UInt8.min...UInt8.max where inverted.contains(byte) && byte != UInt8(ascii: "/") {
                slashless.insert(byte)
            }
            inverted = slashless
            return inverted
        }
        return set
    }
}
