// SPDX-License-Identifier: Apache-2.0
// An AppArmor profile: one top-level profile and its rules, as the generator builds it, the
// renderer prints it and the diff reads it.

/// One AppArmor profile: its header, the files it includes and its rules.
///
/// ## Format
/// The subset that cinch and typical container profiles (Docker's `docker-default` template)
/// use:
/// - `#include <…>`, `include <…>`, `include if exists <…>` and `abi <…>,` lines;
/// - variable assignments `@{NAME}=…` on one line (recorded, not expanded);
/// - one top-level `profile NAME [ATTACHMENT] [flags=(…)] {` … `}` or `/path [flags=(…)] {` … `}`;
/// - rules ending with `,`: file rules (`[owner] PATH MODES [-> TARGET],` and
///   `[owner] file [MODES PATH],`), `capability`, `network`, `signal`, `ptrace`, `mount`,
///   `remount`, `umount`, `pivot_root`, and `dbus`, `unix`, `change_profile`, `rlimit`/`set rlimit`,
///   `link`, `userns`, `io_uring`, `mqueue` (kept as text), each optionally prefixed by `audit`,
///   `deny`, `allow` and `owner`.
///
/// ## Parsing behavior
/// `#` starts a comment (except in `#include`) and runs to the end of the line; `\` before a line
/// break continues the line. Paths may be quoted (`"/srv/my files/**"`). Variables such as
/// `@{HOME}` are kept literally. Parenthesised lists (`(send, receive)`) are normalised to a sorted,
/// comma-separated form, so their order and spacing do not matter.
///
/// Nested profiles, hats (`^name {`) and conditionals are rejected as unsupported; so are unknown
/// rule keywords, unknown file modes, `w` together with `a`, and a plain `x` outside a `deny`
/// rule. Every error names `file:line`. Arbitrary bytes never crash the parser: invalid UTF-8 is
/// replaced, and parentheses and braces nest at most ``nestingLimit`` deep.
public struct AppArmorProfile: Sendable, Hashable {
    /// How deep parentheses and braces may nest inside one token.
    public static let nestingLimit = 16

    /// The profile name (`docker-default`, or the attachment path for `/usr/bin/foo {`).
    public var name: String
    /// The attachment glob after the name, when there is one.
    public var attachment: String?
    /// The `flags=(…)`, sorted.
    public var flags: [String]
    /// Included files as written (`<abstractions/base>`, `"local/foo"`), sorted and unique.
    public var includes: [String]
    /// The `abi <…>` target, when given.
    public var abi: String?
    /// Variable assignments as written (`@{HOME}=/home/*/ /root/`), in file order.
    public var variables: [String]
    /// The rules, in file order.
    public var rules: [AppArmorRule]

    /// Creates a profile from its parts.
    public init(
        name: String, attachment: String? = nil, flags: [String] = [], includes: [String] = [], abi: String? = nil,
        variables: [String] = [], rules: [AppArmorRule]
    ) {
        self.name = name
        self.attachment = attachment
        self.flags = flags
        self.includes = includes
        self.abi = abi
        self.variables = variables
        self.rules = rules
    }

    /// Parses a profile.
    ///
    /// - Parameters:
    ///   - bytes: The file's contents.
    ///   - file: The path, used in error messages.
    /// - Throws: ``InputError`` naming `file:line` for a syntax error or an unsupported construct.
    public init(bytes: [UInt8], file: String) throws(InputError) {
        self = try AppArmorProfileParser(bytes: bytes, file: file).parse()
    }

    /// Whether `bytes` look like an AppArmor profile: the first token that is not a comment is
    /// `profile`, `#include`, `include`, `abi`, a variable `@{…}`, or a path followed on its line
    /// by `{`.
    public static func looksLikeProfile(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes.prefix(64 * 1024), as: UTF8.self)
        for rawLine in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = rawLine.drop { $0 == " " || $0 == "\t" }
            if line.isEmpty { continue }
            if line.hasPrefix("#include") { return true }
            if line.hasPrefix("#") { continue }
            let token = line.prefix { $0 != " " && $0 != "\t" && $0 != "<" && $0 != "," }
            switch token {
            case "profile", "include", "abi": return true
            default:
                if token.hasPrefix("@{") { return true }
                return token.hasPrefix("/") && line.contains("{")
            }
        }
        return false
    }
}

/// One rule of an ``AppArmorProfile``.
public struct AppArmorRule: Sendable, Hashable, CustomStringConvertible {
    /// What the rule is about.
    public enum Body: Sendable, Hashable {
        /// File access. `path` nil is the bare `file,` rule (every file, every mode).
        case file(path: String?, modes: AppArmorFileModes, target: String?)
        /// `capability a b,`; an empty list is `capability,` (every capability).
        case capability([String])
        /// `network [family] [type] [protocol],`; all nil is `network,`.
        case network(family: String?, type: String?, protocol: String?)
        /// Rules compared as normalised text: `keyword` is `signal`, `ptrace`, `mount`, `remount`,
        /// `umount`, `pivot_root`, `dbus`, `unix`, `change_profile`, `rlimit`, `link`, `userns`,
        /// `io_uring` or `mqueue`; `arguments` is the rest (empty for the bare keyword, which
        /// allows everything of that kind).
        case other(keyword: String, arguments: String)
    }

