// SPDX-License-Identifier: Apache-2.0
// Translating an AppArmor profile's file and network rules into a Landlock ruleset, with a note
// for every part Landlock cannot express.

extension LandlockRuleset {
    /// The Landlock ruleset that enforces an AppArmor profile's file rules (and TCP, when the
    /// profile allows no TCP), and a note for each part it cannot enforce exactly.
    public struct Translation: Sendable, Hashable {
        /// The ruleset.
        public var ruleset: LandlockRuleset
        /// Notes (severity `note` or `warning`), sorted by line: what is over-approximated
        /// (granted more widely than the profile says) and what is not enforced at all.
        public var notes: [Diagnostic]
    }

    /// Translates `profile`'s rules.
    ///
    /// ## Permission mapping
    /// | AppArmor | on a file (`/etc/passwd`) | beneath a directory (`/var/www/**`, `/var/www/`) |
    /// |---|---|---|
    /// | `r` | `read_file`, `ioctl_dev` | `read_file`, `read_dir`, `ioctl_dev` (for `/dir/`: `read_dir` only) |
    /// | `w` | `write_file`, `truncate`, `ioctl_dev` | those, and `make_*` (not devices), `remove_*`, `refer` |
    /// | `a` | `write_file` | `write_file`, `make_reg` |
    /// | `x` (any mode), `m` | `execute`, `read_file` | `execute`, `read_file` |
    /// | `k`, `l` | not enforced (note) | the same |
    ///
    /// ## Paths
    /// A path without globs is a ``Kind/file`` rule, or, ending in `/`, a ``Kind/beneath`` rule
    /// on that directory. A glob becomes a ``Kind/beneath`` rule on the directory its literal
    /// prefix ends in: `/var/www/**` exactly, anything else (`/etc/*.conf`, `/usr/{lib,bin}/x`)
    /// over-approximated, with a note. A path that does not start with `/` after the profile's
    /// escapes (`@{PROC}/…`, `**`) cannot be enforced and is granted nothing (note).
    public static func translating(_ profile: AppArmorProfile, file: String) -> Translation {
        var builder = TranslationBuilder(file: file)
        for include in profile.includes where !include.contains("tunables/") {
            builder.note(
                0, "landlock.include-not-expanded",
                "include \(include) is not expanded; the rules it holds are not granted under Landlock.")
        }
        for rule in profile.rules { builder.add(rule) }
        return builder.finish()
    }
}

/// Collects the rules and notes of one translation.
private struct TranslationBuilder {
    let file: String
    /// The rights granted so far, per path and kind.
    var granted: [RuleKey: LandlockRuleset.Access] = [:]
    var notes: [Diagnostic] = []
    var allowsTCP = false
    var hasNetworkRule = false

    init(file: String) { self.file = file }

    mutating func note(_ line: Int, _ id: String, _ message: String, severity: Diagnostic.Severity = .note) {
        notes.append(Diagnostic(severity, id: id, message, at: ProfileLocation(file: file, line: line)))
    }

    struct RuleKey: Hashable {
        var path: String
        var kind: LandlockRuleset.Kind
    }

    mutating func grant(_ path: String, _ kind: LandlockRuleset.Kind, _ rights: LandlockRuleset.Access) {
        guard !rights.isEmpty else { return }
        granted[RuleKey(path: path, kind: kind), default: []].formUnion(rights)
    }

    mutating func add(_ rule: AppArmorRule) {
        let line = rule.line
        switch rule.body {
        case .file(let path, let modes, let target):
            if rule.isDeny {
                note(
                    line, "landlock.deny-not-enforced",
                    "'deny \(rule)' is not enforced: Landlock can only grant, so what another rule grants stays granted.",
                    severity: .warning)
                return
            }
            if rule.isOwner {
                note(
                    line, "landlock.owner-ignored",
                    "'owner' is ignored: Landlock has no owner condition, so '\(rule)' is granted for files of any owner."
                )
            }
            if let target {
                note(
                    line, "landlock.exec-target",
                    "the exec transition '-> \(target)' is not enforced: programs run under the same Landlock ruleset.")
            }
            addFile(path: path, modes: modes, line: line)
        case .network(let family, let type, let proto):
            hasNetworkRule = true
            guard !rule.isDeny else {
                note(
                    line, "landlock.deny-not-enforced",
                    "'deny \(rule)' is not enforced: Landlock restricts TCP bind and connect only, all or nothing here.",
                    severity: .warning)
                return
            }
            let inet = family == nil || family == "inet" || family == "inet6"
            let stream = type == nil || type == "stream"
            let tcp = proto == nil || proto == "tcp"
            if inet && stream && tcp { allowsTCP = true }
        case .capability:
            note(
                line, "landlock.capability",
                "'\(rule)' is not enforced by Landlock (give the capabilities with --caps).")
        case .other(let keyword, _):
            note(line, "landlock.not-expressible", "'\(rule)' is not enforced: Landlock has no \(keyword) rules.")
        }
    }

