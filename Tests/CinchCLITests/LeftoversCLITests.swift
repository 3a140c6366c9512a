// SPDX-License-Identifier: Apache-2.0
// A cinch killed with SIGKILL cannot clean up; the next container command must.

import CinchTestSupport
import Foundation
import Testing

@Suite(
    .serialized,
    .enabled(
        if: TestEnvironment.available(BusyboxBundle.isAvailable && TestEnvironment.hasProduct("cinch")),
        "needs root, busybox-static, runc, crun and the built cinch"),
    .timeLimit(.minutes(2))
)
struct LeftoversCLITests {
    let cinch = TestEnvironment.product("cinch")

    /// The temporary bundles that name `pid` as their owner.
    func bundles(ownedBy pid: Int32) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "/tmp").filter { $0.hasPrefix("cinch-bundle-") }
            .map { "/tmp/" + $0 }
            .filter { (try? String(contentsOfFile: $0 + "/owner", encoding: .utf8)) == "\(pid)\n" }
    }

    /// Kills the cleanup watchdogs of cinch `pid` (`sh -c … cinch-cleanup RUNTIME cinch-PID-N`),
    /// as a `kill -9` of a whole session or cgroup, or the OOM killer, would.
    func killWatchdogs(of pid: Int32) throws {
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let other = Int32(entry),
                let cmdline = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline")
            else { continue }
            let words = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if words.contains("cinch-cleanup"), words.contains(where: { $0.hasPrefix("cinch-\(pid)-") }) {
                kill(other, SIGKILL)
            }
        }
    }

    /// SIGKILL during `record --bundle` of cinch and its cleanup watchdog (the whole session)
    /// left a stopped container and a temporary bundle that no later run removed; now the next
    /// container command removes them and names them.
    @Test(arguments: ["runc", "crun"])
    func theNextContainerCommandRemovesAKilledCinchsLeftovers(runtime: String) throws {
        let sleeper = try BusyboxBundle(arguments: ["sleep", "1000"], noNewPrivileges: true)
        let batch = try BusyboxBundle(arguments: ["true"], noNewPrivileges: true)
        defer {
            sleeper.remove()
            batch.remove()
        }
        let process = try BackgroundProcess(
            [
                cinch, "record", "-q", "--bundle", sleeper.directory, "--runtime", runtime, "-o",
                sleeper.directory + "/t.json",
            ],
            errorPath: sleeper.directory + "/stderr")
        let pid = process.pid
        let prefix = "\(runtime):cinch-\(pid)-"
        let deadline = Date().addingTimeInterval(20)
        while !RuntimeState.leftoverContainers().contains(where: { $0.hasPrefix(prefix) }), Date() < deadline {
            usleep(50_000)
        }
        try killWatchdogs(of: pid)
        process.send(SIGKILL)
        #expect(process.waitForExit(within: 20) != nil)
        let left = RuntimeState.leftoverContainers().filter { $0.hasPrefix(prefix) }
        try #require(left.count == 1, "the killed cinch left no container to clean up: \(left)")
        let bundle = try #require(try bundles(ownedBy: pid).first)

        let next = try Command.run([
            cinch, "record", "-q", "--bundle", batch.directory, "--runtime", runtime, "-o", batch.directory + "/t.json",
        ])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("removed what an earlier, killed cinch left behind:"), "\(next.stderr)")
        #expect(next.stderr.contains("\(runtime) container cinch-\(pid)-"), "\(next.stderr)")
        #expect(next.stderr.contains("bundle \(bundle)"), "\(next.stderr)")
        #expect(RuntimeState.leftoverContainers().filter { $0.hasPrefix(prefix) } == [])
        #expect(!FileManager.default.fileExists(atPath: bundle))
    }

    /// Another cinch's container is not a leftover while that cinch lives.
    @Test func aLiveCinchsContainerIsLeftAlone() throws {
        let sleeper = try BusyboxBundle(arguments: ["sleep", "1000"], noNewPrivileges: true)
        let batch = try BusyboxBundle(arguments: ["true"], noNewPrivileges: true)
        defer {
            sleeper.remove()
            batch.remove()
        }
        let process = try BackgroundProcess(
            [cinch, "record", "-q", "--bundle", sleeper.directory, "-o", sleeper.directory + "/t.json"],
            errorPath: sleeper.directory + "/stderr")
        let prefix = "runc:cinch-\(process.pid)-"
        let deadline = Date().addingTimeInterval(20)
        while !RuntimeState.leftoverContainers().contains(where: { $0.hasPrefix(prefix) }), Date() < deadline {
            usleep(50_000)
        }
        let next = try Command.run([
            cinch, "record", "-q", "--bundle", batch.directory, "-o", batch.directory + "/t.json",
        ])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(!next.stderr.contains("removed what an earlier"), "\(next.stderr)")
        #expect(RuntimeState.leftoverContainers().contains { $0.hasPrefix(prefix) })
        // Clean up as after a killed session: SIGKILL, then one more container command.
        try killWatchdogs(of: process.pid)
        process.send(SIGKILL)
        #expect(process.waitForExit(within: 20) != nil)
        _ = try Command.run([cinch, "record", "-q", "--bundle", batch.directory, "-o", batch.directory + "/t.json"])
        #expect(RuntimeState.leftoverContainers().filter { $0.hasPrefix(prefix) } == [])
    }

    /// A temporary bundle without an `owner` file (cinch killed right after creating it, or made
    /// by an older cinch) is removed once it is old and unused; a recent one, or one holding a
    /// file cinch never writes, is left alone.
    @Test func anOldOwnerlessTemporaryBundleIsRemoved() throws {
        let manager = FileManager.default
        let old = "/tmp/cinch-bundle-test\(getpid())o"
        let recent = "/tmp/cinch-bundle-test\(getpid())r"
        let foreign = "/tmp/cinch-bundle-test\(getpid())f"
        for directory in [old, recent, foreign] {
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: false)
            try "{}".write(toFile: directory + "/config.json", atomically: false, encoding: .utf8)
        }
        try "x".write(toFile: foreign + "/notes.txt", atomically: false, encoding: .utf8)
        defer { for directory in [old, recent, foreign] { try? manager.removeItem(atPath: directory) } }
        for directory in [old, foreign] {
            _ = try Command.run(["touch", "-d", "2 hours ago", directory])
        }
        let batch = try BusyboxBundle(arguments: ["true"], noNewPrivileges: true)
        defer { batch.remove() }
        let next = try Command.run([
            cinch, "record", "-q", "--bundle", batch.directory, "-o", batch.directory + "/t.json",
        ])
        #expect(next.status == 0, "\(next.stderr)")
        #expect(next.stderr.contains("bundle \(old)"), "\(next.stderr)")
        #expect(!manager.fileExists(atPath: old))
        #expect(manager.fileExists(atPath: recent), "a cinch may be writing its owner file right now")
        #expect(manager.fileExists(atPath: foreign), "not only cinch's files: not cinch's to remove")
    }
}
