// SPDX-License-Identifier: Apache-2.0
// Linux capabilities: the one list type, its one spelling (`CAP_` and upper case), the real names,
// and the formats a capability drop list is written in.

/// A set of Linux capabilities: what a workload keeps when every other capability is dropped.
///
/// Traces, the capability generator, `cinch diff`, `cinch verify --caps` and the CLI all use this
/// type and its one spelling, `CAP_` and upper case (``canonical(_:)``); names are sorted and
/// unique.
///
/// ## Format
/// ``init(bytes:file:)`` reads every format ``rendered(as:)`` writes, recognised by content: a
/// JSON array of strings (`["CAP_CHOWN", "CAP_NET_BIND_SERVICE"]`); an OCI `process.capabilities`
/// object (the union of its sets); `docker run` flags (`--cap-drop=ALL --cap-add=…`); compose
/// (`cap_drop`/`cap_add`) or Kubernetes (`securityContext.capabilities`) YAML; and text with one
/// or more names per line, separated by whitespace or commas. In text and YAML, `#` starts a
/// comment.
///
/// ## Parsing behavior
/// Names are accepted with or without the `CAP_` prefix and in any case. Duplicates collapse. A
/// name must consist of letters, digits and `_`; anything else is rejected with its line number.
/// Reading does not require a name to be a known capability (a hand-written list may name one a
/// newer kernel has); ``init(known:ranWithNoNewPrivileges:)`` does. The docker, compose and
/// Kubernetes forms must drop `ALL` (otherwise the capabilities kept are not all in the file), and
/// YAML may hold only the keys cinch writes; anything else is an error with its line (see
/// `CapabilityList+Formats.swift`).
public struct CapabilityList: Sendable, Hashable {
    /// How a list is written (``rendered(as:)``).
    public enum Format: String, Sendable, CaseIterable {
        /// One `CAP_…` name per line, sorted; what `cinch diff` reads as a capability list.
        case text
        /// One line of `docker run` / `podman run` flags: `--cap-drop=ALL --cap-add=CAP_…`.
        case docker
        /// The OCI runtime-spec `process.capabilities` object: `bounding`, `effective` and
        /// `permitted`, the sets Docker fills. `inheritable` is left out (a non-empty one lets
        /// executables with inheritable file capabilities gain them: CVE-2022-24769) and so is
        /// `ambient`, which the kernel honours only for capabilities also in `inheritable`, and
        /// which a uid 0 workload does not need.
        case oci
        /// Compose `cap_drop` and `cap_add` keys, names without `CAP_`.
        case compose
        /// A Kubernetes container `securityContext`, names without `CAP_`.
        case kubernetes
    }

    /// The capabilities, canonical (``canonical(_:)``) and sorted.
    public let capabilities: [String]
    /// Whether every recording behind the list ran with `no_new_privs` set, which the Kubernetes
    /// format turns into `allowPrivilegeEscalation: false`.
    public let ranWithNoNewPrivileges: Bool

    /// A list of `names` in any spelling ``canonical(_:)`` takes.
    public init(_ names: some Sequence<String>, ranWithNoNewPrivileges: Bool = false) {
        capabilities = Array(Set(names.map(Self.canonical))).sorted()
        self.ranWithNoNewPrivileges = ranWithNoNewPrivileges
    }

    /// A list of known capabilities, or nil when any name is not exactly a known capability
    /// (``isKnown(_:)``): what a generator renders, so nothing else can reach its output.
    public init?(known names: some Sequence<String>, ranWithNoNewPrivileges: Bool = false) {
        let unique = Set(names)
        guard unique.allSatisfy(Self.isKnown) else { return nil }
        self.init(unique, ranWithNoNewPrivileges: ranWithNoNewPrivileges)
    }

    /// Reads a list file (see the type's Format).
    ///
    /// - Throws: ``InputError`` with the line (text) or JSON path of a malformed name.
    public init(bytes: [UInt8], file: String) throws(InputError) {
        let firstByte = bytes.first { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }
        if firstByte == UInt8(ascii: "{") {
            self = try Self.readOCI(try JSONCursor.parse(bytes, file: file))
            return
        }
        if firstByte == UInt8(ascii: "[") {
            let root = try JSONCursor.parse(bytes, file: file)
            var names: [String] = []
            for element in try root.arrayElements() {
                let name = try element.string()
                guard Self.isWellFormed(name) else { throw element.error("\"\(name)\" is not a capability name") }
                names.append(name)
            }
            self.init(names)
            return
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let list = try Self.readFlagsOrYAML(text, file: file) {
            self = list
            return
        }
        var names: [String] = []
        for (offset, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            for token in content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" }) {
                guard Self.isWellFormed(String(token)) else {
                    throw InputError(
                        "\"\(token)\" is not a capability name", at: ProfileLocation(file: file, line: offset + 1))
                }
                names.append(String(token))
            }
        }
        self.init(names)
    }

