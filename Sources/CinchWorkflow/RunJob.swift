// SPDX-License-Identifier: Apache-2.0
// `cinch run`: run a command under a seccomp profile and/or an AppArmor profile's file rules
// enforced with Landlock, both applied in the child right before execve.

internal import CinchAudit
public import CinchLinux
public import CinchModel
internal import CinchSeccomp

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
