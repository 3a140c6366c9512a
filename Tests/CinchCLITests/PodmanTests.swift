// SPDX-License-Identifier: Apache-2.0
// Docker-format compatibility proven with a real engine: podman reads Docker seccomp profiles.

import CinchTestSupport
import Foundation
import Testing

/// podman (and Docker) run containers with no_new_privs off by default, so the profile comes from
/// a recording with `noNewPrivileges: false`, with the runtime podman uses here (crun).
@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(
            BusyboxBundle.isAvailable && TestEnvironment.hasTool("podman") && TestEnvironment.hasProduct("cinch")),
        "needs root, podman, busybox-static, crun and the built cinch"),
    .timeLimit(.minutes(4))
)
struct PodmanTests {
    let cinch = TestEnvironment.product("cinch")
    let image = "localhost/cinch-test-busybox:latest"
    let podmanRun = [
        "podman", "run", "--rm", "--network", "host", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096",
    ]

    @Test func podmanRunsTheWorkloadUnderTheGeneratedDockerProfile() throws {
        let command = ["sh", "-c", "ls / >/dev/null && echo hello from podman"]
        let bundle = try BusyboxBundle(arguments: command, noNewPrivileges: false)
        defer { bundle.remove() }
        let dir = bundle.directory
        let record = try Command.run([
            cinch, "record", "-q", "--bundle", dir, "--runtime", "crun", "--runs", "2", "-o", "\(dir)/t.json",
        ])
        #expect(record.status == 0, "\(record.stderr)")
        let generate = try Command.run([cinch, "generate", "seccomp", "\(dir)/t.json", "-o", "\(dir)/p.json"])
        #expect(generate.status == 0, "\(generate.stderr)")
        #expect(!generate.stderr.contains("noNewPrivileges"), "no warning for a recording made like podman runs")

        let tar = try Command.run(["tar", "-C", "\(dir)/rootfs", "-cf", "\(dir)/rootfs.tar", "."])
        #expect(tar.status == 0)
        let imported = try Command.run(["podman", "import", "-q", "\(dir)/rootfs.tar", image])
        #expect(imported.status == 0, "\(imported.stderr)")
        defer { _ = try? Command.run(["podman", "rmi", "-f", image]) }

        let run = try Command.run(podmanRun + ["--security-opt", "seccomp=\(dir)/p.json", image] + command)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "hello from podman\n")

        // The same profile without a syscall the workload needs makes podman's run fail.
        #expect(try ProfileEditing.removeSyscall("write", from: "\(dir)/p.json", writingTo: "\(dir)/p-no-write.json"))
        let denied = try Command.run(podmanRun + ["--security-opt", "seccomp=\(dir)/p-no-write.json", image] + command)
        #expect(denied.status != 0)
        #expect(denied.stdout == "")
    }
}
