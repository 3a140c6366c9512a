// SPDX-License-Identifier: Apache-2.0
// The one renderer of AppArmor profiles: the model as profile text, in cinch's fixed layout.

extension AppArmorProfile {
    /// The profile as text `apparmor_parser` reads, in cinch's fixed layout.
    ///
    /// ## Layout
    /// An optional `# comment` line, `abi <…>,`, the includes, the variables, then
    /// `profile NAME [ATTACHMENT] [flags=(…)] {` with the rules in sections, separated by blank
    /// lines and each under a comment, in this order: programs (allow file rules with an exec
    /// mode), files, sockets, capabilities, signals, other rules, and last the `deny` rules. Rules
    /// keep their order within a section, so a model built sorted renders sorted. Rendering is
    /// deterministic; parsing the text gives back the same rules.
    ///
    /// File rule paths and the profile name are written as the model holds them (AppArmor glob
    /// syntax, escapes kept), and quoted when the parser would not read them back bare (a blank,
    /// a `,`, a leading `#`, a path without a leading `/`).
    /// - Parameter comment: a first line saying where the profile came from (no time stamps).
    public func rendered(comment: String? = nil) -> String {
        var lines: [String] = []
        if let comment { lines.append("# " + comment) }
        if let abi { lines += ["abi \(abi),", ""] }
        if !includes.isEmpty { lines += includes.map { "include \($0)" } + [""] }
        if !variables.isEmpty { lines += variables + [""] }
        var header = "profile \(Self.renderedName(name))"
        if let attachment { header += " " + Self.renderedPath(attachment) }
        if !flags.isEmpty { header += " flags=(\(flags.joined(separator: ",")))" }
        lines.append(header + " {")
        let sections = Section.allCases.compactMap { section -> [String]? in
            let members = rules.filter { Section(of: $0) == section }
            return members.isEmpty ? nil : ["# " + section.comment] + members.map(Self.rendered)
        }
        for (index, section) in sections.enumerated() {
            if index > 0 { lines.append("") }
            lines += section.map { "  " + $0 }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    /// One rule as profile text, without indentation, ending with `,`.
    public static func rendered(_ rule: AppArmorRule) -> String {
        var prefix = ""
        if rule.isAudit { prefix += "audit " }
        if rule.isDeny { prefix += "deny " }
        if rule.isOwner { prefix += "owner " }
        switch rule.body {
        case .file(let path, let modes, let target):
            guard let path else { return prefix + "file," }
            return prefix + renderedPath(path) + " " + modes.description
                + (target.map { " -> " + renderedPath($0) } ?? "") + ","
        default:
            return prefix + rule.description + ","
        }
    }

    /// `path`, quoted unless the parser reads it back bare as one path (``isBareWord(_:asPath:)``).
    static func renderedPath(_ path: String) -> String {
        isBareWord(path, asPath: true) ? path : "\"" + path + "\""
    }

    /// `name`, quoted unless the parser reads it back bare as one word.
    static func renderedName(_ name: String) -> String {
        isBareWord(name, asPath: false) ? name : "\"" + name + "\""
    }

    /// Whether the tokenizer reads `text` written bare as exactly one word with that text, and
    /// (`asPath`) one that starts like a path (`/`, `@{`, `**`), as a rule's path must.
    ///
    /// A word ends at a blank, or at `,` or `}` outside braces, unless inside parentheses, and
    /// its parentheses and braces balance; a `#` or `"` cannot start one. A backslash escapes the
    /// next byte. Any other text is quoted (a quoted string keeps everything but a line break or
    /// an unescaped `"`, which no parsed name or path holds).
    static func isBareWord(_ text: String, asPath: Bool) -> Bool {
        guard let first = text.utf8.first, first != UInt8(ascii: "#"), first != UInt8(ascii: "\""),
            !asPath || text.hasPrefix("/") || text.hasPrefix("@{") || text.hasPrefix("**")
        else { return false }
        var escaped = false
        var parentheses = 0
        var braces = 0
        for byte in text.utf8 {
            if escaped {
                escaped = false
                continue
            }
            switch byte {
            case UInt8(ascii: "\\"): escaped = true
            case UInt8(ascii: "("): parentheses += 1
            case UInt8(ascii: ")"):
                guard parentheses > 0 else { return false }
                parentheses -= 1
            case UInt8(ascii: "{"): braces += 1
            case UInt8(ascii: "}"):
                guard braces > 0 || parentheses > 0 else { return false }
                braces -= 1
            case UInt8(ascii: ","):
                guard braces > 0 || parentheses > 0 else { return false }
            case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
                guard parentheses > 0 else { return false }
            default: break
            }
            guard parentheses <= AppArmorProfile.nestingLimit, braces <= AppArmorProfile.nestingLimit else {
                return false
            }
        }
        return !escaped && parentheses == 0 && braces == 0
    }

    /// The sections of the layout, in order.
    enum Section: CaseIterable {
        case programs, files, sockets, capabilities, signals, other, denials

        init(of rule: AppArmorRule) {
            if rule.isDeny {
                self = .denials
                return
            }
            switch rule.body {
            case .file(_, let modes, _): self = modes.exec == nil ? .files : .programs
            case .network: self = .sockets
            case .capability: self = .capabilities
            case .other(let keyword, _): self = keyword == "signal" ? .signals : .other
            }
        }

        var comment: String {
            switch self {
            case .programs: "Programs it ran; they run under this profile (ix)."
            case .files: "Files."
            case .sockets: "Sockets."
            case .capabilities: "Capabilities."
            case .signals:
                "Not observable in traces: the runtime may stop the container, and its processes may signal each other."
            case .other: "Other rules."
            case .denials: "Kernel interfaces no container needs; deny rules win over any allow rule."
            }
        }
    }
}

extension AppArmorFileModes {
    /// The AppArmor permissions for a trace's access letters, and the letters that are none.
    ///
    /// `r` → `r`; `w`, `c` (create) and `d` (delete) → `w`, since AppArmor grants creating and
    /// deleting with `w`; `a` → `a` unless `w` is granted, which includes append; `l`, `k` and
    /// `m` as they are; `x` → `ix` (the program runs under the same profile).
    public init(traceLetters letters: Set<Character>) {
        var permissions: Set<Character> = []
        var exec: String?
        for letter in letters {
            switch letter {
            case "r", "a", "l", "k", "m": permissions.insert(letter)
            case "w", "c", "d": permissions.insert("w")
            case "x": exec = "ix"
            default: continue
            }
        }
        if permissions.contains("w") { permissions.remove("a") }
        self.init(permissions, exec: exec)
    }

    /// The trace access letters that are not AppArmor file accesses (`r w a c d x m k l`).
    public static func unknownTraceLetters(in letters: Set<Character>) -> Set<Character> {
        letters.subtracting(["r", "w", "a", "c", "d", "x", "m", "k", "l"])
    }

    /// Removes what the AppArmor permissions `denied` forbid (`w` forbids append too; `x` any
    /// exec mode) and returns what was removed.
    public mutating func remove(_ denied: String) -> AppArmorFileModes {
        let before = self
        for letter in denied {
            switch letter {
            case "w":
                permissions.remove("w")
                permissions.remove("a")
            case "x": exec = nil
            default: permissions.remove(letter)
            }
        }
        return AppArmorFileModes(
            before.permissions.subtracting(permissions), exec: exec == nil ? before.exec : nil)
    }
}
