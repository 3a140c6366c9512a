// SPDX-License-Identifier: Apache-2.0
// Options shared by the commands that run an OCI bundle (record --bundle, verify).

import ArgumentParser
import CinchContainer
import CinchLinux
import CinchModel

/// `--runtime runc|crun`.
enum RuntimeName: String, ExpressibleByArgument, CaseIterable {
    case runc, crun

    var runtime: ContainerRuntime { self == .runc ? .runc : .crun }
}

/// `--podman`, `--docker`.
enum EngineName: String, EnumerableFlag {
    case podman, docker

    var engine: ContainerEngine { self == .podman ? .podman : .docker }

    static func help(for value: EngineName) -> ArgumentHelp? {
        value == .podman
            ? "Record a container podman runs: the arguments after -- are `podman run`'s (IMAGE [COMMAND…])."
            : "The same with Docker (its daemon.json must register cinch-runtime as a runtime; docs/engines.md)."
    }
}

/// `--bundle`, `--runtime`, `--driver`, `--wait-port`, `--timeout`, `--grace`.
struct ContainerOptions: ParsableArguments {
    @Option(help: "An OCI bundle directory (config.json + rootfs) to run as a container.")
    var bundle: String?

    @Option(help: "The OCI runtime: runc or crun (default: runc; with --podman, podman's own).")
    var runtime: RuntimeName?

    /// The runtime a bundle runs under.
    var bundleRuntime: RuntimeName { runtime ?? .runc }

    @Option(help: "A host command (sh -c) run once the container is up; the container is stopped after it.")
    var driver: String?

    @Option(help: "Wait until 127.0.0.1:PORT accepts a connection before running the driver.")
    var waitPort: Int?

    @Option(help: "Seconds the whole container run may take.")
    var timeout: Double?

    @Option(help: "Seconds between SIGTERM and SIGKILL when cinch stops the container.")
    var grace: Double = 5

    @Option(
        name: .customLong("exec"),
        help: "A command run in the container by `RUNTIME exec … /bin/sh -c CMD` once it is ready (repeatable).")
    var execCommands: [String] = []

    /// Rejects container options given without --bundle.
    func rejectWithoutBundle() throws {
        if driver != nil || waitPort != nil || timeout != nil || !execCommands.isEmpty || runtime != nil {
            throw ValidationError("--driver, --wait-port, --timeout, --exec and --runtime need --bundle.")
        }
    }

    /// Reads the bundle and checks it before the run (``OCIBundle/preflight(_:)``): prints its
    /// notes unless `quiet`, and exits 64 with the problem named when it is unusable.
    func loadBundle(records: Bool, replacesCapabilities: Bool = false, quiet: Bool = false) throws -> OCIBundle {
        guard let bundle else { throw ValidationError("Give --bundle DIR.") }
        let loaded: OCIBundle
        do {
            loaded = try OCIBundle(directory: bundle)
        } catch {
            throw Console.fail(error, ExitStatus.unusableInput)
        }
        let findings = loaded.preflight(
            .init(
                waitPort: waitPort, hasDriver: driver != nil, records: records,
                replacesCapabilities: replacesCapabilities))
        if Console.report(findings.filter { !quiet || $0.severity == .error }) {
            Console.error("cinch: the bundle \(bundle) cannot run as it is; nothing was run.")
            throw ExitStatus.unusableInput
        }
        return loaded
    }

    /// Exits with 128 + the signal (130 for SIGINT, 143 for SIGTERM) when a signal stopped the run.
    func exitIfInterrupted(_ outcome: ContainerSession.Outcome) throws {
        if let signal = outcome.interruption { throw ExitCode(128 + signal) }
    }

    /// Session options for this bundle.
    func sessionOptions(bundle: OCIBundle, seccomp: JSONValue?, capabilities: [String]? = nil)
        -> ContainerSession.Options
    {
        var options = ContainerSession.Options(
            bundle: bundle, runtime: bundleRuntime.runtime, seccomp: seccomp, capabilities: capabilities,
            driver: driver,
            waitPort: waitPort, timeout: timeout, gracePeriod: grace)
        options.execCommands = execCommands
        return options
    }

    /// The first `--exec` command that failed and its status, if one did.
    func failedExec(_ outcome: ContainerSession.Outcome) -> (command: String, status: Int32)? {
        zip(execCommands, outcome.execStatuses).first { $0.1 != 0 }.map { (command: $0.0, status: $0.1) }
    }

    /// What to check when the container never became ready.
    var readinessHint: String {
        var hint = "Check that the container starts its service"
        if let waitPort {
            hint +=
                " and listens on port \(waitPort) in the host's network namespace (no \"network\" entry in linux.namespaces)"
        }
        return hint + ", or give it longer with --timeout."
    }

    func describe(_ outcome: ContainerSession.Outcome) -> String {
        var container = "container (\(bundleRuntime.rawValue)) exited with \(outcome.containerStatus)"
        if let signal = outcome.interruption {
            container += " after cinch stopped it on \(Signals.name(signal))"
        } else if outcome.stoppedByCinch {
            container += outcome.timedOut ? " after cinch stopped it at the timeout" : " after cinch stopped it"
        }
        var parts = [container]
        for (command, status) in zip(execCommands, outcome.execStatuses) {
            parts.append("--exec '\(command)' exited with \(status)")
        }
        if let driver = outcome.driverStatus { parts.append("driver exited with \(driver)") }
        if let reason = outcome.driverSkippedReason { parts.append("driver did not run: \(reason)") }
        return parts.joined(separator: "; ")
    }
}
