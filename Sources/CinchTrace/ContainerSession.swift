// SPDX-License-Identifier: Apache-2.0
// Runs an OCI bundle once under runc or crun, traced or not, with an optional host-side driver.

internal import CinchLinux
public import CinchModel
internal import Synchronization

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// A container runtime cinch can drive.
public enum ContainerRuntime: String, Sendable, CaseIterable {
    /// runc (the reference runtime).
    case runc
    /// crun.
    case crun

    /// The first line of `RUNTIME --version`, or nil when it cannot run.
    public var version: String? {
        guard let outcome = try? ProcessRunner.run([rawValue, "--version"]), outcome.shellStatus == 0 else {
            return nil
        }
        return outcome.outputText.split(separator: "\n").first.map(String.init)
    }
}

/// One run of a container: the bundle's process, under a seccomp profile, maybe traced.
///
/// The user's bundle is copied into a temporary bundle whose `config.json` carries the given
/// `linux.seccomp`. When traced, cinch is the tracer of `RUNTIME create` itself and installs no
/// filter of its own: the runtime installs the container's filter, whose trace actions make the
/// container side (the runtime's last steps and everything after `execve`) stop, and nothing of
/// the host side. That holds wherever the runtime installs the filter, which differs between runc
/// and crun and with `noNewPrivileges`.
///
/// A service container is exercised by a driver: a host command run once the container is up
/// (after a TCP port accepts a connection, if asked). When the driver ends, the container gets
/// SIGTERM, then SIGKILL after a grace period. The temporary bundle and the container are always
/// deleted.
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
        /// Run the runtime under ptrace and return a trace.
        public var traced: Bool
        /// A host command (run with `sh -c`) that exercises the container.
        public var driver: String?
        /// A TCP port on 127.0.0.1 to wait for before running the driver.
        public var waitPort: Int?
        /// Seconds the whole run may take.
        public var timeout: Double?
        /// Seconds between SIGTERM and SIGKILL when cinch stops the container.
        public var gracePeriod: Double
        /// Live counters for a status line.
        public var progress: RecordingProgress?
        /// Observe the container's capability checks after its boundary (when `traced`). Only
        /// right when every container task stops at least once: not with known syscalls in
        /// ``seccomp``, which let a task run without ever crossing cinch's view.
        public var observesCapabilities: Bool
        /// Receives notes for the user (see ``PtraceRecorder/Options/onNote``).
        public var onNote: (@Sendable (String) -> Void)?

        /// Creates options.
        public init(
            bundle: OCIBundle, runtime: ContainerRuntime, seccomp: JSONValue?, capabilities: [String]? = nil,
            traced: Bool, driver: String? = nil, waitPort: Int? = nil, timeout: Double? = nil,
            gracePeriod: Double = 5, progress: RecordingProgress? = nil, observesCapabilities: Bool = true,
            onNote: (@Sendable (String) -> Void)? = nil
        ) {
            self.observesCapabilities = observesCapabilities
            self.onNote = onNote
            self.bundle = bundle
            self.runtime = runtime
            self.seccomp = seccomp
            self.capabilities = capabilities
            self.traced = traced
            self.driver = driver
            self.waitPort = waitPort
            self.timeout = timeout
            self.gracePeriod = gracePeriod
            self.progress = progress
        }
    }

    /// How the run went.
    public struct Outcome: Sendable {
        /// The trace, when traced.
        public var trace: Trace?
        /// The container's exit status in shell form (its init's status).
        public var containerStatus: Int32
        /// The driver's exit status, when there was a driver that ran.
        public var driverStatus: Int32?
        /// Whether cinch stopped the container (after the driver, or at the timeout).
        public var stoppedByCinch: Bool
        /// Whether the timeout ended the run.
        public var timedOut: Bool
        /// Why the driver did not run, if it did not.
        public var driverSkippedReason: String?
        /// What the runtime printed on stderr when it failed before the container ran, if known.
        public var runtimeMessage: String?

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
    /// - Throws: ``TraceError`` when the bundle cannot be prepared or the runtime cannot create
    ///   or start the container.
    public func run() throws(TraceError) -> Outcome {
        let options = self.options
        Supervision.becomeChildSubreaper()
        let id = "cinch-\(getpid())-\(Self.nextSuffix())"
        let config = options.bundle.config(seccomp: options.seccomp, capabilities: options.capabilities)
        let directory = try OCIBundle.writeTemporaryBundle(config: config)
        defer {
            _ = try? ProcessRunner.run([options.runtime.rawValue, "delete", "--force", id])
            OCIBundle.removeTemporaryBundle(directory)
        }
        let runtime = options.runtime.rawValue
        let create = [runtime, "create", "--bundle", directory, id]
        let state = SharedState()
        var outcome = Outcome(containerStatus: 0, stoppedByCinch: false, timedOut: false)
        if options.traced {
            let controller = BackgroundThread { Self.control(id: id, options: options, state: state) }
            let recorder = PtraceRecorder(
                options: .init(
                    command: create, pinToOneCPU: false, progress: options.progress, installsRecordingFilter: false,
                    onCommandExit: { status in
                        state.createStatus.store(status.shellStatus, ordering: .relaxed)
                        state.created.store(true, ordering: .releasing)
                    }, observesCapabilities: options.observesCapabilities, onNote: options.onNote))
            let recording: (trace: Trace, exits: [CInt: Trace.ExitStatus])
            do {
                recording = try recorder.recordWithExits()
            } catch {
                state.created.store(true, ordering: .releasing)
                state.containerExited.store(true, ordering: .releasing)
                controller.join()
                throw error
            }
            state.containerExited.store(true, ordering: .releasing)
            controller.join()
            try state.throwIfTheRuntimeFailed(runtime)
            var trace = recording.trace
            let exit = recording.exits[state.containerPID.load(ordering: .acquiring)]
            outcome.containerStatus = exit?.shellStatus ?? 0
            trace.exitStatus = exit
            trace.source = Trace.Source(
                kind: "ptrace", command: options.bundle.processArguments, bundle: options.bundle.directory,
                runtime: runtime, runtimeVersion: options.runtime.version,
                noNewPrivileges: options.bundle.noNewPrivileges)
            outcome.trace = trace
        } else {
            let created = (try? ProcessRunner.run(create, captureOutput: false))?.shellStatus ?? 127
            state.createStatus.store(created, ordering: .relaxed)
            state.created.store(true, ordering: .releasing)
            try state.throwIfTheRuntimeFailed(runtime)
            let controller = BackgroundThread { Self.control(id: id, options: options, state: state) }
            // The controller starts the container and publishes its init's pid (or -1).
            var pid: CInt = 0
            while pid == 0 {
                pid = state.containerPID.load(ordering: .acquiring)
                if pid == 0 { Self.sleepSeconds(0.01) }
            }
            if pid > 0, let status = try? Spawn.wait(for: pid) {
                outcome.containerStatus = status.isExited ? status.exitCode : 128 + status.terminationSignal
            }
            state.containerExited.store(true, ordering: .releasing)
            controller.join()
            try state.throwIfTheRuntimeFailed(runtime)
        }
        outcome.driverStatus = state.driverStatus
        outcome.stoppedByCinch = state.stopped.load(ordering: .acquiring)
        outcome.timedOut = state.timedOut.load(ordering: .acquiring)
        outcome.driverSkippedReason = state.driverSkippedReason
        if outcome.timedOut {
            outcome.trace?.markIncomplete("The container was stopped at the timeout before it finished.")
        }
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
        // Written by the controller thread only, read after it is joined.
        var driverStatus: Int32?
        var driverSkippedReason: String?
        var startFailure: String?

        func throwIfTheRuntimeFailed(_ runtime: String) throws(TraceError) {
            let status = createStatus.load(ordering: .relaxed)
            if status != 0 {
                throw TraceError(
                    .runtimeFailed,
                    "\(runtime) create failed with status \(status); the container was not created (its message is above)."
                )
            }
            if let startFailure { throw TraceError(.runtimeFailed, startFailure) }
        }
    }

    private static let suffixCounter = Atomic<Int>(0)

    private static func nextSuffix() -> Int { suffixCounter.add(1, ordering: .relaxed).newValue }

    /// Starts the container, waits until it is up, runs the driver, stops the container, and
    /// enforces the timeout.
    private static func control(id: String, options: Options, state: SharedState) {
        let start = monotonicSeconds()
        let deadline = options.timeout.map { start + $0 }
        func expired() -> Bool { deadline.map { monotonicSeconds() >= $0 } ?? false }
        func exited() -> Bool { state.containerExited.load(ordering: .acquiring) }
        let runtime = options.runtime.rawValue

        while !state.created.load(ordering: .acquiring) { sleepSeconds(0.01) }
        guard state.createStatus.load(ordering: .relaxed) == 0, !exited() else {
            state.containerPID.store(-1, ordering: .releasing)
            return
        }
        let pid = containerPID(id: id, runtime: options.runtime)
        state.containerPID.store(pid ?? -1, ordering: .releasing)
        let started = try? ProcessRunner.run([runtime, "start", id])
        guard let started, started.shellStatus == 0, pid != nil else {
            let message = started.map { $0.errorText } ?? "it could not be run"
            state.startFailure = "\(runtime) start failed: \(message)"
            _ = try? ProcessRunner.run([runtime, "kill", id, "KILL"])
            return
        }

        if options.driver != nil || options.waitPort != nil {
            if let port = options.waitPort {
                while !exited(), !expired(), !acceptsConnection(port: port) { sleepSeconds(0.1) }
            }
            if exited() {
                state.driverSkippedReason = "the container exited before it was ready"
            } else if expired() {
                state.driverSkippedReason = "the timeout passed before the container was ready"
            } else if let driver = options.driver {
                state.driverStatus = runDriver(driver, expired: expired, state: state)
            }
            if !exited() {
                stop(id: id, options: options, state: state)
                return
            }
        }
        while !exited() {
            if expired() {
                state.timedOut.store(true, ordering: .releasing)
                stop(id: id, options: options, state: state)
                return
            }
            sleepSeconds(0.05)
        }
    }

    /// The pid of the container's init, from `RUNTIME state`.
    private static func containerPID(id: String, runtime: ContainerRuntime) -> CInt? {
        guard let outcome = try? ProcessRunner.run([runtime.rawValue, "state", id]), outcome.shellStatus == 0,
            let state = try? JSONParser.parse(outcome.standardOutput),
            case .number(let text)? = state.value[member: "pid"], let pid = CInt(text), pid > 0
        else { return nil }
        return pid
    }

    /// Runs the driver in its own process group; at the deadline the whole group is killed.
    private static func runDriver(_ driver: String, expired: () -> Bool, state: SharedState) -> Int32 {
        guard
            let started = try? ProcessRunner.start(
                ["/bin/sh", "-c", driver], captureOutput: false, newProcessGroup: true)
        else { return 127 }
        while true {
            if let status = ProcessRunner.reapIfExited(started.pid) {
                return status.isExited ? status.exitCode : 128 + status.terminationSignal
            }
            if expired() {
                state.timedOut.store(true, ordering: .releasing)
                ProcessRunner.killGroup(started.pid)
                let status = (try? Spawn.wait(for: started.pid)) ?? WaitStatus(rawValue: 0x09)
                return status.isExited ? status.exitCode : 128 + status.terminationSignal
            }
            sleepSeconds(0.05)
        }
    }

    private static func stop(id: String, options: Options, state: SharedState) {
        state.stopped.store(true, ordering: .releasing)
        let runtime = options.runtime.rawValue
        _ = try? ProcessRunner.run([runtime, "kill", id, "TERM"])
        let graceEnd = monotonicSeconds() + options.gracePeriod
        while !state.containerExited.load(ordering: .acquiring), monotonicSeconds() < graceEnd { sleepSeconds(0.05) }
        if !state.containerExited.load(ordering: .acquiring) {
            _ = try? ProcessRunner.run([runtime, "kill", id, "KILL"])
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func acceptsConnection(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    static func sleepSeconds(_ seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}
