// SPDX-License-Identifier: Apache-2.0
// `cinch minimize --syscalls`: which allowed syscalls the workload survives without, denied with
// the profile's errno. A report only: a driver cannot prove a path is never taken in production.

public import CinchModel

extension SeccompProfile {
    /// The names only `SCMP_ACT_ALLOW` rules mention, sorted: what `--syscalls` may try to deny.
    /// A name another rule also mentions (an errno, trace or kill rule) is left alone.
    public var namesOnlyAllowed: [String] {
        var allowed = Set<String>()
        var other = Set<String>()
        for rule in syscalls {
            if rule.action == .allow { allowed.formUnion(rule.names) } else { other.formUnion(rule.names) }
        }
        return allowed.subtracting(other).sorted()
    }

    /// The errno a denied syscall fails with: the profile's default one when its default action
    /// is `SCMP_ACT_ERRNO`, else `EPERM`.
    public var denialErrno: UInt32 { defaultAction == .errno ? defaultErrnoRet ?? 1 : 1 }

    /// The profile with `names` taken out of its allow rules and denied with ``denialErrno``.
    public func denying(_ names: Set<String>) -> SeccompProfile {
        guard !names.isEmpty else { return self }
        var result = self
        result.syscalls = syscalls.compactMap { rule in
            guard rule.action == .allow else { return rule }
            var kept = rule
            kept.names = rule.names.filter { !names.contains($0) }
            return kept.names.isEmpty ? nil : kept
        }
        result.syscalls.append(Rule(names: names.sorted(), action: .errno, errnoRet: denialErrno))
        return result
    }
}

extension CapabilityMinimizer.Result {
    /// The `--syscalls` report for people: what the workload survived without, what it needs,
    /// and what is undecided. Nothing of it is applied.
    public func renderedSyscallReport(errno: UInt32) -> String {
        func line(_ title: String, _ names: [String]) -> String {
            "  \(title) (\(names.count)): " + (names.isEmpty ? "none" : names.joined(separator: ", ")) + "\n"
        }
        guard conclusion == .finished else { return "syscalls: not tried: the workload did not pass first.\n" }
        return "syscalls (a report only; the profile is not changed), each denied with errno \(errno):\n"
            + line("survived without", names(.unneeded)) + line("needed", names(.needed))
            + line("undecided", names(.undecided))
    }
}

extension CapabilityMinimizer.Result {
    /// The `--syscalls` report for tools: `survivedWithout`, `needed`, `undecided` (sorted names),
    /// `errno`, `runs` and `conclusion`.
    public func syscallJSON(errno: UInt32) -> JSONValue {
        let strings = { (names: [String]) in JSONValue.makeArray(names.map { .string($0) }) }
        return .makeObject([
            ("conclusion", .string(conclusion == .finished ? "finished" : "not-tried")),
            ("errno", .integer(errno)),
            ("needed", strings(names(.needed))),
            ("runs", .integer(runs)),
            ("survivedWithout", strings(names(.unneeded))),
            ("undecided", strings(names(.undecided))),
        ])
    }
}
