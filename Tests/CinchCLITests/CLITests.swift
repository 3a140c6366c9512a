// SPDX-License-Identifier: Apache-2.0
// The cinch binary as a user runs it: record -> generate -> validate -> run, exit codes, signals.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch") && TestEnvironment.isRoot),
        "needs root and the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(3))
)
struct CLITests {
    let cinch = TestEnvironment.product("cinch")
    let probe = TestEnvironment.product("cinch-probe")
    let workload = ["sh", "-c", "ls / >/dev/null; cat /etc/os-release"]

    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try Command.temporaryDirectory("cli")
        defer { Command.removeDirectory(directory) }
        try body(directory)
    }

    /// The acceptance walkthrough: the recorded command succeeds under its own profile with the
    /// same output, and fails once a syscall it needs is removed.
    @Test func recordGenerateValidateRunRoundTrip() throws {
        try withDirectory { dir in
            let native = try Command.run(workload)
            let record = try Command.run([cinch, "record", "-o", "\(dir)/t.json", "--"] + workload)
            #expect(record.status == 0, "\(record.stderr)")
            #expect(record.stdout == native.stdout, "record must not add to the workload's stdout")

            let generate = try Command.run([cinch, "generate", "seccomp", "\(dir)/t.json", "-o", "\(dir)/p.json"])
            #expect(generate.status == 0, "\(generate.stderr)")
            let validate = try Command.run([cinch, "validate", "\(dir)/p.json"])
            #expect(validate.status == 0, "\(validate.stdout)\(validate.stderr)")

            let run = try Command.run([cinch, "run", "--seccomp", "\(dir)/p.json", "--"] + workload)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.stdout == native.stdout)

            #expect(
                try ProfileEditing.removeSyscall("openat", from: "\(dir)/p.json", writingTo: "\(dir)/no-openat.json"))
            let denied = try Command.run([cinch, "run", "--seccomp", "\(dir)/no-openat.json", "--"] + workload)
            #expect(denied.status != 0)
            #expect(denied.stdout != native.stdout)
        }
    }

    @Test func deniedSyscallsGetTheProfilesErrno() throws {
        try withDirectory { dir in
            // The shell's echo makes write(2) part of the profile, so the probe can report the errno.
            _ = try Command.run([
                cinch, "record", "-q", "-o", "\(dir)/t.json", "--", "sh", "-c", "\(probe) call:getpid; echo done >&2",
            ])
            for (errno, message) in [("EPERM", "Operation not permitted"), ("ENOSYS", "Function not implemented")] {
                _ = try Command.run([
                    cinch, "generate", "seccomp", "-q", "--default-errno", errno, "\(dir)/t.json", "-o",
                    "\(dir)/p.json",
                ])
                // The probe reports the errno of a call the profile does not allow.
                let run = try Command.run([
                    cinch, "run", "--seccomp", "\(dir)/p.json", "--", probe, "call:getpid", "call:uname",
                ])
                #expect(run.status != 0)
                #expect(run.stderr.contains(message), "\(errno): \(run.stderr)")
            }
        }
    }

    @Test(
        arguments: [(["exit:7"], Int32(7)), (["signal:9"], Int32(137)), (["exit:0"], Int32(0))] as [([String], Int32)])
    func recordAndRunPassTheWorkloadsStatusThrough(steps: [String], expected: Int32) throws {
        try withDirectory { dir in
            let record = try Command.run([cinch, "record", "-q", "-o", "\(dir)/t.json", "--", probe] + steps)
            #expect(record.status == expected)
            let trace = try Trace.load(path: "\(dir)/t.json")
            #expect(trace.exitStatus?.shellStatus == expected)
            _ = try Command.run([cinch, "generate", "seccomp", "-q", "\(dir)/t.json", "-o", "\(dir)/p.json"])
            let run = try Command.run([cinch, "run", "--seccomp", "\(dir)/p.json", "--", probe] + steps)
            #expect(run.status == expected)
        }
    }

    @Test func quietRecordingPrintsNothingOfItsOwn() throws {
        try withDirectory { dir in
            let result = try Command.run([cinch, "record", "-q", "-o", "\(dir)/t.json", "--", "sh", "-c", "echo hello"])
            #expect(result.status == 0)
            #expect(result.stdout == "hello\n")
            #expect(result.stderr == "")
        }
    }

    /// SIGTERM to cinch stops the workload (including children of a shell), writes the partial
    /// trace marked incomplete, says so on stderr, and exits like the killed workload.
    @Test func interruptedRecordingWritesAnIncompleteTrace() throws {
        try withDirectory { dir in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: cinch)
            process.arguments = [
                "record", "-q", "-o", "\(dir)/t.json", "--", "sh", "-c", "\(probe) sleep:30000; echo never",
            ]
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: 0.7)
            let started = Date()
            process.terminate()
            process.waitUntilExit()
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(process.terminationStatus == 143)
            let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(stderr.contains("incomplete"), "\(stderr)")
            let trace = try Trace.load(path: "\(dir)/t.json")
            #expect(!trace.isComplete)
            #expect(trace.incompleteReasons.joined().contains("SIGTERM"))
            #expect(trace.namesByABI[.x86_64]?.contains("execve") == true)
        }
    }

    /// `--capabilities` makes a command's trace observe capabilities (off by default for a
    /// command); `generate capabilities` takes the one trace and refuses the other.
    @Test(
        .enabled(
            if: TestEnvironment.available(
                FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/capability/cap_capable")),
            "needs the kernel's capability:cap_capable tracepoint (Linux 6.14+)"))
    func recordsCapabilitiesOnRequest() throws {
        let directory = NSTemporaryDirectory() + "cinch-cli-caps-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { Command.removeDirectory(directory) }
        let script = "touch \(directory)/f && chown 65534 \(directory)/f"
        let with = try Command.run(
            [cinch, "record", "-q", "--capabilities", "-o", "\(directory)/with.json", "--", "sh", "-c", script])
        #expect(with.status == 0, "\(with.stderr)")
        let without = try Command.run(
            [cinch, "record", "-q", "-o", "\(directory)/without.json", "--", "sh", "-c", script])
        #expect(without.status == 0, "\(without.stderr)")
        #expect(try Trace.load(path: "\(directory)/with.json").observed == [.capabilities])
        #expect(try Trace.load(path: "\(directory)/without.json").observed == [])

        let list = try Command.run([cinch, "generate", "capabilities", "-q", "\(directory)/with.json"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout == "CAP_CHOWN\n")
        let refused = try Command.run([cinch, "generate", "capabilities", "-q", "\(directory)/without.json"])
        #expect(refused.status == 64)
    }

    @Test func commandNotFoundExits127() throws {
        try withDirectory { dir in
            let result = try Command.run([cinch, "record", "-o", "\(dir)/t.json", "--", "cinch-no-such-command"])
            #expect(result.status == 127)
            #expect(result.stderr.contains("command not found"))
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/t.json"))
        }
    }

    @Test func badTraceInputNamesTheFileAndPlace() throws {
        try withDirectory { dir in
            try "{\n  \"cinchTrace\": 1,\n  \"abis\": [}\n".write(
                toFile: "\(dir)/bad.json", atomically: true, encoding: .utf8)
            let result = try Command.run([cinch, "generate", "seccomp", "\(dir)/bad.json", "-o", "\(dir)/p.json"])
            #expect(result.status == 64)
            #expect(result.stderr.contains("bad.json:3:"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/p.json"), "no output on bad input")
        }
    }

    /// A trace naming a syscall libseccomp does not know, or something that is not a syscall name,
    /// must not produce a profile: nothing is written and the name is reported.
    @Test(arguments: [("cinch_not_a_syscall", "cinch_not_a_syscall"), (#"read\", \"x"#, "not a syscall name")])
    func generateRefusesTracesWithBogusNames(name: String, message: String) throws {
        try withDirectory { dir in
            let trace = """
                {"cinchTrace": 1, "abis": {"x86_64": {"syscalls": {"read": {"count": 1}, "\(name)": {"count": 1}}}}}
                """
            try trace.write(toFile: "\(dir)/t.json", atomically: true, encoding: .utf8)
            let result = try Command.run([cinch, "generate", "seccomp", "\(dir)/t.json", "-o", "\(dir)/p.json"])
            #expect(result.status == 64)
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/p.json"))
        }
    }

    @Test func generationIsByteIdenticalAcrossRuns() throws {
        try withDirectory { dir in
            _ = try Command.run([
                cinch, "record", "-q", "-o", "\(dir)/t.json", "--", probe, "threads:2", "int80:getpid",
            ])
            for format in ["docker", "oci"] {
                let first = try Command.run([cinch, "generate", "seccomp", "-q", "--format", format, "\(dir)/t.json"])
                let second = try Command.run([cinch, "generate", "seccomp", "-q", "--format", format, "\(dir)/t.json"])
                #expect(first.status == 0)
                #expect(first.stdout == second.stdout)
                #expect(first.stdout.hasSuffix("}\n"))
                #expect(first.stdout.contains("SCMP_ARCH_X86\""), "compat ABI listed in \(format)")
            }
        }
    }

    @Test func knownTracesMakeARecordingFreeAndCarryTheirNames() throws {
        try withDirectory { dir in
            _ = try Command.run([cinch, "record", "-q", "-o", "\(dir)/cold.json", "--", probe, "fork", "call:uname"])
            let warm = try Command.run([
                cinch, "record", "-q", "--known", "\(dir)/cold.json", "-o", "\(dir)/warm.json", "--", probe, "fork",
                "call:uname",
            ])
            #expect(warm.status == 0)
            let cold = try Trace.load(path: "\(dir)/cold.json")
            let trace = try Trace.load(path: "\(dir)/warm.json")
            // Only fork's clone stops: syscalls whose arguments are recorded always do.
            #expect(trace.abis[.x86_64]?.syscalls.keys.sorted() == ["clone"])
            #expect(trace.namesByABI == cold.namesByABI)
            #expect(trace.source.knownTraces == ["\(dir)/cold.json"])
        }
    }
}
