// SPDX-License-Identifier: Apache-2.0
// Which audit records an ingest takes: time window, processes, executables.

/// A point in time as audit records carry it: milliseconds since the Unix epoch, UTC.
public struct AuditTime: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var milliseconds: Int64

    /// Creates a time from milliseconds since the epoch.
    public init(milliseconds: Int64) { self.milliseconds = milliseconds }

    /// Parses epoch seconds (`1732410000`, `1732410000.25`) or a UTC date and time
    /// (`2024-11-24T01:02:03`, optionally with fractional seconds and a trailing `Z`).
    ///
    /// Returns nil for anything else, including dates with an offset other than `Z`.
    public init?(parsing text: String) {
        let bytes = Array(text.utf8)
        if let value = Self.parseEpoch(bytes) {
            self.milliseconds = value
        } else if let value = Self.parseDate(bytes) {
            self.milliseconds = value
        } else {
            return nil
        }
    }

    /// `seconds.mmm`, the way audit records print it.
    public var description: String {
        let seconds = milliseconds / 1000
        let millis = milliseconds % 1000
        let padded = String(millis)
        return "\(seconds)." + String(repeating: "0", count: 3 - padded.count) + padded
    }

    /// Orders by time.
    public static func < (lhs: AuditTime, rhs: AuditTime) -> Bool { lhs.milliseconds < rhs.milliseconds }

    private static func parseEpoch(_ bytes: [UInt8]) -> Int64? {
        var index = 0
        guard let seconds = digits(bytes, &index, max: 12), seconds.count > 0 else { return nil }
        var millis: Int64 = 0
        if index < bytes.count {
            guard bytes[index] == UInt8(ascii: "."), let fraction = digits(bytes, &index, from: index + 1, max: 9),
                fraction.count > 0, index == bytes.count
            else { return nil }
            millis = fraction.value
            for _ in 0..<(3 - min(fraction.count, 3)) { millis *= 10 }
            for _ in 0..<max(fraction.count - 3, 0) { millis /= 10 }
        }
        return seconds.value * 1000 + millis
    }

    private static func parseDate(_ bytes: [UInt8]) -> Int64? {
        // YYYY-MM-DDTHH:MM:SS[.fff][Z]
        var index = 0
        guard let year = digits(bytes, &index, max: 4), year.count == 4, expect(bytes, &index, "-"),
            let month = digits(bytes, &index, max: 2), month.count == 2, expect(bytes, &index, "-"),
            let day = digits(bytes, &index, max: 2), day.count == 2, index < bytes.count,
            bytes[index] == UInt8(ascii: "T") || bytes[index] == UInt8(ascii: " ")
        else { return nil }
        index += 1
        guard let hour = digits(bytes, &index, max: 2), hour.count == 2, expect(bytes, &index, ":"),
            let minute = digits(bytes, &index, max: 2), minute.count == 2, expect(bytes, &index, ":"),
            let second = digits(bytes, &index, max: 2), second.count == 2
        else { return nil }
        var millis: Int64 = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            guard let fraction = digits(bytes, &index, from: index + 1, max: 9), fraction.count > 0 else { return nil }
            millis = fraction.value
            for _ in 0..<(3 - min(fraction.count, 3)) { millis *= 10 }
            for _ in 0..<max(fraction.count - 3, 0) { millis /= 10 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "Z") { index += 1 }
        guard index == bytes.count, (1...12).contains(month.value), (1...31).contains(day.value), hour.value < 24,
            minute.value < 60, second.value < 61
        else { return nil }
        let days = daysFromCivil(year: year.value, month: month.value, day: day.value)
        return ((days * 24 + hour.value) * 60 + minute.value) * 60_000 + second.value * 1000 + millis
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func digits(
        _ bytes: [UInt8], _ index: inout Int, from start: Int? = nil, max: Int
    ) -> (value: Int64, count: Int)? {
        if let start { index = start }
        var value: Int64 = 0
        var count = 0
        while index < bytes.count, count < max, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") {
            value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            index += 1
            count += 1
        }
        return (value, count)
    }

    private static func expect(_ bytes: [UInt8], _ index: inout Int, _ character: Unicode.Scalar) -> Bool {
        guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
        index += 1
        return true
    }
}

/// Which records an ingest takes. An empty selection takes everything.
///
/// Conditions combine with AND: a record must be inside the time window, belong to a selected
/// process (if any are given) and come from a selected executable (if any are given).
public struct AuditSelection: Sendable, Equatable {
    /// Records stamped before this are skipped.
    public var since: AuditTime?
    /// Records stamped after this are skipped (the bound itself is included).
    public var until: AuditTime?
    /// Process ids (audit's `pid=`, the thread-group id). Children are added when the log shows
    /// them: a `SYSCALL` record whose `ppid=` is selected, or a successful `clone`/`fork`/`vfork`/
    /// `clone3` `SYSCALL` record of a selected process (its `exit=` is the child).
    public var pids: Set<Int32>
    /// Executable paths, compared with the record's decoded `exe=`.
    public var executables: Set<String>
    /// Hosts, by the `node=` auditd prefixes to records it forwards; a record without `node=` is
    /// then skipped. A pid names a process on one host only, so ``pids`` needs one host.
    public var nodes: Set<String>

    /// Creates a selection.
    public init(
        since: AuditTime? = nil, until: AuditTime? = nil, pids: Set<Int32> = [], executables: Set<String> = [],
        nodes: Set<String> = []
    ) {
        self.since = since
        self.until = until
        self.pids = pids
        self.executables = executables
        self.nodes = nodes
    }

    /// Whether `time` is inside the window.
    func contains(milliseconds time: Int64) -> Bool {
        if let since, time < since.milliseconds { return false }
        if let until, time > until.milliseconds { return false }
        return true
    }
}
