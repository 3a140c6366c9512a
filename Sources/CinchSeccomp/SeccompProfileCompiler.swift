// SPDX-License-Identifier: Apache-2.0
// Compiles a Docker/OCI seccomp profile with libseccomp, as a container runtime would, into BPF.

internal import CSeccomp
internal import CinchLinux
public import CinchModel

/// Compiles a ``SeccompProfile`` into a classic-BPF seccomp program with libseccomp.
///
/// The compiler does what runc and crun do with a profile — expand the architectures, evaluate
/// Docker's `includes`/`excludes`, resolve every name per ABI and add the rules — but it only ever
/// exports the result. It never loads a filter into cinch.
///
/// Problems are reported as ``Diagnostic``s, never thrown:
/// - `seccomp.unknown-syscall` (error): a name libseccomp knows on none of the profile's ABIs.
/// - `seccomp.syscall-absent-on-architecture`: a name missing on some ABIs, which runtimes skip
///   there (a note), or on every ABI of the profile, so the rule does nothing (a warning).
/// - `seccomp.duplicate-argument-condition` (error): two conditions on the same argument in one
///   rule, which libseccomp rejects with `EINVAL` and runc silently turns into separate (OR-ed)
///   rules.
/// - `seccomp.redundant-rule` (note): a rule whose action is the default action; libseccomp
///   rejects those with `EACCES`, so it is skipped.
/// - `seccomp.mixed-byte-order` (error): little- and big-endian ABIs in one filter.
/// - `seccomp.unsupported-architecture`, `seccomp.unsupported-action`, `seccomp.rule-rejected`,
///   `seccomp.errno-out-of-range` and `seccomp.libseccomp-error` (errors).
public enum SeccompProfileCompiler {
    /// The size of the program libseccomp generates for one ABI alone.
    public struct ArchitectureProgram: Sendable, Hashable {
        /// The ABI.
        public var architecture: Architecture
        /// Classic-BPF instructions in a filter covering only this ABI.
        public var instructionCount: Int

        /// Creates a summary.
        public init(architecture: Architecture, instructionCount: Int) {
            self.architecture = architecture
            self.instructionCount = instructionCount
        }
    }

    /// The result of compiling a profile.
    public struct Compilation: Sendable {
        /// The ABIs the filter covers: the profile's effective architectures that libseccomp supports.
        public var architectures: [Architecture]
        /// The combined program for every ABI (`struct sock_filter` array, 8 bytes per instruction),
        /// ready to load in a child process; nil when any error diagnostic was reported.
        public var bpf: [UInt8]?
        /// Instruction counts of single-ABI filters, in ``architectures`` order.
        public var perArchitecture: [ArchitectureProgram]
        /// libseccomp's pseudo filter code of the combined filter, when asked for and compilable.
        public var pfc: String?
        /// Findings, in profile order, without duplicates.
        public var diagnostics: [Diagnostic]
        /// Indexes into ``SeccompProfile/syscalls`` of rules whose `includes`/`excludes` made them
        /// not apply on this host.
        public var inapplicableRules: [Int]

        /// Creates a compilation result.
        public init(
            architectures: [Architecture] = [], bpf: [UInt8]? = nil, perArchitecture: [ArchitectureProgram] = [],
            pfc: String? = nil, diagnostics: [Diagnostic] = [], inapplicableRules: [Int] = []
        ) {
            self.architectures = architectures
            self.bpf = bpf
            self.perArchitecture = perArchitecture
            self.pfc = pfc
            self.diagnostics = diagnostics
            self.inapplicableRules = inapplicableRules
        }

        /// Whether any diagnostic is an error.
        public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    }

    /// Compiles `profile` for a host of architecture `native`.
    ///
    /// - Parameters:
    ///   - profile: The profile.
    ///   - file: The file name used in diagnostic locations (with JSON paths such as `$.syscalls[3]`).
    ///   - native: The host architecture, which picks the Docker `archMap` entry and the
    ///     `includes.arches`/`excludes.arches` name.
    ///   - capabilities: Capabilities the container has, with or without the `CAP_` prefix; nil means
    ///     Docker's default set (``SeccompTarget/dockerDefaultCapabilities``).
    ///   - kernelVersion: The kernel to evaluate `minKernel` against; nil means the running kernel
    ///     (`uname(2)`). When that cannot be determined, `minKernel` conditions are taken as met.
    ///   - includePFC: Whether to export the combined filter as pseudo filter code too.
    /// - Returns: The program, per-ABI sizes and diagnostics. Unknown names, unsupported actions and
    ///   architectures are diagnostics, not crashes.
    public static func compile(
        _ profile: SeccompProfile, file: String = "<profile>", native: Architecture = SyscallResolver.native,
        capabilities: Set<String>? = nil, kernelVersion: KernelVersion? = nil, includePFC: Bool = false
    ) -> Compilation {
        compile(
            profile, file: file, native: native, capabilities: capabilities, kernelVersion: kernelVersion,
            includePFC: includePFC, presenceABIs: nil)
    }

