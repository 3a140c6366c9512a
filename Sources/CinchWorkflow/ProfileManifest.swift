// SPDX-License-Identifier: Apache-2.0
// The manifest that records how each committed profile is generated, and the drift check built on it.

public import CinchDiff
public import CinchGenerate
internal import CinchLinux
public import CinchModel
public import CinchValidate

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
///       "complain": false,
///       "kind": "apparmor",
///       "name": "cinch-web",
///       "path": "Profiles/web.apparmor",
///       "traces": ["Traces/web-audit.trace.json"]
///     },
///     {
///       "format": "text",
///       "kind": "capabilities",
///       "path": "Profiles/web.caps",
///       "traces": ["Traces/web.trace.json"]
///     },
///     {
///       "architectures": [],
///       "defaultErrno": 1,
///       "format": "docker",
///       "kind": "seccomp",
///       "path": "Profiles/web.seccomp.json",
///       "traces": ["Traces/web.trace.json"]
///     }
///   ]
/// }
/// ```
/// Paths are relative to the repository root (the directory `cinch check` runs in, or `--root`).
/// Every entry has `kind`, `path` and `traces` (one or more, merged by union); the other keys
/// depend on the kind:
/// - `seccomp` (``Entry/Kind/seccomp(format:defaultErrno:architectures:)``, the default when
///   `kind` is absent): `format` is `docker` or `oci`; `defaultErrno` is the errno of denied
///   syscalls (1 = EPERM, 38 = ENOSYS); `architectures` lists libseccomp ABI names (`x86_64`,
///   `x86`) to cover instead of those observed, or is empty.
///   With `format` `spo` (``Entry/Kind/seccompObject(_:api:architectures:)``) the profile is a
///   security-profiles-operator `SeccompProfile` object, as `cinch generate seccomp --format spo`
///   writes it: `name` is the object's name, `spoApi` is `v1` (the default) or `v1beta1`, and
///   `namespace` is allowed with `v1beta1` only; `defaultErrno` must be 1. Such a file is compared
///   line by line, and not replayed.
/// - `capabilities` (``Entry/Kind/capabilities(format:)``): `format` is `text` (the default),
///   `docker`, `oci`, `compose` or `kubernetes`, as `cinch generate capabilities --format`.
/// - `apparmor` (``Entry/Kind/apparmor(name:complain:)``): `name` is the profile name (absent:
///   `cinch-` and the recorded command, as `cinch generate apparmor` picks it); `complain` (default
///   false) adds the `complain` flag.
///
/// ## Parsing behavior
/// Unknown keys, a key that belongs to another kind (`defaultErrno` on a capability list), a
/// missing `cinchProfiles` version, a version other than 1, an unknown `kind` or `format`, an
/// unknown architecture, a name AppArmor profiles cannot have, an empty `traces` list and
/// duplicate `path`s are rejected with the JSON path of the problem. ``rendered()`` sorts entries
/// by `path` and writes every key of an entry except an absent AppArmor `name`, so a manifest
/// read and rendered again is unchanged.
public struct ProfileManifest: Sendable, Equatable {
    /// The manifest's conventional name inside the profiles directory.
    public static let fileName = "cinch-profiles.json"

    /// One generated profile.
    public struct Entry: Sendable, Equatable {
        /// What an entry generates, with the generator options for it.
        public enum Kind: Sendable, Equatable {
            /// A seccomp profile (`cinch generate seccomp`): Docker or OCI JSON, the errno of
            /// denied syscalls, and the ABIs to cover instead of those observed (empty: observed).
            case seccomp(format: SeccompProfile.Format, defaultErrno: UInt32, architectures: [Architecture])
            /// A capability list (`cinch generate capabilities`) in one of its formats.
            case capabilities(format: CapabilityProfileGenerator.Format)
            /// An AppArmor profile (`cinch generate apparmor`): its name (nil derives it from the
            /// traces) and whether it is in complain mode.
            case apparmor(name: String?, complain: Bool)
            /// A seccomp profile inside a security-profiles-operator `SeccompProfile` object
            /// (`cinch generate seccomp --format spo`), with EPERM for denied syscalls.
            case seccompObject(KubernetesObjectMetadata, api: SeccompProfile.OperatorAPI, architectures: [Architecture])

            /// The `kind` value in the manifest: `seccomp`, `capabilities` or `apparmor`.
            public var keyword: String {
                switch self {
                case .seccomp, .seccompObject: "seccomp"
                case .capabilities: "capabilities"
                case .apparmor: "apparmor"
                }
            }

