// SPDX-License-Identifier: Apache-2.0
// Validates a seccomp profile file: strict reading, a libseccomp compile per ABI, and lints.

internal import CinchLinux
public import CinchModel
public import CinchSeccomp

/// Checks seccomp profiles the way a container runtime would use them, without loading anything.
///
/// Validation reads the file strictly (``SeccompProfile/init(jsonBytes:file:)``), compiles it with
/// libseccomp for every ABI it covers (``SeccompProfileCompiler``), and adds lints:
/// - `seccomp.allows-nothing` (error): the default action denies and no rule allows anything.
/// - `seccomp.missing-exit-essentials` (warning): the default action denies and one of `exit`,
///   `exit_group`, `rt_sigreturn` or `restart_syscall` is not allowed. A process that cannot
///   call `exit_group` cannot exit cleanly and may spin in its exit path.
/// - `seccomp.conflicting-rules` (warning): one syscall in rules with different actions.
///   libseccomp does not combine them: of two unconditional rules the first added wins, and an
///   unconditional rule silently replaces conditional ones for the same syscall.
///
/// Diagnostics carry the file, line, column and JSON path of what they are about.
public enum SeccompValidator {
    /// Syscalls every process needs to exit and to return from signal handlers.
    public static let exitEssentials = ["exit", "exit_group", "rt_sigreturn", "restart_syscall"]

    /// Validates the profile at `path`.
    ///
    /// - Parameters:
    ///   - path: The profile file.
    ///   - includePFC: Whether to include libseccomp's pseudo filter code in the report.
    /// - Returns: The report. An unreadable or unparsable file is not thrown: the report has
    ///   ``ValidationReport/isUsable`` false and one error diagnostic.
    public static func validate(path: String, includePFC: Bool) -> ValidationReport {
        validate(path: path, includePFC: includePFC, native: SyscallResolver.native)
    }

