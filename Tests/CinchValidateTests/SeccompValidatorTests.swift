// SPDX-License-Identifier: Apache-2.0
// Tests for validating seccomp profile files: usability, compilation findings and lints.

import CinchModel
import CinchSeccomp
import CinchTestSupport
import CinchValidate
import Testing

@Suite struct SeccompValidatorTests {
    private static let modernKernel = KernelVersion(major: 6, minor: 1)

    private func validate(_ name: String, includePFC: Bool = false, capabilities: Set<String>? = nil)
        -> ValidationReport
    {
        SeccompValidator.validate(
            path: Fixture.path("seccomp/" + name), includePFC: includePFC, native: .x86_64, capabilities: capabilities,
            kernelVersion: Self.modernKernel
        )
    }

    /// A Docker archMap is compiled for each of its native architectures, not only the host's.
    @Test(
        arguments: [
            ("docker-valid.json", [Architecture.x86_64, .x86, .x32, .aarch64, .arm]),
            ("oci-valid.json", [.x86_64, .x86, .x32]),
            ("docker-default-like.json", [.x86_64, .x86, .x32, .aarch64, .arm, .s390x, .s390]),
        ])
    func acceptsValidProfileWithoutFindings(name: String, abis: [Architecture]) {
        let report = validate(name)
        #expect(report.isUsable)
        #expect(!report.hasErrors)
        #expect(report.diagnostics.filter { $0.severity != .note }.isEmpty, "\(report.diagnostics)")
        #expect(report.perArchitecture.map(\.architecture) == abis)
        #expect(report.perArchitecture.allSatisfy { $0.instructionCount > 0 })
        #expect(report.pfc == nil)
    }

    @Test func reportsFormatAndPseudoFilterCode() throws {
        let report = validate("docker-valid.json", includePFC: true)
        #expect(report.format == .docker)
        let pfc = try #require(report.pfc)
        #expect(pfc.contains("filter for arch x86 "))
        #expect(pfc.contains("\"personality\""))
    }

    @Test func doesNotWarnAboutRulesThatExcludeEachOther() {
        // clone3 is ERRNO without CAP_SYS_ADMIN and ALLOW with it: never both.
        for caps: Set<String>? in [nil, ["CAP_SYS_ADMIN"]] {
            let report = validate("docker-default-like.json", capabilities: caps)
            #expect(!report.diagnostics.contains { $0.id == "seccomp.conflicting-rules" }, "\(report.diagnostics)")
        }
    }

    @Test func marksMalformedJSONUnusableWithPosition() throws {
        let report = validate("malformed.json")
        #expect(!report.isUsable)
        #expect(report.hasErrors)
        let diagnostic = try #require(report.diagnostics.first)
        #expect(report.diagnostics.count == 1)
        #expect(diagnostic.id == "seccomp.invalid-profile")
        #expect(diagnostic.location?.line == 4)
        #expect(diagnostic.location?.column == 52)
        #expect(diagnostic.description.contains("malformed.json:4:52: error: invalid JSON"))
    }

    @Test func marksStructuralErrorUnusableWithPath() throws {
        let report = validate("unknown-action.json")
        #expect(!report.isUsable)
        let diagnostic = try #require(report.diagnostics.first)
        #expect(diagnostic.location?.jsonPath == "$.syscalls[1].action")
        #expect(diagnostic.location?.line == 5)
    }

    @Test func marksMissingFileUnusable() throws {
        let path = Fixture.path("seccomp/missing.json")
        let report = SeccompValidator.validate(path: path, includePFC: false)
        #expect(!report.isUsable)
        let diagnostic = try #require(report.diagnostics.first)
        #expect(diagnostic.id == "input.unreadable")
        #expect(diagnostic.location?.file == path)
        #expect(diagnostic.message.contains("No such file or directory"))
    }

    @Test func pointsUnknownSyscallAtItsLineAndColumn() throws {
        let report = validate("unknown-syscall.json")
        #expect(report.isUsable)
        #expect(report.hasErrors)
        let diagnostic = try #require(report.diagnostics.first { $0.id == "seccomp.unknown-syscall" })
        #expect(diagnostic.location?.line == 6)
        #expect(diagnostic.location?.column == 25)
        #expect(diagnostic.location?.jsonPath == "$.syscalls[1].names[1]")
        #expect(diagnostic.message.contains("\"frobnicate\""))
        #expect(diagnostic.message.contains("x86_64, x86, x32"))
    }

    @Test func reportsDuplicateArgumentConditionAsError() throws {
        let report = validate("duplicate-argument.json")
        let diagnostic = try #require(report.diagnostics.first { $0.severity == .error })
        #expect(diagnostic.id == "seccomp.duplicate-argument-condition")
        #expect(diagnostic.location?.line == 9)
        #expect(diagnostic.location?.jsonPath == "$.syscalls[1].args")
    }

    @Test func warnsAboutMissingExitEssentialsAndConflicts() throws {
        let report = validate("no-exit.json")
        #expect(report.isUsable)
        let warnings = report.diagnostics.filter { $0.severity == .warning }
        #expect(
            warnings.map(\.id) == ["seccomp.missing-exit-essentials", "seccomp.conflicting-rules"],
            "\(report.diagnostics)")
        let essentials = try #require(warnings.first)
        #expect(essentials.message.contains("exit_group, rt_sigreturn, restart_syscall"))
        #expect(!essentials.message.contains("allow exit,"))
        #expect(essentials.location?.line == 2)
        let conflict = try #require(warnings.last)
        #expect(conflict.message.contains("\"write\""))
        #expect(conflict.location?.jsonPath == "$.syscalls[1].names[0]")
        #expect(conflict.location?.line == 6)
    }

    @Test func rejectsProfileThatAllowsNothing() throws {
        let report = validate("allows-nothing.json")
        #expect(report.isUsable)
        let errors = report.diagnostics.filter { $0.severity == .error }
        #expect(errors.map(\.id) == ["seccomp.allows-nothing"])
        // The exit-essentials warning would only repeat the error.
        #expect(!report.diagnostics.contains { $0.id == "seccomp.missing-exit-essentials" })
    }

    @Test func allowDefaultNeedsNoExitEssentials() {
        let text =
            #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}"#
        let report = SeccompValidator.validate(
            bytes: Array(text.utf8), file: "allow.json", includePFC: false, native: .x86_64)
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        #expect(report.format == .oci)
        #expect(report.perArchitecture.map(\.architecture) == [.x86_64])
    }
}
