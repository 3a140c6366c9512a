// SPDX-License-Identifier: Apache-2.0
// What AppArmor's profile language accepts, and how a concrete path becomes an exact rule.

extension AppArmorProfile {
    /// The socket families `apparmor_parser` (3.0) accepts in `network` rules.
    public static let networkFamilies: Set<String> = [
        "unix", "inet", "ax25", "ipx", "appletalk", "netrom", "bridge", "atmpvc", "x25", "inet6", "rose", "netbeui",
        "security", "key", "netlink", "packet", "ash", "econet", "atmsvc", "rds", "sna", "irda", "pppox", "wanpipe",
        "llc", "ib", "mpls", "can", "tipc", "bluetooth", "iucv", "rxrpc", "isdn", "phonet", "ieee802154", "caif",
        "alg", "nfc", "vsock", "kcm", "qipcrtr", "smc", "xdp", "mctp",
    ]

    /// The socket types `apparmor_parser` (3.0) accepts in `network` rules. The kernel's `dccp`
    /// type has no AppArmor name.
    public static let socketTypes: Set<String> = ["stream", "dgram", "seqpacket", "rdm", "raw", "packet"]

    /// The longest path Linux resolves (`PATH_MAX`), in bytes.
    public static let pathLimit = 4096

    /// The bytes escaped with a backslash in a path: AppArmor's glob characters (`* ? [ ] { } ^`),
    /// the escape itself, the rule separator `,`, the characters the profile lexer stops at
    /// (space, `"`, `!`), `@` (variables such as `@{HOME}`), `#` (comments) and the parentheses
    /// of rule lists.
    public static let escapedBytes: Set<UInt8> = Set("*?[]{}^\\,\" !@#()".utf8)

    /// Why `path` cannot be written as a rule that matches exactly it, or nil when it can.
    ///
    /// A path must be absolute, at most ``pathLimit`` bytes, and free of control characters
    /// (U+0000–U+001F, U+007F–U+009F: a newline would end the rule), Unicode line and paragraph
    /// separators and bidirectional controls (they make the profile read differently from what
    /// it does), and U+FFFD (bytes that were not UTF-8, so the real name is lost).
    public static func unrepresentableReason(_ path: String) -> String? {
        guard path.hasPrefix("/") else { return "is not an absolute path" }
        guard path.utf8.count <= pathLimit else { return "is longer than PATH_MAX (\(pathLimit) bytes)" }
        for scalar in path.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F:
                return "contains a control character"
            case 0x2028, 0x2029, 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069:
                return
                    "contains a line separator or bidirectional control, which would make the profile read differently from what it does"
            case 0xFFFD:
                return "contains U+FFFD, which stands for bytes that were not UTF-8, so the real name is unknown"
            default:
                continue
            }
        }
        return nil
    }

    /// `path` as an unquoted AppArmor file glob that matches exactly `path`.
    ///
    /// Each byte of ``escapedBytes`` gets a backslash (`/tmp/*` → `/tmp/\*`). A trailing
    /// backslash is written as the set `[\\]`: `apparmor_parser` would read `\\` followed by the
    /// space before the permissions as an escaped space. Call it only for paths
    /// ``unrepresentableReason(_:)`` accepts.
    public static func escapedPath(_ path: String) -> String {
        precondition(unrepresentableReason(path) == nil, "escapedPath(_:) needs a representable path")
        let bytes = Array(path.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 8)
        for (index, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\\"), index == bytes.count - 1 {
                result += Array(#"[\\]"#.utf8)
            } else {
                if escapedBytes.contains(byte) { result.append(UInt8(ascii: "\\")) }
                result.append(byte)
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

}
