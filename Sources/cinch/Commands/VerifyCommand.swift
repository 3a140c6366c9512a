// SPDX-License-Identifier: Apache-2.0
// `cinch verify`: prove a profile by running the container under it, and name what it denied.

import ArgumentParser
import CinchContainer
import CinchLinux
import CinchModel
import CinchWorkflow

/// Runs a bundle's container under a profile and a capability set; names denied syscalls on failure.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract:
            "Run a container under a seccomp or AppArmor profile and check that it (and its driver) succeed.",
        discussion: """
            The profile may be Docker or OCI JSON, written by cinch or not (Docker's default, a \
            hand-made one). Docker archMap and includes/excludes are resolved for this host and the \
            capabilities (--caps or --caps-file, else the bundle's bounding set), as dockerd would, and the result is \
            placed in a temporary copy of the bundle's config.json. When the run fails, cinch runs the \
            container again with the profile's default action switched to trace, under its tracer, and \
            names every syscall that reached the default action: what the profile must add. \
            --format json prints the result as one JSON document on standard output (`cinchVerify`: \
            result, profile, the run, denied syscalls (or paths) per ABI, messages), with the same exit status.

            With --apparmor, the AppArmor profile's file rules (and TCP bind/connect, when it allows \
            no inet/inet6 stream socket) are enforced as a Landlock ruleset: AppArmor itself is not \
            available on this kernel. The static helper cinch-landlock, bind-mounted read-only into a \
            temporary copy of the bundle, runs as the entrypoint, restricts itself and execs the \
            bundle's process.args. What Landlock cannot express is listed as notes. The run fails when \
            the container or driver fails or Landlock denied anything, and the denied paths are named \
            from the audit log ($CINCH_AUDIT_LOG, else /var/log/audit/audit.log).

            Exit status: 0 when the container and the driver succeed; 1 when they fail (denied \
            syscalls or paths are listed); 75 when the container was still running but never became ready \
            (--wait-port) before --timeout and the traced re-run shows no denial, so the driver never ran; \
            64 when the profile or bundle is unusable; 70 when the runtime, Landlock or its helper fails or \
            is missing; \
            128+N when signal N (SIGINT, SIGTERM, SIGHUP) stopped the run: the container is stopped \
            through the runtime (SIGTERM, SIGKILL after --grace seconds, at once on a second signal) \
            and deleted, and the temporary bundle removed.
            """
    )

    @Option(help: "The seccomp profile (Docker or OCI JSON).")
    var seccomp: String?

    @Option(help: "An AppArmor profile whose file rules to enforce with Landlock.")
    var apparmor: String?

    @Option(help: "Capabilities for the container, comma-separated (CAP_CHOWN,CAP_NET_BIND_SERVICE).")
    var caps: String?

    @Option(
        help: "Capabilities from a file: one per line or a JSON array, as `cinch generate capabilities` writes them."
    )
    var capsFile: String?

    @OptionGroup(title: "Container")
    var container: ContainerOptions

    @OptionGroup var summary: SummaryOptions

    func validate() throws {
        guard container.bundle != nil else { throw ValidationError("Give --bundle DIR.") }
        // The helper runs under the seccomp profile, which was not recorded with it.
        guard (seccomp == nil) != (apparmor == nil) else {
            throw ValidationError(
                "Give --seccomp or --apparmor, not both: the Landlock helper would run under the seccomp profile.")
        }
        guard caps == nil || capsFile == nil else { throw ValidationError("Give --caps or --caps-file, not both.") }
    }

    /// The capability set asked for, checked: every name must be a Linux capability.
    private func requestedCapabilities() throws -> [String]? {
        var names: [String]?
        if let caps { names = CapabilityList(parsingCommaSeparated: caps).capabilities }
        if let capsFile {
            do {
                names = try CapabilityList(bytes: FileIO.read(capsFile), file: capsFile).capabilities
            } catch {
                throw Console.fail(error, ExitStatus.unusableInput)
            }
        }
        let unknown = (names ?? []).filter { !CapabilityList.isKnown($0) }
        if !unknown.isEmpty {
            Console.error(
                "cinch: \(capsFile ?? "--caps"): not Linux capabilities: \(unknown.joined(separator: ", ")).")
            throw ExitStatus.unusableInput
        }
        return names
    }

    func run() throws {
        let bundle = try container.loadBundle(records: false, replacesCapabilities: caps != nil || capsFile != nil)
        let capabilities = try requestedCapabilities()
        let session = container.sessionOptions(bundle: bundle, seccomp: nil)
        let outcome: VerifyJob.Outcome
        if let apparmor {
            outcome = VerifyJob.run(
                apparmor: .init(
                    session: session, apparmor: apparmor, capabilities: capabilities.map { CapabilityList($0) },
                    onNote: { Console.error("cinch: \($0)") }))
        } else {
            outcome = VerifyJob.run(
                .init(
                    session: session, seccomp: seccomp ?? "", capabilities: capabilities.map { CapabilityList($0) },
                    onNote: { Console.error("cinch: note: \($0)") }))
        }
        let profile = apparmor ?? seccomp ?? ""
        if summary.isJSON {
            summary.print(JobSummary.verification(outcome, profile: profile))
            try exit(for: outcome)
            return
        }
        switch outcome {
        case .passed(let outcome):
            Console.error("cinch: \(container.describe(outcome))")
            print("verify: ok: \(profile) runs \(container.bundle ?? "") with \(container.bundleRuntime.rawValue)")
        case .failedUnderLandlock(let first, let denied, let messages):
            if let first { Console.error("cinch: \(container.describe(first))") }
            for message in messages { Console.error("cinch: \(message)") }
            if denied.isEmpty {
                print("verify: FAILED: the container or driver failed, and no Landlock denial was found.")
            } else {
                print("verify: FAILED: Landlock denied these accesses (add rules for them to allow the workload):")
                for line in denied { print("  \(line)") }
            }
            throw ExitStatus.failure
        case .failed(let first, let denied, let messages):
            if let first { Console.error("cinch: \(container.describe(first))") }
            for message in messages { Console.error("cinch: \(message)") }
            if denied.isEmpty {
                print(
                    "verify: FAILED: the container or driver failed, but no syscall reached the profile's default action; the failure is not a denial by default (check explicit rules and capabilities)."
                )
            } else {
                print("verify: FAILED: the profile denied these syscalls (add them to allow the workload):")
                for line in denied { print("  \(line)") }
            }
            throw ExitStatus.failure
        case .notReady(let first, let reason, let messages):
            Console.error("cinch: \(container.describe(first))")
            for message in messages { Console.error("cinch: \(message)") }
            print(
                "verify: NOT READY: the driver never ran because \(reason), and no syscall reached the profile's default action on a traced re-run: the container did not become ready, which is not the profile's doing. \(container.readinessHint)"
            )
            throw ExitStatus.notExercised
        case .unusable(let messages):
            for message in messages { Console.error("cinch: \(message)") }
            throw ExitStatus.unusableInput
        case .cannotRun(let messages):
            for message in messages { Console.error("cinch: \(message)") }
            throw ExitStatus.cannotRun
        case .interrupted(let outcome):
            Console.error("cinch: \(container.describe(outcome))")
            try container.exitIfInterrupted(outcome)
        }
    }

    /// The exit status of an outcome, for `--format json` (the text path prints as it goes).
    private func exit(for outcome: VerifyJob.Outcome) throws {
        switch outcome {
        case .passed: return
        case .failed, .failedUnderLandlock: throw ExitStatus.failure
        case .notReady: throw ExitStatus.notExercised
        case .unusable: throw ExitStatus.unusableInput
        case .cannotRun: throw ExitStatus.cannotRun
        case .interrupted(let run): try container.exitIfInterrupted(run)
        }
    }
}
