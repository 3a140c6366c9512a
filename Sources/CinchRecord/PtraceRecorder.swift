// SPDX-License-Identifier: Apache-2.0
// Records a command's syscalls per ABI with seccomp-assisted ptrace.

internal import CinchLinux
public import CinchModel
internal import CinchSeccomp
internal import Synchronization
internal import SystemPackage

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// Live counters of a running recording, for a progress line. Safe to read from any thread.
public final class RecordingProgress: Sendable {
    let processesCounter = Atomic<Int>(0)
    let distinctCounter = Atomic<Int>(0)
    let stopsCounter = Atomic<Int>(0)

    /// Processes and threads seen so far.
    public var processes: Int { processesCounter.load(ordering: .relaxed) }
    /// Distinct (ABI, syscall) pairs seen so far.
    public var distinctSyscalls: Int { distinctCounter.load(ordering: .relaxed) }
    /// Seccomp stops handled so far.
    public var stops: Int { stopsCounter.load(ordering: .relaxed) }

    /// Creates zeroed counters.
    public init() {}
}

/// Records a command with ptrace, stopping only for syscalls the known set does not cover.
///
/// The child installs, right before `execve`, a filter that returns `SECCOMP_RET_TRACE` for
/// every syscall outside the known set and allows the rest; cinch runs it with
/// `PTRACE_O_TRACESECCOMP` and `PTRACE_CONT`, so there is never a stop on every syscall. Every
/// process and thread is followed (fork, vfork, clone, clone3, exec from any thread, orphans), and
/// `PTRACE_O_EXITKILL` makes sure nothing survives cinch.
public struct PtraceRecorder: Sendable {
    /// What to record and how.
    public struct Options: Sendable {
        /// The command line.
        public var command: [String]
        /// Names allowed without a stop, per ABI (from `--known` traces).
        public var known: [Architecture: Set<String>]
        /// The `--known` trace paths, recorded in the trace's source.
        public var knownTraces: [String]
        /// Set `PR_SET_NO_NEW_PRIVS` in the child; nil means "only when cinch lacks CAP_SYS_ADMIN".
        public var noNewPrivileges: Bool?
        /// Pin the tracer and the workload to the tracer's current CPU: a stop then needs no
        /// cross-CPU wake-up, which dominates its cost on small VMs.
        public var pinToOneCPU: Bool
        /// Live counters to update, if any.
        public var progress: RecordingProgress?
        /// Whether cinch installs its recording filter in the child. A container runtime is traced
        /// without it: the runtime installs the container's own filter (whose default action is
        /// trace), so exactly the container side after that point stops, and the runtime's host
        /// side costs nothing.
        public var installsRecordingFilter: Bool
        /// Called on the tracer thread when the command's own process ends, with its status, while
        /// tracing goes on for what it left behind (a container's init after `RUNTIME create`).
        public var onCommandExit: (@Sendable (Trace.ExitStatus) -> Void)?
        /// Observe the capability checks of the workload after its exec boundary (see
        /// ``CapabilityWatch``); the trace then says it `observed` capabilities. Off by default:
        /// it costs ~0.2 s per recording and a little on every context switch.
        public var observesCapabilities: Bool
        /// Observe the files, programs, libraries and sockets the workload uses after its exec
        /// boundary (see ``ObjectObserver``); the trace then says it `observed` files and network.
        /// The syscalls that name objects always stop, and those whose result matters stop twice.
        public var observesObjects: Bool
        /// Called with a sentence when something the user should know happened that does not make
        /// the trace incomplete (capabilities could not be observed on this kernel).
        public var onNote: (@Sendable (String) -> Void)?
        /// Whether SIGINT, SIGTERM and SIGHUP sent to cinch are forwarded to the command (through a
        /// pidfd) and end the recording. Off when the command is `RUNTIME create`: it exits long
        /// before the container does, and the container is stopped through the runtime by
        /// whoever runs it (`ContainerSession`), which also marks the trace.
        public var forwardsSignals: Bool

