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
    /// Reads a whole file (`-` reads standard input).
    ///
    /// - Throws: ``InputError`` naming the file and the system's reason.
    public static func read(_ path: String) throws(InputError) -> [UInt8] {
        let fd = path == "-" ? 0 : open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw InputError("cannot open: \(reason(errno))", at: ProfileLocation(file: path)) }
        defer { if fd != 0 { close(fd) } }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw InputError("cannot read: \(reason(errno))", at: ProfileLocation(file: path))
            }
            if count == 0 { return result }
            result.append(contentsOf: chunk[0..<count])
        }
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
        let bytes = Array(text.utf8)
        if path == "-" {
            try writeAll(bytes, to: 1, path: "standard output")
            return
        }
        var existing = stat()
        if stat(path, &existing) == 0, (existing.st_mode & S_IFMT) != S_IFREG {
            // A device or pipe (`-o /dev/null`, `-o /dev/stdout`) is written in place: renaming a
            // temporary file over it would replace the device node itself.
            guard (existing.st_mode & S_IFMT) != S_IFDIR else {
                throw InputError("is a directory", at: ProfileLocation(file: path))
            }
            let fd = open(path, O_WRONLY | O_CLOEXEC)
            if fd < 0 { throw InputError("cannot open: \(reason(errno))", at: ProfileLocation(file: path)) }
            defer { close(fd) }
            try writeAll(bytes, to: fd, path: path)
            return
        }
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
        let temporary = FileIO.string(fromCString: template)
        do throws(InputError) {
            try writeAll(bytes, to: fd, path: path)
            fchmod(fd, 0o644)
            if fsync(fd) != 0 { throw InputError("cannot flush: \(reason(errno))", at: ProfileLocation(file: path)) }
            close(fd)
            if rename(temporary, path) != 0 {
                throw InputError("cannot replace the file: \(reason(errno))", at: ProfileLocation(file: path))
            }
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
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

    /// Whether a path exists.
    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }
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
