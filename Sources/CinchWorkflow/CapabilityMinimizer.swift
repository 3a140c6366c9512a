// SPDX-License-Identifier: Apache-2.0
// The search behind `cinch minimize`: which capabilities of a list the workload really needs,
// decided by running it without them. Pure: the runs are a closure, so the search is tested alone.

/// Finds the smallest capability list a workload works with, by replay.
///
/// A *trial* runs the workload ``runs`` times with one list. It **passes** when every run
/// succeeds, **fails** when every run fails, and is **flaky** when some do and some do not.
///
/// The search starts from the whole list (the baseline, which must pass) and removes groups:
/// first every candidate at once, then, when that trial does not pass, each half of the group,
/// down to single capabilities (a bisection, so a list whose members are mostly unneeded is
/// decided in a few trials). A group whose removal passes is unneeded and leaves the list; a
/// single capability whose removal fails is needed; one whose removal is flaky, or that the
/// budget left untried, is undecided and stays in the list, since it was not proven unneeded.
///
/// The list kept is always one a trial passed with (the baseline or the last removal that
/// passed). A capability is needed when the workload failed without it next to a superset of the
/// kept list; assuming the workload does not fail *because* it has a capability, it fails
/// without it next to the kept list too.
public struct CapabilityMinimizer: Sendable {
    /// How one run of the workload ended.
    public enum RunResult: Sendable, Equatable {
        /// The workload (and its driver) succeeded.
        case passed
        /// It failed; the text says how (`container exited with 1`).
        case failed(String)
        /// A signal to cinch stopped the run; the search stops.
        case stopped
    }

    /// What the search decided about one capability.
    public enum Verdict: String, Sendable, CaseIterable, Comparable {
        /// The workload or its driver failed in every run without it.
        case needed
        /// The workload passed every run without it (alone or with others removed).
        case unneeded
        /// Not decided: the runs without it disagreed (``Finding/flaky``), or the budget ran out.
        case undecided

        /// Needed first, then undecided, then unneeded: the order of the report.
        public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

        private var rank: Int {
            switch self {
            case .needed: 0
            case .undecided: 1
            case .unneeded: 2
            }
        }
    }

    /// The decision about one capability, with what the runs showed.
    public struct Finding: Sendable, Equatable {
        /// The capability.
        public var name: String
        /// The decision.
        public var verdict: Verdict
        /// The capabilities removed together in the trial that decided it (just `name` for a
        /// needed or flaky one).
        public var removedWith: [String]
        /// Runs that passed and failed in that trial.
        public var passed: Int
        /// Runs that failed in that trial.
        public var failed: Int
        /// How the last failing run failed, if one did.
        public var failure: String?
        /// For an undecided capability: whether the runs disagreed (true) or it was never tried
        /// to the end because the budget ran out (false).
        public var flaky: Bool

        /// Creates a finding.
        public init(
            name: String, verdict: Verdict, removedWith: [String], passed: Int, failed: Int, failure: String? = nil,
            flaky: Bool = false
        ) {
            self.name = name
            self.verdict = verdict
            self.removedWith = removedWith
            self.passed = passed
            self.failed = failed
            self.failure = failure
            self.flaky = flaky
        }
    }

    /// Where the search is, for a live progress line.
    public struct Progress: Sendable {
        /// Capabilities decided so far.
        public var decided: Int
        /// Capabilities in the list.
        public var total: Int
        /// Runs made so far (all trials).
        public var runs: Int
        /// The capabilities the current trial runs without (empty for the baseline).
        public var without: [String]
    }

    /// How the search ended.
    public enum Conclusion: Sendable, Equatable {
        /// Every capability has a finding; ``Result/kept`` is the list to use.
        case finished
        /// The workload failed (or was flaky) with the whole list: nothing can be proven.
        case baselineFailed
        /// A signal stopped a run; the findings so far are partial.
        case stopped
    }

    /// What the search found.
    public struct Result: Sendable, Equatable {
        /// How it ended.
        public var conclusion: Conclusion
        /// The list searched.
        public var candidates: [String]
        /// The smallest list proven to pass: needed and undecided capabilities.
        public var kept: [String]
        /// One finding per capability decided, sorted by verdict, then name.
        public var findings: [Finding]
        /// The baseline trial: runs that passed and failed with the whole list.
        public var baselinePassed: Int
        /// Baseline runs that failed.
        public var baselineFailed: Int
        /// How the last failing baseline run failed.
        public var baselineFailure: String?
        /// Runs made in all.
        public var runs: Int
        /// Whether the budget ran out before every capability was tried.
        public var budgetExhausted: Bool
    }

