// SPDX-License-Identifier: Apache-2.0
// Argument conditions for seccomp rules, generalised conservatively from recorded argument values.

public import CinchModel

/// Turns the argument values a trace recorded into allow rules with argument conditions.
///
/// Only syscalls in ``Trace/argumentCaptures`` get conditions, and only when every recording of
/// them kept their values:
///
/// - `socket` and `personality`: one rule per observed value (`SCMP_CMP_EQ`), so the profile
///   allows exactly the observed address families and personas.
/// - `clone`: when no call set a namespace flag, Docker's own rule (`arg0 & 0x7E020000 == 0`,
///   `SCMP_CMP_MASKED_EQ`), which still allows every fork and thread flag combination. When a call
///   did create a namespace, `clone` is allowed unconditionally with a warning.
///
/// A name without values (a trace from an older cinch or from an audit log, a name inherited from
/// `--known` traces, more than ``Trace/ArgumentValues/limit`` distinct values) stays a plain name,
/// with a note that says why.
public enum ArgumentRules {
    /// What argument data gave: conditional rules, the names they replace, and notes.
    public struct Outcome: Sendable, Equatable {
        /// Allow rules with argument conditions, sorted by name, then by value.
        public var rules: [SeccompProfile.Rule]
        /// The names the conditional rules cover; they must not be allowed unconditionally as well.
        public var restrictedNames: Set<String>
        /// Why a name stayed unconditional, and what was restricted.
        public var diagnostics: [Diagnostic]

        /// Creates an outcome.
        public init(
            rules: [SeccompProfile.Rule] = [], restrictedNames: Set<String> = [], diagnostics: [Diagnostic] = []
        ) {
            self.rules = rules
            self.restrictedNames = restrictedNames
            self.diagnostics = diagnostics
        }
    }

    /// Why a name has no argument rule.
    enum Fallback: Equatable {
        /// Some recording saw the name but kept no values.
        case notRecorded
        /// The name was only inherited from `--known` traces.
        case inherited
        /// More distinct values than ``Trace/ArgumentValues/limit``.
        case unbounded(index: Int)
        /// An ABI the profile covers passes the argument elsewhere (s390 `clone`).
        case otherArgumentLayout(Architecture)
    }

    /// The conditional rules for the captured names among `names`.
    ///
    /// - Parameters:
    ///   - names: every name the profile allows.
    ///   - trace: the merged trace the names come from.
    ///   - abis: the ABIs the profile covers; a condition applies to all of them.
    ///   - splitByNative: whether rules may be limited to native architectures with Docker's
    ///     `includes.arches`, so that ABIs passing an argument in different places (`clone` on
    ///     s390x and x86_64) each get a rule on their own argument.
    public static func derive(
        names: Set<String>, from trace: Trace, abis: [Architecture], splitByNative: Bool = false
    ) -> Outcome {
        var outcome = Outcome()
        var restricted: [String] = []
        for name in names.filter({ Trace.argumentCaptures[$0] != nil }).sorted() {
            var found = evidence(for: name, in: trace, abis: abis).map { [(nil as Architecture?, $0.0, $0.1)] }
            if case .failure(let fallback) = found, case .otherArgumentLayout = fallback.fallback, splitByNative,
                case .success(let parts) = evidenceByNative(for: name, in: trace, abis: abis)
            {
                found = .success(parts)
            }
            switch found {
            case .failure(let fallback):
                outcome.diagnostics.append(note(for: name, fallback.fallback))
            case .success(let parts):
                if name == "clone",
                    let flagged = parts.first(where: { $0.1.mask == Trace.cloneNamespaceMask && $0.2 != [0] })
                {
                    outcome.diagnostics.append(cloneWarning(flagged.2))
                    continue
                }
                for (native, capture, values) in parts {
                    let only = native.map { SeccompProfile.ConditionFilter(arches: [$0.goName ?? $0.name]) }
                    outcome.rules += rules(for: name, capture: capture, values: values).map { rule in
                        var rule = rule
                        rule.includes = only
                        return rule
                    }
                    restricted.append(
                        describe(name, capture: capture, values: values) + (native.map { " on \($0.name)" } ?? ""))
                }
                outcome.restrictedNames.insert(name)
            }
        }
        if !restricted.isEmpty {
            outcome.diagnostics.append(
                Diagnostic(
                    .note, id: "generate.argument-rules",
                    "Restricted by recorded arguments: \(restricted.joined(separator: "; "))."))
        }
        return outcome
    }

    // MARK: - Evidence

    /// The capture and the union of values for `name` over every ABI that saw or inherited it.
    static func evidence(
        for name: String, in trace: Trace, abis: [Architecture]
    ) -> Result<(Trace.ArgumentCapture, Set<UInt64>), FallbackError> {
        // One rule covers every ABI of the profile, so they must all pass the argument alike.
        let layout = abis.first.flatMap { Trace.argumentCapture(for: name, on: $0) }
        for abi in abis where layout == nil || Trace.argumentCapture(for: name, on: abi) != layout {
            return .failure(FallbackError(.otherArgumentLayout(abi)))
        }
        var found: (capture: Trace.ArgumentCapture, values: Set<UInt64>)?
        for (abi, record) in trace.abis.sorted(by: { $0.key < $1.key }) where record.allNames.contains(name) {
            guard let capture = Trace.argumentCapture(for: name, on: abi), capture == layout else {
                return .failure(FallbackError(.otherArgumentLayout(abi)))
            }
            guard let seen = record.syscalls[name] else { return .failure(FallbackError(.inherited)) }
            guard let values = seen.arguments[capture.index], !values.values.isEmpty || values.isUnbounded else {
                return .failure(FallbackError(.notRecorded))
            }
            if values.isUnbounded { return .failure(FallbackError(.unbounded(index: capture.index))) }
            if let previous = found, previous.capture != capture { return .failure(FallbackError(.notRecorded)) }
            found = (capture, (found?.values ?? []).union(values.values))
        }
        guard let found else { return .failure(FallbackError(.notRecorded)) }
        if found.values.count > Trace.ArgumentValues.limit {
            return .failure(FallbackError(.unbounded(index: found.capture.index)))
        }
        return .success((found.capture, found.values))
    }

