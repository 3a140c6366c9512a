// SPDX-License-Identifier: Apache-2.0
// Reading back the capability list formats cinch writes: OCI JSON, docker flags, compose and
// Kubernetes YAML.

extension CapabilityList {
    /// The OCI capability sets; a list read from OCI JSON is their union.
    static let ociSets: Set<String> = ["bounding", "effective", "permitted", "inheritable", "ambient"]

    /// Whether a JSON object is an OCI `process.capabilities` object: every key is an OCI set.
    public static func isOCIObject(_ value: JSONValue) -> Bool {
        guard case .object(let members) = value, !members.isEmpty else { return false }
        return members.allSatisfy { ociSets.contains($0.key) }
    }

    /// Reads an OCI `process.capabilities` object (``rendered(as:)`` with `.oci`).
    static func readOCI(_ root: JSONCursor) throws(InputError) -> CapabilityList {
        var names: [String] = []
        for (key, cursor) in try root.objectMembers() {
            guard ociSets.contains(key) else {
                throw cursor.error(
                    "unknown key \"\(key)\" in an OCI capability object (bounding, effective, permitted, inheritable, ambient)"
                )
            }
            for element in try cursor.arrayElements() {
                let name = try element.string()
                guard isWellFormed(name) else { throw element.error("\"\(name)\" is not a capability name") }
                names.append(name)
            }
        }
        return CapabilityList(names)
    }

    /// Reads `docker run` flags or compose/Kubernetes YAML; nil when `text` is neither (plain text).
    static func readFlagsOrYAML(_ text: String, file: String) throws(InputError) -> CapabilityList? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            String(line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        }
        let tokens = lines.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) }
        if tokens.contains(where: { $0.hasPrefix("--") }) { return try readFlags(lines, file: file) }
        if lines.contains(where: { $0.split(separator: " ").first?.hasSuffix(":") == true }) {
            return try readYAML(lines, file: file)
        }
        return nil
    }

    /// `--cap-drop=ALL --cap-add=CAP_X …` (also `--cap-add CAP_X`, and `\` line continuations).
    private static func readFlags(_ lines: [String], file: String) throws(InputError) -> CapabilityList {
        var names: [String] = []
        var dropsAll = false
        var pending: (flag: String, line: Int)?
        for (offset, line) in lines.enumerated() {
            let location = ProfileLocation(file: file, line: offset + 1)
            for token in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) where token != "\\" {
                var flag = String(token)
                var value: String?
                if let (name, _) = pending {
                    flag = name
                    value = String(token)
                    pending = nil
                } else if let equals = token.firstIndex(of: "=") {
                    flag = String(token[..<equals])
                    value = String(token[token.index(after: equals)...])
                }
                guard flag == "--cap-add" || flag == "--cap-drop" else {
                    throw InputError(
                        "\"\(token)\" is not a --cap-add or --cap-drop flag (a docker-format capability list holds only those)",
                        at: location)
                }
                guard let value else {
                    pending = (flag, offset + 1)
                    continue
                }
                if flag == "--cap-drop" {
                    guard value.uppercased() == "ALL" else {
                        throw InputError(
                            "--cap-drop=\(value): cinch reads lists that drop ALL and add what is kept", at: location)
                    }
                    dropsAll = true
                } else {
                    guard isWellFormed(value) else {
                        throw InputError("\"\(value)\" is not a capability name", at: location)
                    }
                    names.append(value)
                }
            }
        }
        if let (flag, line) = pending {
            throw InputError("\(flag) has no value", at: ProfileLocation(file: file, line: line))
        }
        guard dropsAll else {
            throw InputError(
                "the flags do not drop ALL (--cap-drop=ALL), so they do not list what the container keeps",
                at: ProfileLocation(file: file, line: 1))
        }
        return CapabilityList(names)
    }

    /// Compose (`cap_drop: [ALL]`, `cap_add: […]`) or a Kubernetes `securityContext` with
    /// `capabilities.drop: [ALL]` and `capabilities.add`, block or flow lists; only the keys cinch
    /// writes. The `seccompProfile` and `appArmorProfile` of `cinch generate security-context`
    /// (`type`, `localhostProfile`) are skipped: they name profiles, not capabilities.
    private static func readYAML(_ lines: [String], file: String) throws(InputError) -> CapabilityList {
        let listKeys: Set<String> = ["cap_add", "cap_drop", "add", "drop"]
        let mappingKeys: Set<String> = ["securityContext", "capabilities", "seccompProfile", "appArmorProfile"]
        let profileKeys: Set<String> = ["type", "localhostProfile"]
        var names: [String] = []
        var dropsAll = false
        var allowsEscalation: Bool?
        var list: String?
        func take(_ item: Substring, into key: String, at location: ProfileLocation) throws(InputError) {
            var value = item.trimmingSpaces
            if value.count >= 2, let quote = value.first, quote == "\"" || quote == "'", value.last == quote {
                value = value.dropFirst().dropLast()
            }
            if key.hasSuffix("drop") {
                guard value.uppercased() == "ALL" else {
                    throw InputError(
                        "\(key): \(value): cinch reads lists that drop ALL and add what is kept", at: location)
                }
                dropsAll = true
            } else {
                guard isWellFormed(String(value)) else {
                    throw InputError("\"\(value)\" is not a capability name", at: location)
                }
                names.append(String(value))
            }
        }
        for (offset, line) in lines.enumerated() {
            let location = ProfileLocation(file: file, line: offset + 1)
            let content = Substring(line).trimmingSpaces
            if content.isEmpty || content == "---" { continue }
            if content.hasPrefix("- ") || content == "-" {
                guard let list else {
                    throw InputError("a list item outside cap_add, cap_drop, add or drop", at: location)
                }
                try take(content.dropFirst(), into: list, at: location)
                continue
            }
            guard let colon = content.firstIndex(of: ":") else {
                throw InputError("\"\(content)\" is neither a key nor a list item", at: location)
            }
            let key = String(content[..<colon])
            let value = content[content.index(after: colon)...].trimmingSpaces
            list = nil
            if listKeys.contains(key) {
                if value.isEmpty {
                    list = key
                } else if value.first == "[", value.last == "]" {
                    for item in value.dropFirst().dropLast().split(separator: ",") {
                        try take(item, into: key, at: location)
                    }
                } else {
                    throw InputError("\(key) must be a list", at: location)
                }
            } else if mappingKeys.contains(key) {
                guard value.isEmpty else { throw InputError("\(key) must be a mapping", at: location) }
            } else if profileKeys.contains(key) {
                continue
            } else if key == "allowPrivilegeEscalation" {
                guard value == "true" || value == "false" else {
                    throw InputError("allowPrivilegeEscalation must be true or false", at: location)
                }
                allowsEscalation = value == "true"
            } else {
                throw InputError(
                    "unexpected key \"\(key)\" in a capability list (compose cap_drop/cap_add, or a Kubernetes securityContext)",
                    at: location)
            }
        }
        guard dropsAll else {
            throw InputError(
                "the list does not drop ALL, so it does not list what the container keeps",
                at: ProfileLocation(file: file, line: 1))
        }
        return CapabilityList(names, ranWithNoNewPrivileges: allowsEscalation == false)
    }
}

extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns.
    fileprivate var trimmingSpaces: Substring {
        let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
