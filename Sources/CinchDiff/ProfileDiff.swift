// SPDX-License-Identifier: Apache-2.0
// The semantic difference between two profiles: what a workload may do under NEW that it could not under OLD.

public import CinchModel

/// The semantic difference between two seccomp profiles, two capability lists, or two AppArmor profiles.
///
/// Seccomp profiles are compared after normalisation for a target (``NormalizedSeccompProfile``),
/// so layout, rule order, the Docker or OCI dialect and names split across rules never show up.
/// Every change says whether it widens what the workload may do, narrows it, is neutral (an errno
/// or logging change), or cannot be classified (`unknown`: two argument filters neither of which
/// provably contains the other). Added privileges carry a ``Risk`` label when the
/// ``RiskCatalog`` knows them.
public struct ProfileDiff: Sendable, Hashable {
    /// What was compared.
    public enum Subject: String, Sendable, Hashable {
        /// Seccomp profiles (Docker or OCI).
        case seccomp
        /// Capability lists.
        case capabilities
        /// AppArmor profiles.
        case apparmor
    }

    /// What a change does to the workload's privileges.
    public enum Effect: String, Sendable, Hashable, Comparable, CaseIterable {
        /// More is allowed than before.
        case widening
        /// Cannot be proven either way; `--fail-on widen` treats it as a widening.
        case unknown
        /// Privileges are the same; the way a denial fails or is logged changed.
        case neutral
        /// Less is allowed than before.
        case narrowing

        private var rank: Int {
            switch self {
            case .widening: 0
            case .unknown: 1
            case .neutral: 2
            case .narrowing: 3
            }
        }

        /// Widening first.
        public static func < (lhs: Effect, rhs: Effect) -> Bool { lhs.rank < rhs.rank }
    }

    /// What kind of change.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A syscall or capability that was denied is allowed (perhaps only with some arguments).
        case added
        /// A syscall or capability that was allowed is denied.
        case removed
        /// The syscall is allowed with more arguments than before (for example, unconditionally).
        case argumentsWidened = "arguments-widened"
        /// The syscall is allowed with fewer arguments than before.
        case argumentsNarrowed = "arguments-narrowed"
        /// The argument filters differ and neither provably contains the other.
        case argumentsChanged = "arguments-changed"
        /// The same calls are allowed, but the action or errno of a rule differs.
        case actionChanged = "action-changed"
        /// The default action or its errno differs.
        case defaultChanged = "default-changed"
        /// The filter covers an ABI it did not cover before.
        case architectureAdded = "architecture-added"
        /// The filter no longer covers an ABI.
        case architectureRemoved = "architecture-removed"
        /// A `SECCOMP_FILTER_FLAG_*` was added.
        case flagAdded = "flag-added"
        /// A `SECCOMP_FILTER_FLAG_*` was removed.
        case flagRemoved = "flag-removed"
        /// AppArmor: a path that was allowed before is allowed more modes (`r` → `rw`).
        case modesWidened = "modes-widened"
        /// AppArmor: a path is allowed fewer modes.
        case modesNarrowed = "modes-narrowed"
        /// AppArmor: a path gained some modes and lost others.
        case modesChanged = "modes-changed"
        /// AppArmor: a new glob covers paths that were allowed one by one or by a narrower glob.
        case globWidened = "glob-widened"
        /// AppArmor: a glob was replaced by narrower paths.
        case globNarrowed = "glob-narrowed"
        /// AppArmor: a new rule covers an old one of the same kind (`network inet` → `network`).
        case ruleWidened = "rule-widened"
        /// AppArmor: a broad rule was replaced by narrower ones.
        case ruleNarrowed = "rule-narrowed"
        /// AppArmor: the exec mode of a path changed (`ix` → `ux`).
        case execChanged = "exec-changed"
        /// AppArmor: a `deny` rule was added.
        case denyAdded = "deny-added"
        /// AppArmor: a `deny` rule was removed.
        case denyRemoved = "deny-removed"
        /// AppArmor: an `include` was added; cinch does not expand includes.
        case includeAdded = "include-added"
        /// AppArmor: an `include` was removed.
        case includeRemoved = "include-removed"
    }

    /// One difference.
    public struct Change: Sendable, Hashable {
        /// What kind.
        public var kind: Kind
        /// Its effect on privileges.
        public var effect: Effect
        /// The syscall, capability, ABI or flag, or `defaultAction`.
        public var name: String
        /// The old state in words, when there is one.
        public var old: String?
        /// The new state in words, when there is one.
        public var new: String?
        /// Why a widening matters, when it does.
        public var risk: Risk?

        /// Creates a change.
        public init(kind: Kind, effect: Effect, name: String, old: String? = nil, new: String? = nil, risk: Risk? = nil)
        {
            self.kind = kind
            self.effect = effect
            self.name = name
            self.old = old
            self.new = new
            self.risk = risk
        }
    }

    /// The syscall changes on one ABI.
    public struct ABIChanges: Sendable, Hashable {
        /// The ABI.
        public var abi: Architecture
        /// How many syscalls OLD lets run on it, or nil when its default permits.
        public var oldPermitted: Int?
        /// How many syscalls NEW lets run on it, or nil when its default permits.
        public var newPermitted: Int?
        /// The changes, widening first, then by name.
        public var changes: [Change]

        /// Creates a record.
        public init(abi: Architecture, oldPermitted: Int?, newPermitted: Int?, changes: [Change]) {
            self.abi = abi
            self.oldPermitted = oldPermitted
            self.newPermitted = newPermitted
            self.changes = changes
        }

        /// The changes of one kind.
        public func changes(_ kind: Kind) -> [Change] { changes.filter { $0.kind == kind } }
    }

    /// What was compared.
    public var subject: Subject
    /// How OLD was named (a path or `docker-default`).
    public var oldName: String
    /// How NEW was named.
    public var newName: String
    /// The target seccomp profiles were resolved for; nil for capability lists.
    public var target: SeccompTarget?
    /// Changes not tied to one ABI: default action, architectures, flags, or capabilities.
    public var general: [Change]
    /// Syscall changes per ABI covered by both, in ``Architecture`` order (empty ones included,
    /// so counts are reported).
    public var abis: [ABIChanges]

    /// Creates a diff from its parts.
    public init(
        subject: Subject, oldName: String, newName: String, target: SeccompTarget?, general: [Change],
        abis: [ABIChanges]
    ) {
        self.subject = subject
        self.oldName = oldName
        self.newName = newName
        self.target = target
        self.general = general
        self.abis = abis
    }

    /// Every change, general ones first.
    public var allChanges: [Change] { general + abis.flatMap(\.changes) }

    /// Whether the two mean the same.
    public var isEmpty: Bool { allChanges.isEmpty }

    /// Whether anything widens privileges or might (`unknown`).
    public var widens: Bool { allChanges.contains { $0.effect == .widening || $0.effect == .unknown } }

    /// How many changes have each effect.
    public var effectCounts: [Effect: Int] {
        var counts: [Effect: Int] = [:]
        for change in allChanges { counts[change.effect, default: 0] += 1 }
        return counts
    }
}

