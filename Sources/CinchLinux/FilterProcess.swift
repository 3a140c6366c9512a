// SPDX-License-Identifier: Apache-2.0
// A child that filters a stream: cinch feeds its standard input from a descriptor on a thread of
// its own and reads its standard output (`gzip -dc` for compressed audit logs).

public import SystemPackage

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

/// A running filter program whose standard output the caller reads.
public struct FilterProcess: Sendable {
    /// The child's pid.
    public let pid: CInt
    /// The read end of the child's standard output.
    public let output: CInt
    /// The thread feeding the child's standard input.
    let feeder: BackgroundThread

    /// Starts `arguments`, feeding it `prefix` (bytes already read) and then the rest of `source`.
    ///
    /// The feeder runs on its own thread, so reading the output never deadlocks against writing
    /// the input. SIGPIPE is ignored from here on, so a child that exits early makes the feeder's
    /// write fail with EPIPE instead of killing cinch. Standard error is inherited.
    /// - Parameter environment: `NAME=value` strings for the child.
    /// - Throws: the errno of creating the pipe or starting the program.
    public static func start(
        _ arguments: [String], feeding source: CInt, prefix: [UInt8], environment: [String]
    ) throws(Errno) -> FilterProcess {
        signal(SIGPIPE, SIG_IGN)
        let input = try ProcessRunner.makePipe()
        let started: ProcessRunner.Started
        do {
            started = try ProcessRunner.start(
                arguments, captureOutput: true, captureErrors: false, standardInput: input.read,
                environment: environment)
        } catch {
            close(input.read)
            close(input.write)
            throw error
        }
        close(input.read)
        let feeder = PipeFeeder(source: source, sink: input.write, prefix: prefix)
        return FilterProcess(
            pid: started.pid, output: started.pipes?.out ?? -1, feeder: BackgroundThread { feeder.run() })
    }

    /// Closes the output, waits for the feeder and the child, and returns its status in shell form.
    public func finish() -> CInt {
        close(output)
        feeder.join()
        return (try? Spawn.wait(for: pid))?.shellStatus ?? -1
    }

    /// Kills the child and waits for it.
    public func abandon() {
        kill(pid, SIGKILL)
        _ = finish()
    }
}
