// SPDX-License-Identifier: Apache-2.0
// Typed ptrace requests for a tracer that uses seccomp-assisted stops.

internal import CCinchLinux
public import SystemPackage

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// ptrace requests cinch uses. All of them must be made from the tracer thread.
public enum Ptrace {
    /// `PTRACE_O_*` option bits.
    public struct Options: OptionSet, Sendable {
        /// The raw option bits.
        public var rawValue: UInt
        /// Wraps raw option bits.
        public init(rawValue: UInt) { self.rawValue = rawValue }

        /// `PTRACE_O_TRACESYSGOOD`.
        public static let traceSysGood = Options(rawValue: 0x01)
        /// `PTRACE_O_TRACEFORK`.
        public static let traceFork = Options(rawValue: 0x02)
        /// `PTRACE_O_TRACEVFORK`.
        public static let traceVfork = Options(rawValue: 0x04)
        /// `PTRACE_O_TRACECLONE`.
        public static let traceClone = Options(rawValue: 0x08)
        /// `PTRACE_O_TRACEEXEC`.
        public static let traceExec = Options(rawValue: 0x10)
        /// `PTRACE_O_TRACESECCOMP`.
        public static let traceSeccomp = Options(rawValue: 0x80)
        /// `PTRACE_O_EXITKILL`: tracees are killed when the tracer exits.
        public static let exitKill = Options(rawValue: 0x10_0000)
    }

    /// `PTRACE_EVENT_*` codes of event-stops.
    public enum Event: CInt, Sendable {
        /// A fork.
        case fork = 1
        /// A vfork.
        case vfork = 2
        /// A clone (threads, clone3).
        case clone = 3
        /// A successful execve.
        case exec = 4
        /// Return from vfork in the parent.
        case vforkDone = 5
        /// About to exit.
        case exit = 6
        /// A seccomp filter returned `SECCOMP_RET_TRACE`.
        case seccomp = 7
        /// A stop of a tracee attached with `PTRACE_SEIZE` that is not a signal's delivery: a
        /// group-stop (its stop signal is SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU), the first stop of
        /// a new child, or the end of a group-stop (SIGTRAP).
        case stop = 128
    }

    /// What `PTRACE_GET_SYSCALL_INFO` reports at a seccomp stop.
    public struct SyscallInfo: Sendable, Equatable {
        /// The `AUDIT_ARCH_*` of the syscall's ABI.
        public var auditArch: UInt32
        /// The syscall number as the kernel saw it.
        public var number: UInt64
        /// The six argument registers.
        public var arguments: [UInt64]
        /// Whether this was a seccomp stop (`PTRACE_SYSCALL_INFO_SECCOMP`).
        public var isSeccompStop: Bool
    }

    /// What `PTRACE_GET_SYSCALL_INFO` reports at a syscall-exit stop.
    public struct SyscallResult: Sendable, Equatable {
        /// The return value, or the negated errno when ``isError``.
        public var value: Int64
        /// Whether the syscall failed.
        public var isError: Bool
        /// The errno of a failure, or nil.
        public var error: Errno? { isError ? Errno(rawValue: CInt(truncatingIfNeeded: -value)) : nil }

        /// Creates a result.
        public init(value: Int64, isError: Bool) {
            self.value = value
            self.isError = isError
        }
    }

    private static let PTRACE_CONT: CInt = 7
    private static let PTRACE_SYSCALL: CInt = 24
    private static let PTRACE_GETEVENTMSG: CInt = 0x4201
    private static let PTRACE_SEIZE: CInt = 0x4206
    private static let PTRACE_LISTEN: CInt = 0x4208

    private static func check(_ rc: Int) throws(Errno) {
        if rc < 0 { throw Errno(rawValue: errno) }
    }

