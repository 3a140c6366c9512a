// SPDX-License-Identifier: Apache-2.0
// Runs an OCI bundle once under runc or crun, with an optional host-side driver.

internal import CinchLinux
public import CinchModel
internal import Synchronization

/// A container runtime cinch can drive.
public enum ContainerRuntime: String, Sendable, CaseIterable {
    /// runc (the reference runtime).
    case runc
    /// crun.
    case crun

    /// The first line of `RUNTIME --version`, or nil when it cannot run.
    public var version: String? { Self.version(of: rawValue) }

    /// The first line of `PROGRAM --version` (a runtime's name or path), or nil when it cannot run.
    public static func version(of program: String) -> String? {
        guard let outcome = try? ProcessRunner.run([program, "--version"]), outcome.shellStatus == 0 else {
            return nil
        }
        return outcome.outputText.split(separator: "\n").first.map(String.init)
    }
}

/// How `RUNTIME create` runs: plainly (``PlainLauncher``), or under a recorder that follows the
/// container it creates (`ContainerRecorder` in CinchRecord).
public protocol ContainerLauncher: Sendable {
    /// Runs `command` (`RUNTIME create …`).
    ///
    /// Calls `created` exactly once, with create's status in shell form, when `create` itself
    /// exits (or when it never ran: 127). Returns when `create` has exited, or, for a launcher
    /// that follows what `create` starts, when every process it started has ended.
    /// - Returns: the trace and the exit statuses it saw, if it followed the container.
    /// - Throws: ``ContainerError`` with ``ContainerError/Code/launchFailed`` and the launcher's
    ///   own error as ``ContainerError/underlying``.
    func launch(_ command: [String], created: @escaping @Sendable (Int32) -> Void) throws(ContainerError)
        -> ContainerLaunch
}

/// What a ``ContainerLauncher`` saw.
public struct ContainerLaunch: Sendable {
    /// The recording, when the launcher recorded.
    public var trace: Trace?
    /// Exit statuses by pid, when the launcher followed the container to its end; nil when it
    /// returned as soon as `create` exited (the session then waits for the container itself).
    public var exits: [CInt: Trace.ExitStatus]?

    /// Creates a launch result.
    public init(trace: Trace? = nil, exits: [CInt: Trace.ExitStatus]? = nil) {
        self.trace = trace
        self.exits = exits
    }
}

/// Runs `RUNTIME create` as a plain child, as container engines do.
public struct PlainLauncher: ContainerLauncher {
    /// Creates the launcher.
    public init() {}

    /// Runs `command` to its end and reports its status.
    public func launch(_ command: [String], created: @escaping @Sendable (Int32) -> Void) -> ContainerLaunch {
        created((try? ProcessRunner.run(command, captureOutput: false))?.shellStatus ?? 127)
        return ContainerLaunch()
    }
}

/// One run of a container: the bundle's process, under a seccomp profile, maybe recorded.
///
/// The user's bundle is copied into a temporary bundle whose `config.json` carries the given
/// `linux.seccomp`. A ``ContainerLauncher`` runs `RUNTIME create`: plainly, or (for a
/// recording) as the tracer of `RUNTIME create` itself, so that the runtime installs the
/// container's filter and cinch installs none of its own.
///
/// A service container is exercised by a driver: a host command run once the container is up
/// (after a TCP port accepts a connection, if asked). When the driver ends, the container gets
/// SIGTERM, then SIGKILL after a grace period. The temporary bundle and the container are always
/// deleted.
///
/// SIGINT, SIGTERM or SIGHUP sent to cinch during a run stop the container the same way, through
/// the runtime (a second signal skips the grace period), and the run returns early with
/// ``Outcome/interruption`` set; see ``run(launcher:)``. If cinch is killed outright (SIGKILL), a
/// watchdog process deletes the container and the temporary bundle.
public struct ContainerSession: Sendable {
    /// What to run and how.
    public struct Options: Sendable {
        /// The bundle.
        public var bundle: OCIBundle
        /// The runtime.
        public var runtime: ContainerRuntime
        /// The OCI `linux.seccomp` object to run under; nil removes the bundle's own.
        public var seccomp: JSONValue?
        /// Capabilities for bounding/effective/permitted; nil keeps the bundle's.
        public var capabilities: [String]?
        /// A host command (run with `sh -c`) that exercises the container.
        public var driver: String?
        /// A TCP port on 127.0.0.1 to wait for before running the driver.
        public var waitPort: Int?
        /// Seconds the whole run may take.
        public var timeout: Double?
        /// Seconds between SIGTERM and SIGKILL when cinch stops the container.
        public var gracePeriod: Double
        /// A helper that runs first, inside the container, then execs the bundle's `process.args`.
        public var entrypoint: EntrypointWrapper?
        /// Told each ``Phase`` the run enters, from a thread of the session (for a status line).
        public var onPhase: (@Sendable (Phase) -> Void)?
        /// Commands run inside the container, in order, once it is ready and before the driver,
        /// each with `RUNTIME exec ID /bin/sh -c COMMAND` through the session's launcher: a
        /// recording follows the runtime's exec path and the command as it follows `create`.
        public var execCommands: [String] = []

