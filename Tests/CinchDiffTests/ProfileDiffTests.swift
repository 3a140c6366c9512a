// SPDX-License-Identifier: Apache-2.0
// Tests of the semantic profile diff: normalisation, classification, risk labels and renderers.

import CinchDiff
import CinchLinux
import CinchModel
import CinchTestSupport
import Testing

func loadFixture(_ name: String) throws -> SeccompProfile {
    try SeccompProfile.load(path: Fixture.path("diff/\(name)"))
}

@Suite struct ProfileDiffTests {
    /// The acceptance case: a Docker profile (archMap, names split over two rules, a comment,
    /// includes/excludes) and an OCI profile (architectures in another order, rules reordered,
    /// duplicated names, a rule equal to the default) that mean the same give no difference.
    @Test func equalMeaningWithDifferentLayoutHasNoDifference() throws {
        let diff = ProfileDiff.seccomp(old: try loadFixture("base.docker.json"), new: try loadFixture("base.oci.json"))
        #expect(diff.isEmpty, "\(DiffRenderer.text(diff))")
        #expect(!diff.widens)
        #expect(diff.abis.map(\.abi) == [.x86_64, .x86, .x32])
        #expect(diff.abis.first?.oldPermitted == 16)
    }

    @Test func addingPtraceIsAWideningWithARiskLabel() throws {
        let diff = ProfileDiff.seccomp(
            old: try loadFixture("base.docker.json"), new: try loadFixture("with-ptrace.json"))
        let changes = try #require(diff.abis.first).changes
        #expect(changes.count == 1)
        let change = try #require(changes.first)
        #expect(change.name == "ptrace")
        #expect(change.kind == .added)
        #expect(change.effect == .widening)
        #expect(change.risk?.level == .high)
        #expect(diff.widens)
    }

    @Test func removingASyscallIsANarrowing() throws {
        let diff = ProfileDiff.seccomp(
            old: try loadFixture("base.docker.json"), new: try loadFixture("without-mkdir.json"))
        let changes = diff.abis.flatMap(\.changes)
        #expect(changes.map(\.name) == ["mkdir", "mkdir", "mkdir"])
        #expect(changes.allSatisfy { $0.kind == .removed && $0.effect == .narrowing && $0.risk == nil })
        #expect(!diff.widens)
        #expect(!diff.isEmpty)
    }

    @Test func unconditionalAllowReplacingAConditionalOneIsWidened() {
        let conditional = SeccompProfile(
            format: .oci, defaultAction: .errno, architectures: [.x86_64],
            syscalls: [
                .init(names: ["socket"], action: .allow, args: [.init(index: 0, value: 38, op: .lessThan)])
            ])
        var unconditional = conditional
        unconditional.syscalls = [.init(names: ["socket"], action: .allow)]
        let widened = ProfileDiff.seccomp(old: conditional, new: unconditional)
        #expect(widened.abis.first?.changes.first?.kind == .argumentsWidened)
        #expect(widened.abis.first?.changes.first?.risk != nil)
        let narrowed = ProfileDiff.seccomp(old: unconditional, new: conditional)
        #expect(narrowed.abis.first?.changes.first?.kind == .argumentsNarrowed)
        #expect(narrowed.abis.first?.changes.first?.effect == .narrowing)
    }

    /// Argument filters are compared by implication: `{< 12, == 13}` is inside `{< 38, == 39}`,
    /// while `== 0` and `== 8` overlap nowhere and neither contains the other.
    @Test(arguments: [
        (
            [(UInt64(12), SeccompProfile.Operator.lessThan), (13, .equal)],
            [(UInt64(38), SeccompProfile.Operator.lessThan), (39, .equal)], ProfileDiff.Kind.argumentsWidened
        ),
        ([(38, .lessThan), (39, .equal)], [(12, .lessThan)], .argumentsNarrowed),
        ([(0, .equal)], [(8, .equal)], .argumentsChanged),
        ([(0, .equal)], [(0, .equal), (8, .equal)], .argumentsWidened),
        ([(5, .greaterThan)], [(5, .greaterOrEqual)], .argumentsWidened),
        ([(40, .notEqual)], [(38, .lessThan), (40, .greaterThan)], .argumentsNarrowed),
    ])
    func classifiesArgumentFilterChanges(
        old: [(UInt64, SeccompProfile.Operator)], new: [(UInt64, SeccompProfile.Operator)], expected: ProfileDiff.Kind
    ) {
        func profile(_ alternatives: [(UInt64, SeccompProfile.Operator)]) -> SeccompProfile {
            SeccompProfile(
                format: .oci, defaultAction: .errno, architectures: [.x86_64],
                syscalls: alternatives.map {
                    .init(names: ["socket"], action: .allow, args: [.init(index: 0, value: $0.0, op: $0.1)])
                })
        }
        let diff = ProfileDiff.seccomp(old: profile(old), new: profile(new))
        #expect(diff.abis.first?.changes.map(\.kind) == [expected])
    }