// MARK: - Seccomp

extension ProfileDiff {
    /// Compares two seccomp profiles for `target`.
    ///
    /// - Parameters:
    ///   - old: The baseline.
    ///   - new: The candidate.
    ///   - oldName: How to name OLD in reports.
    ///   - newName: How to name NEW in reports.
    ///   - target: Architecture, capabilities and kernel that Docker's `archMap` and
    ///     `includes`/`excludes` are evaluated for (default: x86_64, Docker's default capabilities,
    ///     every `minKernel` met).
    ///   - isPresent: Whether a name exists on an ABI; nil counts every name on every ABI.
    /// - Returns: The difference; ``isEmpty`` when both mean the same for the target.
    public static func seccomp(
        old: SeccompProfile, new: SeccompProfile, oldName: String = "OLD", newName: String = "NEW",
        target: SeccompTarget = SeccompTarget(), isPresent: SyscallPresence? = nil
    ) -> ProfileDiff {
        let before = NormalizedSeccompProfile(old, target: target, isPresent: isPresent)
        let after = NormalizedSeccompProfile(new, target: target, isPresent: isPresent)
        return seccomp(old: before, new: after, oldName: oldName, newName: newName, target: target)
    }

    /// Compares two normalised profiles.
    public static func seccomp(
        old: NormalizedSeccompProfile, new: NormalizedSeccompProfile, oldName: String, newName: String,
        target: SeccompTarget
    ) -> ProfileDiff {
        var general: [Change] = []
        if old.defaultOutcome != new.defaultOutcome {
            let effect: Effect =
                old.defaultOutcome.permits == new.defaultOutcome.permits
                ? .neutral : (new.defaultOutcome.permits ? .widening : .narrowing)
            general.append(
                Change(
                    kind: .defaultChanged, effect: effect, name: "defaultAction",
                    old: old.defaultOutcome.description, new: new.defaultOutcome.description,
                    risk: effect == .widening ? Risk(.high, "every syscall no rule names is now allowed") : nil))
        }
        for abi in new.architectures where !old.architectures.contains(abi) {
            let count = new.permittedNames(on: abi).map { "\($0.count) syscalls allowed" } ?? "default allows"
            general.append(Change(kind: .architectureAdded, effect: .widening, name: abi.name, new: count))
        }
        for abi in old.architectures where !new.architectures.contains(abi) {
            let count = old.permittedNames(on: abi).map { "\($0.count) syscalls allowed" } ?? "default allows"
            general.append(Change(kind: .architectureRemoved, effect: .narrowing, name: abi.name, old: count))
        }
        let speculation = "SECCOMP_FILTER_FLAG_SPEC_ALLOW"
        for flag in new.flags where !old.flags.contains(flag) {
            let risk = flag == speculation ? Risk(.medium, "turns off the speculative store bypass mitigation") : nil
            general.append(
                Change(kind: .flagAdded, effect: flag == speculation ? .widening : .neutral, name: flag, risk: risk))
        }
        for flag in old.flags where !new.flags.contains(flag) {
            general.append(
                Change(kind: .flagRemoved, effect: flag == speculation ? .narrowing : .neutral, name: flag))
        }
        var abis: [ABIChanges] = []
        for abi in old.architectures where new.architectures.contains(abi) {
            let names = Set((old.syscalls[abi] ?? [:]).keys).union((new.syscalls[abi] ?? [:]).keys)
            var changes: [Change] = []
            for name in names {
                if let change = compare(name, old.behavior(of: name, on: abi), new.behavior(of: name, on: abi)) {
                    changes.append(change)
                }
            }
            changes.sort { $0.effect != $1.effect ? $0.effect < $1.effect : $0.name < $1.name }
            abis.append(
                ABIChanges(
                    abi: abi, oldPermitted: old.permittedNames(on: abi)?.count,
                    newPermitted: new.permittedNames(on: abi)?.count, changes: changes))
        }
        return ProfileDiff(
            subject: .seccomp, oldName: oldName, newName: newName, target: target, general: general, abis: abis)
    }

