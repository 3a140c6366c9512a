// SPDX-License-Identifier: Apache-2.0
// `cinch record`: N traced runs of a command or a container, merged into one trace and written.

public import CinchContainer
internal import CinchGenerate
internal import CinchLinux
public import CinchModel
public import CinchRecord
internal import CinchSeccomp

/// Records a workload one or more times and writes the union of the runs as a trace.
public enum RecordJob {
    /// What to record.
    public enum Workload: Sendable {
        /// A command, traced from its `execve`.
        case command([String], noNewPrivileges: Bool?, pinToOneCPU: Bool?, installsRecordingFilter: Bool)
        /// An OCI bundle's container, by tracing the runtime that creates it.
        case container(ContainerSession.Options)
    }

    /// A recording request.
    public struct Request: Sendable {
        /// The workload.
        public var workload: Workload
        /// Traces whose syscalls need no stop (`--known`).
        public var knownTraces: [String]
        /// How many runs to record and merge; recording stops early at a failed or incomplete run.
        public var runs: Int
        /// Observe capabilities; nil means the default (on for a container, off for a command).
        public var observesCapabilities: Bool?
        /// Observe files, programs and sockets; nil means the default (on for a container, off for a
        /// command).
        public var observesObjects: Bool?
        /// Where to write the trace.
        public var output: String
        /// Live counters for a status line.
        public var progress: RecordingProgress?
        /// Receives notes for the user.
        public var onNote: (@Sendable (String) -> Void)?

        /// Creates a request.
        public init(
            workload: Workload, knownTraces: [String] = [], runs: Int = 1, observesCapabilities: Bool? = nil,
            observesObjects: Bool? = nil, output: String, progress: RecordingProgress? = nil,
            onNote: (@Sendable (String) -> Void)? = nil
        ) {
            self.workload = workload
            self.knownTraces = knownTraces
            self.runs = runs
            self.observesCapabilities = observesCapabilities
            self.observesObjects = observesObjects
            self.output = output
            self.progress = progress
            self.onNote = onNote
        }
    }

    /// How recording ended.
    public enum Outcome: Sendable {
        /// The trace was written. `container` is the last container run, for a container.
        case recorded(Trace, container: ContainerSession.Outcome?)
        /// A `--known` trace cannot be read.
        case unreadableKnownTrace(InputError)
        /// The `--known` traces name syscalls a profile cannot hold (the errors say which).
        case unusableKnownTraces([Diagnostic])
        /// The output cannot be written; nothing was run.
        case unwritableOutput(InputError)
        /// The workload could not be traced (or the bundle is unusable: ``TraceError/Code/badBundle``).
        case cannotTrace(TraceError)
        /// The runs were recorded but the trace could not be written.
        case unwritable(Trace, InputError)
    }

