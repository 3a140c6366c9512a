// SPDX-License-Identifier: Apache-2.0
// Reading a stopped tracee from outside: its memory, its /proc links, its namespace ids.

internal import CCinchLinux

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// What a tracer reads of a process that it has stopped: memory, `/proc/PID` links and ids.
///
/// Everything here reads data the traced workload controls (its memory, its file names), so
/// each read is bounded and returns bytes, never interpreted text.
public enum ProcessInspection {
    /// The longest path the kernel accepts (`PATH_MAX`, including the terminating NUL).
    public static let pathLimit = 4096

    /// Reads `count` bytes at `address` of process `pid` (`process_vm_readv`), or nil when the
    /// range is not mapped or the process is gone. Short reads return what was read.
    public static func read(_ pid: CInt, at address: UInt64, count: Int) -> [UInt8]? {
        guard count > 0, address != 0 else { return count == 0 ? [] : nil }
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return -1 }
            return cinch_process_vm_read(pid_t(pid), base, UInt(count), address)
        }
        guard got > 0 else { return nil }
        return Array(buffer[0..<got])
    }

    /// Reads the NUL-terminated string at `address`, at most `limit` bytes before the NUL.
    ///
    /// Reads page by page, so a string that ends right before an unmapped page is still read.
    /// Returns nil when the memory cannot be read or no NUL comes within `limit` bytes (the
    /// kernel would have refused such a path with `ENAMETOOLONG`).
    public static func string(_ pid: CInt, at address: UInt64, limit: Int = pathLimit) -> [UInt8]? {
        guard address != 0 else { return nil }
        var result: [UInt8] = []
        var next = address
        while result.count <= limit {
            let toPageEnd = 4096 - Int(next % 4096)
            guard let chunk = read(pid, at: next, count: toPageEnd) else { return nil }
            if let end = chunk.firstIndex(of: 0) {
                result.append(contentsOf: chunk[0..<end])
                return result.count <= limit ? result : nil
            }
            result.append(contentsOf: chunk)
            next += UInt64(chunk.count)
        }
        return nil
    }

    /// The target of the symbolic link at `path` (for example `/proc/PID/fd/3`), or nil.
    public static func linkTarget(_ path: String) -> [UInt8]? { linkTarget(Array(path.utf8)) }

    /// The target of the symbolic link at the path `bytes` (any bytes but NUL), or nil.
    public static func linkTarget(_ bytes: [UInt8]) -> [UInt8]? {
        var buffer = [CChar](repeating: 0, count: pathLimit + 1)
        let count = withPath(bytes) { readlink($0, &buffer, buffer.count - 1) }
        guard let count, count > 0 else { return nil }
        return buffer[0..<count].map { UInt8(bitPattern: $0) }
    }

    /// Calls `body` with `bytes` as a C string, or returns nil when they hold a NUL.
    private static func withPath<Result>(_ bytes: [UInt8], _ body: (UnsafePointer<CChar>) -> Result) -> Result? {
        guard !bytes.contains(0) else { return nil }
        let text = bytes.map { CChar(bitPattern: $0) } + [0]
        return text.withUnsafeBufferPointer { buffer in buffer.baseAddress.map(body) }
    }

    /// The kind of the file at `path`, without following a final symbolic link.
    public enum FileKind: Sendable, Equatable {
        /// A symbolic link.
        case symlink
        /// A directory.
        case directory
        /// Anything else (regular file, device, socket, FIFO).
        case other
    }

    /// The kind of the file at the path `bytes` (`lstat`), or nil when it does not exist or cannot
    /// be reached.
    public static func kind(of bytes: [UInt8]) -> FileKind? {
        var info = stat()
        guard withPath(bytes, { lstat($0, &info) }) == 0 else { return nil }
        switch info.st_mode & S_IFMT {
        case S_IFLNK: return .symlink
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    /// The thread group (process) id of task `tid` (`Tgid` in `/proc/TID/status`), or nil.
    public static func processID(of tid: CInt) -> CInt? {
        statusNumbers(of: tid, ["Tgid:"])["Tgid:"]?.first.map { CInt(truncatingIfNeeded: $0) }
    }

    /// The ids of task `tid` in the innermost pid namespace it belongs to: (thread id, process id),
    /// from the last fields of `NSpid` and `NStgid` in `/proc/TID/status`. Nil when the task is gone.
    public static func namespaceIDs(of tid: CInt) -> (thread: Int, process: Int)? {
        let numbers = statusNumbers(of: tid, ["NSpid:", "NStgid:"])
        guard let thread = numbers["NSpid:"]?.last, let process = numbers["NStgid:"]?.last else { return nil }
        return (thread, process)
    }

    /// The numbers on the lines of `/proc/TID/status` that start with `keys`, by key.
    static func statusNumbers(of tid: CInt, _ keys: Set<String>) -> [String: [Int]] {
        guard let bytes = try? FileIO.read("/proc/\(tid)/status", limit: 1 << 16) else { return [:] }
        var result: [String: [Int]] = [:]
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let key = fields.first.map(String.init), keys.contains(key) else { continue }
            result[key] = fields.dropFirst().compactMap { Int($0) }
        }
        return result
    }

    /// The `PT_INTERP` path of the ELF file at `path` (the dynamic loader the kernel maps for it),
    /// or nil for a static program, a script or a file that cannot be read.
    public static func elfInterpreter(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        func bytes(at offset: UInt64, count: Int) -> [UInt8]? {
            guard count > 0, count <= 1 << 16 else { return nil }
            var buffer = [UInt8](repeating: 0, count: count)
            let got = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            return got == count ? buffer : nil
        }
        guard let header = bytes(at: 0, count: 64), header[0..<4] == [0x7F, 0x45, 0x4C, 0x46], header[5] == 1
        else { return nil }  // Little-endian ELF only: the ABIs cinch records on.
        func integer(_ data: [UInt8], _ offset: Int, _ size: Int) -> UInt64 {
            (0..<size).reversed().reduce(0) { $0 << 8 | UInt64(data[offset + $1]) }
        }
        let is64 = header[4] == 2
        let tableOffset = integer(header, is64 ? 0x20 : 0x1C, is64 ? 8 : 4)
        let entrySize = Int(integer(header, is64 ? 0x36 : 0x2A, 2))
        let entries = Int(integer(header, is64 ? 0x38 : 0x2C, 2))
        guard entrySize >= (is64 ? 56 : 32), entries <= 256,
            let table = bytes(at: tableOffset, count: entrySize * entries)
        else { return nil }
        for index in 0..<entries {
            let base = index * entrySize
            guard integer(table, base, 4) == 3 else { continue }  // PT_INTERP
            let offset = integer(table, base + (is64 ? 8 : 4), is64 ? 8 : 4)
            let size = Int(integer(table, base + (is64 ? 32 : 16), is64 ? 8 : 4))
            guard size <= pathLimit, let text = bytes(at: offset, count: size) else { return nil }
            let name = Array(text.prefix { $0 != 0 })
            return name.first == UInt8(ascii: "/") ? name : nil
        }
        return nil
    }

    /// The socket inode behind file descriptor `fd` of `pid` (`socket:[INODE]`), or nil.
    public static func socketInode(_ pid: CInt, fd: Int) -> UInt64? {
        guard let target = linkTarget("/proc/\(pid)/fd/\(fd)") else { return nil }
        let text = String(decoding: target, as: UTF8.self)
        guard text.hasPrefix("socket:["), text.hasSuffix("]") else { return nil }
        return UInt64(text.dropFirst(8).dropLast())
    }
}
