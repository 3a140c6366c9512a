// SPDX-License-Identifier: Apache-2.0
// Byte-level helpers for audit lines: searching, integer parsing, key=value fields, hex decoding.

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// One audit line as raw bytes. Nothing here creates a `String` except ``string(_:)``.
struct AuditLine {
    /// The first byte of the line.
    let base: UnsafePointer<UInt8>
    /// The number of bytes, without the newline.
    let count: Int

    /// The byte at `index`.
    @inline(__always) subscript(index: Int) -> UInt8 { base[index] }

    /// Whether `text` occurs at `index`.
    ///
    /// Compares byte by byte instead of calling `memcmp`: the texts are a few bytes long and
    /// known at compile time, so the loop unrolls into a handful of compares.
    @inline(__always) func has(_ text: StaticString, at index: Int) -> Bool {
        let length = text.utf8CodeUnitCount
        guard index >= 0, index + length <= count else { return false }
        return Self.same(base + index, text.utf8Start, length)
    }

    /// Whether the bytes in `range` are exactly `text`.
    @inline(__always) func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
        range.count == text.utf8CodeUnitCount && Self.same(base + range.lowerBound, text.utf8Start, range.count)
    }

    @inline(__always) static func same(_ lhs: UnsafePointer<UInt8>, _ rhs: UnsafePointer<UInt8>, _ length: Int) -> Bool
    {
        let left = UnsafeRawPointer(lhs)
        let right = UnsafeRawPointer(rhs)
        var index = 0
        while length - index >= 8 {
            if left.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                != right.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            {
                return false
            }
            index += 8
        }
        while index < length {
            if lhs[index] != rhs[index] { return false }
            index += 1
        }
        return true
    }

    /// The index of the first occurrence of `text` in `from..<to`, or nil.
    func find(_ text: StaticString, from: Int = 0, to: Int? = nil) -> Int? {
        let end = to ?? count
        let length = text.utf8CodeUnitCount
        let first = text.utf8Start[0]
        var index = from
        // memchr for the first byte, then compare the rest (memmem needs _GNU_SOURCE).
        while end - index >= length, let candidate = find(byte: first, from: index, to: end - length + 1) {
            if memcmp(base + candidate, text.utf8Start, length) == 0 { return candidate }
            index = candidate + 1
        }
        return nil
    }

    /// The index of the first `byte` in `from..<to`, or nil.
    @inline(__always) func find(byte: UInt8, from: Int, to: Int) -> Int? {
        guard to > from, let found = memchr(base + from, CInt(byte), to - from) else { return nil }
        return UnsafeRawPointer(found) - UnsafeRawPointer(base)
    }

    /// Parses unsigned decimal digits at `index`, advancing it; nil when there are none or too many.
    @inline(__always) func decimal(_ index: inout Int, end: Int) -> UInt64? {
        let start = index
        var value: UInt64 = 0
        // Eight digits at once when there are (time stamps have ten).
        if end - index >= 8 {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let zeros: UInt64 = 0x3030_3030_3030_3030
            if word & 0xF0F0_F0F0_F0F0_F0F0 == zeros, (word &+ 0x0606_0606_0606_0606) & 0xF0F0_F0F0_F0F0_F0F0 == zeros {
                var digits = word &- zeros  // the first digit in the low byte
                digits = (digits &* 10 &+ digits >> 8) & 0x00FF_00FF_00FF_00FF
                digits = (digits &* 100 &+ digits >> 16) & 0x0000_FFFF_0000_FFFF
                digits = (digits &* 10000 &+ digits >> 32) & 0xFFFF_FFFF
                value = digits
                index += 8
            }
        }
        while index < end {
            let digit = base[index] &- UInt8(ascii: "0")
            if digit > 9 { break }
            if index - start >= 19 { return nil }
            value = value &* 10 &+ UInt64(digit)
            index += 1
        }
        return index > start ? value : nil
    }

    /// The whole of `range` as an unsigned decimal, or nil.
    @inline(__always) func decimal(_ range: Range<Int>) -> UInt64? {
        var index = range.lowerBound
        guard let value = decimal(&index, end: range.upperBound), index == range.upperBound else { return nil }
        return value
    }

    /// The whole of `range` as a signed decimal, or nil.
    func signedDecimal(_ range: Range<Int>) -> Int64? {
        guard !range.isEmpty else { return nil }
        if base[range.lowerBound] == UInt8(ascii: "-") {
            guard let magnitude = decimal(range.lowerBound + 1..<range.upperBound), magnitude <= UInt64(Int64.max)
            else { return nil }
            return -Int64(magnitude)
        }
        guard let value = decimal(range), value <= UInt64(Int64.max) else { return nil }
        return Int64(value)
    }

    /// The whole of `range` as hexadecimal (an optional `0x` prefix allowed), or nil.
    func hexadecimal(_ range: Range<Int>) -> UInt64? {
        var index = range.lowerBound
        if has("0x", at: index) { index += 2 }
        guard index < range.upperBound, range.upperBound - index <= 16 else { return nil }
        var value: UInt64 = 0
        while index < range.upperBound {
            guard let nibble = Self.nibble(base[index]) else { return nil }
            value = value << 4 | UInt64(nibble)
            index += 1
        }
        return value
    }

    @inline(__always) static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// The decoded bytes of an untrusted-string value: `"text"` without its quotes, or the
    /// hex-encoded form the kernel uses for values with spaces, quotes or non-ASCII bytes
    /// (`exe=2F7573722F62696E2F63617420`). Other unquoted values (`(null)`, `?`) are taken as they are.
    func decodedValue(_ range: Range<Int>) -> [UInt8] {
        guard !range.isEmpty else { return [] }
        if base[range.lowerBound] == UInt8(ascii: "\"") {
            let end =
                range.count >= 2 && base[range.upperBound - 1] == UInt8(ascii: "\"")
                ? range.upperBound - 1 : range.upperBound
            return Array(UnsafeBufferPointer(start: base + range.lowerBound + 1, count: end - range.lowerBound - 1))
        }
        if range.count % 2 == 0, let decoded = hexDecoded(range) { return decoded }
        return Array(UnsafeBufferPointer(start: base + range.lowerBound, count: range.count))
    }

    private func hexDecoded(_ range: Range<Int>) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(range.count / 2)
        var index = range.lowerBound
        while index < range.upperBound {
            guard let high = Self.nibble(base[index]), let low = Self.nibble(base[index + 1]) else { return nil }
            result.append(high << 4 | low)
            index += 2
        }
        return result
    }

    /// A decoded value as a string (for values cinch keeps).
    func string(_ range: Range<Int>) -> String { String(decoding: decodedValue(range), as: UTF8.self) }
}

