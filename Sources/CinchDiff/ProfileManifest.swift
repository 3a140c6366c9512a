// SPDX-License-Identifier: Apache-2.0
// The manifest that records how each committed profile is generated, and the drift check built on it.

public import CinchGenerate
public import CinchModel

/// How every committed profile is generated from committed traces (`Profiles/cinch-profiles.json`).
///
/// `cinch check` regenerates each entry and compares it with the file; `cinch check --write`
/// rewrites the files. Recording the options here, not in a script, keeps the check reproducible.
///
/// ## Format
/// ```json
/// {
///   "cinchProfiles": 1,
///   "profiles": [
///     {
///       "architectures": [],
///       "defaultErrno": 1,
///       "format": "docker",
///       "kind": "seccomp",
///       "path": "Profiles/shell.seccomp.json",
///       "traces": ["Traces/shell.trace.json"]
///     }
///   ]
/// }
/// ```
/// Paths are relative to the repository root (the directory `cinch check` runs in, or `--root`).
/// `kind` is `seccomp` (the only kind so far); `format` is `docker` or `oci`; `defaultErrno` is
/// the errno of denied syscalls (1 = EPERM, 38 = ENOSYS); `architectures` lists libseccomp ABI
/// names (`x86_64`, `x86`) to cover instead of those observed, or is empty.
///
/// ## Parsing behavior
/// Unknown keys, a missing `cinchProfiles` version, a version other than 1, an unknown `kind`
/// or `format`, an unknown architecture, an empty `traces` list and duplicate `path`s are
/// rejected with the JSON path of the problem. ``rendered()`` sorts entries by `path`.
public struct ProfileManifest: Sendable, Equatable {
    /// The manifest's conventional name inside the profiles directory.
    public static let fileName = "cinch-profiles.json"

    /// One generated profile.
    public struct Entry: Sendable, Equatable {
        /// The profile file, relative to the repository root.
        public var path: String
        /// Docker or OCI JSON.
        public var format: SeccompProfile.Format
        /// The errno of denied syscalls.
        public var defaultErrno: UInt32
        /// ABIs to cover instead of those observed; empty means "observed".
        public var architectures: [Architecture]
        /// Trace files, relative to the repository root, merged by union.
        public var traces: [String]

        /// Creates an entry.
        public init(
            path: String, format: SeccompProfile.Format = .docker, defaultErrno: UInt32 = 1,
            architectures: [Architecture] = [], traces: [String]
        ) {
            self.path = path
            self.format = format
            self.defaultErrno = defaultErrno
            self.architectures = architectures
            self.traces = traces
        }

        /// The generator options this entry records.
        public var options: SeccompProfileGenerator.Options {
            SeccompProfileGenerator.Options(
                format: format, defaultErrno: defaultErrno, architectures: architectures.isEmpty ? nil : architectures)
        }
    }

    /// The entries.
    public var entries: [Entry]

    /// Creates a manifest.
    public init(entries: [Entry]) { self.entries = entries }

    /// The conventional manifest for a set of trace files: for each `<traces>/<name>.trace.json`,
    /// a Docker profile `<profiles>/<name>.seccomp.json` and an OCI profile `<profiles>/<name>.oci.json`,
    /// with EPERM and the observed ABIs (what `make demo` generates).
    ///
    /// - Parameters:
    ///   - traceFiles: trace paths relative to the root; other names are ignored.
    ///   - profilesDirectory: the profiles directory relative to the root.
    public static func conventional(traceFiles: [String], profilesDirectory: String) -> ProfileManifest {
        var entries: [Entry] = []
        let suffix = ".trace.json"
        for trace in traceFiles.sorted() where trace.hasSuffix(suffix) {
            let base = trace.split(separator: "/").last.map(String.init) ?? trace
            let name = String(base.dropLast(suffix.count))
            entries.append(Entry(path: "\(profilesDirectory)/\(name).seccomp.json", format: .docker, traces: [trace]))
            entries.append(Entry(path: "\(profilesDirectory)/\(name).oci.json", format: .oci, traces: [trace]))
        }
        return ProfileManifest(entries: entries)
    }

    // MARK: - JSON

    /// The manifest as deterministic JSON (entries sorted by path).
    public func rendered() -> String {
        let sorted = entries.sorted { $0.path < $1.path }
        return JSONValue.makeObject([
            ("cinchProfiles", .integer(1)),
            (
                "profiles",
                .makeArray(
                    sorted.map { entry in
                        .makeObject([
                            ("architectures", .makeArray(entry.architectures.map { .string($0.name) })),
                            ("defaultErrno", .integer(entry.defaultErrno)),
                            ("format", .string(entry.format.rawValue)),
                            ("kind", .string("seccomp")),
                            ("path", .string(entry.path)),
                            ("traces", .makeArray(entry.traces.map { .string($0) })),
                        ])
                    })
            ),
        ]).rendered()
    }

    /// Parses a manifest strictly (see the type's documentation).
    ///
    /// - Throws: ``InputError`` naming the file, line, column and JSON path.
    public init(jsonBytes bytes: [UInt8], file: String) throws(InputError) {
        let root = try JSONCursor.parse(bytes, file: file)
        var version: Int?
        var entries: [Entry] = []
        for (key, cursor) in try root.objectMembers() {
            switch key {
            case "cinchProfiles": version = try cursor.signed(Int.self)
            case "profiles":
                var seen = Set<String>()
                for element in try cursor.arrayElements() {
                    let entry = try Self.entry(element)
                    guard seen.insert(entry.path).inserted else {
                        throw element.error("the profile \"\(entry.path)\" is listed twice")
                    }
                    entries.append(entry)
                }
            default: throw cursor.error("unknown key \"\(key)\" in a profile manifest")
            }
        }
        guard let version else { throw root.error("not a cinch profile manifest: \"cinchProfiles\" is missing") }
        guard version == 1 else {
            throw root.error("profile manifest version \(version) is not supported (this cinch reads version 1)")
        }
        self.entries = entries
    }

