// SPDX-License-Identifier: Apache-2.0
// `cinch minimize`: prove which capabilities of a list a container or a command needs, by running
// it without them (CapabilityMinimizer decides what to try; this job runs the workload for each try).

public import CinchContainer
internal import CinchLinux
public import CinchModel
internal import CinchSeccomp

/// Proves the smallest capability list a container or a command works with.
public enum MinimizeJob {
    /// What runs in each trial.
    public enum Workload: Sendable {
        /// A container run (bundle, runtime, driver, port, timeout, grace); its seccomp and
        /// capabilities are set by the job for every run.
        case container(ContainerSession.Options)
        /// A command run as a child of cinch (which must be uid 0) under the profile, with every
        /// capability outside the list removed from its bounding, inheritable and ambient sets;
        /// it passes when it exits with 0.
        case command([String])
    }

    /// What to minimise.
    public struct Request: Sendable {
        /// The workload.
        public var workload: Workload
        /// The seccomp profile file (Docker or OCI JSON) every run uses.
        public var seccomp: String
        /// The list to minimise; nil takes the bundle's bounding set (required for a command).
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
            workload: Workload, seccomp: String, capabilities: CapabilityList?, runs: Int,
            budget: Double?, onNote: (@Sendable (String) -> Void)? = nil,
            onProgress: (@Sendable (CapabilityMinimizer.Progress) -> Void)? = nil
        ) {
            self.workload = workload
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
        /// The runtime failed in a way that is not the list's doing, or the command could not be
        /// started (``SpawnError/Stage/lookup``: not found).
        case cannotRun(messages: [String], notFound: Bool = false)
        /// A signal to cinch stopped a run (SIGINT, SIGTERM, SIGHUP); the container was stopped and
        /// deleted.
        case interrupted(signal: CInt)
    }

    /// Runs the search.
    public static func run(_ request: Request) -> Outcome {
        var candidates = request.capabilities?.capabilities
        switch request.workload {
        case .container(let session):
            if candidates == nil { candidates = session.bundle.boundingCapabilities ?? [] }
        case .command:
            guard candidates != nil else {
                return .unusable(messages: ["give the list to minimise for a command (--caps or --caps-file)."])
            }
            guard System.effectiveUserID == 0 else {
                return .unusable(messages: ["minimising a command's capabilities needs root (cinch runs it as uid 0)."])
            }
        }
        let list = candidates ?? []
        let unknown = list.filter { !CapabilityList.isKnown($0) }
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
            profile, file: request.seccomp, native: native, capabilities: Set(list))
        let errors = compilation.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else { return .unusable(messages: errors.map(\.description)) }
        if case .container = request.workload { RecordJob.reportLeftovers(request.onNote) }

        let start = ContinuousClock.now
        let budget = request.budget.map { Duration.milliseconds(Int64(($0 * 1000).rounded())) }
        let minimizer = CapabilityMinimizer(
            runs: request.runs,
            budgetSpent: { budget.map { ContinuousClock.now - start >= $0 } ?? false },
            onProgress: request.onProgress)

        // A failure that is not the list's doing ends the search; the signal that stopped a run too.
        var abort: Outcome?
        let result = minimizer.minimize(list) { capabilities in
            // A Docker profile's includes/excludes depend on the capabilities, as in dockerd.
            let target = SeccompTarget(native: native, capabilities: Set(capabilities), kernel: KernelVersion.running)
            let resolved = profile.resolved(for: target)
            let run: Run
            switch request.workload {
            case .container(let session): run = runContainer(session, seccomp: resolved, capabilities: capabilities)
            case .command(let command): run = runCommand(command, seccomp: resolved, capabilities: capabilities)
            }
            switch run {
            case .result(let result): return result
            case .abort(let outcome):
                abort = outcome
                return .stopped
            }
        }
        if let abort { return abort }
        return .searched(result)
    }

    private enum Run {
        case result(CapabilityMinimizer.RunResult)
        case abort(Outcome)
    }

    private static func runContainer(
        _ options: ContainerSession.Options, seccomp: SeccompProfile, capabilities: [String]
    ) -> Run {
        var session = options
        session.seccomp = seccomp.jsonValue()
        session.capabilities = capabilities
        do throws(ContainerError) {
            let outcome = try ContainerSession(options: session).run()
            if let signal = outcome.interruption { return .abort(.interrupted(signal: signal)) }
            let driverOK = outcome.driverStatus.map { $0 == 0 } ?? (session.driver == nil)
            if outcome.containerSucceeded, driverOK { return .result(.passed) }
            return .result(.failed(describe(outcome)))
        } catch {
            // The runtime failing to create or start the container under the list is the list's
            // doing (runc cannot switch to process.user without CAP_SETUID); anything else is not.
            if error.code == .runtimeFailed { return .result(.failed(error.message)) }
            return .abort(
                error.code == .badBundle
                    ? .unusable(messages: [error.message]) : .cannotRun(messages: [error.message]))
        }
    }

    private static func runCommand(_ command: [String], seccomp: SeccompProfile, capabilities: [String]) -> Run {
        let compilation = SeccompProfileCompiler.compile(seccomp, file: "<profile>")
        guard let bpf = compilation.bpf else {
            return .abort(.unusable(messages: compilation.diagnostics.map(\.description)))
        }
        let child: SpawnedChild
        do {
            child = try Spawn.spawn(
                command, filter: bpf, traced: false, noNewPrivileges: !Spawn.hasSysAdmin,
                keepingCapabilities: Set(capabilities.compactMap(CapabilityList.number(of:))))
        } catch {
            return .abort(.cannotRun(messages: [error.description], notFound: error.stage == .lookup))
        }
        Signals.forward(to: child.pid)
        let status = (try? Spawn.wait(for: child.pid))?.shellStatus ?? 128 + 9
        Signals.stopForwarding()
        if let signal = Signals.caught { return .abort(.interrupted(signal: signal)) }
        return .result(status == 0 ? .passed : .failed("command exited with \(status)"))
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
