// SPDX-License-Identifier: Apache-2.0
// The filter a recorded workload runs under: known syscalls allowed, everything else a ptrace stop.

public import CinchModel

/// Builds the seccomp-assisted tracing filter.
///
/// Every syscall not in the known set returns `SECCOMP_RET_TRACE`, so the tracer sees it once per
/// call; known syscalls are allowed in the kernel and cost nothing. Rules are per ABI: a name known
/// for x86_64 does not make the i386 compat call of the same name silent.
///
/// Syscalls whose arguments are recorded (``Trace/argumentCaptures``) always stop, even when
/// known: a call the tracer does not see leaves no value behind.
public enum RecordingFilter {
    /// The ABIs the recording filter covers on an x86_64 host (others take the bad-arch action,
    /// which is also a trace stop, so nothing escapes).
    public static func coveredABIs(native: Architecture) -> [Architecture] {
        [native] + native.subArchitectures.filter(SyscallResolver.supports)
    }

    /// The compiled BPF program.
    ///
    /// - Parameters:
    ///   - known: names to allow without a stop, per ABI; names with recorded arguments are left out.
    ///   - native: the host ABI.
    /// - Returns: the program and the names that libseccomp could not resolve (ignored).
    ///   - quiet: per ABI, names allowed without a stop only when their arguments meet the
    ///     conditions (an `mmap` that maps nothing executable); they stop otherwise.
    public static func build(
        known: [Architecture: Set<String>], quiet: [Architecture: [String: [SeccompCondition]]] = [:],
        native: Architecture = SyscallResolver.native
    ) throws(SeccompError) -> (bpf: [UInt8], ignored: [String]) {
        let trace = SeccompActionValue.trace(0)
        var ignored: [String] = []
        var combined: SeccompFilter?
        for abi in coveredABIs(native: native) {
            let filter = try SeccompFilter(defaultAction: trace)
            try filter.setArchitectures([abi])
            try filter.setBadArchitectureAction(trace)
            try filter.setNoNewPrivilegesOnLoad(false)
            for name in (known[abi] ?? []).sorted() where Trace.argumentCapture(for: name, on: abi) == nil {
                switch SyscallResolver.resolve(name, on: abi) {
                case .number(let number): try filter.addExactRule(.allow, number: number)
                case .multiplexed: try filter.addRule(.allow, syscall: name)
                case .absentOnArchitecture: continue
                case .unknown: ignored.append(name)
                }
            }
            for (name, conditions) in (quiet[abi] ?? [:]).sorted(by: { $0.key < $1.key }) {
                try filter.addRule(.allow, syscall: name, conditions: conditions)
            }
            if let existing = combined.take() {
                try existing.merge(filter)
                combined = consume existing
            } else {
                combined = consume filter
            }
        }
        guard let result = combined.take() else { return ([], ignored) }
        return (try result.exportBPF(), Array(Set(ignored)).sorted())
    }
}
