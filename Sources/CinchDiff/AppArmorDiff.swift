// SPDX-License-Identifier: Apache-2.0
// The semantic difference between two AppArmor profiles: added and removed rules, widened modes and globs.

public import CinchModel

extension ProfileDiff {
    /// Compares two AppArmor profiles rule by rule, by meaning rather than text.
    ///
    /// - File rules are merged per path (and `owner`), so splitting `/a r,` and `/a w,` equals
    ///   `/a rw,`. A permission of NEW is new only when no OLD rule whose glob covers the path
    ///   (``AppArmorGlob/covers(_:)``) grants it; `w` grants `a`. The same path gaining modes is
    ///   `modes-widened` (`r` → `rw`), losing them `modes-narrowed`, both `modes-changed` (a
    ///   widening). A new glob that covers OLD paths is `glob-widened` (`/etc/passwd r` →
    ///   `/etc/* r`); the reverse is `glob-narrowed`. A changed exec mode is `exec-changed`:
    ///   widening towards unconfined (`ux`) or an unscrubbed environment (`Px` → `px`), narrowing
    ///   the other way, `unknown` between profile transitions (`ix` → `px`).
    /// - Capabilities, network, signal, ptrace, mount and the other rules are compared per rule:
    ///   a bare keyword (`capability,`, `network,`, `ptrace,`) covers every rule of its kind, a
    ///   network rule covers the more specific ones (`network inet` covers `network inet stream`).
    /// - `deny` rules: adding one narrows, removing one widens, when an allow rule overlaps it
    ///   (for a removal, one of NEW); otherwise the change is `neutral` (or `unknown` when the
    ///   globs might overlap).
    /// - Flags: adding `complain` or `unconfined` widens; `include`s are reported as `unknown`,
    ///   because cinch does not expand them. `audit` and variables are ignored.
    ///
    /// Added privileges carry a ``Risk`` from ``RiskCatalog/risk(ofAppArmorRule:)``.
    ///
    /// - Parameters:
    ///   - old: The baseline.
    ///   - new: The candidate.
    ///   - oldName: How to name OLD in reports.
    ///   - newName: How to name NEW in reports.
    /// - Returns: The difference (in ``general``; ``abis`` is empty).
    public static func apparmor(
        old: AppArmorProfile, new: AppArmorProfile, oldName: String = "OLD", newName: String = "NEW"
    ) -> ProfileDiff {
        var profileChanges: [Change] = []
        for flag in new.flags where !old.flags.contains(flag) {
            profileChanges.append(flagChange(flag, added: true))
        }
        for flag in old.flags where !new.flags.contains(flag) {
            profileChanges.append(flagChange(flag, added: false))
        }
        for include in new.includes where !old.includes.contains(include) {
            profileChanges.append(
                Change(kind: .includeAdded, effect: .unknown, name: "include " + include, new: "not expanded by cinch"))
        }
        for include in old.includes where !new.includes.contains(include) {
            profileChanges.append(
                Change(
                    kind: .includeRemoved, effect: .unknown, name: "include " + include, old: "not expanded by cinch"))
        }
        let before = AppArmorRuleSet(old)
        let after = AppArmorRuleSet(new)
        var changes = compareFiles(before, after) + compareOthers(before, after) + compareDenies(before, after)
        changes.sort {
            ($0.effect, $0.name, $0.kind.rawValue, $0.old ?? "", $0.new ?? "")
                < ($1.effect, $1.name, $1.kind.rawValue, $1.old ?? "", $1.new ?? "")
        }
        return ProfileDiff(
            subject: .apparmor, oldName: oldName, newName: newName, target: nil, general: profileChanges + changes,
            abis: [])
    }

