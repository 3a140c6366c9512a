// SPDX-License-Identifier: Apache-2.0
// pidfds: a signal reaches the process it was meant for, or nobody.

import CinchLinux
import CinchTestSupport
import Foundation
import SystemPackage
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite(.serialized, .timeLimit(.minutes(1)))
struct ProcessDescriptorTests {
    @Test func signalsALiveChild() throws {
        let child = try ProcessRunner.start(["sleep", "100"], captureOutput: false)
        let descriptor = try ProcessDescriptor(child: child.pid)
        try descriptor.send(SIGKILL)
        let status = try Spawn.wait(for: child.pid)
        #expect(status.isSignaled && status.terminationSignal == SIGKILL)
    }

    /// The pid-reuse hazard of issue 15: cinch signalled the pid of a process that had exited, and
    /// after the pid was given to a new process, that stranger got SIGKILL. Here the new process
    /// is made to get the old pid (through `ns_last_pid`); the old descriptor must not reach it.
    @Test(.enabled(if: TestEnvironment.available(TestEnvironment.isRoot), "needs root to set ns_last_pid"))
    func aDescriptorOfAReapedChildNeverReachesTheProcessThatGetsItsPid() throws {
        let first = try ProcessRunner.start(["true"], captureOutput: false)
        let descriptor = try ProcessDescriptor(child: first.pid)
        _ = try Spawn.wait(for: first.pid)
        #expect(throws: Errno.noSuchProcess) { try descriptor.send(SIGKILL) }

        // Other processes may take the pid first; try a few times.
        var stranger: ProcessRunner.Started?
        for _ in 0..<50 where stranger == nil {
            try "\(first.pid - 1)".write(toFile: "/proc/sys/kernel/ns_last_pid", atomically: false, encoding: .utf8)
            let candidate = try ProcessRunner.start(["sleep", "100"], captureOutput: false)
            if candidate.pid == first.pid {
                stranger = candidate
            } else {
                kill(candidate.pid, SIGKILL)
                _ = try Spawn.wait(for: candidate.pid)
            }
        }
        let reused = try #require(stranger, "could not make a new process get pid \(first.pid)")
        #expect(throws: Errno.noSuchProcess) { try descriptor.send(SIGKILL) }
        #expect(ProcessRunner.reapIfExited(reused.pid) == nil, "the process that got the pid still runs")
        kill(reused.pid, SIGKILL)
        _ = try Spawn.wait(for: reused.pid)
    }

    /// A driver is killed with its whole process group through its leader's pidfd.
    @Test func killsTheWholeProcessGroupOfALeader() throws {
        let marker = "\(Int.random(in: 100_000...999_999))"
        let leader = try ProcessRunner.start(
            ["sh", "-c", "sleep \(marker) & sleep \(marker)1; wait"], captureOutput: false, newProcessGroup: true)
        let descriptor = try ProcessDescriptor(child: leader.pid)
        var deadline = Date().addingTimeInterval(5)
        while ProcessTable.processes(containing: "sleep \(marker)").count < 2, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        ProcessRunner.killGroup(descriptor, pid: leader.pid)
        let status = try Spawn.wait(for: leader.pid)
        #expect(status.isSignaled && status.terminationSignal == SIGKILL)
        deadline = Date().addingTimeInterval(5)
        while !ProcessTable.processes(containing: "sleep \(marker)").isEmpty, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(ProcessTable.processes(containing: "sleep \(marker)") == [])
    }
}
