// SPDX-License-Identifier: Apache-2.0
// Child processes for audit ingest: `gzip -dc` for compressed logs, `auditctl -s` for the lost counter.

internal import CinchLinux
public import CinchModel

/// `gzip -dc` for a compressed audit log.
enum AuditSubprocess {
    /// Starts `gzip -dc`, feeding it `prefix` (bytes already read) and then the rest of `source`.
    /// gzip gets PATH only.
    static func decompress(source: CInt, prefix: [UInt8], path: String) throws(InputError) -> FilterProcess {
        do {
            return try FilterProcess.start(
                ["gzip", "-dc"], feeding: source, prefix: prefix, environment: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"])
        } catch {
            throw InputError("cannot run gzip -dc: \(error)", at: ProfileLocation(file: path))
        }
    }
}

/// The kernel audit status as `auditctl -s` reports it.
public struct AuditDaemonStatus: Sendable, Equatable {
    /// Records the kernel dropped since boot (`lost`).
    public var lost: UInt64
    /// The backlog limit (`backlog_limit`).
    public var backlogLimit: UInt64?
    /// The rate limit in records per second, 0 for none (`rate_limit`).
    public var rateLimit: UInt64?

    /// Creates a status.
    public init(lost: UInt64, backlogLimit: UInt64? = nil, rateLimit: UInt64? = nil) {
        self.lost = lost
        self.backlogLimit = backlogLimit
        self.rateLimit = rateLimit
    }

    /// Parses `auditctl -s` output (`lost 0` lines); nil when it has no `lost` line.
    public init?(auditctlOutput text: String) {
        var values: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, let value = UInt64(parts[1]) { values[parts[0]] = value }
        }
        guard let lost = values["lost"] else { return nil }
        self.init(lost: lost, backlogLimit: values["backlog_limit"], rateLimit: values["rate_limit"])
    }

    /// Runs `auditctl -s`.
    ///
    /// - Throws: ``InputError`` when auditctl cannot run, fails, or prints no `lost` line.
    public static func current() throws(InputError) -> AuditDaemonStatus {
        let outcome: ProcessOutcome
        do {
            outcome = try ProcessRunner.run(["auditctl", "-s"])
        } catch {
            throw InputError("cannot run auditctl: \(error)", at: ProfileLocation(file: "auditctl"))
        }
        let status = outcome.shellStatus
        let text = String(decoding: outcome.standardOutput, as: UTF8.self)
        guard status == 0, let parsed = AuditDaemonStatus(auditctlOutput: text) else {
            throw InputError(
                "auditctl -s failed (status \(status)) or printed no 'lost' line.",
                at: ProfileLocation(file: "auditctl"))
        }
        return parsed
    }
}