        /// Creates options.
        public init(
            bundle: OCIBundle, runtime: ContainerRuntime, seccomp: JSONValue?, capabilities: [String]? = nil,
            driver: String? = nil, waitPort: Int? = nil, timeout: Double? = nil, gracePeriod: Double = 5
        ) {
            self.bundle = bundle
            self.runtime = runtime
            self.seccomp = seccomp
            self.capabilities = capabilities
            self.driver = driver
            self.waitPort = waitPort
            self.timeout = timeout
            self.gracePeriod = gracePeriod
        }
    }

    /// Where a run is, for a status line.
    public enum Phase: Sendable, Equatable {
        /// The runtime is creating and starting the container.
        case starting
        /// The container is started; cinch waits until 127.0.0.1:PORT accepts a connection.
        case waitingForPort(Int)
        /// The container is up and nothing is left to do but wait for it to end.
        case running
        /// An `--exec` command runs inside the container through `RUNTIME exec`.
        case execRunning
        /// The driver runs (its output goes to the terminal).
        case driverRunning
        /// cinch is stopping the container through the runtime.
        case stopping
    }

    /// How the run went.
    public struct Outcome: Sendable {
        /// The trace, when the launcher recorded one.
        public var trace: Trace?
        /// The container's exit status in shell form (its init's status).
        public var containerStatus: Int32
        /// The container's exit status as the launcher saw it, when it followed the container.
        public var containerExit: Trace.ExitStatus?
        /// The driver's exit status, when there was a driver that ran.
        public var driverStatus: Int32?
        /// Whether cinch stopped the container (after the driver, or at the timeout).
        public var stoppedByCinch: Bool
        /// Whether the timeout ended the run.
        public var timedOut: Bool
        /// The host pid of the container's init (its first process), when it started.
        public var containerPID: CInt?
        /// The exit status (shell form) of each ``Options/execCommands`` command that ran, in order.
        public var execStatuses: [Int32] = []
        /// Why the driver did not run although a driver or a port to wait for was given (the
        /// container exited first, never accepted a connection before the timeout, or cinch was
        /// interrupted): the run did not exercise the workload (``exercisedWorkload``).
        public var driverSkippedReason: String?
        /// The signal (SIGINT, SIGTERM or SIGHUP) sent to cinch that made it stop the container
        /// before its end, if one was. The caller should stop too and exit with 128 + the signal.
        public var interruption: CInt?

        /// Whether the run did what it was asked to: with a driver or `--wait-port`, the container
        /// became ready and the driver ran. A recording or a verification of a run that did not
        /// has seen only the container's start, not its work.
        public var exercisedWorkload: Bool { driverSkippedReason == nil }

        /// The container ended on its own with 0, or was stopped by cinch after its driver.
        public var containerSucceeded: Bool {
            if containerStatus == 0 { return true }
            return stoppedByCinch && !timedOut && [143, 137].contains(containerStatus)
        }
    }

    /// The options.
    public var options: Options

    /// Creates a session.
    public init(options: Options) { self.options = options }

