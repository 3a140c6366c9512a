// SPDX-License-Identifier: Apache-2.0
// `cinch diff`, `cinch merge` and `cinch run`: the smaller jobs, each read → model → result.

public import CinchDiff
internal import CinchGenerate
public import CinchLinux
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

/// Runs a command under a seccomp profile, an AppArmor profile enforced with Landlock, or both.
public enum RunJob {
    /// How the run ended.
    public enum Outcome: Sendable {
        /// The command ran; its status in shell form (128+N for signal N). `denied` names what
        /// Landlock denied (`/etc/hostname (fs.read_file)`), from the audit log.
        case ran(status: Int32, diagnostics: [Diagnostic], denied: [String])
        /// The profile cannot be read or parsed.
        case unreadableProfile(InputError)
        /// The profile does not compile (the diagnostics say why).
        case unusableProfile(diagnostics: [Diagnostic])
        /// Landlock is unavailable or rejected the ruleset.
        case cannotEnforce(String)
        /// The command could not be started; `denied` names what Landlock denied (its program or
        /// dynamic loader, when the profile does not allow executing it).
        case cannotStart(SpawnError, denied: [String])
    }

    /// Compiles `profile` and translates `apparmor` to a Landlock ruleset, applies both in a child
    /// right before `execve` of `command` (Landlock first), forwards SIGINT/SIGTERM/SIGHUP to it
    /// and waits for it. With `apparmor`, the Landlock denials of the run are named from the audit log.
    ///
    /// - Parameter noNewPrivileges: set `no_new_privs` even when cinch has `CAP_SYS_ADMIN`
    ///   (without it the kernel requires `no_new_privs` to install a filter or a Landlock ruleset).
    public static func run(
        profile path: String?, apparmor: String? = nil, command: [String], noNewPrivileges: Bool
    ) -> Outcome {
        var findings: [Diagnostic] = []
        var bpf: [UInt8]?
        if let path {
            let profile: SeccompProfile
            do {
                profile = try SeccompProfile.load(path: path)
            } catch {
                return .unreadableProfile(error)
            }
            let compilation = SeccompProfileCompiler.compile(profile, file: path)
            findings = compilation.diagnostics.filter { $0.severity != .note }
            guard !findings.contains(where: { $0.severity == .error }), let program = compilation.bpf else {
                return .unusableProfile(diagnostics: findings)
            }
            bpf = program
        }
        var landlock: PreparedLandlockRuleset?
        if let apparmor {
            let plan: LandlockEnforcement.Plan
            do {
                plan = try LandlockEnforcement.plan(profile: apparmor)
            } catch {
                return .unreadableProfile(error)
            }
            findings += plan.notes
            do {
                // Opened here, in cinch: the paths are the host's, as the command will see them.
                landlock = try Landlock.prepare(plan.ruleset)
            } catch {
                return .cannotEnforce(error.message)
            }
            findings += (landlock?.notes ?? []).map {
                Diagnostic(.note, id: "landlock.not-enforced", $0, at: ProfileLocation(file: apparmor))
            }
        }
        let mark = landlock != nil ? LandlockEnforcement.auditLogMark() : nil
        let child: SpawnedChild
        do {
            child = try Spawn.spawn(
                command, filter: bpf, traced: false, noNewPrivileges: noNewPrivileges || !Spawn.hasSysAdmin,
                landlock: landlock)
        } catch {
            var denied: [String] = []
            if let landlock, let pid = error.pid, Landlock.logsDenials(abi: landlock.abi) {
                denied = LandlockEnforcement.denials(since: mark, pids: [pid], failed: true).denied
            }
            return .cannotStart(error, denied: denied)
        }
        Signals.forward(to: child.pid)
        let status = (try? Spawn.wait(for: child.pid))?.shellStatus ?? 128 + 9
        Signals.stopForwarding()
        var denied: [String] = []
        if let apparmor, let landlock, Landlock.logsDenials(abi: landlock.abi) {
            let found = LandlockEnforcement.denials(since: mark, pids: [child.pid], failed: status != 0)
            denied = found.denied
            if let note = found.note {
                findings.append(Diagnostic(.note, id: "landlock.denials", note, at: ProfileLocation(file: apparmor)))
            }
        }
        return .ran(status: status, diagnostics: findings, denied: denied)
    }
}
