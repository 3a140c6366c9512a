// SPDX-License-Identifier: Apache-2.0
// Only records the kernel wrote reach a trace: other programs' syslog lines and user records do not.

import CinchAudit
import CinchModel
import CinchTestSupport
import Testing

/// Parses one fixture under `Tests/Fixtures/audit`.
private func ingest(_ name: String) throws -> (trace: Trace, statistics: AuditLogStatistics) {
    var parser = AuditLogParser()
    try parser.ingest(path: Fixture.path("audit/\(name)"))
    return (parser.makeTrace(logs: [name]), parser.finalStatistics)
}

/// Parses one line held in memory.
private func parse(_ line: String) throws -> Trace {
    var parser = AuditLogParser()
    try parser.parse(Array((line + "\n").utf8), file: "line.log")
    return parser.makeTrace(logs: ["line.log"])
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
    @Test(arguments: ["forged-syslog.log", "forged-journal.log", "forged-dmesg.log", "forged-auditd-user.log"])
    func takesOnlyTheKernelsRecords(fixture: String) throws {
        let (trace, statistics) = try ingest(fixture)
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
        let trace = try parse(prefix + ptraceRecord)
        #expect((trace.abis[.x86_64]?.syscalls["ptrace"] != nil) == isKernel, "\(prefix)")
    }

    /// audisp's syslog plugin relays auditd's records under its own tag: a program's line.
    @Test func takesNoRecordRelayedThroughSyslog() throws {
        let trace = try parse(
            "Dec  4 20:00:02 vm audispd: node=vm type=SECCOMP msg=audit(1733342402.124:100): " + ptraceBody)
        #expect(trace.abis.isEmpty)
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
        let trace = try parse(line)
        #expect(trace.abis.isEmpty, "\(line)")
        #expect(trace.capabilities.isEmpty, "\(line)")
        #expect(trace.files.isEmpty, "\(line)")
    }
}
