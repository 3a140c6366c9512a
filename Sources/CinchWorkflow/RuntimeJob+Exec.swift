// SPDX-License-Identifier: Apache-2.0
// The runtime wrapper's `exec` into a container it records: traced, into a trace of its own.

internal import CinchContainer
internal import CinchLinux
internal import CinchModel

extension RuntimeJob {
    /// A container's recording that is still running, as its placeholder says.
    struct LiveRecording {
        /// The placeholder, which the recorder replaces with the trace.
        var tracePath: String
        /// The `--known` traces the container is recorded with: its filter lets their names
        /// through, for an exec'd process too.
        var knownTraces: [String]
    }

    /// The recording of container `id` that is still running, or nil when the container is not
    /// being recorded.
    ///
    /// The process an engine `exec`s into such a container gets the container's seccomp filter,
    /// which is cinch's recording filter: untraced, every syscall it does not know fails with
    /// ENOSYS, so the process cannot run. Health checks and Kubernetes exec probes come this way.
    static func liveRecording(of id: String, in settings: RuntimeWrapperSettings) -> LiveRecording? {
        let entries = ((try? FileIO.directoryEntries(settings.traceDirectory)) ?? []).sorted()
        for entry in entries where entry.hasSuffix(".json") && !isExecTrace(entry) {
            let path = settings.traceDirectory + "/" + entry
            // A placeholder is a few hundred bytes; a finished trace is not what this looks for,
            // and is not read (an engine may exec a probe into some container every few seconds).
            guard let size = FileIO.size(path), size <= placeholderLimit,
                let bytes = try? FileIO.read(path, limit: placeholderLimit),
                let trace = try? Trace(jsonBytes: bytes, file: path),
                trace.source.containerID == id, trace.incompleteReasons.contains(unfinishedReason)
            else { continue }
            return LiveRecording(tracePath: path, knownTraces: trace.source.knownTraces)
        }
        return nil
    }

    /// The largest file ``liveRecording(of:in:)`` reads: more than a placeholder ever takes.
    static let placeholderLimit = 8192

    /// Whether `name` is `NAME.exec-N.json`, the trace of an exec.
    static func isExecTrace(_ name: String) -> Bool { RuntimeWrapperSettings.execTrace(named: name) != nil }

    /// Runs the real `exec` under a recorder of its own, which writes `NAME.exec-N.json` next to
    /// the container's trace (the first free N) when the exec'd process ends, and returns exec's
    /// status, as the runtime would.
    static func recordExec(
        _ line: RuntimeCommandLine, recording: LiveRecording, delegate: String, workingDirectory: String,
        invokedAs name: String, onError: (String) -> Void
    ) -> Int32 {
        let containerTrace = recording.tracePath
        let prefix = RuntimeWrapperSettings.execTracePrefix(of: containerTrace)
        // After the highest number taken: a health check execs every few seconds for hours.
        let first = RuntimeWrapperSettings.execTraces(of: containerTrace).count + 1
        guard
            let tracePath = (first...(first + 10_000)).lazy.map({ "\(prefix)\($0).json" }).first(where: {
                FileIO.claim($0)
            })
        else {
            return fail(onError, "cannot name a trace for an exec into \(containerTrace): \(prefix)N.json are taken")
        }
        do {
            var placeholder = Trace(source: Trace.Source(kind: "ptrace", knownTraces: recording.knownTraces))
            placeholder.source.containerID = line.containerID
            placeholder.markIncomplete(unfinishedReason)
            try FileIO.writeAtomically(placeholder.jsonValue().rendered(), to: tracePath)
        } catch {
            FileIO.remove(tracePath)
            return fail(onError, "cannot write the trace: \(error)")
        }
        // The recorder describes the run by the process the engine asked for.
        var description = JSONValue.makeObject([])
        if let file = line.processFile {
            let path = file.hasPrefix("/") ? file : workingDirectory + "/" + file
            if let bytes = try? FileIO.read(path), let process = try? JSONParser.parse(bytes) {
                description = .makeObject([("process", process.value)])
            }
        }
        return startRecorder(
            tracePath: tracePath, delegate: delegate, line: line, config: Array(description.rendered().utf8),
            known: recording.knownTraces, invokedAs: name, onError: onError)
    }
}
