// SPDX-License-Identifier: Apache-2.0
// The parsers cinch fuzzes, and the properties every input must keep: one check shared by the
// libFuzzer harness (`make fuzz`) and the seeded mutation tests (`make test`).

internal import CinchAudit
internal import CinchModel
internal import CinchWorkflow

/// What one input did to a parser.
public enum FuzzOutcome: Sendable, Hashable {
    /// The input parsed, and what it parsed to kept every property.
    case accepted
    /// The input was rejected with an ``InputError`` that points into it.
    case rejected
    /// A property failed; the message says which. (A crash or a hang is a failure too, but
    /// those end the process or the run instead of returning.)
    case violated(String)
}

/// One parser that reads untrusted bytes, with the properties its input must keep.
///
/// Every input either parses or throws an ``InputError`` naming the file and a line inside the
/// input; it never traps and never hangs. What parses and has a renderer renders, parses again
/// and compares equal, and the second rendering is the first (the output of cinch is input to
/// cinch, so the two must agree).
public enum FuzzTarget: String, CaseIterable, Sendable, CustomStringConvertible {
    /// ``JSONParser`` alone: any JSON value.
    case json
    /// ``Trace/init(jsonBytes:file:)``, round trip through ``Trace/jsonValue()``.
    case trace
    /// ``SeccompProfile/init(jsonBytes:file:)``, round trip through ``SeccompProfile/jsonValue()``.
    case seccomp
    /// ``ProfileManifest/init(jsonBytes:file:)``, round trip through ``ProfileManifest/rendered()``.
    case manifest
    /// ``AppArmorProfile/init(bytes:file:)``, round trip through ``AppArmorProfile/rendered(comment:)``.
    case apparmor
    /// ``CapabilityList/init(bytes:file:)``, round trip through ``CapabilityList/text``.
    case capabilities
    /// ``AuditLogParser``, strict and lenient, with and without a selection.
    case audit

    /// The file name errors must carry.
    public static let fileName = "fuzz-input"

    /// The target's name.
    public var description: String { rawValue }

    /// The directories under `Tests/Fixtures` whose files seed this target: the fixtures of the
    /// tests, and `fuzz/seeds/<target>` where those have too few of its inputs. Each target also
    /// takes the inputs that once broke it (``regressionDirectory``).
    public var seedDirectories: [String] {
        switch self {
        case .json: ["traces", "seccomp", "diff", "golden"]
        case .trace: ["traces"]
        case .seccomp: ["seccomp", "diff"]
        case .manifest: ["golden", "fuzz/seeds/manifest"]
        case .apparmor: ["apparmor", "golden"]
        case .capabilities: ["diff", "golden"]
        case .audit: ["audit"]
        }
    }

    /// The directory under `Tests/Fixtures` of this target's regression inputs: each is an input
    /// that once crashed, hung or broke a property, and is checked on every test run.
    public var regressionDirectory: String { "fuzz/regressions/\(rawValue)" }

    /// The libFuzzer dictionary under `Tests/Fixtures/fuzz` (tokens worth inserting).
    public var dictionary: String {
        switch self {
        case .json, .trace, .seccomp, .manifest, .capabilities: "fuzz/json.dict"
        case .apparmor: "fuzz/apparmor.dict"
        case .audit: "fuzz/audit.dict"
        }
    }

    /// Runs one input through the parser and checks the properties.
    public func check(_ bytes: [UInt8]) -> FuzzOutcome {
        switch self {
        case .json: Self.checkJSON(bytes)
        case .trace: Self.checkTrace(bytes)
        case .seccomp: Self.checkSeccomp(bytes)
        case .manifest: Self.checkManifest(bytes)
        case .apparmor: Self.checkAppArmor(bytes)
        case .capabilities: Self.checkCapabilities(bytes)
        case .audit: Self.checkAudit(bytes)
        }
    }

    // MARK: - JSON

