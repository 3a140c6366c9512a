// SPDX-License-Identifier: Apache-2.0
// `--arch` across ABIs: a profile for another ABI holds only that ABI's names, and validation
// checks every ABI a profile covers.

import CinchGenerate
import CinchModel
import CinchSeccomp
import CinchTestSupport
import CinchValidate
import CinchWorkflow
import Testing

@Suite struct ArchitectureTranslationTests {
    static let legacy = Fixture.path("traces/legacy-calls.trace.json")

    func build(_ architectures: [Architecture], format: SeccompProfile.Format = .docker) throws -> ArtifactBuild {
        let inputs = try TraceInput.load([Self.legacy])
        return ArtifactBuilder.build(
            .seccomp(.init(format: format, architectures: architectures)), from: inputs, output: "out.json")
    }

    func names(_ build: ArtifactBuild) throws -> Set<String> {
        guard case .seccomp(let profile) = try #require(build.artifact) else {
            Issue.record("not a seccomp profile")
            return []
        }
        return Set(profile.syscalls.filter { $0.action == .allow }.flatMap(\.names))
    }

    /// The issue's acceptance: an x86_64 trace of open, stat, dup2, epoll_wait, fork and access
    /// gives an aarch64 profile with aarch64's names only, each translation listed.
    @Test func anAarch64ProfileFromAnX86_64TraceHasOnlyAarch64Names() throws {
        let build = try build([.aarch64])
        let allowed = try names(build)
        for name in allowed.sorted() {
            #expect(SyscallResolver.resolve(name, on: .aarch64).isPresent, "\(name) is not an aarch64 syscall")
        }
        #expect(allowed.isSuperset(of: ["openat", "newfstatat", "dup3", "epoll_pwait", "clone", "faccessat", "read"]))
        let note = try #require(build.diagnostics.first { $0.id == "generate.translated-syscalls" })
        #expect(
            note.message
                == "Translated for aarch64 from x86_64: access → faccessat; dup2 → dup3; epoll_wait → epoll_pwait; fork → clone; open → openat; stat → newfstatat."
        )
        let warning = try #require(build.diagnostics.first { $0.id == "generate.untranslatable-syscall" })
        #expect(warning.severity == .warning)
        #expect(warning.message.hasPrefix("arch_prctl, recorded on x86_64, has no equivalent on aarch64"))
        #expect(warning.location == ProfileLocation(file: Self.legacy, jsonPath: "$.abis.x86_64.syscalls"))
        let text = try #require(build.text)
        let report = SeccompValidator.validate(bytes: Array(text.utf8), file: "out.json", includePFC: false)
        #expect(report.verdict == .valid)
        #expect(report.perArchitecture.map(\.architecture) == [.aarch64])
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
    }

    /// Whatever a generated profile leaves out, it allows every call of its own traces: replay
    /// and generation agree, with and without translation.
    @Test(
        arguments: [
            "arguments-fallbacks", "arguments", "interrupted", "legacy-calls", "manifest-syscalls-only",
            "manifest-web", "mixed-abi", "observations",
        ])
    func aGeneratedProfileAllowsEveryCallOfItsTraces(name: String) throws {
        let file = Fixture.path("traces/\(name).trace.json")
        let inputs = try TraceInput.load([file])
        for architectures in [nil, [Architecture.aarch64], [.x86_64, .x86], [.s390x]] as [[Architecture]?] {
            let options = SeccompProfileGenerator.Options(architectures: architectures)
            let build = ArtifactBuilder.build(.seccomp(options), from: inputs, output: "out.json")
            guard case .seccomp(let profile) = try #require(build.artifact, "\(build.diagnostics)") else { return }
            var trace = inputs[0].trace
            if let architectures {
                trace = trace.translated(to: architectures, isPresent: SyscallResolver.presence).trace
            }
            let report = FilterReplay(profile: profile, file: "out.json").replay([(file, trace)])
            #expect(report.allAllowed, "\(architectures ?? []): \(report.diagnostics)")
            #expect(report.callCount > 0)
        }
    }

    @Test func thirtyTwoBitTargetsGetTheirWideAndTime64Variants() throws {
        let build = try build([.arm], format: .oci)
        let allowed = try names(build)
        #expect(allowed.isSuperset(of: ["stat", "stat64", "open", "dup2"]))
        #expect(!allowed.contains("arch_prctl"))
    }

    @Test func cloneFlagsMoveToArgumentOneOnS390x() throws {
        let build = try build([.s390x], format: .oci)
        guard case .seccomp(let profile) = try #require(build.artifact) else { return }
        let clone = try #require(profile.syscalls.first { $0.names == ["clone"] })
        #expect(clone.args.map(\.index) == [1])
    }

    /// A Docker profile for ABIs that pass clone's flags in different arguments gets one rule per
    /// native architecture, limited with includes.arches (as Docker's default profile does); an
    /// OCI profile cannot say that, so clone stays allowed by name there.
    @Test func cloneGetsARulePerArgumentLayoutInDockerFormat() throws {
        let docker = try build([.x86_64, .s390x])
        guard case .seccomp(let profile) = try #require(docker.artifact) else { return }
        let clone = profile.syscalls.filter { $0.names == ["clone"] }
        #expect(clone.map { $0.args.map(\.index) } == [[0], [1]])
        #expect(clone.map { $0.includes?.arches } == [["amd64"], ["s390x"]])
        let report = FilterReplay(profile: profile, file: "out.json", host: .x86_64)
        for (abi, index) in [(Architecture.x86_64, 0), (.s390x, 1)] {
            var arguments = [UInt64](repeating: 0, count: 6)
            arguments[index] = 0x2000_0000  // CLONE_NEWPID
            let denied = try #require(report.evaluate(.init(abi: abi, name: "clone", arguments: arguments)))
            #expect(!denied.result.isAllowed, "\(abi)")
            let allowed = try #require(report.evaluate(.init(abi: abi, name: "clone", arguments: [0x11, 0x11])))
            #expect(allowed.result.isAllowed, "\(abi)")
        }
        let oci = try build([.s390x, .ppc64], format: .oci)
        guard case .seccomp(let ociProfile) = try #require(oci.artifact, "\(oci.diagnostics)") else { return }
        #expect(!ociProfile.syscalls.contains { $0.names == ["clone"] })
        #expect(oci.diagnostics.contains { $0.message.hasPrefix("clone is allowed by name only: ppc64") })
    }

    /// One filter runs in one byte order: an OCI profile for x86_64 and s390x cannot exist.
    @Test func anOCIProfileMixingByteOrdersIsRefusedWithAReason() throws {
        let oci = try build([.x86_64, .s390x], format: .oci)
        #expect(oci.artifact == nil)
        let error = try #require(oci.diagnostics.first { $0.id == "seccomp.mixed-byte-order" })
        #expect(error.message.hasPrefix("x86_64 is little-endian and s390x big-endian"))
        #expect(error.location?.jsonPath == "$.architectures[1]")
    }

    @Test func theSameTraceWithoutArchIsUnchanged() throws {
        let inputs = try TraceInput.load([Self.legacy])
        let build = ArtifactBuilder.build(.seccomp(.init()), from: inputs, output: "out.json")
        #expect(
            try names(build).isSuperset(of: ["open", "stat", "dup2", "epoll_wait", "fork", "access", "arch_prctl"]))
        #expect(!build.diagnostics.contains { $0.id == "generate.translated-syscalls" })
    }

    /// The old, wrong output of `--arch aarch64`: x86_64 names under an aarch64 archMap. Every
    /// name aarch64 lacks is reported at its JSON path, with what aarch64 uses instead.
    @Test func validatingX86_64NamesUnderAnAarch64ArchMapReportsEachName() {
        let names = ["access", "arch_prctl", "dup2", "epoll_wait", "exit_group", "fork", "open", "read", "stat"]
        let profile = SeccompProfile(
            format: .docker, defaultAction: .errno,
            archMap: [.init(architecture: .aarch64, subArchitectures: [])],
            syscalls: [.init(names: names, action: .allow)])
        let report = SeccompValidator.validate(
            bytes: Array(profile.jsonValue().rendered().utf8), file: "wrong.json", includePFC: false, native: .x86_64)
        let absent = report.diagnostics.filter { $0.id == "seccomp.syscall-absent-on-architecture" }
        #expect(
            absent.map(\.location?.jsonPath) == [0, 1, 2, 3, 5, 6, 8].map { "$.syscalls[0].names[\($0)]" })
        #expect(absent.allSatisfy { $0.message.contains("does not exist on aarch64") })
        #expect(absent.first?.message.hasSuffix("Instead, aarch64 uses faccessat.") == true)
        #expect(report.perArchitecture.map(\.architecture) == [.aarch64], "the archMap's ABI, not the host's")
    }

    @Test func aDockerArchMapIsCompiledForEachNative() {
        let profile = SeccompProfile(
            format: .docker, defaultAction: .errno,
            archMap: [
                .init(architecture: .x86_64, subArchitectures: [.x86]),
                .init(architecture: .aarch64, subArchitectures: [.arm]),
                .init(architecture: .s390x, subArchitectures: []),
            ],
            syscalls: [
                .init(
                    names: SeccompValidator.exitEssentials + ["openat", "arch_prctl", "arm_fadvise64_64"],
                    action: .allow)
            ])
        let report = SeccompValidator.validate(
            bytes: Array(profile.jsonValue().rendered().utf8), file: "multi.json", includePFC: false, native: .x86_64)
        #expect(report.verdict == .valid)
        #expect(report.perArchitecture.map(\.architecture) == [.x86_64, .x86, .aarch64, .arm, .s390x])
        #expect(report.perArchitecture.allSatisfy { $0.instructionCount > 0 })
        // Names one native has are notes, not warnings.
        #expect(!report.diagnostics.contains { $0.severity != .note }, "\(report.diagnostics)")
    }
}
