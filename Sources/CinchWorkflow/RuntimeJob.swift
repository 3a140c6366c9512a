// SPDX-License-Identifier: Apache-2.0
// cinch-runtime: the OCI runtime engines call instead of runc or crun. It passes every command
// through, and records the containers whose config asks for it.

internal import CinchContainer
internal import CinchLinux
internal import CinchModel
internal import CinchRecord
internal import Synchronization

/// The runtime wrapper (`cinch-runtime`, or `cinch runtime`) and its recorder.
///
/// An engine (podman's conmon, containerd's runc shim, CRI-O, Docker) runs the wrapper as its OCI
/// runtime. For every command but `create` and `run`, and for a container whose config has no
/// ``RuntimeWrapperSettings/traceAnnotation``, the wrapper replaces itself with the real runtime,
/// given the same arguments, environment and descriptors: nothing traces it and nothing in the
/// bundle changes.
///
/// For an annotated container the wrapper replaces `linux.seccomp` in its config with cinch's
/// recording filter (the engine's object is kept in the trace), starts a recorder in a session of
/// its own, and waits only until the real `create` exits, then puts the engine's config back and
/// exits with create's status, as runc would. The recorder traces `RUNTIME create` and the
/// container it leaves, exactly as `cinch record --bundle` does, across the engine's later
/// `start`, `kill` and `delete` (which pass through), and writes the trace when the last
/// container process ends. Until then the trace file holds a placeholder marked incomplete, so a
/// recorder that is killed never leaves an earlier trace looking like this run's; killing it kills
/// the container with it (`PTRACE_O_EXITKILL`), and the engine sees the container exit.
public enum RuntimeJob {
    /// The reason the wrapper's placeholder trace gives until the recorder replaces it.
    public static let unfinishedReason =
        "The recorder has not finished: the container still runs, or the recorder was killed before it wrote the trace."

    /// The argument that starts the recorder (internal to the wrapper, not a user command).
    public static let recorderCommand = "runtime-recorder"

    /// Runs the wrapper: `arguments` are what the engine passed (without the program name);
    /// `onError` prints a message on standard error.
    ///
    /// - Returns: the exit status (only when the wrapper did not replace itself with the runtime).
    public static func wrap(
        invokedAs name: String, arguments: [String], onError: @escaping @Sendable (String) -> Void
    ) -> Int32 {
        let settings: RuntimeWrapperSettings
        do {
            settings = try RuntimeWrapperSettings.load(invokedAs: name)
        } catch {
            return fail(onError, "\(error)")
        }
        guard let delegate = resolveDelegate(settings.runtime) else {
            return fail(
                onError, "cannot find the runtime \(settings.runtime) to delegate to (set \"runtime\" in the settings)")
        }
        let line = RuntimeCommandLine(arguments)
        let workingDirectory = System.absolutePath(".")
        if line.createsContainer, let request = recordingRequest(line, workingDirectory: workingDirectory) {
            return record(
                request, settings: settings, delegate: delegate, line: line, invokedAs: name, onError: onError)
        }
        if line.command == "exec", let id = line.containerID, let recording = liveRecording(of: id, in: settings) {
            return recordExec(
                line, recording: recording, delegate: delegate, workingDirectory: workingDirectory, invokedAs: name,
                onError: onError)
        }
        let error = Descriptors.replaceProcess(path: delegate, arguments: [delegate] + arguments)
        return fail(onError, "cannot run \(delegate): \(error)", status: 127)
    }

    /// An annotated container's config: its path, original bytes, the trace annotation's value
    /// and the known annotation's names.
    struct RecordingRequest {
        var configPath: String
        var original: [UInt8]
        var config: JSONValue
        var annotation: String
        var known: [String] = []
    }

    /// The recording the config asks for, or nil (no annotation, or a config the runtime itself
    /// will reject, which it then does with its own message).
    static func recordingRequest(_ line: RuntimeCommandLine, workingDirectory: String) -> RecordingRequest? {
        let path = line.configPath(workingDirectory: workingDirectory)
        guard let bytes = try? FileIO.read(path), let node = try? JSONParser.parse(bytes) else { return nil }
        let annotations = node.value[member: "annotations"]
        guard let value = annotations?[member: RuntimeWrapperSettings.traceAnnotation]?.stringValue else { return nil }
        // A pod's annotations reach its sandbox (pause) container too, which is never the workload.
        for key in sandboxTypeAnnotations where annotations?[member: key]?.stringValue == "sandbox" { return nil }
        let known = annotations?[member: RuntimeWrapperSettings.knownAnnotation]?.stringValue.map {
            $0.split(separator: ",").map(String.init)
        }
        return RecordingRequest(
            configPath: path, original: bytes, config: node.value, annotation: value, known: known ?? [])
    }

    /// The annotations containerd's CRI plugin and CRI-O set to `sandbox` on a pod's pause container.
    static let sandboxTypeAnnotations = ["io.kubernetes.cri.container-type", "io.kubernetes.cri-o.ContainerType"]

    /// The real runtime's path: `runtime` itself when absolute, else found on `PATH` or in the
    /// system directories (engines often run the runtime with a minimal environment). Never this
    /// executable, which would call itself forever.
    static func resolveDelegate(_ runtime: String) -> String? {
        let own = Spawn.executable(of: System.processID)
        let path = (System.environment("PATH").map { $0 + ":" } ?? "") + fallbackPath
        var candidates: [String] = []
        if runtime.hasPrefix("/") {
            candidates = [runtime]
        } else {
            for directory in path.split(separator: ":") where directory.hasPrefix("/") {
                candidates.append("\(directory)/\(runtime)")
            }
        }
        for candidate in candidates where System.isExecutable(candidate) && !System.isDirectory(candidate) {
            if let own, FileIO.canonicalPath(candidate) == own { continue }
            return candidate
        }
        return nil
    }

