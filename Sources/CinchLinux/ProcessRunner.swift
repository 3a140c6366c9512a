// SPDX-License-Identifier: Apache-2.0
// Runs helper programs (container runtimes, drivers) and captures what they print.

internal import CCinchLinux
public import SystemPackage

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// What a finished helper program did.
public struct ProcessOutcome: Sendable {
    /// How it ended.
    public var status: WaitStatus
    /// Its standard output (empty unless captured).
    public var standardOutput: [UInt8]
    /// Its standard error (empty unless captured).
    public var standardError: [UInt8]

    /// The shell convention: exit code, or 128 + signal.
    public var shellStatus: CInt { status.shellStatus }
    /// Standard output as text, trailing newlines removed.
    public var outputText: String { Self.text(standardOutput) }
    /// Standard error as text, trailing newlines removed.
    public var errorText: String { Self.text(standardError) }

    private static func text(_ bytes: [UInt8]) -> String {
        var text = String(decoding: bytes, as: UTF8.self)
        while text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}

/// Runs programs that are not traced: `runc kill`, `crun --version`, a `--driver` command.
///
/// Uses `posix_spawnp`, so no Swift runs in a forked child. Standard input is `/dev/null`.
public enum ProcessRunner {
    /// Runs `arguments` to completion.
    ///
    /// - Parameters:
    ///   - captureOutput: capture standard output and error; otherwise they are inherited.
    ///   - newProcessGroup: run it in a process group of its own, out of the reach of a terminal's
    ///     Ctrl-C (which signals cinch's foreground group): for a runtime's `kill` or `delete`
    ///     that must finish even when the user presses Ctrl-C again.
    /// - Throws: `Errno` when the program cannot be started (for example ENOENT).
    /// The corresponding C function is `posix_spawnp`.
    public static func run(
        _ arguments: [String], captureOutput: Bool = true, newProcessGroup: Bool = false
    ) throws(Errno) -> ProcessOutcome {
        let pid = try start(arguments, captureOutput: captureOutput, newProcessGroup: newProcessGroup)
        var out: [UInt8] = []
        var err: [UInt8] = []
        if let pipes = pid.pipes { (out, err) = drain(pipes.out, pipes.err) }
        let status = try Spawn.wait(for: pid.pid)
        return ProcessOutcome(status: status, standardOutput: out, standardError: err)
    }

    /// A started program and, when captured, the read ends of its output pipes.
    public struct Started: Sendable {
        /// Its pid.
        public var pid: CInt
        /// Read ends of standard output and error, when captured.
        public var pipes: (out: CInt, err: CInt)?
    }

    /// Starts `arguments` without waiting; reap it with ``Spawn/wait(for:)``.
    ///
    /// - Parameters:
    ///   - captureOutput: capture standard output and error; otherwise they are inherited.
    ///   - captureErrors: with `captureOutput`, whether standard error is captured too (otherwise
    ///     it is inherited, and ``Started/pipes`` has -1 for it).
    ///   - newProcessGroup: put the program in a process group of its own, so
    ///     ``killGroup(_:)`` ends it together with everything it started.
    ///   - standardInput: a descriptor to give the program as standard input (default `/dev/null`).
    ///   - environment: `NAME=value` strings for the program (default cinch's own environment).
    public static func start(
        _ arguments: [String], captureOutput: Bool, captureErrors: Bool = true, newProcessGroup: Bool = false,
        standardInput: CInt? = nil, environment: [String]? = nil
    ) throws(Errno) -> Started {
        guard !arguments.isEmpty else { throw Errno.invalidArgument }
        var outPipe: [CInt] = [-1, -1]
        var errPipe: [CInt] = [-1, -1]
        if captureOutput {
            guard cinch_pipe_cloexec(&outPipe) == 0 else { throw Errno(rawValue: errno) }
            guard !captureErrors || cinch_pipe_cloexec(&errPipe) == 0 else {
                close(outPipe[0])
                close(outPipe[1])
                throw Errno(rawValue: errno)
            }
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let standardInput {
            posix_spawn_file_actions_adddup2(&actions, standardInput, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        if captureOutput {
            posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
            if captureErrors { posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Children get a clean signal mask and default SIGPIPE/SIGINT/SIGTERM handling.
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF
        if newProcessGroup {
            flags |= POSIX_SPAWN_SETPGROUP
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        var envp: [UnsafeMutablePointer<CChar>?] = (environment ?? []).map { strdup($0) }
        envp.append(nil)
        defer { for pointer in envp { free(pointer) } }
        let rc =
            environment == nil
            ? posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, cinch_environ())
            : posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        for fd in [outPipe[1], errPipe[1]] where fd >= 0 { close(fd) }
        if rc != 0 {
            for fd in [outPipe[0], errPipe[0]] where fd >= 0 { close(fd) }
            throw Errno(rawValue: rc)
        }
        return Started(pid: pid, pipes: captureOutput ? (outPipe[0], errPipe[0]) : nil)
    }

    /// A pipe whose both ends are close-on-exec (hand an end to a child through `standardInput`).
    ///
    /// The corresponding C function is `pipe2`.
    public static func makePipe() throws(Errno) -> (read: CInt, write: CInt) {
        var fds: [CInt] = [-1, -1]
        guard cinch_pipe_cloexec(&fds) == 0 else { throw Errno(rawValue: errno) }
        return (fds[0], fds[1])
    }

    /// Sends SIGKILL to the process group a started program leads (see `newProcessGroup`).
    ///
    /// The group is signalled through `leader`, the leader's pidfd (Linux 6.9+). Older kernels
    /// get `kill(-pid)`, which is right only because the caller has not reaped the leader yet:
    /// until then its pid, the group's id, cannot be given to another process.
    /// The corresponding C functions are `pidfd_send_signal(2)` and `kill(2)`.
    public static func killGroup(_ leader: ProcessDescriptor, pid: CInt) {
        do {
            try leader.sendToGroup(SIGKILL)
        } catch {
            if error == .invalidArgument { kill(-pid, SIGKILL) }
        }
    }

    /// Sends SIGKILL to the process group led by `pid`, a child of the caller not reaped yet (so
    /// its pid, the group's id, cannot have been given to another process).
    ///
    /// The corresponding C function is `kill(2)` with a negative pid.
    public static func killUnreapedGroup(_ pid: CInt) { kill(-pid, SIGKILL) }

    /// The status of `pid` if it has ended (reaping it), or nil if it still runs (`WNOHANG`).
    public static func reapIfExited(_ pid: CInt) -> WaitStatus? {
        var status: CInt = 0
        let rc = waitpid(pid, &status, WNOHANG)
        return rc == pid ? WaitStatus(rawValue: status) : nil
    }

    /// Reads both pipes to their end without letting either fill up, then closes them.
    private static func drain(_ out: CInt, _ err: CInt) -> ([UInt8], [UInt8]) {
        var buffers: [CInt: [UInt8]] = [out: [], err: []]
        var open: [CInt] = [out, err].filter { $0 >= 0 }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if poll(&fds, nfds_t(fds.count), -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(entry.fd, $0.baseAddress, $0.count) }
                if count > 0 {
                    buffers[entry.fd, default: []].append(contentsOf: chunk[0..<count])
                } else if count == 0 || errno != EINTR {
                    close(entry.fd)
                    open.removeAll { $0 == entry.fd }
                }
            }
        }
        return (buffers[out] ?? [], buffers[err] ?? [])
    }
}