    private static func flagChange(_ flag: String, added: Bool) -> Change {
        let loosening: Set<String> = ["complain", "unconfined", "default_allow"]
        let tightening: Set<String> = ["kill", "enforce"]
        var effect: Effect = .neutral
        if loosening.contains(flag) { effect = added ? .widening : .narrowing }
        if tightening.contains(flag) { effect = added ? .narrowing : .widening }
        let risk =
            added && loosening.contains(flag)
            ? Risk(.high, "the profile no longer enforces its rules; it only logs") : nil
        return Change(kind: added ? .flagAdded : .flagRemoved, effect: effect, name: "flags " + flag, risk: risk)
    }

    // MARK: - Files

    private static func compareFiles(_ old: AppArmorRuleSet, _ new: AppArmorRuleSet) -> [Change] {
        var changes: [Change] = []
        for (key, entry) in new.files where !entry.isDeny {
            let gained = old.missing(entry, isDeny: false)
            let lost = old.files[key].map { new.missing($0, isDeny: false) } ?? AppArmorFileModes()
            if let before = old.files[key] {
                changes += compareSamePath(key: key, before: before, after: entry, gained: gained, lost: lost)
            } else if !gained.isEmpty {
                let covered = old.files.values.filter { !$0.isDeny && $0.path != entry.path && entry.covers($0) }
                let risk = RiskCatalog.risk(ofAppArmorRule: entry.rule(with: gained))
                if covered.isEmpty {
                    changes.append(
                        Change(
                            kind: .added, effect: .widening, name: entry.name, new: entry.modes.description, risk: risk)
                    )
                } else {
                    changes.append(
                        Change(
                            kind: .globWidened, effect: .widening, name: entry.name, old: list(covered),
                            new: entry.description, risk: risk))
                }
            }
        }
        for (key, entry) in old.files where !entry.isDeny && new.files[key] == nil {
            guard !new.missing(entry, isDeny: false).isEmpty else { continue }
            let covered = new.files.values.filter { !$0.isDeny && $0.path != entry.path && entry.covers($0) }
            if covered.isEmpty {
                changes.append(
                    Change(kind: .removed, effect: .narrowing, name: entry.name, old: entry.modes.description))
            } else {
                changes.append(
                    Change(
                        kind: .globNarrowed, effect: .narrowing, name: entry.name, old: entry.description,
                        new: list(covered)))
            }
        }
        return changes
    }

    private static func compareSamePath(
        key: AppArmorRuleSet.FileKey, before: AppArmorRuleSet.FileEntry, after: AppArmorRuleSet.FileEntry,
        gained: AppArmorFileModes, lost: AppArmorFileModes
    ) -> [Change] {
        var changes: [Change] = []
        let oldPermissions = AppArmorFileModes(before.modes.permissions)
        let newPermissions = AppArmorFileModes(after.modes.permissions)
        if !gained.permissions.isEmpty || !lost.permissions.isEmpty {
            let kind: Kind =
                lost.permissions.isEmpty ? .modesWidened : (gained.permissions.isEmpty ? .modesNarrowed : .modesChanged)
            var detail = newPermissions.description
            if !gained.permissions.isEmpty { detail += " (adds \(AppArmorFileModes(gained.permissions)))" }
            if !lost.permissions.isEmpty { detail += " (drops \(AppArmorFileModes(lost.permissions)))" }
            let effect: Effect = kind == .modesNarrowed ? .narrowing : .widening
            let risk =
                effect == .widening
                ? RiskCatalog.risk(ofAppArmorRule: after.rule(with: AppArmorFileModes(gained.permissions))) : nil
            changes.append(
                Change(
                    kind: kind, effect: effect, name: "file " + key.display, old: oldPermissions.description,
                    new: detail, risk: risk))
        }
        let oldExec = before.modes.exec.map { $0 + (before.target.map { " -> " + $0 } ?? "") }
        let newExec = after.modes.exec.map { $0 + (after.target.map { " -> " + $0 } ?? "") }
        if oldExec != newExec, gained.exec != nil || lost.exec != nil {
            let effect = execEffect(old: before.modes.exec, new: after.modes.exec, gained: gained.exec, lost: lost.exec)
            let risk =
                effect == .widening || effect == .unknown
                ? RiskCatalog.risk(ofAppArmorRule: after.rule(with: AppArmorFileModes(exec: after.modes.exec))) : nil
            changes.append(
                Change(
                    kind: .execChanged, effect: effect, name: "exec " + key.display, old: oldExec ?? "no exec",
                    new: newExec ?? "no exec", risk: risk))
        }
        return changes
    }

