// SPDX-License-Identifier: Apache-2.0
// Generator output: golden files, determinism, essentials, errno and diagnostics.

import CinchGenerate
import CinchLinux
import CinchModel
import CinchTestSupport
import Testing

@Suite struct SeccompProfileGeneratorTests {
    func trace(_ name: String) throws -> Trace { try Trace.load(path: Fixture.path("traces/\(name)")) }

    @Test(arguments: [SeccompProfile.Format.docker, .oci])
    func matchesGoldenProfile(format: SeccompProfile.Format) throws {
        let result = SeccompProfileGenerator.generate(
            from: [try trace("mixed-abi.trace.json")], options: .init(format: format))
        expectMatchesGolden(result.profile.jsonValue().rendered(), "mixed-abi.\(format.rawValue).json")
    }

    @Test func sameInputGivesByteIdenticalOutputWhateverTheTraceOrder() throws {
        let a = try trace("mixed-abi.trace.json")
        let b = try trace("interrupted.trace.json")
        let first = SeccompProfileGenerator.generate(from: [a, b]).profile.jsonValue().rendered()
        let second = SeccompProfileGenerator.generate(from: [b, a]).profile.jsonValue().rendered()
        #expect(first == second)
    }

    @Test func allowsExactlyTheObservedAndInheritedNamesPlusTheEssentials() throws {
        let profile = SeccompProfileGenerator.generate(from: [try trace("mixed-abi.trace.json")]).profile
        #expect(profile.defaultAction == .errno)
        #expect(profile.defaultErrnoRet == 1)
        #expect(profile.syscalls.filter { $0.action == .allow }.count == 1)
        let expected = [
            "execve", "exit", "exit_group", "fstat", "getpid", "openat", "read", "restart_syscall", "rt_sigreturn",
        ]
        #expect(profile.syscalls[0].names == expected)
        #expect(profile.syscalls[0].action == .allow)
    }

    @Test func dockerArchMapListsExactlyTheObservedABIs() throws {
        let profile = SeccompProfileGenerator.generate(from: [try trace("mixed-abi.trace.json")]).profile
        #expect(profile.archMap == [.init(architecture: .x86_64, subArchitectures: [.x86])])
        let native = SeccompProfileGenerator.generate(from: [try trace("interrupted.trace.json")]).profile
        #expect(native.archMap == [.init(architecture: .x86_64, subArchitectures: [])])
    }

    @Test func ociListsTheObservedABIs() throws {
        let profile = SeccompProfileGenerator.generate(
            from: [try trace("mixed-abi.trace.json")], options: .init(format: .oci)
        ).profile
        #expect(profile.architectures == [.x86_64, .x86])
        #expect(profile.archMap.isEmpty)
    }

    @Test func explicitArchitecturesReplaceTheObservedOnes() throws {
        let profile = SeccompProfileGenerator.generate(
            from: [try trace("interrupted.trace.json")], options: .init(format: .oci, architectures: [.aarch64])
        ).profile
        #expect(profile.architectures == [.aarch64])
    }

    /// glibc 2.34+ tries clone3 first and falls back to clone only on ENOSYS; an unobserved clone3
    /// denied with EPERM would break thread creation after a libc upgrade.
    @Test func anUnobservedClone3FailsWithENOSYSSoLibcFallsBack() throws {
        let result = SeccompProfileGenerator.generate(from: [try trace("mixed-abi.trace.json")])
        let rule = try #require(result.profile.syscalls.first { $0.names == ["clone3"] })
        #expect(rule.action == .errno)
        #expect(rule.errnoRet == 38)
        #expect(result.diagnostics.contains { $0.id == "generate.clone3-enosys" })
        let enosys = SeccompProfileGenerator.generate(
            from: [try trace("mixed-abi.trace.json")], options: .init(defaultErrno: 38))
        #expect(!enosys.profile.syscalls.contains { $0.names == ["clone3"] }, "the default already is ENOSYS")
    }

    @Test func enosysDefaultErrno() throws {
        let profile = SeccompProfileGenerator.generate(
            from: [try trace("interrupted.trace.json")], options: .init(defaultErrno: 38)
        ).profile
        #expect(profile.defaultErrnoRet == 38)
    }

    @Test func explainsWhatItAddedAndWhatItCouldNotAllow() throws {
        let result = SeccompProfileGenerator.generate(from: [try trace("mixed-abi.trace.json")])
        let ids = result.diagnostics.map(\.id)
        #expect(ids.contains("generate.essentials-added"))
        #expect(ids.contains("generate.unnamed-syscall"))
        let unnamed = try #require(result.diagnostics.first { $0.id == "generate.unnamed-syscall" })
        #expect(unnamed.message.contains("999"))
        #expect(unnamed.severity == .warning)
    }

    @Test func warnsThatAnIncompleteTraceMayMissSyscalls() throws {
        let result = SeccompProfileGenerator.generate(from: [try trace("interrupted.trace.json")])
        let warning = try #require(result.diagnostics.first { $0.id == "generate.incomplete-trace" })
        #expect(warning.message.contains("SIGTERM"))
    }
}
