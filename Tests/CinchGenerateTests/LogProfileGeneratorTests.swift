// SPDX-License-Identifier: Apache-2.0
// The log-mode profile: SCMP_ACT_LOG by default, known syscalls allowed, every ABI of the host covered.

import CinchGenerate
import CinchModel
import CinchTestSupport
import Testing

@Suite struct LogProfileGeneratorTests {
    @Test func logsEverythingWithoutKnownTraces() {
        let result = LogProfileGenerator.generate(known: [], format: .docker)
        #expect(result.profile.defaultAction == .log)
        #expect(result.profile.syscalls.isEmpty)
        #expect(
            result.profile.archMap == [
                SeccompProfile.ArchMapEntry(architecture: .x86_64, subArchitectures: [.x86, .x32])
            ])
        #expect(result.profile.jsonValue().rendered().contains("\"syscalls\": []"))
    }

    @Test func allowsTheUnionOfKnownNamesAcrossABIs() throws {
        let trace = Trace(
            source: Trace.Source(kind: "ptrace"),
            abis: [
                .x86_64: Trace.ABIRecord(syscalls: ["read": Trace.SyscallRecord(count: 1)], inherited: ["write"]),
                .x86: Trace.ABIRecord(syscalls: ["getpid": Trace.SyscallRecord(count: 1)]),
            ])
        let result = LogProfileGenerator.generate(known: [trace], format: .oci)
        #expect(result.profile.syscalls == [SeccompProfile.Rule(names: ["getpid", "read", "write"], action: .allow)])
        #expect(result.profile.architectures == [.x86_64, .x86, .x32])
        #expect(result.diagnostics.contains { $0.id == "log-profile.abi-union" })
        // Deterministic.
        #expect(
            LogProfileGenerator.generate(known: [trace], format: .oci).profile.jsonValue().rendered()
                == result.profile.jsonValue().rendered())
    }
}
