// SPDX-License-Identifier: Apache-2.0
// `cinch diff` and `cinch merge`: the smaller jobs, each read → model → result.

public import CinchDiff
internal import CinchGenerate
internal import CinchLinux
public import CinchModel
internal import CinchSeccomp

/// Compares two profiles of the same kind by meaning.
public enum DiffJob {
    /// How the comparison ended.
    public enum Outcome: Sendable {
        /// The semantic difference from the first file to the second.
        case compared(ProfileDiff)
        /// A file cannot be read or parsed.
        case unusable(InputError)
        /// The files are of different kinds; the names say which (`a seccomp profile`).
        case differentKinds(String, String)
    }

    /// Reads `old` and `new` (see ``DiffInput/load(_:)``) and compares them; seccomp profiles are
    /// resolved for `target` and names checked against libseccomp.
    public static func run(old: String, new: String, target: SeccompTarget) -> Outcome {
        let before: DiffInput
        let after: DiffInput
        do {
            before = try DiffInput.load(old)
            after = try DiffInput.load(new)
        } catch {
            return .unusable(error)
        }
        switch (before, after) {
        case let (.seccomp(a), .seccomp(b)):
            return .compared(
                ProfileDiff.seccomp(
                    old: a, new: b, oldName: old, newName: new, target: target,
                    isPresent: ProfileDiff.libseccompPresence))
        case let (.capabilities(a), .capabilities(b)):
            return .compared(ProfileDiff.capabilities(old: a, new: b, oldName: old, newName: new))
        case let (.apparmor(a), .apparmor(b)):
            return .compared(ProfileDiff.apparmor(old: a, new: b, oldName: old, newName: new))
        default:
            return .differentKinds(before.kindName, after.kindName)
        }
    }
}

extension DiffInput {
    /// `a seccomp profile`, `a capability list` or `an AppArmor profile`.
    public var kindName: String {
        switch self {
        case .seccomp: "a seccomp profile"
        case .capabilities: "a capability list"
        case .apparmor: "an AppArmor profile"
        }
    }
}

/// Merges traces or seccomp profiles and writes the result.
public enum MergeJob {
    /// How a merge ended.
    public enum Outcome<Merged: Sendable>: Sendable {
        /// The merge was written; the findings are notes and warnings.
        case written(Merged, diagnostics: [Diagnostic])
        /// An input cannot be read or parsed.
        case unusable(InputError)
        /// The inputs conflict (or there are none); nothing was written.
        case refused(diagnostics: [Diagnostic])
        /// The merge does not pass the check every written profile passes (libseccomp cannot
        /// compile it); nothing was written.
        case invalid(diagnostics: [Diagnostic])
        /// The merge could not be written.
        case unwritable(InputError)
    }

    /// The union of `traceFiles`, with how many runs saw each syscall, written to `output`.
    public static func traces(_ traceFiles: [String], output: String) -> Outcome<TraceMerge> {
        let inputs: [TraceInput]
        do {
            inputs = try TraceInput.load(traceFiles)
        } catch {
            return .unusable(error)
        }
        guard let merge = TraceMerge(inputs.map(\.trace)) else {
            return .refused(diagnostics: [Diagnostic(.error, id: "merge.no-input", "No trace was given.")])
        }
        do {
            try FileIO.writeAtomically(merge.trace.jsonValue().rendered(), to: output)
        } catch {
            return .unwritable(error)
        }
        return .written(merge, diagnostics: [])
    }

    /// The union of the seccomp profiles in `files`, written to `output` unless they conflict.
    public static func profiles(
        _ files: [String], preference: ProfileMerge.Preference?, output: String
    ) -> Outcome<SeccompProfile> {
        var loaded: [SeccompProfile] = []
        for path in files {
            do {
                loaded.append(try SeccompProfile.load(path: path))
            } catch {
                return .unusable(error)
            }
        }
        let result = ProfileMerge.merge(loaded, files: files, preference: preference)
        guard !result.hasConflicts else { return .refused(diagnostics: result.diagnostics) }
        // The same proof as `cinch generate`: a merge never writes a profile libseccomp rejects.
        let errors = ArtifactBuilder.seccompErrors(result.profile, output: output)
        guard errors.isEmpty else { return .invalid(diagnostics: result.diagnostics + errors) }
        do {
            try FileIO.writeAtomically(result.profile.jsonValue().rendered(), to: output)
        } catch {
            return .unwritable(error)
        }
        return .written(result.profile, diagnostics: result.diagnostics)
    }
}
