// SPDX-License-Identifier: Apache-2.0
// `cinch record`: run a command (or an OCI bundle's container) traced, and write its trace.

import ArgumentParser
import CinchContainer
import CinchGenerate
import CinchModel
import CinchRecord
import CinchSeccomp
import Dispatch

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
            then stopped (SIGTERM, then SIGKILL after --grace seconds) and deleted.

            --capabilities (the default with --bundle) also records which capabilities the workload \
            used after its exec boundary, from the kernel's capability:cap_capable tracepoint (Linux \
            6.14+, in a tracefs instance of cinch's own that follows the workload's forks); the trace \
            then says it "observed" capabilities, and `cinch generate capabilities` makes the drop list. \
            Checks the kernel makes only to probe (memory accounting on mmap, *_noaudit helpers) do not \
            count; see docs/capabilities.md.

            Exit status: the workload's own (128+N when signal N killed it; for a container stopped by \
            cinch after its driver, the driver's); 64 when the input is unusable; 127 when the command \
            is not found; 70 when it could not be traced; 73 when the trace cannot be written. On \
            SIGINT/SIGTERM the signal is passed to the workload and the partial trace is written, \
            marked incomplete. With --bundle, SIGINT/SIGTERM/SIGHUP stop the container through the \
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

    @Flag(name: .long, help: .hidden)
    var withoutRecordingFilter = false

    @OptionGroup(title: "Container recording")
    var container: ContainerOptions

    @Argument(parsing: .remaining, help: "The command to run, after -- (not with --bundle).")
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        guard (1...100).contains(runs) else { throw ValidationError("--runs must be between 1 and 100.") }
        if container.bundle != nil {
            guard command.isEmpty else { throw ValidationError("Give either --bundle or a command, not both.") }
            return
        }
        try container.rejectWithoutBundle()
        guard !command.isEmpty else { throw ValidationError("Give the command to record after --, or --bundle DIR.") }
    }

    func run() throws {
        let knownTraces = try loadTraces(known)
        var knownNames: [Architecture: Set<String>] = [:]
        for trace in knownTraces {
            knownNames.merge(trace.namesByABI) { $0.union($1) }
        }
        if container.bundle != nil {
            try recordContainer(knownNames: knownNames)
            return
        }
        let progress = RecordingProgress()
        let options = PtraceRecorder.Options(
            command: command, known: knownNames, knownTraces: known,
            noNewPrivileges: noNewPrivileges ? true : nil, pinToOneCPU: pinCpu ?? known.isEmpty, progress: progress,
            installsRecordingFilter: !withoutRecordingFilter, observesCapabilities: capabilities ?? false,
            onNote: { Console.error("cinch: note: \($0)") })
        let status = quiet || !Console.isTerminal ? nil : StatusLine(progress: progress)
        status?.start()
        var trace: Trace?
        for _ in 0..<runs {
            do {
                let run = try PtraceRecorder(options: options).record()
                trace = trace.map { $0.merged(with: run) } ?? run
            } catch {
                status?.stop()
                Console.error("cinch: \(error)")
                throw error.code == .commandNotFound ? ExitStatus.notFound : ExitStatus.cannotRun
            }
            if trace?.isComplete == false || trace?.exitStatus?.shellStatus ?? 0 != 0 { break }
        }
        guard let trace else { throw ExitStatus.cannotRun }
        status?.stop()
        try write(trace)
        if let exit = trace.exitStatus, exit.shellStatus != 0 { throw ExitCode(exit.shellStatus) }
    }

    /// `--bundle`: runs the container once under a trace-by-default filter, cinch tracing its runtime.
    private func recordContainer(knownNames: [Architecture: Set<String>]) throws {
        let bundle = try container.loadBundle()
        let filter = SeccompProfileGenerator.recordingProfile(
            defaultAction: .trace, known: knownNames, abis: RecordingFilter.coveredABIs(native: SyscallResolver.native),
            format: .oci, alwaysRecorded: Set(Trace.argumentCaptures.keys))
        // With known syscalls a container task can run without one stop, so cinch would never
        // see it cross the boundary and could not watch its capability checks.
        let wantsCapabilities = capabilities ?? true
        let observesCapabilities = wantsCapabilities && knownNames.isEmpty
        if wantsCapabilities, !knownNames.isEmpty {
            Console.error(
                "cinch: note: capabilities are not observed for a container recorded with --known (a task that makes only known syscalls never crosses cinch's view); record without --known for a capability list."
            )
        }
        let progress = RecordingProgress()
        let status = quiet || !Console.isTerminal ? nil : StatusLine(progress: progress)
        status?.start()
        var outcome: ContainerSession.Outcome?
        var merged: Trace?
        for _ in 0..<runs {
            do {
                let run = try ContainerRecorder(
                    options: .init(
                        session: container.sessionOptions(bundle: bundle, seccomp: filter.jsonValue()),
                        progress: progress, observesCapabilities: observesCapabilities,
                        onNote: { Console.error("cinch: note: \($0)") })
                ).record()
                outcome = run
                if let recorded = run.trace { merged = merged.map { $0.merged(with: recorded) } ?? recorded }
                if run.interruption != nil || !run.containerSucceeded || run.driverStatus ?? 0 != 0 { break }
            } catch {
                status?.stop()
                Console.error("cinch: \(error)")
                throw error.code == .badBundle ? ExitStatus.unusableInput : ExitStatus.cannotRun
            }
        }
        status?.stop()
        guard let outcome, var trace = merged else { throw ExitStatus.cannotRun }
        trace.source.knownTraces = known
        try write(trace)
        if !quiet || !outcome.containerSucceeded { Console.error("cinch: \(container.describe(outcome))") }
        try container.exitIfInterrupted(outcome)
        if !outcome.containerSucceeded { throw ExitCode(outcome.containerStatus == 0 ? 1 : outcome.containerStatus) }
        if let driver = outcome.driverStatus, driver != 0 { throw ExitCode(driver) }
    }

    /// Writes the trace and says what was recorded.
    private func write(_ trace: Trace) throws {
        do {
            try FileIO.writeAtomically(trace.jsonValue().rendered(), to: output)
        } catch {
            Console.error("cinch: \(error)")
            throw ExitStatus.cannotWrite
        }
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

/// The live status line on a terminal: elapsed time, processes, distinct syscalls.
final class StatusLine: @unchecked Sendable {
    // Mutated only on `queue`.
    private let progress: RecordingProgress
    private let queue = DispatchQueue(label: "cinch.status")
    private var timer: (any DispatchSourceTimer)?
    private let startedAt = DispatchTime.now()

    init(progress: RecordingProgress) { self.progress = progress }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { [self] in
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - startedAt.uptimeNanoseconds) / 1e9
            let seconds = (elapsed * 10).rounded() / 10
            Console.raw(
                "\r\u{1B}[Kcinch: \(seconds)s · \(progress.processes) processes · \(progress.distinctSyscalls) syscalls"
            )
        }
        self.timer = timer
        timer.resume()
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
        Console.raw("\r\u{1B}[K")
    }
}
