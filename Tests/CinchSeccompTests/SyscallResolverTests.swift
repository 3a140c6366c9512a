// SPDX-License-Identifier: Apache-2.0
// Per-ABI syscall naming against libseccomp's tables, and the recording filter it feeds.

import CSeccomp
import CinchModel
import CinchSeccomp
import Testing

@Suite struct SyscallResolverTests {
    @Test(arguments: [Architecture.x86_64, .x86, .x32, .aarch64, .arm, .s390x, .riscv64])
    func auditArchMatchesLibseccompToken(abi: Architecture) {
        #expect(seccomp_arch_resolve_name(abi.name) == abi.auditArch)
        #expect(SyscallResolver.supports(abi))
    }

    /// Number 20 is getpid for `int 0x80` but writev natively: never name a compat call from the
    /// native table.
    @Test(arguments: [
        (Architecture.x86, UInt64(20), "getpid"), (.x86_64, 20, "writev"), (.x86_64, 39, "getpid"),
        (.x32, 0x4000_0027, "getpid"), (.x86, 102, "socketcall"), (.aarch64, 172, "getpid"),
    ])
    func namesNumbersPerABI(abi: Architecture, number: UInt64, name: String) {
        #expect(SyscallResolver.name(of: number, on: abi) == name)
    }

    @Test func distinguishesPresentMultiplexedAbsentAndUnknownNames() {
        #expect(SyscallResolver.resolve("getpid", on: .x86) == .number(20))
        #expect(SyscallResolver.resolve("socket", on: .x86).isPresent)
        #expect(SyscallResolver.resolve("socket", on: .x86) != .absentOnArchitecture)
        #expect(SyscallResolver.resolve("newfstatat", on: .x86) == .absentOnArchitecture)
        #expect(SyscallResolver.resolve("arch_prctl", on: .aarch64) == .absentOnArchitecture)
        #expect(SyscallResolver.resolve("cinch_not_a_syscall", on: .x86_64) == .unknown)
    }

    @Test func abiOfAnX32NumberIsX32() {
        #expect(Architecture.abi(auditArch: Architecture.x86_64.auditArch, number: 0x4000_0027) == .x32)
        #expect(Architecture.abi(auditArch: Architecture.x86_64.auditArch, number: 39) == .x86_64)
        #expect(Architecture.abi(auditArch: Architecture.x86.auditArch, number: 20) == .x86)
    }

    @Test func recordingFilterCompilesForEveryHostABIWithKnownNames() throws {
        let known: [Architecture: Set<String>] = [.x86_64: ["read", "write"], .x86: ["getpid", "getuid"]]
        let (bpf, ignored) = try RecordingFilter.build(known: known, native: .x86_64)
        #expect(bpf.count % 8 == 0)
        #expect(bpf.count / 8 > 10)
        #expect(ignored.isEmpty)
        let (_, unknown) = try RecordingFilter.build(known: [.x86_64: ["cinch_not_a_syscall"]], native: .x86_64)
        #expect(unknown == ["cinch_not_a_syscall"])
    }
}
