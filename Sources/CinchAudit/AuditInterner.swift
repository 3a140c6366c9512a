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
/// Logs repeat a handful of values millions of times, so raw values are looked up in an
/// open-addressing table keyed by a cheap hash of their bytes (8 at a time), compared with
/// `memcmp` on a hit; only a new raw value decodes, and only a new decoded value creates a
/// `String`. The table holds each distinct raw value once, so it grows with what the workload
/// did, not with the log's size.
struct AuditInterner {
    /// Decoded values by id.
    private(set) var names: [String] = []
    private var ids: [[UInt8]: Int32] = [:]
    /// Distinct raw values, back to back.
    private var arena: [UInt8] = []
    private var entryStart: [Int] = []
    private var entryCount: [Int] = []
    private var entryID: [Int32] = []
    /// Entry index + 1 per slot (0 is empty); the count is a power of two, at most half full.
    private var slots = [Int32](repeating: 0, count: 64)

    /// The id of the value at `range` of `line`, decoding and storing it the first time.
    @inline(__always) mutating func id(of range: Range<Int>, in line: AuditLine) -> Int32 {
        let start = line.base + range.lowerBound
        let length = range.count
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: Self.hash(start, length)) & mask
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { break }
            if entryCount[entry] == length,
                arena.withUnsafeBufferPointer({
                    $0.baseAddress.map { memcmp($0 + entryStart[entry], start, length) == 0 } ?? true
                })
            {
                return entryID[entry]
            }
            slot = (slot + 1) & mask
        }
        return insert(range, in: line, slot: slot)
    }

    private mutating func insert(_ range: Range<Int>, in line: AuditLine, slot: Int) -> Int32 {
        let decoded = line.decodedValue(range)
        let id: Int32
        if let known = ids[decoded] {
            id = known
        } else {
            id = Int32(names.count)
            ids[decoded] = id
            names.append(String(decoding: decoded, as: UTF8.self))
        }
        entryStart.append(arena.count)
        entryCount.append(range.count)
        entryID.append(id)
        arena.append(contentsOf: UnsafeBufferPointer(start: line.base + range.lowerBound, count: range.count))
        slots[slot] = Int32(entryID.count)
        if entryID.count * 2 > slots.count { rehash() }
        return id
    }

    private mutating func rehash() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        let mask = slots.count - 1
        for entry in entryID.indices {
            let hash = arena.withUnsafeBufferPointer { buffer in
                buffer.baseAddress.map { Self.hash($0 + entryStart[entry], entryCount[entry]) } ?? Self.hash(nil, 0)
            }
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry + 1)
        }
    }

    /// A multiply-rotate hash of `count` bytes, 8 at a time.
    @inline(__always) static func hash(_ start: UnsafePointer<UInt8>?, _ count: Int) -> UInt64 {
        var hash = UInt64(truncatingIfNeeded: count) &* 0x9E37_79B9_7F4A_7C15
        guard let start else { return hash }
        var index = 0
        let raw = UnsafeRawPointer(start)
        while count - index >= 8 {
            hash = (hash ^ raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            hash ^= hash >> 29
            index += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while index < count {
            tail |= UInt64(start[index]) << shift
            shift += 8
            index += 1
        }
        hash = (hash ^ tail) &* 0x94D0_49BB_1331_11EB
        return hash ^ hash >> 32
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

/// Counts per `auditArch << 32 | number` key, in an open-addressing table with a multiplicative
/// hash: a lookup is a multiply, a shift and usually one compare, where `Dictionary` would run
/// SipHash for every record.
struct AuditCountTable {
    /// The keys, in the order they were first counted.
    private(set) var keys: [UInt64] = []
    /// The counts, parallel to ``keys``.
    private(set) var values: [AuditLogParser.SyscallCount] = []
    /// Entry index + 1 per slot (0 is empty); the count is a power of two, at most half full.
    private var slots = [Int32](repeating: 0, count: 256)
    private var shift: UInt64 = 56

    /// Counts one record of `key`; `executable` is kept only for the key's first record.
    @inline(__always) mutating func count(_ key: UInt64, executable: Int32) {
        add(key, count: 1, executable: executable)
    }

    /// Adds `count` records of `key`; `executable` is kept only when the key is new.
    @inline(__always) mutating func add(_ key: UInt64, count: UInt64, executable: Int32) {
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let entry = Int(slots[slot]) - 1
            if entry < 0 { break }
            if keys[entry] == key {
                values[entry].count += count
                return
            }
            slot = (slot + 1) & mask
        }
        keys.append(key)
        values.append(AuditLogParser.SyscallCount(count: count, executable: executable))
        slots[slot] = Int32(keys.count)
        if keys.count * 2 > slots.count { rehash() }
    }

    private mutating func rehash() {
        slots = [Int32](repeating: 0, count: slots.count * 2)
        shift -= 1
        let mask = slots.count - 1
        for (entry, key) in keys.enumerated() {
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = Int32(entry + 1)
        }
    }
}

/// A set of pids as a bitmap: constant time, and at most 512 KiB for Linux's largest `pid_max`
/// (2^22); memory never depends on how many records name a pid.
struct AuditPidSet {
    private var words: [UInt64] = []
    /// How many distinct pids were inserted.
    private(set) var count = 0
    /// How many inserted pids were out of the bitmap's range.
    private var unmapped = 0

    /// Inserts `pid` (0 through 2^22 - 1; others are counted without a bit, as distinct).
    @inline(__always) mutating func insert(_ pid: Int32) {
        guard pid >= 0, pid < 1 << 22 else {
            count += 1
            unmapped += 1
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

    /// Whether `pid` was inserted (pids outside the bitmap's range are never found).
    func contains(_ pid: Int32) -> Bool {
        guard pid >= 0, pid < 1 << 22, Int(pid >> 6) < words.count else { return false }
        return words[Int(pid >> 6)] & (1 << UInt64(pid & 63)) != 0
    }

    /// Adds every pid of `other`.
    mutating func formUnion(_ other: AuditPidSet) {
        if other.words.count > words.count {
            words.append(contentsOf: repeatElement(0, count: other.words.count - words.count))
        }
        for (index, word) in other.words.enumerated() { words[index] |= word }
        unmapped += other.unmapped
        count = unmapped + words.reduce(0) { $0 + $1.nonzeroBitCount }
    }
}
