// SPDX-License-Identifier: Apache-2.0
// Signals during `cinch record -- CMD`: SIGINT reaches the whole workload, as a terminal's Ctrl-C
// would, and the workload's own SIGSTOP stops it until SIGCONT, as without a tracer.

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

    // MARK: - The workload's own SIGSTOP

    /// A child stops itself; its parent waits for it with `WUNTRACED` / `WCONTINUED` and must see
    /// what it sees without a tracer: stopped (and really not running), continued, exited. Exit
    /// codes 3–6 name the first step that differed.
    static let jobControlScript = """
        import os, signal, sys, time
        mark = sys.argv[1]
        child = os.fork()
        if child == 0:
            os.kill(os.getpid(), signal.SIGSTOP)
            open(mark, "w").close()
            os._exit(0)
        _, status = os.waitpid(child, os.WUNTRACED)
        if not (os.WIFSTOPPED(status) and os.WSTOPSIG(status) == signal.SIGSTOP):
            sys.exit(3)
        time.sleep(0.3)
        if os.path.exists(mark):
            sys.exit(6)
        os.kill(child, signal.SIGCONT)
        _, status = os.waitpid(child, os.WCONTINUED)
        if not os.WIFCONTINUED(status):
            sys.exit(4)
        _, status = os.waitpid(child, 0)
        sys.exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 5)
        """

    @Test func aStoppedChildIsSeenStoppedAndContinuedByItsParent() throws {
        let directory = try Command.temporaryDirectory("stop-child")
        defer { Command.removeDirectory(directory) }
        try Self.jobControlScript.write(toFile: "\(directory)/jobs.py", atomically: true, encoding: .utf8)
        let native = try Command.run(["python3", "\(directory)/jobs.py", "\(directory)/native-mark"])
        try #require(native.status == 0, "the script itself must pass without cinch: \(native.status)")
        let recorded = try Command.run([
            cinch, "record", "-q", "-o", "\(directory)/t.json", "--", "python3", "\(directory)/jobs.py",
            "\(directory)/mark",
        ])
        #expect(recorded.status == 0, "under cinch the parent saw something else (6: it ran on): \(recorded)")
        let trace = try Trace.load(path: "\(directory)/t.json")
        #expect(trace.isComplete, "\(trace.incompleteReasons)")
    }

    /// The workload's first process stops itself: the recording waits with it, and SIGCONT sent to
    /// the workload (not to cinch) lets it finish.
    @Test func theWorkloadStaysStoppedUntilSIGCONT() throws {
        let directory = try Command.temporaryDirectory("stop-root")
        defer { Command.removeDirectory(directory) }
        let (recording, pid) = try recordSelfStoppingShell(in: directory)
        // Without cinch the shell is stopped now; a swallowed SIGSTOP would write the mark at once.
        Thread.sleep(forTimeInterval: 0.5)
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/mark"), "the workload did not stop")
        #expect(!recording.hasExited, "the recording ended while the workload was stopped")
        kill(pid, SIGCONT)
        let status = recording.waitForExit(within: 20)
        #expect(status == 0, "\(recording.standardError)")
        #expect(FileManager.default.fileExists(atPath: "\(directory)/mark"), "SIGCONT resumed the workload")
        let trace = try Trace.load(path: "\(directory)/t.json")
        #expect(trace.isComplete, "\(trace.incompleteReasons)")
    }

    /// Ctrl-C while the workload is stopped: the signal reaches it and ends the recording, as a
    /// service manager's stop does (the signal, then SIGCONT), instead of waiting for a second one.
    @Test func sigintEndsAStoppedWorkload() throws {
        let directory = try Command.temporaryDirectory("stop-int")
        defer { Command.removeDirectory(directory) }
        let (recording, pid) = try recordSelfStoppingShell(in: directory)
        try Self.waitUntilStopped(pid)
        recording.send(SIGINT)
        let status = recording.waitForExit(within: 20)
        try #require(status != nil, "one SIGINT must end the recording of a stopped workload")
        #expect(status == 130, "the shell died of SIGINT: \(recording.standardError)")
        #expect(!FileManager.default.fileExists(atPath: "\(directory)/mark"), "SIGINT ended it before it went on")
        let trace = try Trace.load(path: "\(directory)/t.json")
        #expect(!trace.isComplete)
        #expect(trace.incompleteReasons.contains { $0.contains("SIGINT") }, "\(trace.incompleteReasons)")
    }

    /// Starts recording a shell that writes its pid to `pid`, stops itself, and, once continued,
    /// writes `mark`; returns once the pid is known.
    func recordSelfStoppingShell(in directory: String) throws -> (BackgroundProcess, pid_t) {
        let recording = try BackgroundProcess(
            [
                cinch, "record", "-q", "-o", "\(directory)/t.json", "--", "sh", "-c",
                "echo $$ > \(directory)/pid; kill -STOP $$; echo continued > \(directory)/mark",
            ],
            errorPath: "\(directory)/stderr")
        return (recording, try Self.waitForPID(in: "\(directory)/pid", recording: recording))
    }

    static func waitForPID(in path: String, recording: BackgroundProcess) throws -> pid_t {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return pid
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        Issue.record("the workload never started: \(recording.standardError)")
        throw CancellationError()
    }

    /// Waits until `/proc/PID/stat` shows the process stopped (`T`) or stopped under a tracer (`t`)
    /// for a while: a tracer's short stops come and go, a group-stop stays.
    static func waitUntilStopped(_ pid: pid_t) throws {
        let deadline = Date().addingTimeInterval(20)
        var stoppedSince: Date?
        while Date() < deadline {
            let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
            let state = stat.split(separator: ")").last?.split(separator: " ").first ?? ""
            if state == "t" || state == "T" {
                if let since = stoppedSince, Date().timeIntervalSince(since) > 0.3 { return }
                stoppedSince = stoppedSince ?? Date()
            } else {
                stoppedSince = nil
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        Issue.record("pid \(pid) never stopped")
        throw CancellationError()
    }
}
