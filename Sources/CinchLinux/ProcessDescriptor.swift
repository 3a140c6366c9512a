// SPDX-License-Identifier: Apache-2.0
// A pidfd: the one way cinch signals a process of its own.

internal import CCinchLinux
public import SystemPackage

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// A process descriptor (pidfd): a reference to one process that never comes to mean another.
///
/// A pid is only a number: once its process has ended and been reaped, the kernel gives it to the
/// next process started, and `kill(pid)` then signals a stranger. A pidfd stays bound to the
/// process it was opened for; signalling it after that process has ended fails with `ESRCH`.
///
/// Open one only for a process whose pid is known to be right at that moment: a child of the
/// calling thread that has not been reaped (its pid cannot be reused before `waitpid` returns
/// it), or a tracee whose exit the tracer has not yet waited for. The descriptor is closed when
/// the value is released.
public final class ProcessDescriptor: Sendable {
    /// The descriptor (close-on-exec).
    public let rawValue: CInt

    /// Opens a descriptor for `pid`, an unreaped child (see the type's discussion).
    ///
    /// - Throws: `ESRCH` when no such process exists, `ENOSYS` before Linux 5.3.
    /// The corresponding C function is `pidfd_open(2)`.
    public init(child pid: CInt) throws(Errno) {
        let fd = system_pidfd_open(pid)
        if fd < 0 { throw Errno(rawValue: errno) }
        rawValue = fd
    }

    /// Sends `signal` to the process.
    ///
    /// - Throws: `ESRCH` when the process has ended (the signal reached nobody).
    /// The corresponding C function is `pidfd_send_signal(2)`.
    public func send(_ signal: CInt) throws(Errno) {
        if system_pidfd_send_signal(rawValue, signal, 0) != 0 { throw Errno(rawValue: errno) }
    }

    /// Sends `signal` to every process of the process group this process leads.
    ///
    /// The group is named by the process itself, not by a number, so the signal reaches what is
    /// left of the group even after its leader has been reaped, and never another group.
    /// - Throws: `ESRCH` when nothing of the group is left; `EINVAL` before Linux 6.9.
    /// The corresponding C function is `pidfd_send_signal(2)` with `PIDFD_SIGNAL_PROCESS_GROUP`.
    public func sendToGroup(_ signal: CInt) throws(Errno) {
        let flags = CUnsignedInt(CINCH_PIDFD_SIGNAL_PROCESS_GROUP)
        if system_pidfd_send_signal(rawValue, signal, flags) != 0 { throw Errno(rawValue: errno) }
    }

    deinit { close(rawValue) }
}