    /// The evidence for `name` per native architecture of `abis`, each over its own ABIs' records:
    /// what a Docker profile can hold as one rule per native with `includes.arches`.
    static func evidenceByNative(
        for name: String, in trace: Trace, abis: [Architecture]
    ) -> Result<[(Architecture?, Trace.ArgumentCapture, Set<UInt64>)], FallbackError> {
        var parts: [(Architecture?, Trace.ArgumentCapture, Set<UInt64>)] = []
        for native in Array(Set(abis.map(\.nativeFamily))).sorted() {
            let group = abis.filter { $0.nativeFamily == native }
            var part = trace
            part.abis = trace.abis.filter { group.contains($0.key) }
            switch evidence(for: name, in: part, abis: group) {
            case .failure(let fallback): return .failure(fallback)
            case .success(let (capture, values)): parts.append((native, capture, values))
            }
        }
        return .success(parts)
    }

    /// A ``Fallback`` as an error, so evidence can be a `Result`.
    struct FallbackError: Error {
        var fallback: Fallback
        init(_ fallback: Fallback) { self.fallback = fallback }
    }

    // MARK: - Rules

    /// One allow rule per value: `SCMP_CMP_EQ` for whole arguments, `SCMP_CMP_MASKED_EQ` for
    /// masked ones (`clone`, whose only value is then 0: Docker's rule).
    static func rules(for name: String, capture: Trace.ArgumentCapture, values: Set<UInt64>) -> [SeccompProfile.Rule] {
        values.sorted().map { value in
            let condition =
                capture.mask == .max
                ? SeccompProfile.ArgumentCondition(index: UInt32(capture.index), value: value, op: .equal)
                : SeccompProfile.ArgumentCondition(
                    index: UInt32(capture.index), value: capture.mask, valueTwo: value, op: .maskedEqual)
            return SeccompProfile.Rule(names: [name], action: .allow, args: [condition])
        }
    }

    // MARK: - Messages

    static func describe(_ name: String, capture: Trace.ArgumentCapture, values: Set<UInt64>) -> String {
        let argument = "arg\(capture.index)"
        if name == "clone", capture.mask == Trace.cloneNamespaceMask, values == [0] {
            return "clone \(argument) & \(hex(capture.mask)) == 0 (no namespace flags)"
        }
        if capture.mask != .max {
            let list = values.sorted().map { hex($0) }.joined(separator: ", ")
            return "\(name) \(argument) & \(hex(capture.mask)) in {\(list)}"
        }
        return "\(name) \(argument) in {\(values.sorted().map(number).joined(separator: ", "))}"
    }

    static func note(for name: String, _ fallback: Fallback) -> Diagnostic {
        let why =
            switch fallback {
            case .notRecorded:
                "a trace saw it without recording its arguments (a trace from an older cinch or from an audit log)"
            case .inherited:
                "it was only inherited from --known traces, so no recording saw its arguments"
            case .unbounded(let index):
                "argument \(index) had more than \(Trace.ArgumentValues.limit) distinct values"
            case .otherArgumentLayout(let abi):
                "\(abi.name) passes the argument in another register"
            }
        return Diagnostic(
            .note, id: "generate.argument-rules-fallback", "\(name) is allowed by name only: \(why).")
    }

    static func cloneWarning(_ values: Set<UInt64>) -> Diagnostic {
        let bits = values.reduce(0, |)
        let flags = cloneNamespaceFlags.filter { bits & $0.bit != 0 }.map(\.name)
        return Diagnostic(
            .warning, id: "generate.clone-namespaces",
            "clone was called with namespace flags (\(flags.joined(separator: ", "))), so it is allowed without Docker's argument filter (arg0 & 0x7e020000 == 0): the workload can create namespaces."
        )
    }

    /// The namespace flags in ``Trace/cloneNamespaceMask``, in bit order.
    static let cloneNamespaceFlags: [(name: String, bit: UInt64)] = [
        ("CLONE_NEWNS", 0x0002_0000), ("CLONE_NEWCGROUP", 0x0200_0000), ("CLONE_NEWUTS", 0x0400_0000),
        ("CLONE_NEWIPC", 0x0800_0000), ("CLONE_NEWUSER", 0x1000_0000), ("CLONE_NEWPID", 0x2000_0000),
        ("CLONE_NEWNET", 0x4000_0000),
    ]

    static func hex(_ value: UInt64) -> String { "0x" + String(value, radix: 16) }

    /// Decimal below 4096, hexadecimal above (as `cinch diff` shows values).
    static func number(_ value: UInt64) -> String { value < 4096 ? String(value) : hex(value) }
}
