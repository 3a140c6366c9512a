// SPDX-License-Identifier: Apache-2.0
// Argument rules from recorded values: generalisation, fallbacks, ordering, trace format and merge.

import CinchGenerate
import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite struct ArgumentRulesTests {
    func trace(_ name: String) throws -> Trace { try Trace.load(path: Fixture.path("traces/\(name)")) }

    /// A trace with one ABI whose syscalls are `records`.
    func trace(_ records: [String: Trace.SyscallRecord], inherited: Set<String> = []) -> Trace {
        Trace(source: .init(kind: "ptrace"), abis: [.x86_64: .init(syscalls: records, inherited: inherited)])
    }

    func record(_ values: Set<UInt64>) -> Trace.SyscallRecord {
        Trace.SyscallRecord(count: 1, arguments: [0: Trace.ArgumentValues(values)])
    }

    let dockerCloneRule = SeccompProfile.Rule(
        names: ["clone"], action: .allow,
        args: [.init(index: 0, value: 0x7E02_0000, valueTwo: 0, op: .maskedEqual)])

    func equalRule(_ name: String, _ value: UInt64) -> SeccompProfile.Rule {
        SeccompProfile.Rule(names: [name], action: .allow, args: [.init(index: 0, value: value, op: .equal)])
    }

    // MARK: - Generation

    @Test(arguments: [SeccompProfile.Format.docker, .oci])
    func matchesGoldenProfile(format: SeccompProfile.Format) throws {
        let result = SeccompProfileGenerator.generate(
            from: [try trace("arguments.trace.json")], options: .init(format: format))
        expectMatchesGolden(result.profile.jsonValue().rendered(), "arguments.\(format.rawValue).json")
    }

    @Test func nameOnlyRuleComesFirstThenConditionalRulesByNameAndValue() throws {
        let profile = SeccompProfileGenerator.generate(from: [try trace("arguments.trace.json")]).profile
        #expect(
            profile.syscalls[0].names == [
                "accept4", "clone3", "close", "execve", "exit", "exit_group", "read", "restart_syscall",
                "rt_sigreturn", "write",
            ])
        #expect(profile.syscalls[0].args.isEmpty)
        #expect(
            Array(profile.syscalls.dropFirst()) == [
                dockerCloneRule, equalRule("personality", 0), equalRule("personality", 0xFFFF_FFFF),
                equalRule("socket", 1), equalRule("socket", 2), equalRule("socket", 10),
            ])
    }

    @Test func socketGetsOneEqualRulePerObservedFamily() {
        let profile = SeccompProfileGenerator.generate(from: [trace(["socket": record([10, 2])])]).profile
        #expect(
            profile.syscalls.filter { $0.names == ["socket"] } == [equalRule("socket", 2), equalRule("socket", 10)])
        #expect(!profile.syscalls[0].names.contains("socket"))
    }

    @Test func cloneWithoutNamespaceFlagsGetsDockersMaskRule() {
        let result = SeccompProfileGenerator.generate(from: [trace(["clone": record([0])])])
        #expect(result.profile.syscalls.filter { $0.names == ["clone"] } == [dockerCloneRule])
        let note = result.diagnostics.first { $0.id == "generate.argument-rules" }
        #expect(note?.message.contains("clone arg0 & 0x7e020000 == 0") == true)
    }

    @Test func cloneWithNamespaceFlagsIsAllowedByNameWithAWarning() throws {
        let result = SeccompProfileGenerator.generate(from: [trace(["clone": record([0, 0x1002_0000])])])
        #expect(result.profile.syscalls.filter { $0.action == .allow }.count == 1)
        #expect(result.profile.syscalls[0].names.contains("clone"))
        let warning = try #require(result.diagnostics.first { $0.id == "generate.clone-namespaces" })
        #expect(warning.severity == .warning)
        #expect(warning.message.contains("CLONE_NEWNS, CLONE_NEWUSER"))
    }

    @Test func namesWithoutArgumentDataFallBackToNamesWithANote() throws {
        let result = SeccompProfileGenerator.generate(from: [try trace("arguments-fallbacks.trace.json")])
        #expect(result.profile.syscalls.filter { $0.action == .allow }.count == 1)
        #expect(Set(["clone", "personality", "socket"]).isSubset(of: result.profile.syscalls[0].names))
        let notes = result.diagnostics.filter { $0.id == "generate.argument-rules-fallback" }.map(\.message)
        #expect(
            notes == [
                "personality is allowed by name only: argument 0 had more than 64 distinct values.",
                "socket is allowed by name only: it was only inherited from --known traces, so no recording saw its arguments.",
            ])
        #expect(result.diagnostics.contains { $0.id == "generate.clone-namespaces" })
    }

    @Test func aTraceWithoutArgumentsForAnObservedNameFallsBack() throws {
        let old = trace(["socket": Trace.SyscallRecord(count: 3)])
        let result = SeccompProfileGenerator.generate(from: [old, trace(["socket": record([2])])])
        #expect(result.profile.syscalls.filter { $0.action == .allow }.count == 1)
        let note = try #require(result.diagnostics.first { $0.id == "generate.argument-rules-fallback" })
        #expect(note.message.hasPrefix("socket is allowed by name only: a trace saw it without recording"))
    }

    @Test func valuesFromSeveralTracesAndABIsAreJoined() {
        var compat = trace(["socket": record([1])])
        compat.abis[.x86] = .init(syscalls: ["socket": record([10])])
        let profile = SeccompProfileGenerator.generate(from: [compat, trace(["socket": record([2])])]).profile
        #expect(
            profile.syscalls.filter { $0.names == ["socket"] } == [
                equalRule("socket", 1), equalRule("socket", 2), equalRule("socket", 10),
            ])
    }

    @Test func s390ClonePassesFlagsElsewhereSoItStaysByName() {
        let result = SeccompProfileGenerator.generate(
            from: [trace(["clone": record([0])])], options: .init(architectures: [.x86_64, .s390x]))
        #expect(result.profile.syscalls.filter { $0.action == .allow }.count == 1)
        #expect(
            result.diagnostics.contains {
                $0.message == "clone is allowed by name only: s390x passes the argument in another register."
            })
    }

    @Test func noArgumentRulesKeepsTheNameOnlyProfile() throws {
        let result = SeccompProfileGenerator.generate(
            from: [try trace("arguments.trace.json")], options: .init(argumentRules: false))
        #expect(result.profile.syscalls.filter { $0.action == .allow }.count == 1)
        #expect(result.profile.syscalls[0].names.contains("socket"))
        #expect(!result.diagnostics.contains { $0.id.hasPrefix("generate.argument-rules") })
    }

    @Test func outputIsByteIdenticalWhateverTheTraceOrder() throws {
        let a = try trace("arguments.trace.json")
        let b = trace(["socket": record([16, 1])])
        let first = SeccompProfileGenerator.generate(from: [a, b]).profile.jsonValue().rendered()
        let second = SeccompProfileGenerator.generate(from: [b, a]).profile.jsonValue().rendered()
        #expect(first == second)
    }

    // MARK: - Trace format and merge

    @Test func fixtureRoundTripsByteForByte() throws {
        let path = Fixture.path("traces/arguments.trace.json")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(try Trace.load(path: path).jsonValue().rendered() == text)
        let socket = try trace("arguments.trace.json").abis[.x86_64]?.syscalls["socket"]
        #expect(socket?.arguments[0]?.sorted == [1, 2, 10])
    }

    @Test func unboundedValuesRoundTrip() throws {
        let fallbacks = try trace("arguments-fallbacks.trace.json")
        let personality = try #require(fallbacks.abis[.x86_64]?.syscalls["personality"])
        #expect(personality.arguments[0] == .unbounded)
        let reread = try Trace(jsonBytes: Array(fallbacks.jsonValue().rendered().utf8), file: "reread")
        #expect(reread == fallbacks)
    }

    @Test(arguments: [#"{"9": [1]}"#, #"{"0": "many"}"#, #"{"0": [-1]}"#])
    func rejectsMalformedArguments(arguments: String) {
        let json =
            #"{"cinchTrace": 1, "abis": {"x86_64": {"syscalls": {"socket": {"count": 1, "arguments": "#
            + arguments + "}}}}}"
        #expect(throws: InputError.self) { try Trace(jsonBytes: Array(json.utf8), file: "bad.json") }
    }

    @Test func valuesPastTheLimitBecomeUnbounded() {
        var values = Trace.ArgumentValues()
        for value in 0..<UInt64(Trace.ArgumentValues.limit) { values.insert(value) }
        #expect(!values.isUnbounded)
        values.insert(0)
        #expect(!values.isUnbounded)
        values.insert(1000)
        #expect(values.isUnbounded)
        #expect(values.values.isEmpty)
    }

    @Test func mergeJoinsValuesAndKeepsUnboundedAndDropsOneSidedIndexes() {
        let merged = trace(["socket": record([1, 2]), "clone": record([0]), "personality": record([0])])
            .merged(
                with: trace([
                    "socket": record([10]), "clone": Trace.SyscallRecord(count: 1, arguments: [0: .unbounded]),
                    "personality": Trace.SyscallRecord(count: 1),
                ]))
        let syscalls = merged.abis[.x86_64]?.syscalls
        #expect(syscalls?["socket"]?.arguments[0]?.sorted == [1, 2, 10])
        #expect(syscalls?["clone"]?.arguments[0] == .unbounded)
        #expect(syscalls?["personality"]?.arguments.isEmpty == true)
    }

    @Test func mergeKeepsObservedValuesOverAnInheritedName() {
        let merged = trace([:], inherited: ["socket"]).merged(with: trace(["socket": record([2])]))
        #expect(merged.abis[.x86_64]?.syscalls["socket"]?.arguments[0]?.sorted == [2])
        #expect(merged.abis[.x86_64]?.inherited == [])
    }
}
