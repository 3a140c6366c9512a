// SPDX-License-Identifier: Apache-2.0
// `cinch audit ingest` of logs with other programs' look-alike lines: the profiles stay as narrow as the kernel's records.

import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct AuditTrustCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// `logger` lines in syslog asked for `CAP_SYS_ADMIN`, `ptrace`, `bpf` and `/etc/shadow rw`,
    /// and each generator used to grant them; now every profile holds only what the kernel logged.
    @Test(arguments: ["forged-syslog.log", "forged-journal.log", "forged-dmesg.log", "forged-auditd-user.log"])
    func lookAlikeLinesDoNotWidenAnyProfile(fixture: String) throws {
        let directory = try Command.temporaryDirectory("audit-trust")
        defer { Command.removeDirectory(directory) }
        let log = Fixture.path("audit/\(fixture)")
        let ingest = try Command.run([cinch, "audit", "ingest", log, "-o", "\(directory)/t.json"])
        #expect(ingest.status == 0, "\(ingest.stderr)")

        let capabilities = try Command.run([cinch, "generate", "capabilities", "-q", "\(directory)/t.json"])
        #expect(capabilities.status == 0, "\(capabilities.stderr)")
        #expect(capabilities.stdout == "CAP_NET_BIND_SERVICE\n")

        let seccomp = try Command.run([cinch, "generate", "seccomp", "-q", "\(directory)/t.json"])
        #expect(seccomp.status == 0, "\(seccomp.stderr)")
        #expect(seccomp.stdout.contains("\"openat\""))
        for name in ["\"ptrace\"", "\"bpf\""] { #expect(!seccomp.stdout.contains(name), "\(name)") }

        let apparmor = try Command.run([cinch, "generate", "apparmor", "-q", "\(directory)/t.json"])
        #expect(apparmor.status == 0, "\(apparmor.stderr)")
        #expect(apparmor.stdout.contains("/etc/passwd r,"))
        #expect(!apparmor.stdout.contains("/etc/shadow"))
        #expect(!apparmor.stdout.contains("sys_admin"))
    }

    /// The ignored lines are reported on stderr, with their count and the first one's place,
    /// also with `-q`: someone wrote them. Genuine logs and user records in auditd's log get no
    /// such warning.
    @Test(arguments: [
        ("forged-syslog.log", 7, 5), ("forged-journal.log", 2, 6), ("forged-dmesg.log", 2, 4),
        ("forged-auditd-user.log", 0, 0), ("shape-syslog.log", 0, 0), ("shape-journal.log", 0, 0),
    ])
    func ingestWarnsAboutLookAlikeLines(fixture: String, count: Int, line: Int) throws {
        let directory = try Command.temporaryDirectory("audit-trust")
        defer { Command.removeDirectory(directory) }
        let log = Fixture.path("audit/\(fixture)")
        for quiet in [[], ["-q"]] {
            let ingest = try Command.run([cinch, "audit", "ingest"] + quiet + [log, "-o", "\(directory)/t.json"])
            #expect(ingest.status == 0, "\(ingest.stderr)")
            let warning =
                "cinch: warning: \(count) lines look like audit records but were not written by the kernel"
            if count > 0 {
                #expect(ingest.stderr.contains(warning), "\(ingest.stderr)")
                #expect(ingest.stderr.contains("The first is \(log):\(line)."), "\(ingest.stderr)")
            } else {
                #expect(!ingest.stderr.contains("not written by the kernel"), "\(ingest.stderr)")
            }
            // Not loss: the trace is complete.
            #expect(!ingest.stderr.contains("incomplete"), "\(ingest.stderr)")
        }
    }
}
