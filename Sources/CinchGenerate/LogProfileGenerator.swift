// SPDX-License-Identifier: Apache-2.0
// The log-mode seccomp profile for audit recording: log everything except what is already known.

public import CinchModel

/// Generates the profile a workload runs under while the kernel records it.
///
/// Its default action is `SCMP_ACT_LOG`: every syscall runs, and each one no rule matches makes
/// the kernel write a `type=SECCOMP` audit record. Syscalls of `--known` traces are allowed
/// (`SCMP_ACT_ALLOW`), so they make no records and the log stays small. Output is deterministic.
public enum LogProfileGenerator {
    /// Generates the log profile.
    ///
    /// The profile covers `native` and every ABI its kernel also runs (Docker `archMap`, OCI
    /// `architectures`), so compat and x32 calls are logged rather than hitting the filter's
    /// bad-architecture action. Docker and OCI rules cannot name an ABI, so the known names are
    /// the union over all ABIs of the traces; a note says when that allows a name on an ABI where
    /// it was not seen (a compat call to it would then make no record).
    /// - Parameters:
    ///   - known: traces whose syscalls need no records; may be empty (then everything is logged).
    ///   - format: Docker or OCI JSON.
    ///   - native: the host's native ABI.
    public static func generate(
        known: [Trace], format: SeccompProfile.Format = .docker, native: Architecture = .x86_64
    ) -> SeccompProfileGenerator.Result {
        var diagnostics: [Diagnostic] = []
        var byABI: [Architecture: Set<String>] = [:]
        for trace in known { byABI.merge(trace.namesByABI) { $0.union($1) } }
        let names = byABI.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        let abis = [native] + native.subArchitectures
        for abi in abis where !names.isEmpty {
            let extra = names.subtracting(byABI[abi] ?? [])
            if !extra.isEmpty, byABI[abi] != nil {
                diagnostics.append(
                    Diagnostic(
                        .note, id: "log-profile.abi-union",
                        "\(extra.count) known names were seen only on other ABIs but are allowed on \(abi.name) too, so \(abi.name) calls to them make no record."
                    ))
            }
        }
        for trace in known where !trace.isComplete {
            diagnostics.append(
                Diagnostic(
                    .warning, id: "log-profile.incomplete-known",
                    "A --known trace is incomplete; that does not lose records here, since unknown syscalls are logged."
                ))
            break
        }
        let profile = SeccompProfileGenerator.recordingProfile(
            defaultAction: .log, known: byABI, abis: abis, format: format)
        return SeccompProfileGenerator.Result(profile: profile, diagnostics: diagnostics)
    }
}
