// SPDX-License-Identifier: Apache-2.0
// Fault injection: a runtime that fails at create or at start, or is signalled while it creates
// or starts. cinch must say so, exit 70 (or 128 + the signal), and leave no container, no
// temporary bundle and no process behind.

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
    .timeLimit(.minutes(3))
)
struct RuntimeFailureCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// Where a stand-in `runc` fails: `create` fails outright; `start` fails after the real
    /// runc created the container, which cinch must then delete.
    enum Failure: String, CaseIterable, Sendable {
        case create, start
    }

    /// A directory holding a `runc` that runs `action` (shell lines) at the `phase` subcommand, and
    /// otherwise (or after `action`, unless it exits) the real runc.
    func standInRuntime(at phase: Failure, _ action: String) throws -> String {
        let directory = try Command.temporaryDirectory("stand-in-runc")
        let real = try #require(
            ["/usr/sbin/runc", "/usr/bin/runc", "/sbin/runc"].first { FileManager.default.isExecutableFile(atPath: $0) }
        )
        let script = """
            #!/bin/sh
            for argument in "$@"; do
                if [ "$argument" = \(phase.rawValue) ]; then
            \(action)
                    break
                fi
            done
            exec \(real) "$@"

            """
        try script.write(toFile: directory + "/runc", atomically: true, encoding: .utf8)
        #expect(chmod(directory + "/runc", 0o755) == 0)
        return directory
    }

    /// A `runc` that fails at the `failing` subcommand.
    func standInRuntime(failingAt failing: Failure) throws -> String {
        try standInRuntime(
            at: failing,
            """
                    echo "stand-in runc: \(failing.rawValue) fails on purpose" >&2
                    exit 1
            """)
    }

    /// A `runc` that, at the `phase` subcommand, leaves `marker` and takes two seconds before it
    /// runs the real one: a signal sent to cinch after the marker appears arrives while the runtime
    /// creates or starts the container.
    func slowRuntime(at phase: Failure, marker: String) throws -> String {
        try standInRuntime(
            at: phase,
            """
                    : > \(marker)
                    sleep 2
            """)
    }

    /// `record` or `verify` (under a profile that allows everything) of `bundle`, and a `PATH` that
    /// finds the stand-in `runc` in `runtime` first.
    func commandLine(_ command: String, bundle: BusyboxBundle, runtime: String) throws -> ([String], String) {
        let profile = bundle.directory + "/allow.json"
        try #"{"defaultAction": "SCMP_ACT_ALLOW"}"#.write(toFile: profile, atomically: true, encoding: .utf8)
        let arguments =
            command == "record"
            ? ["record", "-q", "--bundle", bundle.directory, "-o", bundle.directory + "/t.json"]
            : ["verify", "--bundle", bundle.directory, "--seccomp", profile]
        return (arguments, runtime + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/bin"))
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
        let before = temporaryBundles()
        let (arguments, path) = try commandLine(command, bundle: bundle, runtime: runtime)
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

    /// SIGINT while the runtime is still in `create` or `start` (the phases before the container
    /// runs): the run ends with 130 once the runtime returns, the container is deleted, and a
    /// recording is written marked incomplete.
    @Test(arguments: Failure.allCases, ["record", "verify"])
    func aSignalWhileTheRuntimeCreatesOrStartsLeavesNothingBehind(phase: Failure, command: String) throws {
        let marker = "\(Int.random(in: 100_000...999_999))"
        let bundle = try BusyboxBundle(arguments: ["sleep", marker], noNewPrivileges: true)
        let runtime = try slowRuntime(at: phase, marker: bundle.directory + "/in-runtime")
        defer {
            bundle.remove()
            Command.removeDirectory(runtime)
        }
        let before = temporaryBundles()
        let (arguments, path) = try commandLine(command, bundle: bundle, runtime: runtime)
        let run = try BackgroundProcess(
            ["/usr/bin/env", "PATH=\(path)", cinch] + arguments, errorPath: bundle.directory + "/stderr")
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: bundle.directory + "/in-runtime"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        try #require(FileManager.default.fileExists(atPath: bundle.directory + "/in-runtime"), "\(run.standardError)")
        run.send(SIGINT)
        let status = run.waitForExit(within: 30)
        #expect(
            status == 130, "\(command) interrupted during \(phase): \(String(describing: status)) \(run.standardError)")
        // The slow runtime's own `sleep 2` may still be ending; the container's must be gone.
        #expect(RuntimeState.leftoverContainers() == [], "a container was left behind")
        #expect(temporaryBundles().subtracting(before).isEmpty, "a temporary bundle was left behind")
        let sleepers = try Command.run(["pgrep", "-f", "^sleep \(marker)$"])
        #expect(sleepers.stdout.isEmpty, "the container's process was left behind: \(sleepers.stdout)")
        if command == "record" {
            let trace = try Trace.load(path: bundle.directory + "/t.json")
            #expect(!trace.isComplete, "an interrupted recording says so")
        }
    }
}
