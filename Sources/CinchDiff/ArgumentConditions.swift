// SPDX-License-Identifier: Apache-2.0
// Conservative reasoning about seccomp argument conditions: ordering, implication and display.

public import CinchModel

/// A set of argument conditions that must all hold (one rule's `args`), in canonical order.
///
/// Conditions are sorted by argument index, operator, value and second value, and duplicates are
/// removed, so two rules that list the same conditions in a different order compare equal.
public struct ConditionGroup: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The conditions, sorted and without duplicates. Empty means "always".
    public var conditions: [SeccompProfile.ArgumentCondition]

    /// Creates a group from conditions in any order.
    public init(_ conditions: [SeccompProfile.ArgumentCondition]) {
        self.conditions = Array(Set(conditions)).sorted(by: Self.precedes)
    }

    /// Whether the group has no conditions, so it always holds.
    public var isUnconditional: Bool { conditions.isEmpty }

    /// `arg0 < 38 and arg1 == 2`, or `always`.
    public var description: String {
        conditions.isEmpty ? "always" : conditions.map(Self.describe).joined(separator: " and ")
    }

    /// Orders groups by their conditions, fewer conditions first.
    public static func < (lhs: ConditionGroup, rhs: ConditionGroup) -> Bool {
        if lhs.conditions.count != rhs.conditions.count { return lhs.conditions.count < rhs.conditions.count }
        for (left, right) in zip(lhs.conditions, rhs.conditions) where left != right {
            return precedes(left, right)
        }
        return false
    }

    /// Whether every argument vector satisfying `self` also satisfies `other` (`self` ⇒ `other`).
    ///
    /// The check is sound but incomplete: `true` is a proof, `false` means "not proven". Each
    /// condition of `other` must follow from a single condition of `self` on the same argument
    /// (for example `arg0 == 39` implies `arg0 > 38`, and `arg0 < 12` implies `arg0 < 38`).
    public func implies(_ other: ConditionGroup) -> Bool {
        other.conditions.allSatisfy { needed in
            conditions.contains { Self.condition($0, implies: needed) }
        }
    }

    // MARK: - Single conditions

    static func precedes(_ a: SeccompProfile.ArgumentCondition, _ b: SeccompProfile.ArgumentCondition) -> Bool {
        (a.index, a.value, a.op.rawValue, a.valueTwo) < (b.index, b.value, b.op.rawValue, b.valueTwo)
    }

    /// Whether a value satisfies a condition, as the kernel compares 64-bit arguments.
    static func holds(_ condition: SeccompProfile.ArgumentCondition, for value: UInt64) -> Bool {
        switch condition.op {
        case .notEqual: value != condition.value
        case .lessThan: value < condition.value
        case .lessOrEqual: value <= condition.value
        case .equal: value == condition.value
        case .greaterOrEqual: value >= condition.value
        case .greaterThan: value > condition.value
        case .maskedEqual: value & condition.value == condition.valueTwo
        }
    }

    /// Whether condition `a` implies condition `b` (same argument; sound, not complete).
    static func condition(
        _ a: SeccompProfile.ArgumentCondition, implies b: SeccompProfile.ArgumentCondition
    ) -> Bool {
        guard a.index == b.index else { return false }
        if a == b { return true }
        switch (a.op, b.op) {
        case (.equal, _):
            return holds(b, for: a.value)
        case (.lessThan, .lessThan): return a.value <= b.value
        case (.lessThan, .lessOrEqual): return a.value == 0 || a.value - 1 <= b.value
        case (.lessThan, .notEqual): return b.value >= a.value
        case (.lessOrEqual, .lessOrEqual): return a.value <= b.value
        case (.lessOrEqual, .lessThan): return a.value < b.value
        case (.lessOrEqual, .notEqual): return b.value > a.value
        case (.greaterThan, .greaterThan): return a.value >= b.value
        case (.greaterThan, .greaterOrEqual): return a.value == .max || a.value + 1 >= b.value
        case (.greaterThan, .notEqual): return b.value <= a.value
        case (.greaterOrEqual, .greaterOrEqual): return a.value >= b.value
        case (.greaterOrEqual, .greaterThan): return a.value > b.value
        case (.greaterOrEqual, .notEqual): return b.value < a.value
        case (.maskedEqual, .maskedEqual):
            // (x & m1) == t1 fixes the bits of m1; it implies (x & m2) == t2 when m2 ⊆ m1 and the
            // fixed bits agree.
            return b.value & ~a.value == 0 && a.valueTwo & b.value == b.valueTwo && a.valueTwo & ~a.value == 0
        default:
            return false
        }
    }

    /// `arg0 < 38`, `arg0 & 0x7e020000 == 0`.
    static func describe(_ condition: SeccompProfile.ArgumentCondition) -> String {
        let arg = "arg\(condition.index)"
        let value = number(condition.value)
        switch condition.op {
        case .notEqual: return "\(arg) != \(value)"
        case .lessThan: return "\(arg) < \(value)"
        case .lessOrEqual: return "\(arg) <= \(value)"
        case .equal: return "\(arg) == \(value)"
        case .greaterOrEqual: return "\(arg) >= \(value)"
        case .greaterThan: return "\(arg) > \(value)"
        case .maskedEqual: return "\(arg) & \(value) == \(number(condition.valueTwo))"
        }
    }

    /// Decimal below 4096 (file descriptors, families, small flags), hexadecimal above (masks).
    static func number(_ value: UInt64) -> String {
        value < 4096 ? String(value) : "0x" + String(value, radix: 16)
    }
}

extension Array where Element == ConditionGroup {
    /// Whether every group of `other` implies some group of `self`, so the union of `self`
    /// contains the union of `other` (sound, not complete).
    func covers(_ other: [ConditionGroup]) -> Bool {
        other.allSatisfy { needed in contains { needed.implies($0) } }
    }

    /// The groups without those implied by another (a narrower alternative adds nothing to a union),
    /// sorted and unique.
    func minimalUnion() -> [ConditionGroup] {
        let unique = Array(Set(self)).sorted()
        return unique.filter { group in
            !unique.contains { other in other != group && group.implies(other) && !other.implies(group) }
        }
    }
}