    /// Parses a comma-separated list (`net_bind_service, CAP_CHOWN`), as `--caps` takes it.
    ///
    /// Empty items are ignored, so `""` is the empty list (every capability dropped).
    public init(parsingCommaSeparated text: String) {
        self.init(
            text.split(separator: ",").map { String($0.filter { $0 != " " && $0 != "\t" }) }.filter { !$0.isEmpty })
    }

    /// The names that are not known capabilities (``isKnown(_:)``), sorted.
    public var unknownNames: [String] { capabilities.filter { !Self.isKnown($0) } }

    /// The list as text: one name per line.
    public var text: String { capabilities.map { $0 + "\n" }.joined() }

    /// Whether the Kubernetes format sets `allowPrivilegeEscalation: false`.
    ///
    /// Only when the recordings ran under `no_new_privs` (what the field turns on), so the
    /// workload is known to work with it; and never with `CAP_SYS_ADMIN`: Kubernetes documents
    /// the field as always true for a container that has it (its API rejects the pair when the
    /// name is spelled `CAP_SYS_ADMIN`), so writing false would promise a restriction that
    /// does not hold.
    public var deniesPrivilegeEscalation: Bool {
        ranWithNoNewPrivileges && !capabilities.contains("CAP_SYS_ADMIN")
    }

    /// The list in `format`, ending with a newline (the text of an empty list is empty).
    public func rendered(as format: Format) -> String {
        let short = capabilities.map(Self.shortName)
        switch format {
        case .text:
            return text
        case .docker:
            return (["--cap-drop=ALL"] + capabilities.map { "--cap-add=" + $0 }).joined(separator: " ") + "\n"
        case .oci:
            let list = JSONValue.makeArray(capabilities.map { .string($0) })
            return JSONValue.makeObject([("bounding", list), ("effective", list), ("permitted", list)]).rendered()
        case .compose:
            var text = "cap_drop:\n  - ALL\n"
            if !short.isEmpty { text += "cap_add:\n" + short.map { "  - \($0)\n" }.joined() }
            return text
        case .kubernetes:
            var text = "securityContext:\n"
            if deniesPrivilegeEscalation { text += "  allowPrivilegeEscalation: false\n" }
            text += "  capabilities:\n    drop:\n      - ALL\n"
            if !short.isEmpty { text += "    add:\n" + short.map { "      - \($0)\n" }.joined() }
            return text
        }
    }

    // MARK: - The real capabilities

    /// Every Linux capability in OCI spelling, indexed by its number: `all[10]` is
    /// `CAP_NET_BIND_SERVICE`.
    ///
    /// This is the authoritative list for cinch: the 41 capabilities of `<linux/capability.h>`
    /// from `CAP_CHOWN` (0) to `CAP_CHECKPOINT_RESTORE` (40, Linux 5.9), which is still
    /// `CAP_LAST_CAP` in Linux 6.x. A name outside it is not a capability any kernel cinch
    /// knows of grants.
    public static let all: [String] = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
        "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",
        "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
        "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE",
        "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
        "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ]

    private static let known = Set(all)

    /// Whether `name` is exactly the OCI spelling of a Linux capability (`CAP_` and upper case).
    ///
    /// Nothing is normalised: `cap_chown`, `CHOWN` and `CAP_CHOWN ` are not known names. Use
    /// ``canonical(_:)`` first to accept what users type.
    public static func isKnown(_ name: String) -> Bool { known.contains(name) }

    /// The number of a capability in OCI spelling (`CAP_NET_BIND_SERVICE` → 10), or nil when unknown.
    public static func number(of name: String) -> Int? { all.firstIndex(of: name) }

    /// The one normaliser: `net_bind_service`, `Cap_Net_Bind_Service` → `CAP_NET_BIND_SERVICE`.
    public static func canonical(_ name: String) -> String {
        let upper = name.uppercased()
        return upper.hasPrefix("CAP_") ? upper : "CAP_" + upper
    }

    /// `CAP_NET_BIND_SERVICE` (or any spelling ``canonical(_:)`` takes) → `NET_BIND_SERVICE`, the
    /// spelling Kubernetes, compose files, AppArmor (in lower case) and Docker's seccomp
    /// `includes.caps` use.
    public static func shortName(_ name: String) -> String { String(canonical(name).dropFirst(4)) }

    static func isWellFormed(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || byte == 0x5F
            }
    }
}
