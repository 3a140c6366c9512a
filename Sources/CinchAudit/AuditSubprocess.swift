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

/// Copies a prefix and then the rest of one descriptor into another, on a background thread.
///
/// Owned by the feeder thread until it is joined, which orders every access.
private final class PipeFeeder: @unchecked Sendable {
    let source: CInt
    let sink: CInt
    let prefix: [UInt8]

    init(source: CInt, sink: CInt, prefix: [UInt8]) {
        self.source = source
        self.sink = sink
        self.prefix = prefix
    }

    /// Copies until the source ends or the sink's reader goes away, then closes the sink.
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

/// A running `gzip -dc` whose standard output cinch reads.
struct AuditSubprocess {
    /// The child's pid.
    let pid: CInt
    /// The read end of the child's standard output.
    let output: CInt
    /// The thread feeding the child's standard input.
    let feeder: BackgroundThread

    /// Starts `gzip -dc`, feeding it `prefix` (bytes already read) and then the rest of `source`.
    ///
    /// The feeder runs on its own thread, so reading gzip's output never deadlocks against
    /// writing its input. SIGPIPE is ignored from here on, so a gzip that exits early makes the
    /// feeder's write fail with EPIPE instead of killing cinch. gzip gets PATH only.
    static func decompress(source: CInt, prefix: [UInt8], path: String) throws(InputError) -> AuditSubprocess {
        signal(SIGPIPE, SIG_IGN)
        let input: (read: CInt, write: CInt)
        let started: ProcessRunner.Started
        do {
            input = try ProcessRunner.makePipe()
        } catch {
            throw InputError("cannot create a pipe for gzip: \(error)", at: ProfileLocation(file: path))
        }
        do {
            started = try ProcessRunner.start(
                ["gzip", "-dc"], captureOutput: true, captureErrors: false, standardInput: input.read,
                environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        } catch {
            close(input.read)
            close(input.write)
            throw InputError("cannot run gzip -dc: \(error)", at: ProfileLocation(file: path))
        }
        close(input.read)
        let feeder = PipeFeeder(source: source, sink: input.write, prefix: prefix)
        return AuditSubprocess(
            pid: started.pid, output: started.pipes?.out ?? -1, feeder: BackgroundThread { feeder.run() })
    }

    /// Closes the output, waits for the feeder and the child, and returns its status in shell form.
    func finish() -> CInt {
        close(output)
        feeder.join()
        return (try? Spawn.wait(for: pid))?.shellStatus ?? -1
    }

    /// Kills the child and waits for it.
    func abandon() {
        kill(pid, SIGKILL)
        _ = finish()
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
