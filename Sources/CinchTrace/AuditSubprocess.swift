// SPDX-License-Identifier: Apache-2.0
// Child processes for audit ingest: `gzip -dc` for compressed logs, `auditctl -s` for the lost counter.

internal import CinchLinux
public import CinchModel

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// Copies a prefix and then the rest of one descriptor into another, on its own pthread.
///
/// Owned by the feeder thread until `pthread_join`, which orders every access.
private final class PipeFeeder: @unchecked Sendable {
    let source: CInt
    let sink: CInt
    let prefix: [UInt8]

    init(source: CInt, sink: CInt, prefix: [UInt8]) {
        self.source = source
        self.sink = sink
        self.prefix = prefix
    }

    func run() {
        defer { close(sink) }
        guard writeAll(prefix) else { return }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return }
            guard writeAll(chunk[0..<count]) else { return }
        }
    }

    private func writeAll(_ bytes: some Collection<UInt8>) -> Bool {
        let array = Array(bytes)
        var offset = 0
        while offset < array.count {
            let count = array[offset...].withUnsafeBytes { write(sink, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { return false }  // gzip exited (EPIPE): it reports the problem itself.
            offset += count
        }
        return true
    }
}

/// A running child whose standard output cinch reads.
struct AuditSubprocess {
    /// The child's pid.
    let pid: pid_t
    /// The read end of the child's standard output.
    let output: CInt
    /// The thread feeding the child's standard input, if any.
    let feeder: pthread_t?

    /// Starts `gzip -dc`, feeding it `prefix` (bytes already read) and then the rest of `source`.
    ///
    /// The feeder runs on its own thread, so reading gzip's output never deadlocks against
    /// writing its input. SIGPIPE is ignored from here on, so a gzip that exits early makes the
    /// feeder's write fail with EPIPE instead of killing cinch.
    static func decompress(source: CInt, prefix: [UInt8], path: String) throws(InputError) -> AuditSubprocess {
        signal(SIGPIPE, SIG_IGN)
        var input: [CInt] = [0, 0]
        guard makePipe(&input) else {
            throw InputError("cannot create a pipe for gzip: \(FileIO.reason(errno))", at: ProfileLocation(file: path))
        }
        let child: (pid: pid_t, output: CInt)
        do throws(InputError) {
            child = try spawn(["gzip", "-dc"], standardInput: input[0], path: path)
        } catch {
            close(input[0])
            close(input[1])
            throw error
        }
        close(input[0])
        let feeder = PipeFeeder(source: source, sink: input[1], prefix: prefix)
        let context = Unmanaged.passRetained(feeder).toOpaque()
        var thread = pthread_t()
        let rc = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                Unmanaged<PipeFeeder>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            }, context)
        if rc != 0 {
            Unmanaged<PipeFeeder>.fromOpaque(context).release()
            close(input[1])
            close(child.output)
            kill(child.pid, SIGKILL)
            _ = waitStatus(child.pid)
            throw InputError("cannot start a thread to feed gzip.", at: ProfileLocation(file: path))
        }
        return AuditSubprocess(pid: child.pid, output: child.output, feeder: thread)
    }

    /// Waits for the child and returns its exit status (128 + signal when killed).
    func finish() -> CInt {
        close(output)
        if let feeder { pthread_join(feeder, nil) }
        return Self.waitStatus(pid)
    }

    /// Stops the child after an error and reaps it.
    func abandon() {
        kill(pid, SIGKILL)
        _ = finish()
    }

    /// `posix_spawnp` with standard output on a new pipe and, optionally, standard input on `standardInput`.
    ///
    /// The corresponding C function is `posix_spawnp`.
    private static func spawn(_ arguments: [String], standardInput: CInt?, path: String) throws(InputError) -> (
        pid: pid_t, output: CInt
    ) {
        var output: [CInt] = [0, 0]
        guard makePipe(&output) else {
            throw InputError("cannot create a pipe: \(FileIO.reason(errno))", at: ProfileLocation(file: path))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, output[1], 1)
        if let standardInput { posix_spawn_file_actions_adddup2(&actions, standardInput, 0) }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The child gets PATH only: gzip and auditctl need nothing else.
        var envp: [UnsafeMutablePointer<CChar>?] = [strdup("PATH=/usr/sbin:/usr/bin:/sbin:/bin"), nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, arguments[0], &actions, nil, &argv, &envp)
        close(output[1])
        if rc != 0 {
            close(output[0])
            throw InputError(
                "cannot run \(arguments.joined(separator: " ")): \(FileIO.reason(rc))", at: ProfileLocation(file: path))
        }
        return (pid, output[0])
    }

    /// `pipe` with both ends close-on-exec (glibc's `pipe2` needs `_GNU_SOURCE`, which Swift's
    /// Glibc module does not define).
    private static func makePipe(_ fds: inout [CInt]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return true
    }

    private static func waitStatus(_ pid: pid_t) -> CInt {
        var status: CInt = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }
}

/// The kernel audit status as `auditctl -s` reports it.
public struct AuditDaemonStatus: Sendable, Equatable {
    /// Records the kernel dropped since boot (`lost`).
    public var lost: UInt64
    /// The backlog limit (`backlog_limit`).
    public var backlogLimit: UInt64?
    /// The rate limit in records per second, 0 for none (`rate_limit`).
    public var rateLimit: UInt64?

    /// Creates a status.
    public init(lost: UInt64, backlogLimit: UInt64? = nil, rateLimit: UInt64? = nil) {
        self.lost = lost
        self.backlogLimit = backlogLimit
        self.rateLimit = rateLimit
    }

    /// Parses `auditctl -s` output (`lost 0` lines); nil when it has no `lost` line.
    public init?(auditctlOutput text: String) {
        var values: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, let value = UInt64(parts[1]) { values[parts[0]] = value }
        }
        guard let lost = values["lost"] else { return nil }
        self.init(lost: lost, backlogLimit: values["backlog_limit"], rateLimit: values["rate_limit"])
    }

    /// Runs `auditctl -s`.
    ///
    /// - Throws: ``InputError`` when auditctl cannot run, fails, or prints no `lost` line.
    public static func current() throws(InputError) -> AuditDaemonStatus {
        let outcome: ProcessOutcome
        do {
            outcome = try ProcessRunner.run(["auditctl", "-s"])
        } catch {
            throw InputError("cannot run auditctl: \(error)", at: ProfileLocation(file: "auditctl"))
        }
        let status = outcome.shellStatus
        let text = String(decoding: outcome.standardOutput, as: UTF8.self)
        guard status == 0, let parsed = AuditDaemonStatus(auditctlOutput: text) else {
            throw InputError(
                "auditctl -s failed (status \(status)) or printed no 'lost' line.",
                at: ProfileLocation(file: "auditctl"))
        }
        return parsed
    }
}
