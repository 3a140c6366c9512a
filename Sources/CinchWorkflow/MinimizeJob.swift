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
        /// it passes when it exits with 0 within `timeout` seconds (then it is killed and fails).
        case command([String], timeout: Double)
        /// A container an engine runs (podman, Docker) with its own runtime: each run adds
        /// `--cap-drop ALL`, `--cap-add` for each capability tried and `--security-opt seccomp=FILE`
        /// to the options' run arguments. It passes when the driver passes, or, without one, when
        /// the container exits with 0.
        case engine(EngineSession.Options)
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
        /// After the capabilities, also find which allowed syscalls the workload survives
        /// without (a report only).
        public var syscalls = false
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
        /// say that the baseline failed. `syscalls` is the `--syscalls` search (with the list
        /// kept), when asked for and the capability search finished; `errno` what denials returned.
        case searched(CapabilityMinimizer.Result, syscalls: CapabilityMinimizer.Result?, errno: UInt32)
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
        case .engine:
            guard candidates != nil else {
                return .unusable(messages: [
                    "give the list to minimise for an engine's container (--caps or --caps-file)."
                ])
            }
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
        switch VerifyJob.loadProfile(request.seccomp) {
        case .success(let loaded): profile = loaded
        case .failure(let error): return .unusable(messages: [error.description])
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
        func attempt(_ capabilities: [String], denying denied: Set<String>) -> CapabilityMinimizer.RunResult {
            // A Docker profile's includes/excludes depend on the capabilities, as in dockerd.
            let target = SeccompTarget(native: native, capabilities: Set(capabilities), kernel: KernelVersion.running)
            let resolved = profile.resolved(for: target).denying(denied)
            let run: Run
            switch request.workload {
            case .container(let session): run = runContainer(session, seccomp: resolved, capabilities: capabilities)
            case .command(let command, let timeout):
                run = runCommand(command, timeout: timeout, seccomp: resolved, capabilities: capabilities)
            case .engine(let options): run = runEngine(options, seccomp: resolved, capabilities: capabilities)
            }
            switch run {
            case .result(let result): return result
            case .abort(let outcome):
                abort = outcome
                return .stopped
            }
        }
        let result = minimizer.minimize(list) { attempt($0, denying: []) }
        if let abort { return abort }
        var syscalls: CapabilityMinimizer.Result?
        if request.syscalls, result.conclusion == .finished {
            let kept = result.kept
            let target = SeccompTarget(native: native, capabilities: Set(kept), kernel: KernelVersion.running)
            // Without exit and exit_group nothing can end (glibc's _exit retries exit forever).
            let candidates = profile.resolved(for: target).namesOnlyAllowed.filter {
                $0 != "exit" && $0 != "exit_group"
            }
            // The list kept passed: the search's baseline must pass again with it.
            syscalls = minimizer.minimize(candidates) { allowed in
                attempt(kept, denying: Set(candidates).subtracting(allowed))
            }
            if let abort { return abort }
        }
        return .searched(result, syscalls: syscalls, errno: profile.denialErrno)
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

    private static func runEngine(
        _ options: EngineSession.Options, seccomp: SeccompProfile, capabilities: [String]
    ) -> Run {
        let directory: String
        do {
            directory = try System.makeTemporaryDirectory(prefix: "cinch-minimize-")
        } catch {
            return .abort(.cannotRun(messages: ["Cannot make a temporary directory: \(error)."]))
        }
        let file = directory + "/seccomp.json"
        defer { System.removeDirectory(directory, files: ["seccomp.json"]) }
        do {
            try FileIO.writeAtomically(seccomp.jsonValue().rendered(), to: file)
        } catch {
            return .abort(.cannotRun(messages: ["\(error)"]))
        }
        var session = options
        session.runArguments =
            ["--cap-drop", "ALL"] + capabilities.sorted().flatMap { ["--cap-add", $0] }
            + ["--security-opt", "seccomp=\(file)"] + options.runArguments
        let outcome: EngineSession.Outcome
        do {
            outcome = try EngineSession(options: session).run()
        } catch {
            // The engine refusing to start the container under the list is the list's doing.
            return .result(.failed(error.message))
        }
        if let signal = outcome.interruption { return .abort(.interrupted(signal: signal)) }
        if let reason = outcome.driverSkippedReason { return .result(.failed("driver did not run: \(reason)")) }
        if let driver = outcome.driverStatus {
            return .result(driver == 0 ? .passed : .failed("driver exited with \(driver)"))
        }
        if outcome.timedOut { return .result(.failed("container stopped at the timeout")) }
        let status = outcome.containerStatus.map(String.init) ?? "an unknown status"
        return .result(outcome.containerStatus == 0 ? .passed : .failed("container exited with \(status)"))
    }

    private static func runCommand(
        _ command: [String], timeout: Double, seccomp: SeccompProfile, capabilities: [String]
    ) -> Run {
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
            // Not found, or no fork: nothing to learn. An execve the profile denies is a failed run.
            guard error.stage == .lookup || error.stage == .fork else { return .result(.failed(error.description)) }
            return .abort(.cannotRun(messages: [error.description], notFound: error.stage == .lookup))
        }
        Signals.forward(to: child.pid)
        defer { Signals.stopForwarding() }
        // A denied syscall can make a command spin or wait forever: poll, and kill it at the timeout.
        let deadline = System.monotonicSeconds() + timeout
        var pause = 0.001
        while true {
            if let status = ProcessRunner.reapIfExited(child.pid) {
                if let signal = Signals.caught { return .abort(.interrupted(signal: signal)) }
                return .result(status.shellStatus == 0 ? .passed : .failed("command exited with \(status.shellStatus)"))
            }
            if System.monotonicSeconds() >= deadline {
                try? ProcessDescriptor(child: child.pid).send(9)  // SIGKILL
                _ = try? Spawn.wait(for: child.pid)
                return .result(.failed("command killed at the timeout (\(timeout) s)"))
            }
            System.sleep(seconds: pause)
            pause = min(pause * 2, 0.02)
        }
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