    /// Runs the container once.
    ///
    /// The runtime is driven the way container engines drive it: `RUNTIME create`, then
    /// `RUNTIME start`. Between the two the container's init waits for the start signal, which
    /// with some runtimes and settings happens after the filter is in place, so the profile must
    /// allow it. cinch becomes a child subreaper, so the init is reparented to it when `create`
    /// exits and its exit status is known.
    ///
    /// ## Signals
    ///
    /// While it runs, SIGINT, SIGTERM and SIGHUP sent to cinch do not end cinch; they are reported
    /// on a ``SignalWatcher`` thread and stop the run: a driver is killed (its whole process
    /// group), the container gets `RUNTIME kill ID TERM`, then `RUNTIME kill ID KILL` after the
    /// grace period (at once when `create` has not yet been followed by `start`, or at a second
    /// signal), and it is deleted and the temporary bundle removed as after any run. cinch never
    /// signals the container's processes itself and never signals a pid it has not just checked
    /// is its own: the runtime signals the container, and cinch's own children are signalled
    /// through pidfds. The outcome then carries the signal in ``Outcome/interruption``, also when
    /// the runtime failed meanwhile (a terminal's Ctrl-C reaches `RUNTIME create` too).
    /// - Parameter launcher: runs `RUNTIME create` (plainly by default).
    /// - Throws: ``ContainerError`` when the bundle cannot be prepared, the runtime cannot create
    ///   or start the container, or the launcher fails.
    public func run(launcher: some ContainerLauncher = PlainLauncher()) throws(ContainerError) -> Outcome {
        let options = self.options
        Supervision.becomeChildSubreaper()
        let state = SharedState()
        // From here on a signal stops the run instead of ending cinch with the container left.
        let watcher = try? SignalWatcher { state.interruption.note($0) }
        defer { watcher?.stop() }
        let id = "cinch-\(System.processID)-\(Self.nextSuffix())"
        var config = options.bundle.config(seccomp: options.seccomp, capabilities: options.capabilities)
        if let wrapper = options.entrypoint { config = try options.bundle.config(config, wrappedWith: wrapper) }
        let directory = try OCIBundle.writeTemporaryBundle(config: config)
        // Does the same as the cleanup below if cinch dies before it (SIGKILL).
        let watchdog = CleanupWatchdog.start(runtime: options.runtime, id: id, directory: directory)
        defer {
            _ = Self.runRuntime(options.runtime, ["delete", "--force", id])
            OCIBundle.removeTemporaryBundle(directory)
            watchdog?.dismiss()
        }
        let runtime = options.runtime.rawValue
        let create = [runtime, "create", "--bundle", directory, id]
        var outcome = Outcome(containerStatus: 0, stoppedByCinch: false, timedOut: false)
        // The controller starts the container once `create` has ended and publishes its init's pid (or -1).
        let controller = BackgroundThread { Self.control(id: id, options: options, state: state, launcher: launcher) }
        let launch: ContainerLaunch
        do {
            launch = try launcher.launch(create) { status in
                state.createStatus.store(status, ordering: .relaxed)
                state.created.store(true, ordering: .releasing)
            }
        } catch {
            state.created.store(true, ordering: .releasing)
            state.containerExited.store(true, ordering: .releasing)
            controller.join()
            throw error
        }
        if let exits = launch.exits {
            let exit = exits[state.containerPID.load(ordering: .acquiring)]
            outcome.containerExit = exit
            outcome.containerStatus = exit?.shellStatus ?? 0
        } else {
            var pid: CInt = 0
            while pid == 0 {
                pid = state.containerPID.load(ordering: .acquiring)
                if pid == 0 { System.sleep(seconds: 0.01) }
            }
            if pid > 0, let status = try? Spawn.wait(for: pid) { outcome.containerStatus = status.shellStatus }
        }
        state.containerExited.store(true, ordering: .releasing)
        controller.join()
        outcome.interruption = state.interruption.signal
        // Interrupted, a failed create or start is most likely the signal's doing (Ctrl-C reaches
        // the runtime too); the interruption is what to report.
        if outcome.interruption == nil { try state.throwIfTheRuntimeFailed(runtime) }
        outcome.trace = launch.trace
        for trace in state.execTraces { outcome.trace = outcome.trace.map { $0.merged(with: trace) } ?? trace }
        outcome.execStatuses = state.execStatuses
        outcome.driverStatus = state.driverStatus
        outcome.stoppedByCinch = state.stopped.load(ordering: .acquiring)
        outcome.timedOut = state.timedOut.load(ordering: .acquiring)
        let pid = state.containerPID.load(ordering: .acquiring)
        outcome.containerPID = pid > 0 ? pid : nil
        outcome.driverSkippedReason = state.driverSkippedReason
        return outcome
    }

    // MARK: - Controller

    /// What the controller thread and the runtime thread share.
    final class SharedState: @unchecked Sendable {
        /// `RUNTIME create` has ended (successfully or not).
        let created = Atomic<Bool>(false)
        /// Its exit status in shell form.
        let createStatus = Atomic<Int32>(0)
        /// The container's init: 0 until known, -1 when it never started.
        let containerPID = Atomic<CInt>(0)
        /// The container (and, traced, every tracee) has ended.
        let containerExited = Atomic<Bool>(false)
        let stopped = Atomic<Bool>(false)
        let timedOut = Atomic<Bool>(false)
        /// Signals sent to cinch during the run.
        let interruption = Interruption()
        // Written by the controller thread only, read after it is joined.
        var driverStatus: Int32?
        var driverSkippedReason: String?
        var startFailure: String?
        var execStatuses: [Int32] = []
        var execTraces: [Trace] = []