    static func checkJSON(_ bytes: [UInt8]) -> FuzzOutcome {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes).value
        } catch {
            return located(line: error.line, column: error.column, in: bytes, what: "syntax error \(error)")
        }
        // The cursor's reading of the same bytes must agree.
        do {
            _ = try JSONCursor.parse(bytes, file: fileName)
        } catch {
            return .violated("JSONParser accepted the input but JSONCursor.parse threw: \(error)")
        }
        let first = value.rendered()
        let again: JSONValue
        do {
            again = try JSONParser.parse(first).value
        } catch {
            return .violated("the rendering does not parse: \(error)\n\(first)")
        }
        let second = again.rendered()
        guard first == second else { return .violated("rendering twice differs:\n\(first)\n---\n\(second)") }
        return .accepted
    }

    // MARK: - Readers with a JSON renderer

    static func checkTrace(_ bytes: [UInt8]) -> FuzzOutcome {
        roundTrip(
            bytes, read: { (input: [UInt8]) throws(InputError) in try Trace(jsonBytes: input, file: fileName) },
            render: { $0.jsonValue().rendered() })
    }

    static func checkSeccomp(_ bytes: [UInt8]) -> FuzzOutcome {
        roundTrip(
            bytes,
            read: { (input: [UInt8]) throws(InputError) in try SeccompProfile(jsonBytes: input, file: fileName) },
            render: { $0.jsonValue().rendered() })
    }

    static func checkManifest(_ bytes: [UInt8]) -> FuzzOutcome {
        roundTrip(
            bytes,
            read: { (input: [UInt8]) throws(InputError) in try ProfileManifest(jsonBytes: input, file: fileName) },
            render: { $0.rendered() }, normalize: { ProfileManifest(entries: $0.entries.sorted { $0.path < $1.path }) })
    }

    static func checkAppArmor(_ bytes: [UInt8]) -> FuzzOutcome {
        roundTrip(
            bytes, read: { (input: [UInt8]) throws(InputError) in try AppArmorProfile(bytes: input, file: fileName) },
            render: { $0.rendered() },
            normalize: { profile in
                // The rendering groups rules in sections, which moves them (and their lines).
                var copy = profile
                copy.rules = profile.rules.map { rule in
                    var moved = rule
                    moved.line = 0
                    return moved
                }.sorted { AppArmorProfile.rendered($0) < AppArmorProfile.rendered($1) }
                return copy
            })
    }

    static func checkCapabilities(_ bytes: [UInt8]) -> FuzzOutcome {
        roundTrip(
            bytes, read: { (input: [UInt8]) throws(InputError) in try CapabilityList(bytes: input, file: fileName) },
            // The text form keeps the names; allowPrivilegeEscalation (Kubernetes) is not a name.
            render: { $0.text }, normalize: { CapabilityList($0.capabilities) })
    }

    /// Reads `bytes`; on success renders, reads the rendering and compares (after `normalize`),
    /// then renders again and compares the texts.
    static func roundTrip<Value: Equatable>(
        _ bytes: [UInt8], read: ([UInt8]) throws(InputError) -> Value, render: (Value) -> String,
        normalize: (Value) -> Value = { $0 }
    ) -> FuzzOutcome {
        let value: Value
        do {
            value = try read(bytes)
        } catch {
            return located(error, in: bytes)
        }
        let first = render(value)
        let again: Value
        do {
            again = try read(Array(first.utf8))
        } catch {
            return .violated("the rendering does not read back: \(error)\n\(first)")
        }
        guard normalize(again) == normalize(value) else {
            return .violated("the rendering reads back as a different value:\n\(first)\n\(value)\n---\n\(again)")
        }
        let second = render(again)
        guard first == second else { return .violated("rendering twice differs:\n\(first)\n---\n\(second)") }
        return .accepted
    }

    // MARK: - Audit

    static func checkAudit(_ bytes: [UInt8]) -> FuzzOutcome {
        var strict = AuditLogParser()
        var strictError: InputError?
        do {
            try strict.parse(bytes, file: fileName)
        } catch {
            if case .violated(let message) = located(error, in: bytes) { return .violated(message) }
            strictError = error
        }
        // Lenient parsing never throws, and differs from strict parsing only by skipping
        // malformed lines.
        var lenient = AuditLogParser(isLenient: true)
        do {
            try lenient.parse(bytes, file: fileName)
        } catch {
            return .violated("a lenient parse threw: \(error)")
        }
        let statistics = lenient.finalStatistics
        let lines = bytes.count { $0 == 0x0A } + (bytes.last.map { $0 == 0x0A ? 0 : 1 } ?? 0)
        guard statistics.lines == lines else {
            return .violated("\(lines) lines read as \(statistics.lines)")
        }
        let trace = lenient.makeTrace(logs: [fileName])
        if strictError == nil {
            guard statistics.malformedLines == 0 else {
                return .violated(
                    "strict parsing passed, lenient parsing found \(statistics.malformedLines) malformed lines")
            }
            guard strict.makeTrace(logs: [fileName]) == trace, strict.finalStatistics == statistics else {
                return .violated("strict and lenient parsing of a well-formed log differ")
            }
        } else if statistics.malformedLines == 0 {
            return .violated(
                "strict parsing threw \(strictError.map(String.init(describing:)) ?? ""), lenient found nothing malformed"
            )
        }
        // What the parser makes, cinch writes and reads again.
        if case .violated(let message) = roundTrip(
            Array(trace.jsonValue().rendered().utf8),
            read: { (input: [UInt8]) throws(InputError) in try Trace(jsonBytes: input, file: fileName) },
            render: { $0.jsonValue().rendered() })
        {
            return .violated("the trace of an audit log: \(message)")
        }
        // A selection only ever takes fewer records.
        for selection in auditSelections {
            var selected = AuditLogParser(selection: selection, isLenient: true)
            do {
                try selected.parse(bytes, file: fileName)
            } catch {
                return .violated("a lenient parse with a selection threw: \(error)")
            }
            let part = selected.makeTrace(logs: [fileName])
            for (abi, record) in part.abis {
                for (name, seen) in record.syscalls where seen.count > (trace.abis[abi]?.syscalls[name]?.count ?? 0) {
                    return .violated("\(selection) took \(name) on \(abi) more often than no selection")
                }
            }
        }
        return strictError == nil ? .accepted : .rejected
    }

    /// Selections that take part of a log: a process (the fixtures' pid), an executable, a time window.
    static let auditSelections: [AuditSelection] = [
        AuditSelection(pids: [1234]),
        AuditSelection(executables: ["/usr/bin/cat"]),
        AuditSelection(
            since: AuditTime(milliseconds: 1_732_410_000_000), until: AuditTime(milliseconds: 1_732_410_001_000)),
    ]

    // MARK: - Locations

    /// `.rejected` when `error` names the input and a line inside it, `.violated` otherwise.
    static func located(_ error: InputError, in bytes: [UInt8]) -> FuzzOutcome {
        guard error.location.file == fileName else {
            return .violated("the error names \(error.location.file), not the input: \(error)")
        }
        return located(
            line: error.location.line, column: error.location.column, in: bytes, what: error.description,
            columnMayBeUnknown: true)
    }

    /// `.rejected` when `line` (1-based) and `column` (1-based, in bytes; 0 when unknown if
    /// allowed) lie inside `bytes` or just past its end.
    static func located(
        line: Int, column: Int, in bytes: [UInt8], what: String, columnMayBeUnknown: Bool = false
    ) -> FuzzOutcome {
        let lines = bytes.count { $0 == 0x0A } + 1
        guard line >= 1, line <= lines else { return .violated("line \(line) of \(lines): \(what)") }
        guard column >= (columnMayBeUnknown ? 0 : 1), column <= bytes.count + 1 else {
            return .violated("column \(column) of \(bytes.count) bytes: \(what)")
        }
        return .rejected
    }
}