            /// How ``ArtifactBuilder`` builds the entry: the options `cinch generate` takes for it.
            public var recipe: ArtifactRecipe {
                switch self {
                case .seccomp(let format, let defaultErrno, let architectures):
                    .seccomp(
                        SeccompProfileGenerator.Options(
                            format: format, defaultErrno: defaultErrno,
                            architectures: architectures.isEmpty ? nil : architectures))
                case .capabilities(let format): .capabilities(format)
                case .apparmor(let name, let complain): .apparmor(.init(name: name, complain: complain))
                case .seccompObject(let metadata, let api, let architectures):
                    .seccompProfileObject(
                        SeccompProfileGenerator.Options(
                            format: .oci, architectures: architectures.isEmpty ? nil : architectures),
                        metadata, api)
                }
            }
        }

        /// The profile file, relative to the repository root.
        public var path: String
        /// What is generated, and how.
        public var kind: Kind
        /// Trace files, relative to the repository root, merged by union.
        public var traces: [String]

        /// Creates an entry.
        public init(path: String, kind: Kind, traces: [String]) {
            self.path = path
            self.kind = kind
            self.traces = traces
        }

        /// Creates a seccomp entry.
        public init(
            path: String, format: SeccompProfile.Format = .docker, defaultErrno: UInt32 = 1,
            architectures: [Architecture] = [], traces: [String]
        ) {
            self.init(
                path: path, kind: .seccomp(format: format, defaultErrno: defaultErrno, architectures: architectures),
                traces: traces)
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
    /// Capability lists and AppArmor profiles are not added: which of them a trace can make
    /// depends on what it observed, and their format and name are choices to write down by hand.
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

    /// The manifest as deterministic JSON (entries sorted by path, keys sorted).
    public func rendered() -> String {
        let sorted = entries.sorted { $0.path < $1.path }
        return JSONValue.makeObject([
            ("cinchProfiles", .integer(1)),
            ("profiles", .makeArray(sorted.map(Self.jsonValue))),
        ]).rendered()
    }

    private static func jsonValue(_ entry: Entry) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("kind", .string(entry.kind.keyword)),
            ("path", .string(entry.path)),
            ("traces", .makeArray(entry.traces.map { .string($0) })),
        ]
        switch entry.kind {
        case .seccomp(let format, let defaultErrno, let architectures):
            members += [
                ("architectures", .makeArray(architectures.map { .string($0.name) })),
                ("defaultErrno", .integer(defaultErrno)),
                ("format", .string(format.rawValue)),
            ]
        case .capabilities(let format):
            members.append(("format", .string(format.rawValue)))
        case .apparmor(let name, let complain):
            members.append(("complain", .bool(complain)))
            if let name { members.append(("name", .string(name))) }
        case .seccompObject(let metadata, let api, let architectures):
            members += [
                ("architectures", .makeArray(architectures.map { .string($0.name) })),
                ("defaultErrno", .integer(1)),
                ("format", .string("spo")),
                ("name", .string(metadata.name)),
                ("spoApi", .string(api.rawValue)),
            ]
            if let namespace = metadata.namespace { members.append(("namespace", .string(namespace))) }
        }
        return .makeObject(members.sorted { $0.0 < $1.0 })
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

    /// The keys each kind takes besides `kind`, `path` and `traces`.
    private static let kindKeys: [(kind: String, keys: Set<String>)] = [
        ("seccomp", ["architectures", "defaultErrno", "format", "name", "namespace", "spoApi"]),
        ("capabilities", ["format"]),
        ("apparmor", ["complain", "name"]),
    ]

    /// A manifest path, checked to stay inside the repository root.
    ///
    /// A manifest is input like any other: `cinch check --write` must not write, and `cinch check`
    /// must not read, anything outside `--root` because a manifest says so. Paths are relative,
    /// without `..` components, and hold no control characters.
    private static func confined(_ cursor: JSONCursor) throws(InputError) -> String {
        let path = try cursor.string()
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        guard !path.isEmpty, !path.hasPrefix("/"), !components.contains(".."),
            !path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else {
            throw cursor.error(
                "the path \(String(reflecting: path)) must be relative to the repository root and stay inside it (no leading /, no ..)"
            )
        }
        return path
    }