        func throwIfTheRuntimeFailed(_ runtime: String) throws(ContainerError) {
            let status = createStatus.load(ordering: .relaxed)
            if status != 0 {
                throw ContainerError(
                    .runtimeFailed,
                    "\(runtime) create failed with status \(status); the container was not created (its message is above)."
                )
            }
            if let startFailure { throw ContainerError(.runtimeFailed, startFailure) }
        }
    }

    private static let suffixCounter = Atomic<Int>(0)

    /// `8 s`, `2.5 s`.
    static func seconds(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? "\(Int(value)) s" : "\(value) s"
    }

    private static func nextSuffix() -> Int { suffixCounter.add(1, ordering: .relaxed).newValue }

    /// Starts the container, waits until it is up, runs the driver, stops the container, and
    /// enforces the timeout.
    private static func control(
        id: String, options: Options, state: SharedState, launcher: some ContainerLauncher
    ) {
        let start = System.monotonicSeconds()
        let deadline = options.timeout.map { start + $0 }
        func expired() -> Bool { deadline.map { System.monotonicSeconds() >= $0 } ?? false }
        func exited() -> Bool { state.containerExited.load(ordering: .acquiring) }
        func interrupted() -> Bool { state.interruption.isRequested }

        options.onPhase?(.starting)
        while !state.created.load(ordering: .acquiring) { System.sleep(seconds: 0.01) }
        guard state.createStatus.load(ordering: .relaxed) == 0, !exited() else {
            state.containerPID.store(-1, ordering: .releasing)
            return
        }
        let pid = containerPID(id: id, runtime: options.runtime)
        state.containerPID.store(pid ?? -1, ordering: .releasing)
        if interrupted() {
            // Created but never started: nothing of the workload has run, so there is nothing to
            // end gracefully.
            _ = runRuntime(options.runtime, ["kill", id, "KILL"])
            return
        }
        let started = runRuntime(options.runtime, ["start", id])
        guard let started, started.shellStatus == 0, pid != nil else {
            let message = started.map { $0.errorText } ?? "it could not be run"
            state.startFailure = "\(options.runtime.rawValue) start failed: \(message)"
            _ = runRuntime(options.runtime, ["kill", id, "KILL"])
            return
        }

        options.onPhase?(options.waitPort.map { .waitingForPort($0) } ?? .running)
        if options.driver != nil || options.waitPort != nil || !options.execCommands.isEmpty {
            if let port = options.waitPort {
                while !exited(), !expired(), !interrupted(), !System.acceptsConnection(port: port) {
                    System.sleep(seconds: 0.1)
                }
            }
            let readiness = options.waitPort.map { "127.0.0.1:\($0) accepted a connection" } ?? "it was ready"
            if exited() {
                state.driverSkippedReason = "the container exited before \(readiness)"
            } else if interrupted() {
                state.driverSkippedReason = "cinch was interrupted before \(readiness)"
            } else if expired() {
                state.timedOut.store(true, ordering: .releasing)
                let seconds = options.timeout.map { " (\(Self.seconds($0)))" } ?? ""
                state.driverSkippedReason = "the timeout\(seconds) passed before \(readiness)"
            } else {
                runExecCommands(id: id, options: options, state: state, launcher: launcher)
                if let driver = options.driver, !exited(), !interrupted(), !expired() {
                    options.onPhase?(.driverRunning)
                    state.driverStatus = runDriver(driver, expired: expired, state: state)
                } else {
                    options.onPhase?(.running)
                }
            }
            if !exited() {
                stop(id: id, options: options, state: state)
                reapStraysUntilExited(pid: pid, state: state)
                return
            }
        }
        while !exited() {
            if interrupted() {
                stop(id: id, options: options, state: state)
                return
            }
            if expired() {
                state.timedOut.store(true, ordering: .releasing)
                stop(id: id, options: options, state: state)
                return
            }
            System.sleep(seconds: 0.05)
        }
    }

    /// After cinch stopped the container: reaps what a failed `RUNTIME exec` left in the
    /// container's pid namespace (``Supervision/reapStrayContainerChildren(keeping:)``) until the
    /// container has exited, so its init can finish exiting.
    private static func reapStraysUntilExited(pid: CInt?, state: SharedState) {
        guard let pid else { return }
        while !state.containerExited.load(ordering: .acquiring) {
            Supervision.reapStrayContainerChildren(keeping: pid)
            System.sleep(seconds: 0.05)
        }
    }

