// SPDX-License-Identifier: Apache-2.0
// Raw descriptors and process identity for a process that hands its own stdio to a child: the
// runtime wrapper passes an engine's descriptors to the real runtime and then lets them go.

public import SystemPackage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Descriptor plumbing for the runtime wrapper and its recorder.
public enum Descriptors {
    /// A pipe whose read end is close-on-exec and whose write end is inherited by a child.
    ///
    /// The corresponding C function is `pipe2`.
    public static func makeInheritedWritePipe() throws(Errno) -> (read: CInt, write: CInt) {
        var fds: [CInt] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Errno(rawValue: errno) }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    /// A pipe whose write end is close-on-exec and whose read end is inherited by a child.
    ///
    /// The corresponding C function is `pipe2`.
    public static func makeInheritedReadPipe() throws(Errno) -> (read: CInt, write: CInt) {
        var fds: [CInt] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Errno(rawValue: errno) }
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    /// Marks `fd` close-on-exec. The corresponding C function is `fcntl(F_SETFD)`.
    public static func setCloseOnExec(_ fd: CInt) { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

    /// Closes `fd`. The corresponding C function is `close(2)`.
    public static func close(_ fd: CInt) { _ = Glibc.close(fd) }

    /// The descriptors this process has open, from `/proc/self/fd`.
    public static func open() -> [CInt] {
        guard let entries = try? FileIO.directoryEntries("/proc/self/fd") else { return [] }
        return entries.compactMap { CInt($0) }.sorted()
    }

    /// Points standard input, output and error at `/dev/null`, so this process no longer holds
    /// the ends its parent gave it. The corresponding C function is `dup2(2)`.
    public static func detachStandardStreams() {
        let null = Glibc.open("/dev/null", O_RDWR | O_CLOEXEC)
        guard null >= 0 else { return }
        for fd in CInt(0)...2 { _ = dup2(null, fd) }
        if null > 2 { _ = Glibc.close(null) }
    }

    /// Writes all of `bytes` to `fd`, retrying after EINTR; false when the reader is gone.
    /// The corresponding C function is `write(2)`.
    @discardableResult
    public static func writeAll(_ bytes: [UInt8], to fd: CInt) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Reads `fd` to its end (at most `limit` bytes), retrying after EINTR.
    /// The corresponding C function is `read(2)`.
    public static func readAll(_ fd: CInt, limit: Int = 1 << 16) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while result.count < limit {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            result += buffer[..<count]
        }
        return result
    }

    /// Ignores SIGPIPE from now on, so a write to a pipe whose reader is gone fails with EPIPE
    /// instead of ending this process (children get the default back at spawn).
    /// The corresponding C function is `signal(2)`.
    public static func ignoreBrokenPipes() { _ = signal(SIGPIPE, SIG_IGN) }

    /// Whether `fd` is close-on-exec. The corresponding C function is `fcntl(F_GETFD)`.
    public static func isCloseOnExec(_ fd: CInt) -> Bool {
        let flags = fcntl(fd, F_GETFD)
        return flags >= 0 && flags & FD_CLOEXEC != 0
    }

    /// Starts a new session, so signals for the caller's process group or terminal do not reach
    /// this process. The corresponding C function is `setsid(2)`.
    public static func startSession() { _ = setsid() }

    /// Replaces this process with `path`, given `arguments` (`arguments[0]` is the program's
    /// name) and this process's environment. Returns only on failure.
    ///
    /// The corresponding C function is `execv(3)`.
    public static func replaceProcess(path: String, arguments: [String]) -> Errno {
        var cArgs: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        cArgs.append(nil)
        defer { for pointer in cArgs { free(pointer) } }
        _ = execv(path, cArgs)
        return Errno(rawValue: errno)
    }
}