    mutating func addFile(path pattern: String?, modes: AppArmorFileModes, line: Int) {
        guard let pattern else {
            // `file,`: every file.
            note(line, "landlock.all-files", "'file' grants every file: a rule beneath / with all rights.")
            grant("/", .beneath, .grantable)
            return
        }
        // `/{usr/,}lib/**` is two rules, `/usr/lib/**` and `/lib/**`, each as exact as it can be.
        let alternatives = PathPattern.alternatives(of: pattern) ?? [pattern]
        for alternative in alternatives {
            addFile(
                alternative: alternative, of: pattern, modes: modes, line: line,
                notesPermissions: alternative == alternatives.first)
        }
    }

    mutating func addFile(
        alternative: String, of pattern: String, modes: AppArmorFileModes, line: Int, notesPermissions: Bool
    ) {
        let split = PathPattern(alternative)
        guard split.literal.hasPrefix("/") else {
            note(
                line, "landlock.not-absolute",
                "'\(pattern)' is not enforced and grants nothing: Landlock needs an absolute path, and cinch does not expand variables.",
                severity: .warning)
            return
        }
        for letter in ["m", "k", "l"] as [Character] where notesPermissions && modes.permissions.contains(letter) {
            let what =
                switch letter {
                case "m":
                    "'m' is granted as Landlock's execute and read_file (the kernel opens a program's dynamic loader for execution), which also lets it be run with execve; Landlock does not mediate mmap itself"
                case "k": "'k' (lock) is not enforced: Landlock does not mediate file locks"
                default: "'l' (link) is not granted: Landlock checks a link as creating a file in its directory"
                }
            note(line, "landlock.permission-\(letter)", "\(what) ('\(pattern)').")
        }
        if notesPermissions, modes.exec != nil, !modes.permissions.contains("r") {
            note(
                line, "landlock.exec-reads",
                "'\(pattern)' can also be read: Landlock needs read_file as well as execute to run a program.")
        }
        if notesPermissions, let exec = modes.exec, exec != "ix", exec != "x" {
            note(
                line, "landlock.exec-mode",
                "'\(exec)' runs '\(pattern)' under the same Landlock ruleset: Landlock has no profile transitions.")
        }
        let read = modes.permissions.contains("r")
        let write = modes.permissions.contains("w")
        let append = modes.permissions.contains("a")
        let execute = modes.exec != nil || modes.permissions.contains("m")
        if let glob = split.glob {
            let directory = split.directory
            if !(glob == "**" && split.literal.hasSuffix("/")) {
                note(
                    line, "landlock.glob-widened",
                    "'\(alternative)' is granted beneath \(directory): Landlock has no globs, so its rights cover everything there.",
                    severity: .warning)
            }
            grant(directory, .beneath, Self.beneathRights(read: read, write: write, append: append, execute: execute))
        } else if split.literal.hasSuffix("/") {
            let directory = split.literal == "/" ? "/" : String(split.literal.dropLast())
            if write || append || execute {
                note(
                    line, "landlock.directory-write",
                    "'w', 'a' and 'x' on the directory '\(pattern)' are not granted: Landlock grants creating and removing per parent directory."
                )
            }
            if read {
                note(
                    line, "landlock.directory-listing",
                    "'\(pattern) r' lets every directory beneath \(directory) be listed: Landlock rights cover a whole hierarchy."
                )
                grant(directory, .beneath, .readDirectory)
            }
        } else {
            if write || append {
                note(
                    line, "landlock.file-create",
                    "creating or deleting '\(pattern)' is not granted: Landlock grants that on the whole parent directory; writing it when it exists is."
                )
            }
            var rights: LandlockRuleset.Access = []
            if read { rights.formUnion([.readFile, .ioctlDevice]) }
            if write { rights.formUnion([.writeFile, .truncate, .ioctlDevice]) }
            if append { rights.insert(.writeFile) }
            if execute { rights.formUnion([.execute, .readFile]) }
            grant(split.literal, .file, rights)
        }
    }

    static func beneathRights(read: Bool, write: Bool, append: Bool, execute: Bool) -> LandlockRuleset.Access {
        var rights: LandlockRuleset.Access = []
        if read { rights.formUnion([.readFile, .readDirectory, .ioctlDevice]) }
        if write {
            rights.formUnion([
                .writeFile, .truncate, .ioctlDevice, .makeRegularFile, .makeDirectory, .makeSymlink, .makeSocket,
                .makeFIFO, .removeFile, .removeDirectory, .refer,
            ])
        }
        if append { rights.formUnion([.writeFile, .makeRegularFile]) }
        if execute { rights.formUnion([.execute, .readFile]) }
        return rights
    }

