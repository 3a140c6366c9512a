// SPDX-License-Identifier: Apache-2.0
// Renders a ProfileDiff as text (terminals), Markdown (pull-request comments) or JSON (machines).

public import CinchModel

/// Renders ``ProfileDiff`` values. Every output is deterministic and ends with a newline.
///
/// ABIs whose changes are identical (typically x86_64, x86 and x32 under one `archMap` entry)
/// are shown together. Plainly removed syscalls are listed compactly, since a least-privilege
/// profile compared with a broad baseline removes hundreds.
public enum DiffRenderer {
    /// An output format.
    public enum Format: String, Sendable, CaseIterable {
        /// Plain text for a terminal or a log.
        case text
        /// GitHub/GitLab-flavoured Markdown for a pull-request comment.
        case markdown
        /// JSON (`cinchDiff` version 1) with sorted keys.
        case json
    }

    /// Renders `diff` in `format`.
    public static func render(_ diff: ProfileDiff, as format: Format) -> String {
        switch format {
        case .text: text(diff)
        case .markdown: markdown(diff)
        case .json: json(diff).rendered()
        }
    }

    // MARK: - Text

    /// The diff as plain text.
    public static func text(_ diff: ProfileDiff) -> String {
        var lines = ["cinch diff \(diff.oldName) → \(diff.newName)"]
        if let target = diff.target { lines.append("target: " + describe(target)) }
        if diff.isEmpty {
            lines.append("No semantic differences.")
            return lines.joined(separator: "\n") + "\n"
        }
        if !diff.general.isEmpty {
            lines.append("")
            for change in diff.general { lines += textLines(change, indent: "  ") }
        }
        for group in groups(diff) {
            lines.append("")
            lines.append(group.title + ": " + summary(of: group.sample))
            let removed = group.sample.changes.filter { $0.kind == .removed }
            for change in group.sample.changes where change.kind != .removed {
                lines += textLines(change, indent: "  ")
            }
            if !removed.isEmpty {
                lines += wrap(
                    removed.map(\.name), first: "  - removed (\(removed.count)): ", rest: "      ", width: 100)
            }
        }
        lines.append("")
        let label = diff.subject == .apparmor ? "summary: " : "summary (changes counted per ABI): "
        lines.append(label + effectSummary(diff))
        return lines.joined(separator: "\n") + "\n"
    }

    private static func textLines(_ change: ProfileDiff.Change, indent: String) -> [String] {
        var lines = [indent + mark(change.effect) + " " + change.name + "  " + change.kind.rawValue + detail(change)]
        if let risk = change.risk { lines.append(indent + "    risk \(risk.level.rawValue): \(risk.reason)") }
        return lines
    }

    private static func detail(_ change: ProfileDiff.Change) -> String {
        switch (change.old, change.new) {
        case let (old?, new?) where change.kind == .added || change.kind == .removed:
            return ": " + (change.kind == .added ? new : old)
        case let (old?, new?): return ": \(old) → \(new)"
        case let (old?, nil): return ": " + old
        case let (nil, new?): return ": " + new
        case (nil, nil): return ""
        }
    }

    private static func mark(_ effect: ProfileDiff.Effect) -> String {
        switch effect {
        case .widening: "+"
        case .narrowing: "-"
        case .neutral: "~"
        case .unknown: "?"
        }
    }

    // MARK: - Markdown