    /// Runs each `--exec` command inside the container with `RUNTIME exec ID /bin/sh -c COMMAND`
    /// through `launcher`, so a recording follows it; stops early when the container has exited
    /// or cinch was interrupted. A launcher that fails counts as status 127.
    private static func runExecCommands(
        id: String, options: Options, state: SharedState, launcher: some ContainerLauncher
    ) {
        for command in options.execCommands {
            guard !state.containerExited.load(ordering: .acquiring), !state.interruption.isRequested else { return }
            options.onPhase?(.execRunning)
            let status = Atomic<Int32>(127)
            let exec = [options.runtime.rawValue, "exec", id, "/bin/sh", "-c", command]
            let launch = try? launcher.launch(exec) { status.store($0, ordering: .releasing) }
            if let trace = launch?.trace { state.execTraces.append(trace) }
            state.execStatuses.append(launch == nil ? 127 : status.load(ordering: .acquiring))
        }
    }

    /// Runs `RUNTIME arguments…` to its end, capturing its output, in a process group of its own:
    /// a terminal's Ctrl-C, which reaches cinch's group, must not cut short the `kill` or
    /// `delete` that cleans up after it. Nil when the runtime cannot be run.
    static func runRuntime(_ runtime: ContainerRuntime, _ arguments: [String]) -> ProcessOutcome? {
        try? ProcessRunner.run([runtime.rawValue] + arguments, newProcessGroup: true)
    }

    /// The pid of the container's init, from `RUNTIME state`.
    private static func containerPID(id: String, runtime: ContainerRuntime) -> CInt? {
        guard let outcome = runRuntime(runtime, ["state", id]), outcome.shellStatus == 0,
            let state = try? JSONParser.parse(outcome.standardOutput),
            case .number(let text)? = state.value[member: "pid"], let pid = CInt(text), pid > 0
        else { return nil }
        return pid
    }

    /// Runs the driver in its own process group; at the deadline, or when cinch is interrupted,
    /// the whole group is killed.
    private static func runDriver(_ driver: String, expired: () -> Bool, state: SharedState) -> Int32 {
        runDriver(driver, expired: expired, interruption: state.interruption) {
            state.timedOut.store(true, ordering: .releasing)
        }
    }

    /// Runs `driver` (`sh -c`) in a process group of its own and returns its status; when
    /// `expired()` (then `onTimeout` is called) or a signal was noted, the whole group is killed.
    static func runDriver(
        _ driver: String, expired: () -> Bool, interruption: Interruption, onTimeout: () -> Void = {}
    ) -> Int32 {
        guard
            let started = try? ProcessRunner.start(
                ["/bin/sh", "-c", driver], captureOutput: false, newProcessGroup: true)
        else { return 127 }
        // Opened before this thread reaps the driver, so it is the driver's (see ProcessDescriptor).
        let leader = try? ProcessDescriptor(child: started.pid)
        while true {
            if let status = ProcessRunner.reapIfExited(started.pid) {
                return status.shellStatus
            }
            let timedOut = expired()
            if timedOut || interruption.isRequested {
                if timedOut { onTimeout() }
                if let leader {
                    ProcessRunner.killGroup(leader, pid: started.pid)
                } else {
                    // No pidfd (Linux < 5.3): the leader is not reaped yet, so its pid is still the group's.
                    ProcessRunner.killUnreapedGroup(started.pid)
                }
                let status = (try? Spawn.wait(for: started.pid)) ?? WaitStatus(rawValue: 0x09)
                return status.shellStatus
            }
            System.sleep(seconds: 0.05)
        }
    }

    /// SIGTERM through the runtime, then SIGKILL after the grace period, or as soon as cinch gets a
    /// second signal.
    private static func stop(id: String, options: Options, state: SharedState) {
        options.onPhase?(.stopping)
        state.stopped.store(true, ordering: .releasing)
        _ = runRuntime(options.runtime, ["kill", id, "TERM"])
        let graceEnd = System.monotonicSeconds() + options.gracePeriod
        while !state.containerExited.load(ordering: .acquiring), System.monotonicSeconds() < graceEnd,
            !state.interruption.isUrgent
        {
            System.sleep(seconds: 0.05)
        }
        if !state.containerExited.load(ordering: .acquiring) {
            _ = runRuntime(options.runtime, ["kill", id, "KILL"])
        }
    }
}
