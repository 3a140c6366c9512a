// SPDX-License-Identifier: Apache-2.0
// Replaying traces through compiled profiles: the committed examples pass, and a profile missing
// any one recorded call fails at that call.

import CinchModel
import CinchSeccomp
import CinchTestSupport
import CinchValidate
import Foundation
import Testing

@Suite struct FilterReplayTests {
    /// A seccomp entry of `Profiles/cinch-profiles.json`: the profile and its traces.
    struct Example: CustomTestStringConvertible, Sendable {
        var profile: String
        var traces: [String]
        var testDescription: String { profile }
    }

    static let root = TestEnvironment.repositoryRoot()

    static let examples: [Example] = {
        let url = URL(fileURLWithPath: root + "/Profiles/cinch-profiles.json")
        guard let data = try? Data(contentsOf: url),
            let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let entries = manifest["profiles"] as? [[String: Any]]
        else { return [] }
        return entries.filter { $0["kind"] as? String == "seccomp" }.compactMap { entry in
            guard let path = entry["path"] as? String, let traces = entry["traces"] as? [String] else { return nil }
            return Example(profile: path, traces: traces)
        }
    }()

    static func read(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + path)))
    }

    static func load(_ example: Example) throws -> (SeccompProfile, [(file: String, trace: Trace)]) {
        let profile = try SeccompProfile(jsonBytes: try read(example.profile), file: example.profile)
        let traces = try example.traces.map { ($0, try Trace(jsonBytes: try read($0), file: $0)) }
        return (profile, traces)
    }

    @Test func theManifestHasSeccompExamples() {
        #expect(Self.examples.count >= 6)
    }

    @Test(arguments: examples)
    func everyRecordedCallOfAnExampleIsAllowed(example: Example) throws {
        let (profile, traces) = try Self.load(example)
        let report = FilterReplay(profile: profile, file: example.profile).replay(traces)
        #expect(report.allAllowed, "\(report.diagnostics)")
        #expect(report.diagnostics.isEmpty, "\(report.diagnostics)")
        #expect(report.callCount > 30)
    }

    /// Removing any one recorded syscall (from every rule) or any one recorded socket family (its
    /// argument rule) makes the replay fail at exactly the calls that needed it.
    @Test(arguments: examples)
    func removingAnyRecordedCallFailsAtThatCall(example: Example) throws {
        let (profile, traces) = try Self.load(example)
        let calls = Set(traces.flatMap { FilterReplay.calls(in: $0.trace) })
        #expect(!calls.isEmpty)
        for name in Set(calls.map(\.name)).sorted() {
            var reduced = profile
            reduced.syscalls = profile.syscalls.compactMap { rule in
                var rule = rule
                rule.names.removeAll { $0 == name }
                return rule.names.isEmpty ? nil : rule
            }
            let denied = denials(FilterReplay(profile: reduced, file: "reduced.json").replay(traces))
            let expected = Set(calls.filter { $0.name == name }.map(Self.path))
            #expect(denied == expected, "without \(name)")
        }
        for call in calls where call.name == "socket" {
            var reduced = profile
            reduced.syscalls.removeAll {
                $0.names == ["socket"] && $0.args.contains { $0.index == 0 && $0.value == call.arguments[0] }
            }
            #expect(reduced.syscalls.count == profile.syscalls.count - 1, "one rule per family")
            let report = FilterReplay(profile: reduced, file: "reduced.json").replay(traces)
            #expect(denials(report) == [Self.path(call)])
            #expect(report.diagnostics.first?.message.contains("socket(arg0 = \(call.arguments[0]))") == true)
        }
    }

    static func path(_ call: FilterReplay.Call) -> String {
        let path = "$.abis.\(call.abi.name).syscalls.\(call.name)"
        return call.recordedArgument.map { path + ".arguments.\($0)" } ?? path
    }

    func denials(_ report: FilterReplay.Report) -> Set<String> {
        Set(report.diagnostics.filter { $0.id == "replay.denied" }.compactMap(\.location?.jsonPath))
    }

    @Test func aDenialNamesTheCallTheABITheArgumentTheActionAndTheRule() throws {
        let profile = SeccompProfile(
            format: .oci, defaultAction: .errno, defaultErrnoRet: 1, architectures: [.x86_64, .x86],
            syscalls: [
                .init(names: ["getpid", "exit_group"], action: .allow),
                .init(names: ["socket"], action: .errno, errnoRet: 97, args: [.init(index: 0, value: 10, op: .equal)]),
            ])
        let trace = Trace(
            source: .init(kind: "ptrace"),
            abis: [
                .x86_64: .init(syscalls: [
                    "getpid": .init(count: 1), "socket": .init(count: 1, arguments: [0: .init([10])]),
                ]),
                .x86: .init(syscalls: ["getppid": .init(count: 1)]),
            ])
        let report = FilterReplay(profile: profile, file: "p.json").replay([("t.json", trace)])
        #expect(
            report.diagnostics.map(\.description) == [
                "t.json ($.abis.x86_64.syscalls.socket.arguments.0): error: x86_64 socket(arg0 = 10) is not allowed: the filter of p.json returns SCMP_ACT_ERRNO(97) ($.syscalls[1].names[0]). [replay.denied]",
                "t.json ($.abis.x86.syscalls.getppid): error: x86 getppid is not allowed: the filter of p.json returns SCMP_ACT_ERRNO(1) ($.defaultAction). [replay.denied]",
            ])
        #expect(report.callCount == 3)
    }

    @Test func anABIThatTheProfileDoesNotCoverIsKilledByTheFilter() throws {
        let profile = SeccompProfile(
            format: .docker, defaultAction: .errno, archMap: [.init(architecture: .x86_64, subArchitectures: [])],
            syscalls: [.init(names: ["getpid"], action: .allow)])
        let trace = Trace(source: .init(kind: "ptrace"), abis: [.x86: .init(syscalls: ["getpid": .init(count: 1)])])
        let report = FilterReplay(profile: profile, file: "p.json", host: .x86_64).replay([("t.json", trace)])
        #expect(report.diagnostics.map(\.id) == ["replay.denied"])
        #expect(report.diagnostics.first?.message.contains("SCMP_ACT_KILL") == true)
        #expect(report.diagnostics.first?.message.contains("does not cover x86") == true)
    }

    /// On x86, libseccomp's rule for `socket` also allows `socketcall(SYS_SOCKET, …)`, without
    /// its argument conditions (they are in memory there): the verdict names that rule.
    @Test func aSocketRuleDecidesTheSocketcallForm() throws {
        let profile = SeccompProfile(
            format: .oci, defaultAction: .errno, architectures: [.x86_64, .x86],
            syscalls: [.init(names: ["socket"], action: .allow, args: [.init(index: 0, value: 2, op: .equal)])])
        let replay = FilterReplay(profile: profile, file: "p.json", host: .x86_64)
        let viaMultiplexer = try #require(replay.evaluate(.init(abi: .x86, name: "socketcall", arguments: [1])))
        #expect(viaMultiplexer.result.isAllowed)
        #expect(viaMultiplexer.rulePath == "$.syscalls[0].names[0]")
        #expect(viaMultiplexer.isCovered)
        let connect = try #require(replay.evaluate(.init(abi: .x86, name: "socketcall", arguments: [3])))
        #expect(connect.rulePath == "$.defaultAction")
        let direct = try #require(replay.evaluate(.init(abi: .x86, name: "socket", arguments: [10])))
        #expect(direct.data?.number == 359)
        #expect(!direct.result.isAllowed)
    }

    /// x32 calls enter through the x86-64 entry: AUDIT_ARCH_X86_64 with the x32 bit in the number.
    @Test func x32CallsAreReplayedAsTheKernelReportsThem() throws {
        let profile = SeccompProfile(
            format: .oci, defaultAction: .errno, architectures: [.x86_64, .x32],
            syscalls: [.init(names: ["getpid"], action: .allow)])
        let trace = Trace(
            source: .init(kind: "ptrace"),
            abis: [.x32: .init(syscalls: ["getpid": .init(count: 1), "getppid": .init(count: 1)])])
        let replay = FilterReplay(profile: profile, file: "p.json", host: .x86_64)
        let getpid = try #require(replay.evaluate(.init(abi: .x32, name: "getpid")))
        #expect(getpid.data?.architecture == Architecture.x86_64.auditArch)
        #expect(getpid.data.map { UInt32(bitPattern: $0.number) & 0x4000_0000 } == 0x4000_0000)
        let report = replay.replay([("t.json", trace)])
        #expect(report.diagnostics.map(\.location?.jsonPath) == ["$.abis.x32.syscalls.getppid"])
    }

    /// Socket families seen by AppArmor network records are socket calls too.
    @Test func networkFamiliesAreReplayedAsSocketCalls() {
        let profile = SeccompProfile(
            format: .oci, defaultAction: .errno, architectures: [.x86_64],
            syscalls: [.init(names: ["socket"], action: .allow, args: [.init(index: 0, value: 1, op: .equal)])])
        var trace = Trace(source: .init(kind: "audit"), abis: [.x86_64: .init(syscalls: ["socket": .init(count: 1)])])
        trace.network = [.init(family: "unix", socketType: "stream"), .init(family: "netlink", socketType: "raw")]
        let calls = FilterReplay.calls(in: trace)
        #expect(calls.map(\.arguments.first) == [0, 1, 16])
        let report = FilterReplay(profile: profile, file: "p.json").replay([("t.json", trace)])
        #expect(report.diagnostics.count == 2, "socket(0) and socket(AF_NETLINK)")
    }

    /// A hostile trace's names are only looked up, never compiled: an unknown one is a warning.
    @Test func anUnknownNameInATraceIsAWarningNotARule() {
        let profile = SeccompProfile(
            format: .oci, defaultAction: .errno, architectures: [.x86_64],
            syscalls: [.init(names: ["getpid"], action: .allow)])
        let trace = Trace(
            source: .init(kind: "ptrace"), abis: [.x86_64: .init(syscalls: ["getpid\"},{\"x": .init(count: 1)])])
        let report = FilterReplay(profile: profile, file: "p.json").replay([("t.json", trace)])
        #expect(report.diagnostics.map(\.id) == ["replay.unknown-syscall"])
        #expect(report.diagnostics.first?.message.contains("\"getpid?},{?x\"") == true)
        #expect(report.diagnostics.first?.location?.jsonPath == "$.abis.x86_64.syscalls[\"getpid?},{?x\"]")
        #expect(report.allAllowed)
    }
}
