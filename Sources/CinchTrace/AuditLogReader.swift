// SPDX-License-Identifier: Apache-2.0
// Reading audit logs from files or stdin with one reusable 1 MiB buffer, gzip through `gzip -dc`.

public import CinchModel

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

extension AuditLogParser {
    /// The size of the read buffer. A line longer than this is malformed.
    public static let bufferSize = 1 << 20

    /// Reads and parses one log: a file path, or `-` for standard input.
    ///
    /// Input starting with the gzip magic bytes is decompressed by a `gzip -dc` child process.
    /// The input is read in 1 MiB chunks into one buffer that is reused; only a line cut by a
    /// chunk boundary is carried over, so memory stays flat however large the log is.
    /// - Throws: ``InputError`` when the file cannot be read, `gzip` fails, or (unless
    ///   ``isLenient``) a line is malformed; the error names the file and line.
    public mutating func ingest(path: String) throws(InputError) {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw InputError("cannot open: \(FileIO.reason(errno))", at: ProfileLocation(file: path)) }
        defer { if fd != 0 { close(fd) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        // Read enough to see the gzip magic.
        var filled = 0
        while filled < 2 {
            let count = try readChunk(fd, into: base + filled, capacity: Self.bufferSize - filled, path: path)
            if count == 0 { break }
            filled += count
        }
        beginStream(file: path)
        if filled >= 2, base[0] == 0x1F, base[1] == 0x8B {
            let prefix = Array(UnsafeBufferPointer(start: base, count: filled))
            let child = try AuditSubprocess.decompress(source: fd, prefix: prefix, path: path)
            do throws(InputError) {
                try pump(child.output, base: base, filled: 0, path: path)
            } catch {
                child.abandon()
                throw error
            }
            let status = child.finish()
            if status != 0 {
                throw InputError(
                    "gzip -dc failed (\(status)): the compressed input is corrupt or truncated.",
                    at: ProfileLocation(file: path))
            }
        } else {
            try pump(fd, base: base, filled: filled, path: path)
        }
        endStream()
    }

    /// Reads `fd` to its end through the buffer, parsing complete lines as they arrive.
    private mutating func pump(_ fd: CInt, base: UnsafeMutablePointer<UInt8>, filled: Int, path: String)
        throws(InputError)
    {
        var filled = filled
        var skippingLongLine = false
        while true {
            if skippingLongLine {
                guard let newline = memchr(base, CInt(UInt8(ascii: "\n")), filled) else {
                    filled = 0
                    if try readChunk(fd, into: base, capacity: Self.bufferSize, path: path) == 0 { return }
                    continue
                }
                let rest = UnsafeMutableRawPointer(newline) - UnsafeMutableRawPointer(base) + 1
                memmove(base, base + rest, filled - rest)
                filled -= rest
                skippingLongLine = false
            }
            let used = try consume(base, count: filled, isEnd: false)
            if used > 0 {
                memmove(base, base + used, filled - used)
                filled -= used
            } else if filled == Self.bufferSize {
                // One line fills the whole buffer: no audit record is that long.
                lineNumber += 1
                statistics.lines += 1
                try malformed("a line longer than \(Self.bufferSize) bytes", isTerminated: true)
                skippingLongLine = true
                continue
            }
            let count = try readChunk(fd, into: base + filled, capacity: Self.bufferSize - filled, path: path)
            if count == 0 {
                _ = try consume(base, count: filled, isEnd: true)
                return
            }
            filled += count
        }
    }

    private func readChunk(_ fd: CInt, into base: UnsafeMutablePointer<UInt8>, capacity: Int, path: String)
        throws(InputError) -> Int
    {
        while true {
            let count = read(fd, base, capacity)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw InputError("cannot read: \(FileIO.reason(errno))", at: ProfileLocation(file: path))
        }
    }
}