    static let fallbackPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    /// Records one annotated container: replaces its seccomp object, starts the recorder, waits
    /// for `create` and puts the engine's config back.
    static func record(
        _ request: RecordingRequest, settings: RuntimeWrapperSettings, delegate: String, line: RuntimeCommandLine,
        invokedAs name: String, onError: (String) -> Void
    ) -> Int32 {
        guard let tracePath = settings.tracePath(annotation: request.annotation) else {
            return fail(
                onError,
                "refusing the trace path \(Self.quoted(request.annotation)) of annotation \(RuntimeWrapperSettings.traceAnnotation): it must be a plain file name, or a file directly in \(settings.traceDirectory) (the wrapper's traceDirectory)"
            )
        }
        var knownPaths: [String] = []
        for name in request.known {
            guard let path = settings.tracePath(annotation: name) else {
                return fail(
                    onError,
                    "refusing the known trace \(Self.quoted(name)) of annotation \(RuntimeWrapperSettings.knownAnnotation): it must be a plain file name, or a file directly in \(settings.traceDirectory)"
                )
            }
            knownPaths.append(path)
        }
        let known: [Architecture: Set<String>]
        switch RecordJob.knownNames(in: knownPaths) {
        case .success(let names): known = names
        case .failure(.unreadable(let error)): return fail(onError, "cannot use a known trace: \(error)")
        case .failure(.unusable(let errors)):
            return fail(
                onError,
                "the known traces name syscalls libseccomp does not know: \(errors.map(\.message).joined(separator: " "))"
            )
        }
        do {
            try FileIO.makeDirectories(settings.traceDirectory)
            var placeholder = Trace(source: Trace.Source(kind: "ptrace", knownTraces: knownPaths))
            placeholder.source.containerID = line.containerID
            placeholder.markIncomplete(unfinishedReason)
            try FileIO.writeAtomically(placeholder.jsonValue().rendered(), to: tracePath)
        } catch {
            return fail(onError, "cannot write the trace: \(error)")
        }
        let recording = recordingConfig(request.config, known: known)
        do {
            try FileIO.writeAtomically(recording.rendered(), to: request.configPath)
        } catch {
            return fail(onError, "cannot put the recording filter in \(request.configPath): \(error)")
        }
        defer { try? FileIO.writeAtomically(bytes: request.original, to: request.configPath) }
        return startRecorder(
            tracePath: tracePath, delegate: delegate, line: line, config: request.original, known: knownPaths,
            invokedAs: name, onError: onError)
    }

    /// Starts the recorder of `line` (a `create`, `run` or `exec`), gives it `config` (what it
    /// describes the run with), and returns the status it reports for the runtime's command.
    static func startRecorder(
        tracePath: String, delegate: String, line: RuntimeCommandLine, config original: [UInt8], known: [String],
        invokedAs name: String, onError: (String) -> Void
    ) -> Int32 {
        let status: (read: CInt, write: CInt)
        let config: (read: CInt, write: CInt)
        do {
            status = try Descriptors.makeInheritedWritePipe()
            config = try Descriptors.makeInheritedReadPipe()
        } catch {
            return fail(onError, "cannot make a pipe for the recorder: \(error)")
        }
        let own = Spawn.executable(of: System.processID) ?? name
        let command =
            [
                own, recorderCommand, "--status-fd", String(status.write), "--config-fd", String(config.read),
                "--trace", tracePath, "--runtime", delegate,
            ] + known.flatMap { ["--known", $0] } + ["--"] + line.arguments
        do {
            _ = try Spawn.spawn(command, filter: nil, traced: false, noNewPrivileges: false)
        } catch {
            Descriptors.close(status.read)
            Descriptors.close(status.write)
            Descriptors.close(config.read)
            Descriptors.close(config.write)
            return fail(onError, "cannot start the recorder: \(error)")
        }
        Descriptors.close(status.write)
        Descriptors.close(config.read)
        Descriptors.writeAll(original, to: config.write)
        Descriptors.close(config.write)
        let reply = String(decoding: Descriptors.readAll(status.read, limit: 64), as: UTF8.self)
        Descriptors.close(status.read)
        guard let code = Int32(reply.split(separator: "\n").first ?? "") else {
            return fail(onError, "the recorder ended before the runtime created the container (see \(tracePath).log)")
        }
        return code
    }

    /// The config with cinch's recording filter as `linux.seccomp`, which lets `known` through.
    static func recordingConfig(_ config: JSONValue, known: [Architecture: Set<String>] = [:]) -> JSONValue {
        let seccomp = RecordJob.recordingSeccomp(known: known, observesObjects: true)
        let linux = (config[member: "linux"] ?? .makeObject([])).setting("seccomp", to: seccomp)
        return config.setting("linux", to: linux)
    }

    /// Reports `cinch-runtime: MESSAGE` and returns `status`.
    static func fail(_ onError: (String) -> Void, _ message: String, status: Int32 = 1) -> Int32 {
        onError("cinch-runtime: \(message)")
        return status
    }

    /// A value from a container's config, quoted and escaped for a message.
    static func quoted(_ value: String) -> String { String(JSONValue.string(value).rendered().prefix { $0 != "\n" }) }
}