        /// Creates options.
        public init(
            command: [String], known: [Architecture: Set<String>] = [:], knownTraces: [String] = [],
            noNewPrivileges: Bool? = nil, pinToOneCPU: Bool = false, progress: RecordingProgress? = nil,
            installsRecordingFilter: Bool = true, onCommandExit: (@Sendable (Trace.ExitStatus) -> Void)? = nil,
            observesCapabilities: Bool = false, observesObjects: Bool = false,
            onNote: (@Sendable (String) -> Void)? = nil, forwardsSignals: Bool = true
        ) {
            self.observesObjects = observesObjects
            self.forwardsSignals = forwardsSignals
            self.observesCapabilities = observesCapabilities
            self.onNote = onNote
            self.onCommandExit = onCommandExit
            self.installsRecordingFilter = installsRecordingFilter
            self.command = command
            self.known = known
            self.knownTraces = knownTraces
            self.noNewPrivileges = noNewPrivileges
            self.pinToOneCPU = pinToOneCPU
            self.progress = progress
        }
    }

    /// The options.
    public var options: Options

    /// The syscalls that stop whenever objects are observed, whatever the known set says.
    public static var objectSyscallNames: Set<String> { Set(ObjectObserver.objectSyscalls.keys) }

    /// Object syscalls that need no stop when their arguments meet these conditions: an `mmap`
    /// without `PROT_EXEC` maps nothing a profile names. A known one is allowed on that condition.
    public static let quietObjectSyscalls: [String: [SeccompProfile.ArgumentCondition]] = [
        "mmap": [SeccompProfile.ArgumentCondition(index: 2, value: 0x4, valueTwo: 0, op: .maskedEqual)]
    ]

    /// What a trace names as the executable of the child before its first execve.
    public static let launcherName = "(cinch launcher)"

    /// Creates a recorder.
    public init(options: Options) { self.options = options }

    /// Runs the command to completion (or interruption) and returns its trace.
    ///
    /// SIGINT, SIGTERM and SIGHUP sent to cinch are forwarded to the workload; the trace is then
    /// marked incomplete. A workload that fails or is killed is not an error: its status is in
    /// the trace.
    /// - Throws: ``TraceError`` when the command cannot be started or traced at all.
    public func record() throws(TraceError) -> Trace { try recordWithExits().trace }

    /// Like ``record()``, and also returns how every traced task that ended did so, by pid.
    public func recordWithExits() throws(TraceError) -> (trace: Trace, exits: [CInt: Trace.ExitStatus]) {
        let options = self.options
        let outcome: Result<(Trace, [CInt: Trace.ExitStatus]), TraceError> = TracerThread.run {
            do throws(TraceError) {
                var session = try TraceSession(options: options)
                let trace = try session.run()
                return .success((trace, session.exits))
            } catch {
                return .failure(error)
            }
        }
        let (trace, exits) = try outcome.get()
        return (trace, exits)
    }
}

/// How far the tracer thread has passed on the signals cinch caught, shared with the thread that
/// wakes it for each one.
private final class SignalRelayState: Sendable {
    /// ``Signals/caughtCount`` as of the tracer's last ``TraceSession/relaySignals()``.
    let relayed = Atomic<Int>(0)
    /// Set when the tracer's loop has ended: nothing is woken any more.
    let finished = Atomic<Bool>(false)
}

/// The state of one recording, owned by the tracer thread.
private struct TraceSession {
    let options: Options
    typealias Options = PtraceRecorder.Options

    /// Counts keyed by `auditArch << 32 | number`: no strings on the hot path.
    var counts: [UInt64: UInt64] = [:]
    /// The executable of the first caller of each key.
    var firstExecutable: [UInt64: String] = [:]
    /// The argument each key with a capture keeps (``Trace/argumentCaptures``), resolved per ABI.
    let captures: [UInt64: Trace.ArgumentCapture]
    /// The distinct values of the captured argument, per key.
    var capturedValues: [UInt64: Trace.ArgumentValues] = [:]
    /// Executable per traced tid, filled lazily.
    var executableOfTask: [CInt: String] = [:]
    /// Tracees alive.
    var live: Set<CInt> = []
    /// Tasks under a recording filter: every task when cinch installs it; otherwise those that hit
    /// a seccomp stop (a container's processes) and their descendants. Only they count as the
    /// workload, so a container runtime's host side stays out of the trace.
    var inScope: Set<CInt> = []
    /// Every task that was ever in scope: the trace's process count.
    var everInScope: Set<CInt> = []
    var executables: Set<String> = []
    var rootStatus: Trace.ExitStatus?
    /// How each task that ended did so.
    var exits: [CInt: Trace.ExitStatus] = [:]
    var problems: [String] = []
    let root: SpawnedChild
    /// The capability checks of the workload, when they can be observed.
    let capabilityWatch: CapabilityWatch?
    var capabilityOutcome: CapabilityWatch.Outcome?
    /// Tasks the kernel already watches: added ones and everything they forked.
    var capabilityWatched: Set<CInt> = []
    /// What the workload touched, when objects are observed.
    var objects: ObjectObserver?
    /// How many caught signals ``relaySignals()`` has passed on, shared with the thread that
    /// wakes the tracer for each signal.
    let relayState = SignalRelayState()
    /// Tasks past the exec boundary (and what they forked), whose object accesses count.
    var objectScope: Set<CInt> = []

