// SPDX-License-Identifier: Apache-2.0
// `cinch minimize`: prove which capabilities of a list a container needs, by running it without
// them (CapabilityMinimizer decides what to try; this job runs the container for each try).

public import CinchContainer
internal import CinchLinux
public import CinchModel
internal import CinchSeccomp

/// Proves the smallest capability list a container works with.
public enum MinimizeJob {
    /// What to minimise.
    public struct Request: Sendable {
        /// The container run (bundle, runtime, driver, port, timeout, grace); its seccomp and
        /// capabilities are set by the job for every run.
        public var session: ContainerSession.Options
        /// The seccomp profile file (Docker or OCI JSON) every run uses.
        public var seccomp: String
        /// The list to minimise; nil takes the bundle's bounding set.
        public var capabilities: CapabilityList?
        /// Runs per trial.
        public var runs: Int
        /// Seconds the whole search may take; nil for no limit.
        public var budget: Double?
        /// Receives notes for the user.
        public var onNote: (@Sendable (String) -> Void)?
        /// Receives the search's progress after every run.
        public var onProgress: (@Sendable (CapabilityMinimizer.Progress) -> Void)?

        /// Creates a request.
        public init(
            session: ContainerSession.Options, seccomp: String, capabilities: CapabilityList?, runs: Int,
            budget: Double?, onNote: (@Sendable (String) -> Void)? = nil,
            onProgress: (@Sendable (CapabilityMinimizer.Progress) -> Void)? = nil
        ) {
            self.session = session
            self.seccomp = seccomp
            self.capabilities = capabilities
            self.runs = runs
            self.budget = budget
            self.onNote = onNote
            self.onProgress = onProgress
        }
    }

    /// How the job ended.
    public enum Outcome: Sendable {
        /// The search ran; the result may still have undecided capabilities (flaky, budget), or
        /// say that the baseline failed.
        case searched(CapabilityMinimizer.Result)
        /// The profile, the capability list or the bundle is unusable.
        case unusable(messages: [String])
        /// The runtime failed in a way that is not the list's doing.
        case cannotRun(messages: [String])
        /// A signal to cinch stopped a run (SIGINT, SIGTERM, SIGHUP); the container was stopped and
        /// deleted.
        case interrupted(signal: CInt)
    }

    /// Runs the search.
    public static func run(_ request: Request) -> Outcome {
        let candidates = request.capabilities?.capabilities ?? request.session.bundle.boundingCapabilities ?? []
        let unknown = candidates.filter { !CapabilityList.isKnown($0) }
        if !unknown.isEmpty {
            return .unusable(messages: ["not Linux capabilities: \(unknown.joined(separator: ", "))."])
        }
        let profile: SeccompProfile
        do {
            profile = try SeccompProfile.load(path: request.seccomp)
        } catch {
            return .unusable(messages: [error.description])
        }
        let native = SyscallResolver.native
        let compilation = SeccompProfileCompiler.compile(
            profile, file: request.seccomp, native: native, capabilities: Set(candidates))
        let errors = compilation.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else { return .unusable(messages: errors.map(\.description)) }
        RecordJob.reportLeftovers(request.onNote)

        let start = ContinuousClock.now
        let budget = request.budget.map { Duration.milliseconds(Int64(($0 * 1000).rounded())) }
        let minimizer = CapabilityMinimizer(
            runs: request.runs,
            budgetSpent: { budget.map { ContinuousClock.now - start >= $0 } ?? false },
            onProgress: request.onProgress)

        // A failure that is not the list's doing ends the search; the signal that stopped a run too.
        var abort: Outcome?
        let result = minimizer.minimize(candidates) { capabilities in
            var session = request.session
            // A Docker profile's includes/excludes depend on the capabilities, as in dockerd.
            let target = SeccompTarget(native: native, capabilities: Set(capabilities), kernel: KernelVersion.running)
            session.seccomp = profile.resolved(for: target).jsonValue()
            session.capabilities = capabilities
            do throws(ContainerError) {
                let outcome = try ContainerSession(options: session).run()
                if let signal = outcome.interruption {
                    abort = .interrupted(signal: signal)
                    return .stopped
                }
                let driverOK = outcome.driverStatus.map { $0 == 0 } ?? (session.driver == nil)
                if outcome.containerSucceeded, driverOK { return .passed }
                return .failed(describe(outcome))
            } catch {
                // The runtime failing to create or start the container under the list is the
                // list's doing (runc's init cannot, for example, change to a user without
                // CAP_SETUID); anything else is not.
                if error.code == .runtimeFailed { return .failed(error.message) }
                abort =
                    error.code == .badBundle
                    ? .unusable(messages: [error.message]) : .cannotRun(messages: [error.message])
                return .stopped
            }
        }
        if let abort { return abort }
        return .searched(result)
    }

    /// How a failed run ended, in words: `container exited with 1; driver exited with 0`.
    static func describe(_ outcome: ContainerSession.Outcome) -> String {
        var parts = ["container exited with \(outcome.containerStatus)"]
        if outcome.timedOut { parts[0] += " at the timeout" }
        if let driver = outcome.driverStatus { parts.append("driver exited with \(driver)") }
        if let reason = outcome.driverSkippedReason { parts.append("driver did not run: \(reason)") }
        return parts.joined(separator: "; ")
    }
}