    private static func entry(_ cursor: JSONCursor) throws(InputError) -> Entry {
        let members = try cursor.objectMembers()
        var kind = "seccomp"
        if let member = members.first(where: { $0.key == "kind" }) {
            kind = try member.cursor.string()
            guard kindKeys.contains(where: { $0.kind == kind }) else {
                throw member.cursor.error("unknown kind \"\(kind)\"; expected seccomp, capabilities or apparmor")
            }
        }
        let ownKeys = kindKeys.first { $0.kind == kind }?.keys ?? []
        var path: String?
        var traces: [String] = []
        var seccompFormat = SeccompProfile.Format.docker
        var capabilityFormat = CapabilityProfileGenerator.Format.text
        var errno: UInt32 = 1
        var architectures: [Architecture] = []
        var name: String?
        var complain = false
        var objectFormat = false
        var namespace: String?
        var api: SeccompProfile.OperatorAPI?
        var objectKeys: [(key: String, cursor: JSONCursor)] = []
        for (key, member) in members {
            switch key {
            case "kind": continue
            case "path": path = try confined(member)
            case "traces":
                traces = []
                for element in try member.arrayElements() { traces.append(try confined(element)) }
                guard !traces.isEmpty else { throw member.error("a profile needs at least one trace") }
            case _ where !ownKeys.contains(key):
                let owners = kindKeys.filter { $0.keys.contains(key) }.map(\.kind)
                if !owners.isEmpty {
                    throw member.error(
                        "the key \"\(key)\" does not apply to a profile of kind \(kind) (it belongs to kind \(owners.joined(separator: " or ")))"
                    )
                }
                throw member.error("unknown key \"\(key)\" in a profile entry")
            case "format" where kind == "seccomp":
                let text = try member.string()
                if text == "spo" {
                    objectFormat = true
                    continue
                }
                guard let value = SeccompProfile.Format(rawValue: text) else {
                    throw member.error("unknown format \"\(text)\" for a seccomp profile; expected docker, oci or spo")
                }
                seccompFormat = value
            case "name" where kind == "seccomp":
                let text = try member.string()
                if let problem = KubernetesObjectMetadata.nameProblem(text) { throw member.error(problem) }
                name = text
                objectKeys.append((key, member))
            case "namespace":
                let text = try member.string()
                if let problem = KubernetesObjectMetadata.namespaceProblem(text) { throw member.error(problem) }
                namespace = text
                objectKeys.append((key, member))
            case "spoApi":
                let text = try member.string()
                guard let value = SeccompProfile.OperatorAPI(rawValue: text) else {
                    throw member.error("unknown spoApi \"\(text)\"; expected v1 or v1beta1")
                }
                api = value
                objectKeys.append((key, member))
            case "format":
                let text = try member.string()
                guard let value = CapabilityProfileGenerator.Format(rawValue: text) else {
                    throw member.error(
                        "unknown format \"\(text)\" for a capability list; expected text, docker, oci, compose or kubernetes"
                    )
                }
                capabilityFormat = value
            case "defaultErrno": errno = try member.unsigned(UInt32.self)
            case "architectures":
                for element in try member.arrayElements() {
                    let abi = try element.string()
                    guard let value = Architecture(named: abi) else {
                        throw element.error("unknown architecture \"\(abi)\" (try x86_64, x86, x32, aarch64)")
                    }
                    architectures.append(value)
                }
            case "name":
                let text = try member.string()
                guard AppArmorProfileGenerator.isProfileName(text) else {
                    throw member.error(
                        "the AppArmor profile name \"\(text)\" is not allowed: use 1 to \(AppArmorProfileGenerator.nameLimit) letters, digits, '.', '_' or '-', starting with a letter or digit"
                    )
                }
                name = text
            case "complain": complain = try member.bool()
            default: throw member.error("unknown key \"\(key)\" in a profile entry")
            }
        }
        guard let path, !path.isEmpty else { throw cursor.error("the entry has no \"path\"") }
        guard !traces.isEmpty else { throw cursor.error("the entry for \"\(path)\" has no \"traces\"") }
        if kind == "seccomp" {
            guard objectFormat else {
                if let (key, member) = objectKeys.first {
                    throw member.error("the key \"\(key)\" applies only to a seccomp profile of format spo")
                }
                return Entry(
                    path: path,
                    kind: .seccomp(format: seccompFormat, defaultErrno: errno, architectures: architectures),
                    traces: traces)
            }
            guard let name else { throw cursor.error("the SeccompProfile object \"\(path)\" has no \"name\"") }
            let objectAPI = api ?? .v1
            if let namespace, !objectAPI.isNamespaced {
                throw cursor.error(SeccompProfile.clusterScopedProblem(namespace: namespace))
            }
            guard errno == 1 else {
                throw cursor.error(
                    "a SeccompProfile object has no field for a default errno other than EPERM: \"defaultErrno\" must be 1"
                )
            }
            return Entry(
                path: path,
                kind: .seccompObject(
                    KubernetesObjectMetadata(name: name, namespace: namespace), api: objectAPI,
                    architectures: architectures),
                traces: traces)
        }
        switch kind {
        case "capabilities":
            return Entry(path: path, kind: .capabilities(format: capabilityFormat), traces: traces)
        default:
            return Entry(path: path, kind: .apparmor(name: name, complain: complain), traces: traces)
        }
    }
}

// MARK: - Drift check

/// The result of regenerating every profile of a manifest and comparing it with the file.
public struct ProfileCheck: Sendable {
    /// The state of one profile.
    public struct Outcome: Sendable {
        /// The manifest entry.
        public var entry: ProfileManifest.Entry
        /// The regenerated file's contents, or nil when the generator reported an error (then
        /// ``ProfileCheck/diagnostics`` says why, and nothing may be written).
        public var expected: String?
        /// The file's contents, or nil when it does not exist.
        public var actual: String?
        /// The semantic difference from what the traces generate to the committed file, as a
        /// reviewer reads it: a widening is something the committed file allows that its traces do
        /// not justify (nil when the file is missing or not a readable profile).
        public var diff: ProfileDiff?
        /// A unified diff of the regenerated lines against the file's, for a drifted file
        /// whose ``diff`` is nil or empty; at most ``ProfileCheck/lineDiffLimit`` lines.
        public var lineDiff: String?
        /// Why the file could not be compared semantically, when it could not.
        public var problem: String?
        /// How the build failed, when it did (see ``ArtifactBuild/failure``).
        public var failure: ArtifactBuild.Failure?
        /// Every finding of the build, notes included, located at the profile or its traces.
        public var buildDiagnostics: [Diagnostic] = []
        /// For a seccomp profile that exists and parses: its traces replayed through the committed
        /// file's compiled filter (``FilterReplay``).
        public var replay: FilterReplay.Report?

