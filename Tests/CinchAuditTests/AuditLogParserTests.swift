// SPDX-License-Identifier: Apache-2.0
// Audit-log ingest from fixtures: every line shape, ABIs, AppArmor, malformed input, loss, selection, gzip.

import CinchAudit
import CinchModel
import CinchTestSupport
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

    /// A `capable` record names a capability by `capname=` or number; anything that is not one of
    /// the 41 real capabilities is left out, so a trace never carries a name the generators reject.
    @Test func takesOnlyRealCapabilityNames() throws {
        let log = """
            type=AVC msg=audit(1732410100.001:1): apparmor="ALLOWED" operation="capable" class="cap" profile="p" pid=1 comm="x" capability=99 capname="made_up"
            type=AVC msg=audit(1732410100.002:2): apparmor="ALLOWED" operation="capable" class="cap" profile="p" pid=1 comm="x" capability=41
            type=AVC msg=audit(1732410100.003:3): apparmor="ALLOWED" operation="capable" class="cap" profile="p" pid=1 comm="x" capability=40 capname="bogus"
            type=AVC msg=audit(1732410100.004:4): apparmor="ALLOWED" operation="capable" class="cap" profile="p" pid=1 comm="x" capability=0 capname="chown"

            """
        var parser = AuditLogParser()
        try parser.parse(Array(log.utf8), file: "caps.log")
        let trace = parser.makeTrace(logs: ["caps.log"])
        // The third record falls back to its number (40) when its name is not a capability.
        #expect(trace.capabilities == ["CAP_CHOWN", "CAP_CHECKPOINT_RESTORE"])
        #expect(trace.observed.contains(.capabilities))
    }

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

    /// `type=UNKNOWN[` with no number and no `]` (a cut or hostile auditd line) made the parser
    /// build the reversed range `13..<12` and trap: one line crashed `cinch audit`. Found by
    /// reading the parser for its fuzz target. Runs in a child process, so that a crash fails this
    /// test alone.
    @Test func survivesAnUnknownTypeWithoutItsNumber() async {
        await #expect(processExitsWith: .success) {
            for text in ["type=UNKNOWN[ msg=audit(1.1:1): x\n", "type=UNKNOWN[] msg=audit(1.1:1): x\n"] {
                var parser = AuditLogParser()
                try? parser.parse(Array(text.utf8), file: "cut.log")
            }
        }
    }

    /// Only `UNKNOWN[NUMBER]` names a type by number; anything else after `UNKNOWN[` is no type.
    @Test(arguments: [
        ("UNKNOWN[", 0), ("UNKNOWN[]", 0), ("UNKNOWN[1326", 0), ("UNKNOWN[1326x", 0), ("UNKNOWN[1326]", 1),
    ])
    func readsTheNumberOfAnUnknownTypeOnlyInBrackets(type: String, seccompRecords: Int) throws {
        let body =
            "auid=0 uid=0 gid=0 ses=1 pid=1 comm=\"a\" exe=\"/a\" sig=0 arch=c000003e syscall=0 compat=0 ip=0x1 code=0x7ffc0000"
        var parser = AuditLogParser()
        try parser.parse(Array("type=\(type) msg=audit(1.1:1): \(body)\n".utf8), file: "unknown.log")
        #expect(parser.finalStatistics.records == 1)
        #expect(parser.finalStatistics.seccompRecords == seccompRecords)
    }

    // MARK: - Loss

    /// Serials 100 101 103 102 103 106 107: 102 arrives late (not lost), 104 and 105 are lost.
    @Test func countsSerialGapsButNotLateRecords() throws {
        let (trace, statistics) = try ingest("serial-gap.log")
        #expect(statistics.missingSerials == 2)
        #expect(trace.incompleteReasons == ["2 audit records are missing (gaps in the audit serial numbers)."])
    }

    /// A record with `syscall=-1` was dropped silently and the trace stayed complete, although a
    /// syscall it stands for is missing from the profile.
    @Test func aRecordWithoutASyscallNumberMakesTheTraceIncomplete() throws {
        let (trace, statistics) = try ingest("seccomp-no-syscall-number.log")
        #expect(statistics.seccompRecords == 2)
        #expect(statistics.unnumberedRecords == 1)
        #expect(names(trace) == ["x86_64": ["openat"]])
        #expect(!trace.isComplete)
        #expect(trace.incompleteReasons.contains { $0.contains("carry no syscall number (syscall=-1)") })
    }

    /// `--pid N` merged pid N of two `node=` hosts, two unrelated processes, into one trace;
    /// the parser now says the selection is ambiguous, and `--node` picks one host.
    @Test func aPidOnTwoHostsIsAmbiguousUntilANodeIsChosen() throws {
        var both = AuditLogParser(selection: AuditSelection(pids: [1234]), isLenient: false)
        try both.ingest(path: Fixture.path("audit/same-pid-two-nodes.log"))
        #expect(both.ambiguousPidHosts == ["node=alpha", "node=beta"])

        var one = AuditLogParser(selection: AuditSelection(pids: [1234], nodes: ["beta"]), isLenient: false)
        try one.ingest(path: Fixture.path("audit/same-pid-two-nodes.log"))
        #expect(one.ambiguousPidHosts == [])
        #expect(names(one.makeTrace(logs: ["same-pid-two-nodes.log"])) == ["x86_64": ["read"]])
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

    /// Numbers of eight digits and more (parsed eight at a time) and their limits.
    @Test(arguments: [
        ("1732410000.123:123456789012", "12345678", true), ("99999999.5:1", "99999999", true),
        ("1732410000.123:12345678901234567890", "1", false), ("17324100x0.123:1", "1", false),
    ])
    func parsesLongNumbers(header: String, pid: String, isValid: Bool) throws {
        let line =
            "type=SECCOMP msg=audit(\(header)): pid=\(pid) exe=\"/bin/a\" arch=c000003e syscall=39 compat=0\n"
        var parser = AuditLogParser(isLenient: true)
        try parser.parse(Array(line.utf8), file: "numbers.log")
        #expect(parser.statistics.seccompRecords == (isValid ? 1 : 0))
        #expect(parser.statistics.malformedLines == (isValid ? 0 : 1))
        #expect(parser.makeTrace(logs: []).processCount == (isValid ? 1 : 0))
    }

    // MARK: - Two threads

    /// A log of about 2.5 MiB in one shape, with something crossing every possible split point:
    /// late serials and gaps everywhere, records of one event sharing a serial, a reboot-sized jump,
    /// kernel loss messages (kernel shapes), two `node=` streams (node shape), and, when asked,
    /// a malformed line at `malformedAt`.
    private static func splitLog(shape: String, malformedAt: Int? = nil) -> String {
        var lines: [String] = []
        var random: UInt64 = 0x1234_5678
        func next(_ bound: Int) -> Int {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((random >> 33) % UInt64(bound))
        }
        let exes = ["\"/usr/bin/app\"", "\"/usr/sbin/nginx\"", "2F6F70742F6D79206170702F62696E2F736572766572"]
        var serial = 1000
        var pendingLate: Int?
        for index in 0..<9000 {
            let time = "\(1_732_410_000 + index / 1000).\(String(format: "%03d", index % 1000))"
            serial += next(50) == 0 ? 2 + next(3) : 1  // gaps
            if index == 6000 { serial += 5000 }  // a jump past the tracker's window
            var serials = [serial]
            if let late = pendingLate {
                serials.append(late)
                pendingLate = nil
            } else if next(20) == 0 {
                pendingLate = serial  // arrives after the next one
                serial += 1
                serials = [serial]
            }
            for current in serials {
                let stamp = "audit(\(time):\(current))"
                let body: String
                let type: (name: String, number: Int)
                switch next(6) {
                case 0:
                    type = ("AVC", 1400)
                    body =
                        "apparmor=\"ALLOWED\" operation=\"open\" class=\"file\" profile=\"app\" name=\"/etc/app/\(next(30)).conf\" pid=\(100 + next(9)) comm=\"app\" requested_mask=\"r\" denied_mask=\"r\" fsuid=0 ouid=0"
                case 1:
                    type = ("SYSCALL", 1300)
                    body =
                        "arch=c000003e syscall=56 success=yes exit=\(200 + next(50)) a0=0 items=0 ppid=1 pid=\(100 + next(9)) auid=4294967295 uid=0 comm=\"app\" exe=\"/usr/bin/app\" key=(null)"
                default:
                    let arch = next(10) == 0 ? "40000003" : "c000003e"
                    type = ("SECCOMP", 1326)
                    body =
                        "auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=\(100 + next(9)) comm=\"app\" exe=\(exes[next(3)]) sig=0 arch=\(arch) syscall=\(next(40)) compat=\(arch == "40000003" ? 1 : 0) ip=0x7f3ab1d1f829 code=0x7ffc0000"
                }
                switch shape {
                case "kernel":
                    lines.append("Nov 24 01:02:03 staging-1 kernel: audit: type=\(type.number) \(stamp): \(body)")
                    switch next(40) {
                    case 0: lines.append("Nov 24 01:02:03 staging-1 kernel: audit: rate limit exceeded")
                    case 1:
                        lines.append(
                            "Nov 24 01:02:03 staging-1 kernel: kauditd_printk_skb: \(next(9) + 1) callbacks suppressed")
                    case 2: lines.append("Nov 24 01:02:03 staging-1 kernel: audit: audit_lost=\(index)")
                    default: break
                    }
                case "node": lines.append("node=host\(current % 2) type=\(type.name) msg=\(stamp): \(body)")
                default: lines.append("type=\(type.name) msg=\(stamp): \(body)")
                }
            }
            if index == malformedAt { lines.append("type=SECCOMP msg=audit(1732410000.5:") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses `path` in one pass and with two threads; both must agree on everything.
    private static func ingestBothWays(
        _ path: String, selection: AuditSelection = AuditSelection(), lenient: Bool = false, segments: Int = 32
    ) -> (one: Result<String, InputError>, two: Result<String, InputError>) {
        func run(_ minimum: Int) -> Result<String, InputError> {
            var parser = AuditLogParser(selection: selection, isLenient: lenient)
            parser.parallelMinimumBytes = minimum
            parser.parallelSegmentCount = segments
            do throws(InputError) {
                try parser.ingest(path: path)
            } catch {
                return .failure(error)
            }
            return .success("\(parser.finalStatistics)\n\(parser.makeTrace(logs: []).jsonValue().rendered())")
        }
        return (run(Int.max), run(0))
    }

    /// Splitting a file between two threads changes nothing: serial gaps and late records across
    /// the split, loss messages next to the window, nodes, time windows, every aggregate.
    @Test(arguments: ["auditd", "node", "kernel"], [nil, "1732410004.500", "1732410004.501"] as [String?])
    func twoThreadsGiveTheSameResultAsOne(shape: String, edge: String?) throws {
        let directory = try Command.temporaryDirectory("audit-split")
        defer { Command.removeDirectory(directory) }
        let path = "\(directory)/split.log"
        try Self.splitLog(shape: shape).write(toFile: path, atomically: true, encoding: .utf8)
        let since = AuditSelection(since: edge.flatMap(AuditTime.init(parsing:)))
        let until = AuditSelection(until: edge.flatMap(AuditTime.init(parsing:)))
        for selection in [since, until] {
            for segments in [2, 32] {
                let (one, two) = Self.ingestBothWays(path, selection: selection, segments: segments)
                let sequential = try one.get()
                #expect(try two.get() == sequential)
                #expect(sequential.contains("missingSerials: 0") == false)
            }
        }
    }

    /// A malformed line in a later segment is reported with its line in the whole file.
    @Test(arguments: [2000, 7000])
    func twoThreadsReportTheSameMalformedLine(at index: Int) throws {
        let directory = try Command.temporaryDirectory("audit-split-bad")
        defer { Command.removeDirectory(directory) }
        let path = "\(directory)/bad.log"
        try Self.splitLog(shape: "auditd", malformedAt: index).write(toFile: path, atomically: true, encoding: .utf8)
        let (one, two) = Self.ingestBothWays(path)
        guard case .failure(let error) = one else {
            Issue.record("the malformed line was not reported")
            return
        }
        #expect(error.location.line > index)
        #expect(two.map { _ in "" } == one.map { _ in "" })
        let lenient = Self.ingestBothWays(path, lenient: true)
        #expect(try lenient.two.get() == lenient.one.get())
    }

    /// A line too long for the read buffer is malformed in the mapped segments too.
    @Test func twoThreadsRejectTheSameOverlongLine() throws {
        let directory = try Command.temporaryDirectory("audit-split-long")
        defer { Command.removeDirectory(directory) }
        let path = "\(directory)/long.log"
        var text = Self.splitLog(shape: "auditd")
        text +=
            "type=SECCOMP msg=audit(1732410009.000:99999): comm=\"" + String(repeating: "x", count: 1_200_000) + "\"\n"
        text += Self.splitLog(shape: "auditd").split(separator: "\n").prefix(10).joined(separator: "\n") + "\n"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let (one, two) = Self.ingestBothWays(path)
        guard case .failure(let error) = one else {
            Issue.record("the long line was not reported")
            return
        }
        #expect(error.message.contains("longer than"))
        #expect(two.map { _ in "" } == one.map { _ in "" })
        let lenient = Self.ingestBothWays(path, lenient: true)
        #expect(try lenient.two.get() == lenient.one.get())
        // The lines after it are read (one pass used to drop the rest of the input here).
        #expect(try lenient.one.get().contains("malformedLines: 1,"))
        #expect(try lenient.one.get().contains("lines: \(text.split(separator: "\n").count),"))
    }

    /// When a segment's serials never line up with the tracker before it within what it
    /// keeps (one event's serial repeated thousands of times after a gap), the segment is read
    /// again in order: still the same result.
    @Test func twoThreadsFallBackWhenSerialsDoNotLineUp() throws {
        let directory = try Command.temporaryDirectory("audit-split-fallback")
        defer { Command.removeDirectory(directory) }
        let path = "\(directory)/repeat.log"
        var text = ""
        for index in 0..<20_000 {
            // Serials 1...5000 without 4999, then 5000 over and over.
            let serial = index < 4998 ? index + 1 : index == 4998 ? 5000 : 5000
            text +=
                "type=SECCOMP msg=audit(1732410000.\(String(format: "%03d", index % 1000)):\(serial)): auid=4294967295 uid=0 gid=0 ses=4294967295 subj=unconfined pid=1000 comm=\"app\" exe=\"/usr/bin/app\" sig=0 arch=c000003e syscall=\(index % 7) compat=0 ip=0x7f3ab1d1f829 code=0x7ffc0000\n"
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let (one, two) = Self.ingestBothWays(path, segments: 2)
        #expect(try two.get() == one.get())
        #expect(try one.get().contains("missingSerials: 1,"))
    }
}

@Suite struct AuditRuntimeRecordTests {
    /// After runc or crun installs a log-mode filter, its init's own records (capset, setgroups,
    /// …, execve) carry `exe="/"`; `--exe /bin/busybox` dropped them, so the profile could not
    /// start the container. They are kept for the pid that goes on to run the selected
    /// executable, and dropped (counted) for any other.
    @Test func keepsTheContainerRuntimesRecordsWithItsWorkload() throws {
        let (trace, statistics) = try ingest(
            "runtime-exe-slash.log", selection: AuditSelection(executables: ["/bin/busybox"]))
        #expect(
            names(trace) == [
                "x86_64": [
                    "accept", "bind", "capget", "capset", "chdir", "execve", "listen", "setgid", "setgroups",
                    "setuid", "socket",
                ]
            ])
        #expect(trace.abis[.x86_64]?.syscalls["capset"]?.firstExecutable == "/")
        #expect(statistics.runtimeRecordsKept == 7)
        #expect(statistics.runtimeRecordPids == [41877])
        #expect(statistics.runtimeRecordsDropped == 1)
        #expect(statistics.seccompRecords == 11)
    }

    /// The same across the parallel split: the runtime's records and the workload's in
    /// different parts of the log.
    @Test func keepsThemWhenTheLogIsReadInParts() throws {
        var parser = AuditLogParser(selection: AuditSelection(executables: ["/bin/busybox"]))
        parser.parallelMinimumBytes = 1
        parser.parallelSegmentCount = 6
        try parser.ingest(path: Fixture.path("audit/runtime-exe-slash.log"))
        #expect(parser.finalStatistics.runtimeRecordsKept == 7)
        #expect(parser.makeTrace(logs: []).abis[.x86_64]?.syscalls["setgroups"] != nil)
    }

    @Test func withoutExeSelectionNothingIsSetAside() throws {
        let (trace, statistics) = try ingest("runtime-exe-slash.log")
        #expect(trace.abis[.x86_64]?.syscalls["getpid"] != nil)
        #expect(statistics.runtimeRecordsKept == 0 && statistics.runtimeRecordsDropped == 0)
    }
}
