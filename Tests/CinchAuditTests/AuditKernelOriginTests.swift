// SPDX-License-Identifier: Apache-2.0
// Only records the kernel wrote reach a trace: other programs' syslog lines and user records do not.

import CinchAudit
import CinchModel
import CinchTestSupport
import Foundation
import Testing

/// Parses one fixture under `Tests/Fixtures/audit`.
private func ingest(_ name: String) throws -> (trace: Trace, statistics: AuditLogStatistics) {
    var parser = AuditLogParser()
    try parser.ingest(path: Fixture.path("audit/\(name)"))
    return (parser.makeTrace(logs: [name]), parser.finalStatistics)
}

/// Parses one line held in memory.
private func parseCounting(_ line: String) throws -> (trace: Trace, statistics: AuditLogStatistics) {
    var parser = AuditLogParser()
    try parser.parse(Array((line + "\n").utf8), file: "line.log")
    return (parser.makeTrace(logs: ["line.log"]), parser.finalStatistics)
}

/// A `SECCOMP` record body of `ptrace` (x86_64 101), which no workload here made.
private let ptraceBody =
    #"auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=1234 comm="server" exe="/usr/bin/server" sig=0 arch=c000003e syscall=101 compat=0 ip=0x7f3ab1d1f829 code=0x7ffc0000"#

/// The same record of `openat` (257).
private let openatBody =
    #"auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=1234 comm="server" exe="/usr/bin/server" sig=0 arch=c000003e syscall=257 compat=0 ip=0x7f3ab1d1f829 code=0x7ffc0000"#

/// The kernel's own message for that record, as `dmesg` prints it.
private let ptraceRecord = "audit: type=1326 audit(1733342402.124:100): " + ptraceBody

@Suite struct AuditKernelOriginTests {
    // MARK: - Look-alike lines among the kernel's

