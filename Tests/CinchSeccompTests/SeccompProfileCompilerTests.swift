// SPDX-License-Identifier: Apache-2.0
// Tests for compiling profiles with the real libseccomp (export only; nothing is ever loaded).

import CSeccomp
import CinchLinux
import CinchModel
import CinchSeccomp
import CinchTestSupport
import Testing

@Suite struct SeccompProfileCompilerTests {
    private static let essentials = ["exit", "exit_group", "rt_sigreturn", "restart_syscall"]

    private func smallProfile(_ extra: [SeccompProfile.Rule] = []) -> SeccompProfile {
        SeccompProfile(
            format: .oci, defaultAction: .errno, architectures: [.x86_64, .x86, .x32],
            syscalls: [SeccompProfile.Rule(names: Self.essentials + ["read", "write"], action: .allow)] + extra
        )
    }

    private func load(_ name: String) throws -> SeccompProfile {
        try SeccompProfile.load(path: Fixture.path("seccomp/" + name))
    }

    /// libseccomp 2.5 predates LoongArch support and resolves its name to 0; every architecture
    /// it does know must use the same token as cinch.
    @Test(arguments: Architecture.all)
    func architectureTokensMatchLibseccomp(architecture: Architecture) {
        let token = seccomp_arch_resolve_name(architecture.name)
        if token == 0 {
            #expect(architecture == .loongarch64)
            #expect(!SyscallResolver.supports(architecture))
        } else {
            #expect(token == architecture.auditArch)
            #expect(SyscallResolver.supports(architecture))
        }
    }

    @Test func compilesSmallProfileForEveryX86ABI() throws {
        let result = SeccompProfileCompiler.compile(smallProfile(), native: .x86_64)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        #expect(result.architectures == [.x86_64, .x86, .x32])
        #expect(result.perArchitecture.map(\.architecture) == [.x86_64, .x86, .x32])
        #expect(result.perArchitecture.allSatisfy { $0.instructionCount > 6 })
        let bpf = try #require(result.bpf)
        #expect(bpf.count % 8 == 0)
        // The combined program checks three ABIs, so it is longer than any single-ABI one.
        let largest = result.perArchitecture.map(\.instructionCount).max() ?? 0
        #expect(bpf.count / 8 > largest)
        #expect(result.pfc == nil)
    }

    @Test func exportsPseudoFilterCodeWhenAsked() throws {
        let result = SeccompProfileCompiler.compile(smallProfile(), native: .x86_64, includePFC: true)
        let pfc = try #require(result.pfc)
        #expect(pfc.contains("x86_64"), "\(pfc)")
        #expect(pfc.contains("exit_group"))
        #expect(pfc.contains("action ERRNO(1);"))
    }

    @Test func reportsUnknownSyscallWithItsArchitectures() throws {
        let file = Fixture.path("seccomp/unknown-syscall.json")
        let result = SeccompProfileCompiler.compile(try load("unknown-syscall.json"), file: file, native: .x86_64)
        let unknown = result.diagnostics.filter { $0.id == "seccomp.unknown-syscall" }
        #expect(unknown.count == 1)
        let diagnostic = try #require(unknown.first)
        #expect(diagnostic.severity == .error)
        #expect(diagnostic.message.contains("\"frobnicate\""))
        #expect(diagnostic.message.contains("x86_64, x86, x32"))
        #expect(diagnostic.location == ProfileLocation(file: file, jsonPath: "$.syscalls[1].names[1]"))
        #expect(result.bpf == nil)
        // The rest still compiles, so sizes are still reported.
        #expect(result.perArchitecture.count == 3)
    }