    /// Reads the manifest at `path`.
    ///
    /// - Throws: ``InputError`` when it cannot be read or parsed.
    public static func load(path: String) throws(InputError) -> ProfileManifest {
        try ProfileManifest(jsonBytes: try FileIO.read(path), file: path)
    }

    private static func entry(_ cursor: JSONCursor) throws(InputError) -> Entry {
        var path: String?
        var format = SeccompProfile.Format.docker
        var errno: UInt32 = 1
        var architectures: [Architecture] = []
        var traces: [String] = []
        var kind = "seccomp"
        for (key, member) in try cursor.objectMembers() {
            switch key {
            case "path": path = try member.string()
            case "kind": kind = try member.string()
            case "format":
                let text = try member.string()
                guard let value = SeccompProfile.Format(rawValue: text) else {
                    throw member.error("unknown format \"\(text)\"; expected docker or oci")
                }
                format = value
            case "defaultErrno": errno = try member.unsigned(UInt32.self)
            case "architectures":
                for element in try member.arrayElements() {
                    let name = try element.string()
                    guard let abi = Architecture(named: name) else {
                        throw element.error("unknown architecture \"\(name)\" (try x86_64, x86, x32, aarch64)")
                    }
                    architectures.append(abi)
                }
            case "traces":
                traces = try member.strings()
                guard !traces.isEmpty else { throw member.error("a profile needs at least one trace") }
            default: throw member.error("unknown key \"\(key)\" in a profile entry")
            }
        }
        guard kind == "seccomp" else {
            throw cursor.error("unknown kind \"\(kind)\"; this cinch generates only seccomp profiles")
        }
        guard let path, !path.isEmpty else { throw cursor.error("the entry has no \"path\"") }
        guard !traces.isEmpty else { throw cursor.error("the entry for \"\(path)\" has no \"traces\"") }
        return Entry(path: path, format: format, defaultErrno: errno, architectures: architectures, traces: traces)
    }
}

// MARK: - Drift check

/// The result of regenerating every profile of a manifest and comparing it with the file.
public struct ProfileCheck: Sendable {
    /// The state of one profile.
    public struct Outcome: Sendable {
        /// The manifest entry.
        public var entry: ProfileManifest.Entry
        /// The regenerated profile's JSON.
        public var expected: String
        /// The file's contents, or nil when it does not exist.
        public var actual: String?
        /// The semantic difference from the file's profile to the regenerated one (nil when the
        /// file is missing or not a readable profile).
        public var diff: ProfileDiff?
        /// Why the file could not be compared semantically, when it could not.
        public var problem: String?

        /// Whether the file is byte-identical to the regenerated profile.
        public var isUpToDate: Bool { actual == expected }
    }

    /// One outcome per entry, in manifest order.
    public var outcomes: [Outcome]
    /// Generator warnings and errors, prefixed by the profile they concern.
    public var diagnostics: [Diagnostic]

    /// Whether every profile is up to date.
    public var isClean: Bool { outcomes.allSatisfy(\.isUpToDate) }

    /// Regenerates every profile of `manifest` from its traces and compares it with its file.
    ///
    /// - Parameters:
    ///   - manifest: the manifest.
    ///   - root: the directory its paths are relative to.
    ///   - isPresent: passed to ``ProfileDiff/seccomp(old:new:oldName:newName:target:isPresent:)``.
    /// - Throws: ``InputError`` when a trace cannot be read (the check cannot be made at all).
    public static func run(
        _ manifest: ProfileManifest, root: String = ".", isPresent: SyscallPresence? = nil
    ) throws(InputError) -> ProfileCheck {
        var outcomes: [Outcome] = []
        var diagnostics: [Diagnostic] = []
        for entry in manifest.entries {
            var traces: [Trace] = []
            for trace in entry.traces { traces.append(try Trace.load(path: join(root, trace))) }
            let result = SeccompProfileGenerator.generate(from: traces, options: entry.options)
            for diagnostic in result.diagnostics where diagnostic.severity != .note {
                var located = diagnostic
                located.location = located.location ?? ProfileLocation(file: entry.path)
                diagnostics.append(located)
            }
            let expected = result.profile.jsonValue().rendered()
            let path = join(root, entry.path)
            var outcome = Outcome(entry: entry, expected: expected)
            if FileIO.exists(path) {
                do {
                    let bytes = try FileIO.read(path)
                    outcome.actual = String(decoding: bytes, as: UTF8.self)
                    let current = try SeccompProfile(jsonBytes: bytes, file: entry.path)
                    outcome.diff = ProfileDiff.seccomp(
                        old: current, new: result.profile, oldName: entry.path, newName: "regenerated",
                        isPresent: isPresent)
                } catch {
                    outcome.problem = error.description
                }
            } else {
                outcome.problem = "\(entry.path) does not exist"
            }
            outcomes.append(outcome)
        }
        return ProfileCheck(outcomes: outcomes, diagnostics: diagnostics)
    }

    /// `root/relative`, or `relative` when it is absolute or the root is `.`.
    public static func join(_ root: String, _ relative: String) -> String {
        if relative.hasPrefix("/") || root == "." || root.isEmpty { return relative }
        return root.hasSuffix("/") ? root + relative : root + "/" + relative
    }
}
