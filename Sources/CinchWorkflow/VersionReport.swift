// SPDX-License-Identifier: Apache-2.0
// `cinch --version` and `cinch version`: cinch's version and what this host gives it.

internal import CinchLinux
public import CinchModel
internal import CinchRecord
internal import CinchSeccomp

/// What `cinch --version` prints: cinch's version, libseccomp's, and the kernel's capability
/// support (the highest capability it knows and whether cinch can record capabilities).
public enum VersionReport {
    /// cinch's version.
    public static let cinch = "0.1.0"

    /// Three lines: `cinch 0.1.0`, `libseccomp 2.5.4 (API level 6)` and the kernel line.
    public static var text: String {
        let library = SyscallResolver.libraryVersion
        var kernel = "kernel " + (KernelVersion.running.map(\.description) ?? "unknown")
        if let bytes = try? FileIO.read("/proc/sys/kernel/cap_last_cap", limit: 16),
            let last = Int(String(decoding: bytes.filter { $0 != 0x0A }, as: UTF8.self))
        {
            let name = last < CapabilityList.all.count ? CapabilityList.all[last] : "unknown to cinch"
            kernel += ": capabilities 0-\(last) (last: \(name))"
        }
        kernel +=
            CapabilitySupport.hasTracepoint
            ? "; capability recording: available (capability:cap_capable tracepoint)"
            : "; capability recording: unavailable (no capability:cap_capable tracepoint, Linux 6.14+, in /sys/kernel/tracing)"
        return "cinch \(cinch)\nlibseccomp \(library.version) (API level \(library.apiLevel))\n\(kernel)"
    }
}
