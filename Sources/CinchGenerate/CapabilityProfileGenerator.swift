// SPDX-License-Identifier: Apache-2.0
// Turns traces into a capability drop list (`--cap-drop=ALL --cap-add=…`) in five deployable formats.

public import CinchModel

/// Generates least-privilege capability lists from traces.
///
/// The list is the union of the capabilities the traces observed the workload use; everything
/// else is dropped. A trace counts only when it says it watched capability checks (`observed`
/// has `capabilities`): without that, an empty list would mean "nobody looked", not "none
/// needed", so such a trace is refused with an error naming its file.
///
/// Trace files are hostile input. Every name must be one of ``CapabilityList/all`` in its exact
/// OCI spelling; any other string is an error and no list is produced, so nothing a trace holds
/// can reach the YAML, JSON or command-line flags the renderers write. Output is deterministic:
/// names are sorted and there are no timestamps.
public enum CapabilityProfileGenerator {
    /// How the list is written (``CapabilityList/Format``).
    public typealias Format = CapabilityList.Format

    /// A trace and the file it was read from (the generators' common ``TraceInput``).
    public typealias Input = TraceInput

    /// The generated list: ``CapabilityList``, whose names are all known capabilities.
    public typealias Profile = CapabilityList

    /// The generated list, and what the user should know about it.
    public struct Result: Sendable {
        /// The list; nil when any diagnostic is an error (then nothing should be written).
        public var profile: Profile?
        /// Errors (refused traces, unknown names), warnings (incomplete traces) and notes
        /// (how the list compares with Docker's default set).
        public var diagnostics: [Diagnostic]
    }

    /// Unknown names reported per trace before the rest are only counted.
    static let reportedUnknownNames = 10

    /// Generates the union of the capabilities `traces` observed.
    ///
    /// - Parameters:
    ///   - traces: at least one trace, each with the file it came from.
    ///   - format: the format the list will be written in; only the notes depend on it.
    /// - Returns: a result without a profile when a trace did not observe capabilities, names
    ///   something that is not a Linux capability, or no trace was given. An observed, empty set
    ///   is not an error: the workload needs no capability.
    public static func generate(from traces: [Input], format: Format = .text) -> Result {
        guard !traces.isEmpty else {
            return Result(
                profile: nil, diagnostics: [Diagnostic(.error, id: "capabilities.no-trace", "No trace was given.")])
        }
        var diagnostics: [Diagnostic] = []
        var names = Set<String>()
        var evidence: [String: Trace.CapabilityEvidence] = [:]
        for input in traces {
            let trace = input.trace
            guard trace.observed.contains(.capabilities) else {
                diagnostics.append(
                    Diagnostic(
                        .error, id: "capabilities.not-observed",
                        "The trace does not say it observed capabilities (its \"observed\" list lacks \"capabilities\"), so its capability list may be empty or partial only because nobody looked. Make a trace that observes them: `cinch record --capabilities -- CMD` watches the capability checks a command makes after the exec boundary (on by default with --bundle), and `cinch audit ingest` reads them from a log with AppArmor complain-mode \"capable\" records.",
                        at: ProfileLocation(file: input.file, jsonPath: "$.observed")))
                continue
            }
            let unknown = trace.capabilities.filter { !CapabilityList.isKnown($0) }.sorted()
            for name in unknown.prefix(reportedUnknownNames) {
                diagnostics.append(
                    Diagnostic(
                        .error, id: "capabilities.unknown-name",
                        "The trace names the capability \(SeccompProfileGenerator.escaped(name)), which is not a Linux capability (cinch knows the \(CapabilityList.all.count) from CAP_CHOWN to CAP_CHECKPOINT_RESTORE, spelled in upper case with CAP_).",
                        at: ProfileLocation(file: input.file, jsonPath: "$.capabilities")))
            }
            if unknown.count > reportedUnknownNames {
                diagnostics.append(
                    Diagnostic(
                        .error, id: "capabilities.unknown-name",
                        "The trace names \(unknown.count - reportedUnknownNames) more strings that are not Linux capabilities.",
                        at: ProfileLocation(file: input.file, jsonPath: "$.capabilities")))
            }
            if !trace.isComplete {
                let reasons = trace.incompleteReasons.joined(separator: " ")
                diagnostics.append(
                    Diagnostic(
                        .warning, id: "capabilities.incomplete-trace",
                        "The trace is incomplete, so the list may miss capabilities. \(reasons)",
                        at: ProfileLocation(file: input.file)))
            }
            names.formUnion(trace.capabilities)
            evidence.merge(trace.capabilityEvidence) { $0.union($1) }
        }
        guard !diagnostics.contains(where: { $0.severity == .error }) else {
            return Result(profile: nil, diagnostics: diagnostics)
        }
        let ranWithNoNewPrivileges = traces.allSatisfy { $0.trace.source.noNewPrivileges == true }
        guard let profile = CapabilityList(known: names, ranWithNoNewPrivileges: ranWithNoNewPrivileges) else {
            preconditionFailure("every name was checked against CapabilityList.all above")
        }
        diagnostics += notes(for: profile, format: format)
        diagnostics += evidenceNotes(for: profile, evidence: evidence)
        return Result(profile: profile, diagnostics: diagnostics)
    }