    /// The native architectures a profile is meant for: each `archMap` entry of a Docker profile
    /// (dockerd picks one per host), or just `host`.
    public static func nativeArchitectures(of profile: SeccompProfile, host: Architecture) -> [Architecture] {
        guard profile.format == .docker, profile.architectures.isEmpty, !profile.archMap.isEmpty else { return [host] }
        var natives: [Architecture] = []
        for entry in profile.archMap where !natives.contains(entry.architecture) { natives.append(entry.architecture) }
        return natives
    }

    /// Compiles `profile` for every ABI it covers, whatever the host.
    ///
    /// A Docker `archMap` is evaluated for each of its native architectures, as dockerd would on
    /// such a host (its `includes.arches`/`excludes.arches` too); any other profile is compiled
    /// for `host` (see ``compile(_:file:native:capabilities:kernelVersion:includePFC:)``). Whether
    /// a name exists is judged over all of those ABIs together: a name that only one native's ABIs
    /// have is a note, and one none of them has is a warning.
    ///
    /// - Returns: every ABI with its instruction count in `archMap` order, the findings of all
    ///   natives without duplicates, the rules that apply on none of them, and the program of
    ///   `host` (or of the first native when the host is not among them).
    public static func compileEveryArchitecture(
        _ profile: SeccompProfile, file: String = "<profile>", host: Architecture = SyscallResolver.native,
        capabilities: Set<String>? = nil, kernelVersion: KernelVersion? = nil, includePFC: Bool = false
    ) -> Compilation {
        let natives = nativeArchitectures(of: profile, host: host)
        guard natives.count > 1 || natives != [host] else {
            return compile(
                profile, file: file, native: host, capabilities: capabilities, kernelVersion: kernelVersion,
                includePFC: includePFC)
        }
        var everyABI: [Architecture] = []
        for native in natives {
            for abi in profile.effectiveArchitectures(native: native) where !everyABI.contains(abi) {
                if SyscallResolver.supports(abi) { everyABI.append(abi) }
            }
        }
        var merged = Compilation()
        var inapplicable: Set<Int>?
        var seen = Set<Diagnostic>()
        for native in natives {
            let one = compile(
                profile, file: file, native: native, capabilities: capabilities, kernelVersion: kernelVersion,
                includePFC: includePFC && (native == host || native == natives[0]), presenceABIs: everyABI)
            for abi in one.architectures where !merged.architectures.contains(abi) { merged.architectures.append(abi) }
            for program in one.perArchitecture
            where !merged.perArchitecture.contains(where: { $0.architecture == program.architecture }) {
                merged.perArchitecture.append(program)
            }
            merged.diagnostics += one.diagnostics.filter { seen.insert($0).inserted }
            inapplicable = inapplicable.map { $0.intersection(one.inapplicableRules) } ?? Set(one.inapplicableRules)
            if native == host || (merged.bpf == nil && !natives.contains(host)) {
                merged.bpf = one.bpf
                merged.pfc = one.pfc
            }
        }
        merged.inapplicableRules = (inapplicable ?? []).sorted()
        if merged.hasErrors { merged.bpf = nil }
        return merged
    }

