// SPDX-License-Identifier: Apache-2.0
// `cinch verify`: prove a seccomp profile (and a capability list) by running the container under
// it; on failure, run it again traced and name what reached the profile's default action.

public import CinchContainer
internal import CinchLinux
public import CinchModel
internal import CinchRecord
internal import CinchSeccomp

/// Proves a profile by running the workload under it.
public enum VerifyJob {
    /// What to verify.
    public struct Request: Sendable {
        /// The container run (bundle, runtime, driver, port, timeout, grace); its seccomp and
        /// capabilities are set by the job.
        public var session: ContainerSession.Options
        /// The seccomp profile file (Docker or OCI JSON).
        public var seccomp: String
        /// The capabilities to run with; nil keeps the bundle's bounding set.
        public var capabilities: CapabilityList?
        /// Receives notes for the user.
        public var onNote: (@Sendable (String) -> Void)?

        /// Creates a request.
        public init(
            session: ContainerSession.Options, seccomp: String, capabilities: CapabilityList?,
            onNote: (@Sendable (String) -> Void)? = nil
        ) {
            self.session = session
            self.seccomp = seccomp
            self.capabilities = capabilities
            self.onNote = onNote
        }
    }

    /// How verification ended.
    public enum Outcome: Sendable {
        /// The container and its driver succeeded under the profile.
        case passed(ContainerSession.Outcome)
        /// They failed; `denied` lists, per ABI, what reached the default action on the traced
        /// re-run (`x86_64: mkdir, ptrace`), empty when nothing did. `run` is the first run's
        /// outcome, nil when the runtime could not even start the container under the profile.
        case failed(run: ContainerSession.Outcome?, denied: [String], messages: [String])
        /// The container never became ready (``ContainerSession/Outcome/driverSkippedReason``), so the
        /// driver never ran, and the traced re-run shows no syscall reaching the profile's default
        /// action: readiness failed, not the profile.
        case notReady(run: ContainerSession.Outcome, reason: String, messages: [String])
        /// The profile, the capability list or the bundle is unusable.
        case unusable(messages: [String])
        /// The runtime or the tracer failed in a way that is not the profile's doing.
        case cannotRun(messages: [String])
        /// Under `--apparmor`: the container or driver failed, or Landlock denied something.
        /// `denied` names each denial (`/www/cgi-bin/hello (fs.execute)`) from the audit log;
        /// `run` is nil when the runtime could not start the container.
        case failedUnderLandlock(run: ContainerSession.Outcome?, denied: [String], messages: [String])
        /// A signal to cinch stopped the run (``ContainerSession/Outcome/interruption``); the
        /// container was stopped through the runtime and deleted.
        case interrupted(ContainerSession.Outcome)
    }

    /// The seccomp profile at `path`, or the error that names the file and place.
    static func loadProfile(_ path: String) -> Result<SeccompProfile, InputError> {
        Result { () throws(InputError) in try SeccompProfile.load(path: path) }
    }

    /// Runs the container under the profile; on failure, again with the default action traced.
    public static func run(_ request: Request) -> Outcome {
        if let unknown = request.capabilities?.unknownNames, !unknown.isEmpty {
            return .unusable(messages: ["not Linux capabilities: \(unknown.joined(separator: ", "))."])
        }
        let profile: SeccompProfile
        switch loadProfile(request.seccomp) {
        case .success(let loaded): profile = loaded
        case .failure(let error): return .unusable(messages: [error.description])
        }
        let names = request.capabilities?.capabilities
        let target = SeccompTarget(
            native: SyscallResolver.native,
            capabilities: (names ?? request.session.bundle.boundingCapabilities).map(Set.init),
            kernel: KernelVersion.running)
        let compilation = SeccompProfileCompiler.compile(
            profile, file: request.seccomp, native: target.native, capabilities: target.capabilities)
        let errors = compilation.diagnostics.filter { $0.severity == .error }
        guard errors.isEmpty else { return .unusable(messages: errors.map(\.description)) }
        let resolved = profile.resolved(for: target)
        RecordJob.reportLeftovers(request.onNote)

        var messages: [String] = []
        var session = request.session
        session.seccomp = resolved.jsonValue()
        session.capabilities = names
        // A profile that keeps the runtime from creating or starting the container fails here too:
        // the runtime's last steps run under the filter.
        var first: ContainerSession.Outcome?
        do {
            let outcome = try ContainerSession(options: session).run()
            if outcome.interruption != nil { return .interrupted(outcome) }
            let driverOK = outcome.driverStatus.map { $0 == 0 } ?? (session.driver == nil)
            let execOK = outcome.execStatuses.allSatisfy { $0 == 0 }
            if outcome.containerSucceeded, driverOK, execOK { return .passed(outcome) }
            first = outcome
        } catch {
            guard error.code == .runtimeFailed else {
                return error.code == .badBundle
                    ? .unusable(messages: [error.message]) : .cannotRun(messages: [error.message])
            }
            messages.append(error.message)
        }

        // A profile whose default action lets calls through denies nothing by default: a traced
        // re-run of a container that ran would list every syscall it makes, not what the profile
        // denied. (When the runtime failed, the re-run still tells a runtime failure apart.)
        if first != nil, resolved.defaultAction == .allow || resolved.defaultAction == .log {
            return judged(first: first, denied: [], messages: messages)
        }
        // Diagnose: run again with the default action as a trace stop and record what reaches it.
        var diagnostic = resolved
        diagnostic.defaultAction = SeccompProfile.Action.trace
        diagnostic.defaultErrnoRet = nil
        session.seccomp = diagnostic.jsonValue()
        let traced: ContainerSession.Outcome
        do {
            traced = try ContainerRecorder(
                options: .init(session: session, observesCapabilities: false, onNote: request.onNote)
            ).record()
        } catch {
            messages.append(error.message)
            return error.code == .badBundle ? .unusable(messages: messages) : .cannotRun(messages: messages)
        }
        if traced.interruption != nil { return .interrupted(traced) }
        var denied: [String] = []
        for (abi, record) in (traced.trace?.abis ?? [:]).sorted(by: { $0.key < $1.key }) where !record.syscalls.isEmpty
        {
            denied.append("\(abi.name): " + record.syscalls.keys.sorted().joined(separator: ", "))
        }
        return judged(first: first, denied: denied, messages: messages)
    }

    /// A failure with nothing denied by default, of a container that was still running but never
    /// became ready before the timeout, is a readiness failure; anything else (a container that
    /// exited first may have been refused a capability) is the profile's.
    private static func judged(first: ContainerSession.Outcome?, denied: [String], messages: [String]) -> Outcome {
        if denied.isEmpty, let first, first.timedOut, let reason = first.driverSkippedReason {
            return .notReady(run: first, reason: reason, messages: messages)
        }
        return .failed(run: first, denied: denied, messages: messages)
    }
}
