// SPDX-License-Identifier: Apache-2.0
// The search behind `cinch minimize`, against workloads simulated by a predicate over the list:
// what it keeps must pass, each kept capability must be needed, and doubt must never drop one.

import CinchModel
import CinchWorkflow
import Synchronization
import Testing

@Suite struct CapabilityMinimizerTests {
    /// A workload that passes exactly when `passes(list)` holds, counting its runs.
    final class Workload: Sendable {
        let passes: @Sendable (Set<String>, Int) -> Bool
        let calls = Mutex<[[String]]>([])

        init(_ passes: @escaping @Sendable (Set<String>, Int) -> Bool) { self.passes = passes }

        func run(_ list: [String]) -> CapabilityMinimizer.RunResult {
            let index = calls.withLock {
                $0.append(list)
                return $0.count
            }
            return passes(Set(list), index) ? .passed : .failed("exited with 1")
        }

        var runCount: Int { calls.withLock { $0.count } }
    }

    static let list = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETGID", "CAP_SETUID",
    ]

    /// Every subset of needs gives exactly that subset, and it is the list the search last passed.
    @Test(arguments: [
        Set<String>(), ["CAP_CHOWN"], ["CAP_SETGID", "CAP_SETUID", "CAP_CHOWN"], Set(list), ["CAP_NET_BIND_SERVICE"],
    ])
    func keepsExactlyWhatTheWorkloadNeeds(needs: Set<String>) {
        let workload = Workload { list, _ in needs.isSubset(of: list) }
        let result = CapabilityMinimizer(runs: 2).minimize(Self.list.reversed(), run: workload.run)
        #expect(result.conclusion == .finished)
        #expect(result.kept == needs.sorted())
        #expect(result.names(.needed) == needs.sorted())
        #expect(result.names(.unneeded) == Set(Self.list).subtracting(needs).sorted())
        #expect(result.names(.undecided) == [])
        #expect(result.runs == workload.runCount)
        #expect(result.candidates == Self.list)
        // Every verdict agreed over both runs of its trial.
        for finding in result.findings {
            #expect(finding.verdict == .needed ? finding.failed == 2 : finding.passed == 2, "\(finding)")
        }
    }

    /// Trying the whole list first: a workload that needs nothing costs two trials.
    @Test func aWorkloadThatNeedsNothingTakesTwoTrials() {
        let workload = Workload { _, _ in true }
        let result = CapabilityMinimizer(runs: 3).minimize(Self.list, run: workload.run)
        #expect(result.kept == [])
        #expect(workload.runCount == 6)
        #expect(workload.calls.withLock { $0.last } == [])
    }

    /// Alternatives (either DAC capability opens the file): one of them is kept, not both and not
    /// neither, and the kept list passes.
    @Test func keepsOneOfTwoAlternatives() {
        let needs = { @Sendable (list: Set<String>) in
            list.contains("CAP_SETUID") && (list.contains("CAP_DAC_OVERRIDE") || list.contains("CAP_FOWNER"))
        }
        let workload = Workload { list, _ in needs(list) }
        let result = CapabilityMinimizer(runs: 1).minimize(Self.list, run: workload.run)
        #expect(needs(Set(result.kept)))
        #expect(result.kept.count == 2, "\(result.kept)")
        for name in result.kept { #expect(!needs(Set(result.kept).subtracting([name])), "\(name)") }
    }

    /// A capability whose removal fails only sometimes is undecided and kept; the others are decided.
    @Test func aFlakyCapabilityIsUndecidedAndKept() {
        let workload = Workload { list, call in list.contains("CAP_KILL") || call.isMultiple(of: 2) }
        let result = CapabilityMinimizer(runs: 2).minimize(Self.list, run: workload.run)
        #expect(result.conclusion == .finished)
        #expect(result.kept == ["CAP_KILL"])
        #expect(result.names(.undecided) == ["CAP_KILL"])
        let kill = result.findings.first { $0.name == "CAP_KILL" }
        #expect(kill?.flaky == true)
        #expect(kill?.undecidedReason == "flaky")
        #expect(result.names(.unneeded).count == Self.list.count - 1)
    }

    /// One failing run among passing ones never proves a capability unneeded, whichever run fails.
    @Test(arguments: 1...3)
    func oneFailureAmongThreeRunsIsNeverUnneeded(failingRun: Int) {
        let counter = Mutex(0)
        let workload = Workload { list, _ in
            guard !list.contains("CAP_CHOWN") else { return true }
            return counter.withLock {
                $0 += 1
                return ($0 - 1) % 3 + 1 != failingRun
            }
        }
        let result = CapabilityMinimizer(runs: 3).minimize(["CAP_CHOWN"], run: workload.run)
        #expect(result.kept == ["CAP_CHOWN"])
        #expect(result.names(.undecided) == ["CAP_CHOWN"])
    }

    /// When the budget runs out, what was not tried is undecided and kept.
    @Test func theBudgetLeavesUntriedCapabilitiesUndecided() {
        let workload = Workload { list, _ in list.contains("CAP_CHOWN") }
        let spent = { @Sendable in workload.runCount >= 3 }
        let result = CapabilityMinimizer(runs: 1, budgetSpent: spent).minimize(Self.list, run: workload.run)
        #expect(result.conclusion == .finished)
        #expect(result.budgetExhausted)
        #expect(workload.runCount == 3)
        // Baseline, all removed (fails), first half removed (fails): nothing is decided yet.
        #expect(result.kept == Self.list)
        #expect(result.names(.undecided) == Self.list)
        #expect(result.findings.allSatisfy { $0.undecidedReason == "budget" })
    }

    /// A workload that fails with the whole list proves nothing.
    @Test func aFailingBaselineProvesNothing() {
        let workload = Workload { _, call in call != 2 }
        let result = CapabilityMinimizer(runs: 2).minimize(Self.list, run: workload.run)
        #expect(result.conclusion == .baselineFailed)
        #expect(result.baselinePassed == 1)
        #expect(result.baselineFailed == 1)
        #expect(result.findings == [])
        #expect(result.renderedText(runsPerTrial: 2).contains("failed 1 of 2 runs with the whole list"))
    }

    /// A signal stops the search at once.
    @Test func aStoppedRunStopsTheSearch() {
        var calls = 0
        let result = CapabilityMinimizer(runs: 1).minimize(Self.list) { _ in
            calls += 1
            return calls == 2 ? .stopped : .passed
        }
        #expect(result.conclusion == .stopped)
        #expect(calls == 2)
    }

    /// The JSON report names every verdict; the text report one line per capability and the list.
    @Test func reportsAreComplete() {
        let workload = Workload { list, _ in list.contains("CAP_CHOWN") }
        let result = CapabilityMinimizer(runs: 1).minimize(["CAP_CHOWN", "CAP_KILL"], run: workload.run)
        let json = result.jsonValue(runsPerTrial: 1)
        #expect(json[member: "needed"] == .makeArray([.string("CAP_CHOWN")]))
        #expect(json[member: "unneeded"] == .makeArray([.string("CAP_KILL")]))
        #expect(json[member: "kept"] == .makeArray([.string("CAP_CHOWN")]))
        #expect(json[member: "conclusion"] == .string("finished"))
        let text = result.renderedText(runsPerTrial: 1)
        #expect(text.contains("needed     CAP_CHOWN  failed 1 of 1 runs without it: exited with 1"), "\(text)")
        #expect(text.contains("unneeded   CAP_KILL   passed 1 of 1 runs without it"), "\(text)")
        #expect(text.hasSuffix("list: CAP_CHOWN\n"), "\(text)")
    }
}
