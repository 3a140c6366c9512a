// SPDX-License-Identifier: Apache-2.0
// Profiles that allow a known set and send everything else to a recording action (trace, log).

public import CinchModel

extension SeccompProfileGenerator {
    /// A profile for recording: the known syscalls allowed, everything else `defaultAction`.
    ///
    /// With `SCMP_ACT_TRACE` it is the filter a container runs under while cinch traces its
    /// runtime; with `SCMP_ACT_LOG` it makes the kernel write an audit record for every syscall
    /// outside the known set. The formats cannot express per-ABI rules, so the names known for
    /// any ABI are allowed on all of them.
    ///
    /// - Parameters:
    ///   - known: names to allow, per ABI (the union of `--known` traces); may be empty.
    ///   - abis: the ABIs to cover, native first.
    ///   - alwaysRecorded: names never allowed even when known (syscalls whose arguments a trace
    ///     records must always reach the recorder).
    ///   - quiet: known names allowed only when their arguments meet the conditions.
    public static func recordingProfile(
        defaultAction: SeccompProfile.Action, known: [Architecture: Set<String>], abis: [Architecture],
        format: SeccompProfile.Format, alwaysRecorded: Set<String> = [],
        quiet: [String: [SeccompProfile.ArgumentCondition]] = [:]
    ) -> SeccompProfile {
        let all = known.values.reduce(into: Set<String>()) { $0.formUnion($1) }
        let names = all.subtracting(alwaysRecorded)
        var profile = SeccompProfile(format: format, defaultAction: defaultAction)
        if !names.isEmpty { profile.syscalls = [SeccompProfile.Rule(names: names.sorted(), action: .allow)] }
        for (name, conditions) in quiet.sorted(by: { $0.key < $1.key }) where all.contains(name) {
            profile.syscalls.append(SeccompProfile.Rule(names: [name], action: .allow, args: conditions))
        }
        switch format {
        case .oci: profile.architectures = abis
        case .docker: profile.archMap = archMap(for: abis)
        }
        return profile
    }
}
