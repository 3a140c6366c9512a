// SPDX-License-Identifier: Apache-2.0
// A typed view of the status word waitpid(2) returns.

internal import CCinchLinux

/// The status word `waitpid(2)` returns, decoded without the C macros Swift cannot import.
public struct WaitStatus: RawRepresentable, Hashable, Sendable {
    /// The raw status word.
    public var rawValue: CInt

    /// Wraps a raw status word.
    public init(rawValue: CInt) { self.rawValue = rawValue }

    /// The process exited normally (`WIFEXITED`).
    public var isExited: Bool { cinch_wifexited(rawValue) != 0 }
    /// Its exit code (`WEXITSTATUS`), meaningful when ``isExited``.
    public var exitCode: CInt { cinch_wexitstatus(rawValue) }
    /// A signal killed it (`WIFSIGNALED`).
    public var isSignaled: Bool { cinch_wifsignaled(rawValue) != 0 }
    /// The signal that killed it (`WTERMSIG`), meaningful when ``isSignaled``.
    public var terminationSignal: CInt { cinch_wtermsig(rawValue) }
    /// It is stopped (`WIFSTOPPED`): a ptrace stop of some kind.
    public var isStopped: Bool { cinch_wifstopped(rawValue) != 0 }
    /// The stop signal (`WSTOPSIG`), meaningful when ``isStopped``.
    public var stopSignal: CInt { cinch_wstopsig(rawValue) }
    /// The `PTRACE_EVENT_*` of an event-stop, or 0.
    public var ptraceEvent: CInt { cinch_wptrace_event(rawValue) }

    /// The shell convention for a process that ended: its exit code, or 128 + the signal that
    /// killed it.
    public var shellStatus: CInt { isExited ? exitCode : 128 + terminationSignal }
}
