// SPDX-License-Identifier: Apache-2.0
// Capability observation: the trace_pipe parser on kernel text, and real recordings.

import CinchModel
import CinchTestSupport
import Foundation
import Testing

@testable import CinchRecord

/// Whether the kernel has the capability:cap_capable tracepoint (Linux 6.14+) and cinch can use tracefs.
private let hasCapabilityTracepoint: Bool =
    TestEnvironment.isRoot
    && (FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events/capability/cap_capable")
        || FileManager.default.fileExists(atPath: "/sys/kernel/debug/tracing/events/capability/cap_capable")
        || !FileManager.default.fileExists(atPath: "/sys/kernel/tracing/events"))  // not mounted: cinch mounts it

/// Parses text as trace_pipe would deliver it, in chunks of `chunk` bytes.
private func parse(_ text: String, chunk: Int = 1 << 16) -> Set<Int> {
    var parser = CapabilityTraceParser()
    let bytes = Array(text.utf8)
    var index = 0
    while index < bytes.count {
        parser.feed(bytes[index..<min(index + chunk, bytes.count)])
        index += chunk
    }
    parser.finish()
    return parser.capabilities
}

@Suite struct CapabilityTraceParserTests {
    /// Captured on the development VM (Linux 6.18): `chown` of a file to another user. The
    /// CAP_SYS_ADMIN check comes from memory accounting on exec (a probe that needs nothing).
    static let captured = """
                     chown-20972   [001] ..... 10737.193326: cap_capable: cred 00000000b017ff7f, target_ns 000000009a4a84dc, capable_ns 000000009a4a84dc, cap 21, ret 0
                     chown-20972   [001] ..... 10737.193332: <stack trace>
         => trace_event_raw_event_cap_capable
         => cap_capable
         => security_vm_enough_memory_mm
         => expand_downwards
         => setup_arg_pages
         => load_elf_binary
         => bprm_execve
         => do_execveat_common.isra.0
         => __x64_sys_execve
         => do_syscall_64
         => entry_SYSCALL_64_after_hwframe
                     chown-20972   [000] ..... 10737.195001: cap_capable: cred 00000000b017ff7f, target_ns 000000009a4a84dc, capable_ns 000000009a4a84dc, cap 0, ret 0
                     chown-20972   [000] ..... 10737.195004: <stack trace>
         => trace_event_raw_event_cap_capable
         => cap_capable
         => security_capable
         => capable_wrt_inode_uidgid
         => setattr_prepare
         => ext4_setattr
         => notify_change
         => chown_common
         => do_fchownat
         => __x64_sys_fchownat
         => do_syscall_64
         => entry_SYSCALL_64_after_hwframe

        """

    @Test func countsAuditedChecksAndNotTheKernelsProbes() {
        #expect(parse(Self.captured) == [0])
    }

    /// Lines cut anywhere by read boundaries give the same result.
    @Test(arguments: [1, 7, 64, 200])
    func readsLinesCutByChunks(chunk: Int) {
        #expect(parse(Self.captured, chunk: chunk) == [0])
    }

    @Test func skipsEveryNoauditHelper() {
        for helper in ["ns_capable_noaudit", "has_ns_capability_noaudit", "has_capability_noaudit"] {
            let text = """
                  x-5 [000] ..... 1.000001: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 21, ret 0
                  x-5 [000] ..... 1.000002: <stack trace>
                 => trace_event_raw_event_cap_capable
                 => cap_capable
                 => security_capable
                 => \(helper)
                 => somewhere

                """
            #expect(parse(text) == [], "\(helper)")
        }
    }

    /// A check whose stack never arrives counts: a doubt widens the list, it never breaks the workload.
    @Test func countsAnEventWithoutItsStack() {
        let text = "  x-5 [000] ..... 1.0: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 10, ret 0\n"
        #expect(parse(text) == [10])
    }

    /// Evidence: the syscall entry point of each counted check's stack (an `__x64_sys_` wrapper,
    /// or `__sys_` when the compiler folded it away); none for a check without a stack.
    @Test func namesTheSyscallBehindEachCheck() {
        let text = """
              chown-8 [001] ..... 2.0: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 0, ret 0
              chown-8 [001] ..... 2.0: <stack trace>
             => cap_capable
             => security_capable
             => chown_ok
             => notify_change
             => chown_common
             => do_fchownat
             => __x64_sys_fchownat+0x1c/0x30
             => do_syscall_64
              su-9 [000] ..... 2.1: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 7, ret 0
              su-9 [000] ..... 2.1: <stack trace>
             => cap_capable
             => security_capable
             => ns_capable_setid
             => __sys_setresuid
             => do_syscall_64
              x-5 [000] ..... 2.2: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 10, ret 0

            """
        var parser = CapabilityTraceParser()
        parser.feed(Array(text.utf8)[...])
        parser.finish()
        #expect(parser.capabilities == [0, 7, 10])
        #expect(parser.evidence[0]?.syscalls == ["fchownat"])
        #expect(parser.evidence[7]?.syscalls == ["setresuid"])
        #expect(parser.evidence[10]?.syscalls == [])
    }

