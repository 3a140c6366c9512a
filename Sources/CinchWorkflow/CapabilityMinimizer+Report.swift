// SPDX-License-Identifier: Apache-2.0
// The report of `cinch minimize`, as text for people and JSON for tools; deterministic (no times).

public import CinchModel

extension CapabilityMinimizer.Finding {
    /// Why the verdict, in words.
    public var explanation: String {
        switch verdict {
        case .needed:
            return "failed \(failed) of \(failed) runs without it: \(failure ?? "failed")"
        case .unneeded:
            let others = removedWith.filter { $0 != name }
            let together = others.isEmpty ? "without it" : "without it and \(others.joined(separator: ", "))"
            return "passed \(passed) of \(passed) runs \(together)"
        case .undecided:
            guard flaky else { return "not tried to the end: the budget ran out" }
            return "flaky: \(failed) of \(passed + failed) runs failed without it (\(failure ?? "failed")); kept"
        }
    }

    /// `"flaky"`, `"budget"` or nil: why an undecided capability is undecided.
    public var undecidedReason: String? {
        guard verdict == .undecided else { return nil }
        return flaky ? "flaky" : "budget"
    }
}

extension CapabilityMinimizer.Result {
    /// The list to use: needed and undecided capabilities.
    public var list: CapabilityList { CapabilityList(kept) }

    /// The names with a verdict, sorted.
    public func names(_ verdict: CapabilityMinimizer.Verdict) -> [String] {
        findings.filter { $0.verdict == verdict }.map(\.name)
    }

    /// The report for people: one line per capability, then the list kept.
    public func renderedText(runsPerTrial: Int) -> String {
        var lines: [String] = []
        let baseline = "\(baselinePassed + baselineFailed) runs with the whole list"
        switch conclusion {
        case .baselineFailed:
            lines.append(
                "minimize: the workload failed \(baselineFailed) of \(baseline) (\(baselineFailure ?? "failed")): "
                    + "nothing can be proven until it passes with it.")
            return lines.joined(separator: "\n") + "\n"
        case .stopped:
            lines.append("minimize: stopped by a signal; the findings below are partial.")
        case .finished:
            break
        }
        lines.append(
            "minimize: \(candidates.count) capabilities, \(runs) runs (\(runsPerTrial) per trial); "
                + "the workload passed \(baseline)")
        let width = (findings.map(\.name.count).max() ?? 0) + 2
        for finding in findings {
            let verdict = finding.verdict.rawValue.padding(toLength: 11)
            lines.append("\(verdict)\(finding.name.padding(toLength: width))\(finding.explanation)")
        }
        if budgetExhausted { lines.append("minimize: the budget ran out; untried capabilities are kept.") }
        let kept = self.kept.isEmpty ? "(none: every capability can be dropped)" : self.kept.joined(separator: ", ")
        lines.append("list: \(kept)")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report for tools, keys sorted.
    public func jsonValue(runsPerTrial: Int) -> JSONValue {
        let strings = { (names: [String]) in JSONValue.makeArray(names.map { .string($0) }) }
        let capabilities = findings.map { finding in
            JSONValue.makeObject([
                ("failed", .integer(finding.failed)),
                ("failure", finding.failure.map { .string($0) } ?? .null),
                ("name", .string(finding.name)),
                ("passed", .integer(finding.passed)),
                ("reason", finding.undecidedReason.map { .string($0) } ?? .null),
                ("removedWith", strings(finding.removedWith)),
                ("verdict", .string(finding.verdict.rawValue)),
            ])
        }
        let conclusion: String =
            switch self.conclusion {
            case .finished: "finished"
            case .baselineFailed: "baseline-failed"
            case .stopped: "stopped"
            }
        return JSONValue.makeObject([
            (
                "baseline",
                .makeObject([
                    ("failed", .integer(baselineFailed)),
                    ("failure", baselineFailure.map { .string($0) } ?? .null),
                    ("passed", .integer(baselinePassed)),
                ])
            ),
            ("budgetExhausted", .bool(budgetExhausted)),
            ("candidates", strings(candidates)),
            ("capabilities", .makeArray(capabilities)),
            ("conclusion", .string(conclusion)),
            ("kept", strings(kept)),
            ("needed", strings(names(.needed))),
            ("runs", .integer(runs)),
            ("runsPerTrial", .integer(runsPerTrial)),
            ("undecided", strings(names(.undecided))),
            ("unneeded", strings(names(.unneeded))),
        ])
    }
}

extension String {
    /// The string padded with spaces to `length` (never cut).
    fileprivate func padding(toLength length: Int) -> String {
        count >= length ? self + " " : self + String(repeating: " ", count: length - count)
    }
}
