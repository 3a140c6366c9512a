// SPDX-License-Identifier: Apache-2.0
// A Landlock ruleset as cinch enforces it: which rights are handled and which paths grant which.

/// A Landlock ruleset: the access rights it handles (everything handled and not granted is
/// denied) and the rules that grant rights on paths.
///
/// It is plain data, so the same value is applied by `cinch run` (in the child, before `execve`)
/// and by the `cinch-landlock` helper inside a container, which receives it as JSON
/// (``jsonValue()``, ``init(json:file:)``). The bit values are the kernel's
/// (`<linux/landlock.h>`); `LandlockTests` checks them against the C header.
public struct LandlockRuleset: Sendable, Hashable {
    /// Filesystem access rights (`LANDLOCK_ACCESS_FS_*`).
    public struct Access: OptionSet, Sendable, Hashable {
        /// The kernel's bit mask.
        public var rawValue: UInt64
        /// Creates a set from the kernel's bit mask.
        public init(rawValue: UInt64) { self.rawValue = rawValue }

        /// Execute a file (`LANDLOCK_ACCESS_FS_EXECUTE`, ABI 1).
        public static let execute = Access(rawValue: 1 << 0)
        /// Open a file for writing (ABI 1).
        public static let writeFile = Access(rawValue: 1 << 1)
        /// Open a file for reading (ABI 1).
        public static let readFile = Access(rawValue: 1 << 2)
        /// Open a directory or list its content (ABI 1).
        public static let readDirectory = Access(rawValue: 1 << 3)
        /// Remove an empty directory or rename one (ABI 1).
        public static let removeDirectory = Access(rawValue: 1 << 4)
        /// Unlink or rename a file (ABI 1).
        public static let removeFile = Access(rawValue: 1 << 5)
        /// Create a character device (ABI 1).
        public static let makeCharacterDevice = Access(rawValue: 1 << 6)
        /// Create a directory (ABI 1).
        public static let makeDirectory = Access(rawValue: 1 << 7)
        /// Create a regular file (ABI 1).
        public static let makeRegularFile = Access(rawValue: 1 << 8)
        /// Create a UNIX socket file (ABI 1).
        public static let makeSocket = Access(rawValue: 1 << 9)
        /// Create a named pipe (ABI 1).
        public static let makeFIFO = Access(rawValue: 1 << 10)
        /// Create a block device (ABI 1).
        public static let makeBlockDevice = Access(rawValue: 1 << 11)
        /// Create a symbolic link (ABI 1).
        public static let makeSymlink = Access(rawValue: 1 << 12)
        /// Link or rename a file from or to another directory (ABI 2).
        public static let refer = Access(rawValue: 1 << 13)
        /// Truncate a file (ABI 3).
        public static let truncate = Access(rawValue: 1 << 14)
        /// `ioctl` on a character or block device (ABI 5).
        public static let ioctlDevice = Access(rawValue: 1 << 15)

        /// The rights that may be granted on a file that is not a directory.
        public static let fileRights: Access = [.execute, .writeFile, .readFile, .truncate, .ioctlDevice]

        /// Every right the given kernel ABI version knows.
        public static func supported(byABI abi: Int) -> Access {
            var access = Access(rawValue: (1 << 13) - 1)
            if abi >= 2 { access.insert(.refer) }
            if abi >= 3 { access.insert(.truncate) }
            if abi >= 5 { access.insert(.ioctlDevice) }
            return abi >= 1 ? access : []
        }

        /// The rights' short names in bit order (`read_file,read_dir`), as the kernel's audit
        /// records spell them after `fs.`.
        public var names: [String] {
            let all = [
                "execute", "write_file", "read_file", "read_dir", "remove_dir", "remove_file", "make_char",
                "make_dir", "make_reg", "make_sock", "make_fifo", "make_block", "make_sym", "refer", "truncate",
                "ioctl_dev",
            ]
            return all.indices.filter { rawValue & (1 << UInt64($0)) != 0 }.map { all[$0] }
        }
    }

