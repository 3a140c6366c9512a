// SPDX-License-Identifier: Apache-2.0
// `cinch diff`, `cinch merge` and `cinch check` as CI runs them: outputs and exit codes.

import CinchLinux
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
struct DiffCLITests {
    let cinch = TestEnvironment.product("cinch")

    func fixture(_ name: String) -> String { Fixture.path("diff/\(name)") }

    @Test func equalMeaningExitsZero() throws {
        let result = try Command.run([cinch, "diff", fixture("base.docker.json"), fixture("base.oci.json")])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("No semantic differences."))
    }

    @Test func addingPtraceFailsUnderFailOnWiden() throws {
        let result = try Command.run([
            cinch, "diff", "--fail-on", "widen", fixture("base.docker.json"), fixture("with-ptrace.json"),
        ])
        #expect(result.status == 1)
        #expect(result.stdout.contains("+ ptrace  added: allowed"))
        #expect(result.stdout.contains("risk high:"))
    }

    @Test func removingASyscallPassesUnderFailOnWidenButNotByDefault() throws {
        let narrowing = [fixture("base.docker.json"), fixture("without-mkdir.json")]
        let widen = try Command.run([cinch, "diff", "--fail-on", "widen"] + narrowing)
        #expect(widen.status == 0, "\(widen.stdout)")
        #expect(widen.stdout.contains("- removed (1): mkdir"))
        let any = try Command.run([cinch, "diff"] + narrowing)
        #expect(any.status == 1)
    }

    @Test func dockerDefaultReportsHowManySyscallsWereRemoved() throws {
        let result = try Command.run([cinch, "diff", "--format", "json", "docker-default", fixture("small.json")])
        #expect(result.status == 1)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let abis = try #require(object["abis"] as? [[String: Any]])
        let native = try #require(abis.first)
        #expect(native["abi"] as? String == "x86_64")
        let removed = try #require(native["removed"] as? Int)
        let oldAllowed = try #require(native["oldAllowed"] as? Int)
        // libseccomp decides which of Docker's 361+ names exist on x86_64 (about 300).
        #expect(removed > 250 && removed == oldAllowed - 15)
        let text = try Command.run([cinch, "diff", "docker-default", fixture("small.json")])
        #expect(text.stdout.contains("x86_64: \(oldAllowed) → 15 syscalls allowed (\(removed) removed"))
    }

    @Test func markdownIsAPullRequestComment() throws {
        let result = try Command.run([
            cinch, "diff", "--format", "markdown", fixture("base.docker.json"), fixture("with-ptrace.json"),
        ])
        #expect(result.stdout.hasPrefix("### cinch diff:"))
        #expect(result.stdout.contains("| widening | `ptrace` added |"))
    }

    @Test(arguments: [["missing.json"], ["caps-old.txt"]])
    func unusableOrMismatchedInputExits64(second: [String]) throws {
        let result = try Command.run([cinch, "diff", fixture("base.docker.json"), fixture(second[0])])
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("cinch: "))
    }

    @Test func capabilityListsDiff() throws {
        let result = try Command.run([cinch, "diff", fixture("caps-old.txt"), fixture("caps-new.json")])
        #expect(result.status == 1)
        #expect(result.stdout.contains("+ CAP_SYS_ADMIN  added: granted"))
    }

    // MARK: - merge

    @Test func mergeProfilesReportsConflictsUnlessPreferred() throws {
        let directory = try Command.temporaryDirectory("merge")
        defer { Command.removeDirectory(directory) }
        let inputs = [fixture("conflict-a.json"), fixture("conflict-b.json")]
        let conflict = try Command.run([cinch, "merge", "profiles"] + inputs + ["-o", "\(directory)/m.json"])
        #expect(conflict.status == 1)
        #expect(conflict.stderr.contains("Syscall clone3 has different actions"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/m.json"))

        let preferred = try Command.run(
            [cinch, "merge", "profiles", "--prefer", "deny"] + inputs + ["-o", "\(directory)/m.json"])
        #expect(preferred.status == 0, "\(preferred.stderr)")
        let merged = try SeccompProfile.load(path: "\(directory)/m.json")
        #expect(merged.architectures == [.x86_64, .x86])
        #expect(merged.syscalls.map(\.names) == [["openat", "read", "write"], ["clone3"]])
        #expect(merged.syscalls.last?.errnoRet == 38)
    }

    @Test func mergeTracesPrintsCoverage() throws {
        let directory = try Command.temporaryDirectory("merge")
        defer { Command.removeDirectory(directory) }
        let interrupted = Fixture.path("traces/interrupted.trace.json")
        let traces = [interrupted, Fixture.path("traces/observations.trace.json"), interrupted]
        let result = try Command.run([cinch, "merge", "traces"] + traces + ["-o", "\(directory)/u.json"])
        #expect(result.status == 0, "\(result.stderr)")
        let rows = result.stdout.split(separator: "\n").map { $0.split(separator: " ").joined(separator: " ") }
        #expect(
            rows == ["ABI SYSCALL SEEN CALLS", "x86_64 bind 1/3 1", "x86_64 nanosleep 2/3 2", "x86_64 write 2/3 8"])
        let union = try Trace.load(path: "\(directory)/u.json")
        #expect(union.abis[.x86_64]?.syscalls["nanosleep"] != nil)
    }

    // MARK: - check

    /// `check` on a throw-away repository: no manifest fails clearly, `--init --write` creates
    /// everything, a consistent tree passes, and a hand-edited profile fails with its diff.
    @Test func checkDetectsHandEditedProfiles() throws {
        let root = try Command.temporaryDirectory("check")
        defer { Command.removeDirectory(root) }
        try FileManager.default.createDirectory(atPath: "\(root)/Traces", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/Profiles", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Fixture.path("traces/observations.trace.json"), toPath: "\(root)/Traces/app.trace.json")

        let missing = try Command.run([cinch, "check"], directory: root)
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("no profile manifest"))

        let initialize = try Command.run([cinch, "check", "--init", "--write"], directory: root)
        #expect(initialize.status == 0, "\(initialize.stderr)")
        #expect(FileManager.default.fileExists(atPath: "\(root)/Profiles/cinch-profiles.json"))
        #expect(FileManager.default.fileExists(atPath: "\(root)/Profiles/app.seccomp.json"))
        #expect(FileManager.default.fileExists(atPath: "\(root)/Profiles/app.oci.json"))

        let clean = try Command.run([cinch, "check"], directory: root)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(clean.stdout.contains("ok: Profiles/app.seccomp.json"))

        let path = "\(root)/Profiles/app.seccomp.json"
        let edited = try String(contentsOfFile: path, encoding: .utf8)
            .replacingOccurrences(of: "\"names\": [\n", with: "\"names\": [\n        \"ptrace\",\n")
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        let drift = try Command.run([cinch, "check"], directory: root)
        #expect(drift.status == 1)
        #expect(drift.stdout.contains("drift: Profiles/app.seccomp.json"))
        #expect(drift.stdout.contains("+ ptrace  added: allowed"), "\(drift.stdout)")

        let rewrite = try Command.run([cinch, "check", "--write"], directory: root)
        #expect(rewrite.status == 0)
        #expect(try Command.run([cinch, "check"], directory: root).status == 0)
    }
}
