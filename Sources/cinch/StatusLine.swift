// SPDX-License-Identifier: Apache-2.0
// The live status line `cinch record` shows on a terminal.

import CinchRecord
import Dispatch

/// The live status line on a terminal: elapsed time, processes, distinct syscalls.
final class StatusLine: @unchecked Sendable {
    // Mutated only on `queue`.
    private let progress: RecordingProgress
    private let queue = DispatchQueue(label: "cinch.status")
    private var timer: (any DispatchSourceTimer)?
    private let startedAt = DispatchTime.now()

    init(progress: RecordingProgress) { self.progress = progress }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { [self] in
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - startedAt.uptimeNanoseconds) / 1e9
            let seconds = (elapsed * 10).rounded() / 10
            Console.raw(
                "\r\u{1B}[Kcinch: \(seconds)s · \(progress.processes) processes · \(progress.distinctSyscalls) syscalls"
            )
        }
        self.timer = timer
        timer.resume()
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
        Console.raw("\r\u{1B}[K")
    }
}
