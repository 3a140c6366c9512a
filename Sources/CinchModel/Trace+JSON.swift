// SPDX-License-Identifier: Apache-2.0
// Reading and writing traces as versioned, deterministic JSON (docs/trace-format.md).

extension Trace {
    /// The trace as a JSON value; render it with ``JSONValue/rendered()``.
    public func jsonValue() -> JSONValue {
        var abiMembers: [(String, JSONValue)] = []
        for (abi, record) in abis {
            var syscallMembers: [(String, JSONValue)] = []
            for (name, seen) in record.syscalls {
                var fields: [(String, JSONValue)] = [("count", .integer(seen.count))]
                if let exe = seen.firstExecutable { fields.append(("firstExecutable", .string(exe))) }
                syscallMembers.append((name, .makeObject(fields)))
            }
            var fields: [(String, JSONValue)] = [("syscalls", .makeObject(syscallMembers))]
            fields.append(("inherited", .makeArray(record.inherited.sorted().map { .string($0) })))
            if !record.unknownNumbers.isEmpty {
                fields.append(
                    (
                        "unknownNumbers",
                        .makeObject(record.unknownNumbers.map { (String($0.key), .integer($0.value)) })
                    )
                )
            }
            abiMembers.append((abi.name, .makeObject(fields)))
        }
        var sourceFields: [(String, JSONValue)] = [("kind", .string(source.kind))]
        sourceFields.append(("command", .makeArray(source.command.map { .string($0) })))
        sourceFields.append(("knownTraces", .makeArray(source.knownTraces.map { .string($0) })))
        var members: [(String, JSONValue)] = [
            ("cinchTrace", .integer(Trace.formatVersion)),
            ("source", .makeObject(sourceFields)),
            ("complete", .bool(isComplete)),
            ("incompleteReasons", .makeArray(incompleteReasons.map { .string($0) })),
            ("processes", .integer(processCount)),
            ("executables", .makeArray(executables.sorted().map { .string($0) })),
            ("abis", .makeObject(abiMembers)),
        ]
        switch exitStatus {
        case .exited(let code)?: members.append(("exit", .makeObject([("code", .integer(code))])))
        case .signaled(let signal)?: members.append(("exit", .makeObject([("signal", .integer(signal))])))
        case nil: break
        }
        return .makeObject(members)
    }

    /// Reads a trace from JSON bytes.
    ///
    /// Unknown keys are ignored, so later minor additions do not break this reader; a newer
    /// `cinchTrace` major version is rejected with a clear error.
    /// - Throws: ``InputError`` naming the file, line, column and JSON path.
    public init(jsonBytes bytes: [UInt8], file: String) throws(InputError) {
        let root = try JSONCursor.parse(bytes, file: file)
        var version: Int?
        var source = Source(kind: "unknown")
        var complete = true
        var reasons: [String] = []
        var exit: ExitStatus?
        var processes = 0
        var executables = Set<String>()
        var abis: [Architecture: ABIRecord] = [:]
        for (key, cursor) in try root.objectMembers() {
            switch key {
            case "cinchTrace": version = try cursor.signed(Int.self)
            case "source": source = try Self.readSource(cursor)
            case "complete": complete = try cursor.bool()
            case "incompleteReasons": reasons = try cursor.strings()
            case "processes": processes = try cursor.signed(Int.self)
            case "executables": executables = Set(try cursor.strings())
            case "exit": exit = try Self.readExit(cursor)
            case "abis":
                for (name, abiCursor) in try cursor.objectMembers() {
                    guard let abi = Architecture(named: name) else {
                        throw abiCursor.error("unknown architecture \"\(name)\"")
                    }
                    abis[abi] = try Self.readABI(abiCursor)
                }
            default: continue
            }
        }
        guard let version else {
            throw root.error("not a cinch trace: the \"cinchTrace\" version key is missing")
        }
        guard version == Trace.formatVersion else {
            throw root.error("trace format version \(version) is not supported (this cinch reads version 1)")
        }
        self.init(
            source: source, isComplete: complete, incompleteReasons: reasons, exitStatus: exit,
            processCount: processes, executables: executables, abis: abis
        )
    }

    private static func readSource(_ cursor: JSONCursor) throws(InputError) -> Source {
        var source = Source(kind: "unknown")
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "kind": source.kind = try member.string()
            case "command": source.command = try member.strings()
            case "knownTraces": source.knownTraces = try member.strings()
            default: continue
            }
        }
        return source
    }

    private static func readExit(_ cursor: JSONCursor) throws(InputError) -> ExitStatus {
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "code": return .exited(try member.signed(Int32.self))
            case "signal": return .signaled(try member.signed(Int32.self))
            default: continue
            }
        }
        throw cursor.error("\"exit\" needs \"code\" or \"signal\"")
    }

    private static func readABI(_ cursor: JSONCursor) throws(InputError) -> ABIRecord {
        var record = ABIRecord()
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "syscalls":
                for (name, entry) in try member.objectMembers() {
                    var seen = SyscallRecord(count: 0)
                    for (field, value) in try entry.objectMembers() {
                        switch field {
                        case "count": seen.count = try value.unsigned(UInt64.self)
                        case "firstExecutable": seen.firstExecutable = try value.string()
                        default: continue
                        }
                    }
                    record.syscalls[name] = seen
                }
            case "inherited": record.inherited = Set(try member.strings())
            case "unknownNumbers":
                for (number, count) in try member.objectMembers() {
                    guard let value = UInt64(number) else { throw count.error("\"\(number)\" is not a syscall number") }
                    record.unknownNumbers[value] = try count.unsigned(UInt64.self)
                }
            default: continue
            }
        }
        return record
    }
}