    mutating func finish() -> LandlockRuleset.Translation {
        var network: LandlockRuleset.NetworkAccess = []
        if allowsTCP {
            note(
                0, "landlock.tcp-unrestricted",
                "TCP is not restricted: the profile allows inet/inet6 stream sockets, and AppArmor network rules name no ports."
            )
        } else {
            network = [.bindTCP, .connectTCP]
            note(
                0, "landlock.tcp-denied",
                "TCP bind and connect are denied: the profile allows no inet/inet6 stream socket.")
        }
        if hasNetworkRule || !allowsTCP {
            note(
                0, "landlock.network-families",
                "socket families, UDP and raw sockets are not restricted: Landlock mediates TCP bind and connect only.")
        }
        let rules = granted.map { LandlockRuleset.Rule(path: $0.key.path, kind: $0.key.kind, access: $0.value) }
            .sorted { ($0.path, $0.kind.rawValue) < ($1.path, $1.kind.rawValue) }
        let sorted = notes.enumerated().sorted {
            (($0.element.location?.line ?? 0), $0.offset) < (($1.element.location?.line ?? 0), $1.offset)
        }.map(\.element)
        return .init(
            ruleset: LandlockRuleset(handledAccess: .grantable, handledNetwork: network, rules: rules), notes: sorted)
    }
}

extension LandlockRuleset.Access {
    /// Every right cinch handles: all of ABI 7's, so anything no rule grants is denied.
    public static let grantable = LandlockRuleset.Access.supported(byABI: 7)
}

/// An AppArmor path split into its literal prefix (escapes removed) and the glob after it.
struct PathPattern {
    /// The literal text before the first glob character, unescaped.
    var literal: String
    /// The rest from the first unescaped glob character (`*`, `?`, `[`, `{`, `^`, `@{`), or nil.
    var glob: String?

    init(_ pattern: String) {
        let bytes = Array(pattern.utf8)
        var literal: [UInt8] = []
        var index = 0
        var glob: String?
        scan: while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\\") where index + 1 < bytes.count:
                literal.append(bytes[index + 1])
                index += 2
                continue scan
            case UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: "^"):
                glob = String(decoding: bytes[index...], as: UTF8.self)
                break scan
            case UInt8(ascii: "@") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "{"):
                glob = String(decoding: bytes[index...], as: UTF8.self)
                break scan
            default:
                literal.append(byte)
                index += 1
            }
        }
        self.literal = String(decoding: literal, as: UTF8.self)
        self.glob = glob
    }

    /// The alternatives of `{…,…}` groups, expanded (`/{usr/,}lib` → `/usr/lib`, `/lib`), or nil
    /// when there are more than 256 or the braces do not balance.
    static func alternatives(of pattern: String) -> [String]? {
        var results: [[UInt8]] = []
        var pending: [[UInt8]] = [Array(pattern.utf8)]
        while let bytes = pending.popLast() {
            guard results.count + pending.count <= 256 else { return nil }
            // The first unescaped `{` and its matching `}`, and the commas between them at depth 1.
            var open: Int?
            var commas: [Int] = []
            var depth = 0
            var close: Int?
            var index = 0
            while index < bytes.count, close == nil {
                switch bytes[index] {
                case UInt8(ascii: "\\"): index += 1
                case UInt8(ascii: "{"):
                    if depth == 0 { open = index }
                    depth += 1
                case UInt8(ascii: "}") where depth > 0:
                    depth -= 1
                    if depth == 0 { close = index }
                case UInt8(ascii: ",") where depth == 1: commas.append(index)
                case UInt8(ascii: "}"): return nil
                default: break
                }
                index += 1
            }
            guard depth == 0 else { return nil }
            guard let open, let close else {
                results.append(bytes)
                continue
            }
            let bounds = [open] + commas + [close]
            for part in 0..<(bounds.count - 1) {
                pending.append(
                    Array(bytes[..<open]) + Array(bytes[(bounds[part] + 1)..<bounds[part + 1]])
                        + Array(bytes[(close + 1)...]))
            }
        }
        return results.map { String(decoding: $0, as: UTF8.self) }.reversed()
    }

    /// The directory the literal prefix ends in: `/etc/` for `/etc/*.conf`, `/usr/lib` for `/usr/lib/x*`.
    var directory: String {
        guard let slash = literal.lastIndex(of: "/") else { return "/" }
        let directory = String(literal[..<slash])
        return directory.isEmpty ? "/" : directory
    }
}
