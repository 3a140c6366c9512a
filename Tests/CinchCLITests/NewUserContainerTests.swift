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
    }
}
