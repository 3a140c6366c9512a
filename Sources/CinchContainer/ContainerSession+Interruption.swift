// SPDX-License-Identifier: Apache-2.0
// Signals sent to cinch while it runs a container, as the session's controller sees them.

internal import CinchLinux
internal import Synchronization

extension ContainerSession {
    /// The signals cinch got during one run, noted by the ``SignalWatcher`` thread and read by
    /// the controller thread, which stops the container through the runtime.
    ///
    /// The first signal asks for the usual stop (SIGTERM, the grace period, SIGKILL); the second
    /// makes it urgent (SIGKILL at once).
    final class Interruption: Sendable {
        private let first = Atomic<CInt>(0)
        private let count = Atomic<Int>(0)

        /// Notes one signal.
        func note(_ signal: CInt) {
            _ = first.compareExchange(expected: 0, desired: signal, ordering: .acquiringAndReleasing)
            count.add(1, ordering: .acquiringAndReleasing)
        }

        /// The first signal, or nil when there was none.
        var signal: CInt? {
            let signal = first.load(ordering: .acquiring)
            return signal == 0 ? nil : signal
        }

        /// Whether a signal asked cinch to stop.
        var isRequested: Bool { count.load(ordering: .acquiring) > 0 }

        /// Whether a second signal asked cinch to stop at once.
        var isUrgent: Bool { count.load(ordering: .acquiring) > 1 }
    }
}