    /// The rule.
    public var body: Body
    /// `deny`: the rule forbids instead of allowing.
    public var isDeny: Bool
    /// `audit`: uses are logged. Not a privilege; ignored by the diff.
    public var isAudit: Bool
    /// `owner`: only files owned by the process's fsuid.
    public var isOwner: Bool
    /// The 1-based line the rule starts on.
    public var line: Int

    /// Creates a rule.
    public init(_ body: Body, isDeny: Bool = false, isAudit: Bool = false, isOwner: Bool = false, line: Int = 0) {
        self.body = body
        self.isDeny = isDeny
        self.isAudit = isAudit
        self.isOwner = isOwner
        self.line = line
    }

    /// The category the diff groups the rule under: `file`, `exec`, `capability`, `network`, or
    /// the keyword of an ``Body/other(keyword:arguments:)`` rule.
    public var category: String {
        switch body {
        case .file(_, let modes, _): modes.exec == nil ? "file" : "exec"
        case .capability: "capability"
        case .network: "network"
        case .other(let keyword, _): keyword
        }
    }

    /// The rule in AppArmor syntax without qualifiers or the trailing comma
    /// (`/etc/passwd r`, `capability sys_admin`, `network inet raw`).
    public var description: String {
        switch body {
        case .file(let path, let modes, let target):
            guard let path else { return "file" }
            return Self.quoted(path) + " " + modes.description + (target.map { " -> " + $0 } ?? "")
        case .capability(let names): return (["capability"] + names).joined(separator: " ")
        case .network(let family, let type, let proto):
            return (["network"] + [family, type, proto].compactMap { $0 }).joined(separator: " ")
        case .other(let keyword, let arguments): return arguments.isEmpty ? keyword : keyword + " " + arguments
        }
    }

    private static func quoted(_ path: String) -> String {
        path.contains(" ") ? "\"" + path + "\"" : path
    }
}

/// The access modes of a file rule.
///
/// `r` read, `w` write (which includes append), `a` append, `l` link, `k` lock, `m` mmap with
/// `PROT_EXEC`, and at most one exec mode: `ix` (inherit), `px`/`Px` (discrete profile),
/// `cx`/`Cx` (child profile), `ux`/`Ux` (unconfined), the fallbacks `pix`, `Pix`, `cix`, `Cix`,
/// `pux`, `PUx`, `cux`, `CUx`, and a plain `x` in `deny` rules. Upper case means the environment
/// is scrubbed.
public struct AppArmorFileModes: Sendable, Hashable, CustomStringConvertible {
    /// The non-exec permissions, each one of `r`, `w`, `a`, `l`, `k`, `m`.
    public var permissions: Set<Character>
    /// The exec mode (`ix`, `Px`, …), or nil.
    public var exec: String?

    /// Every exec mode AppArmor accepts.
    public static let execModes: Set<String> = [
        "x", "ix", "px", "Px", "cx", "Cx", "ux", "Ux", "pix", "Pix", "cix", "Cix", "pux", "PUx", "cux", "CUx",
    ]

    /// The order in which permissions are written.
    static let order: [Character] = ["r", "w", "a", "l", "k", "m"]

    /// Creates modes.
    public init(_ permissions: Set<Character> = [], exec: String? = nil) {
        self.permissions = permissions
        self.exec = exec
    }

    /// Every mode: what a bare `file,` rule grants.
    public static let all = AppArmorFileModes(["r", "w", "a", "l", "k", "m"], exec: "ix")

    /// Parses a mode string such as `rw`, `mrix` or `Px`; nil when it is not one.
    public init?(parsing text: some StringProtocol) {
        var permissions: Set<Character> = []
        var exec: String?
        var pending = ""
        for character in text {
            switch character {
            case "r", "w", "a", "l", "k", "m":
                guard pending.isEmpty else { return nil }
                permissions.insert(character)
            case "i", "p", "P", "u", "U", "c", "C":
                pending.append(character)
            case "x":
                guard exec == nil, Self.execModes.contains(pending + "x") else { return nil }
                exec = pending + "x"
                pending = ""
            default: return nil
            }
        }
        guard pending.isEmpty, !permissions.isEmpty || exec != nil else { return nil }
        self.init(permissions, exec: exec)
    }

    /// Whether there is no permission and no exec mode.
    public var isEmpty: Bool { permissions.isEmpty && exec == nil }

    /// Whether the modes grant `permission` (`w` grants `a` too).
    public func grants(_ permission: Character) -> Bool {
        permissions.contains(permission) || (permission == "a" && permissions.contains("w"))
    }

    /// Whether the exec mode `exec` is granted: the same mode, or one that differs only by
    /// scrubbing the environment (`ux` grants `Ux`).
    public func grants(exec other: String) -> Bool {
        guard let exec else { return false }
        return exec == other || exec == other.lowercased()
    }

    /// `rwix`: permissions in AppArmor's usual order, then the exec mode.
    public var description: String {
        String(Self.order.filter { permissions.contains($0) }) + (exec ?? "")
    }
}