    @Test func ignoresDeniedChecksAndUnknownNumbers() {
        let text = """
              x-5 [000] ..... 1.0: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 7, ret -1
              x-5 [000] ..... 1.0: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 99, ret 0
              x-5 [000] ..... 1.0: cap_capable: cred 0, target_ns 0, capable_ns 0, cap -1, ret 0

            """
        #expect(parse(text) == [])
    }

    /// A task's name (comm) is the only text the workload controls. Names full of brackets,
    /// dashes, colons and even a newline never change the pid, capability or result read.
    @Test func aHostileTaskNameCannotForgeAnEvent() {
        let text = """
              a-1 [000] b: c-77   [001] ..... 1.0: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 12, ret 0
              a-1 [000] b: c-77   [001] ..... 1.0: <stack trace>
             => trace_event_raw_event_cap_capable
             => cap_capable
             => security_capable
             => capable
            cap 21, ret 0
            , cap 21, ret 0
              x
            -9 [000] ..... 1.0: cap_capable: cred 0, target_ns 0, capable_ns 0, cap 24, ret -1

            """
        #expect(parse(text) == [12])
        #expect(CapabilityTraceParser.header("  a-1 [000] b: c-77   [001] ..... 1.0: <stack trace>")?.pid == 77)
    }
}

@Suite(
    .serialized,
    .enabled(if: TestEnvironment.available(TestEnvironment.canPtrace), "ptrace unavailable or probe not built"),
    .enabled(
        if: TestEnvironment.available(hasCapabilityTracepoint),
        "needs root and the kernel's capability:cap_capable tracepoint (Linux 6.14+)")
)
struct CapabilityRecordingTests {
    private func record(_ script: String, observes: Bool = true) throws -> Trace {
        try PtraceRecorder(
            options: .init(command: ["/bin/sh", "-c", script], observesCapabilities: observes)
        ).record()
    }

    private func leftoverInstances() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/sys/kernel/tracing/instances")) ?? []
        return names.filter { $0.hasPrefix("cinch-\(getpid())-") }
    }

    /// chown to another user, chmod and read of that user's private file need CAP_CHOWN,
    /// CAP_FOWNER and a DAC override, in a child shell too (the kernel follows forks); the
    /// memory-accounting CAP_SYS_ADMIN probe of every exec and mmap does not count.
    @Test func recordsTheCapabilitiesAWorkloadUses() throws {
        let directory = NSTemporaryDirectory() + "cinch-caps-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = "\(directory)/f"
        let trace = try record(
            "touch \(file) && chown 65534 \(file) && /bin/sh -c 'chmod 600 \(file)' && cat \(file) >/dev/null")
        #expect(trace.exitStatus == .exited(0))
        #expect(trace.observed.contains(.capabilities))
        #expect(trace.capabilities.isSuperset(of: ["CAP_CHOWN", "CAP_FOWNER"]), "\(trace.capabilities.sorted())")
        #expect(
            !trace.capabilities.isDisjoint(with: ["CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH"]),
            "\(trace.capabilities.sorted())")
        #expect(!trace.capabilities.contains("CAP_SYS_ADMIN"), "\(trace.capabilities.sorted())")
        #expect(trace.isComplete, "\(trace.incompleteReasons)")
        #expect(leftoverInstances() == [])
    }

    /// A workload that needs no privilege: observed, and the list is empty. cinch's own launcher
    /// (which installs the recording filter before exec) adds nothing.
    @Test func anUnprivilegedWorkloadNeedsNone() throws {
        let trace = try record("true")
        #expect(trace.observed.contains(.capabilities))
        #expect(trace.capabilities == [])
        let withoutNoNewPrivs = try PtraceRecorder(
            options: .init(command: ["/bin/true"], noNewPrivileges: false, observesCapabilities: true)
        ).record()
        #expect(withoutNoNewPrivs.capabilities == [])
    }

    @Test func observesNothingWhenAskedNotTo() throws {
        let trace = try record("chown 0 /tmp", observes: false)
        #expect(!trace.observed.contains(.capabilities))
        #expect(trace.capabilities == [])
        #expect(leftoverInstances() == [])
    }

    /// The whole pipeline: the trace file says what was observed, and the capability generator
    /// takes it.
    @Test func theTraceFileCarriesTheObservation() throws {
        let trace = try record("chown 0 /tmp")
        let reread = try Trace(jsonBytes: Array(trace.jsonValue().rendered().utf8), file: "t.json")
        #expect(reread.observed == [.capabilities])
        #expect(reread.capabilities == trace.capabilities)
    }
}
