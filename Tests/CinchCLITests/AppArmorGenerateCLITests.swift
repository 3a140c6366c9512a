// SPDX-License-Identifier: Apache-2.0
// `cinch generate apparmor` and `cinch validate` on AppArmor profiles: audit log → trace → profile.

import CinchTestSupport
import Foundation
import Testing

/// Whether AppArmor's parser is installed (on CI it must be).
private let hasParser = TestEnvironment.available(TestEnvironment.hasTool("apparmor_parser"))
private let needsParser: Comment = "needs apparmor_parser (package apparmor; scripts/setup.sh installs it)"

/// An AppArmor record of a read of `/etc/shadow`, in the fixture's format.
private let shadowRead =
    #"type=AVC msg=audit(1732410100.011:710): apparmor="ALLOWED" operation="open" class="file" profile="cinch-test" name="/etc/shadow" pid=1234 comm="cat" requested_mask="r" denied_mask="r" fsuid=0 ouid=0"#

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct AppArmorGenerateCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// A scratch directory with `trace.json` ingested from the AppArmor fixture log.
    private func ingestedFixture() throws -> String {
        let directory = try Command.temporaryDirectory("apparmor-generate")
        let ingest = try Command.run([
            cinch, "audit", "ingest", Fixture.path("audit/apparmor-avc.log"), "-o", "\(directory)/trace.json",
        ])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        return directory
    }

    private func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    // MARK: - Generate

    @Test func auditLogBecomesTheGoldenProfile() throws {
        let directory = try ingestedFixture()
        defer { Command.removeDirectory(directory) }
        let written = try Command.run([
            cinch, "generate", "apparmor", "\(directory)/trace.json", "-o", "\(directory)/profile",
        ])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.isEmpty)
        #expect(written.stderr.contains("[apparmor.signals-added]"))
        let profile = try read("\(directory)/profile")
        expectMatchesGolden(profile, "apparmor-generated-avc.apparmor")
        // Standard output gets the same bytes, and a second run is identical.
        let printed = try Command.run([cinch, "generate", "apparmor", "-q", "\(directory)/trace.json"])
        #expect(printed.status == 0)
        #expect(printed.stdout == profile)
        #expect(printed.stderr.isEmpty, "\(printed.stderr)")

        let named = try Command.run([
            cinch, "generate", "apparmor", "--name", "web", "--complain", "-q", "\(directory)/trace.json",
        ])
        #expect(named.status == 0, "\(named.stderr)")
        expectMatchesGolden(named.stdout, "apparmor-generated-avc-web-complain.apparmor")
    }

    @Test(.enabled(if: hasParser, needsParser))
    func generatedProfileCompilesAndValidates() throws {
        let directory = try ingestedFixture()
        defer { Command.removeDirectory(directory) }
        let profile = "\(directory)/web.apparmor"
        let generated = try Command.run([
            cinch, "generate", "apparmor", "\(directory)/trace.json", "--name", "web", "-o", profile,
        ])
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(!generated.stderr.contains("apparmor.not-validated"))
        let parsed = try Command.run(["apparmor_parser", "-Q", "-K", profile])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        let validated = try Command.run([cinch, "validate", profile])
        #expect(validated.status == 0, "\(validated.stderr)")
        #expect(validated.stdout == "\(profile): ok (AppArmor: compiles with apparmor_parser; not loaded)\n")
    }

    @Test func diffOfTwoGeneratedProfilesShowsExactlyTheExtraFile() throws {
        let directory = try ingestedFixture()
        defer { Command.removeDirectory(directory) }
        let log = try read(Fixture.path("audit/apparmor-avc.log")) + shadowRead + "\n"
        try log.write(toFile: "\(directory)/wider.log", atomically: true, encoding: .utf8)
        let ingest = try Command.run([
            cinch, "audit", "ingest", "\(directory)/wider.log", "-o", "\(directory)/wider.json",
        ])
        try #require(ingest.status == 0, "\(ingest.stderr)")
        for name in ["trace", "wider"] {
            let generated = try Command.run([
                cinch, "generate", "apparmor", "-q", "--name", "app", "\(directory)/\(name).json", "-o",
                "\(directory)/\(name).apparmor",
            ])
            try #require(generated.status == 0, "\(generated.stderr)")
        }
        let paths = ["\(directory)/trace.apparmor", "\(directory)/wider.apparmor"]
        let diff = try Command.run([cinch, "diff", "--format", "json"] + paths)
        #expect(diff.status == 1, "\(diff.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(diff.stdout.utf8)) as? [String: Any])
        let changes = try #require(object["general"] as? [[String: Any]])
        #expect(changes.count == 1, "\(diff.stdout)")
        #expect(changes.first?["name"] as? String == "file /etc/shadow")
        #expect(changes.first?["kind"] as? String == "added")
        #expect(changes.first?["effect"] as? String == "widening")
        #expect(changes.first?["new"] as? String == "r")
        #expect(object["widens"] as? Bool == true)
        let reverse = try Command.run([cinch, "diff", "--fail-on", "widen"] + paths.reversed())
        #expect(reverse.status == 0, "\(reverse.stdout)\(reverse.stderr)")
        #expect(reverse.stdout.contains("1 narrowing"))
    }

    @Test func hostilePathsAreEscapedOrLeftOutWithAWarning() throws {
        let directory = try Command.temporaryDirectory("apparmor-generate")
        defer { Command.removeDirectory(directory) }
        let trace: [String: Any] = [
            "cinchTrace": 1, "source": ["kind": "audit"], "observed": ["capabilities", "files", "network"],
            "files": ["/tmp/*": "r", "/x\n}": "rw", "/etc/y\" rw, /** rwx,": "r", "@{HOME}/x": "r", "/a{b,c}": "r"],
        ]
        try JSONSerialization.data(withJSONObject: trace).write(to: URL(fileURLWithPath: "\(directory)/t.json"))
        let result = try Command.run([cinch, "generate", "apparmor", "\(directory)/t.json", "--name", "h"])
        #expect(result.status == 0, "\(result.stderr)")
        let rules = result.stdout.split(separator: "\n").filter { $0.hasPrefix("  /") }
        #expect(rules == [#"  /a\{b\,c\} r,"#, #"  /etc/y\"\ rw\,\ /\*\*\ rwx\, r,"#, #"  /tmp/\* r,"#])
        #expect(result.stderr.contains(#"warning: The path "/x\u{a}}" contains a control character"#))
        #expect(result.stderr.contains(#"warning: The path "@{HOME}/x" is not an absolute path"#))
    }

    // MARK: - Generate: exit codes

    @Test func refusesATraceThatDidNotObserveFiles() throws {
        let directory = try ingestedFixture()
        defer { Command.removeDirectory(directory) }
        let ptrace = #"{"cinchTrace": 1, "source": {"kind": "ptrace", "command": ["/bin/true"]}, "abis": {}}"#
        try ptrace.write(toFile: "\(directory)/ptrace.json", atomically: true, encoding: .utf8)
        let result = try Command.run([
            cinch, "generate", "apparmor", "\(directory)/trace.json", "\(directory)/ptrace.json", "-o",
            "\(directory)/out.apparmor",
        ])
        #expect(result.status == 64)
        #expect(result.stderr.contains("\(directory)/ptrace.json: error: This trace did not watch file access"))
        #expect(result.stderr.contains("cinch audit ingest"))
        #expect(!result.stderr.contains("\(directory)/trace.json: error"))
        #expect(result.stderr.contains("no profile was written"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out.apparmor"))
    }

    @Test func aProfileThatDoesNotCompileIsNotWritten() throws {
        let directory = try ingestedFixture()
        defer { Command.removeDirectory(directory) }
        // A stand-in parser that rejects everything the way apparmor_parser reports errors.
        let parser = try StandInParser.rejectingAppArmor(in: directory)
        let result = try Command.run(
            [cinch, "generate", "apparmor", "\(directory)/trace.json", "-o", "\(directory)/out.apparmor"],
            environment: ["CINCH_APPARMOR_PARSER": parser])
        #expect(result.status == 64)
        #expect(
            result.stderr.contains(
                "\(directory)/out.apparmor:7: error: Invalid capability nope. [apparmor.parser-error]"),
            "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/out.apparmor"))
    }

    @Test func withoutAParserTheProfileIsWrittenWithANote() throws {
        let directory = try ingestedFixture()
        defer { Command.removeDirectory(directory) }
        let environment = ["CINCH_APPARMOR_PARSER": "\(directory)/missing"]
        let result = try Command.run(
            [cinch, "generate", "apparmor", "\(directory)/trace.json", "-o", "\(directory)/out.apparmor"],
            environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("note: The profile was not compiled, so it is unchecked."))
        #expect(result.stderr.contains("[apparmor.not-validated]"))
        #expect(FileManager.default.fileExists(atPath: "\(directory)/out.apparmor"))
        let quiet = try Command.run(
            [cinch, "generate", "apparmor", "-q", "\(directory)/trace.json"], environment: environment)
        #expect(quiet.status == 0)
        #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
    }

    @Test func badArgumentsAndUnwritableOutputs() throws {
        let directory = try ingestedFixture()
        defer { Command.removeDirectory(directory) }
        let trace = "\(directory)/trace.json"
        let badName = try Command.run([cinch, "generate", "apparmor", trace, "--name", "web,{x}"])
        #expect(badName.status == 64)
        #expect(badName.stderr.contains("The profile name 'web,{x}' is not allowed"), "\(badName.stderr)")
        let missing = try Command.run([cinch, "generate", "apparmor", "\(directory)/none.json"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("\(directory)/none.json"))
        let none = try Command.run([cinch, "generate", "apparmor"])
        #expect(none.status == 64)
        let unwritable = try Command.run([
            cinch, "generate", "apparmor", "-q", trace, "-o", "\(directory)/no/such/dir/out.apparmor",
        ])
        #expect(unwritable.status == 73, "\(unwritable.stderr)")
    }

    // MARK: - Validate

    @Test(.enabled(if: hasParser, needsParser))
    func brokenProfileFailsValidationNamingTheFile() throws {
        let directory = try Command.temporaryDirectory("apparmor-validate")
        defer { Command.removeDirectory(directory) }
        let broken = "\(directory)/broken.apparmor"
        try "abi <abi/3.0>,\nprofile broken {\n  /etc/passwd r\n  capability chown,\n}\n".write(
            toFile: broken, atomically: true, encoding: .utf8)
        let result = try Command.run([cinch, "validate", broken])
        #expect(result.status == 1)
        #expect(result.stderr.contains("\(broken):4: error: syntax error"), "\(result.stderr)")
        #expect(!result.stderr.contains("Cache read/write disabled"))
        #expect(result.stdout.isEmpty)

        // A file name that looks like an option reaches apparmor_parser as a file.
        try FileManager.default.copyItem(atPath: broken, toPath: "\(directory)/-r")
        let dashed = try Command.run([cinch, "validate", "--", "-r"], directory: directory)
        #expect(dashed.status == 1)
        #expect(dashed.stderr.contains("-r:4: error: syntax error"), "\(dashed.stderr)")

        let unknown = "\(directory)/unknown-capability.apparmor"
        try "profile u {\n  capability fly,\n}\n".write(toFile: unknown, atomically: true, encoding: .utf8)
        let second = try Command.run([cinch, "validate", unknown, Fixture.path("apparmor/container-default.apparmor")])
        #expect(second.status == 1)
        #expect(second.stderr.contains("\(unknown):2: error: Invalid capability fly."), "\(second.stderr)")
        #expect(second.stdout.contains("container-default.apparmor: ok (AppArmor"))
    }

    @Test func validateExits69WhenTheParserIsMissing() throws {
        let result = try Command.run(
            [cinch, "validate", Fixture.path("apparmor/container-default.apparmor")],
            environment: ["CINCH_APPARMOR_PARSER": "/nonexistent/apparmor_parser"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("container-default.apparmor: error: Cannot validate the AppArmor profile"))
        #expect(result.stderr.contains("CINCH_APPARMOR_PARSER=/nonexistent/apparmor_parser is not an executable"))
        // Seccomp profiles do not need the parser.
        let seccomp = try Command.run(
            [cinch, "validate", Fixture.path("diff/base.docker.json")],
            environment: ["CINCH_APPARMOR_PARSER": "/nonexistent/apparmor_parser"])
        #expect(seccomp.status == 0, "\(seccomp.stderr)")
    }
}
