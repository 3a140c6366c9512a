// SPDX-License-Identifier: Apache-2.0
// Turns traces into a least-privilege seccomp profile (Docker or OCI format).

public import CinchModel

/// Generates least-privilege seccomp profiles from traces.
///
/// The profile denies by default (`SCMP_ACT_ERRNO`) and allows exactly the syscalls the traces
/// observed or inherited, plus ``essentialSyscalls``. Where the traces recorded argument values
/// (`socket`, `clone`, `personality`), ``ArgumentRules`` narrows the allow rule with argument
/// conditions. Output is deterministic: the name-only rule comes first with its names sorted, then
/// the conditional rules by name and value, and the same traces give byte-identical JSON.
public enum SeccompProfileGenerator {
    /// Syscalls every profile allows even when a trace did not see them.
    ///
    /// A process must be able to end and to return from signal handlers: without `exit_group`
    /// a denied exit can spin forever (moby/moby#40205), and without `rt_sigreturn` any signal
    /// handler crashes its process. `exit` ends a thread, `restart_syscall` resumes a syscall a
    /// stop interrupted. A tracer cannot reliably see these (they do not return, or happen in
    /// response to signals the workload may not have received during recording).
    public static let essentialSyscalls: [String] = ["exit", "exit_group", "restart_syscall", "rt_sigreturn"]

    /// ENOSYS: what an unobserved `clone3` returns, so libc falls back to `clone`.
    static let enosys: UInt32 = 38

    /// Generation settings.
    public struct Options: Sendable {
        /// Docker (`archMap`) or OCI (`architectures`) JSON.
        public var format: SeccompProfile.Format
        /// The errno a denied syscall returns (1 = EPERM, 38 = ENOSYS).
        public var defaultErrno: UInt32
        /// ABIs to cover instead of those observed.
        public var architectures: [Architecture]?
        /// Whether recorded argument values become argument conditions (see ``ArgumentRules``);
        /// false allows every syscall by name only.
        public var argumentRules: Bool
        /// Which names exist on which ABI (libseccomp's tables). With ``architectures``, names
        /// recorded on other ABIs are translated to what each of them uses
        /// (``Trace/translated(to:isPresent:)``); without it they are copied as they are.
        public var isPresent: SyscallPresence?

        /// Creates options.
        public init(
            format: SeccompProfile.Format = .docker, defaultErrno: UInt32 = 1, architectures: [Architecture]? = nil,
            argumentRules: Bool = true, isPresent: SyscallPresence? = nil
        ) {
            self.format = format
            self.defaultErrno = defaultErrno
            self.architectures = architectures
            self.argumentRules = argumentRules
            self.isPresent = isPresent
        }
    }

    /// The generated profile and what the user should know about it.
    public struct Result: Sendable {
        /// The profile.
        public var profile: SeccompProfile
        /// Notes and warnings (essentials added, incomplete traces, unnamed syscalls).
        public var diagnostics: [Diagnostic]
    }