/// Walks the `key=value` fields of a record body.
///
/// Values are either `"quoted"` (the kernel never puts spaces or quotes inside) or run to the
/// next space. Tokens without `=` (SELinux's `avc:  denied  { read }`) are skipped. The body ends
/// at the line's end or at auditd's enrichment separator 0x1D, whichever comes first: every byte
/// is looked at once, in order, so the separator is found during the walk without a separate
/// search.
struct AuditFieldCursor {
    /// The line.
    let line: AuditLine
    /// The next byte to look at.
    var index: Int
    /// Where the body ends: the line's end until a 0x1D byte is found.
    private(set) var end: Int
    /// Set when a quoted value has no closing quote: the line was cut.
    var sawUnterminatedQuote = false

    /// Creates a cursor over `start..<end`, which stops early at a 0x1D byte.
    init(line: AuditLine, start: Int, end: Int) {
        self.line = line
        self.index = start
        self.end = end
    }

    /// The next field's key and value ranges (the value keeps its quotes), or nil at the end.
    ///
    /// Byte loops rather than `memchr`: keys and values are a few bytes long, too short for a
    /// call (eight-bytes-at-a-time scanning measured slower too, for the same reason).
    @inline(__always) mutating func next() -> (key: Range<Int>, value: Range<Int>)? {
        let space = UInt8(ascii: " ")
        let quote = UInt8(ascii: "\"")
        let separator: UInt8 = 0x1D
        let base = line.base
        while index < end {
            var byte = base[index]
            while byte == space {
                index += 1
                if index == end { return nil }
                byte = base[index]
            }
            let keyStart = index
            while byte != UInt8(ascii: "="), byte != space, byte != separator {
                index += 1
                if index == end { return nil }
                byte = base[index]
            }
            if byte == separator {
                end = index
                return nil
            }
            if byte == space { continue }
            let key = keyStart..<index
            index += 1
            let valueStart = index
            if index < end, base[index] == quote {
                index += 1
                Self.skipWords(base, &index, end: end, until: Self.quotes, or: Self.separators)
                while index < end {
                    byte = base[index]
                    if byte == quote { break }
                    if byte == separator {
                        end = index
                        break
                    }
                    index += 1
                }
                if index < end {
                    index += 1
                } else {
                    sawUnterminatedQuote = true
                }
            } else {
                // Unquoted values (numbers, addresses) run to 16 bytes: eight at a time.
                Self.skipWords(base, &index, end: end, until: Self.spaces, or: Self.separators)
                while index < end {
                    byte = base[index]
                    if byte == space || byte == separator { break }
                    index += 1
                }
                if index < end, base[index] == separator { end = index }
            }
            return (key, valueStart..<index)
        }
        return nil
    }

    static let quotes: UInt64 = 0x2222_2222_2222_2222
    static let spaces: UInt64 = 0x2020_2020_2020_2020
    static let separators: UInt64 = 0x1D1D_1D1D_1D1D_1D1D

    /// Moves `index` eight bytes at a time while a whole word lies before `end` and holds neither
    /// byte (each repeated in every lane of `first` and `second`); stops on the first such byte
    /// when a word has one. The caller finishes byte by byte from there.
    @inline(__always) static func skipWords(
        _ base: UnsafePointer<UInt8>, _ index: inout Int, end: Int, until first: UInt64, or second: UInt64
    ) {
        let raw = UnsafeRawPointer(base)
        while end - index >= 8 {
            let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let found = zeroBytes(word ^ first) | zeroBytes(word ^ second)
            if found != 0 {
                index += found.trailingZeroBitCount >> 3
                return
            }
            index += 8
        }
    }

    /// The high bit of each zero byte of `word`, exactly (no borrow between bytes, so the lowest
    /// set bit marks the first zero byte of the little-endian word).
    @inline(__always) static func zeroBytes(_ word: UInt64) -> UInt64 {
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        return ~(((word & low) &+ low) | word | low)
    }
}
