// SPDX-License-Identifier: Apache-2.0
// Kubernetes outputs: the security-profiles-operator SeccompProfile object and a container
// securityContext (goldens, what cannot be expressed, hostile input, PyYAML reading them).

import CinchGenerate
import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite struct KubernetesOutputTests {
    /// The OCI profile behind the `spo-arguments.yaml` golden (the CLI tests use the same trace).
    func argumentsProfile() throws -> SeccompProfile {
        let trace = try Trace.load(path: Fixture.path("traces/arguments.trace.json"))
        return SeccompProfileGenerator.generate(from: [trace], options: .init(format: .oci)).profile
    }

    static let web = KubernetesObjectMetadata(name: "web")
    /// A namespaced object, for the v1beta1 API of operators before 1.0.
    static let webInApps = KubernetesObjectMetadata(name: "web", namespace: "apps")

    /// The traces behind `capabilities-kubernetes.yaml` (CapabilityProfileGeneratorTests).
    static let capabilityInputs = CapabilityProfileGeneratorTests.goldenInputs

    // MARK: - SeccompProfile objects

    @Test func seccompProfileObjectMatchesItsGolden() throws {
        let profile = try argumentsProfile()
        #expect(profile.operatorObjectErrors(Self.web).isEmpty)
        expectMatchesGolden(profile.operatorObject(Self.web).renderedYAML(), "spo-v1.yaml")
    }

    /// Operators before 1.0 have a namespaced v1beta1 resource; the object is otherwise the same.
    @Test func namespacedObjectOfOlderOperatorsMatchesItsGolden() throws {
        let profile = try argumentsProfile()
        #expect(profile.operatorObjectErrors(Self.webInApps, api: .v1beta1).isEmpty)
        expectMatchesGolden(profile.operatorObject(Self.webInApps, api: .v1beta1).renderedYAML(), "spo-arguments.yaml")
        let v1 = profile.operatorObject(KubernetesObjectMetadata(name: "web")).renderedYAML()
        let v1beta1 = profile.operatorObject(KubernetesObjectMetadata(name: "web"), api: .v1beta1).renderedYAML()
        #expect(
            v1beta1 == v1.replacingOccurrences(of: "x-k8s.io/v1\n", with: "x-k8s.io/v1beta1\n"),
            "only the apiVersion differs without a namespace")
    }

    /// Since 1.0 the resource is cluster-scoped: a namespace is an error, and the object left
    /// without one; the node path follows the scope.
    @Test func v1ObjectsAreClusterScoped() throws {
        let profile = try argumentsProfile()
        let errors = profile.operatorObjectErrors(Self.webInApps)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("cluster-scoped") == true, "\(errors)")
        #expect(profile.operatorObject(Self.webInApps)[member: "metadata"] == .makeObject([("name", .string("web"))]))
        #expect(SeccompProfile.OperatorAPI.v1.localhostProfile(Self.webInApps) == "operator/web.json")
        #expect(SeccompProfile.OperatorAPI.v1beta1.localhostProfile(Self.webInApps) == "operator/apps/web.json")
        #expect(
            SeccompProfile.OperatorAPI.v1beta1.localhostProfile(KubernetesObjectMetadata(name: "web"))
                == "operator/web.json")
    }

    /// The object holds the OCI profile rule for rule: same default action, architectures, names,
    /// errnos and conditions, in the same order.
    @Test func seccompProfileObjectHoldsEveryRuleOfTheOCIProfile() throws {
        var profile = try argumentsProfile()
        profile.syscalls.append(.init(names: ["clone3"], action: .errno, errnoRet: 38))
        let object = profile.operatorObject(KubernetesObjectMetadata(name: "web"))
        let spec = try #require(object[member: "spec"])
        #expect(object[member: "metadata"] == .makeObject([("name", .string("web"))]), "no namespace unless given")
        #expect(spec[member: "defaultAction"] == .string("SCMP_ACT_ERRNO"))
        #expect(spec[member: "defaultErrnoRet"] == nil, "the resource has no such field")
        #expect(spec[member: "architectures"] == .makeArray([.string("SCMP_ARCH_X86_64")]))
        guard case .array(let rules)? = spec[member: "syscalls"] else {
            Issue.record("syscalls is not a list")
            return
        }
        #expect(rules.count == profile.syscalls.count)
        for (rule, node) in zip(profile.syscalls, rules) {
            #expect(node.value[member: "action"] == .string(rule.action.rawValue))
            #expect(node.value[member: "names"] == .makeArray(rule.names.map { .string($0) }))
            #expect(node.value[member: "errnoRet"] == rule.errnoRet.map { .integer($0) })
            #expect((node.value[member: "args"] == nil) == rule.args.isEmpty)
        }
    }

    @Test func defaultErrnoOtherThanEPERMCannotBeWritten() throws {
        var profile = try argumentsProfile()
        profile.defaultErrnoRet = 38
        let errors = profile.operatorObjectErrors(Self.web)
        #expect(errors.count == 1)
        #expect(errors.first?.message.contains("no defaultErrnoRet") == true, "\(errors)")
        #expect(errors.allSatisfy { $0.severity == .error && $0.id == "kubernetes.inexpressible" })
    }

    @Test func architecturesTheOperatorDoesNotKnowCannotBeWritten() throws {
        var profile = try argumentsProfile()
        profile.architectures = [.x86_64, .loongarch64]
        let errors = profile.operatorObjectErrors(Self.web)
        #expect(errors.map(\.message).joined().contains("SCMP_ARCH_LOONGARCH64"), "\(errors)")
        profile.architectures = Architecture.all.filter { $0 != .loongarch64 }
        #expect(profile.operatorObjectErrors(Self.web).isEmpty, "every other ABI cinch knows is in the enum")
    }

    @Test func valuesAboveInt64AndTooManyConditionsCannotBeWritten() throws {
        var profile = try argumentsProfile()
        profile.syscalls.append(
            .init(names: ["ioctl"], action: .allow, args: [.init(index: 1, value: .max, op: .equal)]))
        profile.syscalls.append(
            .init(
                names: ["mmap"], action: .allow,
                args: (0..<7).map { .init(index: UInt32($0 % 6), value: 1, op: .equal) }))
        let messages = profile.operatorObjectErrors(Self.web).map(\.message)
        #expect(messages.count == 2, "\(messages)")
        #expect(messages.contains { $0.contains("ioctl") && $0.contains("int64") })
        #expect(messages.contains { $0.contains("mmap") && $0.contains("at most 6") })
    }

    @Test func dockerOnlyPartsCannotBeWritten() throws {
        var profile = try argumentsProfile()
        profile.archMap = [.init(architecture: .x86_64, subArchitectures: [.x86])]
        profile.syscalls[0].includes = .init(caps: ["CAP_SYS_ADMIN"])
        let messages = profile.operatorObjectErrors(Self.web).map(\.message)
        #expect(messages.count == 2, "\(messages)")
    }

    @Test func invalidNamesAreErrorsToo() throws {
        let profile = try argumentsProfile()
        let errors = profile.operatorObjectErrors(
            KubernetesObjectMetadata(name: "Web\nkind: Secret", namespace: "a.b"), api: .v1beta1)
        #expect(errors.count == 2, "\(errors)")
        #expect(errors.allSatisfy { !$0.message.contains("\n") })
    }

    // MARK: - securityContext

    @Test func securityContextMatchesItsGolden() throws {
        let generated = SecurityContextGenerator.generate(
            Self.capabilityInputs,
            options: .init(seccompProfile: "operator/apps/web.json", appArmorProfile: "cinch-web"))
        let context = try #require(generated.output, "\(generated.diagnostics)")
        expectMatchesGolden(context.rendered(), "security-context.yaml")
    }

    /// Without profiles the securityContext is what `generate capabilities --format kubernetes`
    /// writes, so the two commands never disagree about the capabilities.
    @Test func withoutProfilesItIsTheKubernetesCapabilityFormat() throws {
        let generated = SecurityContextGenerator.generate(Self.capabilityInputs, options: .init())
        let context = try #require(generated.output)
        #expect(context.rendered() == context.capabilities.rendered(as: .kubernetes))
        expectMatchesGolden(context.rendered(), "capabilities-kubernetes.yaml")
    }

    @Test func leavesOutAddAndPrivilegeEscalationWithoutEvidence() throws {
        let trace = CapabilityProfileGeneratorTests.observedTrace([], noNewPrivileges: nil)
        let generated = SecurityContextGenerator.generate([.init(file: "idle.json", trace: trace)], options: .init())
        let context = try #require(generated.output)
        #expect(context.rendered() == "securityContext:\n  capabilities:\n    drop:\n      - ALL\n")
    }

    @Test func takesTheCapabilitiesOfAListFile() throws {
        let list = try CapabilityList(bytes: Array("CAP_NET_RAW\nchown\n".utf8), file: "caps.txt")
        let generated = SecurityContextGenerator.generate(
            list: list, file: "caps.txt", options: .init(seccompProfile: "profiles/app.json"))
        let context = try #require(generated.output)
        let expected = """
            securityContext:
              capabilities:
                drop:
                  - ALL
                add:
                  - CHOWN
                  - NET_RAW
              seccompProfile:
                type: Localhost
                localhostProfile: profiles/app.json

            """
        #expect(context.rendered() == expected)
    }

    @Test func refusesAListWithUnknownCapabilities() throws {
        let list = try CapabilityList(bytes: Array("CAP_CHOWN CAP_MADE_UP\n".utf8), file: "caps.txt")
        let generated = SecurityContextGenerator.generate(list: list, file: "caps.txt", options: .init())
        #expect(generated.output == nil)
        #expect(generated.diagnostics.map(\.id) == ["capabilities.unknown-name"])
        #expect(generated.diagnostics.first?.message.contains("CAP_MADE_UP") == true)
    }

    @Test func refusesTracesThatDidNotObserveCapabilities() {
        let trace = Trace(source: .init(kind: "ptrace"), capabilities: [], observed: [])
        let generated = SecurityContextGenerator.generate([.init(file: "t.json", trace: trace)], options: .init())
        #expect(generated.output == nil)
        #expect(generated.diagnostics.map(\.id).contains("capabilities.not-observed"))
    }

    @Test(arguments: [
        ("profiles/app.json", true), ("operator/apps/web.json", true), ("app.json", true), ("a b/c.json", true),
        ("/var/lib/kubelet/seccomp/app.json", false), ("../app.json", false), ("profiles/../../etc/x", false),
        ("profiles//app.json", false), ("profiles/", false), ("./app.json", false), ("", false),
        ("app.json\nkind: Secret", false), ("app\u{85}.json", false),
    ])
    func seccompProfilePathsAreRelativeAndPlain(path: String, valid: Bool) {
        #expect(KubernetesSecurityContext.isLocalhostProfilePath(path) == valid)
        #expect(SecurityContextGenerator.Options(seccompProfile: path).problems.isEmpty == valid)
    }

    @Test(arguments: [
        ("cinch-web", true), ("docker-default", true), ("k8s.app_1", true), ("", false), ("-web", false),
        ("a b", false), ("web\nkind: Secret", false), ("web:x", false), (String(repeating: "a", count: 129), false),
    ])
    func appArmorProfileNamesArePlain(name: String, valid: Bool) {
        let problems = SecurityContextGenerator.Options(appArmorProfile: name).problems
        #expect(problems.isEmpty == valid)
        #expect(problems.allSatisfy { !$0.contains("\n") })
    }

    @Test func unusableOptionsGiveNoOutput() {
        let generated = SecurityContextGenerator.generate(
            Self.capabilityInputs, options: .init(seccompProfile: "/abs.json", appArmorProfile: "a b"))
        #expect(generated.output == nil)
        #expect(generated.diagnostics.filter { $0.id == "kubernetes.invalid-option" }.count == 2)
    }

    /// The capability list readers (`diff`, `verify --caps-file`, `--capabilities`) read a
    /// securityContext back, profiles and all.
    @Test func aSecurityContextReadsBackAsItsCapabilityList() throws {
        let generated = SecurityContextGenerator.generate(
            Self.capabilityInputs,
            options: .init(seccompProfile: "operator/apps/web.json", appArmorProfile: "cinch-web"))
        let context = try #require(generated.output)
        let read = try CapabilityList(bytes: Array(context.rendered().utf8), file: "sc.yaml")
        #expect(read == context.capabilities)
    }

    // MARK: - An independent reader

    @Test(.enabled(if: TestEnvironment.available(PythonYAML.isAvailable), "needs python3 with yaml (python3-yaml)"))
    func pyYAMLReadsBothObjects() throws {
        let object = try #require(
            try PythonYAML.load(try argumentsProfile().operatorObject(Self.webInApps, api: .v1beta1).renderedYAML())
                as? [String: Any])
        #expect(Set(object.keys) == ["apiVersion", "kind", "metadata", "spec"])
        #expect(object["apiVersion"] as? String == "security-profiles-operator.x-k8s.io/v1beta1")
        #expect(object["kind"] as? String == "SeccompProfile")
        #expect(object["metadata"] as? [String: String] == ["name": "web", "namespace": "apps"])
        let spec = try #require(object["spec"] as? [String: Any])
        #expect(Set(spec.keys) == ["defaultAction", "architectures", "syscalls"])
        #expect(spec["architectures"] as? [String] == ["SCMP_ARCH_X86_64"])
        let rules = try #require(spec["syscalls"] as? [[String: Any]])
        #expect(rules.count == 7)
        #expect((rules[0]["names"] as? [String])?.contains("accept4") == true)
        let clone = try #require((rules[1]["args"] as? [[String: Any]])?.first)
        #expect(clone["value"] as? Int == 2_114_060_288)
        #expect(clone["op"] as? String == "SCMP_CMP_MASKED_EQ")

        let context = try #require(
            SecurityContextGenerator.generate(
                Self.capabilityInputs,
                options: .init(seccompProfile: "operator/apps/web.json", appArmorProfile: "cinch-web")
            ).output)
        let read = try #require(try PythonYAML.load(context.rendered()) as? [String: [String: Any]])
        let securityContext = try #require(read["securityContext"])
        #expect(
            Set(securityContext.keys) == [
                "allowPrivilegeEscalation", "capabilities", "seccompProfile", "appArmorProfile",
            ])
        #expect(securityContext["allowPrivilegeEscalation"] as? Bool == false)
        #expect(
            securityContext["capabilities"] as? [String: [String]] == [
                "drop": ["ALL"], "add": ["CHOWN", "NET_BIND_SERVICE", "SYS_PTRACE"],
            ])
        #expect(
            securityContext["seccompProfile"] as? [String: String] == [
                "type": "Localhost", "localhostProfile": "operator/apps/web.json",
            ])
        #expect(
            securityContext["appArmorProfile"] as? [String: String] == [
                "type": "Localhost", "localhostProfile": "cinch-web",
            ])
    }
}
