// SPDX-License-Identifier: Apache-2.0
// Interning of raw audit values (executables, file names) and a fixed-size set of pids.

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// Maps raw field values (as they appear in the log, quoted or hex) to small integer ids.
///
/// Logs repeat a handful of values millions of times, so a small ring of recently seen raw values
/// is compared with `memcmp` first; only a miss hashes, and only a new value decodes and creates
/// a `String`.
struct AuditInterner {
    /// Decoded values by id.
    private(set) var names: [String] = []
    private var ids: [[UInt8]: Int32] = [:]
    private var recentRaw: [[UInt8]] = []
    private var recentID: [Int32] = []
    private var nextSlot = 0
    private static let recentCount = 16

    /// The id of the value at `range` of `line`, decoding and storing it the first time.
    @inline(__always) mutating func id(of range: Range<Int>, in line: AuditLine) -> Int32 {
        let start = line.base + range.lowerBound
        for slot in recentRaw.indices {
            let raw = recentRaw[slot]
            if raw.count == range.count,
                raw.withUnsafeBufferPointer({ $0.baseAddress.map { memcmp($0, start, range.count) == 0 } ?? true })
            {
                return recentID[slot]
            }
        }
        let raw = Array(UnsafeBufferPointer(start: start, count: range.count))
        let decoded = line.decodedValue(range)
        let id: Int32
        if let known = ids[decoded] {
            id = known
        } else {
            id = Int32(names.count)
            ids[decoded] = id
            names.append(String(decoding: decoded, as: UTF8.self))
        }
        if recentRaw.count < Self.recentCount {
            recentRaw.append(raw)
            recentID.append(id)
        } else {
            recentRaw[nextSlot] = raw
            recentID[nextSlot] = id
            nextSlot = (nextSlot + 1) % Self.recentCount
        }
        return id
    }

    /// The id of a decoded value, for values that are not in a line (the empty "no exe=").
    mutating func id(ofDecoded value: String) -> Int32 {
        let bytes = Array(value.utf8)
        if let known = ids[bytes] { return known }
        let id = Int32(names.count)
        ids[bytes] = id
        names.append(value)
        return id
    }
}

/// A set of pids as a bitmap: constant time, and at most 512 KiB for Linux's largest `pid_max`
/// (2^22); memory never depends on how many records name a pid.
struct AuditPidSet {
    private var words: [UInt64] = []
    /// How many distinct pids were inserted.
    private(set) var count = 0

    /// Inserts `pid` (0 through 2^22 - 1; others are counted without a bit, as distinct).
    @inline(__always) mutating func insert(_ pid: Int32) {
        guard pid >= 0, pid < 1 << 22 else {
            count += 1
            return
        }
        let word = Int(pid >> 6)
        if word >= words.count { words.append(contentsOf: repeatElement(0, count: word - words.count + 1)) }
        let bit: UInt64 = 1 << UInt64(pid & 63)
        if words[word] & bit == 0 {
            words[word] |= bit
            count += 1
        }
    }
}