    /// The diff as Markdown for a pull-request comment.
    public static func markdown(_ diff: ProfileDiff) -> String {
        var lines = ["### cinch diff: `\(diff.oldName)` → `\(diff.newName)`", ""]
        if let target = diff.target {
            lines.append("Target: " + describe(target))
            lines.append("")
        }
        if diff.isEmpty {
            lines.append("No semantic differences.")
            return lines.joined(separator: "\n") + "\n"
        }
        let counts = diff.effectCounts
        let widening = counts[.widening, default: 0] + counts[.unknown, default: 0]
        lines.append(
            widening > 0
                ? "**Privileges widen** (\(effectSummary(diff)))." : "No privilege is widened (\(effectSummary(diff)))."
        )
        lines.append("")
        var rows: [String] = []
        for change in diff.general { rows.append(markdownRow(change, where: "profile")) }
        let grouped = groups(diff)
        for group in grouped {
            for change in group.sample.changes where change.kind != .removed {
                rows.append(markdownRow(change, where: group.title))
            }
        }
        if !rows.isEmpty {
            lines.append("| Effect | Change | Where | Detail | Risk |")
            lines.append("|---|---|---|---|---|")
            lines += rows
            lines.append("")
        }
        for group in grouped {
            lines.append("- **\(group.title)**: " + summary(of: group.sample))
        }
        for group in grouped {
            let removed = group.sample.changes.filter { $0.kind == .removed }.map { "`\($0.name)`" }
            guard !removed.isEmpty else { continue }
            lines.append("")
            let noun = removed.count == 1 ? "syscall" : "syscalls"
            lines.append("<details><summary>\(removed.count) \(noun) removed on \(group.title)</summary>")
            lines.append("")
            lines.append(removed.joined(separator: ", "))
            lines.append("")
            lines.append("</details>")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func markdownRow(_ change: ProfileDiff.Change, where place: String) -> String {
        let detailText = String(detail(change).dropFirst(2)).replacingPipes()
        let risk = change.risk.map { "**\($0.level.rawValue)**: \($0.reason)" } ?? ""
        return
            "| \(change.effect.rawValue) | `\(change.name)` \(change.kind.rawValue) | \(place) | \(detailText) | \(risk) |"
    }

    // MARK: - JSON

    /// The diff as a JSON value (render with ``JSONValue/rendered()``).
    ///
    /// Keys: `cinchDiff` (format version 1), `subject`, `old`, `new`, `target` (seccomp only:
    /// `architecture`, `capabilities`, `kernel`), `identical`, `widens`, `summary` (count per
    /// effect), `general` and `abis` (each with `abi`, `oldAllowed`, `newAllowed`, `added`,
    /// `removed` and `changes`). A change has `kind`, `effect`, `name`, and `old`, `new` and
    /// `risk` (`level`, `reason`) when known.
    public static func json(_ diff: ProfileDiff) -> JSONValue {
        let counts = diff.effectCounts
        var members: [(String, JSONValue)] = [
            ("cinchDiff", .integer(1)),
            ("subject", .string(diff.subject.rawValue)),
            ("old", .string(diff.oldName)),
            ("new", .string(diff.newName)),
            ("identical", .bool(diff.isEmpty)),
            ("widens", .bool(diff.widens)),
            (
                "summary",
                .makeObject(ProfileDiff.Effect.allCases.map { ($0.rawValue, .integer(counts[$0, default: 0])) })
            ),
            ("general", .makeArray(diff.general.map(jsonChange))),
            (
                "abis",
                .makeArray(
                    diff.abis.map { abi in
                        .makeObject([
                            ("abi", .string(abi.abi.name)),
                            ("oldAllowed", abi.oldPermitted.map { .integer($0) } ?? .null),
                            ("newAllowed", abi.newPermitted.map { .integer($0) } ?? .null),
                            ("added", .integer(abi.changes(.added).count)),
                            ("removed", .integer(abi.changes(.removed).count)),
                            ("changes", .makeArray(abi.changes.map(jsonChange))),
                        ])
                    })
            ),
        ]
        if let target = diff.target {
            members.append(
                (
                    "target",
                    .makeObject([
                        ("architecture", .string(target.native.name)),
                        ("capabilities", .makeArray(target.capabilities.sorted().map { .string("CAP_" + $0) })),
                        ("kernel", .string(target.kernel.map(\.description) ?? "latest")),
                    ])
                ))
        }
        return .makeObject(members)
    }

    private static func jsonChange(_ change: ProfileDiff.Change) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("kind", .string(change.kind.rawValue)),
            ("effect", .string(change.effect.rawValue)),
            ("name", .string(change.name)),
        ]
        if let old = change.old { members.append(("old", .string(old))) }
        if let new = change.new { members.append(("new", .string(new))) }
        if let risk = change.risk {
            members.append(
                ("risk", .makeObject([("level", .string(risk.level.rawValue)), ("reason", .string(risk.reason))])))
        }
        return .makeObject(members)
    }

    // MARK: - Shared

    private struct Group {
        var title: String
        var sample: ProfileDiff.ABIChanges
    }

    /// ABIs with identical changes and counts, merged, in ABI order.
    private static func groups(_ diff: ProfileDiff) -> [Group] {
        var result: [Group] = []
        for abi in diff.abis {
            if let index = result.firstIndex(where: {
                $0.sample.changes == abi.changes && $0.sample.oldPermitted == abi.oldPermitted
                    && $0.sample.newPermitted == abi.newPermitted
            }) {
                result[index].title += ", " + abi.abi.name
            } else {
                result.append(Group(title: abi.abi.name, sample: abi))
            }
        }
        return result
    }

    /// `309 → 41 syscalls allowed (268 removed, 1 added)`.
    private static func summary(of abi: ProfileDiff.ABIChanges) -> String {
        let counts: String
        switch (abi.oldPermitted, abi.newPermitted) {
        case let (old?, new?): counts = "\(old) → \(new) syscalls allowed"
        case let (old?, nil): counts = "\(old) syscalls allowed → default allows"
        case let (nil, new?): counts = "default allows → \(new) syscalls allowed"
        case (nil, nil): counts = "default allows"
        }
        let added = abi.changes(.added).count
        let removed = abi.changes(.removed).count
        let other = abi.changes.count - added - removed
        var parts = ["\(removed) removed", "\(added) added"]
        if other > 0 { parts.append("\(other) other") }
        return counts + " (" + parts.joined(separator: ", ") + ")"
    }

    private static func effectSummary(_ diff: ProfileDiff) -> String {
        let counts = diff.effectCounts
        return ProfileDiff.Effect.allCases.map { "\(counts[$0, default: 0]) \($0.rawValue)" }.joined(separator: ", ")
    }

    /// `x86_64, capabilities: Docker default, kernel: latest`.
    static func describe(_ target: SeccompTarget) -> String {
        let capabilities =
            target.capabilities == SeccompTarget.dockerDefaultCapabilities
            ? "Docker default"
            : (target.capabilities.isEmpty
                ? "none" : target.capabilities.sorted().map { "CAP_" + $0 }.joined(separator: ","))
        let kernel = target.kernel.map(\.description) ?? "latest"
        return "\(target.native.name), capabilities: \(capabilities), kernel: \(kernel)"
    }

    private static func wrap(_ words: [String], first: String, rest: String, width: Int) -> [String] {
        var lines: [String] = []
        var current = first
        var isEmptyLine = true
        for (offset, word) in words.enumerated() {
            let piece = word + (offset == words.count - 1 ? "" : ",")
            if !isEmptyLine, current.count + 1 + piece.count > width {
                lines.append(current)
                current = rest + piece
            } else {
                current += (isEmptyLine ? "" : " ") + piece
            }
            isEmptyLine = false
        }
        lines.append(current)
        return lines
    }
}

extension String {
    /// Escapes `|` so text fits in a Markdown table cell.
    fileprivate func replacingPipes() -> String {
        var result = ""
        for character in self { result += character == "|" ? "\\|" : String(character) }
        return result
    }
}
