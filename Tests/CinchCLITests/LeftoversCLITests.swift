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

    /// SIGKILL during `record --bundle` left a stopped container and a temporary bundle that no
    /// later run removed; now the next container command removes them and names them.
    @Test(arguments: ["runc", "crun"])
    func theNextContainerCommandRemovesAKilledCinchsLeftovers(runtime: String) throws {
        let sleeper = try BusyboxBundle(arguments: ["sleep", "1000"], noNewPrivileges: true)
        let batch = try BusyboxBundle(arguments: ["true"], noNewPrivileges: true)
        defer {
            sleeper.remove()
            batch.remove()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cinch)
        process.arguments = [
            "record", "-q", "--bundle", sleeper.directory, "--runtime", runtime, "-o", sleeper.directory + "/t.json",
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let pid = process.processIdentifier
        let prefix = "\(runtime):cinch-\(pid)-"
        let deadline = Date().addingTimeInterval(20)
        while !RuntimeState.leftoverContainers().contains(where: { $0.hasPrefix(prefix) }), Date() < deadline {
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        process.waitUntilExit()
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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: cinch)
        process.arguments = ["record", "-q", "--bundle", sleeper.directory, "-o", sleeper.directory + "/t.json"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let prefix = "runc:cinch-\(process.processIdentifier)-"
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
        // Clean up as a user would: SIGKILL, then one more container command.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        _ = try Command.run([cinch, "record", "-q", "--bundle", batch.directory, "-o", batch.directory + "/t.json"])
        #expect(RuntimeState.leftoverContainers().filter { $0.hasPrefix(prefix) } == [])
    }
}
