// SPDX-License-Identifier: Apache-2.0
// What a new user trips over with containers: runs that never got ready, and `runc spec` defaults.

import CinchLinux
import CinchModel
import CinchTestSupport
import Foundation
import Testing

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(BusyboxBundle.isAvailable && TestEnvironment.hasProduct("cinch")),
        "needs root, busybox-static, runc, crun and the built cinch"),
    .timeLimit(.minutes(4))
)
struct NewUserContainerTests {
    let cinch = TestEnvironment.product("cinch")

    init() {
        // crun refuses this VM's hybrid cgroup layout unless hugetlb is on cgroup v1 (idempotent).
        _ = try? Command.run([
            "sh", "-c",
            "mountpoint -q /sys/fs/cgroup/hugetlb || { mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb; }",
        ])
    }

    /// A container that never listens on `--wait-port`: the driver never runs, so the recording
    /// saw only the container's start. It used to exit 0 with a complete-looking trace; it must
    /// exit 75 with the trace marked incomplete and the reason in it.
    @Test(arguments: ["runc", "crun"])
    func aRecordingWhoseDriverNeverRanFails(runtime: String) throws {
        let bundle = try BusyboxBundle(arguments: ["sleep", "30"], noNewPrivileges: true)
        defer { bundle.remove() }
        let dir = bundle.directory
        let record = try Command.run([
            cinch, "record", "--bundle", dir, "--runtime", runtime, "--driver", "true", "--wait-port", "18131",
            "--timeout", "2", "--grace", "1", "-o", "\(dir)/t.json",
        ])
        #expect(record.status == 75, "\(record.stderr)")
        #expect(record.stderr.contains("did not exercise the workload"), "\(record.stderr)")
        #expect(record.stderr.contains("127.0.0.1:18131"), "\(record.stderr)")
        let trace = try Trace.load(path: "\(dir)/t.json")
        #expect(!trace.isComplete)
        #expect(
            trace.incompleteReasons.contains { $0.contains("driver did not run") && $0.contains("18131") },
            "\(trace.incompleteReasons)")
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// `verify` in the same situation blamed "explicit rules and capabilities"; readiness is what failed.
    @Test func verifyBlamesReadinessWhenTheContainerNeverListens() throws {
        let bundle = try BusyboxBundle(arguments: ["sleep", "30"], noNewPrivileges: true)
        defer { bundle.remove() }
        let profile = "\(bundle.directory)/allow.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}"#.write(
            toFile: profile, atomically: true, encoding: .utf8)
        let verify = try Command.run([
            cinch, "verify", "--bundle", bundle.directory, "--seccomp", profile, "--driver", "true",
            "--wait-port", "18132", "--timeout", "2", "--grace", "1",
        ])
        #expect(verify.status == 75, "\(verify.stdout)\(verify.stderr)")
        #expect(verify.stdout.contains("verify: NOT READY"), "\(verify.stdout)")
        #expect(verify.stdout.contains("127.0.0.1:18132"), "\(verify.stdout)")
        #expect(!verify.stdout.contains("explicit rules"), "\(verify.stdout)")
        #expect(RuntimeState.leftoverContainers() == [])

        let json = try Command.run([
            cinch, "verify", "--format", "json", "--bundle", bundle.directory, "--seccomp", profile, "--driver", "true",
            "--wait-port", "18132", "--timeout", "2", "--grace", "1",
        ])
        #expect(json.status == 75, "\(json.stdout)\(json.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect(document?["result"] as? String == "not-ready", "\(json.stdout)")
        #expect((document?["run"] as? [String: Any])?["exercised"] as? Bool == false, "\(json.stdout)")
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// Puts `runc spec`'s defaults back into a test bundle: a terminal, a network namespace of
    /// its own, no_new_privs and three capabilities.
    func restoreRuncSpecDefaults(in bundle: BusyboxBundle, terminal: Bool) throws {
        let path = bundle.directory + "/config.json"
        var config =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
        var process = config?["process"] as? [String: Any] ?? [:]
        process["terminal"] = terminal
        process["noNewPrivileges"] = true
        let three = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
        process["capabilities"] = ["bounding": three, "effective": three, "permitted": three]
        var linux = config?["linux"] as? [String: Any] ?? [:]
        linux["namespaces"] = (linux["namespaces"] as? [[String: Any]] ?? []) + [["type": "network"]]
        config?["process"] = process
        config?["linux"] = linux
        try JSONSerialization.data(withJSONObject: config ?? [:], options: [.prettyPrinted, .sortedKeys])
            .write(to: URL(fileURLWithPath: path))
    }

