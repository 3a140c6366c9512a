// SPDX-License-Identifier: Apache-2.0
// `cinch check` on manifests with capability lists and AppArmor profiles: write, pass, drift, refuse.

import CinchTestSupport
import Foundation
import Testing

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct ManifestCheckCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// Makes `apparmor_parser` unavailable, so the tests do not depend on the host having it.
    static let noParser = ["CINCH_APPARMOR_PARSER": "/nonexistent/apparmor_parser"]

    static let manifest = """
        {
          "cinchProfiles": 1,
          "profiles": [
            {
              "complain": false,
              "kind": "apparmor",
              "name": "cinch-web",
              "path": "Profiles/web.apparmor",
              "traces": ["Traces/web.trace.json"]
            },
            {
              "kind": "capabilities",
              "path": "Profiles/web.caps",
              "traces": ["Traces/web.trace.json"]
            },
            {
              "format": "kubernetes",
              "kind": "capabilities",
              "path": "Profiles/web.k8s.yaml",
              "traces": ["Traces/web.trace.json"]
            },
            {
              "path": "Profiles/web.seccomp.json",
              "traces": ["Traces/web.trace.json"]
            }
          ]
        }

        """

    /// A throw-away repository with two traces (one observed capabilities and files, one only
    /// syscalls) and `manifest` as Profiles/cinch-profiles.json.
    func makeRepository(manifest: String = Self.manifest) throws -> String {
        let root = try Command.temporaryDirectory("manifest-check")
        try FileManager.default.createDirectory(atPath: "\(root)/Traces", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/Profiles", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Fixture.path("traces/manifest-web.trace.json"), toPath: "\(root)/Traces/web.trace.json")
        try FileManager.default.copyItem(
            atPath: Fixture.path("traces/manifest-syscalls-only.trace.json"), toPath: "\(root)/Traces/sleep.trace.json")
        try manifest.write(toFile: "\(root)/Profiles/cinch-profiles.json", atomically: true, encoding: .utf8)
        return root
    }

    func edit(_ path: String, replacing old: String, with new: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(old), "\(path) lacks \(old)")
        try text.replacingOccurrences(of: old, with: new).write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func writeRegeneratesAndCheckCatchesHandEdits() throws {
        let root = try makeRepository()
        defer { Command.removeDirectory(root) }

        let missing = try Command.run([cinch, "check"], directory: root)
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("drift: Profiles/web.caps: Profiles/web.caps does not exist"))
        #expect(missing.stdout.contains("drift: Profiles/web.apparmor: Profiles/web.apparmor does not exist"))

        // Without apparmor_parser, --write still writes, and says the profile is unchecked.
        let write = try Command.run([cinch, "check", "--write"], environment: Self.noParser, directory: root)
        #expect(write.status == 0, "\(write.stderr)")
        for path in ["web.apparmor", "web.caps", "web.k8s.yaml", "web.seccomp.json"] {
            #expect(write.stdout.contains("wrote: Profiles/\(path)\n"))
        }
        #expect(write.stderr.contains("Profiles/web.apparmor: note: The profile was not compiled"), "\(write.stderr)")

        // The files are what `cinch generate` writes for the same options.
        let generated: [(file: String, arguments: [String])] = [
            ("web.caps", ["capabilities"]),
            ("web.k8s.yaml", ["capabilities", "--format", "kubernetes"]),
            ("web.apparmor", ["apparmor", "--name", "cinch-web"]),
            ("web.seccomp.json", ["seccomp"]),
        ]
        for (file, arguments) in generated {
            let direct = try Command.run(
                [cinch, "generate"] + arguments + ["-q", "Traces/web.trace.json"], environment: Self.noParser,
                directory: root)
            #expect(direct.status == 0, "\(direct.stderr)")
            #expect(try String(contentsOfFile: "\(root)/Profiles/\(file)", encoding: .utf8) == direct.stdout)
        }

        let clean = try Command.run([cinch, "check"], directory: root)
        #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
        #expect(
            clean.stdout
                == "ok: Profiles/web.apparmor\nok: Profiles/web.caps\nok: Profiles/web.k8s.yaml\n"
                + "ok: Profiles/web.seccomp.json\n")

        // A capability granted by hand: the semantic capability diff names it.
        try edit("\(root)/Profiles/web.caps", replacing: "CAP_SETUID\n", with: "CAP_SETUID\nCAP_SYS_ADMIN\n")
        let caps = try Command.run([cinch, "check"], directory: root)
        #expect(caps.status == 1)
        #expect(caps.stdout.contains("drift: Profiles/web.caps differs from the capability list its traces generate:"))
        #expect(caps.stdout.contains("CAP_SYS_ADMIN"), "\(caps.stdout)")
        #expect(caps.stdout.contains("ok: Profiles/web.apparmor"))
        #expect(caps.stderr.contains("1 of 4 profiles drifted"))

        // A file rule added by hand: the AppArmor diff names it.
        try edit(
            "\(root)/Profiles/web.apparmor", replacing: "  /etc/passwd r,\n",
            with: "  /etc/passwd r,\n  /etc/shadow r,\n")
        let apparmor = try Command.run([cinch, "check"], directory: root)
        #expect(apparmor.status == 1)
        #expect(
            apparmor.stdout.contains(
                "drift: Profiles/web.apparmor differs from the AppArmor profile its traces generate:"))
        #expect(apparmor.stdout.contains("/etc/shadow"), "\(apparmor.stdout)")
        #expect(apparmor.stderr.contains("2 of 4 profiles drifted"))

        // Kubernetes YAML is read back: what the committed file lacks is named, from the traces' side.
        try edit("\(root)/Profiles/web.k8s.yaml", replacing: "      - SETUID\n", with: "")
        let yaml = try Command.run([cinch, "check", "--format", "markdown"], directory: root)
        #expect(yaml.status == 1)
        #expect(
            yaml.stdout.contains(
                """
                drift: Profiles/web.k8s.yaml differs from the capability list its traces generate:
                  Profiles/web.k8s.yaml does not allow what its traces use: CAP_SETUID
                """), "\(yaml.stdout)")

        let rewrite = try Command.run([cinch, "check", "--write"], environment: Self.noParser, directory: root)
        #expect(rewrite.status == 0, "\(rewrite.stderr)")
        #expect(
            rewrite.stdout
                == "wrote: Profiles/web.apparmor\nwrote: Profiles/web.caps\nwrote: Profiles/web.k8s.yaml\n"
                + "unchanged: Profiles/web.seccomp.json\n")
        #expect(try Command.run([cinch, "check"], directory: root).status == 0)
    }

    @Test func aTraceThatDidNotObserveCapabilitiesExits64NamingIt() throws {
        let root = try makeRepository(
            manifest: """
                {"cinchProfiles": 1, "profiles": [
                  {"format": "docker", "kind": "capabilities", "path": "Profiles/sleep.caps",
                   "traces": ["Traces/sleep.trace.json"]},
                  {"path": "Profiles/sleep.seccomp.json", "traces": ["Traces/sleep.trace.json"]}
                ]}
                """)
        defer { Command.removeDirectory(root) }
        let check = try Command.run([cinch, "check"], directory: root)
        #expect(check.status == 64)
        #expect(
            check.stderr.contains(
                "cinch: Traces/sleep.trace.json ($.observed): error: The trace does not say it observed capabilities"),
            "\(check.stderr)")
        #expect(check.stderr.contains("cinch: Profiles/sleep.caps could not be regenerated from its traces"))
        #expect(
            check.stdout.contains("error: Profiles/sleep.caps could not be regenerated from Traces/sleep.trace.json"))

        let write = try Command.run([cinch, "check", "--write"], directory: root)
        #expect(write.status == 64)
        #expect(write.stderr.contains("no profile was written: Profiles/sleep.caps could not be regenerated"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/Profiles/sleep.caps"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/Profiles/sleep.seccomp.json"))
    }

    @Test func anAppArmorProfileFromATraceWithoutFilesExits64() throws {
        let root = try makeRepository(
            manifest: """
                {"cinchProfiles": 1, "profiles": [
                  {"kind": "apparmor", "path": "Profiles/sleep.apparmor", "traces": ["Traces/sleep.trace.json"]}
                ]}
                """)
        defer { Command.removeDirectory(root) }
        let check = try Command.run([cinch, "check"], directory: root)
        #expect(check.status == 64)
        #expect(check.stderr.contains("Traces/sleep.trace.json: error: This trace did not watch file access"))
    }

    @Test func writeRefusesAnAppArmorProfileTheParserRejects() throws {
        let root = try makeRepository()
        defer { Command.removeDirectory(root) }
        let parser = try StandInParser.rejectingAppArmor(in: root)
        let write = try Command.run(
            [cinch, "check", "--write"], environment: ["CINCH_APPARMOR_PARSER": parser], directory: root)
        #expect(write.status == 64)
        #expect(write.stderr.contains("Profiles/web.apparmor:7: error: Invalid capability nope."), "\(write.stderr)")
        #expect(write.stderr.contains("no profile was written: Profiles/web.apparmor does not compile"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/Profiles/web.apparmor"))
        #expect(!FileManager.default.fileExists(atPath: "\(root)/Profiles/web.caps"))
    }

    @Test(
        .enabled(
            if: ["/usr/sbin/apparmor_parser", "/sbin/apparmor_parser"].contains {
                FileManager.default.isExecutableFile(atPath: $0)
            }, "needs apparmor_parser"))
    func writeCompilesAppArmorProfilesWithTheInstalledParser() throws {
        let root = try makeRepository()
        defer { Command.removeDirectory(root) }
        let write = try Command.run([cinch, "check", "--write"], directory: root)
        #expect(write.status == 0, "\(write.stderr)")
        #expect(!write.stderr.contains("not compiled"), "\(write.stderr)")
        #expect(write.stdout.contains("wrote: Profiles/web.apparmor"))
    }
}
