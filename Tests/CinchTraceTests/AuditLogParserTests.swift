// SPDX-License-Identifier: Apache-2.0
// Audit-log ingest from fixtures: every line shape, ABIs, AppArmor, malformed input, loss, selection, gzip.

import CinchModel
import CinchTestSupport
import CinchTrace
import Foundation
import Testing

/// Parses one fixture under `Tests/Fixtures/audit`.
private func ingest(
    _ name: String, selection: AuditSelection = AuditSelection(), lenient: Bool = false
) throws -> (trace: Trace, statistics: AuditLogStatistics) {
    var parser = AuditLogParser(selection: selection, isLenient: lenient)
    try parser.ingest(path: Fixture.path("audit/\(name)"))
    return (parser.makeTrace(logs: [name]), parser.finalStatistics)
}

private func names(_ trace: Trace) -> [String: [String]] {
    var result: [String: [String]] = [:]
    for (abi, record) in trace.abis { result[abi.name] = record.syscalls.keys.sorted() }
    return result
}

@Suite struct AuditLogParserTests {
    // MARK: - Line shapes

    /// The same five records (x86_64 quoted and hex-encoded exe, an i386 compat call, an x32
    /// call) in every prefix shape the kernel, auditd, syslog and the journal produce.
    @Test(arguments: [
        "shape-auditd.log", "shape-auditd-node.log", "shape-dmesg.log", "shape-dmesg-timestamp.log",
        "shape-syslog.log", "shape-journal.log", "shape-rfc3339-syslog.log",
    ])
    func parsesSeccompRecordsInEveryPrefixShape(fixture: String) throws {
        let (trace, statistics) = try ingest(fixture)
        #expect(names(trace) == ["x86_64": ["openat", "read"], "x86": ["getpid"], "x32": ["getpid"]])
        #expect(trace.abis[.x86_64]?.syscalls["read"]?.count == 2)
        #expect(trace.abis[.x86_64]?.syscalls["openat"]?.firstExecutable == "/usr/bin/cat")
        // exe=2F6F70742F6D79206170702F62696E2F736572766572 is hex for a path with a space.
        #expect(trace.abis[.x86]?.syscalls["getpid"]?.firstExecutable == "/opt/my app/bin/server")
        #expect(trace.executables == ["/usr/bin/cat", "/opt/my app/bin/server"])
        #expect(trace.processCount == 1)
        #expect(trace.source.kind == "audit")
        #expect(trace.source.logs == [fixture])
        #expect(trace.isComplete, "\(trace.incompleteReasons)")
        #expect(statistics.seccompRecords == 5)
    }

    /// i386 number 20 is getpid; on x86_64 it would be writev. x32 numbers carry bit 30.
    @Test func namesCompatAndX32CallsFromTheirOwnTables() throws {
        let (trace, _) = try ingest("shape-auditd.log")
        #expect(trace.abis[.x86]?.syscalls["writev"] == nil)
        #expect(trace.abis[.x86_64]?.syscalls["writev"] == nil)
        #expect(trace.abis[.x32]?.syscalls["getpid"]?.count == 1)
    }

    /// Lines captured on the development VM from auditd (enriched format, 0x1D separator) while
    /// the probe ran under an SCMP_ACT_LOG profile.
    @Test func parsesRealEnrichedAuditdLines() throws {
        let (trace, statistics) = try ingest("real-auditd-enriched.log")
        #expect(names(trace) == ["x86_64": ["access", "brk", "execve", "mmap", "openat", "readlink"]])
        #expect(trace.abis[.x86_64]?.syscalls["execve"]?.firstExecutable?.hasSuffix("/debug/cinch") == true)
        #expect(trace.abis[.x86_64]?.syscalls["openat"]?.firstExecutable?.hasSuffix("/debug/cinch-probe") == true)
        #expect(trace.isComplete, "\(trace.incompleteReasons)")
        #expect(statistics.records == 17)
        #expect(statistics.seccompRecords == 6)
    }

    /// Real records of `cinch-probe int80:getuid x32:getppid call:uname socket:tcp` under a log
    /// profile that allowed the probe's startup syscalls.
    @Test func parsesRealCompatAndX32Records() throws {
        let (trace, _) = try ingest("real-auditd-known.log")
        #expect(names(trace) == ["x86_64": ["socket", "uname"], "x86": ["getuid"], "x32": ["getppid"]])
        #expect(trace.isComplete)
    }

    /// Real dmesg output with auditd stopped: printk's rate limit dropped 155 records. Both the
    /// serial gap (188 → 344) and the "callbacks suppressed" line report it.
    @Test func reportsRealPrintkRateLimiting() throws {
        let (trace, statistics) = try ingest("real-dmesg-ratelimited.log")
        #expect(statistics.missingSerials == 155)
        #expect(statistics.suppressedMessages == 155)
        #expect(!trace.isComplete)
        #expect(trace.incompleteReasons.contains { $0.contains("155 audit records are missing") })
        #expect(trace.abis[.x86_64]?.syscalls["execve"]?.count == 2)
    }

