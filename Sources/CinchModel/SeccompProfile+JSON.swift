// SPDX-License-Identifier: Apache-2.0
// Reading seccomp profiles (Docker and OCI JSON) strictly, and rendering them canonically.

// MARK: - Rendering

extension SeccompProfile {
    /// The profile as a canonical JSON value in its own ``format``; render it with
    /// ``JSONValue/rendered()``.
    ///
    /// The output is deterministic: object keys are sorted by the writer, rules keep their order,
    /// numbers are integers and arrays are `[]` rather than `null`.
    ///
    /// - Docker: `defaultAction`, `defaultErrnoRet` (when set), `archMap` (always an array; each entry
    ///   has `architecture` and `subArchitectures`), `architectures` (only when set), `syscalls`.
    ///   Each rule has `names`, `action` and `args` (always), and `errnoRet`, `comment`, `includes`
    ///   and `excludes` when set and non-empty.
    /// - OCI: `defaultAction`, `defaultErrnoRet` (when set), `architectures` (always), `syscalls`.
    ///   Each rule has `names` and `action`, plus `errnoRet` when set and `args` when non-empty.
    ///
    /// `flags`, `listenerPath` and `listenerMetadata` appear only when non-empty.
    public func jsonValue() -> JSONValue {
        var members: [(String, JSONValue)] = [("defaultAction", .string(defaultAction.rawValue))]
        if let defaultErrnoRet { members.append(("defaultErrnoRet", .integer(defaultErrnoRet))) }
        switch format {
        case .docker:
            members.append(("archMap", .makeArray(archMap.map(Self.archMapValue))))
            if !architectures.isEmpty {
                members.append(("architectures", .makeArray(architectures.map { .string($0.scmpName) })))
            }
        case .oci:
            members.append(("architectures", .makeArray(architectures.map { .string($0.scmpName) })))
        }
        if !flags.isEmpty { members.append(("flags", .makeArray(flags.map { .string($0) }))) }
        if let listenerPath, !listenerPath.isEmpty { members.append(("listenerPath", .string(listenerPath))) }
        if let listenerMetadata, !listenerMetadata.isEmpty {
            members.append(("listenerMetadata", .string(listenerMetadata)))
        }
        members.append(("syscalls", .makeArray(syscalls.map { Self.ruleValue($0, format: format) })))
        return .makeObject(members)
    }

    private static func archMapValue(_ entry: ArchMapEntry) -> JSONValue {
        .makeObject([
            ("architecture", .string(entry.architecture.scmpName)),
            ("subArchitectures", .makeArray(entry.subArchitectures.map { .string($0.scmpName) })),
        ])
    }

    private static func ruleValue(_ rule: Rule, format: Format) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("names", .makeArray(rule.names.map { .string($0) })),
            ("action", .string(rule.action.rawValue)),
        ]
        if let errnoRet = rule.errnoRet { members.append(("errnoRet", .integer(errnoRet))) }
        if format == .docker || !rule.args.isEmpty {
            members.append(("args", .makeArray(rule.args.map(argumentValue))))
        }
        if format == .docker {
            if let comment = rule.comment, !comment.isEmpty { members.append(("comment", .string(comment))) }
            if let includes = rule.includes, !includes.isEmpty { members.append(("includes", filterValue(includes))) }
            if let excludes = rule.excludes, !excludes.isEmpty { members.append(("excludes", filterValue(excludes))) }
        }
        return .makeObject(members)
    }

    private static func argumentValue(_ condition: ArgumentCondition) -> JSONValue {
        .makeObject([
            ("index", .integer(condition.index)),
            ("value", .integer(condition.value)),
            ("valueTwo", .integer(condition.valueTwo)),
            ("op", .string(condition.op.rawValue)),
        ])
    }

    private static func filterValue(_ filter: ConditionFilter) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if !filter.caps.isEmpty { members.append(("caps", .makeArray(filter.caps.map { .string($0) }))) }
        if !filter.arches.isEmpty { members.append(("arches", .makeArray(filter.arches.map { .string($0) }))) }
        if let minKernel = filter.minKernel { members.append(("minKernel", .string(minKernel))) }
        return .makeObject(members)
    }
}

