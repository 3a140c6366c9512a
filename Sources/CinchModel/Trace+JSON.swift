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
                if !seen.arguments.isEmpty {
                    fields.append(("arguments", Self.argumentsJSON(seen.arguments)))
                }
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
        if let bundle = source.bundle { sourceFields.append(("bundle", .string(bundle))) }
        if let runtime = source.runtime { sourceFields.append(("runtime", .string(runtime))) }
        if let version = source.runtimeVersion { sourceFields.append(("runtimeVersion", .string(version))) }
        if let nnp = source.noNewPrivileges { sourceFields.append(("noNewPrivileges", .bool(nnp))) }
        if !source.logs.isEmpty { sourceFields.append(("logs", .makeArray(source.logs.map { .string($0) }))) }
        if let id = source.containerID { sourceFields.append(("containerID", .string(id))) }
        if let seccomp = source.replacedSeccomp { sourceFields.append(("replacedSeccomp", seccomp)) }
        var members: [(String, JSONValue)] = [
            ("cinchTrace", .integer(Trace.formatVersion)),
            ("source", .makeObject(sourceFields)),
            ("complete", .bool(isComplete)),
            ("incompleteReasons", .makeArray(incompleteReasons.map { .string($0) })),
            ("processes", .integer(processCount)),
            ("executables", .makeArray(executables.sorted().map { .string($0) })),
            ("abis", .makeObject(abiMembers)),
        ]
        if !files.isEmpty {
            members.append(
                ("files", .makeObject(files.map { ($0.key, .string(String($0.value.sorted()))) })))
        }
        if !failedFiles.isEmpty {
            members.append(
                (
                    "failedFiles",
                    .makeObject(
                        failedFiles.map { path, failure in
                            (
                                path,
                                .makeObject([
                                    ("access", .string(String(failure.access.sorted()))),
                                    ("errors", .makeArray(failure.errors.sorted().map { .string($0) })),
                                ])
                            )
                        })
                ))
        }
        for (key, value) in [("processFiles", processFiles), ("threadFiles", threadFiles)] where !value.isEmpty {
            members.append((key, .makeObject(value.map { ($0.key, .string(String($0.value.sorted()))) })))
        }
        if !sockets.isEmpty {
            members.append(
                (
                    "sockets",
                    .makeArray(
                        sockets.sorted().map { endpoint in
                            var fields: [(String, JSONValue)] = [
                                ("operation", .string(endpoint.operation)), ("family", .string(endpoint.family)),
                                ("address", .string(endpoint.address)),
                            ]
                            if let port = endpoint.port { fields.append(("port", .integer(port))) }
                            return .makeObject(fields)
                        })
                ))
        }
        if !network.isEmpty {
            members.append(
                (
                    "network",
                    .makeArray(
                        network.sorted().map { access in
                            var fields: [(String, JSONValue)] = [("family", .string(access.family))]
                            if !access.socketType.isEmpty { fields.append(("type", .string(access.socketType))) }
                            if let number = access.protocolNumber { fields.append(("protocol", .integer(number))) }
                            return .makeObject(fields)
                        })
                ))
        }
        if !capabilities.isEmpty {
            members.append(("capabilities", .makeArray(capabilities.sorted().map { .string($0) })))
        }
        if !capabilityEvidence.isEmpty { members.append(("capabilityEvidence", capabilityEvidenceJSON())) }
        if !observed.isEmpty {
            members.append(("observed", .makeArray(observed.sorted().map { .string($0.rawValue) })))
        }
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
        var files: [String: Set<Character>] = [:]
        var failedFiles: [String: FailedAccess] = [:]
        var processFiles: [String: Set<Character>] = [:]
        var threadFiles: [String: Set<Character>] = [:]
        var network: Set<NetworkAccess> = []
        var sockets: Set<SocketEndpoint> = []
        var capabilities: Set<String> = []
        var evidence: [String: CapabilityEvidence] = [:]
        var observed: Set<Observation> = []
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
            case "files":
                for (path, modes) in try cursor.objectMembers() { files[path] = try Self.readAccessLetters(modes) }
            case "failedFiles":
                for (path, entry) in try cursor.objectMembers() { failedFiles[path] = try Self.readFailure(entry) }
            case "processFiles":
                for (path, modes) in try cursor.objectMembers() {
                    processFiles[path] = try Self.readAccessLetters(modes)
                }
            case "threadFiles":
                for (path, modes) in try cursor.objectMembers() {
                    threadFiles[path] = try Self.readAccessLetters(modes)
                }
            case "network":
                for element in try cursor.arrayElements() { network.insert(try Self.readNetwork(element)) }
            case "sockets":
                for element in try cursor.arrayElements() { sockets.insert(try Self.readEndpoint(element)) }
            case "capabilities": capabilities = Set(try cursor.strings())
            case "capabilityEvidence": evidence = try Self.readCapabilityEvidence(cursor)
            case "observed":
                for element in try cursor.arrayElements() {
                    let name = try element.string()
                    // A kind from a later version is not one this reader can rely on: skip it.
                    if let kind = Observation(rawValue: name) { observed.insert(kind) }
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
            processCount: processes, executables: executables, abis: abis, files: files, failedFiles: failedFiles,
            processFiles: processFiles, threadFiles: threadFiles, network: network, sockets: sockets,
            capabilities: capabilities, observed: observed
        )
        capabilityEvidence = evidence
    }

    /// A file's access letters: ASCII letters, so later versions can add some (generators warn
    /// about letters they do not know).
    ///
    /// Anything else is rejected: a combining mark (U+0301) is a `Character` of its own here, but
    /// joins the letter before it when the set is written back as one string ("é"), so the trace
    /// would change on every rewrite.
    private static func readAccessLetters(_ cursor: JSONCursor) throws(InputError) -> Set<Character> {
        let letters = try cursor.string()
        guard letters.utf8.allSatisfy({ ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x41 && $0 <= 0x5A) }) else {
            throw cursor.error("file access modes are letters such as \"rw\", not \(String(reflecting: letters))")
        }
        return Set(letters)
    }

    /// `{"0": [1, 2, 10]}`, or `{"0": "unbounded"}` past ``ArgumentValues/limit`` values.
    private static func argumentsJSON(_ arguments: [Int: ArgumentValues]) -> JSONValue {
        .makeObject(
            arguments.map { index, values in
                let value: JSONValue =
                    values.isUnbounded ? .string("unbounded") : .makeArray(values.sorted.map { .integer($0) })
                return (String(index), value)
            })
    }

    private static func readArguments(_ cursor: JSONCursor) throws(InputError) -> [Int: ArgumentValues] {
        var arguments: [Int: ArgumentValues] = [:]
        for (key, member) in try cursor.objectMembers() {
            guard let index = Int(key), (0...5).contains(index) else {
                throw member.error("\"\(key)\" is not a syscall argument index (0 through 5)")
            }
            if case .string = member.node.value {
                guard try member.string() == "unbounded" else {
                    throw member.error("argument values must be an array of integers or \"unbounded\"")
                }
                arguments[index] = .unbounded
                continue
            }
            var values = Set<UInt64>()
            for element in try member.arrayElements() { values.insert(try element.unsigned(UInt64.self)) }
            arguments[index] = ArgumentValues(values)
        }
        return arguments
    }

    private static func readNetwork(_ cursor: JSONCursor) throws(InputError) -> NetworkAccess {
        var access = NetworkAccess(family: "")
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "family": access.family = try member.string()
            case "type": access.socketType = try member.string()
            case "protocol": access.protocolNumber = try member.signed(Int.self)
            default: continue
            }
        }
        guard !access.family.isEmpty else { throw cursor.error("a network access needs a \"family\"") }
        return access
    }

    private static func readFailure(_ cursor: JSONCursor) throws(InputError) -> FailedAccess {
        var failure = FailedAccess(access: [], errors: [])
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "access": failure.access = try readAccessLetters(member)
            case "errors": failure.errors = Set(try member.strings())
            default: continue
            }
        }
        return failure
    }

    private static func readEndpoint(_ cursor: JSONCursor) throws(InputError) -> SocketEndpoint {
        var endpoint = SocketEndpoint(operation: "", family: "", address: "")
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "operation": endpoint.operation = try member.string()
            case "family": endpoint.family = try member.string()
            case "address": endpoint.address = try member.string()
            case "port":
                let port = try member.signed(Int.self)
                guard (0...65535).contains(port) else { throw member.error("a port is 0 through 65535, not \(port)") }
                endpoint.port = port
            default: continue
            }
        }
        guard !endpoint.operation.isEmpty, !endpoint.family.isEmpty else {
            throw cursor.error("a socket endpoint needs an \"operation\" and a \"family\"")
        }
        return endpoint
    }

    private static func readSource(_ cursor: JSONCursor) throws(InputError) -> Source {
        var source = Source(kind: "unknown")
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "kind": source.kind = try member.string()
            case "command": source.command = try member.strings()
            case "knownTraces": source.knownTraces = try member.strings()
            case "bundle": source.bundle = try member.string()
            case "runtime": source.runtime = try member.string()
            case "runtimeVersion": source.runtimeVersion = try member.string()
            case "noNewPrivileges": source.noNewPrivileges = try member.bool()
            case "logs": source.logs = try member.strings()
            case "containerID": source.containerID = try member.string()
            case "replacedSeccomp":
                guard case .object = member.node.value else {
                    if case .null = member.node.value {
                        source.replacedSeccomp = .null
                        continue
                    }
                    throw member.error("expected an object or null, found \(member.node.value.typeDescription)")
                }
                source.replacedSeccomp = member.node.value
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
                        case "arguments": seen.arguments = try readArguments(value)
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
