// SPDX-License-Identifier: Apache-2.0
// The profile manifest's seccomp, capability and AppArmor entries: parsing, strictness, rendering, drift.

import CinchDiff
import CinchGenerate
import CinchLinux
import CinchModel
import CinchTestSupport
import CinchWorkflow
import Foundation
import Testing

@Suite struct ManifestKindsTests {
    /// One entry of each kind and each option, in an order `rendered()` has to sort.
    static let allKinds = ProfileManifest(entries: [
        .init(path: "Profiles/web.seccomp.json", traces: ["Traces/web.trace.json"]),
        .init(path: "Profiles/web.caps", kind: .capabilities(format: .text), traces: ["Traces/web.trace.json"]),
        .init(
            path: "Profiles/web.k8s.yaml", kind: .capabilities(format: .kubernetes),
            traces: ["Traces/web.trace.json", "Traces/web-2.trace.json"]),
        .init(
            path: "Profiles/web.compose.yaml", kind: .capabilities(format: .compose), traces: ["Traces/web.trace.json"]),
        .init(path: "Profiles/web.caps.json", kind: .capabilities(format: .oci), traces: ["Traces/web.trace.json"]),
        .init(path: "Profiles/web.flags", kind: .capabilities(format: .docker), traces: ["Traces/web.trace.json"]),
        .init(
            path: "Profiles/web.apparmor", kind: .apparmor(name: nil, complain: false), traces: ["Traces/a.trace.json"]),
        .init(
            path: "Profiles/web-complain.apparmor", kind: .apparmor(name: "cinch-web", complain: true),
            traces: ["Traces/a.trace.json"]),
        .init(
            path: "Profiles/web.oci.json", format: .oci, defaultErrno: 38, architectures: [.x86_64, .x86],
            traces: ["Traces/web.trace.json"]),
        .init(
            path: "Profiles/web.spo.yaml",
            kind: .seccompObject(KubernetesObjectMetadata(name: "web"), api: .v1, architectures: []),
            traces: ["Traces/web.trace.json"]),
        .init(
            path: "Profiles/web.spo-beta.yaml",
            kind: .seccompObject(
                KubernetesObjectMetadata(name: "web", namespace: "apps"), api: .v1beta1, architectures: [.x86_64]),
            traces: ["Traces/web.trace.json"]),
    ])

    // MARK: - Rendering

    @Test func rendersEveryKindDeterministicallyAndRoundTrips() throws {
        let text = Self.allKinds.rendered()
        expectMatchesGolden(text, "manifest-all-kinds.json")
        let parsed = try ProfileManifest(jsonBytes: Array(text.utf8), file: "m.json")
        #expect(parsed.rendered() == text)
        #expect(Set(parsed.entries.map(\.path)) == Set(Self.allKinds.entries.map(\.path)))
        for entry in Self.allKinds.entries {
            #expect(parsed.entries.first { $0.path == entry.path } == entry)
        }
        // Entry order does not matter to the output.
        let reversed = ProfileManifest(entries: Self.allKinds.entries.reversed())
        #expect(reversed.rendered() == text)
    }

