// SPDX-License-Identifier: Apache-2.0
// `cinch audit ingest`: kernel audit records in, a trace out.

public import CinchAudit
internal import CinchLinux
public import CinchModel

/// Turns audit logs into a trace.
public enum AuditJob {
    /// How ingest ended.
    public enum Outcome: Sendable {
        /// The trace was written (it may be incomplete: see ``Trace/incompleteReasons``).
        case written(Trace, AuditLogStatistics)
        /// A log cannot be read or has a malformed line.
        case unusableLog(InputError)
        /// `auditctl -s` could not be run.
        case auditctlUnavailable(InputError)
        /// The trace could not be written.
        case unwritable(InputError)
    }

    /// Reads `logs` in order, takes the records `selection` picks, and writes the trace.
    ///
    /// - Parameters:
    ///   - isLenient: skip malformed lines (counted) instead of failing.
    ///   - checksAuditd: also read the kernel's lost counter with `auditctl -s`; a non-zero one
    ///     marks the trace incomplete.
    public static func ingest(
        _ logs: [String], selection: AuditSelection, isLenient: Bool, checksAuditd: Bool, output: String
    ) -> Outcome {
        var parser = AuditLogParser(selection: selection, isLenient: isLenient)
        for log in logs {
            do {
                try parser.ingest(path: log)
            } catch {
                return .unusableLog(error)
            }
        }
        let hosts = parser.ambiguousPidHosts
        guard hosts.isEmpty else {
            let pids = selection.pids.sorted().map(String.init).joined(separator: ", ")
            return .unusableLog(
                InputError(
                    "--pid \(pids) matched records of \(hosts.count) hosts (\(hosts.joined(separator: ", "))); a pid names a process on one host only, so merging them would mix unrelated processes. Choose the host with --node NAME.",
                    at: ProfileLocation(file: logs.first ?? "-")))
        }
        var trace = parser.makeTrace(logs: logs)
        if checksAuditd {
            do {
                let status = try AuditDaemonStatus.current()
                if status.lost > 0 {
                    trace.markIncomplete(
                        "auditctl -s reports lost \(status.lost) (records dropped since boot; some may be this workload's)."
                    )
                }
            } catch {
                return .auditctlUnavailable(error)
            }
        }
        do {
            try FileIO.writeAtomically(trace.jsonValue().rendered(), to: output)
        } catch {
            return .unwritable(error)
        }
        return .written(trace, parser.finalStatistics)
    }
}