    /// The change of one syscall, or nil when it behaves the same.
    static func compare(_ name: String, _ old: SyscallBehavior, _ new: SyscallBehavior) -> Change? {
        func change(_ kind: Kind, _ effect: Effect) -> Change {
            let risky = effect == .widening || effect == .unknown
            return Change(
                kind: kind, effect: effect, name: name, old: old.permission.description,
                new: new.permission.description, risk: risky ? RiskCatalog.risk(ofSyscall: name) : nil)
        }
        func sameRegion() -> Change? {
            guard old.description != new.description else { return nil }
            return Change(
                kind: .actionChanged, effect: .neutral, name: name, old: old.description, new: new.description)
        }
        switch (old.permission, new.permission) {
        case _ where old.permission == new.permission: return sameRegion()
        case (.never, _): return change(.added, .widening)
        case (_, .never): return change(.removed, .narrowing)
        case (.always, _): return change(.argumentsNarrowed, .narrowing)
        case (_, .always): return change(.argumentsWidened, .widening)
        case (.when(let before), .when(let after)):
            return classify(wider: after.covers(before), narrower: before.covers(after), change, sameRegion)
        case (.unless(let before), .unless(let after)):
            // Permitted outside the groups: a smaller denied region is a wider permission.
            return classify(wider: before.covers(after), narrower: after.covers(before), change, sameRegion)
        default: return change(.argumentsChanged, .unknown)
        }
    }

    private static func classify(
        wider: Bool, narrower: Bool, _ change: (Kind, Effect) -> Change, _ same: () -> Change?
    ) -> Change? {
        switch (wider, narrower) {
        case (true, true): same()
        case (true, false): change(.argumentsWidened, .widening)
        case (false, true): change(.argumentsNarrowed, .narrowing)
        case (false, false): change(.argumentsChanged, .unknown)
        }
    }
}

// MARK: - Capabilities

extension ProfileDiff {
    /// Compares two capability lists: added capabilities widen, removed ones narrow.
    ///
    /// Names are compared as ``CapabilityList`` spells them (`CAP_` prefix, upper case).
    public static func capabilities(
        old: CapabilityList, new: CapabilityList, oldName: String = "OLD", newName: String = "NEW"
    ) -> ProfileDiff {
        var general: [Change] = []
        for name in new.capabilities where !old.capabilities.contains(name) {
            general.append(
                Change(
                    kind: .added, effect: .widening, name: name, old: "dropped", new: "granted",
                    risk: RiskCatalog.risk(ofCapability: name)))
        }
        for name in old.capabilities where !new.capabilities.contains(name) {
            general.append(Change(kind: .removed, effect: .narrowing, name: name, old: "granted", new: "dropped"))
        }
        return ProfileDiff(
            subject: .capabilities, oldName: oldName, newName: newName, target: nil, general: general, abis: [])
    }
}