    init(options: Options) throws(TraceError) {
        self.options = options
        captures = Self.resolveCaptures()
        if options.pinToOneCPU, let cpu = Affinity.currentCPU { Affinity.pinCurrentThread(to: cpu) }
        var filter: [UInt8]?
        if options.installsRecordingFilter {
            do {
                // Observed objects need their syscalls seen, known or not.
                let silent =
                    options.observesObjects
                    ? options.known.mapValues { $0.subtracting(PtraceRecorder.objectSyscallNames) } : options.known
                let quiet =
                    options.observesObjects
                    ? options.known.mapValues { names in
                        PtraceRecorder.quietObjectSyscalls.filter { names.contains($0.key) }
                    }
                    : [:]
                filter = try RecordingFilter.build(known: silent, quiet: quiet).bpf
            } catch {
                throw TraceError(.filterFailed, "Could not build the recording filter: \(error).")
            }
        }
        let noNewPrivileges = filter != nil && (options.noNewPrivileges ?? !Spawn.hasSysAdmin)
        var watch: CapabilityWatch?
        if options.observesCapabilities {
            switch CapabilityWatch.start() {
            case .success(let started): watch = started
            case .failure(let reason):
                options.onNote?("Capabilities are not observed: \(reason). The trace cannot make a capability list.")
            }
        }
        capabilityWatch = watch
        if options.observesObjects { objects = ObjectObserver() }
        do {
            root = try Spawn.spawn(options.command, filter: filter, traced: true, noNewPrivileges: noNewPrivileges)
        } catch {
            let code: TraceError.Code = error.stage == .lookup ? .commandNotFound : .spawnFailed
            throw TraceError(code, error.description, underlying: error.errno)
        }
        // Not yet reaped (it is stopped before its exec), so the pidfd this opens is the child's.
        if options.forwardsSignals { Signals.forward(to: root.pid) }
    }

    mutating func run() throws(TraceError) -> Trace {
        // The child stops itself with SIGSTOP before anything else. Attaching with PTRACE_SEIZE
        // (not PTRACE_TRACEME) makes group-stops visible, so the workload's own SIGSTOP can be
        // kept (``handleStop``); SIGCONT then ends the launcher's stop. Its pid is not reaped
        // until this loop sees it end, so every signal here reaches cinch's own child.
        let first: WaitStatus
        do {
            first = try Spawn.waitUntilStopped(root.pid)
        } catch {
            throw TraceError(.ptraceFailed, "Could not wait for \(options.command[0]): \(error).", underlying: error)
        }
        guard first.isStopped else {
            throw TraceError(.spawnFailed, "\(options.command[0]) ended before cinch could trace it.")
        }
        let ptraceOptions: Ptrace.Options = [
            .traceSysGood, .traceFork, .traceVfork, .traceClone, .traceExec, .traceSeccomp, .exitKill,
        ]
        do {
            try Ptrace.seize(root.pid, options: ptraceOptions)
        } catch {
            signalRoot(SIGKILL)
            _ = try? Spawn.wait(for: root.pid)
            if options.forwardsSignals { Signals.stopForwarding() }
            throw TraceError(
                .ptraceFailed, "Could not trace \(options.command[0]): PTRACE_SEIZE failed: \(error).",
                underlying: error)
        }
        signalRoot(SIGCONT)
        live.insert(root.pid)
        let watcher = options.forwardsSignals ? startWaking() : nil
        if options.installsRecordingFilter {
            // Until its first execve the child is cinch's own launcher; name it, not cinch's path.
            executableOfTask[root.pid] = PtraceRecorder.launcherName
            bringIntoScope(root.pid)
        }
        loop()
        relayState.finished.store(true, ordering: .releasing)
        watcher?.stop()
        if options.forwardsSignals { Signals.stopForwarding() }
        capabilityOutcome = capabilityWatch?.finish()
        // An execve that failed in the child (a directory, a file without x, a bad interpreter)
        // means the workload never ran: no trace, and the shell's 126 or 127.
        if let failure = Spawn.execFailure(of: root, command: options.command[0]) {
            let code: TraceError.Code = failure.errno == .noSuchFileOrDirectory ? .commandNotFound : .cannotExecute
            throw TraceError(code, failure.description, underlying: failure.errno)
        }
        return makeTrace()
    }

