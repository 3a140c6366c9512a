// SPDX-License-Identifier: Apache-2.0
// A seccomp profile reduced to its meaning for one target: per ABI, syscall → effective behaviour.

public import CinchModel

/// What the kernel does with one syscall when a rule matches (or, for the default, when none does).
public struct SeccompOutcome: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The action.
    public var action: SeccompProfile.Action
    /// The errno for `SCMP_ACT_ERRNO` (EPERM when a rule gives none, as runc does) or the message
    /// for `SCMP_ACT_TRACE`; nil for other actions, where the JSON value has no effect.
    public var errnoRet: UInt32?

    /// Creates an outcome, dropping an errno the action ignores and defaulting `SCMP_ACT_ERRNO` to EPERM.
    public init(action: SeccompProfile.Action, errnoRet: UInt32?) {
        self.action = action
        switch action {
        case .errno: self.errnoRet = errnoRet ?? 1
        case .trace: self.errnoRet = errnoRet ?? 0
        default: self.errnoRet = nil
        }
    }

    /// Whether the syscall can go ahead: allowed, logged, or handed to a tracer or supervisor that
    /// may let it run. Trace and notify count as permitting so a diff never hides a widening.
    public var permits: Bool {
        switch action {
        case .allow, .log, .trace, .notify: true
        case .kill, .killProcess, .killThread, .trap, .errno: false
        }
    }

    /// `SCMP_ACT_ERRNO(38)`, `SCMP_ACT_ALLOW`.
    public var description: String {
        errnoRet.map { "\(action.rawValue)(\($0))" } ?? action.rawValue
    }

    /// Orders by description.
    public static func < (lhs: SeccompOutcome, rhs: SeccompOutcome) -> Bool { lhs.description < rhs.description }
}

/// When a syscall may run, as a region of argument space.
public enum SeccompPermission: Sendable, Hashable, CustomStringConvertible {
    /// Never (the rules and the default deny it).
    case never
    /// Always, whatever its arguments.
    case always
    /// Only when one of these groups of conditions holds (the default denies).
    case when([ConditionGroup])
    /// Unless one of these groups holds (the default permits).
    case unless([ConditionGroup])

    /// `allowed`, `denied`, `allowed when arg0 == 0 or arg0 == 8`.
    public var description: String {
        switch self {
        case .never: "denied"
        case .always: "allowed"
        case .when(let groups): "allowed when " + groups.map(\.description).joined(separator: " or ")
        case .unless(let groups): "allowed unless " + groups.map(\.description).joined(separator: " or ")
        }
    }

    /// Whether some call may run.
    public var isPermitted: Bool { self != .never }
}

/// The effective behaviour of one syscall on one ABI.
public struct SyscallBehavior: Sendable, Hashable, CustomStringConvertible {
    /// The rules that mention the syscall, reduced: one entry per outcome and condition group,
    /// without rules whose outcome is the default's and without conditional rules an
    /// unconditional rule of the same outcome makes redundant.
    public var rules: [Alternative]
    /// The profile's default outcome, which applies when no rule matches.
    public var fallback: SeccompOutcome
    /// The resulting permission.
    public var permission: SeccompPermission

    /// One reduced rule.
    public struct Alternative: Sendable, Hashable, Comparable {
        /// What happens when it matches.
        public var outcome: SeccompOutcome
        /// When it matches.
        public var group: ConditionGroup

        /// Orders by outcome, then conditions.
        public static func < (lhs: Alternative, rhs: Alternative) -> Bool {
            lhs.outcome != rhs.outcome ? lhs.outcome < rhs.outcome : lhs.group < rhs.group
        }
    }

    /// Reduces `rules` (all naming this syscall) against the default `fallback`.
    init(rules raw: [Alternative], fallback: SeccompOutcome) {
        // A runtime skips rules whose action is the default action (libseccomp rejects them with
        // EACCES), and a conditional rule adds nothing next to an unconditional one of the same outcome.
        var unique = Array(Set(raw.filter { $0.outcome != fallback })).sorted()
        let unconditional = unique.filter(\.group.isUnconditional)
        unique.removeAll { rule in
            !rule.group.isUnconditional && unconditional.contains { $0.outcome == rule.outcome }
        }
        rules = unique
        self.fallback = fallback
        permission = Self.permission(of: unique, fallback: fallback)
    }

