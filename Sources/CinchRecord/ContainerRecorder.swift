// SPDX-License-Identifier: Apache-2.0
// Records a container: cinch traces the OCI runtime that creates it.

public import CinchContainer
internal import CinchLinux
internal import CinchModel

/// Records one run of a container by tracing `RUNTIME create` and everything it starts.
///
/// cinch is the tracer of the runtime itself and installs no filter of its own: the runtime
/// installs the container's filter (the session's `seccomp`, whose trace actions make the
/// container side stop), so exactly the container side after that point is recorded, wherever
/// the runtime installs it (which differs between runc and crun and with `noNewPrivileges`).
public struct ContainerRecorder: Sendable {
    /// What to record and how.
    public struct Options: Sendable {
        /// The container run.
        public var session: ContainerSession.Options
        /// Live counters for a status line.
        public var progress: RecordingProgress?
        /// Observe the container's capability checks after its boundary. Only right when every
        /// container task stops at least once: not with known syscalls in the session's seccomp
        /// object, which let a task run without ever crossing cinch's view.
        public var observesCapabilities: Bool
        /// Observe the files, programs and sockets of the container after its boundary. The
        /// session's seccomp object must never allow ``PtraceRecorder/objectSyscallNames`` silently.
        public var observesObjects: Bool
        /// Receives notes for the user (see ``PtraceRecorder/Options/onNote``).
        public var onNote: (@Sendable (String) -> Void)?

        /// Creates options.
        public init(
            session: ContainerSession.Options, progress: RecordingProgress? = nil, observesCapabilities: Bool = true,
            observesObjects: Bool = false, onNote: (@Sendable (String) -> Void)? = nil
        ) {
            self.observesObjects = observesObjects
            self.session = session
            self.progress = progress
            self.observesCapabilities = observesCapabilities
            self.onNote = onNote
        }
    }

    /// The options.
    public var options: Options

    /// Creates a recorder.
    public init(options: Options) { self.options = options }

    /// Runs the container once, traced, and returns the session's outcome with its trace.
    ///
    /// The trace carries the container's exit status and a `ptrace` source naming the bundle and
    /// runtime; a run that cinch stopped at the timeout, or because it was sent SIGINT, SIGTERM or
    /// SIGHUP (``ContainerSession/Outcome/interruption``), is marked incomplete.
    /// - Throws: ``TraceError``: `badBundle` or `runtimeFailed` from the session, or the
    ///   recorder's own error when the runtime cannot be traced.
    public func record() throws(TraceError) -> ContainerSession.Outcome {
        let options = self.options
        var outcome: ContainerSession.Outcome
        do {
            outcome = try ContainerSession(options: options.session).run(launcher: TracingLauncher(options: options))
        } catch {
            if let recorderError = error.underlying as? TraceError { throw recorderError }
            throw TraceError(error.code == .badBundle ? .badBundle : .runtimeFailed, error.message)
        }
        guard var trace = outcome.trace else {
            throw TraceError(.ptraceFailed, "The container run returned no trace.")
        }
        let session = options.session
        trace.exitStatus = outcome.containerExit
        trace.source = Trace.Source(
            kind: "ptrace", command: session.bundle.processArguments, bundle: session.bundle.directory,
            runtime: session.runtime.rawValue, runtimeVersion: session.runtime.version,
            noNewPrivileges: session.bundle.noNewPrivileges)
        trace.markUnfinishedContainerRun(
            driverSkippedReason: outcome.driverSkippedReason, timedOut: outcome.timedOut,
            interruption: outcome.interruption)
        outcome.trace = trace
        return outcome
    }
}

/// Runs `RUNTIME create` under ``PtraceRecorder`` and follows the container it leaves behind.
struct TracingLauncher: ContainerLauncher {
    let options: ContainerRecorder.Options

    func launch(_ command: [String], created: @escaping @Sendable (Int32) -> Void) throws(ContainerError)
        -> ContainerLaunch
    {
        let recorder = PtraceRecorder(
            options: .init(
                command: command, pinToOneCPU: false, progress: options.progress, installsRecordingFilter: false,
                onCommandExit: { created($0.shellStatus) }, observesCapabilities: options.observesCapabilities,
                observesObjects: options.observesObjects, onNote: options.onNote, forwardsSignals: false))
        do {
            let recording = try recorder.recordWithExits()
            return ContainerLaunch(trace: recording.trace, exits: recording.exits)
        } catch {
            throw ContainerError(.launchFailed, error.message, underlying: error)
        }
    }
}
