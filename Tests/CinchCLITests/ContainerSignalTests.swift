// SPDX-License-Identifier: Apache-2.0
// Signals to cinch while it runs a container: the container is stopped and nothing is left.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `record --bundle` and `verify` with real runc and crun, signalled while the container runs.
///
/// Issue 15, defects 1 and 2: SIGINT/SIGTERM to `record --bundle` went to the long-gone
/// `RUNTIME create` (or, after pid reuse, to a stranger) and the container ran on; with
/// `--wait-port` and a container that never listens cinch waited forever; `verify` died at once
/// and left the container running and its temporary bundle on disk. After a signal cinch must stop
/// the container through the runtime, leave no container, process or temporary bundle behind,
/// exit 128 + the signal, and (recording) write the trace marked incomplete.
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(BusyboxBundle.isAvailable && TestEnvironment.hasProduct("cinch")),
        "needs root, busybox-static, runc, crun and the built cinch"),
    .timeLimit(.minutes(4))
)
struct ContainerSignalTests {
    let cinch = TestEnvironment.product("cinch")

    init() throws {
        // crun refuses this VM's hybrid cgroup layout unless hugetlb is on cgroup v1 (idempotent).
        _ = try? Command.run([
            "sh", "-c",
            "mountpoint -q /sys/fs/cgroup/hugetlb || { mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb; }",
        ])
    }

    /// What the container does when the signal comes.
    enum Scenario: String, Sendable, CaseIterable {
        /// `sleep` as PID 1 (which, as a namespace's init, ignores SIGTERM): running, no driver.
        case sleeping
        /// A shell that ignores SIGTERM, under `--wait-port` for a port nobody opens: cinch is
        /// waiting for the container to become ready.
        case neverReady
        /// A running `--driver` (a host `sleep`), which must be killed with its process group.
        case drivenForever
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var command: String
        var runtime: String
        var signal: Int32
        var scenario: Scenario
        var testDescription: String {
            "\(command) \(runtime) \(signal == SIGINT ? "SIGINT" : "SIGTERM") \(scenario.rawValue)"
        }
    }

    static let cases: [Case] = ["record", "verify"].flatMap { command in
        ["runc", "crun"].flatMap { runtime in
            [
                Case(command: command, runtime: runtime, signal: SIGINT, scenario: .sleeping),
                Case(command: command, runtime: runtime, signal: SIGTERM, scenario: .sleeping),
                Case(command: command, runtime: runtime, signal: SIGINT, scenario: .neverReady),
                Case(command: command, runtime: runtime, signal: SIGTERM, scenario: .neverReady),
                Case(command: command, runtime: runtime, signal: SIGINT, scenario: .drivenForever),
            ]
        }
    }

    @Test(arguments: cases)
    func aSignalStopsTheContainerAndLeavesNothingBehind(_ run: Case) throws {
        let marker = "\(Int.random(in: 100_000...999_999))"
        let arguments: [String]
        var extra: [String] = []
        switch run.scenario {
        case .sleeping:
            arguments = ["sleep", marker]
        case .neverReady:
            arguments = ["sh", "-c", "trap '' TERM; sleep \(marker)"]
            extra = ["--wait-port", "1", "--driver", "true"]
        case .drivenForever:
            arguments = ["sleep", marker]
            extra = ["--driver", "sleep \(marker)1"]
        }
        let bundle = try BusyboxBundle(arguments: arguments, noNewPrivileges: true)
        defer { bundle.remove() }
        let cinchRun = try start(run.command, runtime: run.runtime, bundle: bundle, extra: extra + ["--grace", "1"])
        let temporaryBundle = try waitUntilRunning(cinchRun, runtime: run.runtime)
        if run.scenario == .drivenForever {
            #expect(waitFor { !ProcessTable.processes(containing: "sleep \(marker)1").isEmpty }, "the driver runs")
        }

        cinchRun.send(run.signal)
        let status = cinchRun.waitForExit(within: 10)

        #expect(status == 128 + run.signal, "exit status; stderr: \(cinchRun.standardError)")
        expectNothingLeft(by: cinchRun, runtime: run.runtime, marker: marker, temporaryBundle: temporaryBundle)
        if run.command == "record" {
            let trace = try Trace.load(path: "\(bundle.directory)/t.json")
            #expect(!trace.isComplete)
            let name = run.signal == SIGINT ? "SIGINT" : "SIGTERM"
            #expect(trace.incompleteReasons.joined().contains("interrupted by \(name)"), "\(trace.incompleteReasons)")
        }
    }

