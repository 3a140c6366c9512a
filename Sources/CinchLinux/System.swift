// SPDX-License-Identifier: Apache-2.0
// Small pieces of the system the other modules need: time, sleep, the environment, this process,
// temporary directories, and whether a local TCP port accepts connections.

public import SystemPackage

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// The system calls other modules would otherwise each wrap again.
public enum System {
    /// Seconds on the monotonic clock (for deadlines; never jumps).
    ///
    /// The corresponding C function is `clock_gettime(CLOCK_MONOTONIC)`.
    public static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Sleeps `seconds`, resuming after a signal interrupts it.
    ///
    /// The corresponding C function is `nanosleep`.
    public static func sleep(seconds: Double) {
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }

    /// The value of the environment variable `name`, if set.
    ///
    /// The corresponding C function is `getenv`.
    public static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// Whether the descriptor `fd` is a terminal.
    ///
    /// The corresponding C function is `isatty`.
    public static func isTerminal(_ fd: CInt) -> Bool { isatty(fd) == 1 }

    /// This process's id.
    public static var processID: CInt { getpid() }

    /// Runs `body` with file descriptor 1 pointing at standard error, so that what children
    /// started meanwhile print (a workload run again and again) does not mix with a report that
    /// is printed on standard output afterwards; descriptor 1 is restored before returning.
    ///
    /// The corresponding C functions are `dup(2)` and `dup2(2)`.
    public static func withStandardOutputOnStandardError<T>(_ body: () -> T) -> T {
        let saved = dup(1)
        guard saved >= 0, dup2(2, 1) >= 0 else {
            if saved >= 0 { close(saved) }
            return body()
        }
        defer {
            _ = dup2(saved, 1)
            close(saved)
        }
        return body()
    }

    /// This process's effective user id. The corresponding C function is `geteuid(2)`.
    public static var effectiveUserID: UInt32 { geteuid() }

    /// Whether `path` exists and this process may execute it.
    public static func isExecutable(_ path: String) -> Bool { access(path, X_OK) == 0 }

    /// Whether `path` (symbolic links followed) is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Seconds since `path` (not following a final link) was last modified, or nil when it does
    /// not exist. The corresponding C functions are `lstat(2)` and `clock_gettime(CLOCK_REALTIME)`.
    public static func secondsSinceModified(_ path: String) -> Double? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Double(now.tv_sec - info.st_mtim.tv_sec) + Double(now.tv_nsec - info.st_mtim.tv_nsec) / 1e9
    }

    /// `path` made absolute against the working directory.
    public static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: 4096)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        return FileIO.string(fromCString: buffer) + "/" + path
    }

    /// Creates a new directory `DIRECTORY/PREFIXxxxxxx` (mode 0700) and returns its path.
    ///
    /// The corresponding C function is `mkdtemp`.
    /// - Throws: the system's reason, as a sentence.
    public static func makeTemporaryDirectory(in directory: String = "/tmp", prefix: String) throws(Errno) -> String {
        var template = Array((directory + "/" + prefix + "XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer -> Bool in
            guard let base = buffer.baseAddress else { return false }
            return mkdtemp(base) != nil
        }
        guard made else { throw Errno(rawValue: errno) }
        return FileIO.string(fromCString: template)
    }

    /// Removes the files `names` in `directory`, then the directory itself (if now empty).
    public static func removeDirectory(_ directory: String, files names: [String]) {
        for name in names { unlink(directory + "/" + name) }
        rmdir(directory)
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func acceptsConnection(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let rc = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return rc == 0
    }
}
