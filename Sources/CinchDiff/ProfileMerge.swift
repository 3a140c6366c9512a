// SPDX-License-Identifier: Apache-2.0
// Merging seccomp profiles by union, reporting conflicting actions instead of guessing.

public import CinchModel

/// The union of several seccomp profiles.
///
/// Plain rules (no arguments, no `includes`/`excludes`) are merged per syscall name. Two inputs
/// that give one name different outcomes (say `SCMP_ACT_ALLOW` and `SCMP_ACT_ERRNO(38)`), or
/// different default actions, are a conflict: each is reported as an error diagnostic
/// `merge.conflicting-action` or `merge.conflicting-default`, and resolved only when a
/// ``Preference`` is given. Conditional rules are kept once each, in first-seen order, unless
/// a plain rule with the same outcome already covers the name.
///
/// The output uses the first profile's format; architectures (`archMap` entries and their
/// sub-architectures, or `architectures`) and flags are united. Output is deterministic: plain
/// rules are grouped by outcome with sorted names.
public enum ProfileMerge {
    /// How to resolve conflicts.
    public enum Preference: String, Sendable, CaseIterable {
        /// Take the most permissive outcome (the union really is a union).
        case allow
        /// Take the most restrictive outcome.
        case deny
    }

    /// The merged profile and what happened.
    public struct Result: Sendable {
        /// The profile; meaningful when there is no error diagnostic or a preference was given.
        public var profile: SeccompProfile
        /// Conflicts (errors without a preference, notes with one).
        public var diagnostics: [Diagnostic]

        /// Whether an unresolved conflict remains.
        public var hasConflicts: Bool { diagnostics.contains { $0.severity == .error } }
    }