    private static func execEffect(old: String?, new: String?, gained: String?, lost: String?) -> Effect {
        guard let new, gained != nil else { return .narrowing }
        guard let old, lost != nil else { return .widening }
        let oldUnconfined = old.lowercased().contains("u")
        let newUnconfined = new.lowercased().contains("u")
        if newUnconfined != oldUnconfined { return newUnconfined ? .widening : .narrowing }
        if old.lowercased() == new.lowercased() { return new == new.lowercased() ? .widening : .narrowing }
        return .unknown
    }

    // MARK: - Other rules

    private static func compareOthers(_ old: AppArmorRuleSet, _ new: AppArmorRuleSet) -> [Change] {
        var changes: [Change] = []
        for rule in new.others where !rule.isDeny && !old.grants(rule) {
            let covered = old.others.filter { !$0.isDeny && AppArmorRuleSet.covers(rule, $0) }
            let risk = RiskCatalog.risk(ofAppArmorRule: rule)
            if covered.isEmpty {
                changes.append(
                    Change(kind: .added, effect: .widening, name: rule.description, new: "allowed", risk: risk))
            } else {
                changes.append(
                    Change(
                        kind: .ruleWidened, effect: .widening, name: rule.description,
                        old: list(covered.map(\.description)), new: "allowed", risk: risk))
            }
        }
        for rule in old.others where !rule.isDeny && !new.grants(rule) {
            let covered = new.others.filter { !$0.isDeny && AppArmorRuleSet.covers(rule, $0) }
            if covered.isEmpty {
                changes.append(Change(kind: .removed, effect: .narrowing, name: rule.description, old: "allowed"))
            } else {
                changes.append(
                    Change(
                        kind: .ruleNarrowed, effect: .narrowing, name: rule.description, old: "allowed",
                        new: list(covered.map(\.description))))
            }
        }
        return changes
    }

    // MARK: - Deny rules

    private static func compareDenies(_ old: AppArmorRuleSet, _ new: AppArmorRuleSet) -> [Change] {
        var changes: [Change] = []
        for entry in new.files.values where entry.isDeny && !old.missing(entry, isDeny: true).isEmpty {
            let effect = denyEffect(max(old.overlap(withDeny: entry), new.overlap(withDeny: entry)), else: .narrowing)
            changes.append(
                Change(kind: .denyAdded, effect: effect, name: entry.name, new: "deny " + entry.modes.description))
        }
        for entry in old.files.values where entry.isDeny && !new.missing(entry, isDeny: true).isEmpty {
            let effect = denyEffect(new.overlap(withDeny: entry), else: .widening)
            let risky = effect == .widening || effect == .unknown
            changes.append(
                Change(
                    kind: .denyRemoved, effect: effect, name: entry.name, old: "deny " + entry.modes.description,
                    risk: risky ? RiskCatalog.risk(ofAppArmorRule: entry.rule(with: entry.modes)) : nil))
        }
        for rule in new.others where rule.isDeny && !old.denies(rule) {
            let effect = denyEffect(max(old.overlap(withDeny: rule), new.overlap(withDeny: rule)), else: .narrowing)
            changes.append(Change(kind: .denyAdded, effect: effect, name: rule.description, new: "denied"))
        }
        for rule in old.others where rule.isDeny && !new.denies(rule) {
            var allowed = rule
            allowed.isDeny = false
            let effect = denyEffect(new.overlap(withDeny: rule), else: .widening)
            let risky = effect == .widening || effect == .unknown
            changes.append(
                Change(
                    kind: .denyRemoved, effect: effect, name: rule.description, old: "denied",
                    risk: risky ? RiskCatalog.risk(ofAppArmorRule: allowed) : nil))
        }
        return changes
    }