    /// Generates a profile from the union of `traces`.
    ///
    /// - Parameters:
    ///   - traces: at least one trace; several are merged by union.
    ///   - files: the traces' file names, in the same order, so a finding about one trace's
    ///     contents names that file; may be empty.
    public static func generate(from traces: [Trace], files: [String] = [], options: Options = Options()) -> Result {
        var diagnostics: [Diagnostic] = []
        guard let first = traces.first else {
            return Result(
                profile: SeccompProfile(
                    format: options.format, defaultAction: .errno, defaultErrnoRet: options.defaultErrno),
                diagnostics: [Diagnostic(.error, id: "generate.no-trace", "No trace was given.")])
        }
        var trace = traces.dropFirst().reduce(first) { $0.merged(with: $1) }
        if !trace.isComplete {
            let reasons = trace.incompleteReasons.joined(separator: " ")
            diagnostics.append(
                Diagnostic(
                    .warning, id: "generate.incomplete-trace",
                    "The trace is incomplete, so the profile may miss syscalls. \(reasons)"))
        }
        if trace.source.noNewPrivileges == true {
            diagnostics.append(
                Diagnostic(
                    .note, id: "generate.recorded-with-no-new-privileges",
                    "The container was recorded with noNewPrivileges: true. Docker and podman run containers with no_new_privs off unless --security-opt no-new-privileges is given, and runtimes then need more syscalls (capset, setgroups, setuid…); record with noNewPrivileges: false for them."
                ))
        }
        var observedABIs = trace.abis.filter { !$0.value.allNames.isEmpty }.keys.sorted()
        for (abi, record) in trace.abis.sorted(by: { $0.key < $1.key }) {
            for (number, count) in record.unknownNumbers.sorted(by: { $0.key < $1.key }) {
                diagnostics.append(
                    Diagnostic(
                        .warning, id: "generate.unnamed-syscall",
                        "Syscall number \(number) on \(abi.name) was seen \(count) times but has no name in libseccomp, so the profile cannot allow it."
                    ))
            }
        }
        if observedABIs.isEmpty { observedABIs = [.x86_64] }
        let abis = options.architectures ?? observedABIs
        var names = Set<String>()
        if let targets = options.architectures, let isPresent = options.isPresent {
            for record in trace.abis.values { names.formUnion(record.allNames) }
            let translation = trace.translated(to: targets, isPresent: isPresent)
            diagnostics += translationFindings(
                translation.steps, skipping: names.filter { !isSyscallName($0) }, traces: traces, files: files)
            trace = translation.trace
            names = names.filter { !isSyscallName($0) }
        }
        for abi in abis { names.formUnion(trace.abis[abi]?.allNames ?? []) }
        if options.architectures != nil, options.isPresent == nil {
            // Explicit ABIs without libseccomp's tables: take every recorded name as it is; the
            // validator reports names absent on one.
            for record in trace.abis.values { names.formUnion(record.allNames) }
        }
        // Names come from trace files, which may be hostile: only syscall-shaped names go in.
        for name in names.sorted() where !isSyscallName(name) {
            // Name the trace that holds it, not the profile it would have gone into.
            let holder = traces.indices.first { index in
                traces[index].abis.values.contains { $0.syscalls[name] != nil || $0.inherited.contains(name) }
            }
            let abi = holder.flatMap { index in traces[index].abis.first { $0.value.allNames.contains(name) }?.key }
            let location = holder.flatMap { index in
                index < files.count
                    ? ProfileLocation(file: files[index], jsonPath: "$.abis.\(abi?.name ?? "?").syscalls") : nil
            }
            diagnostics.append(
                Diagnostic(
                    .error, id: "generate.invalid-syscall-name",
                    "The trace names a syscall \(escaped(name)), which is not a syscall name; it was left out.",
                    at: location))
            names.remove(name)
        }
        let added = essentialSyscalls.filter { !names.contains($0) }
        if !added.isEmpty {
            diagnostics.append(
                Diagnostic(
                    .note, id: "generate.essentials-added",
                    "Added \(added.joined(separator: ", ")) so processes can exit and return from signal handlers."))
        }
        names.formUnion(essentialSyscalls)
        var conditional = ArgumentRules.Outcome()
        if options.argumentRules {
            conditional = ArgumentRules.derive(
                names: names, from: trace, abis: abis, splitByNative: options.format == .docker)
            diagnostics += conditional.diagnostics
        }
        // The name-only rule first, then the conditional rules by name and value.
        let rule = SeccompProfile.Rule(names: names.subtracting(conditional.restrictedNames).sorted(), action: .allow)
        var profile = SeccompProfile(
            format: options.format, defaultAction: .errno, defaultErrnoRet: options.defaultErrno,
            syscalls: [rule] + conditional.rules)
        if !names.contains("clone3"), options.defaultErrno != enosys {
            // glibc (2.34+) falls back from clone3 to clone only on ENOSYS: a library that starts
            // using clone3 after the recording must not get EPERM (Docker answers it the same way).
            profile.syscalls.append(SeccompProfile.Rule(names: ["clone3"], action: .errno, errnoRet: enosys))
            diagnostics.append(
                Diagnostic(
                    .note, id: "generate.clone3-enosys",
                    "clone3 was not seen; it fails with ENOSYS rather than EPERM, so threads and processes fall back to clone as they do under Docker's default profile."
                ))
        }
        switch options.format {
        case .oci:
            profile.architectures = abis.sorted()
        case .docker:
            profile.archMap = archMap(for: abis)
        }
        return Result(profile: profile, diagnostics: diagnostics)
    }