    private static func compile(
        _ profile: SeccompProfile, file: String, native: Architecture, capabilities: Set<String>?,
        kernelVersion: KernelVersion?, includePFC: Bool, presenceABIs: [Architecture]?
    ) -> Compilation {
        var diagnostics: [Diagnostic] = []
        func location(_ path: String) -> ProfileLocation { ProfileLocation(file: file, jsonPath: path) }

        // MARK: Architectures
        var abis: [Architecture] = []
        for abi in profile.effectiveArchitectures(native: native) where !abis.contains(abi) {
            if SyscallResolver.supports(abi) {
                abis.append(abi)
            } else {
                diagnostics.append(
                    Diagnostic(
                        .error, id: "seccomp.unsupported-architecture",
                        "libseccomp \(SyscallResolver.libraryVersion.version) does not support architecture \(abi.scmpName).",
                        at: location(architecturePath(of: abi, in: profile))
                    )
                )
            }
        }
        guard !abis.isEmpty else {
            diagnostics.append(
                Diagnostic(
                    .error, id: "seccomp.unsupported-architecture", "No architecture of the profile can be compiled.",
                    at: location("$"))
            )
            return Compilation(diagnostics: diagnostics)
        }
        // A filter runs on one machine, so in one byte order; libseccomp refuses (EDOM) to mix them.
        if let little = abis.first(where: { $0.isLittleEndian }), let big = abis.first(where: { !$0.isLittleEndian }) {
            let second = abis.firstIndex(of: little) ?? 0 < abis.firstIndex(of: big) ?? 0 ? big : little
            diagnostics.append(
                Diagnostic(
                    .error, id: "seccomp.mixed-byte-order",
                    "\(little.name) is little-endian and \(big.name) big-endian: no machine runs both, and one filter cannot cover them (libseccomp refuses). Write a profile per byte order, or a Docker profile with an archMap entry for each native architecture.",
                    at: location(architecturePath(of: second, in: profile))))
            return Compilation(architectures: abis, diagnostics: diagnostics)
        }

        // MARK: Flags
        for (index, flag) in profile.flags.enumerated() where !knownFlags.contains(flag) {
            diagnostics.append(
                Diagnostic(
                    .error, id: "seccomp.unknown-flag",
                    "Unknown seccomp flag \"\(flag)\": runtimes know \(knownFlags.sorted().joined(separator: ", ")).",
                    at: location("$.flags[\(index)]")))
        }

        // MARK: Default action
        if let errnoRet = profile.defaultErrnoRet, errnoRet > UInt32(UInt16.max) {
            diagnostics.append(
                Diagnostic(
                    .error, id: "seccomp.errno-out-of-range",
                    "defaultErrnoRet \(errnoRet) does not fit the 16-bit seccomp return data.",
                    at: location("$.defaultErrnoRet")
                )
            )
        }
        if profile.defaultAction == .notify {
            diagnostics.append(
                Diagnostic(
                    .error, id: "seccomp.unsupported-action",
                    "SCMP_ACT_NOTIFY cannot be the default action: runc and crun reject it, and every syscall, including the supervisor's replies, would wait for the agent.",
                    at: location("$.defaultAction")
                )
            )
        }
        let defaultValue = SeccompActionValue(profile.defaultAction, errnoRet: profile.defaultErrnoRet)

        // MARK: Rules
        let context = SeccompTarget(
            native: native, capabilities: capabilities, kernel: kernelVersion ?? KernelVersion.running)
        var plan: [PlannedRule] = []
        var inapplicable: [Int] = []
        for (index, rule) in profile.syscalls.enumerated() {
            let rulePath = "$.syscalls[\(index)]"
            guard context.applies(rule) else {
                inapplicable.append(index)
                continue
            }
            if let problem = skipReason(rule, defaultValue: defaultValue, at: rulePath, in: file) {
                diagnostics.append(problem)
                continue
            }
            let value = SeccompActionValue(rule.action, errnoRet: rule.errnoRet)
            var names: [PlannedName] = []
            for (nameIndex, name) in rule.names.enumerated() {
                let namePath = rulePath + ".names[\(nameIndex)]"
                var present: [Architecture] = []
                var absent: [Architecture] = []
                var unknown: [Architecture] = []
                let judged = presenceABIs ?? abis
                for abi in judged {
                    switch presence(of: name, on: abi) {
                    case .present: present.append(abi)
                    case .absent: absent.append(abi)
                    case .unknown: unknown.append(abi)
                    }
                }
                if present.isEmpty, absent.isEmpty {
                    diagnostics.append(
                        Diagnostic(
                            .error, id: "seccomp.unknown-syscall",
                            "Unknown syscall \"\(name)\": libseccomp knows no such syscall on \(describe(judged)).",
                            at: location(namePath)
                        )
                    )
                    continue
                }
                if !absent.isEmpty || !unknown.isEmpty {
                    let missing = judged.filter { !present.contains($0) }
                    diagnostics.append(
                        Diagnostic(
                            present.isEmpty ? .warning : .note, id: "seccomp.syscall-absent-on-architecture",
                            "Syscall \"\(name)\" does not exist on \(describe(missing)); runtimes skip it there."
                                + successorHint(for: name, on: missing),
                            at: location(namePath)
                        )
                    )
                }
                if !present.isEmpty { names.append(PlannedName(name: name, path: namePath, abis: Set(present))) }
            }
            plan.append(
                PlannedRule(path: rulePath, action: value, actionName: rule.action, conditions: rule.args, names: names)
            )
        }

        // MARK: Bound the work
        var distinct = Set<RuleKey>()
        for rule in plan {
            for name in rule.names {
                distinct.insert(RuleKey(action: rule.action, name: name.name, conditions: rule.conditions))
            }
        }
        guard distinct.count <= ruleLimit else {
            diagnostics.append(
                Diagnostic(
                    .error, id: "seccomp.too-many-rules",
                    "The profile has \(distinct.count) distinct syscall rules; cinch compiles at most \(ruleLimit). libseccomp's compile time grows with the square of the rules a syscall has, and real profiles have a few hundred.",
                    at: location("$.syscalls")))
            return Compilation(architectures: abis, diagnostics: diagnostics, inapplicableRules: inapplicable)
        }

        // MARK: Per-ABI and combined filters
        var perArchitecture: [ArchitectureProgram] = []
        for abi in abis {
            do throws(SeccompError) {
                let filter = try makeFilter(
                    abis: [abi], defaultValue: defaultValue, plan: plan, file: file, diagnostics: &diagnostics)
                perArchitecture.append(
                    ArchitectureProgram(architecture: abi, instructionCount: try filter.exportBPF().count / 8))
            } catch {
                diagnostics.append(filterError(error, profile: profile, location: location("$")))
            }
        }
        var bpf: [UInt8]?
        var pfc: String?
        do throws(SeccompError) {
            let filter = try makeFilter(
                abis: abis, defaultValue: defaultValue, plan: plan, file: file, diagnostics: &diagnostics)
            bpf = try filter.exportBPF()
            if includePFC { pfc = try filter.exportPFC() }
        } catch {
            diagnostics.append(filterError(error, profile: profile, location: location("$")))
        }

        var seen = Set<Diagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        let failed = unique.contains { $0.severity == .error }
        return Compilation(
            architectures: abis, bpf: failed ? nil : bpf, perArchitecture: perArchitecture, pfc: pfc,
            diagnostics: unique, inapplicableRules: inapplicable
        )
    }

