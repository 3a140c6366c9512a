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

    func jsonObject(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "\(text)")
    }

    @Test func validateFormatJSONPrintsOneDocument() throws {
        let good = Fixture.path("seccomp/docker-valid.json")
        let result = try Command.run([cinch, "validate", "--format", "json", good, trace])
        #expect(result.status == 64, "\(result.stderr)")
        let document = try jsonObject(result.stdout)
        #expect(document["cinchValidate"] as? Int == 1)
        #expect(document["valid"] as? Bool == false)
        let files = document["files"] as? [[String: Any]] ?? []
        #expect(files.map { $0["verdict"] as? String } == ["valid", "unusable"])
        #expect((files.first?["instructions"] as? [String: Any])?["x86_64"] != nil, "\(result.stdout)")
        let message = (files.last?["diagnostics"] as? [[String: Any]])?.first?["message"] as? String
        #expect(message?.contains("this is a cinch trace") == true, "\(result.stdout)")
    }

    @Test(
        .enabled(
            if: TestEnvironment.available(TestEnvironment.isRoot && TestEnvironment.canPtrace),
            "needs root and ptrace"))
    func recordFormatJSONPrintsASummary() throws {
        try withDirectory { dir in
            let result = try Command.run([
                cinch, "record", "-q", "--format", "json", "-o", "\(dir)/t.json", "--", "/bin/true",
            ])
            #expect(result.status == 0, "\(result.stderr)")
            let document = try jsonObject(result.stdout)
            #expect(document["cinchRecord"] as? Int == 1)
            #expect(document["complete"] as? Bool == true)
            #expect(document["output"] as? String == "\(dir)/t.json")
            #expect(document["exitStatus"] as? Int == 0)
            #expect(((document["syscalls"] as? [String: Any])?["x86_64"] as? Int ?? 0) > 0, "\(result.stdout)")
        }
    }

    /// `--version` printed only `0.1.0`, and `cinch version` was an error.
    @Test(arguments: [["--version"], ["version"]])
    func versionNamesLibseccompAndTheKernelsCapabilitySupport(arguments: [String]) throws {
        let result = try Command.run([cinch] + arguments)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.first == "cinch 0.1.0", "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("libseccomp 2.") && $0.contains("API level") }, "\(result.stdout)")
        #expect(lines.contains { $0.hasPrefix("kernel ") && $0.contains("capability recording: ") }, "\(result.stdout)")
    }

    /// A mistyped command said "3 unexpected arguments".
    @Test func aMistypedCommandGetsASuggestion() throws {
        let result = try Command.run([cinch, "recrod", "-o", "t.json", "--", "true"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("did you mean 'record'?"), "\(result.stderr)")
        #expect(!result.stderr.contains("unexpected argument"), "\(result.stderr)")
    }

    /// `generate seccomp -o` read "(default: standard output). (default: -)".
    @Test func outputHelpSaysItsDefaultOnce() throws {
        let help = try Command.run([cinch, "generate", "seccomp", "--help"])
        let line = help.stdout.split(separator: "\n").first { $0.contains("-o, --output") } ?? ""
        #expect(line.components(separatedBy: "default").count == 2, "\(line)")
    }

    /// `check --init` in a repository without Profiles/ failed with 73.
    @Test func checkInitCreatesTheProfilesDirectory() throws {
        try withDirectory { root in
            try FileManager.default.createDirectory(atPath: "\(root)/Traces", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: trace, toPath: "\(root)/Traces/web.trace.json")
            let result = try Command.run([cinch, "check", "--init", "--write"], directory: root)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(FileManager.default.fileExists(atPath: "\(root)/Profiles/cinch-profiles.json"))
            #expect(FileManager.default.fileExists(atPath: "\(root)/Profiles/web.seccomp.json"))
        }
    }

    /// A capability list from a command trace (recorded without --capabilities) did not say
    /// how to get one.
    @Test func capabilitiesFromATraceThatDidNotObserveThemMentionTheFlag() throws {
        let result = try Command.run([
            cinch, "generate", "capabilities", Fixture.path("traces/manifest-syscalls-only.trace.json"),
        ])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("cinch record --capabilities"), "\(result.stderr)")
    }
}