    /// A deny rule matters only where an allow rule grants something it names: a removed deny
    /// widens only what NEW's allow rules grant, an added one narrows what either profile's allow
    /// rules grant. When no allow rule overlaps it the change is `neutral`; when one only might,
    /// `unknown`.
    private static func denyEffect(_ overlap: AppArmorRuleSet.Overlap, else effect: Effect) -> Effect {
        switch overlap {
        case .none: .neutral
        case .possible: .unknown
        case .certain: effect
        }
    }

    /// `a; b; c; and 2 more`.
    private static func list(_ entries: [AppArmorRuleSet.FileEntry]) -> String {
        list(entries.map(\.description))
    }

    private static func list(_ items: [String]) -> String {
        let sorted = items.sorted()
        let shown = sorted.prefix(3).joined(separator: "; ")
        return sorted.count > 3 ? shown + "; and \(sorted.count - 3) more" : shown
    }
}

/// A profile's rules, normalised for comparison: file rules merged per path, capability rules
/// split per name, duplicates removed.
struct AppArmorRuleSet {
    /// Identifies merged file rules.
    struct FileKey: Hashable {
        var path: String?
        var isOwner: Bool
        var isDeny: Bool

        /// `owner /home/*/**` or `*` for a bare `file,`.
        var display: String { (isOwner ? "owner " : "") + (path ?? "(every file)") }
    }

    /// Every rule for one path, merged.
    struct FileEntry {
        var path: String?
        var glob: AppArmorGlob?
        var isOwner: Bool
        var isDeny: Bool
        var modes: AppArmorFileModes
        var target: String?

        /// `file /etc/passwd`, or `exec /usr/bin/tool` when the entry has only an exec mode.
        var name: String {
            let key = FileKey(path: path, isOwner: isOwner, isDeny: isDeny)
            return (modes.exec != nil && modes.permissions.isEmpty ? "exec " : "file ") + key.display
        }

        /// `/etc/passwd r`.
        var description: String {
            guard let path else { return "file (every file, every mode)" }
            return (isOwner ? "owner " : "") + path + " " + modes.description
                + (target.map { " -> " + $0 } ?? "")
        }

        /// Whether this entry's path covers `other`'s and the owner condition is no stricter.
        func covers(_ other: FileEntry) -> Bool {
            guard !isOwner || other.isOwner else { return false }
            guard let glob else { return true }
            guard let otherGlob = other.glob else { return false }
            return glob.covers(otherGlob)
        }

        /// The allow rule this entry would be with `modes`, for risk labels.
        func rule(with modes: AppArmorFileModes) -> AppArmorRule {
            AppArmorRule(.file(path: path, modes: modes, target: target), isOwner: isOwner)
        }
    }

    var files: [FileKey: FileEntry] = [:]
    var others: [AppArmorRule] = []

    init(_ profile: AppArmorProfile) {
        var seen: Set<AppArmorRule> = []
        for var rule in profile.rules {
            rule.isAudit = false
            rule.line = 0
            switch rule.body {
            case .file(let path, let modes, let target):
                let key = FileKey(path: path, isOwner: rule.isOwner, isDeny: rule.isDeny)
                if var entry = files[key] {
                    entry.modes.permissions.formUnion(modes.permissions)
                    if entry.modes.exec == nil {
                        entry.modes.exec = modes.exec
                        entry.target = target
                    }
                    files[key] = entry
                } else {
                    files[key] = FileEntry(
                        path: path, glob: path.map(AppArmorGlob.init), isOwner: rule.isOwner, isDeny: rule.isDeny,
                        modes: modes, target: target)
                }
            case .capability(let names) where names.count > 1:
                for name in names {
                    var single = rule
                    single.body = .capability([name])
                    if seen.insert(single).inserted { others.append(single) }
                }
            default:
                if seen.insert(rule).inserted { others.append(rule) }
            }
        }
    }

