// SPDX-License-Identifier: Apache-2.0
// Reports SIGINT, SIGTERM and SIGHUP to Swift code on a thread of its own, never in a handler.

internal import CCinchLinux
internal import Synchronization
public import SystemPackage

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// Reports SIGINT, SIGTERM and SIGHUP sent to cinch, one call per signal, on a thread of its own.
///
/// Swift must not run in a signal handler, so the signals are caught by a C handler
/// (`cinch_install_signal_handlers`) that only notes them and writes each one's number to a pipe.
/// The watcher's thread reads that pipe and calls `onSignal` in ordinary thread context, where it
/// may take locks, allocate and run programs. This works whichever of cinch's threads the kernel
/// delivers a signal to; blocking the signals and reading a `signalfd` would not, because a
/// thread that was started before (a libdispatch worker, a test runner's) and does not block
/// them would take the default action and end cinch with nothing cleaned up.
///
/// The handler stays installed for the life of the process: once cinch has started something
/// that must be cleaned up, a signal must never end it outright. A signal that arrives while no
/// watcher runs waits in the pipe and is reported by the next watcher as soon as it starts (a
/// Ctrl-C between two container runs stops the second). Run one watcher at a time.
public final class SignalWatcher: Sendable {
    private let stopWrite: CInt
    private let thread: BackgroundThread
    private let stopped = Atomic<Bool>(false)

    /// Starts catching the signals and calls `onSignal` on the watcher's thread for each one.
    ///
    /// - Throws: the errno of creating the handler's or the watcher's pipe.
    public init(onSignal: @escaping @Sendable (CInt) -> Void) throws(Errno) {
        let signalRead = cinch_install_signal_handlers()
        if signalRead < 0 { throw Errno(rawValue: errno) }
        var fds: [CInt] = [-1, -1]
        guard cinch_pipe_cloexec(&fds) == 0 else { throw Errno(rawValue: errno) }
        let stopRead = fds[0]
        stopWrite = fds[1]
        thread = BackgroundThread { Self.watch(signalRead: signalRead, stopRead: stopRead, onSignal: onSignal) }
    }

    /// Stops the watcher's thread and waits for it; signals from now on wait for the next watcher.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        var byte: UInt8 = 0
        while write(stopWrite, &byte, 1) < 0, errno == EINTR {}
        thread.join()
        close(stopWrite)
    }

    deinit { stop() }

    private static func watch(signalRead: CInt, stopRead: CInt, onSignal: @Sendable (CInt) -> Void) {
        defer { close(stopRead) }
        var buffer = [UInt8](repeating: 0, count: 64)
        while true {
            var fds = [
                pollfd(fd: signalRead, events: Int16(POLLIN), revents: 0),
                pollfd(fd: stopRead, events: Int16(POLLIN), revents: 0),
            ]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            // The handler's pipe is non-blocking: read what is there, then poll again.
            let count = buffer.withUnsafeMutableBytes { read(signalRead, $0.baseAddress, $0.count) }
            if count > 0 {
                for signal in buffer[0..<count] { onSignal(CInt(signal)) }
            } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                return
            }
        }
    }
}
