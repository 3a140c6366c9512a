// SPDX-License-Identifier: Apache-2.0
// SIGINT to `cinch record -- CMD` reaches the whole workload, as a terminal's Ctrl-C would.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(
            TestEnvironment.isRoot && TestEnvironment.hasProduct("cinch") && TestEnvironment.hasTool("python3")),
        "needs root, the built cinch and python3"),
    .timeLimit(.minutes(2))
)
struct RecordSignalRelayTests {
    let cinch = TestEnvironment.product("cinch")

    /// The workload's first process ignores SIGINT and waits for its child, which handles SIGINT by
    /// leaving a mark. A terminal would interrupt both; so must SIGINT sent to cinch alone.
    @Test func sigintToCinchReachesEveryProcessOfTheWorkload() throws {
        let directory = try Command.temporaryDirectory("relay")
        defer { Command.removeDirectory(directory) }
        let script = """
            import os, signal, subprocess, sys, time
            marks = sys.argv[1]
            if len(sys.argv) > 2:
                def interrupted(number, frame):
                    open(marks + "/child-interrupted", "w").close()
                    sys.exit(0)
                signal.signal(signal.SIGINT, interrupted)
                open(marks + "/child-ready", "w").close()
                time.sleep(30)
                sys.exit(1)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            child = subprocess.Popen([sys.executable, sys.argv[0], marks, "child"])
            sys.exit(child.wait())
            """
        try script.write(toFile: "\(directory)/workload.py", atomically: true, encoding: .utf8)
        let python = try Command.run(["sh", "-c", "command -v python3"]).stdout.trimmingCharacters(
            in: .whitespacesAndNewlines)
        let recording = try BackgroundProcess(
            [cinch, "record", "-q", "-o", "\(directory)/t.json", "--", python, "\(directory)/workload.py", directory],
            errorPath: "\(directory)/stderr")
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: "\(directory)/child-ready"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        try #require(FileManager.default.fileExists(atPath: "\(directory)/child-ready"), "\(recording.standardError)")
        recording.send(SIGINT)
        let status = recording.waitForExit(within: 20)
        #expect(FileManager.default.fileExists(atPath: "\(directory)/child-interrupted"), "the child got SIGINT")
        #expect(status == 0, "the workload exited 0 after its child handled SIGINT: \(recording.standardError)")
        let trace = try Trace.load(path: "\(directory)/t.json")
        #expect(!trace.isComplete, "an interrupted recording says so")
        #expect(trace.incompleteReasons.contains { $0.contains("SIGINT") }, "\(trace.incompleteReasons)")
    }

    /// The command's own process has ended and left a job running: the signal must still reach
    /// the job, although no stop of the ended process wakes the tracer to pass it on.
    @Test func aSignalReachesWhatTheCommandLeftRunning() throws {
        let directory = try Command.temporaryDirectory("relay-orphan")
        defer { Command.removeDirectory(directory) }
        let marker = "\(Int.random(in: 100_000...999_999))"
        let recording = try BackgroundProcess(
            [cinch, "record", "-q", "-o", "\(directory)/t.json", "--", "sh", "-c", "sleep \(marker) &"],
            errorPath: "\(directory)/stderr")
        let deadline = Date().addingTimeInterval(20)
        var job: [String] = []
        while job.isEmpty, Date() < deadline {
            job = try Command.run(["pgrep", "-f", "^sleep \(marker)$"]).stdout.split(separator: "\n").map(String.init)
            if job.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        }
        try #require(!job.isEmpty, "the job never started: \(recording.standardError)")
        Thread.sleep(forTimeInterval: 0.3)  // Let the shell exit, so only the job is left.
        recording.send(SIGTERM)
        let status = recording.waitForExit(within: 20)
        #expect(status != nil, "the recording went on after SIGTERM")
        let left = try Command.run(["pgrep", "-f", "^sleep \(marker)$"]).stdout
        #expect(left.isEmpty, "the job was left running: \(left)")
        let trace = try Trace.load(path: "\(directory)/t.json")
        #expect(trace.incompleteReasons.contains { $0.contains("SIGTERM") }, "\(trace.incompleteReasons)")
    }
}