    /// What of `entry`'s modes no rule here (allow or deny, as `isDeny` says) grants on its path.
    func missing(_ entry: FileEntry, isDeny: Bool) -> AppArmorFileModes {
        let candidates = files.values.filter { $0.isDeny == isDeny && $0.covers(entry) }
        var missing = AppArmorFileModes()
        for permission in entry.modes.permissions where !candidates.contains(where: { $0.modes.grants(permission) }) {
            missing.permissions.insert(permission)
        }
        if let exec = entry.modes.exec,
            !candidates.contains(where: { $0.modes.grants(exec: exec) && (isDeny || $0.target == entry.target) })
        {
            missing.exec = exec
        }
        return missing
    }

    /// Whether the allow rules here overlap a deny rule.
    enum Overlap: Int, Comparable {
        /// No allow rule grants anything the deny rule names.
        case none = 0
        /// An allow rule may overlap it (their globs share a literal prefix but neither covers the other).
        case possible = 1
        /// An allow rule covers the deny rule's paths or lies inside them, with a mode in common.
        case certain = 2

        static func < (lhs: Overlap, rhs: Overlap) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// How the allow file rules here overlap the deny entry `deny`.
    func overlap(withDeny deny: FileEntry) -> Overlap {
        var result = Overlap.none
        for allow in files.values where !allow.isDeny {
            let shared =
                deny.modes.permissions.contains { allow.modes.grants($0) }
                || (deny.modes.exec != nil && allow.modes.exec != nil)
            guard shared else { continue }
            if allow.covers(deny) || deny.covers(allow) { return .certain }
            let mine = Self.literalPrefix(allow.path)
            let theirs = Self.literalPrefix(deny.path)
            if mine.hasPrefix(theirs) || theirs.hasPrefix(mine) { result = .possible }
        }
        return result
    }

    /// How the allow rules here overlap the non-file deny rule `deny`.
    func overlap(withDeny deny: AppArmorRule) -> Overlap {
        var result = Overlap.none
        for allow in others where !allow.isDeny && allow.category == deny.category {
            if Self.covers(allow, deny) || Self.covers(deny, allow) { return .certain }
            result = .possible
        }
        return result
    }

    /// The text before the first glob character; variables such as `@{HOME}` count as literal text,
    /// as they do everywhere in the diff. Empty for a bare `file,`.
    static func literalPrefix(_ path: String?) -> String {
        var result = ""
        var inVariable = false
        var previous: Character?
        for character in path ?? "" {
            if inVariable {
                if character == "}" { inVariable = false }
            } else if character == "{" && previous == "@" {
                inVariable = true
            } else if "*?[{\\".contains(character) || (character == "@") {
                if character != "@" { break }
            }
            result.append(character)
            previous = character
        }
        return inVariable ? "" : result
    }

    /// Whether an allow rule here covers the non-file rule `rule`.
    func grants(_ rule: AppArmorRule) -> Bool { others.contains { !$0.isDeny && Self.covers($0, rule) } }

    /// Whether a deny rule here covers the non-file deny rule `rule`.
    func denies(_ rule: AppArmorRule) -> Bool { others.contains { $0.isDeny && Self.covers($0, rule) } }

    /// Whether `wide` allows (or denies) everything `narrow` does; qualifiers other than `owner`
    /// are ignored.
    static func covers(_ wide: AppArmorRule, _ narrow: AppArmorRule) -> Bool {
        switch (wide.body, narrow.body) {
        case (.capability(let all), .capability(let some)):
            return all.isEmpty || all == some
        case (.network(let family, let type, let proto), .network(let otherFamily, let otherType, let otherProto)):
            return (family == nil || family == otherFamily) && (type == nil || type == otherType)
                && (proto == nil || proto == otherProto)
        case (.other(let keyword, let arguments), .other(let otherKeyword, let otherArguments)):
            return keyword == otherKeyword && (arguments.isEmpty || arguments == otherArguments)
        default:
            return false
        }
    }
}
