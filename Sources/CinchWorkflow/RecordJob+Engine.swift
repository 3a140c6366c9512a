// SPDX-License-Identifier: Apache-2.0
// `cinch record --podman`: a container run by the engine, recorded through cinch-runtime.

public import CinchContainer
internal import CinchLinux
public import CinchModel

extension RecordJob {
    /// A recording through a container engine.
    public struct EngineRequest: Sendable {
        /// The engine.
        public var engine: ContainerEngine
        /// The real runtime the wrapper delegates to (`runc`, `crun`); nil: the engine's default.
        public var runtime: String?
        /// The user's `run` arguments (options, image, command).
        public var runArguments: [String]
        /// A host command run once the container is up.
        public var driver: String?
        /// A port on 127.0.0.1 to wait for before the driver.
        public var waitPort: Int?
        /// Seconds the run may take.
        public var timeout: Double?
        /// Seconds between SIGTERM and SIGKILL when the container is stopped.
        public var gracePeriod: Double
        /// Where to write the trace.
        public var output: String
        /// Earlier traces whose syscalls need no stop (`--known`).
        public var knownTraces: [String]
        /// Receives notes for the user (the recorder's among them).
        public var onNote: (@Sendable (String) -> Void)?

        /// Creates a request.
        public init(
            engine: ContainerEngine, runtime: String? = nil, runArguments: [String], driver: String? = nil,
            waitPort: Int? = nil, timeout: Double? = nil, gracePeriod: Double = 5, output: String,
            knownTraces: [String] = [], onNote: (@Sendable (String) -> Void)? = nil
        ) {
            self.knownTraces = knownTraces
            self.engine = engine
            self.runtime = runtime
            self.runArguments = runArguments
            self.driver = driver
            self.waitPort = waitPort
            self.timeout = timeout
            self.gracePeriod = gracePeriod
            self.output = output
            self.onNote = onNote
        }
    }

    /// How a recording through an engine ended.
    public enum EngineOutcome: Sendable {
        /// The trace was written.
        case recorded(Trace, run: EngineSession.Outcome)
        /// The output cannot be written; nothing was run.
        case unwritableOutput(InputError)
        /// A `--known` trace cannot be read; nothing was run.
        case unreadableKnownTrace(InputError)
        /// The `--known` traces name syscalls a profile cannot hold (the errors say which).
        case unusableKnownTraces([Diagnostic])
        /// The wrapper cannot be set up (its settings, its link) or the engine cannot run the container.
        case cannotRun(String)
        /// The container ran but no trace came back (the recorder failed: its notes say why).
        case noTrace(String, run: EngineSession.Outcome)
        /// The trace was recorded but could not be written to the output.
        case unwritable(Trace, InputError)
    }

    /// Where `record --podman` links the wrapper (`cinch-runtime-RUNTIME` → cinch itself).
    static let wrapperDirectory = "/run/cinch/bin"
    /// How long to wait for the recorder to write the trace once the container has ended.
    static let recorderGrace = 30.0

