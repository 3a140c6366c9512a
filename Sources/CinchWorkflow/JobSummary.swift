// SPDX-License-Identifier: Apache-2.0
// `--format json` summaries of validate, verify and record: one JSON document each, sorted keys.

public import CinchContainer
public import CinchModel
internal import CinchSeccomp
public import CinchValidate

/// The JSON summaries that `cinch validate`, `cinch verify` and `cinch record` print with
/// `--format json`: one document on standard output, keys sorted, each with a version key
/// (`cinchValidate`, `cinchVerify`, `cinchRecord`: 1).
public enum JobSummary {
    /// A diagnostic: `severity`, `id`, `message`, and `location` when it has one.
    public static func json(_ diagnostic: Diagnostic) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("id", .string(diagnostic.id)), ("message", .string(diagnostic.message)),
            ("severity", .string(diagnostic.severity.rawValue)),
        ]
        if let location = diagnostic.location { members.append(("location", .string(location.description))) }
        return .makeObject(members)
    }

    /// `cinch validate`: per file its `kind`, `verdict` (`valid`, `invalid`, `unusable`,
    /// `validator-unavailable`), `diagnostics`, and for seccomp the BPF `instructions` per ABI;
    /// `valid` is true when every file is.
    public static func validation(_ reports: [ValidationReport]) -> JSONValue {
        let files = reports.map { report -> JSONValue in
            let verdict: String
            switch report.verdict {
            case .valid: verdict = "valid"
            case .invalid: verdict = "invalid"
            case .unusable: verdict = "unusable"
            case .validatorUnavailable: verdict = "validator-unavailable"
            }
            let instructions = report.perArchitecture.map {
                ($0.architecture.name, JSONValue.number("\($0.instructionCount)"))
            }
            return .makeObject([
                ("diagnostics", .makeArray(report.diagnostics.map(json))), ("file", .string(report.file)),
                ("instructions", .makeObject(instructions)),
                ("kind", .string(report.kind == .apparmor ? "apparmor" : "seccomp")), ("verdict", .string(verdict)),
            ])
        }
        return .makeObject([
            ("cinchValidate", .number("1")), ("files", .makeArray(files)),
            ("valid", .bool(reports.allSatisfy { $0.verdict == .valid })),
        ])
    }

    /// A container run: the container's and the driver's status, whether cinch stopped it (at
    /// the timeout), why the driver did not run, and the signal that interrupted it.
    public static func json(_ run: ContainerSession.Outcome) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("containerStatus", .number("\(run.containerStatus)")), ("exercised", .bool(run.exercisedWorkload)),
            ("stoppedByCinch", .bool(run.stoppedByCinch)), ("timedOut", .bool(run.timedOut)),
        ]
        if let driver = run.driverStatus { members.append(("driverStatus", .number("\(driver)"))) }
        if let reason = run.driverSkippedReason { members.append(("driverSkippedReason", .string(reason))) }
        if let signal = run.interruption { members.append(("interruptedBySignal", .number("\(signal)"))) }
        return .makeObject(members)
    }

    /// `cinch verify`: `result` (`passed`, `failed`, `not-ready`, `unusable`, `cannot-run`,
    /// `interrupted`), the `profile`, the first `run`, what was `denied` per ABI on the traced
    /// re-run, and `messages`.
    public static func verification(_ outcome: VerifyJob.Outcome, profile: String) -> JSONValue {
        var result: String
        var run: ContainerSession.Outcome?
        var denied: [String] = []
        var messages: [String] = []
        switch outcome {
        case .passed(let first):
            (result, run) = ("passed", first)
        case .failed(let first, let names, let texts), .failedUnderLandlock(let first, let names, let texts):
            (result, run, denied, messages) = ("failed", first, names, texts)
        case .notReady(let first, _, let texts):
            (result, run, messages) = ("not-ready", first, texts)
        case .unusable(let texts):
            (result, messages) = ("unusable", texts)
        case .cannotRun(let texts):
            (result, messages) = ("cannot-run", texts)
        case .interrupted(let first):
            (result, run) = ("interrupted", first)
        }
        var members: [(String, JSONValue)] = [
            ("cinchVerify", .number("1")), ("denied", .makeArray(denied.map { .string($0) })),
            ("messages", .makeArray(messages.map { .string($0) })), ("profile", .string(profile)),
            ("result", .string(result)),
        ]
        if let run { members.append(("run", json(run))) }
        return .makeObject(members)
    }

    /// `cinch record`: the `output` file, whether the trace is `complete` and why not, the
    /// distinct `syscalls` per ABI, the `processes`, the workload's `exitStatus` (shell form) for
    /// a command and the last `run` for a container.
    public static func recording(_ trace: Trace, output: String, container: ContainerSession.Outcome?) -> JSONValue {
        let perABI = trace.abis.keys.sorted().map {
            ($0.name, JSONValue.number("\(trace.abis[$0]?.allNames.count ?? 0)"))
        }
        var members: [(String, JSONValue)] = [
            ("cinchRecord", .number("1")), ("complete", .bool(trace.isComplete)),
            ("incompleteReasons", .makeArray(trace.incompleteReasons.map { .string($0) })),
            ("output", .string(output)), ("processes", .number("\(trace.processCount)")),
            ("syscalls", .makeObject(perABI)),
        ]
        if let exit = trace.exitStatus { members.append(("exitStatus", .number("\(exit.shellStatus)"))) }
        if let container { members.append(("run", json(container))) }
        return .makeObject(members)
    }
}
