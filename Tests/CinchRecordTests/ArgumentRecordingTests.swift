// SPDX-License-Identifier: Apache-2.0
// The recorder keeps the arguments of the captured syscalls (socket, clone, personality) and no others.

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
struct ArgumentRecordingTests {
    let probe = TestEnvironment.product("cinch-probe")

    func record(_ steps: [String], known: [Architecture: Set<String>] = [:]) throws -> Trace {
        try PtraceRecorder(options: .init(command: [probe] + steps, known: known)).record()
    }

    func values(_ name: String, in trace: Trace) -> [UInt64]? {
        trace.abis[.x86_64]?.syscalls[name]?.arguments[0]?.sorted
    }

    @Test func recordsTheDistinctSocketFamilies() throws {
        let trace = try record(["socket:tcp", "socket:udp", "socket:unix", "socket:tcp"])
        #expect(values("socket", in: trace) == [1, 2])  // AF_UNIX, AF_INET
        #expect(trace.abis[.x86_64]?.syscalls["socket"]?.count == 4)
    }

    /// fork is `clone(SIGCHLD|CLONE_CHILD_*)` on glibc: no namespace bit. Threads use clone3,
    /// whose flags are in memory, so it has no values.
    @Test func recordsOnlyTheNamespaceBitsOfCloneFlags() throws {
        let trace = try record(["fork", "threads:2"])
        #expect(values("clone", in: trace) == [0])
        let x86_64 = try #require(trace.abis[.x86_64])
        #expect(x86_64.syscalls["clone3"]?.arguments.isEmpty == true)
        #expect(x86_64.syscalls.filter { !$0.value.arguments.isEmpty }.keys.sorted() == ["clone"])
    }

    @Test func recordsThePersona() throws {
        let trace = try record(["call:personality"])
        #expect(values("personality", in: trace) == [0xFFFF_FFFF])
    }

    /// A known name would be allowed without a stop, and its values lost: captured syscalls
    /// always stop, so a warm recording still has them, observed rather than inherited.
    @Test func capturedSyscallsStopEvenWhenKnown() throws {
        let cold = try record(["socket:tcp", "call:getppid"])
        let warm = try record(["socket:udp", "call:getppid"], known: cold.namesByABI)
        let x86_64 = try #require(warm.abis[.x86_64])
        #expect(x86_64.syscalls.keys.sorted() == ["socket"])
        #expect(!x86_64.inherited.contains("socket"))
        #expect(values("socket", in: warm) == [2])
    }

    @Test func theRecordingFilterNeverAllowsACapturedName() throws {
        let withSocket = try RecordingFilter.build(known: [.x86_64: ["getppid", "socket"]]).bpf
        let withoutSocket = try RecordingFilter.build(known: [.x86_64: ["getppid"]]).bpf
        #expect(withSocket == withoutSocket)
    }
}
