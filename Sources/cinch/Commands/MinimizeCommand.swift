// SPDX-License-Identifier: Apache-2.0
// `cinch minimize`: prove the smallest capability list by running the container without each one.

import ArgumentParser
import CinchContainer
import CinchLinux
import CinchModel
import CinchWorkflow

/// `--format text|json` for the report.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Runs a container without capabilities of a list and keeps those whose removal breaks it.
struct MinimizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "minimize",
        abstract: "Prove the smallest capability list by running the workload without each capability.",
        discussion: """
            A recorded list holds every capability the kernel granted, also those the workload \
            only probed and could do without. minimize runs the container (under --seccomp, with \
            its --driver) first with the whole list (--caps, --caps-file, else the bundle's \
            bounding set), which must pass, then without groups of capabilities: all at once, then \
            halves, down to single ones. A capability whose removal makes the container or the \
            driver fail in every run is needed; one the workload passes without is unneeded and \
            leaves the list; one whose runs disagree (flaky) or that the --budget left untried is \
            undecided and stays in the list. Every trial is repeated --runs times.

            With --podman (or --docker), the engine's run arguments after -- (IMAGE [COMMAND…] and \
            run options) instead of --bundle, and --caps or --caps-file: each run is a plain container \
            of the engine with --cap-drop ALL, a --cap-add per capability tried and --security-opt \
            seccomp=FILE; it passes when the driver passes (or, without one, the container exits 0).

            Instead of --bundle, a command after -- (run as uid 0, which cinch must be): each run \
            removes the capabilities outside the list from its bounding, inheritable and ambient \
            sets, so it starts with just the list; it passes when it exits with 0 within --timeout \
            seconds (default 60; it is killed then).

            The report (stdout, --format text or json; the workload's own output goes to stderr) names each capability's verdict and the \
            runs behind it; -o writes the list kept (needed and undecided) in --list-format. A \
            driver proves only the paths it exercises: see docs/capabilities.md.

            --syscalls then searches the profile the same way, with the list kept: which allowed \
            syscalls the workload survives without when each is denied with the profile's errno. \
            It is a report only: the profile is never changed, since a driver cannot prove that a \
            path is never taken in production.

            Exit status: 0 when the search finished (undecided capabilities, if any, are kept and \
            reported); 1 when the workload fails with the whole list; 64 when the profile, the list \
            or the bundle is unusable; 70 when the runtime fails or the command cannot be started \
            (127 when it is not found); 73 when the list cannot be \
            written; 128+N when signal N (SIGINT, SIGTERM, SIGHUP) stopped a run: the container is \
            stopped through the runtime and deleted, and nothing is written.
            """
    )

    @Option(help: "The seccomp profile every run uses (Docker or OCI JSON).")
    var seccomp: String

    @Option(help: "The capabilities to minimise, comma-separated (CAP_CHOWN,CAP_NET_BIND_SERVICE).")
    var caps: String?

    @Option(help: "The capabilities to minimise from a file: one per line or a JSON array.")
    var capsFile: String?

    @Option(help: "Runs per trial; a verdict needs every run to agree.")
    var runs = 3

    @Option(help: "Seconds the whole search may take; capabilities left untried are kept as undecided.")
    var budget: Double?

    @Option(name: .shortAndLong, help: "Where to write the list kept.")
    var output: String?

    @Option(help: "The list's format: text, docker, oci, compose or kubernetes.")
    var listFormat: CapabilityOutputFormat = .text

    @Option(help: "The report's format: text or json.")
    var format: ReportFormat = .text

    @Flag(
        help:
            "Also report which allowed syscalls the workload survives without (denied with the profile's errno); never applied."
    )
    var syscalls = false

    @Flag(name: .shortAndLong, help: "No live progress line and no notes.")
    var quiet = false

    @OptionGroup(title: "Container")
    var container: ContainerOptions

    @Flag(
        help: "Minimise a container this engine runs (its own runtime); the arguments after -- are its `run` arguments."
    )
    var engine: EngineName?

    @Argument(parsing: .remaining, help: "A command to minimise instead of a container, after --.")
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        if engine != nil {
            guard container.bundle == nil, !command.isEmpty else {
                throw ValidationError(
                    "With --podman or --docker, give the engine's run arguments after --, not --bundle.")
            }
            guard caps != nil || capsFile != nil else {
                throw ValidationError("Give the list to minimise for an engine's container: --caps or --caps-file.")
            }
            if container.driver == nil, container.waitPort == nil, command.contains("--rm") {
                throw ValidationError(
                    "Without --driver a trial passes when its container exits 0, and --rm makes the engine remove the container before cinch can read its status: leave --rm out (cinch removes every trial's container itself), or give a --driver."
                )
            }
        } else if command.isEmpty {
            guard container.bundle != nil else { throw ValidationError("Give --bundle DIR or a command after --.") }
        } else {
            guard container.bundle == nil else { throw ValidationError("Give --bundle DIR or a command, not both.") }
            guard container.driver == nil, container.waitPort == nil else {
                throw ValidationError("--driver and --wait-port need --bundle.")
            }
            guard caps != nil || capsFile != nil else {
                throw ValidationError("Give the list to minimise for a command: --caps or --caps-file.")
            }
        }
        guard caps == nil || capsFile == nil else { throw ValidationError("Give --caps or --caps-file, not both.") }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1.") }
        if let budget, !(budget > 0) { throw ValidationError("--budget must be a positive number of seconds.") }
    }

    func run() throws {
        let bundle =
            command.isEmpty && engine == nil
            ? try container.loadBundle(
                records: false, replacesCapabilities: caps != nil || capsFile != nil, quiet: quiet)
            : nil
        var list: CapabilityList?
        if let caps { list = CapabilityList(parsingCommaSeparated: caps) }
        if let capsFile {
            do {
                list = try CapabilityList(bytes: FileIO.read(capsFile), file: capsFile)
            } catch {
                throw Console.fail(error, ExitStatus.unusableInput)
            }
        }
        if let output {
            do { try FileIO.checkWritable(output) } catch { throw Console.fail(error, ExitStatus.cannotWrite) }
        }
        let live = !quiet && Console.isTerminal
        var request = MinimizeJob.Request(
            workload: workload(bundle), seccomp: seccomp, capabilities: list,
            runs: runs, budget: budget)
        request.syscalls = syscalls
        if !quiet { request.onNote = { Console.error("cinch: note: \($0)") } }
        if live { request.onProgress = { Console.raw("\r\u{1B}[K" + Self.progressLine($0)) } }
        // The workload's own output goes to stderr: stdout is the report's.
        let outcome = System.withStandardOutputOnStandardError { MinimizeJob.run(request) }
        if live { Console.raw("\r\u{1B}[K") }
        switch outcome {
        case .searched(let result, let syscallResult, let errno):
            switch format {
            case .text:
                print(result.renderedText(runsPerTrial: runs), terminator: "")
                if let syscallResult { print(syscallResult.renderedSyscallReport(errno: errno), terminator: "") }
            case .json:
                var json = result.jsonValue(runsPerTrial: runs)
                if let syscallResult { json = json.setting("syscalls", to: syscallResult.syscallJSON(errno: errno)) }
                print(json.rendered(), terminator: "")
            }
            guard result.conclusion == .finished else { throw ExitStatus.failure }
            if let output {
                let model = CapabilityList(result.kept, ranWithNoNewPrivileges: bundle?.noNewPrivileges ?? false)
                do {
                    try FileIO.writeAtomically(model.rendered(as: listFormat.model), to: output)
                } catch {
                    throw Console.fail(error, ExitStatus.cannotWrite)
                }
            }
        case .unusable(let messages):
            for message in messages { Console.error("cinch: \(message)") }
            throw ExitStatus.unusableInput
        case .cannotRun(let messages, let notFound):
            for message in messages { Console.error("cinch: \(message)") }
            throw notFound ? ExitStatus.notFound : ExitStatus.cannotRun
        case .interrupted(let signal):
            let workload =
                bundle == nil && engine == nil ? "the command was stopped" : "the container was stopped and deleted"
            Console.error("cinch: stopped on \(Signals.name(signal)); \(workload).")
            throw ExitCode(128 + signal)
        }
    }

    /// Seconds a command's run may take without --timeout.
    static let commandTimeout = 60.0

    /// The container of `bundle`, or the command.
    private func workload(_ bundle: OCIBundle?) -> MinimizeJob.Workload {
        if let engine {
            return .engine(
                EngineSession.Options(
                    engine: engine.engine, runtime: container.runtime?.rawValue, traceName: nil, runArguments: command,
                    driver: container.driver, waitPort: container.waitPort, timeout: container.timeout,
                    gracePeriod: container.grace))
        }
        guard let bundle else { return .command(command, timeout: container.timeout ?? Self.commandTimeout) }
        return .container(container.sessionOptions(bundle: bundle, seccomp: nil))
    }

    /// `minimize: 2/4 decided · 7 runs · without CAP_CHOWN, CAP_DAC_OVERRIDE`.
    static func progressLine(_ progress: CapabilityMinimizer.Progress) -> String {
        let trying = progress.without.isEmpty ? "the whole list" : "without " + progress.without.joined(separator: ", ")
        return "cinch: minimize: \(progress.decided)/\(progress.total) decided · \(progress.runs) runs · \(trying)"
    }
}