    /// Attaches to `pid` with `options`, without stopping it or sending it a signal.
    ///
    /// Unlike `PTRACE_TRACEME` or `PTRACE_ATTACH`, a tracee attached this way reports group-stops
    /// as ``Event/stop`` stops, which ``listen(_:)`` keeps: the workload's own SIGSTOP stops it
    /// until SIGCONT, as without a tracer. Children it forks are attached the same way.
    /// The corresponding C function is `ptrace(PTRACE_SEIZE)`.
    public static func seize(_ pid: CInt, options: Options) throws(Errno) {
        try check(system_ptrace(PTRACE_SEIZE, pid, nil, UnsafeMutableRawPointer(bitPattern: options.rawValue)))
    }

    /// Leaves a tracee in its group-stop, stopped as a SIGSTOP stops a process, until SIGCONT (or
    /// another event) makes it report an ``Event/stop`` stop with SIGTRAP.
    ///
    /// The corresponding C function is `ptrace(PTRACE_LISTEN)`.
    public static func listen(_ pid: CInt) throws(Errno) {
        try check(system_ptrace(PTRACE_LISTEN, pid, nil, nil))
    }

    /// Whether `signal` is one whose default action stops a process (a group-stop).
    public static func isStopSignal(_ signal: CInt) -> Bool {
        signal == SIGSTOP || signal == SIGTSTP || signal == SIGTTIN || signal == SIGTTOU
    }

    /// Resumes a stopped tracee, delivering `signal` (0 for none).
    ///
    /// The corresponding C function is `ptrace(PTRACE_CONT)`.
    public static func cont(_ pid: CInt, signal: CInt = 0) throws(Errno) {
        try check(system_ptrace(PTRACE_CONT, pid, nil, UnsafeMutableRawPointer(bitPattern: UInt(signal))))
    }

    /// Resumes a stopped tracee until its next syscall entry or exit, delivering `signal`.
    ///
    /// After a seccomp stop the next stop is the same syscall's exit (or an event inside it,
    /// such as exec), which is how the tracer learns a syscall's result.
    /// The corresponding C function is `ptrace(PTRACE_SYSCALL)`.
    public static func resumeToSyscallExit(_ pid: CInt, signal: CInt = 0) throws(Errno) {
        try check(system_ptrace(PTRACE_SYSCALL, pid, nil, UnsafeMutableRawPointer(bitPattern: UInt(signal))))
    }

    /// The event message of the last event-stop: a new pid, or the former tid after exec.
    ///
    /// The corresponding C function is `ptrace(PTRACE_GETEVENTMSG)`.
    public static func eventMessage(_ pid: CInt) throws(Errno) -> UInt {
        var message: UInt = 0
        try check(system_ptrace(PTRACE_GETEVENTMSG, pid, nil, &message))
        return message
    }

    /// Reads the current syscall of a stopped tracee.
    ///
    /// The corresponding C function is `ptrace(PTRACE_GET_SYSCALL_INFO)` (Linux 5.3+).
    public static func syscallInfo(_ pid: CInt) throws(Errno) -> SyscallInfo {
        var raw = cinch_syscall_info()
        if cinch_get_syscall_info(pid, &raw) != 0 { throw Errno(rawValue: errno) }
        let args = withUnsafeBytes(of: raw.args) { Array($0.bindMemory(to: UInt64.self)) }
        return SyscallInfo(auditArch: raw.arch, number: raw.nr, arguments: args, isSeccompStop: raw.op == 3)
    }

    /// Reads the result of the current syscall at a syscall-exit stop, or nil at any other stop.
    public static func syscallResult(_ pid: CInt) throws(Errno) -> SyscallResult? {
        var raw = cinch_syscall_info()
        if cinch_get_syscall_info(pid, &raw) != 0 { throw Errno(rawValue: errno) }
        guard raw.op == 2 else { return nil }
        return SyscallResult(value: raw.rval, isError: raw.is_error != 0)
    }

    /// Reads only the ABI and number of the current syscall: the tracer's hot path.
    public static func syscallNumber(_ pid: CInt) throws(Errno) -> (auditArch: UInt32, number: UInt64) {
        var raw = cinch_syscall_info()
        if cinch_get_syscall_info(pid, &raw) != 0 { throw Errno(rawValue: errno) }
        return (raw.arch, raw.nr)
    }
}
