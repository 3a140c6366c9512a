// SPDX-License-Identifier: Apache-2.0
// Reading input files whole and writing outputs atomically (temp file + rename), and the models'
// file loaders: the model itself only parses bytes.

public import CinchModel

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// File access for inputs and outputs.
///
/// Outputs are never half-written: they go to a temporary file in the same directory, are
/// flushed with `fsync`, and replace the target with `rename`.
public enum FileIO {
    /// The most bytes ``read(_:limit:)`` reads: 64 MiB. The largest real traces and profiles are a
    /// few MiB; a larger input is refused before it can exhaust memory.
    public static let inputLimit = 64 << 20

    /// Reads a whole regular file (`-` reads standard input), at most `limit` bytes.
    ///
    /// A device, FIFO, socket or directory is refused without reading it (`/dev/zero` would
    /// never end, a FIFO could block forever); so is a file larger than `limit`. Symbolic links
    /// are followed, and what they lead to must be a regular file too.
    /// - Throws: ``InputError`` naming the file and the reason.
    public static func read(_ path: String, limit: Int = inputLimit) throws(InputError) -> [UInt8] {
        let location = ProfileLocation(file: path)
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { throw InputError("cannot open: \(reason(errno))", at: location) }
        defer { if fd != 0 { close(fd) } }
        var info = stat()
        if fd != 0 {
            guard fstat(fd, &info) == 0 else { throw InputError("cannot stat: \(reason(errno))", at: location) }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                throw InputError("cannot read: \(reason(EISDIR))", at: location)
            }
            guard (info.st_mode & S_IFMT) == S_IFREG else {
                throw InputError(
                    "is \(kind(of: info.st_mode)), not a regular file; cinch reads its inputs only from regular files",
                    at: location)
            }
            guard Int(info.st_size) <= limit else {
                throw InputError(
                    "is \(info.st_size) bytes; cinch reads at most \(limit) bytes (\(limit >> 20) MiB) here",
                    at: location)
            }
        }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw InputError("cannot read: \(reason(errno))", at: location)
            }
            if count == 0 { return result }
            guard result.count + count <= limit else {
                throw InputError(
                    "is larger than \(limit) bytes (\(limit >> 20) MiB), the most cinch reads here", at: location)
            }
            result.append(contentsOf: chunk[0..<count])
        }
    }

    /// The size of a file in bytes, or nil when it cannot be examined.
    public static func size(_ path: String) -> Int? {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : nil
    }

    /// Reads a regular file from byte `offset` to its end, at most `limit` bytes (the last ones
    /// when there are more): what a growing log gained since its size was noted.
    /// - Throws: ``InputError`` naming the file and the reason.
    public static func read(_ path: String, from offset: Int, limit: Int = inputLimit) throws(InputError) -> [UInt8] {
        let location = ProfileLocation(file: path)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        if fd < 0 { throw InputError("cannot open: \(reason(errno))", at: location) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw InputError("is not a regular file", at: location)
        }
        // A log that shrank was rotated: read the new one from its start.
        var position = Int(info.st_size) < offset ? 0 : offset
        position = max(position, Int(info.st_size) - limit)
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while result.count < limit {
            let count = chunk.withUnsafeMutableBytes {
                pread(fd, $0.baseAddress, min($0.count, limit - result.count), off_t(position))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw InputError("cannot read: \(reason(errno))", at: location)
            }
            if count == 0 { break }
            result.append(contentsOf: chunk[0..<count])
            position += count
        }
        return result
    }

    /// `a directory`, `a FIFO`, `a character device`… for messages.
    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        default: "not a regular file"
        }
    }

    /// Whether `path`, with every symbolic link on its way resolved, lies inside `root`.
    ///
    /// The part of `path` that does not exist yet (a file about to be written) is resolved as far
    /// as it exists; its remaining components must hold no `..`.
    public static func isContained(_ path: String, in root: String) -> Bool {
        guard let base = resolved(root) else { return false }
        var existing = path
        var rest: [Substring] = []
        var resolvedPrefix = resolved(existing)
        while resolvedPrefix == nil {
            guard let slash = existing.lastIndex(of: "/") else {
                existing = "."
                resolvedPrefix = resolved(".")
                break
            }
            rest.insert(existing[existing.index(after: slash)...], at: 0)
            existing = slash == existing.startIndex ? "/" : String(existing[..<slash])
            resolvedPrefix = resolved(existing)
        }
        guard let prefix = resolvedPrefix, !rest.contains("..") else { return false }
        return prefix == base || prefix.hasPrefix(base == "/" ? "/" : base + "/")
    }

    /// `realpath(3)` of `path`, or nil when it does not exist.
    private static func resolved(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }

    /// Checks, before any work is done, that ``writeAtomically(_:to:)`` can write `path`: its
    /// directory exists and takes a new file, it is not a directory, and a FIFO has a reader.
    ///
    /// - Throws: ``InputError`` naming the file and the reason.
    public static func checkWritable(_ path: String) throws(InputError) {
        guard path != "-" else { return }
        let location = ProfileLocation(file: path)
        var existing = stat()
        if stat(path, &existing) == 0, (existing.st_mode & S_IFMT) != S_IFREG {
            guard (existing.st_mode & S_IFMT) != S_IFDIR else { throw InputError("is a directory", at: location) }
            let fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
            if fd < 0 { throw InputError("cannot open: \(reason(errno))", at: location) }
            close(fd)
            return
        }
        let (fd, temporary) = try temporaryFile(next: path)
        close(fd)
        unlink(temporary)
    }

    /// The names in a directory, without `.` and `..`, sorted.
    ///
    /// - Throws: ``InputError`` naming the directory and the system's reason.
    public static func directoryEntries(_ path: String) throws(InputError) -> [String] {
        guard let directory = opendir(path) else {
            throw InputError("cannot list: \(reason(errno))", at: ProfileLocation(file: path))
        }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Writes `text` to `path` atomically; `-` writes to standard output.
    ///
    /// Regular files are replaced by rename; an existing device or pipe is written in place.
    ///
    /// - Throws: ``InputError`` naming the file and the reason; the target is then unchanged.
    public static func writeAtomically(_ text: String, to path: String) throws(InputError) {
        try writeAtomically(bytes: Array(text.utf8), to: path)
    }

    /// Writes `bytes` to `path` atomically, as ``writeAtomically(_:to:)`` writes text.
    public static func writeAtomically(bytes: [UInt8], to path: String) throws(InputError) {
        if path == "-" {
            try writeAll(bytes, to: 1, path: "standard output")
            return
        }
        var existing = stat()
        let exists = stat(path, &existing) == 0
        if exists, (existing.st_mode & S_IFMT) != S_IFREG {
            // A device or pipe (`-o /dev/null`, `-o /dev/stdout`) is written in place: renaming a
            // temporary file over it would replace the device node itself. A FIFO without a
            // reader is an error, not a wait that may never end.
            guard (existing.st_mode & S_IFMT) != S_IFDIR else {
                throw InputError("is a directory", at: ProfileLocation(file: path))
            }
            let fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK)
            if fd < 0 {
                let why = errno == ENXIO ? "it is a FIFO that nobody reads" : reason(errno)
                throw InputError("cannot open: \(why)", at: ProfileLocation(file: path))
            }
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            try writeAll(bytes, to: fd, path: path)
            return
        }
        let (fd, temporary) = try temporaryFile(next: path)
        var isOpen = true
        do throws(InputError) {
            try writeAll(bytes, to: fd, path: path)
            // A file that is replaced keeps its mode and owner; a new one gets 0644.
            if exists {
                fchmod(fd, existing.st_mode & 0o7777)
                _ = fchown(fd, existing.st_uid, existing.st_gid)
            } else {
                fchmod(fd, 0o644)
            }
            if fsync(fd) != 0 { throw InputError("cannot flush: \(reason(errno))", at: ProfileLocation(file: path)) }
            close(fd)
            isOpen = false
            if rename(temporary, path) != 0 {
                throw InputError("cannot replace the file: \(reason(errno))", at: ProfileLocation(file: path))
            }
        } catch {
            if isOpen { close(fd) }
            unlink(temporary)
            throw error
        }
    }

    /// A new temporary file in `path`'s directory (`DIR/.NAME.cinch-XXXXXX`) and its name.
    private static func temporaryFile(next path: String) throws(InputError) -> (CInt, String) {
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var template = Array(((directory.isEmpty ? "" : directory) + "/.\(base).cinch-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { buffer -> CInt in
            guard let base = buffer.baseAddress else { return -1 }
            return mkstemp(base)
        }
        if fd < 0 {
            throw InputError(
                "cannot create a temporary file next to it: \(reason(errno))", at: ProfileLocation(file: path))
        }
        return (fd, FileIO.string(fromCString: template))
    }

    private static func writeAll(_ bytes: [UInt8], to fd: CInt, path: String) throws(InputError) {
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw InputError("cannot write: \(reason(errno))", at: ProfileLocation(file: path))
            }
            offset += count
        }
    }

    /// `strerror` text for an errno value.
    public static func reason(_ code: CInt) -> String { String(cString: strerror(code)) }

    /// The text of a NUL-terminated C character array (up to its first NUL).
    public static func string(fromCString characters: [CChar]) -> String {
        String(decoding: characters.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates the directory `path` (mode 0755) if it does not exist; its parent must.
    ///
    /// - Throws: ``InputError`` naming the directory and the reason.
    /// The corresponding C function is `mkdir(2)`.
    public static func makeDirectory(_ path: String) throws(InputError) {
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw InputError("cannot create the directory: \(reason(errno))", at: ProfileLocation(file: path))
        }
    }

    /// Creates the empty file `path` (mode 0644) if no file of that name exists, and returns
    /// whether it did: a name claimed this way is nobody else's, even when several processes pick
    /// names in the same directory at once. A symbolic link of that name counts as existing.
    ///
    /// The corresponding C function is `open(2)` with `O_CREAT | O_EXCL`.
    public static func claim(_ path: String) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { return false }
        close(fd)
        return true
    }

    /// Creates `path` and its missing parents (mode 0755), as `mkdir -p` does.
    public static func makeDirectories(_ path: String) throws(InputError) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            try makeDirectory(prefix)
        }
    }

    /// Whether a path exists.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    /// Makes `path` a symbolic link to `target`, replacing what was there atomically (a link is
    /// made next to it and renamed over it).
    ///
    /// The corresponding C functions are `symlink(2)` and `rename(2)`.
    public static func replaceSymbolicLink(at path: String, pointingTo target: String) throws(InputError) {
        let temporary = path + ".\(getpid()).new"
        unlink(temporary)
        guard symlink(target, temporary) == 0 else {
            throw InputError("cannot create a symbolic link: \(reason(errno))", at: ProfileLocation(file: path))
        }
        guard rename(temporary, path) == 0 else {
            let why = reason(errno)
            unlink(temporary)
            throw InputError("cannot replace: \(why)", at: ProfileLocation(file: path))
        }
    }

    /// Removes the file `path`, if it exists. The corresponding C function is `unlink(2)`.
    public static func remove(_ path: String) { unlink(path) }

    /// `path` with every symbolic link, `.` and `..` resolved, or nil when it does not exist.
    ///
    /// The corresponding C function is `realpath(3)`.
    public static func canonicalPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

extension Trace {
    /// Reads a trace file.
    /// - Throws: ``InputError`` naming the file and, for bad content, the line, column and JSON path.
    public static func load(path: String) throws(InputError) -> Trace {
        try Trace(jsonBytes: try FileIO.read(path), file: path)
    }
}

extension SeccompProfile {
    /// Reads and parses the profile at `path`.
    ///
    /// - Parameter path: A file path, used as given in error locations.
    /// - Throws: ``InputError`` when the file cannot be read (with the system's reason) or is not
    ///   a valid profile (see `init(jsonBytes:file:)`).
    public static func load(path: String) throws(InputError) -> SeccompProfile {
        try SeccompProfile(jsonBytes: try FileIO.read(path), file: path)
    }
}

extension KernelVersion {
    /// The running kernel's version from `uname(2)`, or nil.
    public static var running: KernelVersion? {
        var info = utsname()
        guard uname(&info) == 0 else { return nil }
        let release = withUnsafeBytes(of: &info.release) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        return KernelVersion(release)
    }
}
