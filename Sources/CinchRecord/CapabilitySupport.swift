// SPDX-License-Identifier: Apache-2.0
// Whether this kernel lets cinch record capabilities, for `cinch --version`.

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Musl)
    internal import Musl
#else
    #error("Unsupported platform")
#endif

/// What the running kernel offers capability recording.
public enum CapabilitySupport {
    /// Whether the kernel has the `capability:cap_capable` tracepoint (Linux 6.14+) in a mounted
    /// tracefs, which ``CapabilityWatch`` needs; nothing is mounted or changed to find out.
    ///
    /// The corresponding C function is `access(2)`.
    public static var hasTracepoint: Bool {
        access(CapabilityWatch.tracefs + "/" + CapabilityWatch.event + "/enable", F_OK) == 0
    }
}
