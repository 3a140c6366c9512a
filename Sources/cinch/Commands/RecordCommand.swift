// SPDX-License-Identifier: Apache-2.0
// `cinch record`: run a command as a traced child and write its trace.

import ArgumentParser
import CinchModel
import CinchTrace
import Dispatch

/// Records a command's syscalls with seccomp-assisted ptrace.
struct RecordCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record",
        abstract: "Run a command under cinch's tracer and write what it did as a trace.",
        discussion: """
            Only syscalls outside the known set stop the workload: the child installs a seccomp filter \
            that returns SECCOMP_RET_TRACE for them right before execve. Pass earlier traces with --known \
            to make their syscalls free; their names are carried into the new trace as "inherited".

            Exit status: the workload's own (128+N when signal N killed it); 64 when the input is \
            unusable; 127 when the command is not found; 70 when it could not be traced; 73 when the \
            trace cannot be written. On SIGINT/SIGTERM the signal is passed \
            to the workload and the partial trace is written, marked incomplete.
            """
    )

    @Option(name: .shortAndLong, help: "Where to write the trace.")
    var output = "cinch-trace.json"

    @Option(name: .long, help: "A trace whose syscalls need no stop (repeatable).")
    var known: [String] = []

    @Flag(name: .shortAndLong, help: "No live status line and no summary.")
    var quiet = false

    @Flag(name: .long, help: "Set no_new_privs in the workload even when cinch has CAP_SYS_ADMIN.")
    var noNewPrivileges = false

    @Flag(name: .long, inversion: .prefixedNo, help: "Run tracer and workload on one CPU (cheaper stops).")
    var pinCpu = true

    @Flag(name: .long, help: .hidden)
    var withoutRecordingFilter = false

    @Argument(parsing: .captureForPassthrough, help: "The command to run, after --.")
    var command: [String] = []

    mutating func validate() throws {
        if command.first == "--" { command.removeFirst() }
        guard !command.isEmpty else { throw ValidationError("Give the command to record after --.") }
    }

    func run() throws {
        let knownTraces = try loadTraces(known)
        var knownNames: [Architecture: Set<String>] = [:]
        for trace in knownTraces {
            knownNames.merge(trace.namesByABI) { $0.union($1) }
        }
        let progress = RecordingProgress()
        let options = PtraceRecorder.Options(
            command: command, known: knownNames, knownTraces: known,
            noNewPrivileges: noNewPrivileges ? true : nil, pinToOneCPU: pinCpu, progress: progress,
            installsRecordingFilter: !withoutRecordingFilter)
        let status = quiet || !Console.isTerminal ? nil : StatusLine(progress: progress)
        status?.start()
        let trace: Trace
        do {
            trace = try PtraceRecorder(options: options).record()
        } catch {
            status?.stop()
            Console.error("cinch: \(error)")
            throw ExitCode(error.code == .commandNotFound ? 127 : 70)
        }
        status?.stop()
        do {
            try FileIO.writeAtomically(trace.jsonValue().rendered(), to: output)
        } catch {
            Console.error("cinch: \(error)")
            throw ExitCode(73)
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
        if let exit = trace.exitStatus, exit.shellStatus != 0 { throw ExitCode(exit.shellStatus) }
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
