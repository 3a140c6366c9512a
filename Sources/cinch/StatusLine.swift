// SPDX-License-Identifier: Apache-2.0
// The live status line `cinch record` shows on a terminal.

import CinchContainer
import CinchRecord
import Dispatch

/// The live status line on a terminal: elapsed time, the container run's phase, processes,
/// distinct syscalls.
///
/// While a driver runs, its output goes to the same terminal: the line is then not redrawn (a
/// `\r` would overwrite what the driver prints); one permanent line says the driver started,
/// and the live line comes back when it ends.
final class StatusLine: @unchecked Sendable {
    // Mutated only on `queue`.
    private let progress: RecordingProgress
    private let queue = DispatchQueue(label: "cinch.status")
    private var timer: (any DispatchSourceTimer)?
    private let startedAt = DispatchTime.now()
    private var phase: String?
    private var paused = false

    init(progress: RecordingProgress) { self.progress = progress }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .milliseconds(250), repeating: .milliseconds(250))
        timer.setEventHandler { [self] in draw() }
        self.timer = timer
        timer.resume()
    }

    /// Shows the container run's phase; the driver's phase pauses the line.
    func show(_ phase: ContainerSession.Phase) {
        queue.async { [self] in
            switch phase {
            case .starting: self.phase = "starting the container"
            case .waitingForPort(let port): self.phase = "waiting for 127.0.0.1:\(port)"
            case .running: self.phase = "container running"
            case .execRunning: self.phase = "running --exec in the container"
            case .driverRunning: self.phase = "driver running"
            case .stopping: self.phase = "stopping the container"
            }
            if phase == .driverRunning {
                Console.raw("\r\u{1B}[Kcinch: \(elapsed())s · driver running; its output follows\n")
                paused = true
            } else {
                paused = false
                draw()
            }
        }
    }

    private func elapsed() -> Double {
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - startedAt.uptimeNanoseconds) / 1e9
        return (elapsed * 10).rounded() / 10
    }

    private func draw() {
        guard timer != nil, !paused else { return }
        let where_ = phase.map { " · \($0)" } ?? ""
        Console.raw(
            "\r\u{1B}[Kcinch: \(elapsed())s\(where_) · \(progress.processes) processes · \(progress.distinctSyscalls) syscalls"
        )
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            timer = nil
        }
        Console.raw("\r\u{1B}[K")
    }
}