    /// A note per target ABI listing the translations, and a warning per name with no equivalent.
    ///
    /// A name with no equivalent is a warning, not an error: it is specific to the ABI it was
    /// recorded on (`arch_prctl` sets x86 thread-local storage; an aarch64 build of the workload
    /// never makes it), and a profile without it is the right one for the target.
    static func translationFindings(
        _ steps: [SyscallTranslation.Step], skipping invalid: Set<String>, traces: [Trace], files: [String]
    ) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        let targets = Array(Set(steps.map(\.target))).sorted()
        for target in targets {
            let here = steps.filter { $0.target == target && !invalid.contains($0.name) }
            var lines: [String] = []
            for source in Array(Set(here.map(\.source))).sorted() {
                let changed = here.filter { $0.source == source && $0.isTranslation && !$0.equivalents.isEmpty }
                if !changed.isEmpty {
                    lines.append("from \(source.name): " + changed.map(\.description).joined(separator: "; "))
                }
            }
            if !lines.isEmpty {
                findings.append(
                    Diagnostic(
                        .note, id: "generate.translated-syscalls",
                        "Translated for \(target.name) \(lines.joined(separator: "; "))."))
            }
            for step in here where step.equivalents.isEmpty {
                let holder = traces.indices.first { traces[$0].abis[step.source]?.allNames.contains(step.name) == true }
                let location = holder.flatMap { index in
                    index < files.count
                        ? ProfileLocation(file: files[index], jsonPath: "$.abis.\(step.source.name).syscalls") : nil
                }
                findings.append(
                    Diagnostic(
                        .warning, id: "generate.untranslatable-syscall",
                        "\(step.name), recorded on \(step.source.name), has no equivalent on \(target.name), so the profile does not allow it there; a workload built for \(target.name) does not make it. Record on \(target.name) to be sure.",
                        at: location))
            }
        }
        return findings
    }

    /// Whether `name` looks like a syscall name: 1 to 64 characters of `a-z`, `0-9` and `_`.
    public static func isSyscallName(_ name: String) -> Bool {
        guard let first = name.utf8.first, (0x61...0x7A).contains(first) || first == 0x5F else { return false }
        return (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x5F }
    }

    /// `name` quoted, with anything outside printable ASCII shown as `\u{…}`, for messages.
    static func escaped(_ name: String) -> String {
        var text = "\""
        for scalar in name.prefix(80).unicodeScalars {
            if scalar.value >= 0x20 && scalar.value < 0x7F && scalar != "\"" && scalar != "\\" {
                text.unicodeScalars.append(scalar)
            } else {
                text += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return text + (name.count > 80 ? "…\"" : "\"")
    }

    /// Groups ABIs by the native architecture whose kernel runs them, native first.
    static func archMap(for abis: [Architecture]) -> [SeccompProfile.ArchMapEntry] {
        var groups: [Architecture: [Architecture]] = [:]
        for abi in abis {
            let native = abi.nativeFamily
            if abi != native { groups[native, default: []].append(abi) } else { groups[native, default: []] += [] }
        }
        return groups.keys.sorted().map { native in
            SeccompProfile.ArchMapEntry(
                architecture: native, subArchitectures: Array(Set(groups[native] ?? [])).sorted())
        }
    }
}
