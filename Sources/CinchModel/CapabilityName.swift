// SPDX-License-Identifier: Apache-2.0
// Linux capability names as users type them and as OCI configs spell them.

/// Capability names in OCI spelling (`CAP_NET_BIND_SERVICE`).
public enum CapabilityName {
    /// Parses a comma-separated list (`net_bind_service, CAP_CHOWN`) into sorted, unique OCI names.
    ///
    /// Empty items are ignored, so `""` is the empty set (every capability dropped).
    public static func parseList(_ text: String) -> [String] {
        let names = text.split(separator: ",").compactMap { item -> String? in
            let trimmed = item.filter { $0 != " " && $0 != "\t" }
            guard !trimmed.isEmpty else { return nil }
            return ociName(String(trimmed))
        }
        return Array(Set(names)).sorted()
    }

    /// `net_bind_service` → `CAP_NET_BIND_SERVICE`.
    public static func ociName(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }
}