    // MARK: - AppArmor

    @Test func turnsAppArmorRecordsIntoFilesNetworkAndCapabilities() throws {
        let (trace, statistics) = try ingest("apparmor-avc.log")
        #expect(
            trace.files == [
                "/etc/passwd": ["r"], "/var/log/app.log": ["w", "c"], "/usr/bin/cat": ["x"],
                "/opt/my app/lib/libx.so": ["m", "r"],
            ])
        #expect(trace.capabilities == ["CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN"])
        #expect(
            trace.network == [
                Trace.NetworkAccess(family: "inet", socketType: "stream", protocolNumber: 6),
                Trace.NetworkAccess(family: "inet6", socketType: "dgram", protocolNumber: 17),
            ])
        #expect(trace.executables == ["/usr/bin/cat"])
        // STATUS (a profile load) and the SELinux AVC are not observations.
        #expect(statistics.appArmorRecords == 8)
        #expect(trace.abis.isEmpty)
        #expect(trace.isComplete)
    }

    // MARK: - Malformed input

    @Test(arguments: [
        ("malformed-truncated-middle.log", 2, "pid=", ["openat", "read"]),
        ("malformed-header.log", 3, "serial number", ["openat", "read"]),
        ("malformed-garbage.log", 2, "not an audit record", ["openat", "read"]),
        ("truncated-at-end.log", 2, "no newline", ["openat"]),
    ])
    func reportsMalformedLinesWithFileAndLine(fixture: String, line: Int, reason: String, lenientNames: [String])
        throws
    {
        let path = Fixture.path("audit/\(fixture)")
        var parser = AuditLogParser()
        do {
            try parser.ingest(path: path)
            Issue.record("\(fixture) parsed without an error")
        } catch {
            #expect(error.location.file == path)
            #expect(error.location.line == line)
            #expect("\(error)".hasPrefix("\(path):\(line): malformed audit line"), "\(error)")
            if fixture != "malformed-truncated-middle.log" {
                #expect("\(error)".contains(reason), "\(error)")
            }
        }
        let (trace, statistics) = try ingest(fixture, lenient: true)
        #expect(statistics.malformedLines == 1)
        #expect(names(trace) == ["x86_64": lenientNames])
        #expect(!trace.isComplete)
        #expect(trace.incompleteReasons.contains("1 malformed lines were skipped (--lenient)."))
    }

    // MARK: - Loss

    /// Serials 100 101 103 102 103 106 107: 102 arrives late (not lost), 104 and 105 are lost.
    @Test func countsSerialGapsButNotLateRecords() throws {
        let (trace, statistics) = try ingest("serial-gap.log")
        #expect(statistics.missingSerials == 2)
        #expect(trace.incompleteReasons == ["2 audit records are missing (gaps in the audit serial numbers)."])
    }

    @Test func countsKernelLossMessages() throws {
        let (trace, statistics) = try ingest("kernel-loss.log")
        #expect(statistics.kernelLossMessages == 3)
        #expect(statistics.kernelLostCounter == 12)
        #expect(statistics.suppressedMessages == 7)
        #expect(statistics.missingSerials == 0)
        #expect(names(trace) == ["x86_64": ["openat", "read"]])
        #expect(!trace.isComplete)
        #expect(trace.incompleteReasons.contains("The kernel reported audit_lost=12."))
        #expect(trace.incompleteReasons.contains("The kernel's printk rate limit suppressed 7 audit messages."))
    }

    /// Loss messages count when a record next to them is in the window, not otherwise.
    @Test(
        arguments: [
            ("1732410000.350", nil, true), (nil, "1732410000.350", true), ("1732410000.500", nil, false),
        ] as [(String?, String?, Bool)])
    func countsLossMessagesOnlyNextToTheWindow(since: String?, until: String?, counted: Bool) throws {
        let selection = AuditSelection(
            since: since.flatMap(AuditTime.init(parsing:)), until: until.flatMap(AuditTime.init(parsing:)))
        let (trace, statistics) = try ingest("kernel-loss.log", selection: selection)
        #expect((statistics.kernelLossMessages == 3) == counted)
        #expect(trace.isComplete == !counted)
    }

    // MARK: - Selection

    @Test(arguments: [
        (AuditSelection(), ["close", "exit", "getpid", "openat", "socket", "uname", "write"]),
        (
            AuditSelection(
                since: AuditTime(parsing: "1732410010"), until: AuditTime(parsing: "2024-11-24T01:00:20Z")),
            ["close", "getpid", "openat", "socket", "uname"]
        ),
        (AuditSelection(pids: [100]), ["close", "exit", "openat", "socket", "uname", "write"]),
        (
            AuditSelection(since: AuditTime(parsing: "2024-11-24T01:00:10"), pids: [100]),
            ["close", "exit", "openat", "socket", "uname"]
        ),
        (AuditSelection(executables: ["/usr/bin/helper"]), ["uname"]),
        (AuditSelection(pids: [999], executables: ["/usr/bin/app"]), []),
    ])
    func selectsByTimeProcessWithChildrenAndExecutable(selection: AuditSelection, expected: [String]) throws {
        let (trace, _) = try ingest("selection.log", selection: selection)
        #expect((trace.abis[.x86_64]?.syscalls.keys.sorted() ?? []) == expected)
    }

    // MARK: - Input handling

    @Test func readsGzipCompressedLogs() throws {
        let directory = try Command.temporaryDirectory("audit-gzip")
        defer { Command.removeDirectory(directory) }
        let compressed = "\(directory)/audit.log.gz"
        let result = try Command.run([
            "sh", "-c", "gzip -c '\(Fixture.path("audit/shape-auditd.log"))' > '\(compressed)'",
        ])
        #expect(result.status == 0)
        var parser = AuditLogParser()
        try parser.ingest(path: compressed)
        #expect(
            names(parser.makeTrace(logs: [])) == ["x86_64": ["openat", "read"], "x86": ["getpid"], "x32": ["getpid"]])

        // A cut gzip stream is an error, not a silently short trace.
        _ = try Command.run(["sh", "-c", "head -c 60 '\(compressed)' > '\(directory)/cut.gz'"])
        var cut = AuditLogParser(isLenient: true)
        #expect(throws: InputError.self) { try cut.ingest(path: "\(directory)/cut.gz") }
    }

    /// Lines cut by the 1 MiB read-buffer boundary are carried over, never split.
    @Test func carriesLinesAcrossBufferBoundaries() throws {
        let directory = try Command.temporaryDirectory("audit-big")
        defer { Command.removeDirectory(directory) }
        var text = ""
        let count = 12_000  // about 3 MiB
        for serial in 1...count {
            let number = [0, 1, 257, 262][serial % 4]
            text +=
                "type=SECCOMP msg=audit(1732410000.\(String(format: "%03d", serial % 1000)):\(serial)): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=\(1000 + serial % 7) comm=\"app\" exe=\"/usr/bin/app\" sig=0 arch=c000003e syscall=\(number) compat=0 ip=0x7f3ab1d1f829 code=0x7ffc0000\n"
        }
        try text.write(toFile: "\(directory)/big.log", atomically: true, encoding: .utf8)
        var parser = AuditLogParser()
        try parser.ingest(path: "\(directory)/big.log")
        let trace = parser.makeTrace(logs: [])
        let total = trace.abis[.x86_64]?.syscalls.values.reduce(0) { $0 + $1.count }
        #expect(total == UInt64(count))
        #expect(trace.processCount == 7)
        #expect(trace.isComplete)
        #expect(parser.statistics.lines == count)
    }

    @Test func namesTheFileThatCannotBeOpened() throws {
        var parser = AuditLogParser()
        #expect {
            try parser.ingest(path: "/nonexistent/audit.log")
        } throws: { error in
            "\(error)".hasPrefix("/nonexistent/audit.log: cannot open")
        }
    }

    // MARK: - Times and auditctl

    @Test(arguments: [
        ("1732410000", Int64(1_732_410_000_000)), ("1732410000.5", 1_732_410_000_500),
        ("1732410000.123", 1_732_410_000_123), ("2024-11-24T01:00:00", 1_732_410_000_000),
        ("2024-11-24T01:00:00Z", 1_732_410_000_000), ("2024-11-24T01:00:00.250Z", 1_732_410_000_250),
        ("1970-01-01T00:00:00", 0), ("2000-02-29T12:00:00", 951_825_600_000),
    ])
    func parsesTimes(text: String, milliseconds: Int64) {
        #expect(AuditTime(parsing: text)?.milliseconds == milliseconds)
    }

    @Test(arguments: ["", "yesterday", "2024-11-24", "2024-13-01T00:00:00", "2024-11-24T01:00:00+02:00", "12.ab"])
    func rejectsOtherTimes(text: String) {
        #expect(AuditTime(parsing: text) == nil)
    }

    @Test func parsesAuditctlStatus() {
        let output = """
            enabled 1
            failure 1
            pid 22682
            rate_limit 0
            backlog_limit 8192
            lost 17
            backlog 0
            """
        #expect(
            AuditDaemonStatus(auditctlOutput: output) == AuditDaemonStatus(lost: 17, backlogLimit: 8192, rateLimit: 0))
        #expect(AuditDaemonStatus(auditctlOutput: "enabled 1\n") == nil)
    }
}