    /// A second signal skips the grace period: with `--grace 60`, cinch is done in seconds.
    @Test(arguments: ["record", "verify"], ["runc", "crun"])
    func aSecondSignalEndsTheRunAtOnce(command: String, runtime: String) throws {
        let marker = "\(Int.random(in: 100_000...999_999))"
        let bundle = try BusyboxBundle(arguments: ["sleep", marker], noNewPrivileges: true)
        defer { bundle.remove() }
        let cinchRun = try start(command, runtime: runtime, bundle: bundle, extra: ["--grace", "60"])
        let temporaryBundle = try waitUntilRunning(cinchRun, runtime: runtime)

        cinchRun.send(SIGINT)
        Thread.sleep(forTimeInterval: 0.5)
        cinchRun.send(SIGINT)
        let status = cinchRun.waitForExit(within: 8)

        #expect(status == 130, "exit status; stderr: \(cinchRun.standardError)")
        expectNothingLeft(by: cinchRun, runtime: runtime, marker: marker, temporaryBundle: temporaryBundle)
    }

    /// `minimize` runs many containers: a signal during one of them stops it and the whole
    /// search, leaves nothing behind and writes no list.
    @Test func minimizeStopsOnSIGINT() throws {
        let marker = "\(Int.random(in: 100_000...999_999))"
        let bundle = try BusyboxBundle(arguments: ["sleep", marker], noNewPrivileges: true)
        defer { bundle.remove() }
        let list = "\(bundle.directory)/min.caps"
        let cinchRun = try start("minimize", runtime: "runc", bundle: bundle, extra: ["--grace", "1", "-o", list])
        let temporaryBundle = try waitUntilRunning(cinchRun, runtime: "runc")

        cinchRun.send(SIGINT)
        #expect(cinchRun.waitForExit(within: 10) == 130, "exit status; stderr: \(cinchRun.standardError)")
        expectNothingLeft(by: cinchRun, runtime: "runc", marker: marker, temporaryBundle: temporaryBundle)
        #expect(!FileManager.default.fileExists(atPath: list))
    }

    /// SIGKILL cannot be caught, so nothing of cinch's runs: the watchdog process cinch starts
    /// beside every run deletes the container and the temporary bundle. Before it, a recorded
    /// container stayed in `runc list` (stopped by PTRACE_O_EXITKILL), a verified one kept
    /// running, and both temporary bundles stayed in /tmp.
    @Test(arguments: ["record", "verify"], ["runc", "crun"])
    func aKilledCinchLeavesNothingBehind(command: String, runtime: String) throws {
        let marker = "\(Int.random(in: 100_000...999_999))"
        let bundle = try BusyboxBundle(arguments: ["sleep", marker], noNewPrivileges: true)
        defer { bundle.remove() }
        let cinchRun = try start(command, runtime: runtime, bundle: bundle, extra: ["--grace", "1"])
        let temporaryBundle = try waitUntilRunning(cinchRun, runtime: runtime)

        cinchRun.send(SIGKILL)
        #expect(cinchRun.waitForExit(within: 5) == 137)

        _ = waitFor(seconds: 8) {
            RuntimeState.containers(ofCinch: cinchRun.pid, runtime: runtime).isEmpty
                && !FileManager.default.fileExists(atPath: temporaryBundle)
        }
        expectNothingLeft(by: cinchRun, runtime: runtime, marker: marker, temporaryBundle: temporaryBundle)
    }