    @Test func maskedEqualImplication() {
        let namespaces = SeccompProfile.ArgumentCondition(index: 0, value: 0x7E02_0000, op: .maskedEqual)
        let userNamespace = SeccompProfile.ArgumentCondition(index: 0, value: 0x1000_0000, op: .maskedEqual)
        #expect(ConditionGroup([namespaces]).implies(ConditionGroup([userNamespace])))
        #expect(!ConditionGroup([userNamespace]).implies(ConditionGroup([namespaces])))
        #expect(ConditionGroup([.init(index: 0, value: 0, op: .equal)]).implies(ConditionGroup([namespaces])))
    }

    @Test func dockerIncludesAndExcludesFollowTheTarget() throws {
        let base = try loadFixture("base.docker.json")
        let admin = SeccompTarget(capabilities: SeccompTarget.dockerDefaultCapabilities.union(["SYS_ADMIN"]))
        let normalized = NormalizedSeccompProfile(base, target: admin)
        #expect(normalized.behavior(of: "clone", on: .x86_64).permission == .always)
        #expect(normalized.behavior(of: "unshare", on: .x86_64).permission == .always)
        let plain = NormalizedSeccompProfile(base)
        #expect(plain.behavior(of: "unshare", on: .x86_64).permission == .never)
        #expect(plain.behavior(of: "set_tls", on: .x86_64).permission == .never)
        let arm = NormalizedSeccompProfile(base, target: SeccompTarget(native: .aarch64))
        #expect(arm.architectures == [.aarch64, .arm])
        #expect(arm.behavior(of: "set_tls", on: .arm).permission == .always)
        #expect(arm.behavior(of: "arch_prctl", on: .aarch64).permission == .never)
    }

    @Test func minKernelIsMetByDefaultAndEvaluatedWhenGiven() {
        let latest = NormalizedSeccompProfile(DockerDefaultProfile.profile)
        #expect(latest.behavior(of: "ptrace", on: .x86_64).permission == .always)
        let old = NormalizedSeccompProfile(
            DockerDefaultProfile.profile, target: SeccompTarget(kernel: KernelVersion(major: 4, minor: 4)))
        #expect(old.behavior(of: "ptrace", on: .x86_64).permission == .never)
    }

    @Test func absentNamesAreDroppedPerABI() throws {
        let presence: SyscallPresence = { name, abi in !(name == "arch_prctl" && abi == .x86) }
        let normalized = NormalizedSeccompProfile(try loadFixture("base.oci.json"), isPresent: presence)
        #expect(normalized.syscalls[.x86]?["arch_prctl"] == nil)
        #expect(normalized.syscalls[.x86_64]?["arch_prctl"] != nil)
    }

    // MARK: - Docker default

    @Test func dockerDefaultProfileHasThePublishedShape() throws {
        let profile = DockerDefaultProfile.profile
        #expect(profile.format == .docker)
        #expect(profile.defaultAction == .errno && profile.defaultErrnoRet == 1)
        #expect(profile.syscalls.count == 33)
        #expect(profile.syscalls.first?.names.count == 361)
        #expect(profile.archMap.count == 9)
        // Parsing must not have fallen back to the empty profile.
        _ = try SeccompProfile(jsonBytes: Array(DockerDefaultProfile.json.utf8), file: "docker-default")
        let socket = NormalizedSeccompProfile(profile).behavior(of: "socket", on: .x86_64).permission
        #expect(socket.description == "allowed when arg0 < 38 or arg0 == 39 or arg0 > 40")
        let clone3 = NormalizedSeccompProfile(profile).behavior(of: "clone3", on: .x86_64)
        #expect(clone3.description == "SCMP_ACT_ERRNO(38)")
    }

