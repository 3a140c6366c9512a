// SPDX-License-Identifier: Apache-2.0
// Runs one container through a container engine (podman, Docker) with cinch-runtime as its OCI
// runtime, exercises it with a driver and stops it: `cinch record --podman`.

internal import CinchLinux
internal import Synchronization

/// A container engine cinch can drive from its command line.
public enum ContainerEngine: String, Sendable, CaseIterable {
    /// podman: takes the runtime's path (`--runtime PATH`).
    case podman
    /// Docker: takes the name of a runtime registered in `daemon.json` (`--runtime NAME`).
    case docker

    /// The name of the OCI runtime the engine uses by default (`runc`, `crun`…), or nil.
    public var defaultRuntime: String? {
        let format = self == .podman ? "{{.Host.OCIRuntime.Name}}" : "{{.DefaultRuntime}}"
        guard let outcome = try? ProcessRunner.run([rawValue, "info", "--format", format]), outcome.shellStatus == 0
        else { return nil }
        let name = outcome.outputText
        return name.isEmpty ? nil : name
    }
}

/// One container run through an engine, with cinch-runtime as its runtime.
///
/// `ENGINE run -d --runtime WRAPPER --annotation cinch.dev/trace=NAME RUN-ARGS…` starts it; with a
/// driver or a port, cinch waits until 127.0.0.1:PORT accepts a connection, runs the driver on the
/// host and then stops the container with `ENGINE stop`; without either, cinch waits for the
/// container to end by itself. The container is removed (`ENGINE rm -f`) at the end, also when
/// cinch is interrupted (SIGINT, SIGTERM, SIGHUP stop the run) and, through a watchdog process,
/// when cinch is killed.
public struct EngineSession: Sendable {
    /// What to run.
    public struct Options: Sendable {
        /// The engine.
        public var engine: ContainerEngine
        /// What the engine's `--runtime` gets: the wrapper's path (podman) or registered name
        /// (Docker); nil runs the engine's own runtime.
        public var runtime: String?
        /// The annotation's value: the trace's name in the wrapper's trace directory; nil records
        /// nothing.
        public var traceName: String?
        /// Files the watchdog removes (after the container) if cinch dies before it does: the
        /// wrapper's copy of the trace and its log, which cinch would have moved.
        public var leftoverFiles: [String]
        /// The user's `run` arguments: options, the image, and the command.
        public var runArguments: [String]
        /// A host command (`sh -c`) run once the container is up; it is stopped after it.
        public var driver: String?
        /// A port on 127.0.0.1 to wait for before the driver.
        public var waitPort: Int?
        /// Seconds the whole run may take (the readiness wait defaults to 60 s without it).
        public var timeout: Double?
        /// Seconds `ENGINE stop` waits between SIGTERM and SIGKILL.
        public var gracePeriod: Double
        /// Traces in the wrapper's trace directory whose syscalls need no stop: the value of the
        /// known annotation.
        public var knownTraceNames: [String]

        /// Creates options.
        public init(
            engine: ContainerEngine, runtime: String?, traceName: String?, runArguments: [String],
            driver: String? = nil, waitPort: Int? = nil, timeout: Double? = nil, gracePeriod: Double = 5,
            leftoverFiles: [String] = [], knownTraceNames: [String] = []
        ) {
            self.knownTraceNames = knownTraceNames
            self.leftoverFiles = leftoverFiles
            self.engine = engine
            self.runtime = runtime
            self.traceName = traceName
            self.runArguments = runArguments
            self.driver = driver
            self.waitPort = waitPort
            self.timeout = timeout
            self.gracePeriod = gracePeriod
        }
    }

    /// What happened.
    public struct Outcome: Sendable {
        /// The container's ID, as the engine printed it.
        public var containerID: String
        /// The driver's exit status, when it ran.
        public var driverStatus: Int32?
        /// Why the driver did not run although a driver or port was given.
        public var driverSkippedReason: String?
        /// Whether cinch stopped the container (after the driver, at the timeout or a signal).
        public var stoppedByCinch: Bool
        /// Whether the timeout expired.
        public var timedOut: Bool
        /// The first signal that interrupted the run.
        public var interruption: CInt?
        /// The container's exit code, as the engine reports it (nil when it removed the container
        /// itself, with `--rm`).
        public var containerStatus: Int32?
    }

    /// The options.
    public var options: Options

    /// Creates a session.
    public init(options: Options) { self.options = options }

