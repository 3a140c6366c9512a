// SPDX-License-Identifier: Apache-2.0
// A Kubernetes container securityContext: a capability list plus localhost seccomp and AppArmor profiles.

/// A Kubernetes container `securityContext` that confines a workload with what cinch made for it.
///
/// It holds a capability list (drop `ALL`, add what the workload needs), and optionally the
/// localhost seccomp and AppArmor profiles to load. Paste it into a container of a Pod spec.
///
/// ## Format
/// ```yaml
/// securityContext:
///   allowPrivilegeEscalation: false      # only when the list says so (see below)
///   capabilities:
///     drop:
///       - ALL
///     add:                               # left out when nothing is added
///       - NET_BIND_SERVICE
///   seccompProfile:                      # with a seccomp profile path
///     type: Localhost
///     localhostProfile: profiles/app.json
///   appArmorProfile:                     # with an AppArmor profile name (Kubernetes 1.30+)
///     type: Localhost
///     localhostProfile: cinch-app
/// ```
///
/// Capability names are written without `CAP_`, sorted. `allowPrivilegeEscalation: false` is
/// written exactly when ``CapabilityList/deniesPrivilegeEscalation`` holds: every recording ran
/// with `no_new_privs` set, which is what the field turns on, so the workload is known to work
/// with it, and `CAP_SYS_ADMIN` is not kept (Kubernetes treats the field as true with it). A list
/// read from a file says so only when the file is a securityContext that sets the field false.
/// Without that evidence the field is left out rather than guessed. Without either profile the
/// output is byte-identical to `cinch generate capabilities --format kubernetes`.
public struct KubernetesSecurityContext: Sendable, Hashable {
    /// The capabilities to keep, and whether the recordings ran with `no_new_privs`.
    public var capabilities: CapabilityList
    /// The seccomp profile's path below the kubelet's seccomp directory
    /// (``isLocalhostProfilePath(_:)``), or nil for none.
    public var seccompProfile: String?
    /// The name of an AppArmor profile loaded on the node, or nil for none.
    public var appArmorProfile: String?

    /// Creates a securityContext; check the profile path and name first.
    public init(capabilities: CapabilityList, seccompProfile: String? = nil, appArmorProfile: String? = nil) {
        self.capabilities = capabilities
        self.seccompProfile = seccompProfile
        self.appArmorProfile = appArmorProfile
    }

    /// The `securityContext` mapping, its members in the order of the type's Format.
    public func jsonValue() -> JSONValue {
        var context: [(String, JSONValue)] = []
        if capabilities.deniesPrivilegeEscalation { context.append(("allowPrivilegeEscalation", .bool(false))) }
        var sets: [(String, JSONValue)] = [("drop", .makeArray([.string("ALL")]))]
        if !capabilities.capabilities.isEmpty {
            sets.append(("add", .makeArray(capabilities.capabilities.map { .string(CapabilityList.shortName($0)) })))
        }
        context.append(("capabilities", .makeObject(sets)))
        if let seccompProfile { context.append(("seccompProfile", Self.localhost(seccompProfile))) }
        if let appArmorProfile { context.append(("appArmorProfile", Self.localhost(appArmorProfile))) }
        return .makeObject([("securityContext", .makeObject(context))])
    }

    /// The securityContext as YAML, ending with a newline.
    public func rendered() -> String { jsonValue().renderedYAML() }

    private static func localhost(_ profile: String) -> JSONValue {
        .makeObject([("type", .string("Localhost")), ("localhostProfile", .string(profile))])
    }

    // MARK: - Checks

    /// The longest localhost profile path accepted (Linux's `PATH_MAX`).
    public static let pathLimit = 4096

    /// Whether `path` can name a seccomp profile below the kubelet's seccomp directory
    /// (`/var/lib/kubelet/seccomp`): relative, with no empty, `.` or `..` component, and no
    /// control characters (`profiles/app.json`, `operator/web/app.json`).
    public static func isLocalhostProfilePath(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= pathLimit, !path.hasPrefix("/") else { return false }
        let noControls = path.unicodeScalars.allSatisfy { $0.value >= 0x20 && !(0x7F...0x9F).contains($0.value) }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        return noControls && components.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    /// Why `path` cannot be a localhost seccomp profile, or nil when it can.
    public static func seccompProfileProblem(_ path: String) -> String? {
        guard !isLocalhostProfilePath(path) else { return nil }
        var quoted = ""
        JSONValue.writeString(path, into: &quoted)
        return
            "The seccomp profile path \(quoted) is not allowed: give it relative to the kubelet's seccomp directory (profiles/app.json), without '..', '.' or empty components and without control characters."
    }
}
