// SPDX-License-Identifier: Apache-2.0
// A seccomp profile as a security-profiles-operator `SeccompProfile` object (Kubernetes YAML).

extension SeccompProfile {
    /// The version of the security-profiles-operator's `SeccompProfile` resource an object is
    /// written for.
    public enum OperatorAPI: String, Sendable, CaseIterable {
        /// `v1`, security-profiles-operator 1.0 and later. The resource is cluster-scoped: the
        /// object has no namespace, and each node keeps the profile at `operator/NAME.json`.
        case v1
        /// `v1beta1`, the namespaced resource of releases before 1.0, whose nodes keep the profile
        /// at `operator/NAMESPACE/NAME.json`. (1.0 still serves this version, but as a
        /// cluster-scoped object: it drops the namespace, and the path has none.)
        case v1beta1

        /// The object's `apiVersion`.
        public var apiVersion: String { "security-profiles-operator.x-k8s.io/\(rawValue)" }

        /// Whether the resource lives in a namespace.
        public var isNamespaced: Bool { self == .v1beta1 }

        /// The `localhostProfile` a pod names the reconciled profile by, relative to the kubelet's
        /// seccomp directory: `operator/[NAMESPACE/]NAME.json`.
        public func localhostProfile(_ metadata: KubernetesObjectMetadata) -> String {
            let namespace = isNamespaced ? metadata.namespace.map { $0 + "/" } ?? "" : ""
            return "operator/\(namespace)\(metadata.name).json"
        }
    }

    /// The `kind` of the security-profiles-operator resource.
    public static let operatorKind = "SeccompProfile"

    /// The architectures the operator's resource accepts (its `spec.architectures` enumeration).
    ///
    /// Every ABI cinch knows except `SCMP_ARCH_LOONGARCH64` is in it.
    public static let operatorArchitectures: Set<String> = [
        "SCMP_ARCH_NATIVE", "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
        "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",
        "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC", "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE",
        "SCMP_ARCH_S390", "SCMP_ARCH_S390X", "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",
    ]

