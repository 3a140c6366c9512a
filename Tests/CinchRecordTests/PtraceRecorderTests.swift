// SPDX-License-Identifier: Apache-2.0
// End-to-end tests of the seccomp-assisted recorder on the probe, against strace as reference.

import CinchModel
import CinchRecord
import CinchSeccomp
import CinchTestSupport
import Testing

@Suite(
    .serialized,
    .enabled(if: TestEnvironment.available(TestEnvironment.canPtrace), "ptrace unavailable or probe not built"),
    .timeLimit(.minutes(2))
)
struct PtraceRecorderTests {
    let probe = TestEnvironment.product("cinch-probe")

    func record(_ steps: [String], known: [Architecture: Set<String>] = [:], progress: RecordingProgress? = nil)
        throws -> Trace
    {
        try PtraceRecorder(options: .init(command: [probe] + steps, known: known, progress: progress)).record()
    }

    /// The recorder must see exactly what a stop-on-every-syscall tracer sees: no syscall lost to a
    /// missed fork/clone/exec event, none invented, and compat calls under their own ABI.
    @Test(
        .enabled(if: TestEnvironment.available(TestEnvironment.hasTool("strace")), "strace not installed"),
        arguments: [
            ["threads:4"],
            ["fork", "vfork-exec:/bin/true"],
            ["int80:getpid", "int80:getuid", "call:getppid"],
            ["x32:getpid", "socket:tcp", "socket:unix"],
            ["threads:2", "fork", "int80:getppid", "vfork-exec:/bin/true", "call:uname"],
        ])
    func recordsExactlyWhatStraceSees(steps: [String]) throws {
        let reference = try StraceReference.record([probe] + steps)
        let trace = try record(steps)
        let recorded = StraceReference.calls(in: trace)
        let missing = reference.subtracting(recorded).map(\.description).sorted()
        let extra = recorded.subtracting(reference).map(\.description).sorted()
        #expect(missing == [], "strace saw these, cinch did not")
        #expect(extra == [], "cinch recorded these, strace did not see them")
        #expect(trace.isComplete)
        #expect(trace.exitStatus == .exited(0))
    }

    /// `int 0x80` number 20 is getpid on i386 and writev on x86_64: resolving a compat call with
    /// the native table is the bug other recorders have.
    @Test func namesCompatCallsFromTheI386Table() throws {
        let trace = try record(["int80:getpid", "int80:getuid"])
        let x86 = try #require(trace.abis[.x86])
        #expect(Set(x86.syscalls.keys) == ["getpid", "getuid"])
        #expect(x86.syscalls["getpid"]?.count == 1)
        #expect(trace.abis[.x86_64]?.syscalls["writev"] == nil)
    }

    @Test func recordsX32CallsUnderTheX32ABI() throws {
        let trace = try record(["x32:getpid"])
        #expect(trace.abis[.x32]?.syscalls.keys.sorted() == ["getpid"])
    }

    @Test(arguments: [(["exit:3"], Trace.ExitStatus.exited(3)), (["signal:9"], .signaled(9)), (["exit:0"], .exited(0))])
    func reportsTheWorkloadsExitStatus(steps: [String], expected: Trace.ExitStatus) throws {
        let trace = try record(steps)
        #expect(trace.exitStatus == expected)
    }

    /// A grandchild that outlives its parent is reparented away from the probe but stays traced.
    @Test func followsProcessesThatOutliveTheirParent() throws {
        let trace = try record(["orphan"])
        #expect(trace.abis[.x86_64]?.syscalls["getppid"] != nil)
        #expect(trace.processCount >= 3)
    }

    /// execve from a non-leader thread replaces the thread group; the old leader's tid vanishes
    /// without an exit status, which must not hang the tracer.
    @Test func followsExecFromANonLeaderThread() throws {
        let trace = try record(["exec-from-thread:/bin/true"])
        #expect(trace.exitStatus == .exited(0))
        #expect(trace.executables.contains("/usr/bin/true"))
    }

    /// With a known set covering the workload the filter allows everything in the kernel: no stop,
    /// except for the syscalls whose arguments are recorded (fork's `clone`), which always stop.
    @Test func knownSyscallsCostNoStops() throws {
        let cold = try record(["call:getppid", "fork"])
        let progress = RecordingProgress()
        let warm = try record(["call:getppid", "fork"], known: cold.namesByABI, progress: progress)
        #expect(progress.stops == 1)
        #expect(warm.abis[.x86_64]?.syscalls.keys.sorted() == ["clone"])
        #expect(warm.namesByABI[.x86_64] == cold.namesByABI[.x86_64])
    }

    @Test func failsClearlyForAMissingCommand() {
        #expect(throws: TraceError.self) {
            try PtraceRecorder(options: .init(command: ["/nonexistent/cinch-no-such-binary"])).record()
        }
    }
}
