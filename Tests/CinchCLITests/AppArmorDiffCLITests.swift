// SPDX-License-Identifier: Apache-2.0
// `cinch diff` on AppArmor profiles: detection, outputs and exit codes.

import CinchTestSupport
import Foundation
import Testing

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct AppArmorDiffCLITests {
    let cinch = TestEnvironment.product("cinch")

    func fixture(_ name: String) -> String { Fixture.path("apparmor/\(name)") }

    @Test func equalMeaningExitsZero() throws {
        let result = try Command.run([cinch, "diff", fixture("web-old.apparmor"), fixture("web-reordered.apparmor")])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.hasSuffix("No semantic differences.\n"))
    }

    @Test func differentProfilesExitOne() throws {
        let result = try Command.run([cinch, "diff", fixture("web-old.apparmor"), fixture("web-new.apparmor")])
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stdout.contains("+ file /etc/*  glob-widened: /etc/passwd r → /etc/* r"))
        #expect(result.stdout.contains("+ exec /usr/bin/logger  exec-changed: ix → ux"))
        #expect(result.stdout.contains("risk high: runs the program unconfined"))
    }

    @Test func failOnWidenExitsOneOnlyWhenPrivilegesWiden() throws {
        let widening = try Command.run([
            cinch, "diff", "--fail-on", "widen", fixture("web-old.apparmor"), fixture("web-new.apparmor"),
        ])
        #expect(widening.status == 1)
        let directory = try Command.temporaryDirectory("apparmor")
        defer { Command.removeDirectory(directory) }
        // Only narrowing: NEW drops a capability and a file, and adds a deny rule over an allowed glob.
        let old = "profile t {\n  capability chown setuid,\n  /etc/** r,\n  /srv/** r,\n}\n"
        let new = "profile t {\n  capability chown,\n  /etc/** r,\n  deny /etc/shadow r,\n}\n"
        try old.write(toFile: "\(directory)/old.apparmor", atomically: true, encoding: .utf8)
        try new.write(toFile: "\(directory)/new.apparmor", atomically: true, encoding: .utf8)
        let paths = ["\(directory)/old.apparmor", "\(directory)/new.apparmor"]
        let narrowing = try Command.run([cinch, "diff", "--fail-on", "widen"] + paths)
        #expect(narrowing.status == 0, "\(narrowing.stdout)")
        #expect(narrowing.stdout.contains("- capability setuid  removed: allowed"))
        #expect(narrowing.stdout.contains("- file /etc/shadow  deny-added: deny r"))
        #expect(try Command.run([cinch, "diff"] + paths).status == 1)
        let reversed = try Command.run([cinch, "diff", "--fail-on", "widen"] + paths.reversed())
        #expect(reversed.status == 1)
    }

    @Test func jsonAndMarkdownFormats() throws {
        let arguments = [fixture("web-old.apparmor"), fixture("web-new.apparmor")]
        let json = try Command.run([cinch, "diff", "--format", "json"] + arguments)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["subject"] as? String == "apparmor")
        #expect(object["widens"] as? Bool == true)
        let markdown = try Command.run([cinch, "diff", "--format", "markdown"] + arguments)
        #expect(markdown.stdout.contains("| widening | `capability sys_admin` added |"))
    }

    @Test func parseErrorsNameFileAndLineAndExit64() throws {
        let directory = try Command.temporaryDirectory("apparmor")
        defer { Command.removeDirectory(directory) }
        try "profile t {\n  /a r,\n  ^hat {\n  }\n}\n".write(
            toFile: "\(directory)/hat.apparmor", atomically: true, encoding: .utf8)
        let result = try Command.run([cinch, "diff", fixture("web-old.apparmor"), "\(directory)/hat.apparmor"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("hat.apparmor:3: Hats are not supported"), "\(result.stderr)")
    }

    @Test func mixingAppArmorWithSeccompExits64() throws {
        let result = try Command.run([
            cinch, "diff", fixture("web-old.apparmor"), Fixture.path("diff/base.docker.json"),
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("an AppArmor profile and a seccomp profile"), "\(result.stderr)")
    }
}