// MARK: - Reading

extension SeccompProfile {
    /// Reads a Docker `seccomp.json` or an OCI runtime-spec `linux.seccomp` object strictly.
    ///
    /// ## Format
    /// A JSON object with `defaultAction` (required), `defaultErrnoRet`, `architectures`, `flags`,
    /// `listenerPath`, `listenerMetadata` and `syscalls`; Docker adds `archMap` and, per rule,
    /// `name` (deprecated), `comment`, `includes` and `excludes`. Each rule has `names` (or Docker's
    /// single `name`), `action`, `errnoRet` and `args` (`index`, `value`, `valueTwo`, `op`).
    ///
    /// ## Parsing behavior
    /// - The format is ``Format/docker`` when `archMap` or any Docker-only key appears, otherwise
    ///   ``Format/oci``.
    /// - `null` stands for "empty" wherever Docker's schema allows it (`architectures`, `archMap`,
    ///   `subArchitectures`, `flags`, `syscalls`, `args`, `errnoRet`, `defaultErrnoRet`,
    ///   `includes`, `excludes`, `comment`); an empty `includes`, `excludes` or `comment` is read as
    ///   absent, so equal profiles compare equal however they spell "nothing".
    /// - Architectures must be spelled as the formats do (`SCMP_ARCH_X86_64`).
    /// - Rejected: malformed JSON, duplicate or unknown keys, wrong types, a missing
    ///   `defaultAction`, both `archMap` and `architectures` non-empty, both `name` and `names`,
    ///   empty `names`, unknown actions, operators or architectures, and argument indexes above 5.
    ///
    /// - Parameters:
    ///   - bytes: The file's contents.
    ///   - file: The file name used in error locations.
    /// - Throws: ``InputError`` naming the file, line, column and JSON path of the first problem.
    public init(jsonBytes bytes: [UInt8], file: String) throws(InputError) {
        let root = try JSONCursor.parse(bytes, file: file)
        var reader = ProfileReader()
        self = try reader.readProfile(root)
    }
}

/// The state of one strict profile read: whether a Docker-only key has been seen.
private struct ProfileReader {
    var sawDockerOnlyKey = false

    mutating func readProfile(_ root: JSONCursor) throws(InputError) -> SeccompProfile {
        var defaultAction: SeccompProfile.Action?
        var defaultErrnoRet: UInt32?
        var architectures: [Architecture] = []
        var architecturesCursor: JSONCursor?
        var archMap: [SeccompProfile.ArchMapEntry] = []
        var archMapPresent = false
        var flags: [String] = []
        var listenerPath: String?
        var listenerMetadata: String?
        var syscalls: [SeccompProfile.Rule] = []
        for (key, cursor) in try root.objectMembers() {
            switch key {
            case "defaultAction": defaultAction = try Self.action(cursor)
            case "defaultErrnoRet":
                defaultErrnoRet = try Self.nullable(cursor) { c throws(InputError) in try c.unsigned() }
            case "architectures":
                architectures = try Self.architectures(cursor)
                architecturesCursor = cursor
            case "archMap":
                archMapPresent = true
                sawDockerOnlyKey = true
                archMap = try Self.elements(cursor).map { (entry: JSONCursor) throws(InputError) in
                    try Self.archMapEntry(entry)
                }
            case "flags": flags = try Self.nullable(cursor) { c throws(InputError) in try c.strings() } ?? []
            case "listenerPath": listenerPath = try Self.nullable(cursor) { c throws(InputError) in try c.string() }
            case "listenerMetadata":
                listenerMetadata = try Self.nullable(cursor) { c throws(InputError) in try c.string() }
            case "syscalls":
                for element in try Self.elements(cursor) { syscalls.append(try readRule(element)) }
            case "cinchTrace", "abis":
                throw root.error(
                    "this is a cinch trace, not a seccomp profile; make a profile from it with `cinch generate seccomp \(root.file)`"
                )
            default: throw cursor.error("unknown key \"\(key)\" in a seccomp profile")
            }
        }
        guard let defaultAction else { throw root.error("the required key \"defaultAction\" is missing") }
        if archMapPresent, !archMap.isEmpty, !architectures.isEmpty, let architecturesCursor {
            throw architecturesCursor.error("\"architectures\" and \"archMap\" cannot both be given; use one of them")
        }
        return SeccompProfile(
            format: sawDockerOnlyKey ? .docker : .oci, defaultAction: defaultAction, defaultErrnoRet: defaultErrnoRet,
            architectures: architectures, archMap: archMap, flags: flags, listenerPath: listenerPath,
            listenerMetadata: listenerMetadata, syscalls: syscalls
        )
    }