    /// Runs per trial (at least 1).
    public var runs: Int
    /// Whether the time budget is spent; asked before every run.
    public var budgetSpent: @Sendable () -> Bool
    /// Called after every run.
    public var onProgress: (@Sendable (Progress) -> Void)?

    /// Creates a search.
    public init(
        runs: Int, budgetSpent: @escaping @Sendable () -> Bool = { false },
        onProgress: (@Sendable (Progress) -> Void)? = nil
    ) {
        self.runs = max(1, runs)
        self.budgetSpent = budgetSpent
        self.onProgress = onProgress
    }

    private enum TrialVerdict {
        case passes, fails, flaky, outOfBudget, stopped
    }

    private struct Trial {
        var verdict: TrialVerdict
        var passed = 0
        var failed = 0
        var failure: String?
    }

    /// Searches `candidates` (any order; duplicates collapse), calling `run` with each list to try.
    ///
    /// - Parameter run: runs the workload once with exactly the given capabilities (sorted).
    public func minimize(_ candidates: [String], run: (_ capabilities: [String]) -> RunResult) -> Result {
        let all = Array(Set(candidates)).sorted()
        var findings: [String: Finding] = [:]
        var totalRuns = 0
        var kept = Set(all)

        func trial(without group: [String]) -> Trial {
            var result = Trial(verdict: .passes)
            let list = kept.subtracting(group).sorted()
            for _ in 0..<runs {
                if budgetSpent() { return Trial(verdict: .outOfBudget) }
                let outcome = run(list)
                totalRuns += 1
                switch outcome {
                case .passed: result.passed += 1
                case .failed(let how):
                    result.failed += 1
                    result.failure = how
                case .stopped: return Trial(verdict: .stopped)
                }
                onProgress?(Progress(decided: findings.count, total: all.count, runs: totalRuns, without: group))
                if result.passed > 0, result.failed > 0 {
                    result.verdict = .flaky
                    return result
                }
            }
            result.verdict = result.failed > 0 ? .fails : .passes
            return result
        }

        func finish(_ conclusion: Conclusion, baseline: Trial, exhausted: Bool = false) -> Result {
            Result(
                conclusion: conclusion, candidates: all, kept: kept.sorted(),
                findings: findings.values.sorted { ($0.verdict, $0.name) < ($1.verdict, $1.name) },
                baselinePassed: baseline.passed, baselineFailed: baseline.failed, baselineFailure: baseline.failure,
                runs: totalRuns, budgetExhausted: exhausted)
        }

        let baseline = trial(without: [])
        switch baseline.verdict {
        case .passes: break
        case .stopped: return finish(.stopped, baseline: baseline)
        case .outOfBudget:
            for name in all {
                findings[name] = Finding(name: name, verdict: .undecided, removedWith: [name], passed: 0, failed: 0)
            }
            return finish(.finished, baseline: baseline, exhausted: true)
        case .fails, .flaky: return finish(.baselineFailed, baseline: baseline)
        }

        // Groups to try removing, first in first out; a group that does not pass is split in two.
        var pending: [[String]] = all.isEmpty ? [] : [all]
        var exhausted = false
        while !pending.isEmpty {
            let group = pending.removeFirst()
            let result = exhausted ? Trial(verdict: .outOfBudget) : trial(without: group)
            switch result.verdict {
            case .stopped:
                return finish(.stopped, baseline: baseline)
            case .passes:
                kept.subtract(group)
                for name in group {
                    findings[name] = Finding(
                        name: name, verdict: .unneeded, removedWith: group, passed: result.passed, failed: 0)
                }
            case .outOfBudget:
                exhausted = true
                for name in group {
                    findings[name] = Finding(name: name, verdict: .undecided, removedWith: [name], passed: 0, failed: 0)
                }
            case .fails, .flaky:
                if group.count > 1 {
                    let half = group.count / 2
                    pending.insert(contentsOf: [Array(group[..<half]), Array(group[half...])], at: 0)
                    continue
                }
                let flaky = result.verdict == .flaky
                findings[group[0]] = Finding(
                    name: group[0], verdict: flaky ? .undecided : .needed, removedWith: group, passed: result.passed,
                    failed: result.failed, failure: result.failure, flaky: flaky)
            }
        }
        return finish(.finished, baseline: baseline, exhausted: exhausted)
    }
}
