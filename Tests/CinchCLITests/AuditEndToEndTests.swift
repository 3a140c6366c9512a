// SPDX-License-Identifier: Apache-2.0
// Audit recording for real: log profile → cinch run → auditd → cinch audit ingest, compared with cinch record.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

/// The kernel's audit status, from `auditctl -s`.
private func auditStatus() throws -> [String: String] {
    let result = try Command.run(["auditctl", "-s"])
    var values: [String: String] = [:]
    for line in result.stdout.split(separator: "\n") {
        let parts = line.split(separator: " ", maxSplits: 1)
        if parts.count == 2 { values[String(parts[0])] = String(parts[1]) }
    }
    return values
}

/// Starts auditd when it is not running; returns whether it runs now.
private func ensureAuditd() -> Bool {
    guard TestEnvironment.isRoot,
        TestEnvironment.hasTool("auditctl")
            || FileManager.default.fileExists(
                atPath: "/usr/sbin/auditctl")
    else { return false }
    if let pid = try? auditStatus()["pid"], pid != "0" { return true }
    _ = try? Command.run(["service", "auditd", "start"])
    for _ in 0..<20 {
        if let pid = try? auditStatus()["pid"], pid != "0" { return true }
        Thread.sleep(forTimeInterval: 0.1)
    }
    return false
}

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch") && TestEnvironment.isRoot),
        "needs root and the built cinch binary (run `swift build` first)"),
    .enabled(
        if: TestEnvironment.available(ensureAuditd()), "auditd cannot run here (needs root and the auditd package)"),
    .timeLimit(.minutes(2))
)
struct AuditEndToEndTests {
    let cinch = TestEnvironment.product("cinch")
    let probe = TestEnvironment.product("cinch-probe")
    let steps = ["int80:getpid", "int80:getuid", "x32:getppid", "call:uname", "fork", "threads:2", "socket:tcp"]

    /// The acceptance test: the syscall set per ABI from the audit log equals the one `cinch
    /// record` sees, compat and x32 calls included.
    ///
    /// Both runs install their filter in the child right before `execve`, so both see that
    /// `execve`. The audit record of it carries cinch's own executable (the launcher has not
    /// exec'd yet; `cinch record` calls it "(cinch launcher)"), so the ingest selects cinch's
    /// path as well as the probe's. The kernel's rate limit is lifted for the run (and restored),
    /// and the kernel's lost counter must not move.
    @Test func ingestedLogMatchesRecordedTracePerABI() throws {
        let directory = try Command.temporaryDirectory("audit-e2e")
        defer { Command.removeDirectory(directory) }
        let before = try auditStatus()
        let oldRate = before["rate_limit"] ?? "0"
        let oldBacklog = before["backlog_limit"] ?? "64"
        _ = try Command.run(["auditctl", "-r", "0", "-b", "8192"])
        defer { _ = try? Command.run(["auditctl", "-r", oldRate, "-b", oldBacklog]) }
        let lostBefore = UInt64(try auditStatus()["lost"] ?? "0") ?? 0

        let logProfile = try Command.run([cinch, "audit", "log-profile", "-o", "\(directory)/log.json"])
        #expect(logProfile.status == 0, "\(logProfile.stderr)")
        let since = Int(Date().timeIntervalSince1970) - 1
        let run = try Command.run([cinch, "run", "--seccomp", "\(directory)/log.json", "--", probe] + steps)
        #expect(run.status == 0, "\(run.stderr)")
        // auditd writes asynchronously (flush = INCREMENTAL_ASYNC): give it a moment.
        Thread.sleep(forTimeInterval: 1.5)

        let cinchPath = URL(fileURLWithPath: cinch).resolvingSymlinksInPath().path
        let probePath = URL(fileURLWithPath: probe).resolvingSymlinksInPath().path
        let ingest = try Command.run([
            cinch, "audit", "ingest", "/var/log/audit/audit.log", "--since", "\(since)", "--exe", cinchPath, "--exe",
            probePath, "--check-auditd", "-o", "\(directory)/audit.json",
        ])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let lostAfter = UInt64(try auditStatus()["lost"] ?? "0") ?? 0
        try #require(lostAfter == lostBefore, "the kernel dropped audit records during the test")

        let record = try Command.run([cinch, "record", "-q", "-o", "\(directory)/record.json", "--", probe] + steps)
        #expect(record.status == 0, "\(record.stderr)")

        let audited = try Trace.load(path: "\(directory)/audit.json")
        let recorded = try Trace.load(path: "\(directory)/record.json")
        let auditedNames = audited.abis.mapValues { Set($0.syscalls.keys) }.filter { !$0.value.isEmpty }
        let recordedNames = recorded.abis.mapValues { Set($0.syscalls.keys) }.filter { !$0.value.isEmpty }
        #expect(auditedNames == recordedNames)
        #expect(auditedNames[.x86] == ["getpid", "getuid"])
        #expect(auditedNames[.x32] == ["getppid"])
        #expect(audited.source.kind == "audit")
        #expect(audited.executables.contains(probePath))
        #expect(audited.isComplete, "\(audited.incompleteReasons)")
    }

    /// A malformed line fails with the file and line named; --lenient skips it and says so.
    @Test func ingestNamesMalformedLinesAndLenientSkipsThem() throws {
        let fixture = Fixture.path("audit/malformed-garbage.log")
        let strict = try Command.run([cinch, "audit", "ingest", fixture, "-o", "/dev/null"])
        #expect(strict.status == 64)
        #expect(strict.stderr.contains("\(fixture):2: malformed audit line"), "\(strict.stderr)")
        let directory = try Command.temporaryDirectory("audit-lenient")
        defer { Command.removeDirectory(directory) }
        let lenient = try Command.run([
            cinch, "audit", "ingest", "--lenient", fixture, "-o", "\(directory)/t.json",
        ])
        #expect(lenient.status == 0)
        #expect(lenient.stderr.contains("incomplete"))
        #expect(lenient.stderr.contains("1 malformed lines were skipped"))
    }

    /// Standard input works, and a gap in the serials is a warning with its count.
    @Test func ingestReadsStandardInputAndWarnsAboutLoss() throws {
        let directory = try Command.temporaryDirectory("audit-stdin")
        defer { Command.removeDirectory(directory) }
        let fixture = Fixture.path("audit/serial-gap.log")
        let result = try Command.run([
            "sh", "-c", "gzip -c '\(fixture)' | '\(cinch)' audit ingest - -o '\(directory)/t.json'",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("2 audit records are missing"), "\(result.stderr)")
        let trace = try Trace.load(path: "\(directory)/t.json")
        #expect(!trace.isComplete)
        #expect(trace.source.logs == ["-"])
    }
}