    /// Runs the container through the engine with cinch-runtime as its runtime, exercises it and
    /// writes its trace to `request.output`.
    public static func run(_ request: EngineRequest) -> EngineOutcome {
        do {
            try FileIO.checkWritable(request.output)
        } catch {
            return .unwritableOutput(error)
        }
        let runtime = request.runtime ?? request.engine.defaultRuntime ?? ContainerRuntime.runc.rawValue
        guard ContainerRuntime(rawValue: runtime) != nil else {
            return .cannotRun(
                "\(request.engine.rawValue)'s runtime is \(runtime); cinch records under runc or crun (choose one with --runtime)."
            )
        }
        let settings: RuntimeWrapperSettings
        let wrapper: String
        do {
            settings = try RuntimeWrapperSettings.load(invokedAs: "\(RuntimeWrapperSettings.executableName)-\(runtime)")
            guard let own = Spawn.executable(of: System.processID) else {
                return .cannotRun("cinch cannot find its own executable (/proc/self/exe).")
            }
            try FileIO.makeDirectories(wrapperDirectory)
            wrapper = "\(wrapperDirectory)/\(RuntimeWrapperSettings.executableName)-\(runtime)"
            try FileIO.replaceSymbolicLink(at: wrapper, pointingTo: own)
        } catch {
            return .cannotRun("\(error)")
        }
        let name = "\(request.engine.rawValue)-\(System.processID).json"
        guard let tracePath = settings.tracePath(annotation: name) else {
            return .cannotRun("The trace directory \(settings.traceDirectory) cannot hold \(name).")
        }
        // The wrapper takes known traces from its trace directory only: copies go there.
        let stem = String(name.dropLast(5))
        let knownCopies = request.knownTraces.indices.map { "\(settings.traceDirectory)/\(stem).known-\($0 + 1).json" }
        let removeTraces = {
            for path in [tracePath] + RuntimeWrapperSettings.execTraces(of: tracePath) {
                FileIO.remove(path)
                FileIO.remove(path + ".log")
            }
            for path in knownCopies { FileIO.remove(path) }
        }
        removeTraces()
        defer { removeTraces() }
        switch knownNames(in: request.knownTraces) {
        case .success: break
        case .failure(.unreadable(let error)): return .unreadableKnownTrace(error)
        case .failure(.unusable(let errors)): return .unusableKnownTraces(errors)
        }
        do {
            try FileIO.makeDirectories(settings.traceDirectory)
            for (source, copy) in zip(request.knownTraces, knownCopies) {
                try FileIO.writeAtomically(bytes: try FileIO.read(source), to: copy)
            }
        } catch {
            return .cannotRun("Cannot copy a --known trace into \(settings.traceDirectory): \(error).")
        }
        let engineRuntime = request.engine == .podman ? wrapper : RuntimeWrapperSettings.executableName
        let session = EngineSession(
            options: .init(
                engine: request.engine, runtime: engineRuntime, traceName: name, runArguments: request.runArguments,
                driver: request.driver, waitPort: request.waitPort, timeout: request.timeout,
                gracePeriod: request.gracePeriod, leftoverFiles: [tracePath, tracePath + ".log"] + knownCopies,
                knownTraceNames: knownCopies.map { String($0.dropFirst(settings.traceDirectory.count + 1)) }))
        let run: EngineSession.Outcome
        do {
            run = try session.run()
        } catch {
            return .cannotRun(error.message)
        }
        let finished = waitForRecorder(tracePath)
        if let log = try? FileIO.read(tracePath + ".log") {
            // The recorder's notes, but not where it wrote the trace: it is moved to the output.
            for line in String(decoding: log, as: UTF8.self).split(separator: "\n") where !line.contains(tracePath) {
                request.onNote?(String(line.dropFirst("cinch-runtime: ".count)))
            }
        }
        guard var trace = finished else {
            return .noTrace("The recorder wrote no trace for container \(run.containerID).", run: run)
        }
        // What the driver or a health check ran in the container with `ENGINE exec` is part of
        // what the container does: each exec's recorder wrote a trace of its own.
        // The run is still the container's: its source and exit status, not an exec's.
        let (source, exitStatus) = (trace.source, trace.exitStatus)
        for path in RuntimeWrapperSettings.execTraces(of: tracePath) {
            guard let exec = waitForRecorder(path) else {
                trace.markIncomplete(
                    "The recorder of an exec into the container wrote no trace; what that process did is missing.")
                continue
            }
            trace = trace.merged(with: exec)
            (trace.source, trace.exitStatus) = (source, exitStatus)
            let command = exec.source.command.isEmpty ? "a process" : exec.source.command.joined(separator: " ")
            request.onNote?("Added what \(command) did, run in the container with \(request.engine.rawValue) exec.")
        }
        // The user's --known traces, not the copies the wrapper read.
        trace.source.knownTraces = request.knownTraces
        trace.markUnfinishedContainerRun(
            driverSkippedReason: run.driverSkippedReason, timedOut: run.timedOut, interruption: run.interruption)
        do {
            try FileIO.writeAtomically(trace.jsonValue().rendered(), to: request.output)
        } catch {
            return .unwritable(trace, error)
        }
        return .recorded(trace, run: run)
    }

    /// The trace the recorder wrote, once it is final (not the wrapper's placeholder); nil when
    /// none came within ``recorderGrace`` seconds.
    static func waitForRecorder(_ path: String) -> Trace? {
        let deadline = System.monotonicSeconds() + recorderGrace
        while true {
            if let bytes = try? FileIO.read(path), let trace = try? Trace(jsonBytes: bytes, file: path),
                !trace.incompleteReasons.contains(RuntimeJob.unfinishedReason)
            {
                return trace
            }
            if System.monotonicSeconds() >= deadline { return nil }
            System.sleep(seconds: 0.05)
        }
    }
}