    @Test func notesSyscallAbsentOnSomeArchitectures() throws {
        // `socketcall` is i386-only, `kexec_file_load` is missing on i386 and `uselib` on x32.
        let profile = smallProfile([
            SeccompProfile.Rule(names: ["socketcall", "kexec_file_load", "uselib"], action: .allow)
        ])
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let notes = result.diagnostics.filter { $0.id == "seccomp.syscall-absent-on-architecture" }
        #expect(notes.map(\.severity) == [.note, .note, .note])
        #expect(
            notes.map(\.message) == [
                "Syscall \"socketcall\" does not exist on x86_64, x32; runtimes skip it there.",
                "Syscall \"kexec_file_load\" does not exist on x86; runtimes skip it there.",
                "Syscall \"uselib\" does not exist on x32; runtimes skip it there.",
            ])
        #expect(
            notes.map(\.location?.jsonPath) == [
                "$.syscalls[1].names[0]", "$.syscalls[1].names[1]", "$.syscalls[1].names[2]",
            ])
        #expect(result.bpf != nil)
    }

    @Test func warnsWhenSyscallExistsOnNoArchitectureOfTheProfile() {
        var profile = smallProfile([SeccompProfile.Rule(names: ["socketcall"], action: .allow)])
        profile.architectures = [.x86_64, .x32]
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64)
        #expect(result.diagnostics.map(\.id) == ["seccomp.syscall-absent-on-architecture"])
        #expect(result.diagnostics.first?.severity == .warning)
        #expect(result.diagnostics.first?.message.contains("x86_64, x32") == true)
        #expect(result.bpf != nil)
    }

    /// libseccomp resolves `socket` on i386 to a pseudo-number because i386 can also reach it
    /// through `socketcall(2)`; such names must not be reported as absent or left out.
    @Test func keepsSocketCallsThatI386Multiplexes() throws {
        var profile = smallProfile([SeccompProfile.Rule(names: ["socket", "shmget"], action: .allow)])
        profile.architectures = [.x86]
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64, includePFC: true)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let pfc = try #require(result.pfc)
        #expect(pfc.contains("\"socket\" (359)"), "\(pfc)")
        #expect(pfc.contains("\"socketcall\" (102)"), "\(pfc)")
    }

    @Test func rejectsTwoConditionsOnSameArgument() throws {
        let result = SeccompProfileCompiler.compile(
            try load("duplicate-argument.json"), file: "dup.json", native: .x86_64)
        let errors = result.diagnostics.filter { $0.severity == .error }
        #expect(errors.map(\.id) == ["seccomp.duplicate-argument-condition"])
        #expect(errors.first?.location?.jsonPath == "$.syscalls[1].args")
        #expect(errors.first?.message.contains("argument 0") == true)
        #expect(result.bpf == nil)
    }

    @Test func acceptsConditionsOnDifferentArguments() {
        let rule = SeccompProfile.Rule(
            names: ["socket"], action: .allow,
            args: [
                SeccompProfile.ArgumentCondition(index: 0, value: 1, op: .equal),
                SeccompProfile.ArgumentCondition(index: 1, value: 0x80000, valueTwo: 0, op: .maskedEqual),
            ]
        )
        let result = SeccompProfileCompiler.compile(smallProfile([rule]), native: .x86_64)
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let plain = SeccompProfileCompiler.compile(smallProfile(), native: .x86_64)
        // The argument checks add instructions on every ABI.
        for (with, without) in zip(result.perArchitecture, plain.perArchitecture) {
            #expect(with.instructionCount > without.instructionCount, "\(with) \(without)")
        }
    }

    @Test func skipsRuleWithTheDefaultActionWithANote() {
        let profile = smallProfile([SeccompProfile.Rule(names: ["ptrace"], action: .errno, errnoRet: 1)])
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64)
        #expect(result.diagnostics.map(\.id) == ["seccomp.redundant-rule"])
        #expect(result.diagnostics.first?.severity == .note)
        #expect(result.diagnostics.first?.location?.jsonPath == "$.syscalls[1].action")
        // A different errno is a different action and compiles.
        let other = smallProfile([SeccompProfile.Rule(names: ["ptrace"], action: .errno, errnoRet: 38)])
        #expect(SeccompProfileCompiler.compile(other, native: .x86_64).diagnostics.isEmpty)
    }

    /// The validator's `seccomp.conflicting-rules` message relies on this libseccomp behaviour: of
    /// two unconditional rules for one syscall the first added wins; the second is dropped silently.
    @Test func firstUnconditionalRuleForASyscallWins() throws {
        var profile = smallProfile([SeccompProfile.Rule(names: ["write"], action: .killProcess)])
        profile.architectures = [.x86_64]
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64, includePFC: true)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let pfc = try #require(result.pfc)
        #expect(
            pfc.contains(
                "# filter for syscall \"write\" (1) [priority: 65535]\n  if ($syscall == 1)\n    action ALLOW;"))
        #expect(!pfc.contains("KILL_PROCESS"))
    }

    @Test func evaluatesIncludesAndExcludesAgainstDefaultCapabilities() throws {
        let profile = try load("docker-default-like.json")
        let result = SeccompProfileCompiler.compile(
            profile, native: .x86_64, kernelVersion: KernelVersion(major: 6, minor: 1)
        )
        #expect(!result.hasErrors, "\(result.diagnostics)")
        let skipped = result.inapplicableRules.flatMap { profile.syscalls[$0].names }
        // Default caps lack CAP_SYS_ADMIN; CAP_SYS_CHROOT is one of Docker's defaults.
        #expect(skipped == ["clone", "clone3", "mount", "umount2", "setns", "unshare"])
        #expect(result.architectures == [.x86_64, .x86, .x32])
    }

    @Test func evaluatesCapabilitiesKernelAndArchitecture() throws {
        let profile = try load("docker-default-like.json")
        func skipped(_ caps: Set<String>, kernel: KernelVersion, native: Architecture = .x86_64) -> [String] {
            let result = SeccompProfileCompiler.compile(
                profile, native: native, capabilities: caps, kernelVersion: kernel)
            return result.inapplicableRules.flatMap { profile.syscalls[$0].names }
        }
        let modern = KernelVersion(major: 6, minor: 1)
        // With CAP_SYS_ADMIN (either spelling) the namespace rules apply and the restricted clone rules do not.
        #expect(skipped(["SYS_ADMIN"], kernel: modern) == ["clone", "clone3", "chroot"])
        #expect(skipped(["cap_sys_admin", "CAP_SYS_CHROOT"], kernel: modern) == ["clone", "clone3"])
        // ptrace needs 4.8 or later.
        #expect(
            skipped(["CAP_SYS_ADMIN", "CAP_SYS_CHROOT"], kernel: KernelVersion(major: 4, minor: 4)) == [
                "clone", "clone3", "ptrace",
            ])
        // On arm64 the amd64/x32-only rule does not apply.
        let arm = SeccompProfileCompiler.compile(
            profile, native: .aarch64, capabilities: ["CAP_SYS_ADMIN", "CAP_SYS_CHROOT"], kernelVersion: modern
        )
        #expect(arm.inapplicableRules.flatMap { profile.syscalls[$0].names } == ["arch_prctl", "clone", "clone3"])
        #expect(arm.architectures == [.aarch64, .arm])
        #expect(!arm.hasErrors, "\(arm.diagnostics)")
    }

    @Test func usesDefaultErrnoRetInTheProgram() throws {
        var profile = smallProfile()
        profile.architectures = [.x86_64]
        let eperm = try #require(SeccompProfileCompiler.compile(profile, native: .x86_64).bpf)
        profile.defaultErrnoRet = 38
        let enosys = try #require(SeccompProfileCompiler.compile(profile, native: .x86_64).bpf)
        #expect(eperm.count == enosys.count)
        #expect(eperm != enosys)
        // SECCOMP_RET_ERRNO | 38, little-endian, as the `k` of some `ret` instruction.
        let expected: [UInt8] = [38, 0, 0x05, 0x00]
        let hasReturn = stride(from: 0, to: enosys.count, by: 8).contains {
            Array(enosys[($0 + 4)..<($0 + 8)]) == expected
        }
        #expect(hasReturn)
    }

    @Test func reportsErrnoOutOfRange() {
        let profile = smallProfile([SeccompProfile.Rule(names: ["ptrace"], action: .errno, errnoRet: 70_000)])
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64)
        #expect(result.diagnostics.map(\.id) == ["seccomp.errno-out-of-range"])
        #expect(result.diagnostics.first?.location?.jsonPath == "$.syscalls[1].errnoRet")
    }

    @Test func rejectsNotifyAsDefaultAction() {
        var profile = smallProfile()
        profile.defaultAction = .notify
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64)
        #expect(result.diagnostics.map(\.id) == ["seccomp.unsupported-action"])
        #expect(result.diagnostics.first?.location?.jsonPath == "$.defaultAction")
        #expect(result.bpf == nil)
    }

    @Test(
        .enabled(
            if: !SyscallResolver.supports(.loongarch64),
            "this libseccomp supports every architecture cinch knows, so nothing is unsupported"
        )
    )
    func reportsUnsupportedArchitectureInsteadOfCrashing() {
        var profile = smallProfile()
        profile.architectures = [.x86_64, .loongarch64]
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64)
        #expect(result.diagnostics.map(\.id) == ["seccomp.unsupported-architecture"])
        #expect(result.diagnostics.first?.location?.jsonPath == "$.architectures[1]")
        #expect(result.diagnostics.first?.message.contains("SCMP_ARCH_LOONGARCH64") == true)
        #expect(result.architectures == [.x86_64])
        #expect(result.perArchitecture.count == 1)
        #expect(result.bpf == nil)
    }

    @Test func compilesDockerFixtureForOtherNativeArchitectures() throws {
        let profile = try load("docker-valid.json")
        let result = SeccompProfileCompiler.compile(
            profile, native: .aarch64, kernelVersion: KernelVersion(major: 6, minor: 1))
        #expect(result.architectures == [.aarch64, .arm])
        #expect(result.perArchitecture.map(\.architecture) == [.aarch64, .arm])
        #expect(!result.hasErrors, "\(result.diagnostics)")
        // No archMap entry for riscv64: the native ABI alone.
        let riscv = SeccompProfileCompiler.compile(profile, native: .riscv64)
        #expect(riscv.architectures == [.riscv64])
    }

    // MARK: - Hostile profiles

    /// libseccomp's rule add is linear in the rules a syscall already has: 40,000 copies of one
    /// rule took 106 s to validate. Copies are now added once; the filter is the single rule's.
    @Test(.timeLimit(.minutes(1)))
    func copiesOfOneRuleCompileLikeOne() {
        let read = SeccompProfile.Rule(names: ["read"], action: .allow)
        let copies = smallProfile(Array(repeating: read, count: 40_000))
        let once = smallProfile([read])
        let many = SeccompProfileCompiler.compile(copies, native: .x86_64)
        let single = SeccompProfileCompiler.compile(once, native: .x86_64)
        #expect(!many.hasErrors)
        #expect(many.bpf != nil && many.bpf == single.bpf)
    }

    /// Distinct rules cannot be merged, so their number is bounded: past the limit the profile is
    /// an error instead of minutes of compiling.
    @Test func tooManyDistinctRulesAreAnErrorNotMinutesOfWork() {
        let rules = (0..<UInt64(SeccompProfileCompiler.ruleLimit + 1)).map { value in
            SeccompProfile.Rule(
                names: ["read"], action: .allow, args: [.init(index: 0, value: value, op: .equal)])
        }
        let result = SeccompProfileCompiler.compile(smallProfile(rules), native: .x86_64)
        #expect(result.bpf == nil)
        let error = result.diagnostics.first { $0.id == "seccomp.too-many-rules" }
        #expect(error?.severity == .error)
        #expect(error?.location?.jsonPath == "$.syscalls")
    }

    /// `"flags": ["SECCOMP_FILTER_FLAG_BOGUS"]` used to pass validation; runc rejects it.
    @Test func unknownFlagsAreErrorsAtTheirPath() {
        var profile = smallProfile()
        profile.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_BOGUS"]
        let result = SeccompProfileCompiler.compile(profile, native: .x86_64)
        let errors = result.diagnostics.filter { $0.id == "seccomp.unknown-flag" }
        #expect(errors.count == 1)
        #expect(errors.first?.location?.jsonPath == "$.flags[1]")
        #expect(errors.first?.message.contains("SECCOMP_FILTER_FLAG_BOGUS") == true)
        #expect(result.bpf == nil)
    }
}