    /// Wakes the tracer thread out of `waitpid` for every signal cinch catches, until it has passed
    /// the signal on (``relaySignals()``). The handler signals only the command's own process, and
    /// its signal-delivery stop wakes the loop; but when that process has ended (a shell that left
    /// a job running) or is stopped, no stop comes, and the rest of the workload must still get it.
    func startWaking() -> SignalWatcher? {
        guard let waker = ThreadWaker.forCurrentThread() else { return nil }
        let state = relayState
        return try? SignalWatcher { _ in
            while !state.finished.load(ordering: .acquiring),
                state.relayed.load(ordering: .acquiring) < Signals.caughtCount
            {
                waker.wake()
                System.sleep(seconds: 0.02)
            }
        }
    }

    /// Signals the command's own process before the loop has seen it end (so it is still cinch's
    /// unreaped child), through a pidfd as every signal cinch sends.
    func signalRoot(_ signal: CInt) {
        do {
            try ProcessDescriptor(child: root.pid).send(signal)
        } catch {
            kill(root.pid, signal)  // No pidfds (before Linux 5.3): the pid is still the child's.
        }
    }

    /// The wait loop: one iteration per ptrace stop or exit, until no tracee is left.
    mutating func loop() {
        while true {
            let next: (pid: CInt, status: WaitStatus)?
            do {
                next = try Spawn.waitAny()
            } catch {
                return  // ECHILD: every tracee is gone.
            }
            if options.forwardsSignals { relaySignals() }
            guard let (pid, status) = next else { continue }  // EINTR: the handler forwarded a signal.
            if status.isExited || status.isSignaled {
                live.remove(pid)
                inScope.remove(pid)
                capabilityWatched.remove(pid)
                objectScope.remove(pid)
                objects?.forget(pid)
                executableOfTask[pid] = nil
                let ended: Trace.ExitStatus =
                    status.isExited ? .exited(status.exitCode) : .signaled(status.terminationSignal)
                exits[pid] = ended
                if pid == root.pid {
                    rootStatus = ended
                    options.onCommandExit?(ended)
                }
                if options.forwardsSignals, Signals.caught != nil, rootStatus != nil {
                    // Interrupted and the workload's main process is gone: stop what it left behind
                    // (a shell's children) instead of waiting for it.
                    for task in live { kill(task, SIGKILL) }
                }
                continue
            }
            guard status.isStopped else { continue }
            handleStop(pid: pid, status: status)
        }
    }

    /// Passes signals cinch caught on to every other process of the workload, as a terminal sends
    /// SIGINT to its whole foreground process group: the handler already sent it to the command's
    /// own process. Every pid signalled is a traced task cinch has not reaped, so it cannot have
    /// been given to another process.
    mutating func relaySignals() {
        let count = Signals.caughtCount
        // Only this thread writes `relayed`; the waking thread reads it.
        guard count > relayState.relayed.load(ordering: .relaxed), let first = Signals.caught else { return }
        defer { relayState.relayed.store(count, ordering: .releasing) }
        let signal = count > 1 ? SIGKILL : first
        var processes: Set<CInt> = []
        for task in live where task != root.pid && inScope.contains(task) {
            if let process = ProcessInspection.processID(of: task), process != root.pid { processes.insert(process) }
        }
        for process in processes.sorted() where live.contains(process) {
            kill(process, signal)
            // A stopped process acts on the signal only once continued (as the handler does for
            // the command's own process).
            if signal != SIGKILL { kill(process, SIGCONT) }
        }
    }