    // MARK: - Building filters

    private struct PlannedName {
        var name: String
        var path: String
        var abis: Set<Architecture>
    }

    private struct PlannedRule {
        var path: String
        var action: SeccompActionValue
        var actionName: SeccompProfile.Action
        var conditions: [SeccompProfile.ArgumentCondition]
        var names: [PlannedName]
    }

    /// The `flags` the OCI runtime spec defines (runc and crun reject any other).
    public static let knownFlags: Set<String> = [
        "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    ]

    /// The most distinct rules (syscall name, action and argument conditions) a profile may
    /// have: Docker's default profile has about 400, and compiling 4,096 takes about a second.
    public static let ruleLimit = 4096

    /// Why `rule` cannot be added to a filter whose default is `defaultValue`, if it cannot: an
    /// `errnoRet` beyond 16 bits, an action equal to the default (libseccomp rejects it with
    /// EACCES; a note), or two conditions on one argument (EINVAL).
    private static func skipReason(
        _ rule: SeccompProfile.Rule, defaultValue: SeccompActionValue, at rulePath: String, in file: String
    ) -> Diagnostic? {
        func location(_ member: String) -> ProfileLocation { ProfileLocation(file: file, jsonPath: rulePath + member) }
        if let errnoRet = rule.errnoRet, errnoRet > UInt32(UInt16.max) {
            return Diagnostic(
                .error, id: "seccomp.errno-out-of-range",
                "errnoRet \(errnoRet) does not fit the 16-bit seccomp return data.", at: location(".errnoRet"))
        }
        if SeccompActionValue(rule.action, errnoRet: rule.errnoRet) == defaultValue {
            return Diagnostic(
                .note, id: "seccomp.redundant-rule",
                "The rule's action \(rule.action.rawValue) is the default action, so it has no effect; libseccomp rejects such rules (EACCES), so it is skipped.",
                at: location(".action"))
        }
        if let repeated = repeatedArgumentIndex(rule.args) {
            return Diagnostic(
                .error, id: "seccomp.duplicate-argument-condition",
                "The rule for \(rule.names.joined(separator: ", ")) has more than one condition on argument \(repeated); libseccomp rejects this (EINVAL) and runc would OR the conditions as separate rules instead of AND-ing them. Split it into separate rules.",
                at: location(".args"))
        }
        return nil
    }

    /// What makes two rules the same to libseccomp.
    private struct RuleKey: Hashable {
        var action: SeccompActionValue
        var name: String
        var conditions: [SeccompProfile.ArgumentCondition]
    }

    /// A filter covering `abis` with every planned rule whose name exists on one of them.
    private static func makeFilter(
        abis: [Architecture], defaultValue: SeccompActionValue, plan: [PlannedRule], file: String,
        diagnostics: inout [Diagnostic]
    ) throws(SeccompError) -> SeccompFilter {
        let filter = try SeccompFilter(defaultAction: defaultValue)
        try filter.setArchitectures(abis)
        // libseccomp's rule add is linear in the rules a syscall already has, so N copies of one
        // rule cost N² (106 s for 40,000). A copy changes nothing: add each distinct rule once.
        var added = Set<RuleKey>()
        for rule in plan {
            for name in rule.names where abis.contains(where: { name.abis.contains($0) }) {
                guard added.insert(RuleKey(action: rule.action, name: name.name, conditions: rule.conditions)).inserted
                else { continue }
                do throws(SeccompError) {
                    let known = try filter.addRule(rule.action, syscall: name.name, conditions: rule.conditions)
                    if !known {
                        diagnostics.append(
                            Diagnostic(
                                .error, id: "seccomp.unknown-syscall",
                                "Unknown syscall \"\(name.name)\": libseccomp cannot resolve it.",
                                at: ProfileLocation(file: file, jsonPath: name.path)
                            )
                        )
                    }
                } catch {
                    diagnostics.append(
                        Diagnostic(
                            .error, id: "seccomp.rule-rejected",
                            "libseccomp rejected the \(rule.actionName.rawValue) rule for \"\(name.name)\": \(error.errno).",
                            at: ProfileLocation(file: file, jsonPath: name.path)
                        )
                    )
                }
            }
        }
        return filter
    }

    private static func filterError(_ error: SeccompError, profile: SeccompProfile, location: ProfileLocation)
        -> Diagnostic
    {
        if error.function == "seccomp_init" {
            return Diagnostic(
                .error, id: "seccomp.unsupported-action",
                "libseccomp \(SyscallResolver.libraryVersion.version) (API level \(SyscallResolver.libraryVersion.apiLevel)) rejects the default action \(profile.defaultAction.rawValue).",
                at: ProfileLocation(file: location.file, jsonPath: "$.defaultAction")
            )
        }
        return Diagnostic(.error, id: "seccomp.libseccomp-error", "Could not build the filter: \(error).", at: location)
    }

    // MARK: - Helpers

    private enum Presence {
        case present
        case absent
        case unknown
    }

    /// Whether libseccomp can add a rule for `name` on `abi` (multiplexed socket/IPC calls count).
    private static func presence(of name: String, on abi: Architecture) -> Presence {
        switch SyscallResolver.resolve(name, on: abi) {
        case .number, .multiplexed: .present
        case .absentOnArchitecture: .absent
        case .unknown: .unknown
        }
    }

    /// What ABIs lacking `name` use instead, when any has an equivalent: ` (aarch64 uses openat)`.
    private static func successorHint(for name: String, on missing: [Architecture]) -> String {
        let uses = missing.compactMap { abi -> String? in
            let equivalents = SyscallTranslation.equivalents(of: name, on: abi, isPresent: SyscallResolver.presence)
            return equivalents.isEmpty ? nil : "\(abi.name) uses \(equivalents.joined(separator: ", "))"
        }
        return uses.isEmpty ? "" : " Instead, " + uses.joined(separator: "; ") + "."
    }

    /// The first argument index that more than one condition tests, if any.
    private static func repeatedArgumentIndex(_ conditions: [SeccompProfile.ArgumentCondition]) -> UInt32? {
        var seen = Set<UInt32>()
        for condition in conditions where !seen.insert(condition.index).inserted { return condition.index }
        return nil
    }

    private static func describe(_ abis: [Architecture]) -> String {
        abis.map(\.name).joined(separator: ", ")
    }

    /// The JSON path that introduces `abi` into the profile's architectures.
    private static func architecturePath(of abi: Architecture, in profile: SeccompProfile) -> String {
        if let index = profile.architectures.firstIndex(of: abi) { return "$.architectures[\(index)]" }
        for (entryIndex, entry) in profile.archMap.enumerated() {
            if entry.architecture == abi { return "$.archMap[\(entryIndex)].architecture" }
            if let index = entry.subArchitectures.firstIndex(of: abi) {
                return "$.archMap[\(entryIndex)].subArchitectures[\(index)]"
            }
        }
        return "$"
    }

}
