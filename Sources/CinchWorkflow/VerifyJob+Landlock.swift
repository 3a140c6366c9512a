// SPDX-License-Identifier: Apache-2.0
// `cinch verify --apparmor`: prove an AppArmor profile's file rules by running the container
// under them as a Landlock ruleset, applied inside the container by the cinch-landlock helper.

public import CinchContainer
internal import CinchLinux
public import CinchModel

extension VerifyJob {
    /// What to verify with `--apparmor`.
    public struct AppArmorRequest: Sendable {
        /// The container run; its entrypoint and seccomp are set by the job.
        public var session: ContainerSession.Options
        /// The AppArmor profile file.
        public var apparmor: String
        /// The capabilities to run with; nil keeps the bundle's bounding set.
        public var capabilities: CapabilityList?
        /// Receives notes for the user (what Landlock cannot enforce, among them).
        public var onNote: (@Sendable (String) -> Void)?

        /// Creates a request.
        public init(
            session: ContainerSession.Options, apparmor: String, capabilities: CapabilityList?,
            onNote: (@Sendable (String) -> Void)? = nil
        ) {
            self.session = session
            self.apparmor = apparmor
            self.capabilities = capabilities
            self.onNote = onNote
        }
    }

    /// Runs the container with the profile's file rules enforced by Landlock from inside it.
    ///
    /// A temporary copy of the bundle runs the static `cinch-landlock` helper as its entrypoint
    /// (bind-mounted read-only onto the runtime's fresh `/dev`), with the ruleset as an argument
    /// cinch writes; the helper restricts itself, then execs the bundle's `process.args`. The
    /// bundle's own `linux.seccomp` is left out, as with `--seccomp`. It passes when the
    /// container and driver succeed and the audit log shows no Landlock denial of the container.
    public static func run(apparmor request: AppArmorRequest) -> Outcome {
        if let unknown = request.capabilities?.unknownNames, !unknown.isEmpty {
            return .unusable(messages: ["not Linux capabilities: \(unknown.joined(separator: ", "))."])
        }
        let plan: LandlockEnforcement.Plan
        do {
            plan = try LandlockEnforcement.plan(profile: request.apparmor)
        } catch {
            return .unusable(messages: [error.description])
        }
        for note in plan.notes { request.onNote?(note.description) }
        guard let abi = Landlock.abiVersion else {
            return .cannotRun(messages: ["Landlock is not available on this kernel; the profile cannot be enforced."])
        }
        guard let helper = LandlockEnforcement.helperPath, System.isExecutable(helper) else {
            return .cannotRun(messages: [
                "The Landlock helper cinch-landlock was not found next to cinch (\(LandlockEnforcement.helperPath ?? "?")); build it (swift build) or set CINCH_LANDLOCK_HELPER."
            ])
        }
        RecordJob.reportLeftovers(request.onNote)
        var session = request.session
        session.seccomp = nil
        session.capabilities = request.capabilities?.capabilities
        session.entrypoint = EntrypointWrapper(helper: helper, arguments: [plan.ruleset.jsonValue().rendered()])
        let mark = LandlockEnforcement.auditLogMark()
        let outcome: ContainerSession.Outcome
        do {
            outcome = try ContainerSession(options: session).run()
        } catch {
            guard error.code == .runtimeFailed else {
                return error.code == .badBundle
                    ? .unusable(messages: [error.message]) : .cannotRun(messages: [error.message])
            }
            return .failedUnderLandlock(run: nil, denied: [], messages: [error.message])
        }
        if outcome.interruption != nil { return .interrupted(outcome) }
        let driverOK = outcome.driverStatus.map { $0 == 0 } ?? (session.driver == nil)
        let succeeded = outcome.containerSucceeded && driverOK
        guard Landlock.logsDenials(abi: abi) else {
            return succeeded ? .passed(outcome) : .failedUnderLandlock(run: outcome, denied: [], messages: [])
        }
        let found = LandlockEnforcement.denials(
            since: mark, pids: Set(outcome.containerPID.map { [$0] } ?? []), failed: !succeeded)
        if succeeded, found.denied.isEmpty { return .passed(outcome) }
        return .failedUnderLandlock(run: outcome, denied: found.denied, messages: found.note.map { [$0] } ?? [])
    }
}
