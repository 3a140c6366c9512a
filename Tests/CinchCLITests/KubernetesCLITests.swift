// SPDX-License-Identifier: Apache-2.0
// `cinch generate seccomp --format spo` and `cinch generate security-context` as users run them.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite(
    .enabled(
        if: TestEnvironment.available(TestEnvironment.hasProduct("cinch")),
        "needs the built cinch binary (run `swift build` first)"),
    .timeLimit(.minutes(2))
)
struct KubernetesCLITests {
    let cinch = TestEnvironment.product("cinch")
    let arguments = Fixture.path("traces/arguments.trace.json")

    func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try Command.temporaryDirectory("k8s")
        defer { Command.removeDirectory(directory) }
        try body(directory)
    }

    /// The traces behind `capabilities-kubernetes.yaml` and `security-context.yaml`, as files.
    func writeCapabilityTraces(in dir: String) throws -> [String] {
        var files: [String] = []
        for (name, capabilities) in [
            ("web", ["CAP_NET_BIND_SERVICE", "CAP_CHOWN"]), ("debug", ["CAP_SYS_PTRACE", "CAP_CHOWN"]),
        ] {
            let trace = Trace(
                source: .init(kind: "ptrace", bundle: "/tmp/bundle", runtime: "runc", noNewPrivileges: true),
                capabilities: Set(capabilities), observed: [.capabilities])
            try trace.jsonValue().rendered().write(toFile: "\(dir)/\(name).json", atomically: true, encoding: .utf8)
            files.append("\(dir)/\(name).json")
        }
        return files
    }

    // MARK: - generate seccomp --format spo

    @Test func spoFormatMatchesTheLibraryGolden() throws {
        try withDirectory { dir in
            let command = [cinch, "generate", "seccomp", "-q", "--format", "spo", "--name", "web"]
            let stdout = try Command.run(command + [arguments])
            #expect(stdout.status == 0, "\(stdout.stderr)")
            #expect(stdout.stderr == "")
            expectMatchesGolden(stdout.stdout, "spo-v1.yaml")
            let older = try Command.run(command + ["--spo-api", "v1beta1", "--namespace", "apps", arguments])
            #expect(older.status == 0, "\(older.stderr)")
            expectMatchesGolden(older.stdout, "spo-arguments.yaml")

            let file = try Command.run(command + [arguments, "-o", "\(dir)/web.yaml"])
            #expect(file.status == 0, "\(file.stderr)")
            #expect(file.stdout == "")
            #expect(try String(contentsOfFile: "\(dir)/web.yaml", encoding: .utf8) == stdout.stdout)
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["web.yaml"], "no temporary left")
        }
    }

    @Test(arguments: [
        (["--format", "spo"], "needs --name"),
        (["--format", "spo", "--name", "Web"], "not a DNS-1123 subdomain"),
        (["--format", "spo", "--name", "web_1"], "not a DNS-1123 subdomain"),
        (["--format", "spo", "--name", "web\nkind: Secret"], "not a DNS-1123 subdomain"),
        (["--format", "spo", "--name", String(repeating: "a", count: 254)], "not a DNS-1123 subdomain"),
        (["--format", "spo", "--name", "web", "--spo-api", "v1beta1", "--namespace", "a.b"], "not a DNS-1123 label"),
        (["--format", "spo", "--name", "web", "--spo-api", "v1beta1", "--namespace", "Apps"], "not a DNS-1123 label"),
        (["--format", "spo", "--name", "web", "--namespace", "apps"], "cluster-scoped"),
        (["--format", "spo", "--name", "web", "--spo-api", "v2"], "v1beta1"),
        (["--format", "oci", "--spo-api", "v1"], "need --format spo"),
        (["--format", "spo", "--name", "web", "--default-errno", "ENOSYS"], "--default-errno EPERM"),
        (["--name", "web"], "need --format spo"),
        (["--format", "oci", "--namespace", "apps"], "need --format spo"),
    ])
    func spoOptionErrorsExit64AndWriteNothing(options: [String], message: String) throws {
        try withDirectory { dir in
            let result = try Command.run(
                [cinch, "generate", "seccomp"] + options + [arguments, "-o", "\(dir)/out.yaml"])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!result.stderr.contains("\nkind: Secret"), "the name is escaped in the message")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.yaml"))
        }
    }

    @Test func anArchitectureTheOperatorLacksIsRefused() throws {
        try withDirectory { dir in
            let result = try Command.run([
                cinch, "generate", "seccomp", "--format", "spo", "--name", "web", "--arch", "x86_64", "--arch",
                "loongarch64", arguments, "-o", "\(dir)/out.yaml",
            ])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("SCMP_ARCH_LOONGARCH64"), "\(result.stderr)")
            #expect(result.stderr.contains("[kubernetes.inexpressible]"), "\(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.yaml"))
        }
    }

    // MARK: - generate security-context

    @Test func securityContextFromTracesMatchesTheLibraryGolden() throws {
        try withDirectory { dir in
            let traces = try writeCapabilityTraces(in: dir)
            let result = try Command.run(
                [
                    cinch, "generate", "security-context", "-q", "--seccomp-profile", "operator/apps/web.json",
                    "--apparmor-profile", "cinch-web",
                ] + traces)
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr == "")
            expectMatchesGolden(result.stdout, "security-context.yaml")

            let plain = try Command.run([cinch, "generate", "security-context", "-q"] + traces.reversed())
            #expect(plain.status == 0, "\(plain.stderr)")
            expectMatchesGolden(plain.stdout, "capabilities-kubernetes.yaml")
        }
    }

    /// A capability list written by `generate capabilities` (or a securityContext written before)
    /// gives the same securityContext as the traces it came from.
    @Test func securityContextFromAListFileMatchesTheTraces() throws {
        try withDirectory { dir in
            let traces = try writeCapabilityTraces(in: dir)
            let profiles = ["--seccomp-profile", "operator/apps/web.json", "--apparmor-profile", "cinch-web"]
            let fromTraces = try Command.run([cinch, "generate", "security-context", "-q"] + profiles + traces)
            let list = try Command.run(
                [cinch, "generate", "capabilities", "-q", "--format", "kubernetes", "-o", "\(dir)/caps.yaml"] + traces)
            #expect(list.status == 0, "\(list.stderr)")
            let fromList = try Command.run(
                [cinch, "generate", "security-context", "--capabilities", "\(dir)/caps.yaml", "-o", "\(dir)/sc.yaml"]
                    + profiles)
            #expect(fromList.status == 0, "\(fromList.stderr)")
            #expect(try String(contentsOfFile: "\(dir)/sc.yaml", encoding: .utf8) == fromTraces.stdout)
            let again = try Command.run(
                [cinch, "generate", "security-context", "--capabilities", "\(dir)/sc.yaml"] + profiles)
            #expect(again.stdout == fromTraces.stdout, "a securityContext reads back as its capability list")
        }
    }

    @Test(arguments: [
        ([String](), "Give trace files or --capabilities"),
        (["--seccomp-profile", "/var/lib/kubelet/seccomp/app.json"], "seccomp profile path"),
        (["--seccomp-profile", "profiles/../../app.json"], "seccomp profile path"),
        (["--seccomp-profile", ""], "seccomp profile path"),
        (["--apparmor-profile", "a b"], "AppArmor profile name"),
        (["--apparmor-profile", "x\nkind: Secret"], "AppArmor profile name"),
    ])
    func securityContextOptionErrorsExit64(options: [String], message: String) throws {
        try withDirectory { dir in
            let traces = message.hasPrefix("Give") ? [] : try writeCapabilityTraces(in: dir)
            let result = try Command.run(
                [cinch, "generate", "security-context"] + options + traces + ["-o", "\(dir)/out.yaml"])
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains(message), "\(result.stderr)")
            #expect(!result.stderr.contains("\nkind: Secret"))
            #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.yaml"))
        }
    }

    @Test func tracesAndAListTogetherAreRefused() throws {
        try withDirectory { dir in
            let traces = try writeCapabilityTraces(in: dir)
            try "CAP_CHOWN\n".write(toFile: "\(dir)/caps.txt", atomically: true, encoding: .utf8)
            let result = try Command.run(
                [cinch, "generate", "security-context", "--capabilities", "\(dir)/caps.txt"] + traces)
            #expect(result.status == 64, "\(result.stderr)")
            #expect(result.stderr.contains("not both"), "\(result.stderr)")
        }
    }

    @Test func unusableListsExit64AndWriteNothing() throws {
        try withDirectory { dir in
            try "CAP_CHOWN CAP_MADE_UP\n".write(toFile: "\(dir)/unknown.txt", atomically: true, encoding: .utf8)
            try "cap_drop:\n  - NET_RAW\n".write(toFile: "\(dir)/partial.yaml", atomically: true, encoding: .utf8)
            for (file, message) in [
                ("unknown.txt", "CAP_MADE_UP"), ("partial.yaml", "drop ALL"), ("missing.txt", "missing.txt"),
            ] {
                let result = try Command.run([
                    cinch, "generate", "security-context", "--capabilities", "\(dir)/\(file)", "-o", "\(dir)/out.yaml",
                ])
                #expect(result.status == 64, "\(file): \(result.stderr)")
                #expect(result.stderr.contains(message), "\(result.stderr)")
                #expect(!FileManager.default.fileExists(atPath: "\(dir)/out.yaml"))
            }
        }
    }

    @Test func unwritableOutputExits73() throws {
        try withDirectory { dir in
            let traces = try writeCapabilityTraces(in: dir)
            let result = try Command.run(
                [cinch, "generate", "security-context", "-q", "-o", "\(dir)/no-such-dir/out.yaml"] + traces)
            #expect(result.status == 73, "\(result.stderr)")
        }
    }
}