    @Test func defaultsAreFilledInAndWrittenOut() throws {
        let text = #"""
            {"cinchProfiles": 1, "profiles": [
              {"kind": "capabilities", "path": "c.txt", "traces": ["t.json"]},
              {"kind": "apparmor", "path": "a.apparmor", "traces": ["t.json"]},
              {"path": "s.json", "traces": ["t.json"]}
            ]}
            """#
        let manifest = try ProfileManifest(jsonBytes: Array(text.utf8), file: "m.json")
        #expect(
            manifest.entries.map(\.kind) == [
                .capabilities(format: .text), .apparmor(name: nil, complain: false),
                .seccomp(format: .docker, defaultErrno: 1, architectures: []),
            ])
        let rendered = manifest.rendered()
        #expect(rendered.contains(#""complain": false"#))
        #expect(rendered.contains(#""format": "text""#))
        #expect(!rendered.contains(#""name""#))
        // Rendering sorts by path; nothing else changes.
        let reparsed = try ProfileManifest(jsonBytes: Array(rendered.utf8), file: "m.json")
        #expect(reparsed.entries == manifest.entries.sorted { $0.path < $1.path })
    }

    /// The committed manifest must survive a read and a render byte for byte: seccomp entries are
    /// written exactly as before the other kinds existed.
    @Test func repositoryManifestRendersByteIdentical() throws {
        let path = TestEnvironment.repositoryRoot() + "/Profiles/" + ProfileManifest.fileName
        let bytes = try FileIO.read(path)
        let manifest = try ProfileManifest(jsonBytes: bytes, file: path)
        #expect(!manifest.entries.isEmpty)
        #expect(manifest.rendered() == String(decoding: bytes, as: UTF8.self))
    }

    @Test func conventionalManifestStaysSeccompOnly() {
        let manifest = ProfileManifest.conventional(
            traceFiles: ["Traces/web.trace.json"], profilesDirectory: "Profiles")
        #expect(
            manifest.entries.map(\.kind) == [
                .seccomp(format: .docker, defaultErrno: 1, architectures: []),
                .seccomp(format: .oci, defaultErrno: 1, architectures: []),
            ])
    }

    // MARK: - Strictness

    struct BadManifest: Sendable, CustomTestStringConvertible {
        var entry: String
        var jsonPath: String
        var message: String
        var testDescription: String { "\(jsonPath): \(message)" }
    }

    static let badManifests: [BadManifest] = [
        BadManifest(
            entry: #"{"kind": "capabilities", "path": "c", "traces": ["t"], "defaultErrno": 1}"#,
            jsonPath: "$.profiles[0].defaultErrno",
            message: "the key \"defaultErrno\" does not apply to a profile of kind capabilities"),
        BadManifest(
            entry: #"{"kind": "capabilities", "path": "c", "traces": ["t"], "architectures": []}"#,
            jsonPath: "$.profiles[0].architectures", message: "belongs to kind seccomp"),
        BadManifest(
            entry: #"{"path": "c", "traces": ["t"], "complain": true}"#, jsonPath: "$.profiles[0].complain",
            message: "the key \"complain\" does not apply to a profile of kind seccomp (it belongs to kind apparmor)"),
        BadManifest(
            entry: #"{"kind": "apparmor", "path": "a", "traces": ["t"], "format": "text"}"#,
            jsonPath: "$.profiles[0].format", message: "does not apply to a profile of kind apparmor"),
        BadManifest(
            entry: #"{"kind": "capabilities", "path": "c", "traces": ["t"], "name": "x"}"#,
            jsonPath: "$.profiles[0].name", message: "belongs to kind seccomp or apparmor"),
        BadManifest(
            entry: #"{"path": "s", "traces": ["t"], "format": "oci", "name": "web"}"#, jsonPath: "$.profiles[0].name",
            message: "the key \"name\" applies only to a seccomp profile of format spo"),
        BadManifest(
            entry: #"{"path": "s", "traces": ["t"], "format": "spo"}"#, jsonPath: "$.profiles[0]",
            message: "the SeccompProfile object \"s\" has no \"name\""),
        BadManifest(
            entry: #"{"path": "s", "traces": ["t"], "format": "spo", "name": "Web"}"#,
            jsonPath: "$.profiles[0].name", message: "not a DNS-1123 subdomain"),
        BadManifest(
            entry: #"{"path": "s", "traces": ["t"], "format": "spo", "name": "web", "namespace": "apps"}"#,
            jsonPath: "$.profiles[0]", message: "cluster-scoped"),
        BadManifest(
            entry: #"{"path": "s", "traces": ["t"], "format": "spo", "name": "web", "spoApi": "v2"}"#,
            jsonPath: "$.profiles[0].spoApi", message: "unknown spoApi \"v2\"; expected v1 or v1beta1"),
        BadManifest(
            entry: #"{"path": "s", "traces": ["t"], "format": "spo", "name": "web", "defaultErrno": 38}"#,
            jsonPath: "$.profiles[0]", message: "\"defaultErrno\" must be 1"),
        BadManifest(
            entry: #"{"kind": "selinux", "path": "c", "traces": ["t"]}"#, jsonPath: "$.profiles[0].kind",
            message: "unknown kind \"selinux\"; expected seccomp, capabilities or apparmor"),
        BadManifest(
            entry: #"{"kind": 1, "path": "c", "traces": ["t"]}"#, jsonPath: "$.profiles[0].kind",
            message: "expected a string"),
        BadManifest(
            entry: #"{"kind": "capabilities", "path": "c", "traces": ["t"], "format": "yaml"}"#,
            jsonPath: "$.profiles[0].format",
            message: "unknown format \"yaml\" for a capability list; expected text, docker, oci, compose or kubernetes"),
        BadManifest(
            entry: #"{"kind": "seccomp", "path": "c", "traces": ["t"], "format": "kubernetes"}"#,
            jsonPath: "$.profiles[0].format", message: "unknown format \"kubernetes\" for a seccomp profile"),
        BadManifest(
            entry: #"{"kind": "apparmor", "path": "a", "traces": ["t"], "name": "two words"}"#,
            jsonPath: "$.profiles[0].name", message: "the AppArmor profile name \"two words\" is not allowed"),
        BadManifest(
            entry: #"{"kind": "apparmor", "path": "a", "traces": ["t"], "complain": "yes"}"#,
            jsonPath: "$.profiles[0].complain", message: "expected a boolean"),
        BadManifest(
            entry: #"{"kind": "apparmor", "path": "a", "traces": ["t"], "profile": "x"}"#,
            jsonPath: "$.profiles[0].profile", message: "unknown key \"profile\" in a profile entry"),
        BadManifest(
            entry: #"{"kind": "capabilities", "path": "c", "traces": []}"#, jsonPath: "$.profiles[0].traces",
            message: "a profile needs at least one trace"),
        BadManifest(
            entry: #"{"kind": "apparmor", "traces": ["t"]}"#, jsonPath: "$.profiles[0]",
            message: "the entry has no \"path\""),
    ]

    @Test(arguments: badManifests)
    func rejectsEntriesWithTheirJSONPath(bad: BadManifest) {
        let text = #"{"cinchProfiles": 1, "profiles": ["# + bad.entry + "]}"
        do {
            let manifest = try ProfileManifest(jsonBytes: Array(text.utf8), file: "m.json")
            Issue.record("accepted \(manifest)")
        } catch {
            #expect(error.location.file == "m.json")
            #expect(error.location.jsonPath == bad.jsonPath)
            #expect(error.message.contains(bad.message), "\(error.message)")
        }
    }

    // MARK: - Drift check

    /// A throw-away repository with the web trace and one entry of each kind, written by `--write`'s
    /// library half.
    func makeRepository(_ entries: [ProfileManifest.Entry]) throws -> (root: String, manifest: ProfileManifest) {
        let root = try Command.temporaryDirectory("manifest-kinds")
        try FileManager.default.createDirectory(atPath: "\(root)/Traces", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/Profiles", withIntermediateDirectories: true)
        for name in ["manifest-web", "manifest-syscalls-only"] {
            try FileManager.default.copyItem(
                atPath: Fixture.path("traces/\(name).trace.json"), toPath: "\(root)/Traces/\(name).trace.json")
        }
        return (root, ProfileManifest(entries: entries))
    }

    static let webTrace = ["Traces/manifest-web.trace.json"]

    @Test func checkComparesEveryKindAndExplainsDrift() throws {
        let (root, manifest) = try makeRepository([
            .init(path: "Profiles/web.caps", kind: .capabilities(format: .text), traces: Self.webTrace),
            .init(path: "Profiles/web.compose.yaml", kind: .capabilities(format: .compose), traces: Self.webTrace),
            .init(
                path: "Profiles/web.apparmor", kind: .apparmor(name: "cinch-web", complain: false),
                traces: Self.webTrace),
            .init(path: "Profiles/web.seccomp.json", traces: Self.webTrace),
            .init(
                path: "Profiles/web.spo.yaml",
                kind: .seccompObject(KubernetesObjectMetadata(name: "web"), api: .v1, architectures: []),
                traces: Self.webTrace),
        ])
        defer { Command.removeDirectory(root) }

        let missing = try ProfileCheck.run(manifest, root: root)
        #expect(!missing.isClean)
        #expect(missing.outcomes.allSatisfy { $0.isGenerated && $0.problem?.hasSuffix("does not exist") == true })
        for outcome in missing.outcomes {
            try FileIO.writeAtomically(try #require(outcome.expected), to: "\(root)/\(outcome.entry.path)")
        }
        let clean = try ProfileCheck.run(manifest, root: root)
        #expect(clean.isClean)
        #expect(clean.diagnostics.allSatisfy { $0.severity != .error })
        #expect(clean.outcomes[0].expected == "CAP_NET_BIND_SERVICE\nCAP_SETUID\n")
        #expect(clean.outcomes[2].expected?.contains("profile cinch-web flags=") == true)

        try "CAP_NET_BIND_SERVICE\nCAP_SETUID\nCAP_SYS_ADMIN\n".write(
            toFile: "\(root)/Profiles/web.caps", atomically: true, encoding: .utf8)
        let compose = "\(root)/Profiles/web.compose.yaml"
        try String(contentsOfFile: compose, encoding: .utf8).replacingOccurrences(of: "  - SETUID\n", with: "")
            .write(toFile: compose, atomically: true, encoding: .utf8)
        let apparmor = "\(root)/Profiles/web.apparmor"
        try String(contentsOfFile: apparmor, encoding: .utf8)
            .replacingOccurrences(of: "  /etc/passwd r,\n", with: "  /etc/passwd r,\n  /etc/shadow r,\n")
            .write(toFile: apparmor, atomically: true, encoding: .utf8)

        let spo = "\(root)/Profiles/web.spo.yaml"
        #expect(try String(contentsOfFile: spo, encoding: .utf8).hasPrefix("apiVersion: security-profiles-operator"))
        try String(contentsOfFile: spo, encoding: .utf8)
            .replacingOccurrences(of: "      names:\n", with: "      names:\n        - ptrace\n")
            .write(toFile: spo, atomically: true, encoding: .utf8)

        let drift = try ProfileCheck.run(manifest, root: root)
        #expect(drift.outcomes.map(\.isUpToDate) == [false, false, false, true, false])
        // A SeccompProfile object is YAML cinch does not read back: the drift is shown line by line.
        let object = drift.outcomes[4]
        #expect(object.diff == nil && object.problem == nil)
        #expect(object.lineDiff?.contains("+        - ptrace\n") == true, "\(object.lineDiff ?? "")")
        let caps = drift.outcomes[0]
        #expect(caps.diff?.subject == .capabilities)
        #expect(caps.diff?.allChanges.map { "\($0.kind.rawValue) \($0.name)" } == ["added CAP_SYS_ADMIN"])
        #expect(caps.lineDiff == nil)
        let yaml = drift.outcomes[1]
        // Compose YAML is read back, so the drift is semantic: the committed file lacks SETUID.
        #expect(yaml.diff?.allChanges.map { "\($0.kind.rawValue) \($0.name)" } == ["removed CAP_SETUID"])
        #expect(yaml.missing == ["CAP_SETUID"] && yaml.unjustified == [])
        #expect(yaml.lineDiff == nil && yaml.problem == nil)
        let profile = drift.outcomes[2]
        #expect(profile.diff?.subject == .apparmor)
        #expect(profile.diff?.allChanges.contains { $0.name.contains("/etc/shadow") } == true)
    }

    @Test func aCommentOnlyEditGetsALineDiff() throws {
        let (root, manifest) = try makeRepository([
            .init(path: "Profiles/web.caps", kind: .capabilities(format: .text), traces: Self.webTrace)
        ])
        defer { Command.removeDirectory(root) }
        try "# reviewed\nCAP_NET_BIND_SERVICE\nCAP_SETUID\n".write(
            toFile: "\(root)/Profiles/web.caps", atomically: true, encoding: .utf8)
        let outcome = try #require(try ProfileCheck.run(manifest, root: root).outcomes.first)
        #expect(!outcome.isUpToDate)
        #expect(outcome.diff?.isEmpty == true)
        #expect(
            outcome.lineDiff?.contains(
                "--- its traces (regenerated)\n+++ Profiles/web.caps\n@@ -1,2 +1,3 @@\n+# reviewed\n CAP_NET_BIND_SERVICE\n"
            )
                == true, "\(outcome.lineDiff ?? "")")
    }

    @Test func generatorErrorsLeaveTheEntryUngeneratedAndNameTheTrace() throws {
        let unobserved = ["Traces/manifest-syscalls-only.trace.json"]
        let (root, manifest) = try makeRepository([
            .init(path: "Profiles/sleep.caps", kind: .capabilities(format: .docker), traces: unobserved),
            .init(path: "Profiles/sleep.apparmor", kind: .apparmor(name: nil, complain: true), traces: unobserved),
            .init(path: "Profiles/sleep.seccomp.json", traces: unobserved),
        ])
        defer { Command.removeDirectory(root) }
        let check = try ProfileCheck.run(manifest, root: root)
        #expect(check.ungenerated.map(\.entry.path) == ["Profiles/sleep.caps", "Profiles/sleep.apparmor"])
        #expect(check.outcomes[2].isGenerated)
        let errors = check.diagnostics.filter { $0.severity == .error }
        #expect(errors.map(\.id) == ["capabilities.not-observed", "apparmor.files-not-observed"])
        #expect(errors.allSatisfy { $0.location?.file == unobserved[0] })
    }

    // MARK: - Line diff

    @Test func lineDiffMarksAMissingFinalNewline() {
        let diff = ProfileCheck.lineDiff(old: "a\nb", new: "a\nb\n", oldName: "old", newName: "new")
        #expect(diff == "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n")
        #expect(ProfileCheck.lineDiff(old: "same\n", new: "same\n", oldName: "o", newName: "n").isEmpty)
    }

    @Test func lineDiffSeparatesDistantHunksAndCutsLongOutput() {
        let old = (1...40).map { "line \($0)\n" }.joined()
        let new = old.replacingOccurrences(of: "line 2\n", with: "line two\n")
            .replacingOccurrences(of: "line 30\n", with: "")
        let diff = ProfileCheck.lineDiff(old: old, new: new, oldName: "o", newName: "n")
        #expect(diff.split(separator: "\n").filter { $0.hasPrefix("@@") } == ["@@ -1,5 +1,5 @@", "@@ -27,7 +27,6 @@"])

        let long = ProfileCheck.lineDiff(old: "", new: old + old, oldName: "o", newName: "n")
        let lines = long.split(separator: "\n")
        #expect(lines.count == ProfileCheck.lineDiffLimit + 1)
        #expect(lines.first == "--- o" && lines[2] == "@@ -0,0 +1,80 @@")
        #expect(lines.last == "… \(83 - ProfileCheck.lineDiffLimit) more lines")
    }
}