    /// `process.terminal: true` made create fail with "its message is above"; it is refused
    /// before anything runs, naming the key and the change.
    @Test(arguments: ["record", "verify"])
    func aTerminalBundleIsRefusedBeforeItRuns(command: String) throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        try restoreRuncSpecDefaults(in: bundle, terminal: true)
        let profile = Fixture.path("seccomp/docker-valid.json")
        let extra = command == "record" ? ["-o", "\(bundle.directory)/t.json"] : ["--seccomp", profile]
        let result = try Command.run([cinch, command, "--bundle", bundle.directory] + extra)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains("config.json ($.process.terminal)"), "\(result.stderr)")
        #expect(result.stderr.contains("set \"terminal\": false"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "\(bundle.directory)/t.json"))
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// The other `runc spec` defaults run, but mislead: each gets a note naming what to change.
    @Test(arguments: ["record", "verify"])
    func runcSpecDefaultsGetNotes(command: String) throws {
        let bundle = try BusyboxBundle(arguments: ["sleep", "30"], noNewPrivileges: false)
        defer { bundle.remove() }
        try restoreRuncSpecDefaults(in: bundle, terminal: false)
        let profile = "\(bundle.directory)/allow.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}"#.write(
            toFile: profile, atomically: true, encoding: .utf8)
        let extra = command == "record" ? ["-o", "\(bundle.directory)/t.json"] : ["--seccomp", profile]
        let result = try Command.run(
            [cinch, command, "--bundle", bundle.directory, "--driver", "true", "--grace", "1", "--timeout", "20"]
                + extra)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for id in ["bundle.network-namespace", "bundle.no-new-privileges", "bundle.bounding-set"] {
            #expect(result.stderr.contains("note: ") && result.stderr.contains("[\(id)]"), "\(id): \(result.stderr)")
        }
        #expect(result.stderr.contains("($.linux.namespaces["), "\(result.stderr)")
        #expect(result.stderr.contains("Docker and podman run containers with it false"), "\(result.stderr)")
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// The "Make a bundle from an image" recipe of docs/containers.md, run as written on an image
    /// imported from a busybox root filesystem, makes a bundle cinch records with no note.
    @Test(.enabled(if: TestEnvironment.available(TestEnvironment.hasTool("podman") && TestEnvironment.hasTool("jq"))))
    func theDocumentedRecipeMakesABundleCinchRecords() throws {
        let source = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { source.remove() }
        let dir = source.directory
        let image = "localhost/cinch-recipe-test:\(ProcessInfo.processInfo.processIdentifier)"
        let tar = try Command.run(["tar", "-C", "\(dir)/rootfs", "-cf", "\(dir)/rootfs.tar", "."])
        #expect(tar.status == 0, "\(tar.stderr)")
        let imported = try Command.run([
            "podman", "import", "-q", "--change", #"CMD ["httpd", "-f", "-p", "127.0.0.1:18141", "-h", "/www"]"#,
            "\(dir)/rootfs.tar", image,
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        defer { _ = try? Command.run(["podman", "rmi", "-f", image]) }

        let markdown = try String(
            contentsOfFile: TestEnvironment.repositoryRoot() + "/docs/containers.md", encoding: .utf8)
        let section = try #require(markdown.range(of: "## Make a bundle from an image"))
        let start = try #require(markdown.range(of: "```sh\n", range: section.upperBound..<markdown.endIndex))
        let end = try #require(markdown.range(of: "\n```", range: start.upperBound..<markdown.endIndex))
        let lines = markdown[start.upperBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("IMAGE=") == true)
        // The first line sets IMAGE and BUNDLE to the reader's own; the test sets them instead.
        try (lines.dropFirst().joined(separator: "\n") + "\n").write(
            toFile: "\(dir)/recipe.sh", atomically: true, encoding: .utf8)
        let bundle = "\(dir)/made"
        let recipe = try Command.run(
            ["bash", "-eo", "pipefail", "\(dir)/recipe.sh"], environment: ["IMAGE": image, "BUNDLE": bundle])
        #expect(recipe.status == 0, "\(recipe.stderr)")

        let record = try Command.run([
            cinch, "record", "--bundle", bundle, "--runtime", "crun", "--driver",
            "wget -q -O - http://127.0.0.1:18141/ | grep -q cinch", "--wait-port", "18141", "--timeout", "40",
            "--grace", "1", "-o", "\(dir)/t.json",
        ])
        #expect(record.status == 0, "\(record.stderr)")
        #expect(!record.stderr.contains("[bundle."), "the recipe leaves nothing to note: \(record.stderr)")
        #expect(try Trace.load(path: "\(dir)/t.json").isComplete)
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// The live status line never said which phase a container run was in, and its `\r` redraws
    /// overwrote what the driver printed. On a terminal (a pty from script(1)) it names each
    /// phase, and the driver's output gets lines of its own.
    @Test(.enabled(if: TestEnvironment.available(TestEnvironment.hasTool("script"))))
    func theStatusLineNamesThePhaseAndLeavesTheDriversOutputAlone() throws {
        let bundle = try BusyboxBundle(
            arguments: ["httpd", "-f", "-p", "127.0.0.1:18142", "-h", "/www"], noNewPrivileges: false)
        defer { bundle.remove() }
        let dir = bundle.directory
        let record = [
            cinch, "record", "--bundle", dir, "--runtime", "crun", "--driver",
            "sleep 1; echo DRIVER-OUTPUT; sleep 1", "--wait-port", "18142", "--grace", "1", "--timeout", "30",
            "-o", "\(dir)/t.json",
        ]
        let quoted = record.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let result = try Command.run(["script", "-qec", quoted, "/dev/null"])
        #expect(result.status == 0, "\(result.stdout)")
        let screen = result.stdout
        for phase in ["starting the container", "waiting for 127.0.0.1:18142", "stopping the container"] {
            #expect(screen.contains(phase), "\(phase): \(screen)")
        }
        #expect(screen.contains("driver running; its output follows\r\n"), "\(screen)")
        let lines = screen.utf8.split(separator: UInt8(ascii: "\n")).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        #expect(lines.contains("DRIVER-OUTPUT"), "the driver's line is whole: \(screen)")
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// `podman exec` (health checks, `kubectl exec`) failed under a generated profile: the
    /// runtime's exec path was never recorded. `--exec CMD` runs CMD through `RUNTIME exec`
    /// under the tracer, so the profile allows it; one recorded without it does not.
    @Test(arguments: [("runc", 18151), ("crun", 18152)])
    func execIntoTheContainerIsRecordedAndProven(runtime: String, port: Int) throws {
        let bundle = try BusyboxBundle(
            arguments: ["httpd", "-f", "-p", "127.0.0.1:\(port)", "-h", "/www"], noNewPrivileges: false)
        defer { bundle.remove() }
        let dir = bundle.directory
        let container = [
            "--bundle", dir, "--runtime", runtime, "--driver", "wget -q -O - http://127.0.0.1:\(port)/",
            "--wait-port", "\(port)", "--grace", "1", "--timeout", "40",
        ]
        let exec = ["--exec", "busybox mkdir /tmp/cinch-exec && busybox rmdir /tmp/cinch-exec"]
        let record = try Command.run(
            [cinch, "record", "-q", "--runs", "2", "-o", "\(dir)/exec.json"] + exec + container)
        #expect(record.status == 0, "\(record.stderr)")
        let names = try Trace.load(path: "\(dir)/exec.json").namesByABI[.x86_64] ?? []
        #expect(names.isSuperset(of: ["mkdir", "rmdir", "bind"]), "\(names.sorted())")
        _ = try Command.run([cinch, "generate", "seccomp", "-q", "\(dir)/exec.json", "-o", "\(dir)/exec.seccomp.json"])
        let proven = try Command.run([cinch, "verify", "--seccomp", "\(dir)/exec.seccomp.json"] + exec + container)
        #expect(proven.status == 0, "\(proven.stdout)\(proven.stderr)")
        #expect(proven.stderr.contains("exited with 0; driver exited with 0"), "\(proven.stderr)")

        // The gap: a profile recorded without --exec denies the exec.
        let plain = try Command.run([cinch, "record", "-q", "--runs", "2", "-o", "\(dir)/plain.json"] + container)
        #expect(plain.status == 0, "\(plain.stderr)")
        _ = try Command.run([
            cinch, "generate", "seccomp", "-q", "\(dir)/plain.json", "-o", "\(dir)/plain.seccomp.json",
        ])
        let denied = try Command.run([cinch, "verify", "--seccomp", "\(dir)/plain.seccomp.json"] + exec + container)
        #expect(denied.status == 1, "\(denied.stdout)\(denied.stderr)")
        #expect(denied.stdout.contains("mkdir"), "\(denied.stdout)")
        #expect(RuntimeState.leftoverContainers() == [])
    }

    /// `verify --caps-file` rejected the compose, Kubernetes, docker-flag and OCI lists that
    /// `generate capabilities` writes.
    @Test func verifyReadsEveryCapabilityFormat() throws {
        let bundle = try BusyboxBundle(arguments: ["true"], noNewPrivileges: false)
        defer { bundle.remove() }
        let dir = bundle.directory
        let profile = "\(dir)/allow.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}"#.write(
            toFile: profile, atomically: true, encoding: .utf8)
        let files = [
            "compose.yaml": "cap_drop:\n  - ALL\ncap_add:\n  - KILL\n",
            "k8s.yaml": "securityContext:\n  capabilities:\n    drop:\n      - ALL\n    add:\n      - KILL\n",
            "flags": "--cap-drop=ALL --cap-add=CAP_KILL\n",
            "oci.json": #"{"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}"#,
        ]
        for (name, text) in files.sorted(by: { $0.key < $1.key }) {
            try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8)
            let verify = try Command.run([
                cinch, "verify", "--bundle", dir, "--seccomp", profile, "--caps-file", "\(dir)/\(name)", "--timeout",
                "30",
            ])
            #expect(verify.status == 0, "\(name): \(verify.stdout)\(verify.stderr)")
        }
        #expect(RuntimeState.leftoverContainers() == [])
    }
}