    // MARK: - Notes

    /// Why each capability is in the list, for the ones the traces say: the syscalls its granted
    /// checks were made in.
    static func evidenceNotes(for profile: Profile, evidence: [String: Trace.CapabilityEvidence]) -> [Diagnostic] {
        profile.capabilities.compactMap { name in
            guard let syscalls = evidence[name]?.syscalls, !syscalls.isEmpty else { return nil }
            return Diagnostic(
                .note, id: "capabilities.evidence",
                "\(name) was granted during \(syscalls.sorted().joined(separator: ", ")); granted is not always needed: `cinch minimize` proves which are."
            )
        }
    }

    /// How the list compares with Docker's default set, and what the Kubernetes format decided.
    static func notes(for profile: Profile, format: Format) -> [Diagnostic] {
        var notes: [Diagnostic] = []
        let dockerDefault = Set(SeccompTarget.dockerDefaultCapabilities.map { "CAP_" + $0 })
        if profile.capabilities.isEmpty {
            notes.append(
                Diagnostic(
                    .note, id: "capabilities.none-needed",
                    "The traces observed no capability use: the workload can run with every capability dropped."))
        }
        for name in profile.capabilities {
            if dockerDefault.contains(name) {
                notes.append(
                    Diagnostic(.note, id: "capabilities.in-docker-default", "\(name) is in Docker's default set."))
            } else {
                notes.append(
                    Diagnostic(
                        .note, id: "capabilities.beyond-docker-default",
                        "\(name) is not in Docker's default set: the list grants more than `docker run` does without --cap-add."
                    ))
            }
        }
        let dropped = dockerDefault.subtracting(profile.capabilities).sorted()
        if !dropped.isEmpty {
            notes.append(
                Diagnostic(
                    .note, id: "capabilities.dropped-docker-default",
                    "The list drops \(dropped.count) of Docker's \(dockerDefault.count) default capabilities: \(dropped.joined(separator: ", "))."
                ))
        }
        if format == .kubernetes {
            let message: String
            if profile.deniesPrivilegeEscalation {
                message =
                    "Every trace ran with no_new_privs set, so the securityContext sets allowPrivilegeEscalation: false, which sets it for the container too."
            } else if profile.ranWithNoNewPrivileges {
                message =
                    "allowPrivilegeEscalation: false was left out: Kubernetes treats it as true for a container with SYS_ADMIN (and its API rejects the pair when the name is spelled CAP_SYS_ADMIN)."
            } else {
                message =
                    "allowPrivilegeEscalation: false was left out: not every trace ran with no_new_privs, so the workload may rely on gaining privileges through setuid or file-capability executables. Record the container with process.noNewPrivileges: true to find out."
            }
            notes.append(Diagnostic(.note, id: "capabilities.privilege-escalation", message))
        }
        return notes
    }
}
