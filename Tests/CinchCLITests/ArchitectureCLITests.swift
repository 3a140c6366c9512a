// SPDX-License-Identifier: Apache-2.0
// `generate --arch`, `validate --trace`, `explain` and the replay in `check`, as a user runs them.

import CinchTestSupport
import Foundation
import Testing

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct ArchitectureCLITests {
    let cinch = TestEnvironment.product("cinch")
    let root = TestEnvironment.repositoryRoot()

    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try Command.temporaryDirectory("arch")
        defer { Command.removeDirectory(directory) }
        try body(directory)
    }

    @Test func anAarch64ProfileFromAnX86_64TraceValidatesForAarch64() throws {
        try withDirectory { dir in
            let trace = Fixture.path("traces/legacy-calls.trace.json")
            let generate = try Command.run([
                cinch, "generate", "seccomp", trace, "--arch", "aarch64", "-o", "\(dir)/a.json",
            ])
            #expect(generate.status == 0, "\(generate.stderr)")
            #expect(generate.stderr.contains("Translated for aarch64 from x86_64: access → faccessat; dup2 → dup3"))
            #expect(generate.stderr.contains("warning: arch_prctl, recorded on x86_64, has no equivalent on aarch64"))
            let validate = try Command.run([cinch, "validate", "\(dir)/a.json"])
            #expect(validate.status == 0, "\(validate.stderr)")
            #expect(validate.stdout.hasPrefix("\(dir)/a.json: ok (aarch64: "))
            #expect(validate.stderr.isEmpty, "no name aarch64 lacks")
        }
    }

    @Test func everyExampleProfileAllowsWhatItsTracesRecorded() throws {
        let pairs = [
            ("Profiles/probe.seccomp.json", ["Traces/probe.trace.json"]),
            ("Profiles/shell.oci.json", ["Traces/shell.trace.json"]),
            ("Profiles/httpd.seccomp.json", ["Traces/httpd-crun.trace.json", "Traces/httpd-runc.trace.json"]),
        ]
        for (profile, traces) in pairs {
            let result = try Command.run(
                [cinch, "validate"] + traces.flatMap { ["--trace", $0] } + [profile], directory: root)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("; replayed "), "\(result.stdout)")
            #expect(result.stdout.contains("all allowed"))
        }
    }

    @Test func aMissingRecordedSyscallFailsNamingTheEvent() throws {
        try withDirectory { dir in
            #expect(
                try ProfileEditing.removeSyscall(
                    "getpid", from: "\(root)/Profiles/probe.seccomp.json", writingTo: "\(dir)/p.json"))
            let result = try Command.run(
                [cinch, "validate", "--trace", "Traces/probe.trace.json", "\(dir)/p.json"], directory: root)
            #expect(result.status == 1)
            #expect(
                result.stderr.contains(
                    "Traces/probe.trace.json ($.abis.x86.syscalls.getpid): error: x86 getpid is not allowed: the filter of \(dir)/p.json returns SCMP_ACT_ERRNO(1) ($.defaultAction). [replay.denied]"
                ), "\(result.stderr)")
            let unreadable = try Command.run([cinch, "validate", "--trace", "\(dir)/none.json", "\(dir)/p.json"])
            #expect(unreadable.status == 64)
        }
    }

    @Test func explainNamesTheActionAndTheRule() throws {
        let allowed = try Command.run(
            [cinch, "explain", "Profiles/probe.seccomp.json", "socket", "2"], directory: root)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout == "x86_64 socket(2) [number 41]: SCMP_ACT_ALLOW\nrule: $.syscalls[2].names[0]\n")
        let denied = try Command.run(
            [cinch, "explain", "Profiles/probe.seccomp.json", "clone", "0x20000000"], directory: root)
        #expect(denied.stdout == "x86_64 clone(0x20000000) [number 56]: SCMP_ACT_ERRNO(1)\nrule: $.defaultAction\n")
        let compat = try Command.run(
            [cinch, "explain", "Profiles/probe.seccomp.json", "getpid", "--arch", "x86"], directory: root)
        #expect(compat.stdout.hasPrefix("x86 getpid() [number 20]: SCMP_ACT_ALLOW\n"))
        let unknown = try Command.run(
            [cinch, "explain", "Profiles/probe.seccomp.json", "open", "--arch", "aarch64"], directory: root)
        #expect(unknown.status == 64)
        #expect(unknown.stderr.contains("\"open\" is not a syscall libseccomp knows on aarch64"))
    }

    /// `cinch check` replays the committed file: a hand edit that drops a recorded socket family
    /// is reported as unproven as well as drifted.
    @Test func checkReplaysEveryCommittedSeccompProfile() throws {
        try withDirectory { dir in
            try FileManager.default.copyItem(atPath: "\(root)/Profiles", toPath: "\(dir)/Profiles")
            try FileManager.default.copyItem(atPath: "\(root)/Traces", toPath: "\(dir)/Traces")
            let clean = try Command.run([cinch, "check", "--root", dir])
            #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
            let path = "\(dir)/Profiles/probe.oci.json"
            var profile = try #require(
                try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
            let rules = try #require(profile["syscalls"] as? [[String: Any]])
            profile["syscalls"] = rules.filter { $0["names"] as? [String] != ["socket"] }
            try JSONSerialization.data(withJSONObject: profile, options: [.sortedKeys]).write(
                to: URL(fileURLWithPath: path))
            let check = try Command.run([cinch, "check", "--root", dir])
            #expect(check.status == 1)
            #expect(check.stdout.contains("unproven: Profiles/probe.oci.json does not allow 1 of the 35 calls"))
            #expect(check.stderr.contains("x86_64 socket(arg0 = 2) is not allowed"))
        }
    }
}