    /// The seccomp filter flags the operator's resource accepts (its `spec.flags` enumeration).
    public static let operatorFlags: Set<String> = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ]

    /// The most argument conditions one rule of the operator's resource may hold.
    public static let operatorArgumentLimit = 6

    /// What a security-profiles-operator `SeccompProfile` object cannot hold of this profile, as
    /// errors; empty when ``operatorObject(_:)`` expresses it exactly.
    ///
    /// The resource mirrors the OCI form, with these differences, each an error here because the
    /// object would not enforce the same filter or the API server would reject it:
    /// - It has no `defaultErrnoRet`, and the runtime then answers a denied call with EPERM, so
    ///   a profile whose default errno is another value (ENOSYS) cannot be written.
    /// - `architectures` is an enumeration that lacks `SCMP_ARCH_LOONGARCH64`, and `flags` one of
    ///   four filter flags.
    /// - Argument values are signed 64-bit integers (the schema's `int64`), so a value or
    ///   `valueTwo` above 2⁶³ − 1 cannot be written, and a rule holds at most six conditions.
    /// - Docker-only parts have no field: `archMap`, and rules' `includes` and `excludes`.
    ///   Rule comments are dropped without a finding; they change nothing the filter does.
    ///
    /// - Parameters:
    ///   - metadata: the object's name and namespace, checked too; `v1` objects have no namespace.
    ///   - api: the version of the resource.
    public func operatorObjectErrors(_ metadata: KubernetesObjectMetadata, api: OperatorAPI = .v1) -> [Diagnostic] {
        var messages = metadata.problems
        if let namespace = metadata.namespace, !api.isNamespaced {
            messages.append(Self.clusterScopedProblem(namespace: namespace))
        }
        if defaultAction == .errno, let errno = defaultErrnoRet, errno != 1 {
            messages.append(
                "A SeccompProfile object has no defaultErrnoRet, so denied syscalls fail with EPERM; this profile's default errno is \(errno). Generate it with --default-errno EPERM."
            )
        }
        if !archMap.isEmpty {
            messages.append(
                "A SeccompProfile object lists architectures, not a Docker archMap; convert the profile from its OCI form."
            )
        }
        for architecture in architectures where !Self.operatorArchitectures.contains(architecture.scmpName) {
            messages.append(
                "The security-profiles-operator does not accept the architecture \(architecture.scmpName); leave it out with --arch."
            )
        }
        for flag in flags where !Self.operatorFlags.contains(flag) {
            messages.append("The security-profiles-operator does not accept the seccomp flag \(flag).")
        }
        let signedLimit = UInt64(Int64.max)
        for (index, rule) in syscalls.enumerated() {
            let names = rule.names.joined(separator: ", ")
            if rule.args.count > Self.operatorArgumentLimit {
                messages.append(
                    "Rule \(index) (\(names)) has \(rule.args.count) argument conditions; a SeccompProfile object allows at most \(Self.operatorArgumentLimit)."
                )
            }
            if rule.args.contains(where: { $0.value > signedLimit || $0.valueTwo > signedLimit }) {
                messages.append(
                    "Rule \(index) (\(names)) compares an argument with a value above \(signedLimit), which a SeccompProfile object cannot hold (its values are int64)."
                )
            }
            if rule.includes?.isEmpty == false || rule.excludes?.isEmpty == false {
                messages.append(
                    "Rule \(index) (\(names)) applies only under Docker's includes/excludes conditions, which a SeccompProfile object cannot express."
                )
            }
        }
        return messages.map { Diagnostic(.error, id: "kubernetes.inexpressible", $0) }
    }

    /// The profile as a security-profiles-operator `SeccompProfile` object; render it with
    /// ``JSONValue/renderedYAML()``.
    ///
    /// The members are in a fixed order: `apiVersion`, `kind`, `metadata` (`name`, and
    /// `namespace` when given and the API is namespaced) and `spec`. The spec has `defaultAction`, `architectures` (when not empty),
    /// `flags`, `listenerPath` and `listenerMetadata` (when set) and `syscalls`; each rule has
    /// `action`, `names`, and `errnoRet` and `args` when set (`index`, `value`, `valueTwo`,
    /// `op`). A default errno of EPERM is left out, as the resource has no field for it and
    /// EPERM is what the runtime uses, and so is `spec.disabled`, which the API server defaults to
    /// false. Check the profile with ``operatorObjectErrors(_:)`` first: this writes what it can
    /// and leaves out what the object cannot hold.
    ///
    /// - Parameters:
    ///   - metadata: the object's name, and its namespace for `v1beta1`.
    ///   - api: the version of the resource (the `apiVersion`).
    public func operatorObject(_ metadata: KubernetesObjectMetadata, api: OperatorAPI = .v1) -> JSONValue {
        var spec: [(String, JSONValue)] = [("defaultAction", .string(defaultAction.rawValue))]
        if !architectures.isEmpty {
            spec.append(("architectures", .makeArray(architectures.map { .string($0.scmpName) })))
        }
        if !flags.isEmpty { spec.append(("flags", .makeArray(flags.map { .string($0) }))) }
        if let listenerPath, !listenerPath.isEmpty { spec.append(("listenerPath", .string(listenerPath))) }
        if let listenerMetadata, !listenerMetadata.isEmpty {
            spec.append(("listenerMetadata", .string(listenerMetadata)))
        }
        spec.append(("syscalls", .makeArray(syscalls.map(Self.operatorRule))))
        return .makeObject([
            ("apiVersion", .string(api.apiVersion)),
            ("kind", .string(Self.operatorKind)),
            ("metadata", (api.isNamespaced ? metadata : KubernetesObjectMetadata(name: metadata.name)).jsonValue()),
            ("spec", .makeObject(spec)),
        ])
    }

    /// Why a `v1` object cannot be given `namespace`.
    public static func clusterScopedProblem(namespace: String) -> String {
        "A SeccompProfile is cluster-scoped since security-profiles-operator 1.0 (API v1), so it cannot be put in the namespace \(namespace): leave the namespace out, or write the namespaced object of older operators with the v1beta1 API."
    }

    private static func operatorRule(_ rule: Rule) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("action", .string(rule.action.rawValue)),
            ("names", .makeArray(rule.names.map { .string($0) })),
        ]
        if let errnoRet = rule.errnoRet { members.append(("errnoRet", .integer(errnoRet))) }
        if !rule.args.isEmpty {
            members.append(
                (
                    "args",
                    .makeArray(
                        rule.args.map { condition in
                            .makeObject([
                                ("index", .integer(condition.index)),
                                ("value", .integer(condition.value)),
                                ("valueTwo", .integer(condition.valueTwo)),
                                ("op", .string(condition.op.rawValue)),
                            ])
                        })
                ))
        }
        return .makeObject(members)
    }
}