    mutating func handleStop(pid: CInt, status: WaitStatus) {
        let signal = status.stopSignal
        if signal == SIGTRAP, let event = Ptrace.Event(rawValue: status.ptraceEvent) {
            switch event {
            case .seccomp:
                if recordSyscall(pid: pid) {
                    // The result matters: stop again at this syscall's exit.
                    _ = try? Ptrace.resumeToSyscallExit(pid)
                    return
                }
            case .fork, .vfork, .clone:
                if let message = try? Ptrace.eventMessage(pid) {
                    let child = CInt(truncatingIfNeeded: message)
                    // Its first stop (``Ptrace/Event/stop``) may come before or after this event.
                    live.insert(child)
                    if inScope.contains(pid) { bringIntoScope(child) }
                    if capabilityWatched.contains(pid) { capabilityWatched.insert(child) }
                    if objectScope.contains(pid) {
                        objectScope.insert(child)
                        objects?.noteTask(child)
                    }
                    executableOfTask[child] = executableOfTask[pid]
                }
            case .exec:
                if let former = try? Ptrace.eventMessage(pid), CInt(truncatingIfNeeded: former) != pid {
                    // execve from a non-leader thread: the kernel gave it the leader's pid.
                    let formerTid = CInt(truncatingIfNeeded: former)
                    live.remove(formerTid)
                    if inScope.remove(formerTid) != nil { bringIntoScope(pid) }
                    if objectScope.remove(formerTid) != nil { objectScope.insert(pid) }
                    objects?.move(from: formerTid, to: pid)
                    executableOfTask[formerTid] = nil
                }
                if objects != nil, inScope.contains(pid) { crossedExecBoundary(pid) }
                if inScope.contains(pid), capabilityWatch != nil, !capabilityWatched.contains(pid) {
                    // The exec boundary: the workload's capability checks count from here on.
                    // Before it, cinch's launcher or the runtime's init make checks of their own
                    // (the filter, capset, setgroups). The kernel follows what a watched task
                    // forks, so only the first task across the boundary is added (each change
                    // of the kernel's pid list waits for an RCU grace period).
                    capabilityWatch?.add(pid)
                    capabilityWatched.insert(pid)
                }
                if let exe = Spawn.executable(of: pid) {
                    if inScope.contains(pid) { executables.insert(exe) }
                    executableOfTask[pid] = exe
                } else {
                    executableOfTask[pid] = nil
                }
            default:
                break
            }
            resume(pid, signal: 0)
            return
        }
        if status.ptraceEvent == Ptrace.Event.stop.rawValue {
            // A new child's first stop (possibly before its parent's fork event), the end of a
            // group-stop (SIGTRAP), or a group-stop: the workload's own SIGSTOP (or SIGTSTP, …),
            // which keeps it stopped until SIGCONT, as without a tracer.
            live.insert(pid)
            if Ptrace.isStopSignal(signal) {
                _ = try? Ptrace.listen(pid)
            } else {
                resume(pid, signal: 0)
            }
            return
        }
        if signal == (SIGTRAP | 0x80) {
            // A syscall-exit stop asked for by ``recordSyscall(pid:)``.
            if objects?.pending[pid] != nil, let result = try? Ptrace.syscallResult(pid) {
                objects?.exit(pid: pid, result: result)
            }
            resume(pid, signal: 0)
            return
        }
        // A signal-delivery-stop (group-stops are ``Ptrace/Event/stop`` stops): pass the signal on.
        resume(pid, signal: signal)
    }

    mutating func bringIntoScope(_ pid: CInt) {
        inScope.insert(pid)
        if everInScope.insert(pid).inserted {
            options.progress?.processesCounter.store(everInScope.count, ordering: .relaxed)
        }
    }

    func resume(_ pid: CInt, signal: CInt) {
        // ESRCH here means the tracee was killed meanwhile (SIGKILL, exit of its group); its exit
        // status arrives through waitpid.
        _ = try? Ptrace.cont(pid, signal: signal)
    }

    /// The keys (`auditArch << 32 | number`) of the syscalls whose arguments are captured, on
    /// every ABI a recording can stop for.
    static func resolveCaptures() -> [UInt64: Trace.ArgumentCapture] {
        var result: [UInt64: Trace.ArgumentCapture] = [:]
        for abi in RecordingFilter.coveredABIs(native: SyscallResolver.native) {
            for name in Trace.argumentCaptures.keys {
                guard let capture = Trace.argumentCapture(for: name, on: abi),
                    case .number(let number) = SyscallResolver.resolve(name, on: abi)
                else { continue }
                result[UInt64(abi.auditArch) << 32 | UInt64(UInt32(bitPattern: number))] = capture
            }
        }
        return result
    }

    /// A successful `execve` of a workload task: its program and the program's ELF interpreter are
    /// used, and from now on its object accesses count.
    mutating func crossedExecBoundary(_ pid: CInt) {
        objects?.exit(pid: pid, result: Ptrace.SyscallResult(value: 0, isError: false))
        if objectScope.insert(pid).inserted { objects?.noteTask(pid) }
        guard let program = objects?.resolver(for: pid) else { return }
        if let exe = ProcessInspection.linkTarget("/proc/\(pid)/exe") {
            objects?.record(pid: pid, exe, letters: "x")
            if let interpreter = ProcessInspection.elfInterpreter("/proc/\(pid)/exe"),
                let resolved = program.resolve(
                    interpreter, relativeTo: PathResolver.currentDirectory, followFinal: true)
            {
                // The kernel maps the interpreter (ld.so) itself: no syscall names it.
                objects?.record(pid: pid, resolved, letters: "rm")
            }
        }
    }

