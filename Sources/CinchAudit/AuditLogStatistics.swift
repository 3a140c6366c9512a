// SPDX-License-Identifier: Apache-2.0
// What an audit-log ingest read, took, skipped and found missing.

public import CinchModel

/// Counters of one ingest, for the summary on stderr and for tests.
public struct AuditLogStatistics: Sendable, Equatable {
    /// Lines read.
    public var lines = 0
    /// Bytes read (after decompression).
    public var bytes = 0
    /// Audit records recognised (any type, any time).
    public var records = 0
    /// `SECCOMP` records taken by the selection.
    public var seccompRecords = 0
    /// AppArmor `AVC` records taken by the selection that became files, network or capabilities.
    public var appArmorRecords = 0
    /// Malformed lines skipped because of `--lenient`.
    public var malformedLines = 0
    /// Lines that are not audit records (other syslog or dmesg lines), ignored.
    public var foreignLines = 0
    /// Lines that look like audit records but that the kernel did not write, ignored: another
    /// program's syslog tag (`logger`'s `nobody:`, `app[42]:`), a journal continuation line, a
    /// kernel message of another subsystem that quotes one, auditd's form in a kernel log. Not
    /// loss: the kernel's records are all there.
    public var untrustedLines = 0
    /// Where the first of ``untrustedLines`` is.
    public var firstUntrustedLine: ProfileLocation?
    /// Records missing according to gaps in audit serial numbers.
    public var missingSerials = 0
    /// Kernel messages saying a record was dropped (`rate limit exceeded`, `backlog limit
    /// exceeded`, `printk limit exceeded`, `kauditd hold queue overflow`).
    public var kernelLossMessages = 0
    /// Audit messages the kernel's printk rate limit suppressed (`kauditd_printk_skb: N callbacks
    /// suppressed`).
    public var suppressedMessages = 0
    /// The highest `audit_lost=N` the kernel printed, if any.
    public var kernelLostCounter: UInt64?
    /// `SECCOMP` records whose `arch=` cinch does not know, by that value.
    public var unknownArchitectures: [UInt32: Int] = [:]
    /// `SECCOMP` records without a usable syscall number (`syscall=-1`, or one beyond 32 bits).
    public var unnumberedRecords = 0
    /// With `--exe`: SECCOMP records with `exe="/"` (a container runtime's own, after it
    /// installed the log filter) taken because their process went on to execute a selected
    /// executable, and those processes' pids, sorted. Set by ``AuditLogParser/finalStatistics``.
    public var runtimeRecordsKept = 0
    /// The pids of ``runtimeRecordsKept``.
    public var runtimeRecordPids: [Int32] = []
    /// With `--exe`: records with `exe="/"` of processes that never executed a selected one
    /// (another container's runtime), left out.
    public var runtimeRecordsDropped = 0

    /// The counters that add up when two parts of one log are merged.
    static var counters: [WritableKeyPath<AuditLogStatistics, Int>] {
        [
            \.lines, \.bytes, \.records, \.seccompRecords, \.appArmorRecords, \.malformedLines, \.unnumberedRecords,
            \.foreignLines, \.untrustedLines, \.missingSerials, \.kernelLossMessages, \.suppressedMessages,
        ]
    }

    /// Creates zeroed counters.
    public init() {}

    /// One sentence per kind of loss, for a trace's `incompleteReasons`.
    public var lossReasons: [String] {
        var reasons: [String] = []
        if missingSerials > 0 {
            reasons.append("\(missingSerials) audit records are missing (gaps in the audit serial numbers).")
        }
        if kernelLossMessages > 0 {
            reasons.append(
                "The log has \(kernelLossMessages) kernel messages about dropped audit records (rate limit, backlog limit, printk limit or hold queue)."
            )
        }
        if suppressedMessages > 0 {
            reasons.append("The kernel's printk rate limit suppressed \(suppressedMessages) audit messages.")
        }
        if let lost = kernelLostCounter, lost > 0 {
            reasons.append("The kernel reported audit_lost=\(lost).")
        }
        if malformedLines > 0 {
            reasons.append("\(malformedLines) malformed lines were skipped (--lenient).")
        }
        if unnumberedRecords > 0 {
            reasons.append(
                "\(unnumberedRecords) SECCOMP records carry no syscall number (syscall=-1); the syscalls they stand for are not in the trace."
            )
        }
        for (arch, count) in unknownArchitectures.sorted(by: { $0.key < $1.key }) {
            reasons.append(
                "\(count) SECCOMP records have arch=\(String(arch, radix: 16)), an ABI cinch does not know.")
        }
        return reasons
    }
}
