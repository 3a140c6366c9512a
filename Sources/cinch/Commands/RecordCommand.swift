// SPDX-License-Identifier: Apache-2.0
// `cinch record`: run a command (or an OCI bundle's container) traced, and write its trace.

import ArgumentParser
import CinchContainer
import CinchModel
import CinchRecord
import CinchWorkflow

/// Records a command's or a container's syscalls with seccomp-assisted ptrace.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run a command or a container under cinch's tracer and write what it did as a trace.",
        discussion: """
            Only syscalls outside the known set stop the workload: the child installs a seccomp filter \
            that returns SECCOMP_RET_TRACE for them right before execve. Pass earlier traces with --known \
            to make their syscalls free; their names are carried into the new trace as "inherited". \
            A cold recording runs tracer and workload on one CPU, where a stop is several times \
            cheaper; with --known stops are rare and the workload keeps every CPU. \
            --runs N records N runs and writes their union, for workloads (and runtimes written in Go) \
            whose syscalls depend on timing.

            With --bundle, cinch runs the OCI bundle's container once with runc or crun and traces the \
            runtime itself: a temporary copy of config.json gets a filter that traces every syscall \
            outside the known set, so the trace holds exactly what runs in the container after the \
            runtime installs its filter (the runtime's last steps and the container's processes). The \
            bundle is never modified. A service container is exercised with --driver; the container is \
            then stopped (SIGTERM, then SIGKILL after --grace seconds) and deleted. --exec CMD \
            (repeatable) runs CMD inside the container through `RUNTIME exec` once it is ready, before \
            the driver, under the same tracer: the runtime's exec path after its filter and CMD are in \
            the trace, so `podman exec`, health checks and `kubectl exec` work under the profile. A \
            profile recorded without --exec may deny them.

            With --podman (or --docker), the arguments after -- are `podman run`'s (IMAGE [COMMAND…] \
            and any run options): cinch runs the container through the engine with cinch-runtime as its \
            OCI runtime (delegating to the engine's own runtime, or --runtime) and the cinch.dev/trace \
            annotation, waits for --wait-port, runs --driver, stops the container (--grace) and removes \
            it, and writes the trace to -o; without a driver or port it waits for the container to end. \
            The engine's seccomp profile is replaced by cinch's recording filter for that run and kept in \
            the trace (docs/engines.md).

            --files (the default with --bundle) also records the files the workload opened, created, \
            removed, renamed, linked, chmod'ed or locked, the programs it ran, the libraries it mapped \
            executable and its sockets, with paths resolved as the workload's kernel resolved them \
            (relative to its dirfd, cwd and root, symbolic links followed); accesses that failed are kept \
            apart. The trace then says it "observed" files and network, and `cinch generate apparmor` \
            makes a profile from it (docs/apparmor.md).

            --capabilities (the default with --bundle) also records which capabilities the workload \
            used after its exec boundary, from the kernel's capability:cap_capable tracepoint (Linux \
            6.14+, in a tracefs instance of cinch's own that follows the workload's forks); the trace \
            then says it "observed" capabilities, and `cinch generate capabilities` makes the drop list. \
            Checks the kernel makes only to probe (memory accounting on mmap, *_noaudit helpers) do not \
            count; see docs/capabilities.md.

            --format json prints a JSON summary on standard output when the trace is written, after \
            anything the workload itself printed there (`cinchRecord`: output, complete and \
            incompleteReasons, distinct syscalls per ABI, processes, the exit status or the container \
            run).

            Exit status: the workload's own (128+N when signal N killed it; for a container stopped by \
            cinch after its driver, the driver's; a failed --exec command's); 75 when, with --driver or --wait-port, the container \
            never became ready (or exited first) so the driver never ran: the trace is written, marked \
            incomplete with the reason; 64 when the input is unusable; 127 when the command \
            is not found; 126 when it cannot be executed; 70 when it could not be traced; 73 when the trace cannot be written. On \
            SIGINT/SIGTERM the signal is passed to every process of the workload (as a terminal sends \
            Ctrl-C to its process group), followed by SIGCONT for stopped ones (a second signal kills \
            them), and the partial trace is written, marked incomplete. The workload's own SIGSTOP \
            stops it until SIGCONT, as without a tracer. With --bundle, SIGINT/SIGTERM/SIGHUP stop the container through the \
            runtime (SIGTERM, SIGKILL after --grace seconds, at once on a second signal), delete it, \
            write the trace marked incomplete, and exit 128+N (130 for SIGINT, 143 for SIGTERM).
            """
    )

    @Option(name: .shortAndLong, help: "Where to write the trace.")
    var output = "cinch-trace.json"

    @Option(name: .long, help: "A trace whose syscalls need no stop (repeatable).")
    var known: [String] = []

    @Option(help: "Record this many runs and write their union (catches timing-dependent syscalls).")
    var runs = 1

    @Flag(name: .shortAndLong, help: "No live status line and no summary.")
    var quiet = false

    @Flag(name: .long, help: "Set no_new_privs in the workload even when cinch has CAP_SYS_ADMIN.")
    var noNewPrivileges = false

    @Flag(
        name: .long, inversion: .prefixedNo,
        help: "Run tracer and workload on one CPU (cheaper stops). Default: on without --known, off with it.")
    var pinCpu: Bool?

    @Flag(
        name: .long, inversion: .prefixedNo,
        help: """
            Observe the capabilities the workload uses after its exec boundary (the kernel's cap_capable \
            tracepoint), for `cinch generate capabilities`. Default: on with --bundle, off for a command \
            (it costs ~0.2 s and ~1-2 µs per stop).
            """)
    var capabilities: Bool?

    @Flag(
        name: .long, inversion: .prefixedNo,
        help: """
            Observe the files, programs, libraries and sockets the workload uses after its exec boundary \
            (the syscalls that name them stop, and their results are read), for `cinch generate \
            apparmor`. Default: on with --bundle, off for a command.
            """)
    var files: Bool?

    @Flag(name: .long, help: .hidden)
    var withoutRecordingFilter = false

    @OptionGroup(title: "Container recording")
    var container: ContainerOptions

    @Flag(
        help:
            "Run the container with this engine through cinch-runtime; the arguments after -- are its `run` arguments.")
    var engine: EngineName?

    @OptionGroup var summary: SummaryOptions

    @Argument(parsing: .remaining, help: "The command to run, after -- (not with --bundle).")
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        guard (1...100).contains(runs) else { throw ValidationError("--runs must be between 1 and 100.") }
        if engine != nil {
            guard container.bundle == nil else { throw ValidationError("Give either --bundle or --podman, not both.") }
            guard runs == 1, container.execCommands.isEmpty else {
                throw ValidationError("--runs and --exec do not apply to --podman or --docker.")
            }
            guard !command.isEmpty else {
                throw ValidationError("Give podman's run arguments after --: IMAGE [COMMAND…].")
            }
            return
        }
        if container.bundle != nil {
            guard command.isEmpty else { throw ValidationError("Give either --bundle or a command, not both.") }
            return
        }
        try container.rejectWithoutBundle()
        guard !command.isEmpty else { throw ValidationError("Give the command to record after --, or --bundle DIR.") }
    }

    func run() throws {
        if let engine { return try recordThroughEngine(engine.engine) }
        let progress = RecordingProgress()
        let status = quiet || !Console.isTerminal ? nil : StatusLine(progress: progress)
        let workload: RecordJob.Workload
        if container.bundle != nil {
            let bundle = try container.loadBundle(records: true, quiet: quiet)
            var session = container.sessionOptions(bundle: bundle, seccomp: nil)
            if let status { session.onPhase = { status.show($0) } }
            workload = .container(session)
        } else {
            workload = .command(
                command, noNewPrivileges: noNewPrivileges ? true : nil, pinToOneCPU: pinCpu,
                installsRecordingFilter: !withoutRecordingFilter)
        }
        status?.start()
        let outcome = RecordJob.run(
            RecordJob.Request(
                workload: workload, knownTraces: known, runs: runs, observesCapabilities: capabilities,
                observesObjects: files, output: output, progress: progress,
                onNote: { Console.error("cinch: note: \($0)") }))
        status?.stop()
        switch outcome {
        case .unreadableKnownTrace(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .cannotTrace(let error):
            Console.error("cinch: \(error)")
            switch error.code {
            case .commandNotFound: throw ExitStatus.notFound
            case .cannotExecute: throw ExitStatus.cannotExecute
            case .badBundle: throw ExitStatus.unusableInput
            default: throw ExitStatus.cannotRun
            }
        case .unusableKnownTraces(let diagnostics):
            throw unusableKnownTraces(diagnostics)
        case .unwritableOutput(let error):
            Console.error("cinch: \(error); nothing was recorded.")
            throw ExitStatus.cannotWrite
        case .unwritable(_, let error):
            throw Console.fail(error, ExitStatus.cannotWrite)
        case .recorded(let trace, let containerRun):
            summarize(trace)
            if summary.isJSON { summary.print(JobSummary.recording(trace, output: output, container: containerRun)) }
            if let containerRun {
                if !quiet || !containerRun.containerSucceeded {
                    Console.error("cinch: \(container.describe(containerRun))")
                }
                try container.exitIfInterrupted(containerRun)
                if let reason = containerRun.driverSkippedReason { throw notExercised(reason) }
                if let failed = container.failedExec(containerRun) {
                    Console.error(
                        "cinch: --exec '\(failed.command)' failed inside the container (status \(failed.status)).")
                    throw ExitCode(failed.status)
                }
                if !containerRun.containerSucceeded {
                    throw ExitCode(containerRun.containerStatus == 0 ? 1 : containerRun.containerStatus)
                }
                if let driver = containerRun.driverStatus, driver != 0 { throw ExitCode(driver) }
            } else if let exit = trace.exitStatus, exit.shellStatus != 0 {
                throw ExitCode(exit.shellStatus)
            }
        }
    }

    /// `--podman`/`--docker`: the engine runs the container with cinch-runtime as its runtime.
    private func recordThroughEngine(_ engine: ContainerEngine) throws {
        let outcome = RecordJob.run(
            RecordJob.EngineRequest(
                engine: engine, runtime: container.runtime?.rawValue, runArguments: command, driver: container.driver,
                waitPort: container.waitPort, timeout: container.timeout, gracePeriod: container.grace,
                output: output, knownTraces: known, onNote: { Console.error("cinch: note: \($0)") }))
        switch outcome {
        case .unwritableOutput(let error):
            Console.error("cinch: \(error); nothing was recorded.")
            throw ExitStatus.cannotWrite
        case .unreadableKnownTrace(let error):
            throw Console.fail(error, ExitStatus.unusableInput)
        case .unusableKnownTraces(let diagnostics):
            throw unusableKnownTraces(diagnostics)
        case .cannotRun(let message):
            throw Console.fail(message, ExitStatus.cannotRun)
        case .noTrace(let message, let run):
            Console.error("cinch: \(message)")
            if let signal = run.interruption { throw ExitCode(128 + signal) }
            throw ExitStatus.cannotRun
        case .unwritable(_, let error):
            throw Console.fail(error, ExitStatus.cannotWrite)
        case .recorded(let trace, let run):
            summarize(trace)
            if let signal = run.interruption { throw ExitCode(128 + signal) }
            if let reason = run.driverSkippedReason { throw notExercised(reason) }
            if let driver = run.driverStatus {
                if driver != 0 { throw ExitCode(driver) }
            } else if !run.stoppedByCinch, let exit = trace.exitStatus, exit.shellStatus != 0 {
                throw ExitCode(exit.shellStatus)
            }
        }
    }

    /// Reports why the `--known` traces cannot be used and returns exit status 64.
    private func unusableKnownTraces(_ diagnostics: [Diagnostic]) -> ExitCode {
        Console.report(diagnostics)
        Console.error("cinch: the --known traces name syscalls libseccomp does not know; nothing was recorded.")
        return ExitStatus.unusableInput
    }

    /// Says the driver never ran (the container never became ready) and returns exit status 75.
    private func notExercised(_ reason: String) -> ExitCode {
        Console.error(
            "cinch: error: the recording did not exercise the workload (\(reason)); \(output) is marked incomplete. \(container.readinessHint)"
        )
        return ExitStatus.notExercised
    }

    /// Says what was recorded, and whether the trace is incomplete.
    private func summarize(_ trace: Trace) {
        if !trace.isComplete {
            Console.error(
                "cinch: warning: the trace in \(output) is incomplete: \(trace.incompleteReasons.joined(separator: " "))"
            )
        }
        if !quiet {
            let perABI = trace.abis.keys.sorted().map { "\($0.name): \(trace.abis[$0]?.allNames.count ?? 0)" }
            Console.error(
                "cinch: recorded \(perABI.joined(separator: ", ")) syscalls from \(trace.processCount) processes/threads into \(output)"
            )
        }
    }
}
