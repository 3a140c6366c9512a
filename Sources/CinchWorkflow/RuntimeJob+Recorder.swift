// SPDX-License-Identifier: Apache-2.0
// The recorder the runtime wrapper starts for an annotated container.

internal import CinchContainer
internal import CinchLinux
internal import CinchModel
internal import CinchRecord
internal import Synchronization

extension RuntimeJob {
    /// What the wrapper tells its recorder, on the recorder's command line.
    struct RecorderArguments: Equatable {
        var statusDescriptor: CInt
        var configDescriptor: CInt
        var tracePath: String
        var runtime: String
        var runtimeArguments: [String]
        var knownTraces: [String] = []

        /// Reads `--status-fd N --config-fd N --trace PATH --runtime PATH [--known PATH]… -- ARGS…`.
        init?(_ arguments: [String]) {
            var values: [String: String] = [:]
            var index = 0
            while index + 1 < arguments.count, arguments[index] != "--" {
                if arguments[index] == "--known" {
                    knownTraces.append(arguments[index + 1])
                } else {
                    values[arguments[index]] = arguments[index + 1]
                }
                index += 2
            }
            guard index < arguments.count, arguments[index] == "--",
                let status = values["--status-fd"].flatMap({ CInt($0) }),
                let config = values["--config-fd"].flatMap({ CInt($0) }),
                let trace = values["--trace"], let runtime = values["--runtime"], values.count == 4
            else { return nil }
            statusDescriptor = status
            configDescriptor = config
            tracePath = trace
            self.runtime = runtime
            runtimeArguments = Array(arguments[(index + 1)...])
        }
    }

    /// Runs the recorder the wrapper started (`cinch runtime-recorder …`, not a user command).
    ///
    /// Reports create's status to the wrapper when `create` exits, lets go of the engine's
    /// descriptors, and writes the trace (and `TRACE.log`, its notes) when the container ends.
    /// - Returns: 0 when the trace was written, else 1 (the wrapper is gone by then: the status
    ///   matters only to whoever runs the recorder by hand).
    public static func recorder(arguments: [String], onError: @escaping @Sendable (String) -> Void) -> Int32 {
        guard let request = RecorderArguments(arguments) else {
            onError("cinch: runtime-recorder is started by cinch-runtime, not by hand")
            return 2
        }
        Descriptors.ignoreBrokenPipes()
        Descriptors.setCloseOnExec(request.statusDescriptor)
        // What the engine passed on (the container's stdio pipes, preserved descriptors) and must
        // get back once the container holds its own copies: everything inherited but the pipes.
        let inherited = Descriptors.open().filter {
            $0 > 2 && $0 != request.statusDescriptor && $0 != request.configDescriptor
                && !Descriptors.isCloseOnExec($0)
        }
        let original = Descriptors.readAll(request.configDescriptor, limit: FileIO.inputLimit)
        Descriptors.close(request.configDescriptor)
        let line = RuntimeCommandLine(request.runtimeArguments)
        // `exec --detach` leaves the process running, as `create` leaves the container.
        let detached = line.command == "create" || line.detach
        if detached { Descriptors.startSession() }
        let notes = Notes(log: request.tracePath + ".log")
        let config = (try? JSONParser.parse(original))?.value ?? .makeObject([])
        let isExec = line.command == "exec"
        notes.add(
            isExec
                ? "Recording an exec into container \(line.containerID ?? "(no ID)") with \(request.runtime): the process runs under the container's recording filter, and its trace belongs with the container's."
                : "Recording container \(line.containerID ?? "(no ID)") with \(request.runtime): cinch's recording filter replaces the engine's seccomp profile for this run (kept in the trace as source.replacedSeccomp)."
        )
        let report = Reporter(descriptor: request.statusDescriptor, inherited: inherited, pidFile: line.pidFile)
        // The wrapper checked the known traces and put their names in the container's filter.
        let known = (try? RecordJob.knownNames(in: request.knownTraces, checking: false).get()) ?? [:]
        if !known.isEmpty {
            notes.add(
                "Capabilities are not observed with known traces (a task that makes only known syscalls never crosses cinch's view); record without cinch.dev/known for a capability list."
            )
        }
        let recorder = PtraceRecorder(
            options: .init(
                command: [request.runtime] + request.runtimeArguments, known: known,
                knownTraces: request.knownTraces, pinToOneCPU: false, installsRecordingFilter: false,
                onCommandExit: { report.created($0.shellStatus) }, observesCapabilities: known.isEmpty,
                observesObjects: true, onNote: { notes.add($0) }, forwardsSignals: !detached))
        let recording: (trace: Trace, exits: [CInt: Trace.ExitStatus])
        do {
            recording = try recorder.recordWithExits()
        } catch {
            report.created(error.code == .commandNotFound ? 127 : 1)
            notes.add("The runtime could not be recorded: \(error.message)")
            return 1
        }
        report.created(1)
        var trace = recording.trace
        if let pid = report.initProcess, let exit = recording.exits[pid] {
            trace.exitStatus = exit
        } else if detached {
            trace.exitStatus = nil
            notes.add("The container's exit status is unknown: the engine passed no --pid-file.")
        }
        trace.source = Trace.Source(
            kind: "ptrace", command: OCIBundle.processArguments(in: config),
            bundle: isExec ? nil : line.bundleDirectory(workingDirectory: System.absolutePath(".")),
            runtime: request.runtime.split(separator: "/").last.map(String.init),
            runtimeVersion: ContainerRuntime.version(of: request.runtime),
            noNewPrivileges: OCIBundle.noNewPrivileges(in: config))
        trace.source.containerID = line.containerID
        trace.source.knownTraces = request.knownTraces
        if !isExec { trace.source.replacedSeccomp = config[member: "linux"]?[member: "seccomp"] ?? .null }
        do {
            try FileIO.writeAtomically(trace.jsonValue().rendered(), to: request.tracePath)
        } catch {
            notes.add("The trace could not be written: \(error)")
            return 1
        }
        notes.add(
            "Wrote \(request.tracePath): \(trace.namesByABI.values.reduce(0) { $0 + $1.count }) syscalls"
                + (trace.isComplete ? "." : ", incomplete: \(trace.incompleteReasons.joined(separator: " ")))"))
        return 0
    }
}

