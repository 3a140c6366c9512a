// SPDX-License-Identifier: Apache-2.0
// What makes a container recording incomplete, said the same way for a bundle and an engine.

internal import CinchLinux
public import CinchModel

extension Trace {
    /// Marks the trace incomplete when its container run did not do all it was asked to: the
    /// driver never ran (`driverSkippedReason`, unless a signal explains it), the timeout stopped
    /// the container, or a signal interrupted the recording.
    public mutating func markUnfinishedContainerRun(driverSkippedReason: String?, timedOut: Bool, interruption: CInt?) {
        if let reason = driverSkippedReason, interruption == nil {
            markIncomplete(
                "The driver did not run: \(reason); the recording holds the container's start, not the work the driver exercises."
            )
        } else if timedOut {
            markIncomplete("The container was stopped at the timeout before it finished.")
        }
        if let signal = interruption {
            markIncomplete(
                "Recording was interrupted by \(Signals.name(signal)); cinch stopped the container before it finished.")
        }
    }
}