    /// TCP rights (`LANDLOCK_ACCESS_NET_*`, ABI 4).
    public struct NetworkAccess: OptionSet, Sendable, Hashable {
        /// The kernel's bit mask.
        public var rawValue: UInt64
        /// Creates a set from the kernel's bit mask.
        public init(rawValue: UInt64) { self.rawValue = rawValue }
        /// Bind a TCP socket to a port.
        public static let bindTCP = NetworkAccess(rawValue: 1 << 0)
        /// Connect a TCP socket to a port.
        public static let connectTCP = NetworkAccess(rawValue: 1 << 1)
    }

    /// What a rule's path must be when it is enforced.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// A file that is not a directory; only ``Access/fileRights`` apply. A directory found
        /// there is skipped, since a rule on it would grant the rights to everything beneath.
        case file
        /// A directory, and by Landlock's nature everything beneath it.
        case beneath
    }

    /// One path-beneath rule.
    public struct Rule: Sendable, Hashable {
        /// The absolute path, literal (no globs, no escapes).
        public var path: String
        /// What the path must be.
        public var kind: Kind
        /// The rights granted on it (and, for ``Kind/beneath``, on everything beneath it).
        public var access: Access

        /// Creates a rule.
        public init(path: String, kind: Kind, access: Access) {
            self.path = path
            self.kind = kind
            self.access = access
        }
    }

    /// The filesystem rights the ruleset restricts.
    public var handledAccess: Access
    /// The TCP rights it restricts (empty: TCP is not restricted).
    public var handledNetwork: NetworkAccess
    /// The rules, sorted by path and kind.
    public var rules: [Rule]

    /// Creates a ruleset.
    public init(handledAccess: Access, handledNetwork: NetworkAccess = [], rules: [Rule]) {
        self.handledAccess = handledAccess
        self.handledNetwork = handledNetwork
        self.rules = rules
    }
}

// MARK: - JSON

extension LandlockRuleset {
    /// The ruleset as JSON: `{"handledAccess": N, "handledNetwork": N, "rules": [{"path", "kind", "access"}]}`.
    public func jsonValue() -> JSONValue {
        .makeObject([
            ("handledAccess", .integer(handledAccess.rawValue)),
            ("handledNetwork", .integer(handledNetwork.rawValue)),
            (
                "rules",
                .makeArray(
                    rules.map {
                        .makeObject([
                            ("access", .integer($0.access.rawValue)), ("kind", .string($0.kind.rawValue)),
                            ("path", .string($0.path)),
                        ])
                    })
            ),
        ])
    }

    /// Reads a ruleset written by ``jsonValue()``.
    ///
    /// ## Parsing behavior
    /// Every member is required and no other member is accepted. Paths must be absolute.
    /// - Throws: ``InputError`` naming the file and JSON path of the first problem.
    public init(json bytes: [UInt8], file: String) throws(InputError) {
        let root = try JSONCursor.parse(bytes, file: file)
        var handled: Access?
        var network: NetworkAccess?
        var rules: [Rule]?
        for (key, cursor) in try root.objectMembers() {
            switch key {
            case "handledAccess": handled = Access(rawValue: try cursor.unsigned(UInt64.self))
            case "handledNetwork": network = NetworkAccess(rawValue: try cursor.unsigned(UInt64.self))
            case "rules":
                rules = []
                for element in try cursor.arrayElements() {
                    var path: String?
                    var kind: Kind?
                    var access: Access?
                    for (member, value) in try element.objectMembers() {
                        switch member {
                        case "path":
                            let text = try value.string()
                            guard text.hasPrefix("/") else { throw value.error("The path must be absolute.") }
                            path = text
                        case "kind":
                            guard let parsed = Kind(rawValue: try value.string()) else {
                                throw value.error("The kind must be \"file\" or \"beneath\".")
                            }
                            kind = parsed
                        case "access": access = Access(rawValue: try value.unsigned(UInt64.self))
                        default: throw value.error("Unknown member.")
                        }
                    }
                    guard let path, let kind, let access else {
                        throw element.error("A rule needs \"path\", \"kind\" and \"access\".")
                    }
                    rules?.append(Rule(path: path, kind: kind, access: access))
                }
            default: throw cursor.error("Unknown member.")
            }
        }
        guard let handled, let network, let rules else {
            throw root.error("A ruleset needs \"handledAccess\", \"handledNetwork\" and \"rules\".")
        }
        self.init(handledAccess: handled, handledNetwork: network, rules: rules)
    }
}