    /// Each fixture has the same three genuine records (an `openat`, a `capable` check of
    /// `net_bind_service`, a read of `/etc/passwd`) and two `SECCOMP` records around them, among
    /// lines that look the same but were not written by the kernel: other programs' syslog tags
    /// (`nobody:`, `root:` as `logger` writes them, `app[4242]:`, `kernel[1]:`), a journal
    /// continuation line, a device's product string inside a kernel message, audisp's relay, and
    /// in auditd's log the user records (`USER_AVC`, `USER`, types 2100-2999) that programs with
    /// CAP_AUDIT_WRITE send, which the kernel relays under their own type. They ask for
    /// `CAP_SYS_ADMIN`, `ptrace`, `bpf` and `/etc/shadow rw`; none of it may reach the trace.
    ///
    /// Before the fix, any line with `audit: type=` somewhere in it was taken as the kernel's:
    /// `logger` alone widened the capability, seccomp and AppArmor profiles generated from it.
    ///
    /// The look-alike lines are counted, and the first one's line is kept for the warning; user
    /// records are records (relayed by the kernel under the sender's type), not look-alikes.
    @Test(
        arguments: [
            ("forged-syslog.log", 7, 5), ("forged-journal.log", 2, 6), ("forged-dmesg.log", 2, 4),
            ("forged-auditd-user.log", 0, nil),
        ] as [(String, Int, Int?)])
    func takesOnlyTheKernelsRecords(fixture: String, untrusted: Int, firstLine: Int?) throws {
        let (trace, statistics) = try ingest(fixture)
        #expect(statistics.untrustedLines == untrusted)
        #expect(
            statistics.firstUntrustedLine
                == firstLine.map { ProfileLocation(file: Fixture.path("audit/\(fixture)"), line: $0) })
        #expect(trace.abis.mapValues { $0.syscalls.keys.sorted() } == [.x86_64: ["openat", "read"]])
        #expect(trace.capabilities == ["CAP_NET_BIND_SERVICE"])
        #expect(trace.files == ["/etc/passwd": ["r"]])
        #expect(trace.network.isEmpty)
        #expect(trace.isComplete, "\(trace.incompleteReasons)")
        #expect(statistics.seccompRecords == 2)
        #expect(statistics.appArmorRecords == 2)
    }

    /// What precedes the kernel's message in each line shape, and whether the kernel wrote it.
    static let prefixes: [(prefix: String, isKernel: Bool)] = [
        // dmesg, with and without its time stamp
        ("", true),
        ("[  814.000100] ", true),
        ("[    0.000001] ", true),
        // syslog and the journal: the kernel's tag, with rsyslog's copy of the kernel time stamp
        ("Dec  4 20:00:02 vm kernel: ", true),
        ("Dec  4 20:00:02 vm kernel: [  814.000100] ", true),
        ("2024-12-04T20:00:02.123456+00:00 vm kernel: ", true),
        ("Wed 2024-12-04 20:00:02 UTC vm kernel: ", true),
        ("[  814.000100] vm kernel: ", true),  // journalctl -k -o short-monotonic
        ("Dec 04 20:00:02 kernel: ", true),  // journalctl -k --no-hostname
        // another program's tag: logger's default (the user name), a service, a pid
        ("Dec  4 20:00:02 vm nobody: ", false),
        ("Dec  4 20:00:02 vm root: ", false),
        ("Dec  4 20:00:02 vm logger: ", false),
        ("Dec  4 20:00:02 vm app[4242]: ", false),
        ("Dec  4 20:00:02 vm kernel[1]: ", false),
        ("Dec  4 20:00:02 vm xkernel: ", false),
        ("Dec  4 20:00:02 vm kernelx: ", false),
        ("Dec  4 20:00:02 vm nobody: kernel: ", false),
        ("Dec  4 20:00:02 vm docker/3f2a9c[812]: ", false),
        // the kernel's tag, but not audit's own message
        ("Dec  4 20:00:02 vm kernel: usb 1-1: Product: ", false),
        ("Dec  4 20:00:02 vm kernel: [  814.000100] usb 1-1: Product: ", false),
        ("[  814.000100] usb 1-1: Product: ", false),
        ("Dec  4 20:00:02 vm kernel: x", false),
        // not the kernel's prefix at all
        ("                                ", false),  // a journal continuation line
        ("x ", false),
        ("[not a stamp] ", false),
        ("[  814.000100]", false),
    ]

    /// One `ptrace` record in every prefix: taken only where the kernel wrote the line, in a form
    /// the kernel writes.
    @Test(arguments: prefixes)
    func takesARecordOnlyInTheKernelsOwnForm(prefix: String, isKernel: Bool) throws {
        let (trace, statistics) = try parseCounting(prefix + ptraceRecord)
        #expect((trace.abis[.x86_64]?.syscalls["ptrace"] != nil) == isKernel, "\(prefix)")
        #expect(statistics.untrustedLines == (isKernel ? 0 : 1), "\(prefix)")
    }

    /// audisp's syslog plugin relays auditd's records under its own tag: a program's line.
    @Test func takesNoRecordRelayedThroughSyslog() throws {
        let (trace, statistics) = try parseCounting(
            "Dec  4 20:00:02 vm audispd: node=vm type=SECCOMP msg=audit(1733342402.124:100): " + ptraceBody)
        #expect(trace.abis.isEmpty)
        #expect(statistics.untrustedLines == 1)
    }

    /// In a log of the kernel's lines (dmesg, syslog), a line in auditd's form is nobody's: the
    /// kernel never writes it there.
    @Test func takesNoAuditdLineInAKernelLog() throws {
        let log = """
            Dec  4 20:00:00 vm kernel: audit: type=1326 audit(1733342400.100:800): \(openatBody)
            type=SECCOMP msg=audit(1733342402.124:801): \(ptraceBody)

            """
        var parser = AuditLogParser()
        try parser.parse(Array(log.utf8), file: "mixed.log")
        let trace = parser.makeTrace(logs: ["mixed.log"])
        #expect(trace.abis[.x86_64]?.syscalls.keys.sorted() == ["openat"])
        #expect(parser.statistics.untrustedLines == 1)
        #expect(parser.statistics.firstUntrustedLine == ProfileLocation(file: "mixed.log", line: 2))
    }

    /// auditd's log: a program's user record carries its own type, whatever its `msg='…'` says.
    @Test(arguments: [
        "type=USER_AVC msg=audit(1733342402.100:803): pid=4242 uid=0 auid=4294967295 ses=4294967295 subj=unconfined msg='apparmor=\"ALLOWED\" operation=\"capable\" class=\"cap\" profile=\"p\" pid=1234 comm=\"x\" capability=21 capname=\"sys_admin\" exe=\"/usr/bin/app\" res=success'",
        "type=USER_AVC msg=audit(1733342402.100:803): pid=4242 uid=0 auid=4294967295 ses=4294967295 msg='type=SECCOMP msg=audit(1733342402.100:804): \(ptraceBody)'",
        "type=USER_AVC msg=audit(1733342402.100:803): pid=4242 uid=0 auid=4294967295 ses=4294967295 msg='\(ptraceRecord)'",
        "type=USER msg=audit(1733342402.100:803): pid=4242 uid=0 auid=4294967295 ses=4294967295 msg='\(ptraceBody)'",
        "type=UNKNOWN[2999] msg=audit(1733342402.100:803): pid=4242 uid=0 auid=4294967295 ses=4294967295 msg='\(ptraceBody)'",
        "type=UNKNOWN[1107] msg=audit(1733342402.100:803): pid=4242 uid=0 auid=4294967295 ses=4294967295 msg='\(ptraceBody)'",
        "type=DAEMON_START msg=audit(1733342402.100:803): op=start ver=3.0.9 format=raw \(ptraceBody)",
        // the kernel relaying the same user records when no auditd runs
        "Dec  4 20:00:02 vm kernel: audit: type=1107 audit(1733342402.100:803): pid=4242 uid=0 auid=4294967295 ses=4294967295 msg='\(ptraceRecord)'",
        "Dec  4 20:00:02 vm kernel: audit: type=2999 audit(1733342402.100:803): pid=4242 uid=0 auid=4294967295 ses=4294967295 msg='\(ptraceBody)'",
    ])
    func takesNothingFromUserRecords(line: String) throws {
        let (trace, statistics) = try parseCounting(line)
        #expect(statistics.records == 1, "\(line)")
        #expect(statistics.untrustedLines == 0, "\(line)")
        #expect(trace.abis.isEmpty, "\(line)")
        #expect(trace.capabilities.isEmpty, "\(line)")
        #expect(trace.files.isEmpty, "\(line)")
    }

    // MARK: - Genuine logs

    /// No line of a genuine log, in any form, is taken for a look-alike.
    @Test(arguments: [
        "shape-auditd.log", "shape-auditd-node.log", "shape-dmesg.log", "shape-dmesg-timestamp.log",
        "shape-syslog.log", "shape-journal.log", "shape-rfc3339-syslog.log", "real-auditd-enriched.log",
        "real-auditd-known.log", "real-dmesg-ratelimited.log", "kernel-loss.log", "apparmor-avc.log",
        "selection.log", "serial-gap.log",
    ])
    func findsNoLookAlikesInGenuineLogs(fixture: String) throws {
        let (_, statistics) = try ingest(fixture)
        #expect(statistics.untrustedLines == 0)
        #expect(statistics.firstUntrustedLine == nil)
        #expect(statistics.records > 0)
    }

    /// The kernel's messages about dropped records count only from the kernel too: `logger`
    /// cannot mark a trace incomplete either.
    @Test func countsOnlyTheKernelsLossMessages() throws {
        let log = """
            Dec  4 20:00:00 vm kernel: audit: type=1326 audit(1733342400.100:800): \(openatBody)
            Dec  4 20:00:00 vm nobody: audit: rate limit exceeded
            Dec  4 20:00:00 vm nobody: audit: audit_lost=7
            Dec  4 20:00:00 vm nobody: kauditd_printk_skb: 9 callbacks suppressed
            Dec  4 20:00:00 vm kernel: audit: backlog limit exceeded
            Dec  4 20:00:01 vm kernel: audit: type=1326 audit(1733342401.100:801): \(openatBody)

            """
        var parser = AuditLogParser()
        try parser.parse(Array(log.utf8), file: "loss.log")
        #expect(parser.statistics.kernelLossMessages == 1)
        #expect(parser.statistics.kernelLostCounter == nil)
        #expect(parser.statistics.suppressedMessages == 0)
        #expect(parser.statistics.foreignLines == 3)
    }

    /// A file shared by two threads reports the same count and the same first line as one pass,
    /// also when the first look-alike is in a later segment.
    @Test func twoThreadsFindTheSameFirstLookAlike() throws {
        let directory = try Command.temporaryDirectory("audit-trust-split")
        defer { Command.removeDirectory(directory) }
        let path = "\(directory)/split.log"
        var lines: [String] = []
        for index in 0..<12_000 {
            let stamp = "audit(\(1_733_342_400 + index / 1000).\(String(format: "%03d", index % 1000)):\(1000 + index))"
            if index > 7000, index % 1000 == 1 {
                lines.append("Dec  4 20:00:02 vm nobody: audit: type=1326 \(stamp): \(ptraceBody)")
            } else {
                lines.append("Dec  4 20:00:02 vm kernel: audit: type=1326 \(stamp): \(openatBody)")
            }
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        var results: [AuditLogStatistics] = []
        for minimum in [Int.max, 0] {
            var parser = AuditLogParser()
            parser.parallelMinimumBytes = minimum
            try parser.ingest(path: path)
            #expect(parser.makeTrace(logs: []).abis[.x86_64]?.syscalls.keys.sorted() == ["openat"])
            results.append(parser.finalStatistics)
        }
        #expect(results[0].untrustedLines == 5)
        #expect(results[0].firstUntrustedLine == ProfileLocation(file: path, line: 7002))
        #expect(results[1] == results[0])
    }
}
