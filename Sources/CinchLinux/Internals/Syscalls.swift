// SPDX-License-Identifier: Apache-2.0
// The raw call layer: system_* wrappers over the C shim, returning raw results.

internal import CCinchLinux

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// `system_ptrace` is CinchLinux's wrapper for `ptrace(2)` (via `cinch_ptrace`).
internal func system_ptrace(
    _ request: CInt, _ pid: pid_t, _ addr: UnsafeMutableRawPointer?, _ data: UnsafeMutableRawPointer?
) -> Int {
    cinch_ptrace(request, pid, addr, data)
}

/// `system_waitpid` is CinchLinux's wrapper for `waitpid(2)`.
internal func system_waitpid(_ pid: pid_t, _ status: UnsafeMutablePointer<CInt>, _ options: CInt) -> pid_t {
    waitpid(pid, status, options)
}

/// `system_pidfd_open` is CinchLinux's wrapper for `pidfd_open(2)` (via `cinch_pidfd_open`).
internal func system_pidfd_open(_ pid: pid_t) -> CInt {
    cinch_pidfd_open(pid)
}

/// `system_pidfd_send_signal` is CinchLinux's wrapper for `pidfd_send_signal(2)` (via
/// `cinch_pidfd_send_signal`).
internal func system_pidfd_send_signal(_ pidfd: CInt, _ signal: CInt, _ flags: CUnsignedInt) -> CInt {
    cinch_pidfd_send_signal(pidfd, signal, flags)
}