    /// Validates the profile at `path` for a chosen host.
    ///
    /// - Parameters:
    ///   - path: The profile file.
    ///   - includePFC: Whether to include libseccomp's pseudo filter code in the report.
    ///   - native: The host architecture (picks Docker's `archMap` entry).
    ///   - capabilities: The container's capabilities; nil means Docker's default set.
    ///   - kernelVersion: The kernel for `minKernel`; nil means the running kernel.
    /// - Returns: The report.
    public static func validate(
        path: String, includePFC: Bool, native: Architecture, capabilities: Set<String>? = nil,
        kernelVersion: KernelVersion? = nil
    ) -> ValidationReport {
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read(path)
        } catch {
            return ValidationReport(
                file: path, kind: .seccomp, verdict: .unusable,
                diagnostics: [Diagnostic(.error, id: "input.unreadable", error.message, at: error.location)]
            )
        }
        return validate(
            bytes: bytes, file: path, includePFC: includePFC, native: native, capabilities: capabilities,
            kernelVersion: kernelVersion
        )
    }

    /// Validates a profile held in memory.
    ///
    /// - Parameters:
    ///   - bytes: The profile's JSON.
    ///   - file: The name used in diagnostic locations.
    ///   - includePFC: Whether to include libseccomp's pseudo filter code in the report.
    ///   - native: The host architecture (picks Docker's `archMap` entry).
    ///   - capabilities: The container's capabilities; nil means Docker's default set.
    ///   - kernelVersion: The kernel for `minKernel`; nil means the running kernel.
    /// - Returns: The report.
    public static func validate(
        bytes: [UInt8], file: String, includePFC: Bool, native: Architecture = SyscallResolver.native,
        capabilities: Set<String>? = nil, kernelVersion: KernelVersion? = nil
    ) -> ValidationReport {
        let profile: SeccompProfile
        do {
            profile = try SeccompProfile(jsonBytes: bytes, file: file)
        } catch {
            return ValidationReport(
                file: file, kind: .seccomp, verdict: .unusable,
                diagnostics: [Diagnostic(.error, id: "seccomp.invalid-profile", error.message, at: error.location)]
            )
        }
        let compilation = SeccompProfileCompiler.compileEveryArchitecture(
            profile, file: file, host: native, capabilities: capabilities, kernelVersion: kernelVersion,
            includePFC: includePFC
        )
        var diagnostics = compilation.diagnostics
        diagnostics += lint(profile, inapplicable: Set(compilation.inapplicableRules), file: file)
        let locations = SourcePositions(bytes: bytes, file: file)
        let located = diagnostics.map(locations.complete)
        return ValidationReport(
            file: file, kind: .seccomp, verdict: located.contains { $0.severity == .error } ? .invalid : .valid,
            diagnostics: located, format: profile.format, perArchitecture: compilation.perArchitecture,
            pfc: compilation.pfc
        )
    }

    // MARK: - Lints

    private static func lint(_ profile: SeccompProfile, inapplicable: Set<Int>, file: String) -> [Diagnostic] {
        var diagnostics: [Diagnostic] = []
        let applicable = profile.syscalls.enumerated().filter { !inapplicable.contains($0.offset) }
        let allowing: Set<SeccompProfile.Action> = [.allow, .log]
        let allowed = Set(applicable.filter { allowing.contains($0.element.action) }.flatMap(\.element.names))

        if !allowing.contains(profile.defaultAction) {
            if allowed.isEmpty {
                diagnostics.append(
                    Diagnostic(
                        .error, id: "seccomp.allows-nothing",
                        "The profile allows no syscall: the default action is \(profile.defaultAction.rawValue) and no rule that applies allows anything, so a process cannot even exec.",
                        at: ProfileLocation(file: file, jsonPath: "$.defaultAction")
                    )
                )
            } else {
                let missing = exitEssentials.filter { !allowed.contains($0) }
                if !missing.isEmpty {
                    diagnostics.append(
                        Diagnostic(
                            .warning, id: "seccomp.missing-exit-essentials",
                            "The profile does not allow \(missing.joined(separator: ", ")); without exit_group and rt_sigreturn a process cannot exit or return from a signal handler and can be stuck in an exit loop.",
                            at: ProfileLocation(file: file, jsonPath: "$.defaultAction")
                        )
                    )
                }
            }
        }

        // Syscalls named by rules with different actions, among the rules that apply.
        var firstUse: [String: (path: String, action: SeccompProfile.Action, errnoRet: UInt32?)] = [:]
        var reported = Set<String>()
        for (index, rule) in applicable {
            for (nameIndex, name) in rule.names.enumerated() {
                let path = "$.syscalls[\(index)].names[\(nameIndex)]"
                guard let first = firstUse[name] else {
                    firstUse[name] = (path, rule.action, rule.errnoRet)
                    continue
                }
                guard first.action != rule.action || first.errnoRet != rule.errnoRet, reported.insert(name).inserted
                else {
                    continue
                }
                diagnostics.append(
                    Diagnostic(
                        .warning, id: "seccomp.conflicting-rules",
                        "Syscall \"\(name)\" is in rules with different actions (\(describe(first.action, first.errnoRet)) at \(first.path), \(describe(rule.action, rule.errnoRet)) here); libseccomp does not combine them: of two unconditional rules the first one wins, and an unconditional rule silently replaces conditional ones.",
                        at: ProfileLocation(file: file, jsonPath: path)
                    )
                )
            }
        }
        return diagnostics
    }

    private static func describe(_ action: SeccompProfile.Action, _ errnoRet: UInt32?) -> String {
        guard let errnoRet, action == .errno || action == .trace else { return action.rawValue }
        return "\(action.rawValue)(\(errnoRet))"
    }
}

/// Line and column of every JSON path in a document, to complete diagnostic locations.
private struct SourcePositions {
    private var positions: [String: ProfileLocation] = [:]

    init(bytes: [UInt8], file: String) {
        guard let root = try? JSONCursor.parse(bytes, file: file) else { return }
        record(root)
    }

    private mutating func record(_ cursor: JSONCursor) {
        positions[cursor.path] = cursor.location
        switch cursor.node.value {
        case .object:
            for member in (try? cursor.objectMembers()) ?? [] { record(member.cursor) }
        case .array:
            for element in (try? cursor.arrayElements()) ?? [] { record(element) }
        default: break
        }
    }

    /// `diagnostic` with the line and column of its JSON path, or of the nearest enclosing value
    /// present in the file (a path such as `$.defaultErrnoRet` may name a key that is absent).
    func complete(_ diagnostic: Diagnostic) -> Diagnostic {
        guard var location = diagnostic.location, location.line == 0, var path = location.jsonPath else {
            return diagnostic
        }
        while positions[path] == nil, let cut = path.lastIndex(where: { $0 == "." || $0 == "[" }) {
            path = String(path[..<cut])
        }
        guard let found = positions[path] else { return diagnostic }
        location.line = found.line
        location.column = found.column
        var completed = diagnostic
        completed.location = location
        return completed
    }
}
