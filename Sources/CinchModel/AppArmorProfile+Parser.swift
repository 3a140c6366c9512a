// SPDX-License-Identifier: Apache-2.0
// The tokenizer and parser behind AppArmorProfile(bytes:file:). Byte-level, no recursion, no traps.

/// Parses the AppArmor subset described on ``AppArmorProfile``.
struct AppArmorProfileParser {
    /// A lexical token.
    struct Token {
        enum Kind: Equatable {
            case word
            case quoted
            case comma
            case open
            case close
        }

        var kind: Kind
        var text: String
        /// The physical 1-based line it starts on.
        var line: Int
        /// Lines joined by `\` count as one logical line.
        var logicalLine: Int

        var isPathLike: Bool {
            kind == .quoted || (kind == .word && (text.hasPrefix("/") || text.hasPrefix("@{") || text.hasPrefix("**")))
        }
    }

    let bytes: [UInt8]
    let file: String

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    private func error(_ message: String, line: Int) -> InputError {
        InputError(message, at: ProfileLocation(file: file, line: line))
    }

    // MARK: - Tokens

    func tokenize() throws(InputError) -> [Token] {
        var tokens: [Token] = []
        var index = 0
        var line = 1
        var logical = 1
        let count = bytes.count
        func isSpace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C
        }
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                var next = index + 1
                if next < count, bytes[next] == 0x0D { next += 1 }
                if next < count, bytes[next] == 0x0A {
                    index = next + 1
                    line += 1
                    continue
                }
            }
            if byte == 0x0A {
                line += 1
                logical += 1
                index += 1
                continue
            }
            if isSpace(byte) {
                index += 1
                continue
            }
            let start = Token(kind: .word, text: "", line: line, logicalLine: logical)
            switch byte {
            case UInt8(ascii: "#"):
                if bytes[index...].starts(with: "#include".utf8) {
                    var token = start
                    token.text = "#include"
                    tokens.append(token)
                    index += 8
                } else {
                    while index < count, bytes[index] != 0x0A { index += 1 }
                }
                continue
            case UInt8(ascii: ","), UInt8(ascii: "{"), UInt8(ascii: "}"):
                let kind: Token.Kind = byte == UInt8(ascii: ",") ? .comma : byte == UInt8(ascii: "{") ? .open : .close
                tokens.append(
                    Token(kind: kind, text: String(UnicodeScalar(byte)), line: line, logicalLine: logical))
                index += 1
                continue
            case UInt8(ascii: "\""):
                var text: [UInt8] = []
                index += 1
                while true {
                    guard index < count, bytes[index] != 0x0A else {
                        throw error("The quoted string is not closed on its line.", line: start.line)
                    }
                    if bytes[index] == UInt8(ascii: "\"") { break }
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < count, bytes[index + 1] != 0x0A {
                        // Kept as written, as in a word: inside quotes too, `\*` is a literal `*` to
                        // the glob, not a wildcard (dropping the backslash widened the rule).
                        text += [bytes[index], bytes[index + 1]]
                        index += 2
                        continue
                    }
                    text.append(bytes[index])
                    index += 1
                }
                index += 1
                var token = start
                token.kind = .quoted
                token.text = String(decoding: text, as: UTF8.self)
                tokens.append(token)
                continue
            default:
                break
            }
            // A word: braces and parentheses nest inside it, and commas inside them do not end it.
            var text: [UInt8] = []
            var braces = 0
            var parentheses = 0
            while index < count {
                let byte = bytes[index]
                // Spaces end a word unless inside parentheses (`(send, receive)`); alternations
                // `{a,b}` never contain spaces, so an unclosed brace is reported on its own line.
                if parentheses == 0, isSpace(byte) || byte == 0x0A { break }
                if braces == 0, parentheses == 0, byte == UInt8(ascii: ",") || byte == UInt8(ascii: "}") { break }
                if byte == UInt8(ascii: "\\"), index + 1 < count {
                    if bytes[index + 1] == 0x0A {
                        line += 1
                        index += 2
                        continue
                    }
                    text += [byte, bytes[index + 1]]
                    index += 2
                    continue
                }
                switch byte {
                case UInt8(ascii: "{"): braces += 1
                case UInt8(ascii: "}"): braces -= 1
                case UInt8(ascii: "("): parentheses += 1
                case UInt8(ascii: ")"):
                    guard parentheses > 0 else { throw error("Unbalanced ')'.", line: line) }
                    parentheses -= 1
                case 0x0A:
                    line += 1
                    logical += 1
                default: break
                }
                guard braces <= AppArmorProfile.nestingLimit, parentheses <= AppArmorProfile.nestingLimit else {
                    throw error(
                        "Braces or parentheses nest more than \(AppArmorProfile.nestingLimit) deep.", line: start.line)
                }
                text.append(byte)
                index += 1
            }
            guard braces == 0, parentheses == 0 else {
                throw error("Unbalanced '{' or '(' in \"\(Self.excerpt(text))\".", line: start.line)
            }
            var token = start
            token.text = Self.normalizingLists(String(decoding: text, as: UTF8.self))
            tokens.append(token)
        }
        return tokens
    }

    /// `(send, receive)` → `(receive,send)` inside a word; other text is unchanged. An escaped
    /// character (`\(` in a path) is text, never a list's bracket or separator, and a group with
    /// braces or a nested group is not a list: `({a b})` split at the blank would unbalance its braces, so only its
    /// blanks and line breaks are made single spaces.
    static func normalizingLists(_ text: String) -> String {
        guard text.contains("(") else { return text }
        var result = ""
        var group = ""
        var depth = 0
        var escaped = false
        for character in text {
            if escaped || character == "\\" {
                // The backslash and the character it escapes go through as they are.
                escaped.toggle()
                if depth == 0 { result.append(character) } else { group.append(character) }
                continue
            }
            switch character {
            case "(" where depth == 0:
                depth = 1
                group = ""
            case ")" where depth == 1:
                depth = 0
                // A group with braces or with a group inside is not a flat list: splitting it
                // splits its inner groups, and sorting the pieces unbalances them.
                guard !group.contains("{"), !group.contains("}"), !group.contains("(") else {
                    // Its blanks stay, one space each: a line break would end the quotes a
                    // rendering puts around a name or path with a blank.
                    let words = splitting(group, atCommas: false)
                    result += "(" + words.joined(separator: " ") + ")"
                    continue
                }
                let items = splitting(group, atCommas: true)
                result += "(" + Set(items).sorted().joined(separator: ",") + ")"
            default:
                if depth == 0 {
                    result.append(character)
                } else {
                    if character == "(" { depth += 1 }
                    if character == ")" { depth -= 1 }
                    group.append(character)
                }
            }
        }
        return result
    }

    /// The items of a list, split at blanks and line breaks (and commas): an escaped separator
    /// (`\,`, `\ `) stays in its item with its backslash.
    static func splitting(_ group: String, atCommas: Bool) -> [String] {
        var items: [String] = []
        var current = ""
        var escaped = false
        for character in group {
            if escaped || character == "\\" {
                escaped.toggle()
                current.append(character)
                continue
            }
            if character == " " || character == "\t" || character == "\n" || character == "\r"
                || (atCommas && character == ",")
            {
                if !current.isEmpty { items.append(current) }
                current = ""
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { items.append(current) }
        return items
    }

    private static func excerpt(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(40), as: UTF8.self)
        return bytes.count > 40 ? text + "…" : text
    }

    // MARK: - Structure

    func parse() throws(InputError) -> AppArmorProfile {
        let tokens = try tokenize()
        var index = 0
        var includes: Set<String> = []
        var abi: String?
        var variables: [String] = []
        var profile: AppArmorProfile?

        /// The words of the rest of `token`'s logical line, starting after it.
        func restOfLine(after token: Token) -> [Token] {
            var words: [Token] = []
            while index < tokens.count, tokens[index].logicalLine == token.logicalLine,
                tokens[index].kind == .word || tokens[index].kind == .quoted
            {
                words.append(tokens[index])
                index += 1
            }
            return words
        }

        func include(_ token: Token) throws(InputError) {
            var words = restOfLine(after: token)
            if words.first?.text == "if", words.dropFirst().first?.text == "exists" { words.removeFirst(2) }
            guard words.count == 1, let target = words.first else {
                throw error("'\(token.text)' needs one <file> or \"file\" on the same line.", line: token.line)
            }
            // The target's quotes, not the keyword's: "file" and <file> are different includes.
            includes.insert(target.kind == .quoted ? "\"\(target.text)\"" : target.text)
        }

        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch (token.kind, token.text) {
            case (.word, "#include"), (.word, "include"):
                try include(token)
            case (.word, "abi"):
                let words = restOfLine(after: token)
                guard words.count == 1, index < tokens.count, tokens[index].kind == .comma else {
                    throw error("'abi' needs one <file> followed by ','.", line: token.line)
                }
                index += 1
                abi = words[0].text
            case (.word, let text) where text.hasPrefix("@{"):
                let words = [token] + restOfLine(after: token)
                let assignment = words.map(\.text).joined(separator: " ")
                guard assignment.contains("=") else {
                    throw error("Expected a variable assignment '@{NAME}=…'.", line: token.line)
                }
                variables.append(assignment)
            case (.word, "profile"),
                (.quoted, _),
                (.word, _) where token.isPathLike:
                guard profile == nil else {
                    throw error("Only one top-level profile per file is supported.", line: token.line)
                }
                var header = token.text == "profile" && token.kind == .word ? [] : [token]
                while index < tokens.count, tokens[index].kind == .word || tokens[index].kind == .quoted {
                    header.append(tokens[index])
                    index += 1
                }
                guard index < tokens.count, tokens[index].kind == .open else {
                    throw error("Expected '{' to open the profile.", line: token.line)
                }
                index += 1
                var parsed = try parseHeader(header, line: token.line)
                parsed.rules = try parseBody(tokens, &index, opening: token.line, includes: &includes)
                profile = parsed
            case (.word, "hat"),
                (.word, _) where token.text.hasPrefix("^"):
                throw error(
                    "Hats are not supported outside a profile, and cinch compares one profile.", line: token.line)
            default:
                throw error("Unexpected '\(token.text)' outside a profile.", line: token.line)
            }
        }
        guard var result = profile else { throw error("No profile found.", line: 1) }
        result.includes = includes.sorted()
        result.abi = abi
        result.variables = variables
        return result
    }

    private func parseHeader(_ header: [Token], line: Int) throws(InputError) -> AppArmorProfile {
        guard let nameToken = header.first else { throw error("The profile has no name.", line: line) }
        var attachment: String?
        var flagText: String?
        var rest = Array(header.dropFirst())
        while let next = rest.first {
            rest.removeFirst()
            if next.kind == .word, next.text.hasPrefix("flags") {
                // `flags=(a,b)`, `flags = (a,b)` or `flags=(a, b)` split by the tokenizer.
                var joined = next.text
                while let more = rest.first {
                    joined += more.text
                    rest.removeFirst()
                }
                flagText = joined
            } else if attachment == nil, next.isPathLike {
                attachment = next.text
            } else {
                throw error("Unexpected '\(next.text)' in the profile header.", line: next.line)
            }
        }
        var flags: [String] = []
        if let flagText {
            let body = flagText.dropFirst("flags".count).drop { $0 == " " || $0 == "=" }
            // One list: `flags=(a)x(b)` is not flags, and reading it as "a)x(b" made a flag no
            // rendering reads back.
            let list = body.dropFirst().dropLast()
            guard body.hasPrefix("("), body.hasSuffix(")"), !list.contains("("), !list.contains(")") else {
                throw error("Expected flags=(…), not '\(flagText)'.", line: line)
            }
            // A flag is one word (`complain`, `attach_disconnected`, `error=EPERM`,
            // `attach_disconnected.path=/x`): a list that runs over lines or holds rules is not flags.
            var words: Set<String> = []
            for item in list.split(separator: ",", omittingEmptySubsequences: false) {
                let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
                let word = String(item.drop(while: blank).reversed().drop(while: blank).reversed())
                guard !word.isEmpty, word.unicodeScalars.allSatisfy(Self.isFlagScalar) else {
                    throw error("Expected flags=(word, …), not the flag '\(word)'.", line: line)
                }
                words.insert(word)
            }
            flags = words.sorted()
        }
        return AppArmorProfile(name: nameToken.text, attachment: attachment, flags: flags, rules: [])
    }

    /// The characters of one profile flag: letters, digits and `_ . - = / @`.
    private static func isFlagScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "A"..."Z", "0"..."9", "_", ".", "-", "=", "/", "@": true
        default: false
        }
    }

    private func parseBody(
        _ tokens: [Token], _ index: inout Int, opening: Int, includes: inout Set<String>
    ) throws(InputError) -> [AppArmorRule] {
        var rules: [AppArmorRule] = []
        var current: [Token] = []
        while index < tokens.count {
            let token = tokens[index]
            index += 1
            switch token.kind {
            case .close:
                guard current.isEmpty else {
                    throw error(
                        "The rule '\(current.map(\.text).joined(separator: " "))' does not end with ','.",
                        line: current[0].line)
                }
                return rules
            case .open:
                let what =
                    current.first?.text.hasPrefix("^") == true || current.first?.text == "hat"
                    ? "Hats" : "Nested profiles and blocks"
                throw error("\(what) are not supported; cinch compares one flat profile.", line: token.line)
            case .comma:
                guard !current.isEmpty else {
                    throw error("Empty rule: a ',' with nothing before it.", line: token.line)
                }
                rules.append(try parseRule(current))
                current = []
            case .word, .quoted:
                if current.isEmpty, token.kind == .word, token.text == "#include" || token.text == "include" {
                    var words: [String] = []
                    while index < tokens.count, tokens[index].logicalLine == token.logicalLine,
                        tokens[index].kind == .word || tokens[index].kind == .quoted
                    {
                        words.append(tokens[index].kind == .quoted ? "\"\(tokens[index].text)\"" : tokens[index].text)
                        index += 1
                    }
                    if words.first == "if", words.dropFirst().first == "exists" { words.removeFirst(2) }
                    guard words.count == 1, let target = words.first else {
                        throw error("'\(token.text)' needs one <file> or \"file\" on the same line.", line: token.line)
                    }
                    includes.insert(target)
                } else {
                    current.append(token)
                }
            }
        }
        throw error("The profile opened on line \(opening) is not closed with '}'.", line: opening)
    }

    // MARK: - Rules

    static let otherKeywords: Set<String> = [
        "signal", "ptrace", "mount", "remount", "umount", "pivot_root", "dbus", "unix", "change_profile", "rlimit",
        "link", "userns", "io_uring", "mqueue",
    ]

    /// AppArmor's socket families and types: one list, the model's, so the rules cinch writes
    /// and the rules it reads never disagree (a second copy once knew `seq` for `seqpacket`).
    static let families = AppArmorProfile.networkFamilies

    static let socketTypes = AppArmorProfile.socketTypes

    /// The capability names AppArmor knows, without `CAP_`, in lower case: the 41 of
    /// ``CapabilityList/all``.
    static let capabilities = Set(CapabilityList.all.map { CapabilityList.shortName($0).lowercased() })

    static let protocols: Set<String> = ["tcp", "udp", "icmp"]

    func parseRule(_ tokens: [Token]) throws(InputError) -> AppArmorRule {
        let line = tokens[0].line
        var words = tokens[...]
        var isDeny = false
        var isAudit = false
        var isOwner = false
        while let first = words.first, first.kind == .word {
            switch first.text {
            case "deny": isDeny = true
            case "audit": isAudit = true
            case "owner": isOwner = true
            case "allow": break
            default: break
            }
            guard ["deny", "audit", "owner", "allow"].contains(first.text) else { break }
            words.removeFirst()
        }
        guard let keyword = words.first else { throw error("The rule has only qualifiers.", line: line) }
        let arguments = Array(words.dropFirst())
        func rule(_ body: AppArmorRule.Body) -> AppArmorRule {
            AppArmorRule(body, isDeny: isDeny, isAudit: isAudit, isOwner: isOwner, line: line)
        }
        if keyword.isPathLike {
            return rule(try fileBody(path: keyword, rest: arguments, isDeny: isDeny, line: line))
        }
        switch keyword.text {
        case "file":
            guard let first = arguments.first else {
                return rule(.file(path: nil, modes: .all, target: nil))
            }
            if first.isPathLike {
                return rule(try fileBody(path: first, rest: Array(arguments.dropFirst()), isDeny: isDeny, line: line))
            }
            guard arguments.count >= 2, arguments[1].isPathLike else {
                throw error("Expected 'file MODES PATH' or 'file PATH MODES'.", line: line)
            }
            return rule(
                try fileBody(path: arguments[1], rest: [first] + arguments.dropFirst(2), isDeny: isDeny, line: line))
        case "capability":
            var names: Set<String> = []
            for argument in arguments {
                let name = argument.text.lowercased()
                guard !name.isEmpty, argument.kind == .word,
                    Self.capabilities.contains(name)
                else { throw error("'\(argument.text)' is not a Linux capability name.", line: argument.line) }
                names.insert(name)
            }
            return rule(.capability(names.sorted()))
        case "network":
            var family: String?
            var type: String?
            var proto: String?
            for argument in arguments {
                let word = argument.text
                if family == nil, type == nil, proto == nil, Self.families.contains(word) {
                    family = word
                } else if type == nil, proto == nil, Self.socketTypes.contains(word) {
                    type = word
                } else if proto == nil, Self.protocols.contains(word) {
                    proto = word
                } else {
                    throw error("'\(word)' is not a network family, socket type or protocol here.", line: argument.line)
                }
            }
            return rule(.network(family: family, type: type, protocol: proto))
        case "set" where arguments.first?.text == "rlimit":
            // Quoted words stay quoted: a comma inside one would otherwise end the rendered rule.
            return rule(.other(keyword: "rlimit", arguments: Self.asWritten(arguments.dropFirst())))
        case let text where Self.otherKeywords.contains(text) || text == "unmount":
            let name = text == "unmount" ? "umount" : text
            return rule(.other(keyword: name, arguments: Self.asWritten(arguments[...])))
        default:
            if let modes = AppArmorFileModes(parsing: keyword.text), let path = arguments.first, path.isPathLike {
                _ = modes
                return rule(
                    try fileBody(path: path, rest: [keyword] + arguments.dropFirst(), isDeny: isDeny, line: line))
            }
            throw error("Unknown rule '\(keyword.text)'.", line: line)
        }
    }

    /// The words of a rule kept as text, quoted ones in their quotes, separated by blanks.
    static func asWritten(_ words: ArraySlice<Token>) -> String {
        words.map { $0.kind == .quoted ? "\"\($0.text)\"" : $0.text }.joined(separator: " ")
    }

    /// `PATH MODES [-> TARGET]`, with `rest` starting at MODES.
    private func fileBody(path: Token, rest: [Token], isDeny: Bool, line: Int) throws(InputError) -> AppArmorRule.Body {
        guard let modeToken = rest.first else {
            throw error("The file rule for \(path.text) has no access modes.", line: line)
        }
        guard let modes = AppArmorFileModes(parsing: modeToken.text) else {
            throw error(
                "'\(modeToken.text)' is not a valid file mode (r w a l k m and an exec mode such as ix, Px, ux).",
                line: line)
        }
        if modes.permissions.contains("w"), modes.permissions.contains("a") {
            throw error("The modes 'w' and 'a' cannot be combined (w includes a).", line: line)
        }
        if modes.exec == "x", !isDeny {
            throw error("A plain 'x' is only allowed in deny rules; say ix, px, cx or ux.", line: line)
        }
        if let exec = modes.exec, exec != "x", isDeny {
            throw error("A deny rule takes a plain 'x', not the exec mode '\(exec)'.", line: line)
        }
        var target: String?
        let tail = rest.dropFirst()
        if let arrow = tail.first {
            guard arrow.text == "->", tail.count == 2, let name = tail.last else {
                throw error("Unexpected '\(arrow.text)' after the modes of \(path.text).", line: line)
            }
            guard modes.exec != nil else {
                throw error("'->' needs an exec mode such as px or cx.", line: line)
            }
            target = name.text
        }
        return .file(path: path.text, modes: modes, target: target)
    }
}
