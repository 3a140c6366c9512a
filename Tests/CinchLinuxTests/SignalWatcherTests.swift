// SPDX-License-Identifier: Apache-2.0
// Signals reach Swift on the watcher's thread, whichever thread the kernel delivers them to.

import CinchLinux
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite struct SignalWatcherTests {
    /// Each signal is reported once, in order, and cinch survives it. Run in a child process:
    /// the handler, once installed, stays for the life of the process.
    @Test func reportsEachSignalAndTheProcessSurvives() async {
        await #expect(processExitsWith: .success) {
            let seen = SeenSignals()
            let watcher = try SignalWatcher { seen.append($0) }
            // One at a time: signals pending together are delivered lowest number first, so
            // back-to-back kills may legitimately arrive as SIGHUP, SIGINT, SIGTERM.
            for (index, signal) in [SIGTERM, SIGINT, SIGHUP].enumerated() {
                kill(getpid(), signal)
                let deadline = Date().addingTimeInterval(5)
                while seen.signals.count <= index, Date() < deadline { usleep(1_000) }
            }
            watcher.stop()
            exit(seen.signals == [SIGTERM, SIGINT, SIGHUP] && Signals.caught == SIGTERM ? 0 : 1)
        }
    }

    /// A signal that arrives while no watcher runs is reported by the next one.
    @Test func aSignalBetweenWatchersGoesToTheNextOne() async {
        await #expect(processExitsWith: .success) {
            let first = try SignalWatcher { _ in }
            first.stop()
            kill(getpid(), SIGINT)
            let seen = SeenSignals()
            let second = try SignalWatcher { seen.append($0) }
            let deadline = Date().addingTimeInterval(5)
            while seen.signals.isEmpty, Date() < deadline { usleep(10_000) }
            second.stop()
            exit(seen.signals == [SIGINT] ? 0 : 1)
        }
    }
}

/// Signals a watcher reported, collected across threads.
final class SeenSignals: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [Int32] = []
    func append(_ signal: Int32) { lock.withLock { list.append(signal) } }
    var signals: [Int32] { lock.withLock { list } }
}
