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
}