    /// Merges `profiles` (named by `files`, used in messages).
    ///
    /// - Parameters:
    ///   - profiles: at least one profile.
    ///   - files: one name per profile.
    ///   - preference: how to resolve conflicts; nil reports them as errors.
    public static func merge(
        _ profiles: [SeccompProfile], files: [String], preference: Preference? = nil
    ) -> Result {
        guard let first = profiles.first else {
            return Result(
                profile: SeccompProfile(format: .docker, defaultAction: .errno, defaultErrnoRet: 1),
                diagnostics: [Diagnostic(.error, id: "merge.no-input", "No profile was given.")])
        }
        var diagnostics: [Diagnostic] = []
        let severity: Diagnostic.Severity = preference == nil ? .error : .note
        func file(_ index: Int) -> String { index < files.count ? files[index] : "profile \(index + 1)" }

        // MARK: Default action
        let defaults = profiles.map { SeccompOutcome(action: $0.defaultAction, errnoRet: $0.defaultErrnoRet) }
        var defaultOutcome = defaults[0]
        if Set(defaults).count > 1 {
            defaultOutcome = pick(Set(defaults), preference: preference ?? .deny)
            let listing = defaults.enumerated().map { "\(file($0.offset)): \($0.element)" }.joined(separator: ", ")
            diagnostics.append(
                Diagnostic(
                    severity, id: "merge.conflicting-default",
                    "The default actions differ (\(listing))"
                        + (preference.map { "; using \(defaultOutcome) (--prefer \($0.rawValue))." } ?? ".")))
        }

        // MARK: Plain rules
        var plain: [String: [Int: SeccompOutcome]] = [:]
        var conditional: [SeccompProfile.Rule] = []
        for (index, profile) in profiles.enumerated() {
            for rule in profile.syscalls {
                let outcome = SeccompOutcome(action: rule.action, errnoRet: rule.errnoRet)
                let isPlain = rule.args.isEmpty && (rule.includes?.isEmpty ?? true) && (rule.excludes?.isEmpty ?? true)
                if isPlain {
                    for name in rule.names { plain[name, default: [:]][index] = outcome }
                } else if !conditional.contains(where: { sameRule($0, rule) }) {
                    conditional.append(rule)
                }
            }
        }
        var chosen: [String: SeccompOutcome] = [:]
        for name in plain.keys.sorted() {
            guard let byProfile = plain[name] else { continue }
            let outcomes = Set(byProfile.values)
            if outcomes.count == 1, let only = outcomes.first {
                chosen[name] = only
                continue
            }
            let decision = pick(outcomes, preference: preference ?? .deny)
            chosen[name] = decision
            let listing = byProfile.keys.sorted().compactMap { index in
                byProfile[index].map { "\(file(index)): \($0)" }
            }.joined(separator: ", ")
            diagnostics.append(
                Diagnostic(
                    severity, id: "merge.conflicting-action",
                    "Syscall \(name) has different actions (\(listing))"
                        + (preference.map { "; using \(decision) (--prefer \($0.rawValue))." } ?? ".")))
        }

        // MARK: Output
        var byOutcome: [SeccompOutcome: [String]] = [:]
        for (name, outcome) in chosen where outcome != defaultOutcome { byOutcome[outcome, default: []].append(name) }
        var rules: [SeccompProfile.Rule] = byOutcome.keys.sorted().compactMap { outcome in
            guard let names = byOutcome[outcome] else { return nil }
            return SeccompProfile.Rule(
                names: names.sorted(), action: outcome.action,
                errnoRet: outcome.action == .errno || outcome.action == .trace ? outcome.errnoRet : nil)
        }
        for rule in conditional {
            let outcome = SeccompOutcome(action: rule.action, errnoRet: rule.errnoRet)
            if outcome == defaultOutcome { continue }
            let uncovered = rule.names.filter { chosen[$0] != outcome }
            guard !uncovered.isEmpty else { continue }
            var kept = rule
            kept.names = uncovered
            rules.append(kept)
        }
        var merged = SeccompProfile(
            format: first.format, defaultAction: defaultOutcome.action,
            defaultErrnoRet: defaultOutcome.action == .errno ? defaultOutcome.errnoRet : nil, syscalls: rules)
        merged.flags = Array(Set(profiles.flatMap(\.flags))).sorted()
        switch first.format {
        case .oci:
            var abis = Set<Architecture>()
            for profile in profiles { abis.formUnion(profile.effectiveArchitectures(native: .x86_64)) }
            merged.architectures = abis.sorted()
        case .docker:
            var entries: [Architecture: Set<Architecture>] = [:]
            for profile in profiles {
                for entry in profile.archMap {
                    entries[entry.architecture, default: []].formUnion(entry.subArchitectures)
                }
                for abi in profile.architectures { entries[abi.nativeFamily, default: []].insert(abi) }
            }
            merged.archMap = entries.keys.sorted().map { native in
                SeccompProfile.ArchMapEntry(
                    architecture: native, subArchitectures: (entries[native] ?? []).subtracting([native]).sorted())
            }
        }
        return Result(profile: merged, diagnostics: diagnostics)
    }

    /// The most permissive (allow) or most restrictive (deny) outcome, ties broken by spelling.
    static func pick(_ outcomes: Set<SeccompOutcome>, preference: Preference) -> SeccompOutcome {
        let sorted = outcomes.sorted { lhs, rhs in
            let (l, r) = (rank(lhs.action), rank(rhs.action))
            return l != r ? l < r : lhs < rhs
        }
        return (preference == .allow ? sorted.last : sorted.first) ?? SeccompOutcome(action: .errno, errnoRet: 1)
    }

    /// Permissiveness: kill < trap < errno < trace < notify < log < allow.
    private static func rank(_ action: SeccompProfile.Action) -> Int {
        switch action {
        case .kill, .killProcess, .killThread: 0
        case .trap: 1
        case .errno: 2
        case .trace: 3
        case .notify: 4
        case .log: 5
        case .allow: 6
        }
    }

    private static func sameRule(_ a: SeccompProfile.Rule, _ b: SeccompProfile.Rule) -> Bool {
        var left = a
        var right = b
        left.comment = nil
        right.comment = nil
        left.names.sort()
        right.names.sort()
        return left == right
    }
}