    /// Counts the syscall at a seccomp stop; returns whether the tracer must see its exit too.
    mutating func recordSyscall(pid: CInt) -> Bool {
        guard let (arch, number) = try? Ptrace.syscallNumber(pid) else { return false }
        if !inScope.contains(pid) { bringIntoScope(pid) }
        let key = UInt64(arch) << 32 | (number & 0xFFFF_FFFF)
        options.progress?.stopsCounter.add(1, ordering: .relaxed)
        if let capture = captures[key] { captureArgument(pid: pid, key: key, capture: capture) }
        let wantsExit = objects?.enter(pid: pid, key: key, boundaryOnly: !objectScope.contains(pid)) ?? false
        if let count = counts[key] {
            counts[key] = count + 1
            return wantsExit
        }
        counts[key] = 1
        options.progress?.distinctCounter.store(counts.count, ordering: .relaxed)
        let exe = executableOfTask[pid] ?? Spawn.executable(of: pid)
        if let exe {
            executableOfTask[pid] = exe
            firstExecutable[key] = exe
        }
        return wantsExit
    }

    /// Keeps the captured argument of the current syscall. Only the few captured syscalls get
    /// here, so the full syscall info (which allocates) stays off the hot path.
    mutating func captureArgument(pid: CInt, key: UInt64, capture: Trace.ArgumentCapture) {
        // ESRCH: the tracee was killed meanwhile, and the call never runs.
        guard let info = try? Ptrace.syscallInfo(pid), capture.index < info.arguments.count else { return }
        capturedValues[key, default: Trace.ArgumentValues()].insert(info.arguments[capture.index] & capture.mask)
    }

    func makeTrace() -> Trace {
        var trace = Trace(
            source: Trace.Source(kind: "ptrace", command: options.command, knownTraces: options.knownTraces),
            exitStatus: rootStatus,
            processCount: everInScope.count,
            executables: executables
        )
        for (key, count) in counts {
            let arch = UInt32(truncatingIfNeeded: key >> 32)
            let number = key & 0xFFFF_FFFF
            guard let abi = Architecture.abi(auditArch: arch, number: number) else {
                trace.markIncomplete(
                    "Syscalls from an unknown ABI (AUDIT_ARCH 0x\(String(arch, radix: 16))) were seen and cannot be named."
                )
                continue
            }
            var record = trace.abis[abi] ?? Trace.ABIRecord()
            if let name = SyscallResolver.name(of: number, on: abi) {
                var arguments: [Int: Trace.ArgumentValues] = [:]
                if let capture = captures[key], let values = capturedValues[key] { arguments[capture.index] = values }
                record.syscalls[name] = Trace.SyscallRecord(
                    count: count, firstExecutable: firstExecutable[key], arguments: arguments)
            } else {
                record.unknownNumbers[number & ~abi.syscallNumberBase, default: 0] += count
            }
            trace.abis[abi] = record
        }
        trace.inherit(options.known)
        if options.forwardsSignals, let signal = Signals.caught {
            // Say what happened, not more: a workload may handle the signal and exit normally.
            let after =
                switch rootStatus {
                case .exited(let code)?: "the workload then exited with status \(code)"
                case .signaled(let killer)?: "the signal's delivery ended the workload (\(Signals.name(killer)))"
                case nil: "the workload's end was not seen"
                }
            trace.markIncomplete(
                "Recording was interrupted: cinch received \(Signals.name(signal)) and passed it on, and \(after); what the workload would have done without it was not recorded."
            )
        }
        for problem in problems { trace.markIncomplete(problem) }
        objects?.fill(&trace)
        if let outcome = capabilityOutcome {
            trace.capabilities = Set(outcome.capabilities.map { CapabilityList.all[$0] })
            trace.capabilityEvidence = Dictionary(
                uniqueKeysWithValues: outcome.evidence.map { (CapabilityList.all[$0.key], $0.value) })
            if outcome.watchedAny { trace.observed.insert(.capabilities) }
            if let lost = outcome.lost {
                trace.markIncomplete(
                    "\(lost) capability check events were lost by the kernel's trace buffer; the capability list may be short."
                )
            }
        }
        return trace
    }
}
