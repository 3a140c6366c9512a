// SPDX-License-Identifier: Apache-2.0
// Argument rules end to end: record -> generate -> validate -> run enforces them, and diff agrees.

import CinchLinux
import CinchModel
import CinchTestSupport
import Testing

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch") && TestEnvironment.isRoot),
        "needs root and the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(3))
)
struct ArgumentRulesCLITests {
    let cinch = TestEnvironment.product("cinch")
    let probe = TestEnvironment.product("cinch-probe")

    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try Command.temporaryDirectory("arguments")
        defer { Command.removeDirectory(directory) }
        try body(directory)
    }

    /// Records `steps`, generates a profile (with `extra` options) and validates it.
    func recordAndGenerate(_ steps: [String], in dir: String, extra: [String] = []) throws -> String {
        let record = try Command.run([cinch, "record", "-q", "-o", "\(dir)/t.json", "--", probe] + steps)
        #expect(record.status == 0, "\(record.stderr)")
        let generate = try Command.run(
            [cinch, "generate", "seccomp", "-q", "\(dir)/t.json", "-o", "\(dir)/p.json"] + extra)
        #expect(generate.status == 0, "\(generate.stderr)")
        let validate = try Command.run([cinch, "validate", "\(dir)/p.json"])
        #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")
        return "\(dir)/p.json"
    }

    func run(_ profile: String, _ steps: [String]) throws -> CommandResult {
        try Command.run([cinch, "run", "--seccomp", profile, "--", probe] + steps)
    }

    /// The profile allows the recorded families only: TCP and UDP are AF_INET, unix is refused.
    @Test func socketRulesAllowOnlyTheRecordedFamilies() throws {
        try withDirectory { dir in
            let profile = try recordAndGenerate(["socket:tcp", "socket:udp"], in: dir)
            let loaded = try SeccompProfile.load(path: profile)
            #expect(
                loaded.syscalls.filter { $0.names == ["socket"] }.map(\.args) == [
                    [.init(index: 0, value: 2, op: .equal)]
                ])
            #expect(try run(profile, ["socket:tcp"]).status == 0)
            #expect(try run(profile, ["socket:udp"]).status == 0)
            let unix = try run(profile, ["socket:unix"])
            #expect(unix.status == 1, "\(unix.stderr)")
        }
    }

    /// fork (clone with SIGCHLD) and threads (clone3) still work under Docker's clone rule.
    @Test func forkAndThreadsGetDockersCloneRuleAndStillRun() throws {
        try withDirectory { dir in
            let profile = try recordAndGenerate(["fork", "threads:2", "socket:tcp"], in: dir)
            let loaded = try SeccompProfile.load(path: profile)
            let clone = loaded.syscalls.filter { $0.names == ["clone"] }
            #expect(clone.map(\.args) == [[.init(index: 0, value: 0x7E02_0000, valueTwo: 0, op: .maskedEqual)]])
            #expect(!loaded.syscalls[0].names.contains("clone"))
            #expect(loaded.syscalls[0].names.contains("clone3"))
            let run = try run(profile, ["fork", "threads:2", "socket:tcp"])
            #expect(run.status == 0, "\(run.stderr)")
        }
    }

    /// `cinch diff docker-default` no longer reports clone or socket as arguments-widened.
    @Test func dockerDefaultDiffNoLongerWidensCloneOrSocket() throws {
        try withDirectory { dir in
            let profile = try recordAndGenerate(["fork", "socket:tcp", "socket:unix"], in: dir)
            let diff = try Command.run([cinch, "diff", "docker-default", profile])
            #expect(!diff.stdout.contains("clone  arguments-widened"), "\(diff.stdout)")
            #expect(!diff.stdout.contains("socket  arguments-widened"), "\(diff.stdout)")
            #expect(diff.stdout.contains("socket  arguments-narrowed"), "\(diff.stdout)")

            let plain = try recordAndGenerate(["fork", "socket:tcp"], in: dir, extra: ["--no-argument-rules"])
            let plainDiff = try Command.run([cinch, "diff", "docker-default", plain])
            #expect(plainDiff.stdout.contains("clone  arguments-widened"), "\(plainDiff.stdout)")
            #expect(plainDiff.stdout.contains("socket  arguments-widened"), "\(plainDiff.stdout)")
        }
    }

    @Test func generateExplainsTheArgumentRules() throws {
        try withDirectory { dir in
            _ = try Command.run([cinch, "record", "-q", "-o", "\(dir)/t.json", "--", probe, "fork", "socket:tcp"])
            let generate = try Command.run([cinch, "generate", "seccomp", "\(dir)/t.json", "-o", "\(dir)/p.json"])
            #expect(generate.status == 0)
            #expect(generate.stderr.contains("clone arg0 & 0x7e020000 == 0 (no namespace flags); socket arg0 in {2}"))
        }
    }
}
