// SPDX-License-Identifier: Apache-2.0
// What a new user trips over without containers: formats cinch writes but could not read, the
// direction of a drift report, and messages that name the real problem.

import CinchTestSupport
import Foundation
import Testing

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct NewUserCLITests {
    let cinch = TestEnvironment.product("cinch")
    let trace = Fixture.path("traces/manifest-web.trace.json")

    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try Command.temporaryDirectory("new-user")
        defer { Command.removeDirectory(directory) }
        try body(directory)
    }

    /// A repository with one trace and a manifest of a Docker seccomp profile and a Kubernetes
    /// capability list, written by `cinch check --write`.
    func makeRepository(in root: String) throws {
        try FileManager.default.createDirectory(atPath: "\(root)/Traces", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/Profiles", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: trace, toPath: "\(root)/Traces/web.trace.json")
        try """
        {
          "cinchProfiles": 1,
          "profiles": [
            {"format": "kubernetes", "kind": "capabilities", "path": "Profiles/web.caps.yaml", "traces": ["Traces/web.trace.json"]},
            {"path": "Profiles/web.seccomp.json", "traces": ["Traces/web.trace.json"]}
          ]
        }

        """.write(toFile: "\(root)/Profiles/cinch-profiles.json", atomically: true, encoding: .utf8)
        let write = try Command.run([cinch, "check", "--write"], directory: root)
        #expect(write.status == 0, "\(write.stderr)")
    }

    /// Adds `ptrace` to the committed Docker profile, as a hand edit would.
    func widenByHand(_ path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let widened = text.replacingOccurrences(
            of: "\"syscalls\": [",
            with: "\"syscalls\": [\n    {\"action\": \"SCMP_ACT_ALLOW\", \"names\": [\"ptrace\"]},")
        #expect(widened != text)
        try widened.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test(arguments: ["text", "docker", "oci", "compose", "kubernetes"])
    func diffReadsEveryCapabilityFormatGenerateWrites(format: String) throws {
        try withDirectory { dir in
            let generate = try Command.run([
                cinch, "generate", "capabilities", "-q", trace, "--format", format, "-o", "\(dir)/caps",
            ])
            #expect(generate.status == 0, "\(generate.stderr)")
            try "CAP_NET_BIND_SERVICE\n".write(toFile: "\(dir)/narrow", atomically: true, encoding: .utf8)
            let same = try Command.run([cinch, "diff", "\(dir)/caps", "\(dir)/caps"])
            #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
            let widened = try Command.run([cinch, "diff", "--fail-on", "widen", "\(dir)/narrow", "\(dir)/caps"])
            #expect(widened.status == 1, "\(widened.stdout)\(widened.stderr)")
            #expect(widened.stdout.contains("CAP_SETUID"), "\(widened.stdout)")
        }
    }

    /// A hand-widened profile was reported as "ptrace removed" (committed → regenerated); a
    /// reviewer reads it as the committed file allowing ptrace that its traces do not justify.
    @Test(arguments: ["text", "markdown"])
    func checkReportsAHandWidenedProfileAsUnjustified(format: String) throws {
        try withDirectory { root in
            try makeRepository(in: root)
            try widenByHand("\(root)/Profiles/web.seccomp.json")
            let check = try Command.run([cinch, "check", "--format", format], directory: root)
            #expect(check.status == 1)
            #expect(
                check.stdout.contains(
                    "Profiles/web.seccomp.json allows what its traces do not justify: ptrace (x86_64)"),
                "\(check.stdout)")
            #expect(!check.stdout.contains("removed (1): ptrace"), "\(check.stdout)")
            #expect(check.stdout.contains("1 widening"), "\(check.stdout)")
        }
    }

    /// `check --format json` printed text lines between the JSON diffs.
    @Test func checkFormatJSONPrintsOneDocument() throws {
        try withDirectory { root in
            try makeRepository(in: root)
            try widenByHand("\(root)/Profiles/web.seccomp.json")
            let check = try Command.run([cinch, "check", "--format", "json"], directory: root)
            #expect(check.status == 1)
            let document = try JSONSerialization.jsonObject(with: Data(check.stdout.utf8)) as? [String: Any]
            let profiles = document?["profiles"] as? [[String: Any]] ?? []
            #expect(profiles.map { $0["status"] as? String } == ["ok", "drift"], "\(check.stdout)")
            #expect(profiles.last?["unjustified"] as? [String] == ["ptrace (x86_64)"])
            #expect(document?["drifted"] as? Int == 1)
        }
    }

    /// A trace where a profile belongs said `unknown key "abis" in a seccomp profile`.
    @Test(arguments: [["validate"], ["diff", "docker-default"]])
    func aTraceGivenAsAProfileSaysItIsATrace(command: [String]) throws {
        let result = try Command.run([cinch] + command + [trace])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("this is a cinch trace, not a seccomp profile"), "\(result.stderr)")
        #expect(result.stderr.contains("cinch generate seccomp"), "\(result.stderr)")
    }

    /// `cinch help verify` showed literal backslashes at the ends of lines.
    @Test(arguments: ["verify", "record", "check", "diff"])
    func helpHasNoStrayBackslashes(command: String) throws {
        let help = try Command.run([cinch, "help", command])
        #expect(help.status == 0)
        #expect(!help.stdout.contains("\\\n"), "\(help.stdout)")
        #expect(!help.stdout.contains(" \\ "), "\(help.stdout)")
    }
}