    @Test func diffAgainstDockerDefaultCountsRemovedSyscalls() throws {
        let small = try loadFixture("small.json")
        let diff = ProfileDiff.seccomp(old: DockerDefaultProfile.profile, new: small, oldName: "docker-default")
        let native = try #require(diff.abis.first)
        #expect(native.abi == .x86_64)
        // Every name counts on every ABI without a resolver: 361 + 3 (minKernel group) + socket,
        // personality, clone, arch_prctl, modify_ldt, chroot.
        #expect(native.oldPermitted == 370)
        #expect(native.newPermitted == 15)
        // All 15 names of the small profile are in Docker's; clone is widened, the rest stay.
        #expect(native.changes(.removed).count == 355)
        #expect(native.changes(.added).isEmpty)
        // clone loses its namespace mask: a widening with a risk label.
        let clone = try #require(native.changes.first { $0.name == "clone" })
        #expect(clone.kind == .argumentsWidened && clone.risk?.level == .high)
        #expect(diff.general.map(\.kind) == [.architectureRemoved, .architectureRemoved])
    }

    // MARK: - Renderers

    @Test func rendersGoldenOutputs() throws {
        let diff = ProfileDiff.seccomp(
            old: try loadFixture("base.docker.json"), new: try loadFixture("changed.json"),
            oldName: "base.docker.json", newName: "changed.json")
        expectMatchesGolden(DiffRenderer.render(diff, as: .text), "diff-changed.txt")
        expectMatchesGolden(DiffRenderer.render(diff, as: .markdown), "diff-changed.md")
        expectMatchesGolden(DiffRenderer.render(diff, as: .json), "diff-changed.json")
        let kinds = Set(diff.allChanges.map(\.kind))
        #expect(
            kinds == [
                .added, .removed, .argumentsWidened, .argumentsChanged, .actionChanged, .defaultChanged,
                .architectureRemoved,
            ])
    }

    @Test func rendersDockerDefaultReductionGolden() throws {
        let diff = ProfileDiff.seccomp(
            old: DockerDefaultProfile.profile, new: try loadFixture("small.json"), oldName: "docker-default",
            newName: "small.json")
        expectMatchesGolden(DiffRenderer.render(diff, as: .text), "diff-docker-default.txt")
        expectMatchesGolden(DiffRenderer.render(diff, as: .markdown), "diff-docker-default.md")
    }

    @Test func rendersNoDifference() throws {
        let diff = ProfileDiff.seccomp(
            old: try loadFixture("base.docker.json"), new: try loadFixture("base.oci.json"), oldName: "a",
            newName: "b")
        #expect(DiffRenderer.text(diff).hasSuffix("No semantic differences.\n"))
        #expect(DiffRenderer.markdown(diff).contains("No semantic differences."))
        let json = DiffRenderer.render(diff, as: .json)
        #expect(json.contains("\"identical\": true"))
        #expect(json == DiffRenderer.render(diff, as: .json))
    }

    // MARK: - Capabilities

    @Test func capabilityListsParseBothFormsAndDiff() throws {
        let old = try CapabilityList(bytes: Fixture.bytes("diff/caps-old.txt"), file: "caps-old.txt")
        let new = try CapabilityList(bytes: Fixture.bytes("diff/caps-new.json"), file: "caps-new.json")
        #expect(old.capabilities == ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETUID"])
        #expect(new.capabilities == ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID", "CAP_SYS_ADMIN"])
        let diff = ProfileDiff.capabilities(old: old, new: new, oldName: "caps-old.txt", newName: "caps-new.json")
        #expect(diff.general.map(\.name) == ["CAP_SETGID", "CAP_SYS_ADMIN"])
        #expect(diff.general.first { $0.name == "CAP_SYS_ADMIN" }?.risk?.level == .high)
        #expect(diff.widens)
        expectMatchesGolden(DiffRenderer.render(diff, as: .text), "diff-capabilities.txt")
        let reverse = ProfileDiff.capabilities(old: new, new: old)
        #expect(!reverse.widens && reverse.general.allSatisfy { $0.kind == .removed })
    }

    @Test func rejectsMalformedCapabilityNames() {
        #expect(throws: InputError.self) {
            try CapabilityList(bytes: Array("CAP_CHOWN\nnot-a-cap\n".utf8), file: "caps.txt")
        }
    }
}
