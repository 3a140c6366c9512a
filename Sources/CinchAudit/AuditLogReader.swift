// SPDX-License-Identifier: Apache-2.0
// Reading audit logs from files or stdin with one reusable 1 MiB buffer, gzip through `gzip -dc`.

internal import CinchLinux
public import CinchModel
internal import Synchronization

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
    ///
    /// An uncompressed regular file of at least ``parallelMinimumBytes`` is shared by two threads
    /// when no `--pid` or `--exe` is selected (those follow processes from record to record, in
    /// order): it is cut at line boundaries into ``parallelSegmentCount`` segments, mapped rather than
    /// read; this thread parses the first, and both threads take the others one at a time, each
    /// with a parser of its own. Those parsers are then taken in, in file order, and the state that
    /// crosses a boundary (audit serial tracking, held kernel loss messages, line numbers of
    /// errors) is stitched, so the result is the same as reading the file in one pass; see
    /// ``absorb(_:)``. Memory stays flat: one mapping window per thread, one parser per segment.
    /// - Throws: ``InputError`` when the file cannot be read, `gzip` fails, or (unless
    ///   ``isLenient``) a line is malformed; the error names the file and line.
    public mutating func ingest(path: String) throws(InputError) {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw InputError("cannot open: \(FileIO.reason(errno))", at: ProfileLocation(file: path)) }
        defer { if fd != 0 { close(fd) } }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.bufferSize, alignment: 16)
        defer { buffer.deallocate() }
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var reader = AuditChunkReader(fd: fd, path: path)
        // Read enough to see the gzip magic.
        var filled = 0
        while filled < 2 {
            let count = try reader.fill(into: base + filled, capacity: Self.bufferSize - filled)
            if count == 0 { break }
            filled += count
        }
        beginStream(file: path)
        if filled >= 2, base[0] == 0x1F, base[1] == 0x8B {
            let prefix = Array(UnsafeBufferPointer(start: base, count: filled))
            let child = try AuditSubprocess.decompress(source: fd, prefix: prefix, path: path)
            do throws(InputError) {
                var output = AuditChunkReader(fd: child.output, path: path)
                try pump(&output, base: base, filled: 0)
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
        } else if let boundaries = segmentBoundaries(fd, alreadyRead: filled) {
            try ingestInSegments(&reader, base: base, filled: filled, boundaries: boundaries)
        } else {
            try pump(&reader, base: base, filled: filled)
        }
        endStream()
    }

    /// Where the segments of a regular file large enough to share between two threads end: the
    /// first line boundary after each of ``parallelSegmentCount`` even cuts of what follows the first
    /// buffer, then the file's size; nil when the file is not shared.
    private func segmentBoundaries(_ fd: CInt, alreadyRead: Int) -> [Int]? {
        guard selection.pids.isEmpty, selection.executables.isEmpty else { return nil }
        var status = stat()
        // Offsets below are absolute: standard input must have been read from the file's start.
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG,
            lseek(fd, 0, SEEK_CUR) == off_t(alreadyRead)
        else { return nil }
        let size = Int(status.st_size)
        guard size >= max(parallelMinimumBytes, 1), alreadyRead < size else { return nil }
        var probe = [UInt8](repeating: 0, count: 1 << 16)
        var boundaries: [Int] = []
        for cut in 1..<max(parallelSegmentCount, 2) {
            var offset = max(
                alreadyRead + (size - alreadyRead) / max(parallelSegmentCount, 2) * cut, boundaries.last ?? 0)
            let start = offset
            var boundary: Int?
            while boundary == nil, offset < size {
                let count = probe.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
                if count <= 0 { return nil }
                if let newline = probe[0..<count].firstIndex(of: UInt8(ascii: "\n")) {
                    boundary = offset + newline + 1
                } else {
                    offset += count
                    if offset - start > Self.bufferSize { return nil }  // a long line: read it in one pass
                }
            }
            guard let boundary, boundary < size else { break }
            if boundary > boundaries.last ?? alreadyRead { boundaries.append(boundary) }
        }
        guard !boundaries.isEmpty else { return nil }
        return boundaries + [size]
    }

    /// Parses the first segment here and shares the others between this thread and a second
    /// one, each segment with its own parser; then takes those parsers in, in order.
    ///
    /// Segments are mapped rather than read (see ``pumpMapped(_:from:to:buffer:)``).
    private mutating func ingestInSegments(
        _ reader: inout AuditChunkReader, base: UnsafeMutablePointer<UInt8>, filled: Int, boundaries: [Int]
    ) throws(InputError) {
        // The first lines decide whether this is an auditd stream, which the other segments need.
        let used = try consume(base, count: filled, isEnd: false)
        guard sawRecord, let first = boundaries.first, used <= first else {
            memmove(base, base + used, filled - used)
            return try pump(&reader, base: base, filled: filled - used)
        }
        var template = AuditLogParser(selection: selection, isLenient: isLenient)
        template.beginStream(file: file)
        template.isAuditdStream = isAuditdStream
        template.sawRecord = sawRecord
        template.isContinuation = true
        template.lastRecordInWindow = false
        var ranges = [used..<first]  // the buffer holds the file from offset 0
        for index in 1..<boundaries.count { ranges.append(boundaries[index - 1]..<boundaries[index]) }
        let work = AuditSegmentWork(template: template, fd: reader.fd, ranges: ranges)
        let started = work.start()
        do throws(InputError) {
            try pumpMapped(reader.fd, from: ranges[0].lowerBound, to: ranges[0].upperBound, buffer: base)
        } catch {
            work.finish()
            if started { work.join() }
            throw error
        }
        work.share(buffer: base)
        if started { work.join() }
        for index in 1..<ranges.count {
            switch work.result(index) {
            case .failure(let error):
                guard error.location.line > 0 else { throw error }
                var shifted = error
                shifted.location.line += lineNumber
                throw shifted
            case .success(let parser):
                if absorb(parser) { continue }
                // The serial numbers did not line up within what the segment's parser kept:
                // read the segment again, in order, with this parser.
                try pumpMapped(reader.fd, from: ranges[index].lowerBound, to: ranges[index].upperBound, buffer: base)
            case nil:
                try pumpMapped(reader.fd, from: ranges[index].lowerBound, to: ranges[index].upperBound, buffer: base)
            }
        }
    }

    /// How much of a file one mapping covers: several lines' worth beyond ``bufferSize``, so a
    /// window without a newline holds a line that is too long.
    static let mapWindow = 4 << 20

    /// Parses `start..<end` of a regular file through read-only mappings of ``mapWindow`` bytes,
    /// populated in one call and unmapped once parsed: no copy into a buffer, and resident
    /// memory stays at one window however large the file. If a mapping fails, the rest is read
    /// through `buffer` instead.
    mutating func pumpMapped(_ fd: CInt, from start: Int, to end: Int, buffer: UnsafeMutablePointer<UInt8>)
        throws(InputError)
    {
        let page = max(Int(sysconf(Int32(_SC_PAGESIZE))), 1)
        var position = start
        var skippingLongLine = false
        while position < end {
            let mapStart = position - position % page
            let length = min(Self.mapWindow, end - mapStart)
            guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, off_t(mapStart)),
                mapped != MAP_FAILED
            else {
                var reader = AuditChunkReader(fd: fd, path: file, offset: position)
                reader.remaining = end - position
                return try pump(&reader, base: buffer, filled: 0, skippingLongLine: skippingLongLine)
            }
            defer { munmap(mapped, length) }
            let base = UnsafePointer(mapped.assumingMemoryBound(to: UInt8.self)) + (position - mapStart)
            let available = mapStart + length - position
            let isLast = mapStart + length == end
            if skippingLongLine {
                guard let newline = memchr(base, CInt(UInt8(ascii: "\n")), available) else {
                    position += available
                    continue
                }
                position += UnsafeRawPointer(newline) - UnsafeRawPointer(base) + 1
                skippingLongLine = false
                continue
            }
            let used = try consume(base, count: available, isEnd: isLast)
            position += used
            if used == 0, !isLast {
                // No newline in a whole window.
                try longLine()
                skippingLongLine = true
            }
        }
    }

    /// Reads `reader` to its end through the buffer, parsing complete lines as they arrive.
    private mutating func pump(
        _ reader: inout AuditChunkReader, base: UnsafeMutablePointer<UInt8>, filled: Int,
        skippingLongLine: Bool = false
    ) throws(InputError) {
        var filled = filled
        var skippingLongLine = skippingLongLine
        while true {
            if skippingLongLine {
                guard let newline = memchr(base, CInt(UInt8(ascii: "\n")), filled) else {
                    // (This used to drop what it read here, and so the rest of the input.)
                    filled = try reader.fill(into: base, capacity: Self.bufferSize)
                    if filled == 0 { return }
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
            let count = try reader.fill(into: base + filled, capacity: Self.bufferSize - filled)
            if count == 0 {
                _ = try consume(base, count: filled, isEnd: true)
                return
            }
            filled += count
        }
    }
}

/// Reads one descriptor in chunks: with `read` from its current offset, or with `pread` from an
/// offset of its own (so two threads can share a descriptor), up to a byte limit.
struct AuditChunkReader {
    /// The descriptor.
    let fd: CInt
    /// The path, for errors.
    let path: String
    /// The next file offset to read with `pread`, or nil to use `read`.
    var offset: Int
    /// Whether reads use `pread` at ``offset``.
    let positional: Bool
    /// How many more bytes to read before reporting the end.
    var remaining = Int.max

    /// A reader that uses `read`; ``offset`` counts what it read.
    init(fd: CInt, path: String) {
        self.fd = fd
        self.path = path
        self.offset = 0
        self.positional = false
    }

    /// A reader that uses `pread` from `offset`.
    init(fd: CInt, path: String, offset: Int) {
        self.fd = fd
        self.path = path
        self.offset = offset
        self.positional = true
    }

    /// Reads up to `capacity` bytes; 0 at the end (or the limit).
    mutating func fill(into base: UnsafeMutablePointer<UInt8>, capacity: Int) throws(InputError) -> Int {
        let wanted = min(capacity, remaining)
        if wanted <= 0 { return 0 }
        while true {
            let count = positional ? pread(fd, base, wanted, off_t(offset)) : read(fd, base, wanted)
            if count >= 0 {
                offset += count
                remaining -= count
                return count
            }
            if errno == EINTR { continue }
            throw InputError("cannot read: \(FileIO.reason(errno))", at: ProfileLocation(file: path))
        }
    }
}

/// The segments of a shared file after the first, taken one at a time by whichever thread is
/// free: this one (``share(buffer:)``) and a second pthread (``start()``).
///
/// Each segment's result slot is written by the one thread that took it, and read after `join`,
/// which orders every access.
final class AuditSegmentWork: @unchecked Sendable {
    private let template: AuditLogParser
    private let fd: CInt
    private let ranges: [Range<Int>]
    private let next = Atomic<Int>(1)
    private let results: UnsafeMutablePointer<Result<AuditLogParser, InputError>?>
    private var thread: BackgroundThread?

    init(template: AuditLogParser, fd: CInt, ranges: [Range<Int>]) {
        self.template = template
        self.fd = fd
        self.ranges = ranges
        results = .allocate(capacity: ranges.count)
        results.initialize(repeating: nil, count: ranges.count)
    }

    deinit {
        results.deinitialize(count: ranges.count)
        results.deallocate()
    }

    /// Starts the second thread; false when it cannot be created.
    func start() -> Bool {
        thread = BackgroundThread.start { [self] in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: AuditLogParser.bufferSize, alignment: 16)
            defer { buffer.deallocate() }
            if let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) { share(buffer: base) }
        }
        return thread != nil
    }

    /// Parses segments until none is left; `buffer` is for reading if a mapping fails.
    func share(buffer: UnsafeMutablePointer<UInt8>) {
        while true {
            let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
            if index >= ranges.count { return }
            var parser = template
            do throws(InputError) {
                try parser.pumpMapped(fd, from: ranges[index].lowerBound, to: ranges[index].upperBound, buffer: buffer)
                results[index] = .success(parser)
            } catch {
                results[index] = .failure(error)
            }
        }
    }

    /// Leaves the segments nobody has taken yet (after an error in the first one).
    func finish() { next.store(ranges.count, ordering: .relaxed) }

    /// Waits for the second thread.
    func join() {
        thread?.join()
        thread = nil
    }

    /// A segment's parser or error; nil when nobody parsed it. Read after ``join()``.
    func result(_ index: Int) -> Result<AuditLogParser, InputError>? { results[index] }
}
