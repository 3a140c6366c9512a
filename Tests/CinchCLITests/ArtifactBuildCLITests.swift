// SPDX-License-Identifier: Apache-2.0
// `cinch generate`, `cinch check` and `cinch check --write` share one build path: the same
// refusals, the same bytes.

import CinchTestSupport
import Foundation
import Testing

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct ArtifactBuildCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// Makes `apparmor_parser` unavailable, so the byte comparison does not depend on the host.
    static let noParser = ["CINCH_APPARMOR_PARSER": "/nonexistent/apparmor_parser"]

    /// A repository whose one trace names a syscall libseccomp does not know.
    func repositoryWithUnknownSyscall() throws -> String {
        let root = try Command.temporaryDirectory("artifact-build")
        try FileManager.default.createDirectory(atPath: "\(root)/Traces", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/Profiles", withIntermediateDirectories: true)
        let trace = try String(
            contentsOfFile: Fixture.path("traces/manifest-syscalls-only.trace.json"), encoding: .utf8)
        #expect(trace.contains("\"nanosleep\""))
        try trace.replacingOccurrences(of: "\"nanosleep\"", with: "\"cinch_not_a_syscall\"")
            .write(toFile: "\(root)/Traces/x.trace.json", atomically: true, encoding: .utf8)
        return root
    }

    /// The message of the first diagnostic line naming `needle`, without the `file (path): ` prefix.
    func message(in stderr: String, naming needle: String) -> String? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.contains(needle) }),
            let start = line.range(of: "error: ")
        else { return nil }
        return String(line[start.lowerBound...])
    }

    /// `check --write` used to regenerate without compiling and wrote a profile naming a syscall
    /// that does not exist, which `generate` refuses; now both refuse with the same diagnostic.
    @Test func checkWriteRefusesAnUnknownSyscallLikeGenerate() throws {
        let root = try repositoryWithUnknownSyscall()
        defer { Command.removeDirectory(root) }
        let generate = try Command.run(
            [cinch, "generate", "seccomp", "Traces/x.trace.json", "-o", "Profiles/x.seccomp.json"], directory: root)
        #expect(generate.status == 64)
        #expect(!FileManager.default.fileExists(atPath: "\(root)/Profiles/x.seccomp.json"))
        let refusal = try #require(message(in: generate.stderr, naming: "cinch_not_a_syscall"), "\(generate.stderr)")
        #expect(refusal.contains("Unknown syscall \"cinch_not_a_syscall\""))

        let initialize = try Command.run([cinch, "check", "--init"], directory: root)
        #expect(FileManager.default.fileExists(atPath: "\(root)/Profiles/cinch-profiles.json"), "\(initialize.stderr)")
        let write = try Command.run([cinch, "check", "--write"], directory: root)
        #expect(write.status == 64)
        #expect(message(in: write.stderr, naming: "cinch_not_a_syscall") == refusal, "\(write.stderr)")
        #expect(write.stderr.contains("Profiles/x.seccomp.json ($.syscalls[0].names[0]): error: Unknown syscall"))
        #expect(write.stderr.contains("no profile was written"))
        #expect(!write.stdout.contains("wrote:"))
        for file in ["x.seccomp.json", "x.oci.json"] {
            #expect(!FileManager.default.fileExists(atPath: "\(root)/Profiles/\(file)"))
        }

        let check = try Command.run([cinch, "check"], directory: root)
        #expect(check.status == 64)
        #expect(message(in: check.stderr, naming: "cinch_not_a_syscall") == refusal)
    }

    /// Every artifact kind and format: `generate` writes exactly what `check --write` writes,
    /// and `check` then finds no drift.
    @Test func generateCheckAndCheckWriteAgreeForEveryKind() throws {
        let root = try Command.temporaryDirectory("artifact-build")
        defer { Command.removeDirectory(root) }
        try FileManager.default.createDirectory(atPath: "\(root)/Traces", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(root)/Profiles", withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: Fixture.path("traces/manifest-web.trace.json"), toPath: "\(root)/Traces/web.trace.json")
        let kinds: [(file: String, entry: String, arguments: [String])] = [
            ("w.docker.json", #""format": "docker", "kind": "seccomp""#, ["seccomp", "--format", "docker"]),
            ("w.oci.json", #""format": "oci", "kind": "seccomp""#, ["seccomp", "--format", "oci"]),
            ("w.enosys.json", #""defaultErrno": 38, "kind": "seccomp""#, ["seccomp", "--default-errno", "ENOSYS"]),
            ("w.caps", #""format": "text", "kind": "capabilities""#, ["capabilities"]),
            ("w.flags", #""format": "docker", "kind": "capabilities""#, ["capabilities", "--format", "docker"]),
            ("w.caps.json", #""format": "oci", "kind": "capabilities""#, ["capabilities", "--format", "oci"]),
            (
                "w.compose.yaml", #""format": "compose", "kind": "capabilities""#,
                ["capabilities", "--format", "compose"]
            ),
            (
                "w.k8s.yaml", #""format": "kubernetes", "kind": "capabilities""#,
                ["capabilities", "--format", "kubernetes"]
            ),
            ("w.apparmor", #""kind": "apparmor", "name": "cinch-w""#, ["apparmor", "--name", "cinch-w"]),
            (
                "w.complain", #""complain": true, "kind": "apparmor", "name": "cinch-w""#,
                ["apparmor", "--name", "cinch-w", "--complain"]
            ),
        ]
        let entries = kinds.map {
            #"{\#($0.entry), "path": "Profiles/\#($0.file)", "traces": ["Traces/web.trace.json"]}"#
        }
        try #"{"cinchProfiles": 1, "profiles": [\#(entries.joined(separator: ",\n"))]}"#
            .write(toFile: "\(root)/Profiles/cinch-profiles.json", atomically: true, encoding: .utf8)

        let write = try Command.run([cinch, "check", "--write"], environment: Self.noParser, directory: root)
        #expect(write.status == 0, "\(write.stderr)")
        for kind in kinds {
            #expect(write.stdout.contains("wrote: Profiles/\(kind.file)\n"))
            let generated = try Command.run(
                [cinch, "generate"] + kind.arguments + ["-q", "Traces/web.trace.json", "-o", "g.out"],
                environment: Self.noParser, directory: root)
            #expect(generated.status == 0, "\(kind.file): \(generated.stderr)")
            let direct = try Data(contentsOf: URL(fileURLWithPath: "\(root)/g.out"))
            let written = try Data(contentsOf: URL(fileURLWithPath: "\(root)/Profiles/\(kind.file)"))
            #expect(direct == written, "\(kind.file) differs between generate and check --write")
        }
        let check = try Command.run([cinch, "check"], environment: Self.noParser, directory: root)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.split(separator: "\n").filter { $0.hasPrefix("ok: ") }.count == kinds.count)
    }
}
