// SPDX-License-Identifier: Apache-2.0
// Merging recordings by union, and how many of them saw each syscall (coverage).

public import CinchModel

/// The union of several traces, with per-syscall coverage.
///
/// A syscall seen in only one of five recordings of the same workload is either a rare path
/// worth a test, or noise worth a look; coverage makes that visible in review.
public struct TraceMerge: Sendable {
    /// How many recordings saw one syscall on one ABI.
    public struct Coverage: Sendable, Hashable {
        /// The ABI.
        public var abi: Architecture
        /// The syscall name.
        public var name: String
        /// Recordings that observed or inherited it.
        public var seenIn: Int
        /// Total calls over all recordings (inherited names count zero).
        public var count: UInt64
    }

    /// The union trace (``Trace/merged(with:)`` of all inputs, in order).
    public var trace: Trace
    /// How many recordings were merged.
    public var recordings: Int
    /// Coverage of every (ABI, syscall), rarest first, then by ABI and name.
    public var coverage: [Coverage]

    /// Merges `traces` (at least one) by union and counts coverage.
    ///
    /// - Returns: nil when `traces` is empty.
    public init?(_ traces: [Trace]) {
        guard let first = traces.first else { return nil }
        trace = traces.dropFirst().reduce(first) { $0.merged(with: $1) }
        recordings = traces.count
        var seen: [Architecture: [String: (Int, UInt64)]] = [:]
        for input in traces {
            for (abi, record) in input.abis {
                for name in record.allNames {
                    let calls = record.syscalls[name]?.count ?? 0
                    let previous = seen[abi]?[name] ?? (0, 0)
                    seen[abi, default: [:]][name] = (previous.0 + 1, previous.1 + calls)
                }
            }
        }
        var rows: [Coverage] = []
        for (abi, names) in seen {
            for (name, value) in names { rows.append(Coverage(abi: abi, name: name, seenIn: value.0, count: value.1)) }
        }
        coverage = rows.sorted { ($0.seenIn, $0.abi, $0.name) < ($1.seenIn, $1.abi, $1.name) }
    }

    /// Coverage as an aligned table: `ABI  SYSCALL  SEEN  CALLS`, one row per (ABI, syscall).
    public var coverageTable: String {
        let header = ["ABI", "SYSCALL", "SEEN", "CALLS"]
        let rows = coverage.map { [$0.abi.name, $0.name, "\($0.seenIn)/\(recordings)", String($0.count)] }
        var widths = header.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ cells: [String]) -> String {
            var text = ""
            for (index, cell) in cells.enumerated() {
                let isLast = index == cells.count - 1
                text += isLast ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 2)
            }
            return text + "\n"
        }
        return ([header] + rows).map(line).joined()
    }

    /// Coverage as JSON: `{"cinchCoverage": 1, "recordings": n, "syscalls": [{abi, name, seenIn, count}]}`.
    public var coverageJSON: JSONValue {
        .makeObject([
            ("cinchCoverage", .integer(1)),
            ("recordings", .integer(recordings)),
            (
                "syscalls",
                .makeArray(
                    coverage.map { row in
                        .makeObject([
                            ("abi", .string(row.abi.name)), ("name", .string(row.name)),
                            ("seenIn", .integer(row.seenIn)), ("count", .integer(row.count)),
                        ])
                    })
            ),
        ])
    }
}