        /// Whether the committed file allows every call its traces recorded (true for files that
        /// are not seccomp profiles or could not be replayed).
        public var isProven: Bool { replay?.allAllowed ?? true }

        /// Whether the profile could be regenerated.
        public var isGenerated: Bool { expected != nil }

        /// Whether the file is byte-identical to the regenerated profile.
        public var isUpToDate: Bool { expected != nil && actual == expected }

        /// What the committed file allows that its traces do not justify (`ptrace (x86_64)`), sorted.
        public var unjustified: [String] { names(of: [.widening, .unknown]) }

        /// What the traces use that the committed file does not allow, sorted.
        public var missing: [String] { names(of: [.narrowing]) }

        private func names(of effects: Set<ProfileDiff.Effect>) -> [String] {
            guard let diff else { return [] }
            var names = diff.general.filter { effects.contains($0.effect) }.map(\.name)
            for abi in diff.abis {
                names += abi.changes.filter { effects.contains($0.effect) }.map { "\($0.name) (\(abi.abi.name))" }
            }
            return Array(Set(names)).sorted()
        }
    }

    /// One outcome per entry, in manifest order.
    public var outcomes: [Outcome]
    /// Generator warnings and errors. Those without a location name the profile they concern;
    /// those about a trace name the trace, as the manifest spells it.
    public var diagnostics: [Diagnostic]

    /// Whether every profile is up to date.
    public var isClean: Bool { outcomes.allSatisfy(\.isUpToDate) }

    /// The outcomes whose profile could not be regenerated.
    public var ungenerated: [Outcome] { outcomes.filter { !$0.isGenerated } }

    /// How a drift report names the profile regenerated from the traces.
    public static let regeneratedName = "its traces (regenerated)"

