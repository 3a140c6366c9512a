// SPDX-License-Identifier: Apache-2.0
// Fault injection: a runtime that fails at create or at start. cinch must say so, exit 70, and
// leave no container, no temporary bundle and no process behind.

import CinchTestSupport
import Foundation
import Testing

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(BusyboxBundle.isAvailable && TestEnvironment.hasProduct("cinch")),
        "needs root, busybox-static, runc, crun and the built cinch"),
    .timeLimit(.minutes(3))
)
struct RuntimeFailureCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// Where a stand-in `runc` fails: `create` fails outright; `start` fails after the real
    /// runc created the container, which cinch must then delete.
    enum Failure: String, CaseIterable, Sendable {
        case create, start
    }

    /// A directory holding a `runc` that runs the real one except for the `failing` subcommand.
    func standInRuntime(failingAt failing: Failure) throws -> String {
        let directory = try Command.temporaryDirectory("stand-in-runc")
        let real = try #require(
            ["/usr/sbin/runc", "/usr/bin/runc", "/sbin/runc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        )
        let script = """
            #!/bin/sh
            for argument in "$@"; do
                if [ "$argument" = \(failing.rawValue) ]; then
                    echo "stand-in runc: \(failing.rawValue) fails on purpose" >&2
                    exit 1
                fi
            done
            exec \(real) "$@"

            """
        try script.write(toFile: directory + "/runc", atomically: true, encoding: .utf8)
        #expect(chmod(directory + "/runc", 0o755) == 0)
        return directory
    }

    func temporaryBundles() -> Set<String> {
        Set(
            ((try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []).filter {
                $0.hasPrefix("cinch-bundle-")
            })
    }

    @Test(arguments: Failure.allCases, ["record", "verify"])
    func aRuntimeThatFailsLeavesNothingBehind(failure: Failure, command: String) throws {
        let bundle = try BusyboxBundle(arguments: ["sleep", "1000"], noNewPrivileges: true)
        let runtime = try standInRuntime(failingAt: failure)
        defer {
            bundle.remove()
            Command.removeDirectory(runtime)
        }
        let profile = bundle.directory + "/allow.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW"}"#.write(toFile: profile, atomically: true, encoding: .utf8)
        let before = temporaryBundles()
        let arguments =
            command == "record"
            ? ["record", "-q", "--bundle", bundle.directory, "-o", bundle.directory + "/t.json"]
            : ["verify", "--bundle", bundle.directory, "--seccomp", profile]
        let path = runtime + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/bin")
        let result = try Command.run(["timeout", "60", cinch] + arguments, environment: ["PATH": path])
        #expect(result.status == 70, "\(command) with runc failing at \(failure): \(result.status) \(result.stderr)")
        #expect(result.stderr.contains("runc \(failure.rawValue) fail"), "\(result.stderr)")
        #expect(RuntimeState.leftoverContainers() == [], "a container was left behind")
        #expect(temporaryBundles().subtracting(before).isEmpty, "a temporary bundle was left behind")
        let sleepers = try Command.run(["pgrep", "-f", "^sleep 1000$"])
        #expect(sleepers.stdout.isEmpty, "the container's process was left behind: \(sleepers.stdout)")
        if command == "record" {
            #expect(!FileManager.default.fileExists(atPath: bundle.directory + "/t.json"))
        }
    }
}
