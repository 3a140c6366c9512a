// SPDX-License-Identifier: Apache-2.0
// Inputs and outputs a hostile or unlucky user gives cinch: devices, FIFOs, huge files, and
// outputs that cannot be written. None may hang, grow memory without bound, or lose work.

import CinchTestSupport
import Foundation
import Testing

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct HostileInputCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// Runs cinch under `timeout`, so a hang fails the test (status 124) instead of stalling it.
    func run(_ arguments: [String], directory: String) throws -> CommandResult {
        try Command.run(["timeout", "20", cinch] + arguments, directory: directory)
    }

    func scratch() throws -> String {
        let directory = try Command.temporaryDirectory("hostile-input")
        try FileManager.default.copyItem(
            atPath: Fixture.path("traces/manifest-syscalls-only.trace.json"), toPath: "\(directory)/t.json")
        #expect(mkfifo("\(directory)/fifo", 0o600) == 0)
        try FileManager.default.createSymbolicLink(atPath: "\(directory)/zero.json", withDestinationPath: "/dev/zero")
        return directory
    }

    /// `/dev/zero` as a JSON input grew memory without bound (8.6 GB in 30 s for `generate
    /// seccomp`), and a FIFO blocked forever; now both are refused before anything is read.
    @Test(arguments: [
        ["generate", "seccomp", "/dev/zero"], ["generate", "seccomp", "zero.json"], ["generate", "seccomp", "fifo"],
        ["generate", "capabilities", "zero.json"], ["generate", "apparmor", "fifo"], ["validate", "zero.json"],
        ["validate", "fifo"], ["diff", "zero.json", "t.json"], ["merge", "traces", "t.json", "fifo", "-o", "m.json"],
    ])
    func devicesAndFIFOsAreRefusedNotRead(arguments: [String]) throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        let result = try run(arguments, directory: directory)
        #expect(result.status == 64, "\(arguments): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains("not a regular file"), "\(result.stderr)")
    }

    @Test func aFileLargerThanTheLimitIsRefusedUnread() throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        #expect(truncate("\(directory)/t.json", 65 << 20) == 0)
        let result = try run(["generate", "seccomp", "t.json"], directory: directory)
        #expect(result.status == 64)
        #expect(result.stderr.contains("t.json: is 68157440 bytes; cinch reads at most 67108864 bytes (64 MiB)"))
    }

    @Test func aBundleWhoseConfigIsADeviceIsRefused() throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        try FileManager.default.createDirectory(atPath: "\(directory)/bundle/rootfs", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: "\(directory)/bundle/config.json", withDestinationPath: "/dev/zero")
        let result = try run(["record", "--bundle", "bundle", "-o", "out.json"], directory: directory)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("config.json: is a character device, not a regular file"), "\(result.stderr)")
    }

    /// `-o` to a FIFO nobody reads used to block forever in open(2).
    @Test func anOutputFIFOWithoutAReaderFailsAtOnce() throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        let result = try run(["generate", "seccomp", "-q", "t.json", "-o", "fifo"], directory: directory)
        #expect(result.status == 73, "\(result.status) \(result.stderr)")
        #expect(result.stderr.contains("fifo: cannot open: it is a FIFO that nobody reads"))
    }

    /// Replacing an output through a temporary file used to reset its mode to 0644.
    @Test func aReplacedOutputKeepsItsMode() throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        let output = "\(directory)/out.json"
        #expect(FileManager.default.createFile(atPath: output, contents: Data("old\n".utf8)))
        #expect(chmod(output, 0o600) == 0)
        let result = try run(["generate", "seccomp", "-q", "t.json", "-o", "out.json"], directory: directory)
        #expect(result.status == 0, "\(result.stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: output)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("\"defaultAction\""))
    }

    /// `record` used to check `-o` only after the workload ran, losing the whole recording.
    @Test func recordChecksTheOutputBeforeRunningAnything() throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        let result = try run(
            ["record", "-o", "missing-dir/t.json", "--", "/bin/sh", "-c", "touch ran"], directory: directory)
        #expect(result.status == 73, "\(result.stderr)")
        #expect(result.stderr.contains("missing-dir/t.json: cannot create a temporary file next to it"))
        #expect(result.stderr.contains("nothing was recorded"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/ran"))
    }

    /// A manifest is input: `check --write` used to write entries with absolute or `..` paths
    /// (`wrote: /elsewhere/x.json`) and `check` opened traces such as `/etc/shadow`.
    @Test(arguments: [
        (#"{"path": "ELSEWHERE/x.json", "traces": ["t.json"]}"#, "$.profiles[0].path"),
        (#"{"path": "Profiles/../../x.json", "traces": ["t.json"]}"#, "$.profiles[0].path"),
        (#"{"path": "Profiles/x.json", "traces": ["/etc/shadow"]}"#, "$.profiles[0].traces[0]"),
        (#"{"path": "Profiles/x.json", "traces": ["t.json", "../t.json"]}"#, "$.profiles[0].traces[1]"),
    ])
    func manifestPathsStayInsideTheRoot(entry: String, jsonPath: String) throws {
        let directory = try scratch()
        let elsewhere = try Command.temporaryDirectory("hostile-elsewhere")
        defer {
            Command.removeDirectory(directory)
            Command.removeDirectory(elsewhere)
        }
        try FileManager.default.createDirectory(atPath: "\(directory)/Profiles", withIntermediateDirectories: true)
        let manifest =
            #"{"cinchProfiles": 1, "profiles": [\#(entry.replacingOccurrences(of: "ELSEWHERE", with: elsewhere))]}"#
        try manifest.write(toFile: "\(directory)/Profiles/cinch-profiles.json", atomically: true, encoding: .utf8)
        for arguments in [["check"], ["check", "--write"]] {
            let result = try run(arguments, directory: directory)
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("(\(jsonPath)): the path"), "\(result.stderr)")
            #expect(result.stderr.contains("must be relative to the repository root and stay inside it"))
            #expect(!result.stdout.contains("wrote:"))
            #expect(!result.stderr.contains("root:"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }

    @Test func aSymbolicLinkOutOfTheRootIsNotFollowed() throws {
        let directory = try scratch()
        let elsewhere = try Command.temporaryDirectory("hostile-elsewhere")
        defer {
            Command.removeDirectory(directory)
            Command.removeDirectory(elsewhere)
        }
        try FileManager.default.createDirectory(atPath: "\(directory)/Profiles", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: "\(directory)/Out", withDestinationPath: elsewhere)
        try #"{"cinchProfiles": 1, "profiles": [{"path": "Out/x.json", "traces": ["t.json"]}]}"#
            .write(toFile: "\(directory)/Profiles/cinch-profiles.json", atomically: true, encoding: .utf8)
        let result = try run(["check", "--write"], directory: directory)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("Out/x.json: is outside the repository root"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty)
    }

    /// `record --known`, `audit log-profile --known` and `merge profiles` used to accept syscall
    /// names that `generate` rejects and write them into profiles `validate` then rejected; all
    /// now run the check `generate` runs, and write nothing.
    @Test func everyWriterRefusesTheNamesGenerateRefuses() throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        let trace = try String(contentsOfFile: "\(directory)/t.json", encoding: .utf8)
        try trace.replacingOccurrences(of: "\"nanosleep\"", with: "\"cinch_not_a_syscall\"")
            .write(toFile: "\(directory)/bad.json", atomically: true, encoding: .utf8)
        try
            #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["cinch_not_a_syscall"], "action": "SCMP_ACT_ALLOW"}]}"#
            .write(toFile: "\(directory)/p1.json", atomically: true, encoding: .utf8)
        try #"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#
            .write(toFile: "\(directory)/p2.json", atomically: true, encoding: .utf8)
        let runs: [(arguments: [String], output: String)] = [
            (["generate", "seccomp", "bad.json", "-o", "g.json"], "g.json"),
            (["record", "--known", "bad.json", "-o", "r.json", "--", "/bin/sh", "-c", "touch ran"], "r.json"),
            (["audit", "log-profile", "--known", "bad.json", "-o", "l.json"], "l.json"),
            (["merge", "profiles", "p1.json", "p2.json", "-o", "m.json"], "m.json"),
        ]
        for run in runs {
            let result = try self.run(run.arguments, directory: directory)
            #expect(result.status == 64, "\(run.arguments): \(result.stderr)")
            #expect(
                result.stderr.contains(
                    "error: Unknown syscall \"cinch_not_a_syscall\": libseccomp knows no such syscall"),
                "\(run.arguments): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(directory)/\(run.output)"), "\(run.arguments)")
        }
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/ran"))
    }

    /// `record -- /tmp` exited 127 and wrote a `complete: true` trace of a workload that never
    /// ran, and a file without execute permission was "not found"; both are now the shell's 126,
    /// as `cinch run` says, and no trace is written.
    @Test(arguments: [["/tmp"], ["./noexec.sh"], ["noexec.sh"]])
    func aCommandThatCannotBeExecutedIs126WithoutATrace(command: [String]) throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        #expect(FileManager.default.createFile(atPath: "\(directory)/noexec.sh", contents: Data("echo hi\n".utf8)))
        let result = try Command.run(
            ["timeout", "20", cinch, "record", "-o", "t.trace.json", "--"] + command,
            environment: ["PATH": "\(directory):/usr/bin:/bin"], directory: directory)
        #expect(result.status == 126, "\(command): \(result.stderr)")
        #expect(result.stderr.contains("Permission denied"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/t.trace.json"))
        let run = try Command.run(
            ["timeout", "20", cinch, "run", "--seccomp", Fixture.path("seccomp/docker-valid.json"), "--"] + command,
            environment: ["PATH": "\(directory):/usr/bin:/bin"], directory: directory)
        #expect(run.status == 126, "\(command): \(run.stderr)")
    }

    @Test func auditIngestRefusesAPidThatNamesProcessesOnTwoHosts() throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        let log = Fixture.path("audit/same-pid-two-nodes.log")
        let ambiguous = try run(["audit", "ingest", "--pid", "1234", log, "-o", "a.json"], directory: directory)
        #expect(ambiguous.status == 64, "\(ambiguous.stderr)")
        #expect(ambiguous.stderr.contains("--pid 1234 matched records of 2 hosts (node=alpha, node=beta)"))
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/a.json"))
        let chosen = try run(
            ["audit", "ingest", "-q", "--pid", "1234", "--node", "alpha", log, "-o", "a.json"], directory: directory)
        #expect(chosen.status == 0, "\(chosen.stderr)")
        let trace = try String(contentsOfFile: "\(directory)/a.json", encoding: .utf8)
        #expect(trace.contains("\"openat\"") && !trace.contains("\"read\""))
    }

    /// A numeric syscall name passed the generator's name check and failed only in the compile,
    /// whose error named the output file; it is now refused as a trace's content, at its path.
    @Test func aNumericSyscallNameIsReportedAtTheTrace() throws {
        let directory = try scratch()
        defer { Command.removeDirectory(directory) }
        let trace = try String(contentsOfFile: "\(directory)/t.json", encoding: .utf8)
        try trace.replacingOccurrences(of: "\"nanosleep\"", with: "\"123\"")
            .write(toFile: "\(directory)/num.json", atomically: true, encoding: .utf8)
        let result = try run(["generate", "seccomp", "-q", "num.json", "-o", "out.json"], directory: directory)
        #expect(result.status == 64)
        #expect(
            result.stderr.contains(
                "num.json ($.abis.x86_64.syscalls): error: The trace names a syscall \"123\", which is not a syscall name"
            ),
            "\(result.stderr)")
        #expect(!result.stderr.contains("out.json"))
    }
}