    /// The most lines ``Outcome/lineDiff`` shows before it says how many it left out.
    public static let lineDiffLimit = 60

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
            for path in [entry.path] + entry.traces where !FileIO.isContained(join(root, path), in: root) {
                throw InputError(
                    "is outside the repository root \(root): a symbolic link on its way leads out of it",
                    at: ProfileLocation(file: path))
            }
            var inputs: [TraceInput] = []
            for trace in entry.traces {
                inputs.append(TraceInput(file: trace, trace: try Trace.load(path: join(root, trace))))
            }
            let build = ArtifactBuilder.build(entry.kind.recipe, from: inputs, output: entry.path)
            let located = build.diagnostics.map { diagnostic in
                var located = diagnostic
                located.location = located.location ?? ProfileLocation(file: entry.path)
                return located
            }
            diagnostics += located.filter { $0.severity != .note }
            var outcome = compare(entry, with: build, root: root, isPresent: isPresent)
            outcome.buildDiagnostics = located
            if case .seccomp = entry.kind, let actual = outcome.actual,
                let committed = try? SeccompProfile(jsonBytes: Array(actual.utf8), file: entry.path)
            {
                // The committed file, not the regenerated one: it is what runs.
                outcome.replay = FilterReplay(profile: committed, file: entry.path).replay(
                    inputs.map { ($0.file, $0.trace) })
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

    // MARK: - Comparison

    private static func compare(
        _ entry: ProfileManifest.Entry, with build: ArtifactBuild, root: String, isPresent: SyscallPresence?
    ) -> Outcome {
        var outcome = Outcome(entry: entry, expected: build.text)
        outcome.failure = build.failure
        let path = join(root, entry.path)
        guard FileIO.exists(path) else {
            outcome.problem = "\(entry.path) does not exist"
            return outcome
        }
        let bytes: [UInt8]
        do {
            bytes = try FileIO.read(path)
        } catch {
            outcome.problem = error.description
            return outcome
        }
        let actual = String(decoding: bytes, as: UTF8.self)
        outcome.actual = actual
        guard let expected = build.text, let profile = build.artifact, actual != expected else {
            return outcome
        }
        if case .seccompObject = entry.kind {
            // YAML, which cinch writes but does not read: compared line by line only.
            outcome.lineDiff = lineDiff(
                old: expected, new: actual, oldName: ProfileCheck.regeneratedName, newName: entry.path)
            return outcome
        }
        do {
            switch (profile, entry.kind) {
            case (.seccomp(let regenerated), _):
                let current = try SeccompProfile(jsonBytes: bytes, file: entry.path)
                outcome.diff = ProfileDiff.seccomp(
                    old: regenerated, new: current, oldName: ProfileCheck.regeneratedName, newName: entry.path,
                    isPresent: isPresent)
            case (.capabilities(let regenerated), _):
                let current = try CapabilityList(bytes: bytes, file: entry.path)
                outcome.diff = ProfileDiff.capabilities(
                    old: CapabilityList(regenerated.capabilities), new: CapabilityList(current.capabilities),
                    oldName: ProfileCheck.regeneratedName, newName: entry.path)
            case (.apparmor, _):
                let current = try AppArmorProfile(bytes: bytes, file: entry.path)
                let regenerated = try AppArmorProfile(bytes: Array(expected.utf8), file: ProfileCheck.regeneratedName)
                outcome.diff = ProfileDiff.apparmor(
                    old: regenerated, new: current, oldName: ProfileCheck.regeneratedName, newName: entry.path)
            }
        } catch {
            outcome.problem = error.description
        }
        if outcome.diff?.isEmpty ?? true {
            outcome.lineDiff = lineDiff(
                old: expected, new: actual, oldName: ProfileCheck.regeneratedName, newName: entry.path)
        }
        return outcome
    }

    // MARK: - Line diff

    /// A unified diff (`---`, `+++`, `@@ -a,b +c,d @@` hunks with three lines of context) from
    /// `old` to `new`, cut after ``lineDiffLimit`` lines with a line saying how many were left
    /// out; empty when the texts are equal.
    ///
    /// The middle that is left after the common first and last lines is compared line by line
    /// for a shortest edit when it is small (at most 4 million line pairs), and shown as replaced
    /// wholesale otherwise.
    public static func lineDiff(old: String, new: String, oldName: String, newName: String) -> String {
        guard old != new else { return "" }
        let a = lines(old)
        let b = lines(new)
        let edits = editScript(a, b)
        var out = ["--- \(oldName)", "+++ \(newName)"]
        let context = 3
        let changed = edits.indices.filter { edits[$0].op != " " }
        var index = 0
        while index < changed.count {
            var last = index
            while last + 1 < changed.count, changed[last + 1] - changed[last] <= 2 * context + 1 { last += 1 }
            let lower = max(0, changed[index] - context)
            let upper = min(edits.count - 1, changed[last] + context)
            let hunk = edits[lower...upper]
            let oldCount = hunk.filter { $0.op != "+" }.count
            let newCount = hunk.filter { $0.op != "-" }.count
            let oldStart = oldCount == 0 ? hunk[lower].old : hunk[lower].old + 1
            let newStart = newCount == 0 ? hunk[lower].new : hunk[lower].new + 1
            out.append("@@ -\(oldStart),\(oldCount) +\(newStart),\(newCount) @@")
            for edit in hunk {
                out.append(String(edit.op) + edit.line.text)
                if !edit.line.hasNewline { out.append("\\ No newline at end of file") }
            }
            index = last + 1
        }
        if out.count > lineDiffLimit {
            let left = out.count - lineDiffLimit
            out = Array(out.prefix(lineDiffLimit)) + ["… \(left) more line\(left == 1 ? "" : "s")"]
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// One line of a file, and whether a newline ended it (only the last may lack one).
    private struct Line: Equatable {
        var text: Substring
        var hasNewline: Bool
    }

    /// One step of an edit script: keep (`" "`), remove (`"-"`) or add (`"+"`) a line, with the
    /// 0-based positions in the old and new text where it happens.
    private struct Edit {
        var op: Character
        var line: Line
        var old: Int
        var new: Int
    }

    private static func lines(_ text: String) -> [Line] {
        var parts = text.split(separator: "\n", omittingEmptySubsequences: false)
        let endsWithNewline = parts.last == ""
        if endsWithNewline { parts.removeLast() }
        return parts.enumerated().map { index, part in
            Line(text: part, hasNewline: endsWithNewline || index < parts.count - 1)
        }
    }

    private static func editScript(_ a: [Line], _ b: [Line]) -> [Edit] {
        var prefix = 0
        while prefix < a.count, prefix < b.count, a[prefix] == b[prefix] { prefix += 1 }
        var suffix = 0
        while suffix < a.count - prefix, suffix < b.count - prefix, a[a.count - 1 - suffix] == b[b.count - 1 - suffix] {
            suffix += 1
        }
        let middleA = Array(a[prefix..<(a.count - suffix)])
        let middleB = Array(b[prefix..<(b.count - suffix)])
        var edits: [Edit] = []
        for offset in 0..<prefix { edits.append(Edit(op: " ", line: a[offset], old: offset, new: offset)) }
        var i = 0
        var j = 0
        if middleA.count * middleB.count <= 4_000_000 {
            // lengths[i][j]: the longest common subsequence of middleA[i...] and middleB[j...].
            let width = middleB.count + 1
            var lengths = [Int32](repeating: 0, count: (middleA.count + 1) * width)
            for x in stride(from: middleA.count - 1, through: 0, by: -1) {
                for y in stride(from: middleB.count - 1, through: 0, by: -1) {
                    lengths[x * width + y] =
                        middleA[x] == middleB[y]
                        ? lengths[(x + 1) * width + y + 1] + 1
                        : max(lengths[(x + 1) * width + y], lengths[x * width + y + 1])
                }
            }
            while i < middleA.count, j < middleB.count {
                if middleA[i] == middleB[j] {
                    edits.append(Edit(op: " ", line: middleA[i], old: prefix + i, new: prefix + j))
                    i += 1
                    j += 1
                } else if lengths[(i + 1) * width + j] >= lengths[i * width + j + 1] {
                    edits.append(Edit(op: "-", line: middleA[i], old: prefix + i, new: prefix + j))
                    i += 1
                } else {
                    edits.append(Edit(op: "+", line: middleB[j], old: prefix + i, new: prefix + j))
                    j += 1
                }
            }
        }
        while i < middleA.count {
            edits.append(Edit(op: "-", line: middleA[i], old: prefix + i, new: prefix + j))
            i += 1
        }
        while j < middleB.count {
            edits.append(Edit(op: "+", line: middleB[j], old: prefix + i, new: prefix + j))
            j += 1
        }
        let oldEnd = a.count - suffix
        let newEnd = b.count - suffix
        for offset in 0..<suffix {
            edits.append(Edit(op: " ", line: a[oldEnd + offset], old: oldEnd + offset, new: newEnd + offset))
        }
        return edits
    }
}
