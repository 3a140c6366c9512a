// SPDX-License-Identifier: Apache-2.0
// `cinch verify`: prove a profile by running the container under it, and name what it denied.

import ArgumentParser
import CinchContainer
import CinchDiff
import CinchModel
import CinchRecord
import CinchSeccomp

/// Runs a bundle's container under a profile and a capability set; names denied syscalls on failure.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Run a container under a seccomp profile and check that it (and its driver) succeed.",
        discussion: """
            The profile may be Docker or OCI JSON, written by cinch or not (Docker's default, a \\
            hand-made one). Docker archMap and includes/excludes are resolved for this host and the \\
            capabilities (--caps or --caps-file, else the bundle's bounding set), as dockerd would, and the result is \\
            placed in a temporary copy of the bundle's config.json. When the run fails, cinch runs the \\
            container again with the profile's default action switched to trace, under its tracer, and \\
            names every syscall that reached the default action: what the profile must add.

            Exit status: 0 when the container and the driver succeed; 1 when they fail (denied \\
            syscalls are listed); 64 when the profile or bundle is unusable; 70 when the runtime fails; \\
            128+N when signal N (SIGINT, SIGTERM, SIGHUP) stopped the run: the container is stopped \\
            through the runtime (SIGTERM, SIGKILL after --grace seconds, at once on a second signal) \\
            and deleted, and the temporary bundle removed.
            """
    )

    @Option(help: "The seccomp profile (Docker or OCI JSON).")
    var seccomp: String

    @Option(help: "Capabilities for the container, comma-separated (CAP_CHOWN,CAP_NET_BIND_SERVICE).")
    var caps: String?

    @Option(
        help: "Capabilities from a file: one per line or a JSON array, as `cinch generate capabilities` writes them."
    )
    var capsFile: String?

    @OptionGroup(title: "Container")
    var container: ContainerOptions

    func validate() throws {
        guard container.bundle != nil else { throw ValidationError("Give --bundle DIR.") }
        guard caps == nil || capsFile == nil else { throw ValidationError("Give --caps or --caps-file, not both.") }
    }

    /// The capability set asked for, checked: every name must be a Linux capability.
    private func requestedCapabilities() throws -> [String]? {
        var names: [String]?
        if let caps { names = CapabilityName.parseList(caps) }
        if let capsFile {
            do {
                names = try CapabilityList(bytes: FileIO.read(capsFile), file: capsFile).names
            } catch {
                Console.error("cinch: \(error)")
                throw ExitStatus.unusableInput
            }
        }
        let unknown = (names ?? []).filter { !CapabilityName.isKnown($0) }
        if !unknown.isEmpty {
            Console.error(
                "cinch: \(capsFile ?? "--caps"): not Linux capabilities: \(unknown.joined(separator: ", ")).")
            throw ExitStatus.unusableInput
        }
        return names
    }

    func run() throws {
        let bundle = try container.loadBundle()
        let profile: SeccompProfile
        do {
            profile = try SeccompProfile.load(path: seccomp)
        } catch {
            Console.error("cinch: \(error)")
            throw ExitStatus.unusableInput
        }
        let capabilities = try requestedCapabilities()
        let target = SeccompTarget(
            native: SyscallResolver.native, capabilities: (capabilities ?? bundle.boundingCapabilities).map(Set.init),
            kernel: KernelVersion.running)
        let compilation = SeccompProfileCompiler.compile(
            profile, file: seccomp, native: target.native,
            capabilities: target.capabilities)
        if Console.report(compilation.diagnostics.filter { $0.severity == .error }) { throw ExitStatus.unusableInput }
        let resolved = profile.resolved(for: target)

        // A profile that keeps the runtime from creating or starting the container fails here too:
        // the runtime's last steps run under the filter.
        if let outcome = try runSession(bundle: bundle, seccomp: resolved, capabilities: capabilities, traced: false) {
            Console.error("cinch: \(container.describe(outcome))")
            try container.exitIfInterrupted(outcome)
            let driverOK = outcome.driverStatus.map { $0 == 0 } ?? (container.driver == nil)
            if outcome.containerSucceeded, driverOK {
                print("verify: ok: \(seccomp) runs \(container.bundle ?? "") with \(container.runtime.rawValue)")
                return
            }
        }
        // Diagnose: run again with the default action as a trace stop and record what reaches it.
        var diagnostic: SeccompProfile = resolved
        diagnostic.defaultAction = SeccompProfile.Action.trace
        diagnostic.defaultErrnoRet = nil
        guard let traced = try runSession(bundle: bundle, seccomp: diagnostic, capabilities: capabilities, traced: true)
        else { throw ExitStatus.cannotRun }
        try container.exitIfInterrupted(traced)
        var denied: [String] = []
        for (abi, record) in (traced.trace?.abis ?? [:]).sorted(by: { $0.key < $1.key }) where !record.syscalls.isEmpty
        {
            denied.append("\(abi.name): " + record.syscalls.keys.sorted().joined(separator: ", "))
        }
        if denied.isEmpty {
            print(
                "verify: FAILED: the container or driver failed, but no syscall reached the profile's default action; the failure is not a denial by default (check explicit rules and capabilities)."
            )
        } else {
            print("verify: FAILED: the profile denied these syscalls (add them to allow the workload):")
            for line in denied { print("  \(line)") }
        }
        throw ExitStatus.failure
    }

    /// One run; nil when the runtime could not create or start the container under the profile.
    private func runSession(bundle: OCIBundle, seccomp: SeccompProfile, capabilities: [String]?, traced: Bool) throws
        -> ContainerSession.Outcome?
    {
        let session = container.sessionOptions(
            bundle: bundle, seccomp: seccomp.jsonValue(), capabilities: capabilities)
        if traced {
            do {
                return try ContainerRecorder(
                    options: .init(
                        session: session, observesCapabilities: false, onNote: { Console.error("cinch: note: \($0)") })
                ).record()
            } catch {
                Console.error("cinch: \(error)")
                if error.code == .runtimeFailed { return nil }
                throw error.code == .badBundle ? ExitStatus.unusableInput : ExitStatus.cannotRun
            }
        }
        do {
            return try ContainerSession(options: session).run()
        } catch {
            Console.error("cinch: \(error)")
            if error.code == .runtimeFailed { return nil }
            throw error.code == .badBundle ? ExitStatus.unusableInput : ExitStatus.cannotRun
        }
    }
}