    private static func permission(of rules: [Alternative], fallback: SeccompOutcome) -> SeccompPermission {
        // libseccomp lets an unconditional rule decide the syscall outright.
        let unconditional = rules.filter(\.group.isUnconditional)
        if !unconditional.isEmpty { return unconditional.contains { $0.outcome.permits } ? .always : .never }
        if fallback.permits {
            let denying = rules.filter { !$0.outcome.permits }.map(\.group)
            return denying.isEmpty ? .always : .unless(denying.minimalUnion())
        }
        let permitting = rules.filter(\.outcome.permits).map(\.group)
        return permitting.isEmpty ? .never : .when(permitting.minimalUnion())
    }

    /// `SCMP_ACT_ALLOW`, or `SCMP_ACT_ALLOW when arg0 == 0; otherwise SCMP_ACT_ERRNO(1)`.
    public var description: String {
        if rules.isEmpty { return "\(fallback) (default)" }
        if let first = rules.first(where: \.group.isUnconditional) { return first.outcome.description }
        let parts = rules.map { "\($0.outcome) when \($0.group)" }
        return parts.joined(separator: "; ") + "; otherwise \(fallback)"
    }
}

/// A seccomp profile reduced to what it means for one target.
///
/// Docker's `archMap` is expanded for the target's native architecture and `includes`/`excludes`
/// are evaluated for its capabilities and kernel (``SeccompTarget``); OCI `architectures` are
/// taken as listed. Names split across rules, rule order, duplicate names and duplicate
/// conditions do not matter, and rules on names absent on an ABI are dropped for that ABI. Two
/// profiles with the same meaning for the target normalise to equal values.
public struct NormalizedSeccompProfile: Sendable, Hashable {
    /// The default outcome.
    public var defaultOutcome: SeccompOutcome
    /// The ABIs the filter covers, in ``Architecture`` order. Calls made with other ABIs are killed.
    public var architectures: [Architecture]
    /// `SECCOMP_FILTER_FLAG_*` names, sorted.
    public var flags: [String]
    /// For each covered ABI, every syscall some rule mentions, with its behaviour.
    public var syscalls: [Architecture: [String: SyscallBehavior]]

    /// Normalises `profile` for `target`.
    ///
    /// - Parameters:
    ///   - profile: A Docker or OCI profile.
    ///   - target: The host architecture, capabilities and kernel Docker's conditions are evaluated for.
    ///   - isPresent: Whether a name exists on an ABI; nil counts every name on every ABI.
    public init(_ profile: SeccompProfile, target: SeccompTarget = SeccompTarget(), isPresent: SyscallPresence? = nil) {
        let resolved = profile.resolved(for: target)
        defaultOutcome = SeccompOutcome(action: resolved.defaultAction, errnoRet: resolved.defaultErrnoRet)
        var abis: [Architecture] = []
        for abi in resolved.architectures where !abis.contains(abi) { abis.append(abi) }
        architectures = abis.sorted()
        flags = Array(Set(resolved.flags)).sorted()
        var result: [Architecture: [String: SyscallBehavior]] = [:]
        for abi in architectures {
            var collected: [String: [SyscallBehavior.Alternative]] = [:]
            for rule in resolved.syscalls {
                let alternative = SyscallBehavior.Alternative(
                    outcome: SeccompOutcome(action: rule.action, errnoRet: rule.errnoRet),
                    group: ConditionGroup(rule.args))
                for name in Set(rule.names) where isPresent?(name, abi) ?? true {
                    collected[name, default: []].append(alternative)
                }
            }
            var behaviors: [String: SyscallBehavior] = [:]
            for (name, alternatives) in collected {
                let behavior = SyscallBehavior(rules: alternatives, fallback: defaultOutcome)
                if !behavior.rules.isEmpty { behaviors[name] = behavior }
            }
            result[abi] = behaviors
        }
        syscalls = result
    }

    /// The behaviour of `name` on `abi`: its rules, or the default when no rule names it.
    public func behavior(of name: String, on abi: Architecture) -> SyscallBehavior {
        syscalls[abi]?[name] ?? SyscallBehavior(rules: [], fallback: defaultOutcome)
    }

    /// The names that may run on `abi` (any permission but ``SeccompPermission/never``), sorted;
    /// nil when the default permits, so the set is open-ended.
    public func permittedNames(on abi: Architecture) -> [String]? {
        if defaultOutcome.permits { return nil }
        return (syscalls[abi] ?? [:]).filter { $0.value.permission.isPermitted }.keys.sorted()
    }
}
