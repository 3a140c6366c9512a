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
    @inline(__always) func has(_ text: StaticString, at index: Int) -> Bool {
        let length = text.utf8CodeUnitCount
        guard index >= 0, index + length <= count else { return false }
        return memcmp(base + index, text.utf8Start, length) == 0
    }

    /// Whether the bytes in `range` are exactly `text`.
    @inline(__always) func equals(_ range: Range<Int>, _ text: StaticString) -> Bool {
        range.count == text.utf8CodeUnitCount && memcmp(base + range.lowerBound, text.utf8Start, range.count) == 0
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
/// next space. Tokens without `=` (SELinux's `avc:  denied  { read }`) are skipped.
struct AuditFieldCursor {
    /// The line.
    let line: AuditLine
    /// The next byte to look at.
    var index: Int
    /// Where the body ends (the line's end, or auditd's enrichment separator 0x1D).
    let end: Int
    /// Set when a quoted value has no closing quote: the line was cut.
    var sawUnterminatedQuote = false

    /// Creates a cursor over `start..<end`.
    init(line: AuditLine, start: Int, end: Int) {
        self.line = line
        self.index = start
        self.end = end
    }

    /// The next field's key and value ranges (the value keeps its quotes), or nil at the end.
    @inline(__always) mutating func next() -> (key: Range<Int>, value: Range<Int>)? {
        while index < end {
            while index < end, line[index] == UInt8(ascii: " ") { index += 1 }
            if index >= end { return nil }
            let keyStart = index
            while index < end, line[index] != UInt8(ascii: "="), line[index] != UInt8(ascii: " ") { index += 1 }
            if index >= end || line[index] == UInt8(ascii: " ") { continue }
            let key = keyStart..<index
            index += 1
            let valueStart = index
            if index < end, line[index] == UInt8(ascii: "\"") {
                if let close = line.find(byte: UInt8(ascii: "\""), from: index + 1, to: end) {
                    index = close + 1
                } else {
                    sawUnterminatedQuote = true
                    index = end
                }
            } else {
                index = line.find(byte: UInt8(ascii: " "), from: index, to: end) ?? end
            }
            return (key, valueStart..<index)
        }
        return nil
    }
}