    /// cinch never signals a pid it has not just checked is its own live child: before the fix,
    /// SIGINT made it call kill() on the pid of `RUNTIME create`, which had exited (ESRCH, or a
    /// stranger after pid reuse). The kernel's syscall tracepoints record every kill, tkill and
    /// tgkill cinch's threads make during a signalled run: none may send a signal (cinch's own
    /// signals go through pidfds; the runtime signals the container).
    @Test(
        .enabled(
            if: TestEnvironment.available(
                FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/syscalls/sys_enter_kill")),
            "needs tracefs with syscall tracepoints"),
        arguments: ["runc", "crun"])
    func cinchSignalsNoPidByNumber(runtime: String) throws {
        let marker = "\(Int.random(in: 100_000...999_999))"
        let bundle = try BusyboxBundle(arguments: ["sleep", marker], noNewPrivileges: true)
        defer { bundle.remove() }
        let tracing = try SignalSyscallTracing()
        defer { tracing.remove() }
        let cinchRun = try start("record", runtime: runtime, bundle: bundle, extra: ["--grace", "1"])
        let temporaryBundle = try waitUntilRunning(cinchRun, runtime: runtime)

        cinchRun.send(SIGINT)
        Thread.sleep(forTimeInterval: 0.3)
        cinchRun.send(SIGTERM)
        let status = cinchRun.waitForExit(within: 10)

        // Signal 0 sends nothing (an existence probe, as for stale tracefs instances).
        let byNumber = tracing.calls(byProcess: cinchRun.pid).filter {
            !$0.hasPrefix("sys_pidfd_send_signal") && !$0.hasSuffix("sig: 0)")
        }
        #expect(byNumber == [], "signals sent by pid from cinch")
        #expect(status == 130, "exit status; stderr: \(cinchRun.standardError)")
        expectNothingLeft(by: cinchRun, runtime: runtime, marker: marker, temporaryBundle: temporaryBundle)
    }

    // MARK: - Helpers

    func start(_ command: String, runtime: String, bundle: BusyboxBundle, extra: [String]) throws
        -> BackgroundProcess
    {
        let dir = bundle.directory
        var arguments = [cinch, command, "--bundle", dir, "--runtime", runtime] + extra
        if command == "record" {
            arguments += ["-q", "-o", "\(dir)/t.json"]
        } else {
            try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}"#.write(
                toFile: "\(dir)/allow.json", atomically: true, encoding: .utf8)
            arguments += ["--seccomp", "\(dir)/allow.json"]
        }
        return try BackgroundProcess(arguments, errorPath: "\(dir)/stderr.txt")
    }

    /// Waits until cinch's first container runs and returns its temporary bundle directory.
    func waitUntilRunning(_ cinchRun: BackgroundProcess, runtime: String) throws -> String {
        var running: (status: String, bundle: String)?
        let up = waitFor(seconds: 20) {
            running = RuntimeState.state(runtime, id: "cinch-\(cinchRun.pid)-1")
            return running?.status == "running"
        }
        if !up { _ = cinchRun.waitForExit(within: 0) }
        try #require(up, "the container never ran; stderr: \(cinchRun.standardError)")
        return try #require(running?.bundle)
    }

    func expectNothingLeft(
        by cinchRun: BackgroundProcess, runtime: String, marker: String, temporaryBundle: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        // The container's processes die with its init, which may take the kernel a moment.
        _ = waitFor(seconds: 3) { ProcessTable.processes(containing: "sleep \(marker)").isEmpty }
        #expect(
            RuntimeState.containers(ofCinch: cinchRun.pid, runtime: runtime) == [], "containers left",
            sourceLocation: sourceLocation)
        #expect(
            ProcessTable.processes(containing: "sleep \(marker)") == [], "processes left (stopped or not)",
            sourceLocation: sourceLocation)
        #expect(
            !FileManager.default.fileExists(atPath: temporaryBundle), "temporary bundle left",
            sourceLocation: sourceLocation)
        // Clean up after a failure, so one broken run does not leave work for the machine.
        for id in RuntimeState.containers(ofCinch: cinchRun.pid, runtime: runtime) {
            _ = try? Command.run([runtime, "delete", "--force", id])
        }
        try? FileManager.default.removeItem(atPath: temporaryBundle)
        for process in ProcessTable.processes(containing: "sleep \(marker)") {
            // Checked again right before: the pid must still be the test's process.
            if ProcessTable.processes(containing: "sleep \(marker)").contains(process) { kill(process.pid, SIGKILL) }
        }
    }

    func waitFor(seconds: Double = 5, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return condition()
    }
}

/// A tracefs instance of the test's own that records every kill, tkill, tgkill and
/// pidfd_send_signal on the machine, with the calling thread's process.
struct SignalSyscallTracing {
    let directory: String
    static let events = ["sys_enter_kill", "sys_enter_tkill", "sys_enter_tgkill", "sys_enter_pidfd_send_signal"]

    init() throws {
        directory = "/sys/kernel/tracing/instances/cinch-test-signals-\(getpid())-\(Int.random(in: 0...99999))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try write("1", to: "options/record-tgid")
        for event in Self.events { try write("1", to: "events/syscalls/\(event)/enable") }
    }

    func write(_ text: String, to file: String) throws {
        try text.write(toFile: "\(directory)/\(file)", atomically: false, encoding: .utf8)
    }

    /// The recorded calls made by any thread of process `pid`, as tracefs prints them.
    func calls(byProcess pid: Int32) -> [String] {
        let text = (try? String(contentsOfFile: "\(directory)/trace", encoding: .utf8)) ?? ""
        // `comm-tid (  tgid) [cpu] flags timestamp: sys_kill(pid: 0x…, sig: 0x…)`
        return text.split(separator: "\n").filter { line in
            guard !line.hasPrefix("#"), let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")")
            else { return false }
            return Int32(line[line.index(after: open)..<close].trimmingCharacters(in: .whitespaces)) == pid
        }.map { String($0.split(separator: ": ", maxSplits: 1).last ?? "") }
    }

    func remove() {
        for event in Self.events { try? write("0", to: "events/syscalls/\(event)/enable") }
        rmdir(directory)
    }
}