    mutating func readRule(_ cursor: JSONCursor) throws(InputError) -> SeccompProfile.Rule {
        var names: [String]?
        var namesCursor: JSONCursor?
        var singleName: String?
        var singleNameCursor: JSONCursor?
        var action: SeccompProfile.Action?
        var errnoRet: UInt32?
        var args: [SeccompProfile.ArgumentCondition] = []
        var comment: String?
        var includes: SeccompProfile.ConditionFilter?
        var excludes: SeccompProfile.ConditionFilter?
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "names":
                names = try Self.nullable(member) { c throws(InputError) in try c.strings() }
                namesCursor = member
            case "name":
                sawDockerOnlyKey = true
                singleName = try Self.nullable(member) { c throws(InputError) in try c.string() }
                singleNameCursor = member
            case "action": action = try Self.action(member)
            case "errnoRet": errnoRet = try Self.nullable(member) { c throws(InputError) in try c.unsigned() }
            case "args":
                args = try Self.elements(member).map { (arg: JSONCursor) throws(InputError) in try Self.argument(arg) }
            case "comment":
                sawDockerOnlyKey = true
                let text = try Self.nullable(member) { c throws(InputError) in try c.string() }
                comment = text?.isEmpty == false ? text : nil
            case "includes":
                sawDockerOnlyKey = true
                includes = try Self.filter(member)
            case "excludes":
                sawDockerOnlyKey = true
                excludes = try Self.filter(member)
            default: throw member.error("unknown key \"\(key)\" in a syscall rule")
            }
        }
        if names != nil, singleName != nil, let singleNameCursor {
            throw singleNameCursor.error("a rule may have \"name\" or \"names\", not both")
        }
        let resolved: [String]
        if let singleName, let singleNameCursor {
            guard !singleName.isEmpty else { throw singleNameCursor.error("\"name\" is empty") }
            resolved = [singleName]
        } else if let names, let namesCursor {
            guard !names.isEmpty else {
                throw namesCursor.error("\"names\" is empty; a rule needs at least one syscall")
            }
            for (offset, name) in names.enumerated() where name.isEmpty {
                throw JSONCursor.child(of: namesCursor, index: offset).error("a syscall name is empty")
            }
            resolved = names
        } else {
            throw cursor.error("a rule needs \"names\"")
        }
        guard let action else { throw cursor.error("the required key \"action\" is missing from the rule") }
        return SeccompProfile.Rule(
            names: resolved, action: action, errnoRet: errnoRet, args: args, comment: comment, includes: includes,
            excludes: excludes
        )
    }

    // MARK: Value readers

    /// `transform(cursor)`, or nil when the value is `null`.
    static func nullable<T>(
        _ cursor: JSONCursor, _ transform: (JSONCursor) throws(InputError) -> T
    ) throws(InputError) -> T? {
        if case .null = cursor.node.value { return nil }
        return try transform(cursor)
    }

    /// The elements of an array, or none when the value is `null`.
    static func elements(_ cursor: JSONCursor) throws(InputError) -> [JSONCursor] {
        if case .null = cursor.node.value { return [] }
        return try cursor.arrayElements()
    }

    static func action(_ cursor: JSONCursor) throws(InputError) -> SeccompProfile.Action {
        let text = try cursor.string()
        guard let action = SeccompProfile.Action(rawValue: text) else {
            let known = SeccompProfile.Action.allCases.map(\.rawValue).joined(separator: ", ")
            throw cursor.error("unknown action \"\(text)\"; expected one of \(known)")
        }
        return action
    }

    static func architecture(_ cursor: JSONCursor) throws(InputError) -> Architecture {
        let text = try cursor.string()
        guard let architecture = Architecture(named: text), architecture.scmpName == text else {
            throw cursor.error("unknown architecture \"\(text)\"; expected a name such as SCMP_ARCH_X86_64")
        }
        return architecture
    }

    static func architectures(_ cursor: JSONCursor) throws(InputError) -> [Architecture] {
        try elements(cursor).map { (element: JSONCursor) throws(InputError) in try architecture(element) }
    }

    static func archMapEntry(_ cursor: JSONCursor) throws(InputError) -> SeccompProfile.ArchMapEntry {
        var native: Architecture?
        var subArchitectures: [Architecture] = []
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "architecture": native = try architecture(member)
            case "subArchitectures": subArchitectures = try architectures(member)
            default: throw member.error("unknown key \"\(key)\" in an archMap entry")
            }
        }
        guard let native else { throw cursor.error("the archMap entry has no \"architecture\"") }
        return SeccompProfile.ArchMapEntry(architecture: native, subArchitectures: subArchitectures)
    }

    static func argument(_ cursor: JSONCursor) throws(InputError) -> SeccompProfile.ArgumentCondition {
        var index: UInt32?
        var value: UInt64 = 0
        var valueTwo: UInt64 = 0
        var op: SeccompProfile.Operator?
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "index":
                let number: UInt32 = try member.unsigned()
                guard number <= 5 else {
                    throw member.error("argument index \(number) is out of range; it must be 0 through 5")
                }
                index = number
            case "value": value = try member.unsigned()
            case "valueTwo": valueTwo = try member.unsigned()
            case "op":
                let text = try member.string()
                guard let parsed = SeccompProfile.Operator(rawValue: text) else {
                    let known = SeccompProfile.Operator.allCases.map(\.rawValue).joined(separator: ", ")
                    throw member.error("unknown operator \"\(text)\"; expected one of \(known)")
                }
                op = parsed
            default: throw member.error("unknown key \"\(key)\" in an argument condition")
            }
        }
        guard let index else { throw cursor.error("the argument condition has no \"index\"") }
        guard let op else { throw cursor.error("the argument condition has no \"op\"") }
        return SeccompProfile.ArgumentCondition(index: index, value: value, valueTwo: valueTwo, op: op)
    }

    static func filter(_ cursor: JSONCursor) throws(InputError) -> SeccompProfile.ConditionFilter? {
        if case .null = cursor.node.value { return nil }
        var filter = SeccompProfile.ConditionFilter()
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "caps": filter.caps = try nullable(member) { c throws(InputError) in try c.strings() } ?? []
            case "arches": filter.arches = try nullable(member) { c throws(InputError) in try c.strings() } ?? []
            case "minKernel":
                guard let text = try nullable(member, { c throws(InputError) in try c.string() }), !text.isEmpty else {
                    continue
                }
                guard KernelVersion(text) != nil else {
                    throw member.error("\"\(text)\" is not a kernel version such as \"4.8\"")
                }
                filter.minKernel = text
            default: throw member.error("unknown key \"\(key)\" in includes/excludes")
            }
        }
        return filter.isEmpty ? nil : filter
    }
}

extension JSONCursor {
    /// A cursor at element `index` of the array under `parent`.
    fileprivate static func child(of parent: JSONCursor, index: Int) -> JSONCursor {
        guard case .array(let elements) = parent.node.value, elements.indices.contains(index) else { return parent }
        return JSONCursor(node: elements[index], path: parent.path + "[\(index)]", file: parent.file)
    }
}