    /// The arguments of `ENGINE run` (without the engine's name).
    public var runCommand: [String] {
        let known =
            options.knownTraceNames.isEmpty
            ? []
            : [
                "--annotation",
                "\(RuntimeWrapperSettings.knownAnnotation)=\(options.knownTraceNames.joined(separator: ","))",
            ]
        return ["run", "--detach"] + (options.runtime.map { ["--runtime", $0] } ?? [])
            + (options.traceName.map { ["--annotation", "\(RuntimeWrapperSettings.traceAnnotation)=\($0)"] } ?? [])
            + known + options.runArguments
    }

    /// Runs the container to its end.
    ///
    /// - Throws: ``ContainerError`` (`runtimeFailed`) when the engine cannot start it, with the
    ///   engine's own message.
    public func run() throws(ContainerError) -> Outcome {
        let options = self.options
        let engine = options.engine.rawValue
        let interruption = ContainerSession.Interruption()
        let watcher = try? SignalWatcher { interruption.note($0) }
        defer { watcher?.stop() }
        let started: ProcessOutcome
        do {
            started = try ProcessRunner.run([engine] + runCommand)
        } catch {
            throw ContainerError(.runtimeFailed, "Could not run \(engine): \(error).")
        }
        guard started.shellStatus == 0,
            let id = started.outputText.split(separator: "\n").last.map(String.init), !id.isEmpty
        else {
            let message = started.errorText
            throw ContainerError(
                .runtimeFailed, "\(engine) run failed with status \(started.shellStatus): \(message)")
        }
        let watchdog = ContainerSession.CleanupWatchdog.start(
            script: Self.watchdogScript, arguments: [engine, id] + options.leftoverFiles)
        defer {
            _ = try? ProcessRunner.run([engine, "rm", "--force", id])
            watchdog?.dismiss()
        }
        var outcome = Outcome(containerID: id, stoppedByCinch: false, timedOut: false)
        let start = System.monotonicSeconds()
        let deadline = options.timeout.map { start + $0 }
        let expired = { deadline.map { System.monotonicSeconds() >= $0 } ?? false }
        let pid = Self.initProcess(engine: engine, id: id)
        let running = { pid.map { FileIO.exists("/proc/\($0)") } ?? false }
        if options.driver != nil || options.waitPort != nil {
            let readyBy = deadline ?? (start + 60)
            var ready = options.waitPort == nil
            while !ready {
                if interruption.isRequested || !running() || System.monotonicSeconds() >= readyBy { break }
                ready = options.waitPort.map { System.acceptsConnection(port: $0) } ?? true
                if !ready { System.sleep(seconds: 0.1) }
            }
            if !ready {
                outcome.driverSkippedReason =
                    interruption.isRequested
                    ? "cinch was interrupted first"
                    : !running()
                        ? "the container exited before 127.0.0.1:\(options.waitPort ?? 0) accepted a connection"
                        : "127.0.0.1:\(options.waitPort ?? 0) accepted no connection in time"
            } else if let driver = options.driver {
                outcome.driverStatus = ContainerSession.runDriver(driver, expired: expired, interruption: interruption)
            }
        } else {
            while running(), !interruption.isRequested, !expired() { System.sleep(seconds: 0.1) }
        }
        outcome.timedOut = expired()
        if running() {
            outcome.stoppedByCinch = true
            let grace = interruption.isUrgent ? 0 : Int(options.gracePeriod.rounded(.up))
            _ = try? ProcessRunner.run([engine, "stop", "--time", String(grace), id])
        }
        outcome.interruption = interruption.signal
        if let inspected = try? ProcessRunner.run([engine, "inspect", "--format", "{{.State.ExitCode}}", id]),
            inspected.shellStatus == 0
        {
            outcome.containerStatus = Int32(inspected.outputText)
        }
        return outcome
    }

    /// Removes the container if cinch dies before it does (`$1` the engine, `$2` the ID), then
    /// the leftover files (the rest), and for a trace `NAME.json` among them the traces of the
    /// execs into the container (`NAME.exec-N.json` and their logs).
    static let watchdogScript = """
        exec >/dev/null 2>&1
        IFS= read -r line
        [ "$line" = done ] && exit 0
        "$1" rm --force "$2"
        shift 2
        [ $# -gt 0 ] || exit 0
        # The recorders write their traces a moment after the container ends.
        sleep 3
        for file in "$@"; do
            rm -f "$file"
            case "$file" in *.json) rm -f "${file%.json}".exec-*.json "${file%.json}".exec-*.json.log ;; esac
        done
        exit 0
        """

    /// The container's init process on the host, from `ENGINE inspect`.
    static func initProcess(engine: String, id: String) -> CInt? {
        guard let outcome = try? ProcessRunner.run([engine, "inspect", "--format", "{{.State.Pid}}", id]),
            outcome.shellStatus == 0, let pid = CInt(outcome.outputText), pid > 0
        else { return nil }
        return pid
    }
}