    /// Records the workload `request.runs` times, merges the runs and writes the trace.
    public static func run(_ request: Request) -> Outcome {
        // A recording can take long and cannot be repeated exactly: an output that cannot be
        // written is found before the workload runs, not after.
        do {
            try FileIO.checkWritable(request.output)
        } catch {
            return .unwritableOutput(error)
        }
        let knownNames: [Architecture: Set<String>]
        switch Self.knownNames(in: request.knownTraces) {
        case .success(let names): knownNames = names
        case .failure(.unreadable(let error)): return .unreadableKnownTrace(error)
        case .failure(.unusable(let errors)): return .unusableKnownTraces(errors)
        }
        let recordOnce: () throws(TraceError) -> (Trace, ContainerSession.Outcome?)
        switch request.workload {
        case .command(let command, let noNewPrivileges, let pinToOneCPU, let installsRecordingFilter):
            let options = PtraceRecorder.Options(
                command: command, known: knownNames, knownTraces: request.knownTraces,
                noNewPrivileges: noNewPrivileges, pinToOneCPU: pinToOneCPU ?? request.knownTraces.isEmpty,
                progress: request.progress, installsRecordingFilter: installsRecordingFilter,
                observesCapabilities: request.observesCapabilities ?? false,
                observesObjects: request.observesObjects ?? false, onNote: request.onNote)
            recordOnce = { () throws(TraceError) in (try PtraceRecorder(options: options).record(), nil) }
        case .container(var session):
            reportLeftovers(request.onNote)
            let wantsObjects = request.observesObjects ?? true
            session.seccomp = recordingSeccomp(known: knownNames, observesObjects: wantsObjects)
            // With known syscalls a container task can run without one stop, so cinch would never
            // see it cross the boundary and could not watch its capability checks.
            let wantsCapabilities = request.observesCapabilities ?? true
            if wantsCapabilities, !knownNames.isEmpty {
                request.onNote?(
                    "capabilities are not observed for a container recorded with --known (a task that makes only known syscalls never crosses cinch's view); record without --known for a capability list."
                )
            }
            let options = ContainerRecorder.Options(
                session: session, progress: request.progress,
                observesCapabilities: wantsCapabilities && knownNames.isEmpty, observesObjects: wantsObjects,
                onNote: request.onNote)
            recordOnce = { () throws(TraceError) in
                let outcome = try ContainerRecorder(options: options).record()
                guard var trace = outcome.trace else { throw TraceError(.ptraceFailed, "The run returned no trace.") }
                // The filter let the known names through without a stop, so the trace must say
                // the container may have made them, as a command's trace does.
                trace.inherit(knownNames)
                return (trace, outcome)
            }
        }
        var merged: Trace?
        var container: ContainerSession.Outcome?
        for _ in 0..<max(request.runs, 1) {
            do {
                let (trace, outcome) = try recordOnce()
                merged = merged.map { $0.merged(with: trace) } ?? trace
                container = outcome
            } catch {
                return .cannotTrace(error)
            }
            if let outcome = container {
                if outcome.interruption != nil || !outcome.exercisedWorkload || !outcome.containerSucceeded
                    || outcome.driverStatus ?? 0 != 0 || outcome.execStatuses.contains(where: { $0 != 0 })
                {
                    break
                }
            } else if merged?.isComplete == false || merged?.exitStatus?.shellStatus ?? 0 != 0 {
                break
            }
        }
        guard var trace = merged else { return .cannotTrace(TraceError(.ptraceFailed, "No run was recorded.")) }
        if container != nil { trace.source.knownTraces = request.knownTraces }
        do {
            try FileIO.writeAtomically(trace.jsonValue().rendered(), to: request.output)
        } catch {
            return .unwritable(trace, error)
        }
        return .recorded(trace, container: container)
    }

    /// Why `--known` traces cannot be used.
    enum KnownTraceProblem: Error {
        /// One cannot be read or parsed.
        case unreadable(InputError)
        /// They name syscalls a profile cannot hold (the errors say which).
        case unusable([Diagnostic])
    }

    /// The names the `--known` traces at `paths` recorded, per ABI: what a recording lets through
    /// without a stop and carries into its trace as inherited. `checking` compiles them into a
    /// profile first (with libseccomp); the runtime wrapper's recorder skips that, as the wrapper
    /// already did it.
    static func knownNames(
        in paths: [String], checking: Bool = true
    ) -> Result<[Architecture: Set<String>], KnownTraceProblem> {
        let known: [TraceInput]
        do {
            known = try TraceInput.load(paths)
        } catch {
            return .failure(.unreadable(error))
        }
        // Known names are carried into the trace as inherited, so they must pass the check
        // every generated profile passes, or the profile made from this trace would not compile.
        if checking, !known.isEmpty {
            let check = ArtifactBuilder.build(.seccomp(.init()), from: known, output: "the --known traces' profile")
            if check.failure != nil { return .failure(.unusable(check.diagnostics.filter { $0.severity == .error })) }
        }
        var names: [Architecture: Set<String>] = [:]
        for input in known { names.merge(input.trace.namesByABI) { $0.union($1) } }
        return .success(names)
    }

    /// The OCI `linux.seccomp` object a container is recorded under: every syscall stops
    /// (`SCMP_ACT_TRACE`) except the `known` ones, and, when objects are observed, the calls
    /// that name a file or socket always stop (some only when their arguments matter).
    static func recordingSeccomp(known: [Architecture: Set<String>], observesObjects: Bool) -> JSONValue {
        SeccompProfileGenerator.recordingProfile(
            defaultAction: .trace, known: known, abis: RecordingFilter.coveredABIs(native: SyscallResolver.native),
            format: .oci,
            alwaysRecorded: Set(Trace.argumentCaptures.keys).union(
                observesObjects ? PtraceRecorder.objectSyscallNames : []),
            quiet: observesObjects ? PtraceRecorder.quietObjectSyscalls : [:]
        ).jsonValue()
    }

    /// Removes what killed cinch processes left behind (``Leftovers``) and says what.
    static func reportLeftovers(_ onNote: (@Sendable (String) -> Void)?) {
        let removed = Leftovers.clean()
        if !removed.isEmpty {
            onNote?("removed what an earlier, killed cinch left behind: \(removed.joined(separator: ", ")).")
        }
    }
}
