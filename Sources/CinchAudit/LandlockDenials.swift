// SPDX-License-Identifier: Apache-2.0
// Naming what Landlock denied: the kernel's LANDLOCK_ACCESS audit records of the domains that
// cinch's own processes created.

internal import CinchLinux
internal import CinchModel

/// Landlock denials read from the audit log.
///
/// ## Format
/// Landlock ABI 7 kernels log, when a domain first denies something, a `LANDLOCK_DOMAIN` record
/// (1424) naming the process that created the domain, and one `LANDLOCK_ACCESS` record (1423) per
/// denial; when the domain ends, another 1424 record with `status=deallocated denials=N`:
///
/// ```
/// type=UNKNOWN[1423] msg=audit(…): domain=10bb321a3 blockers=fs.read_file path="/etc/hostname" dev="vda" ino=611
/// type=UNKNOWN[1424] msg=audit(…): domain=10bb321a3 status=allocated mode=enforcing pid=24514 uid=0 exe="/tmp/t" comm="t"
/// type=UNKNOWN[1424] msg=audit(…): domain=10bb321a3 status=deallocated denials=3
/// ```
///
/// auditd versions that know the types write `LANDLOCK_ACCESS` and `LANDLOCK_DOMAIN` instead.
///
/// ## Parsing behavior
/// Only domains whose `status=allocated` record names one of the given pids count, so other
/// processes' Landlock denials in the same log are ignored. A path is auditd's quoted form or
/// hex-encoded (a name with spaces or odd bytes); it is the path as the denied process saw it
/// (inside a container, from the container's root). Records for TCP (`blockers=net.bind_tcp
/// saddr=127.0.0.1 src=8080`, `net.connect_tcp daddr=… dest=…`) name the port and address instead.
public struct LandlockDenials: Sendable, Hashable {
    /// One denial.
    public struct Denial: Sendable, Hashable, CustomStringConvertible {
        /// What was denied: `fs.read_file`, `fs.execute`, `net.connect_tcp`… (several comma-separated).
        public var blockers: String
        /// The path, or `TCP port N on ADDRESS`.
        public var object: String

        /// `/etc/hostname (fs.read_file)`.
        public var description: String { "\(object) (\(blockers))" }
    }

    /// The distinct denials in log order.
    public var denials: [Denial] = []
    /// Whether every domain found has ended (so no more denials of it can follow).
    public var isComplete: Bool = false
    /// Whether any domain of the pids was found.
    public var foundDomain: Bool = false

    /// Parses `bytes` (audit records, one per line) for the domains created by `pids`.
    public init(parsing bytes: [UInt8], pids: Set<Int32>) {
        var domains: Set<Substring> = []
        var ended: Set<Substring> = []
        var accesses: [(domain: Substring, denial: Denial)] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") {
            let isDomain = line.contains("type=UNKNOWN[1424]") || line.contains("type=LANDLOCK_DOMAIN")
            let isAccess = line.contains("type=UNKNOWN[1423]") || line.contains("type=LANDLOCK_ACCESS")
            guard isDomain || isAccess, let domain = Self.field("domain", in: line) else { continue }
            if isDomain {
                if Self.field("status", in: line) == "allocated",
                    let pid = Self.field("pid", in: line).flatMap({ Int32($0) }),
                    pids.contains(pid)
                {
                    domains.insert(domain)
                } else if Self.field("status", in: line) == "deallocated" {
                    ended.insert(domain)
                }
            } else if let blockers = Self.field("blockers", in: line) {
                var object = Self.field("path", in: line).map(Self.decoded) ?? "(no path)"
                if blockers.hasPrefix("net."), let port = Self.field("src", in: line) ?? Self.field("dest", in: line) {
                    let address = Self.field("saddr", in: line) ?? Self.field("daddr", in: line)
                    object = "TCP port \(port)" + (address.map { " on \($0)" } ?? "")
                }
                accesses.append((domain, Denial(blockers: String(blockers), object: object)))
            }
        }
        var seen: Set<Denial> = []
        for (domain, denial) in accesses where domains.contains(domain) && seen.insert(denial).inserted {
            denials.append(denial)
        }
        foundDomain = !domains.isEmpty
        isComplete = foundDomain && domains.isSubset(of: ended)
    }

    /// The value of `name=` in an audit record, up to the next space (quotes kept).
    static func field(_ name: String, in line: Substring) -> Substring? {
        var search = line[...]
        while let range = search.firstRange(of: name + "=") {
            let atStart = range.lowerBound == line.startIndex || line[line.index(before: range.lowerBound)] == " "
            if atStart {
                let rest = line[range.upperBound...]
                if rest.first == "\"" {
                    let body = rest.dropFirst()
                    return rest[..<(body.firstIndex(of: "\"").map { body.index(after: $0) } ?? rest.endIndex)]
                }
                return rest.prefix { $0 != " " && $0 != "\u{1D}" }
            }
            search = line[range.upperBound...]
        }
        return nil
    }

    /// auditd's encoding of an untrusted string: `"text"`, or hex digits when it holds spaces,
    /// quotes or bytes outside printable ASCII.
    static func decoded(_ value: Substring) -> String {
        if value.first == "\"" { return String(value.dropFirst().prefix { $0 != "\"" }) }
        let digits = Array(value.utf8)
        guard digits.count % 2 == 0, !digits.isEmpty else { return String(value) }
        var bytes: [UInt8] = []
        var index = 0
        while index < digits.count {
            guard let high = hex(digits[index]), let low = hex(digits[index + 1]) else { return String(value) }
            bytes.append(high << 4 | low)
            index += 2
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hex(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

extension LandlockDenials {
    /// The audit log cinch reads: `$CINCH_AUDIT_LOG`, else `/var/log/audit/audit.log`.
    public static var auditLogPath: String {
        System.environment("CINCH_AUDIT_LOG") ?? "/var/log/audit/audit.log"
    }

    /// Reads what the audit log gained since it was `offset` bytes long for the domains of
    /// `pids`, waiting up to `patience` seconds for auditd to write the records (it writes them
    /// asynchronously) until every domain found has ended.
    /// - Returns: the denials, or nil when the log cannot be read.
    public static func collect(
        log: String = auditLogPath, from offset: Int, pids: Set<Int32>, patience: Double = 3
    ) -> LandlockDenials? {
        let deadline = System.monotonicSeconds() + patience
        while true {
            guard let bytes = try? FileIO.read(log, from: offset) else { return nil }
            let found = LandlockDenials(parsing: bytes, pids: pids)
            if found.isComplete || System.monotonicSeconds() >= deadline { return found }
            System.sleep(seconds: 0.1)
        }
    }
}
