// SPDX-License-Identifier: Apache-2.0
// Capability lists: formats (goldens), union, refusal of unobserved traces, hostile names, determinism.

import CinchGenerate
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite struct CapabilityProfileGeneratorTests {
    typealias Generator = CapabilityProfileGenerator

    /// A trace that observed capability checks and saw `capabilities`.
    static func observedTrace(
        _ capabilities: Set<String>, noNewPrivileges: Bool? = true, complete: Bool = true
    ) -> Trace {
        var trace = Trace(
            source: .init(kind: "ptrace", bundle: "/tmp/bundle", runtime: "runc", noNewPrivileges: noNewPrivileges),
            capabilities: capabilities, observed: [.capabilities])
        if !complete { trace.markIncomplete("The recording was interrupted by SIGINT.") }
        return trace
    }

    /// The goldens' input: two recordings whose union is three capabilities.
    static let goldenInputs = [
        Generator.Input(file: "web.json", trace: observedTrace(["CAP_NET_BIND_SERVICE", "CAP_CHOWN"])),
        Generator.Input(file: "debug.json", trace: observedTrace(["CAP_SYS_PTRACE", "CAP_CHOWN"])),
    ]

    /// The golden file name of each format (the CLI tests compare against the same files).
    static func goldenName(_ format: Generator.Format) -> String {
        switch format {
        case .text: "capabilities-text.txt"
        case .docker: "capabilities-docker.txt"
        case .oci: "capabilities-oci.json"
        case .compose: "capabilities-compose.yaml"
        case .kubernetes: "capabilities-kubernetes.yaml"
        }
    }

    func profile(_ inputs: [Generator.Input], format: Generator.Format = .text) throws -> Generator.Profile {
        let result = Generator.generate(from: inputs, format: format)
        return try #require(result.profile, "\(result.diagnostics)")
    }

    // MARK: - The list of capabilities

    /// The authoritative list must be the kernel's: same names, same numbers, nothing past
    /// `CAP_LAST_CAP`. Checked against the installed `<linux/capability.h>`.
    @Test(
        .enabled(
            if: TestEnvironment.available(FileManager.default.fileExists(atPath: "/usr/include/linux/capability.h")),
            "needs the kernel headers (linux-libc-dev)"))
    func capabilityListMatchesTheKernelHeader() throws {
        let header = try String(contentsOfFile: "/usr/include/linux/capability.h", encoding: .utf8)
        var numbers: [Int: String] = [:]
        var last: String?
        for line in header.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard words.count >= 3, words[0] == "#define", words[1].hasPrefix("CAP_") else { continue }
            if words[1] == "CAP_LAST_CAP" { last = String(words[2]) }
            if let number = Int(words[2]) { numbers[number] = String(words[1]) }
        }
        let kernel = numbers.keys.sorted().map { numbers[$0] ?? "" }
        #expect(numbers.keys.sorted() == Array(0..<numbers.count), "capability numbers are contiguous")
        #expect(CapabilityList.all == kernel)
        #expect(last == CapabilityList.all.last)
        #expect(CapabilityList.number(of: "CAP_NET_BIND_SERVICE") == 10)
    }

    @Test func knownNamesAreExactOCISpellings() {
        #expect(CapabilityList.all.count == 41)
        #expect(CapabilityList.all.allSatisfy(CapabilityList.isKnown))
        for name in ["cap_chown", "CHOWN", "CAP_CHOWN ", "CAP_", "CAP_LAST_CAP", "CAP_NET_BIND_SERVICE\n"] {
            #expect(!CapabilityList.isKnown(name), "\(name)")
        }
        #expect(CapabilityList.shortName("CAP_SYS_ADMIN") == "SYS_ADMIN")
    }

    // MARK: - Formats

    @Test(arguments: Generator.Format.allCases)
    func everyFormatMatchesItsGolden(format: Generator.Format) throws {
        let rendered = try profile(Self.goldenInputs, format: format).rendered(as: format)
        expectMatchesGolden(rendered, Self.goldenName(format))
    }

    @Test func ociFormatIsTheRuntimeSpecCapabilitiesObject() throws {
        let rendered = try profile(Self.goldenInputs).rendered(as: .oci)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: [String]])
        let expected = ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_SYS_PTRACE"]
        #expect(object == ["bounding": expected, "effective": expected, "permitted": expected])
    }

    @Test func observedButEmptyDropsEverything() throws {
        let result = Generator.generate(from: [.init(file: "idle.json", trace: Self.observedTrace([]))])
        let profile = try #require(result.profile)
        #expect(profile.capabilities == [])
        #expect(profile.rendered(as: .text) == "")
        #expect(profile.rendered(as: .docker) == "--cap-drop=ALL\n")
        #expect(profile.rendered(as: .compose) == "cap_drop:\n  - ALL\n")
        #expect(
            profile.rendered(as: .kubernetes)
                == "securityContext:\n  allowPrivilegeEscalation: false\n  capabilities:\n    drop:\n      - ALL\n")
        let oci = try #require(
            try JSONSerialization.jsonObject(with: Data(profile.rendered(as: .oci).utf8)) as? [String: [String]])
        #expect(oci == ["bounding": [], "effective": [], "permitted": []])
        #expect(result.diagnostics.contains { $0.id == "capabilities.none-needed" })
        #expect(!result.diagnostics.contains { $0.severity != .note })
    }

    // MARK: - Union and refusal

    @Test func severalTracesGiveTheUnion() throws {
        let inputs = [
            Generator.Input(file: "a.json", trace: Self.observedTrace(["CAP_NET_BIND_SERVICE"])),
            Generator.Input(file: "b.json", trace: Self.observedTrace([])),
            Generator.Input(file: "c.json", trace: Self.observedTrace(["CAP_SETUID", "CAP_NET_BIND_SERVICE"])),
        ]
        #expect(try profile(inputs).capabilities == ["CAP_NET_BIND_SERVICE", "CAP_SETUID"])
    }

    /// An empty list from a recorder that did not watch capability checks is "nobody looked":
    /// taking it as "none needed" would ship a list that breaks the workload.
    @Test(arguments: [Set<String>(), ["CAP_NET_BIND_SERVICE"]])
    func refusesTracesThatDidNotObserveCapabilities(capabilities: Set<String>) throws {
        var unobserved = Self.observedTrace(capabilities)
        unobserved.observed = [.files, .network]
        let result = Generator.generate(from: [
            .init(file: "good.json", trace: Self.observedTrace(["CAP_CHOWN"])),
            .init(file: "traces/old.json", trace: unobserved),
        ])
        #expect(result.profile == nil)
        let error = try #require(result.diagnostics.first { $0.severity == .error })
        #expect(error.id == "capabilities.not-observed")
        #expect(error.location?.file == "traces/old.json")
        #expect(error.description.hasPrefix("traces/old.json ($.observed): error:"))
        #expect(error.message.contains("cinch record"))
        #expect(error.message.contains("cinch audit ingest"))
        #expect(result.diagnostics.filter { $0.severity == .error }.count == 1, "the observed trace is fine")
    }

    @Test func noTraceIsAnError() {
        let result = Generator.generate(from: [])
        #expect(result.profile == nil)
        #expect(result.diagnostics.map(\.id) == ["capabilities.no-trace"])
    }

    @Test func incompleteTracesWarnButStillGiveAList() throws {
        let result = Generator.generate(from: [
            .init(file: "cut.json", trace: Self.observedTrace(["CAP_KILL"], complete: false))
        ])
        #expect(result.profile?.capabilities == ["CAP_KILL"])
        let warning = try #require(result.diagnostics.first { $0.severity == .warning })
        #expect(warning.id == "capabilities.incomplete-trace")
        #expect(warning.location?.file == "cut.json")
        #expect(warning.message.contains("SIGINT"))
    }

    // MARK: - Hostile traces

    /// Names are checked against the list, not cleaned up: anything that is not exactly a known
    /// capability refuses the whole trace, so it can never reach YAML, JSON or a flag.
    @Test(arguments: [
        "CAP_X\n- privileged: true", "CAP_CHOWN\"", "CAP_NET_ADMIN ", " CAP_CHOWN", "cap_chown", "NET_ADMIN", "CAP_",
        "", "CAP_CHOWN,CAP_SYS_ADMIN", "CAP_SYS_ADMIN\u{0}", "\u{FF23}AP_CHOWN", "CAP_42", "CAP_CHOWN --privileged",
        "CAP_CHOWN]}, \"privileged\": true, \"x\": [\"",
    ])
    func rejectsNamesThatAreNotLinuxCapabilities(name: String) throws {
        let trace = Self.observedTrace(["CAP_CHOWN", name])
        let result = Generator.generate(from: [.init(file: "hostile.json", trace: trace)])
        #expect(result.profile == nil, "nothing may be rendered")
        let error = try #require(result.diagnostics.first { $0.severity == .error })
        #expect(error.id == "capabilities.unknown-name")
        #expect(error.location?.file == "hostile.json")
        #expect(error.location?.jsonPath == "$.capabilities")
        // The message shows the name escaped: no raw control characters reach the terminal.
        #expect(!error.message.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F })
        #expect(Generator.Profile(known: [name]) == nil)
    }

    @Test func manyUnknownNamesAreReportedTenAndCounted() {
        let names = Set((0..<25).map { "CAP_BOGUS_\($0)" })
        let result = Generator.generate(from: [.init(file: "junk.json", trace: Self.observedTrace(names))])
        let errors = result.diagnostics.filter { $0.id == "capabilities.unknown-name" }
        #expect(errors.count == 11)
        #expect(errors.last?.message.contains("15 more") == true)
    }

    // MARK: - Notes and Kubernetes privilege escalation

    @Test func notesSayWhatDockersDefaultSetHasAndWhatTheListDrops() throws {
        let result = Generator.generate(from: [
            .init(file: "t.json", trace: Self.observedTrace(["CAP_NET_BIND_SERVICE", "CAP_SYS_ADMIN"]))
        ])
        let notes = result.diagnostics.filter { $0.severity == .note }
        #expect(
            notes.first { $0.id == "capabilities.in-docker-default" }?.message.hasPrefix("CAP_NET_BIND_SERVICE") == true
        )
        #expect(
            notes.first { $0.id == "capabilities.beyond-docker-default" }?.message.hasPrefix("CAP_SYS_ADMIN") == true)
        let dropped = try #require(notes.first { $0.id == "capabilities.dropped-docker-default" })
        let expected = SeccompTarget.dockerDefaultCapabilities.map { "CAP_" + $0 }.filter {
            $0 != "CAP_NET_BIND_SERVICE"
        }
        #expect(dropped.message.contains("drops \(expected.count) of Docker's 14"))
        #expect(dropped.message.contains(expected.sorted().joined(separator: ", ")))
    }

    /// `allowPrivilegeEscalation: false` turns on no_new_privs, so it is emitted only when every
    /// recording ran with it; Kubernetes rejects it next to SYS_ADMIN.
    @Test(
        arguments: [
            ([true, true], ["CAP_NET_BIND_SERVICE"], true),
            ([true, true], ["CAP_SYS_ADMIN"], false),
            ([true, false], ["CAP_NET_BIND_SERVICE"], false),
            ([true, nil], [], false),
        ] as [([Bool?], [String], Bool)])
    func kubernetesDeniesPrivilegeEscalationOnlyWhenTheRecordingsDid(
        noNewPrivileges: [Bool?], capabilities: [String], expected: Bool
    ) throws {
        let inputs = noNewPrivileges.enumerated().map { index, flag in
            Generator.Input(file: "\(index).json", trace: Self.observedTrace(Set(capabilities), noNewPrivileges: flag))
        }
        let result = Generator.generate(from: inputs, format: .kubernetes)
        let rendered = try #require(result.profile).rendered(as: .kubernetes)
        #expect(rendered.contains("allowPrivilegeEscalation: false") == expected)
        #expect(result.diagnostics.contains { $0.id == "capabilities.privilege-escalation" })
        #expect(!Generator.generate(from: inputs).diagnostics.contains { $0.id == "capabilities.privilege-escalation" })
    }

    // MARK: - Determinism

    @Test(arguments: Generator.Format.allCases)
    func sameInputGivesByteIdenticalOutputWhateverTheOrder(format: Generator.Format) throws {
        let names = CapabilityList.all.filter { $0.contains("SYS") }
        var forward = Set<String>()
        for name in names { forward.insert(name) }
        var backward = Set<String>(minimumCapacity: 64)
        for name in names.reversed() { backward.insert(name) }
        let first = try profile(
            [.init(file: "a", trace: Self.observedTrace(forward)), .init(file: "b", trace: Self.observedTrace([]))])
        let second = try profile(
            [.init(file: "b", trace: Self.observedTrace([])), .init(file: "a", trace: Self.observedTrace(backward))])
        #expect(first.rendered(as: format) == second.rendered(as: format))
        #expect(first.capabilities == names.sorted())
    }
}
