// SPDX-License-Identifier: Apache-2.0
// `cinch check --format json`: the whole check as one JSON document.

public import CinchDiff
public import CinchModel
internal import CinchValidate

extension ProfileCheck {
    /// The check as one JSON document (`"cinchCheck": 1`), for `cinch check --format json`.
    ///
    /// Every profile is listed in manifest order with its `status` (`ok`, `drift` or `error`);
    /// a drifted one carries `unjustified` (what the committed file allows that its traces do not
    /// justify), `missing` (what its traces use that it does not allow), the semantic `diff` as
    /// `cinch diff --format json` prints it (from what the traces generate to the committed
    /// file), and the `lineDiff` when the meaning is the same or cannot be compared. A seccomp
    /// profile also carries `replayedCalls` and `unproven`, the calls its compiled filter refuses.
    /// - Parameter unlisted: profile files the manifest does not list.
    public func jsonValue(unlisted: [String]) -> JSONValue {
        var profiles: [JSONValue] = []
        for outcome in outcomes {
            var members: [(String, JSONValue)] = [
                ("kind", .string(outcome.entry.kind.keyword)), ("path", .string(outcome.entry.path)),
            ]
            let status = !outcome.isGenerated ? "error" : outcome.isUpToDate ? "ok" : "drift"
            members.append(("status", .string(status)))
            if status == "drift" {
                members.append(("unjustified", .makeArray(outcome.unjustified.map { .string($0) })))
                members.append(("missing", .makeArray(outcome.missing.map { .string($0) })))
                if let problem = outcome.problem { members.append(("problem", .string(problem))) }
                if let diff = outcome.diff, !diff.isEmpty,
                    let parsed = try? JSONParser.parse(DiffRenderer.render(diff, as: .json))
                {
                    members.append(("diff", parsed.value))
                }
                if let lines = outcome.lineDiff, !lines.isEmpty { members.append(("lineDiff", .string(lines))) }
            }
            if let replay = outcome.replay {
                // The replay of the committed seccomp file against its traces (docs/replay.md).
                let denied = replay.diagnostics.filter { $0.severity == .error }
                members.append(("replayedCalls", .number("\(replay.callCount)")))
                members.append(("unproven", .makeArray(denied.map { .string($0.message) })))
            }
            profiles.append(.makeObject(members))
        }
        let drifted = outcomes.filter { $0.isGenerated && !$0.isUpToDate }.count
        return .makeObject([
            ("cinchCheck", .number("1")), ("clean", .bool(isClean && outcomes.allSatisfy(\.isProven))),
            ("drifted", .number("\(drifted)")),
            ("profiles", .makeArray(profiles)), ("unlisted", .makeArray(unlisted.map { .string($0) })),
        ])
    }
}