/// Tells the wrapper create's status, once, and then lets go of what the engine passed on.
final class Reporter: Sendable {
    private let descriptor: CInt
    private let inherited: [CInt]
    private let pidFile: String?
    private let state = Mutex<(reported: Bool, initProcess: CInt?)>((false, nil))

    init(descriptor: CInt, inherited: [CInt], pidFile: String?) {
        self.descriptor = descriptor
        self.inherited = inherited
        self.pidFile = pidFile
    }

    /// The container's init, from the pid file the runtime wrote at create.
    var initProcess: CInt? { state.withLock { $0.initProcess } }

    /// Reports `status` the first time it is called; later calls do nothing.
    func created(_ status: Int32) {
        let first = state.withLock { state in
            defer { state.reported = true }
            return !state.reported
        }
        guard first else { return }
        if status == 0, let pidFile, let bytes = try? FileIO.read(pidFile, limit: 64),
            let pid = CInt(String(decoding: bytes.filter { (0x30...0x39).contains($0) }, as: UTF8.self))
        {
            state.withLock { $0.initProcess = pid }
        }
        Descriptors.writeAll(Array("\(status)\n".utf8), to: descriptor)
        Descriptors.close(descriptor)
        for fd in inherited { Descriptors.close(fd) }
        Descriptors.detachStandardStreams()
    }
}

/// The recorder's notes, kept in `TRACE.log` (the recorder has no terminal: its standard error
/// was the container's).
final class Notes: Sendable {
    private let log: String
    private let lines = Mutex<[String]>([])

    init(log: String) { self.log = log }

    func add(_ note: String) {
        let text = lines.withLock { lines in
            lines.append("cinch-runtime: " + note.split(whereSeparator: \.isNewline).joined(separator: " "))
            return lines.joined(separator: "\n") + "\n"
        }
        try? FileIO.writeAtomically(text, to: log)
    }
}
