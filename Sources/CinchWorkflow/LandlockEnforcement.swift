// SPDX-License-Identifier: Apache-2.0
// Proving an AppArmor profile's file rules with Landlock: load and translate the profile, find
// the helper, and name what Landlock denied from the audit log.

internal import CinchAudit
internal import CinchLinux
public import CinchModel

/// What `cinch run --apparmor` and `cinch verify --apparmor` share.
public enum LandlockEnforcement {
    /// The profile, translated: the ruleset and the notes on what it cannot enforce exactly.
    public struct Plan: Sendable {
        /// The ruleset.
        public var ruleset: LandlockRuleset
        /// Notes: that AppArmor itself is not used, then the translation's notes.
        public var notes: [Diagnostic]
    }

    /// Reads and translates an AppArmor profile.
    /// - Throws: ``InputError`` naming the file (and line) when it cannot be read or parsed.
    public static func plan(profile path: String) throws(InputError) -> Plan {
        let profile = try AppArmorProfile(bytes: FileIO.read(path), file: path)
        let translation = LandlockRuleset.translating(profile, file: path)
        return Plan(ruleset: translation.ruleset, notes: [availabilityNote(file: path)] + translation.notes)
    }

    /// Whether this kernel runs the AppArmor LSM (securityfs shows `apparmor`).
    public static var hostHasAppArmor: Bool { System.isDirectory("/sys/kernel/security/apparmor") }

    /// The note saying that AppArmor is not what enforces the profile here.
    static func availabilityNote(file: String) -> Diagnostic {
        let message =
            hostHasAppArmor
            ? "AppArmor is enabled on this host, but cinch enforces the profile's file rules with Landlock, not by loading it; AppArmor itself would enforce it more exactly."
            : "AppArmor is not available on this kernel, so the profile cannot be loaded; its file rules (and TCP, when it allows none) are enforced with Landlock instead."
        return Diagnostic(.note, id: "landlock.instead-of-apparmor", message, at: ProfileLocation(file: file))
    }

    /// The `cinch-landlock` helper: `$CINCH_LANDLOCK_HELPER`, else next to the running cinch.
    public static var helperPath: String? {
        if let path = System.environment("CINCH_LANDLOCK_HELPER") { return path }
        guard let me = Spawn.executable(of: System.processID), let slash = me.lastIndex(of: "/") else { return nil }
        return String(me[..<slash]) + "/cinch-landlock"
    }

    /// How long to wait for auditd after a run that failed, and after one that succeeded (whose
    /// denials, if any, are written as quickly; only their absence cannot be waited for).
    static let patienceAfterFailure = 3.0
    static let patienceAfterSuccess = 0.5

    /// The audit log's size now, to read only what a run adds; nil when it cannot be read.
    static func auditLogMark() -> Int? { FileIO.size(LandlockDenials.auditLogPath) }

    /// The Landlock denials of the domains `pids` created since `mark`, as `PATH (fs.RIGHT)`,
    /// or a note saying why they cannot be named.
    static func denials(since mark: Int?, pids: Set<Int32>, failed: Bool) -> (denied: [String], note: String?) {
        let log = LandlockDenials.auditLogPath
        guard let mark,
            let found = LandlockDenials.collect(
                log: log, from: mark, pids: pids, patience: failed ? patienceAfterFailure : patienceAfterSuccess)
        else {
            return ([], "\(log) cannot be read, so what Landlock denied cannot be named (set CINCH_AUDIT_LOG).")
        }
        if found.denials.isEmpty {
            return ([], failed ? "\(log) holds no Landlock denial of this run (is auditd running?)." : nil)
        }
        return (found.denials.map(\.description), nil)
    }
}
