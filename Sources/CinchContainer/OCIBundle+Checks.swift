// SPDX-License-Identifier: Apache-2.0
// What in a bundle's config.json (often `runc spec`'s defaults) makes a run fail or mislead,
// found before the container runs.

public import CinchModel

extension OCIBundle {
    /// What the run is for, so the checks say what matters to it.
    public struct Purpose: Sendable {
        /// The port `--wait-port` waits for, if any.
        public var waitPort: Int?
        /// Whether a host-side driver will talk to the container.
        public var hasDriver: Bool
        /// Whether the run records (`record`) rather than proves (`verify`).
        public var records: Bool
        /// Whether the run replaces the bundle's capabilities (`verify --caps`).
        public var replacesCapabilities: Bool

        /// Creates a purpose.
        public init(waitPort: Int?, hasDriver: Bool, records: Bool, replacesCapabilities: Bool = false) {
            self.waitPort = waitPort
            self.hasDriver = hasDriver
            self.records = records
            self.replacesCapabilities = replacesCapabilities
        }
    }

    /// Checks `config.json` before a run: an error for what makes the runtime fail, notes for what
    /// makes the result mislead. Each names the JSON path and what to change.
    ///
    /// - `process.terminal: true` (`runc spec`'s default): an error; cinch gives the container no
    ///   console, so the runtime refuses to create it.
    /// - A network namespace of its own, when a driver or `--wait-port` must reach the container
    ///   on the host's 127.0.0.1: a note.
    /// - `process.noNewPrivileges: true` (`runc spec`'s default): a note; Docker and podman run
    ///   with it false, and the runtime then needs more syscalls after its filter.
    /// - A bounding set without all of Docker's 14 default capabilities (`runc spec` keeps 3):
    ///   a note; the workload cannot use the others, so neither a recording nor a verify shows
    ///   whether it needs them.
    public func preflight(_ purpose: Purpose) -> [Diagnostic] {
        let file = directory + "/config.json"
        func location(_ path: String) -> ProfileLocation { ProfileLocation(file: file, jsonPath: path) }
        var findings: [Diagnostic] = []
        let process = config[member: "process"]
        if process?[member: "terminal"]?.boolValue == true {
            findings.append(
                Diagnostic(
                    .error, id: "bundle.terminal",
                    "process.terminal is true, but cinch runs the container without a terminal and the runtime refuses to create it without a console socket; set \"terminal\": false.",
                    at: location("$.process.terminal")))
        }
        if purpose.hasDriver || purpose.waitPort != nil,
            case .array(let namespaces)? = config[member: "linux"]?[member: "namespaces"]
        {
            for (index, namespace) in namespaces.enumerated()
            where namespace.value[member: "type"]?.stringValue == "network" && namespace.value[member: "path"] == nil {
                let port = purpose.waitPort.map { "--wait-port \($0)" } ?? "the driver"
                findings.append(
                    Diagnostic(
                        .note, id: "bundle.network-namespace",
                        "the container gets a network namespace of its own, so its 127.0.0.1 is not the host's and \(port) cannot reach it; remove this entry to share the host's network (docs/containers.md, \"Make a bundle from an image\").",
                        at: location("$.linux.namespaces[\(index)]")))
            }
        }
        if noNewPrivileges {
            let consequence =
                purpose.records
                ? "a profile recorded with it lacks what the runtime does after its filter without it (capset, setgroups, setuid …), so podman and Docker may not start the container under it"
                : "this run proves the profile only for runtimes started with no_new_privs"
            findings.append(
                Diagnostic(
                    .note, id: "bundle.no-new-privileges",
                    "process.noNewPrivileges is true, but Docker and podman run containers with it false (unless --security-opt no-new-privileges): \(consequence); set it to false to match them.",
                    at: location("$.process.noNewPrivileges")))
        }
        if let bounding = boundingCapabilities, !purpose.replacesCapabilities {
            let kept = Set(bounding.map(CapabilityList.shortName))
            let missing = SeccompTarget.dockerDefaultCapabilities.subtracting(kept)
            if !missing.isEmpty {
                let listed = bounding.isEmpty ? "no capabilities" : "only \(bounding.sorted().joined(separator: ", "))"
                let consequence =
                    purpose.records
                    ? "the workload can use no others, so the capability list recorded cannot show whether it needs them"
                    : "the container runs with no others, which proves nothing about the set an engine grants"
                findings.append(
                    Diagnostic(
                        .note, id: "bundle.bounding-set",
                        "process.capabilities.bounding holds \(listed) (Docker's default has \(SeccompTarget.dockerDefaultCapabilities.count)): \(consequence); list the capabilities your engine grants (bounding, effective and permitted).",
                        at: location("$.process.capabilities.bounding")))
            }
        }
        return findings
    }
}
