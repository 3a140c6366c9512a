// SPDX-License-Identifier: Apache-2.0
// Merging the parser of a later segment of a file into the parser of what precedes it.

internal import CinchModel

extension AuditLogParser {
    /// Takes in the parser of the next segment of this input, which started at the line after
    /// this parser's last one, so that the result is what one parser reading both in order would
    /// have.
    ///
    /// Aggregates add up (ids are remapped by value; a syscall's first executable stays the
    /// earlier parser's). What crosses the boundary is stitched:
    /// - serial tracking: each stream's first serials in the segment (its head) are replayed on
    ///   this parser's tracker and on a fresh one, as the segment's parser saw them, until the two
    ///   trackers are in the same state; from there on the segment's parser counted exactly what
    ///   this one would have, so only the replayed difference is added;
    /// - loss messages held before the segment's first record are settled by the window of the
    ///   records around them, as they would have been in one pass;
    /// - line numbers continue (also in the place of the first untrusted line).
    ///
    /// - Returns: false, with nothing changed, when a head ended before the trackers agreed
    ///   and the stream went on (only for contrived logs): the caller then reads the segment
    ///   again with this parser.
    mutating func absorb(_ second: AuditLogParser) -> Bool {
        guard
            let plain = Self.stitch(
                tracker, head: second.head, isComplete: !second.headOverflowed, final: second.tracker)
        else { return false }
        var nodes: [[UInt8]: (tracker: SerialTracker, correction: Int)] = [:]
        for (key, head) in second.nodeHeads {
            guard
                let stitched = Self.stitch(
                    nodeTrackers[key] ?? SerialTracker(), head: head,
                    isComplete: !second.nodeHeadsOverflowed.contains(key),
                    final: second.nodeTrackers[key] ?? SerialTracker())
            else { return false }
            nodes[key] = stitched
        }
        tracker = plain.tracker
        statistics.missingSerials += plain.correction
        for (key, stitched) in nodes {
            nodeTrackers[key] = stitched.tracker
            statistics.missingSerials += stitched.correction
        }

        if let leading = second.leadingLoss {
            pendingLoss = pendingLoss.adding(leading)
            if pendingLoss.isPending { settlePendingLoss(nextRecordInWindow: second.firstRecordInWindow) }
            pendingLoss = second.pendingLoss
            lastRecordInWindow = second.lastRecordInWindow
        } else {
            pendingLoss = pendingLoss.adding(second.pendingLoss)
            if pendingLoss.isPending, lastRecordInWindow { settlePendingLoss(nextRecordInWindow: true) }
        }

        if statistics.firstUntrustedLine == nil, var first = second.statistics.firstUntrustedLine {
            first.line += lineNumber
            statistics.firstUntrustedLine = first
        }
        lineNumber += second.lineNumber
        let other = second.statistics
        for counter in AuditLogStatistics.counters { statistics[keyPath: counter] += other[keyPath: counter] }
        if let lost = other.kernelLostCounter {
            statistics.kernelLostCounter = max(statistics.kernelLostCounter ?? 0, lost)
        }
        statistics.unknownArchitectures.merge(other.unknownArchitectures, uniquingKeysWith: +)

        var executableIDs: [Int32] = []
        for name in second.executables.names {
            let id = executables.id(ofDecoded: name)
            if Int(id) == executableSelected.count { addedExecutable() }
            executableIDs.append(id)
        }
        for (key, seen) in zip(second.counts.keys, second.counts.values) {
            counts.add(key, count: seen.count, executable: executableIDs[Int(seen.executable)])
        }
        for (id, isUsed) in second.executableUsed.enumerated() where isUsed {
            executableUsed[Int(executableIDs[id])] = true
        }
        pidsSeen.formUnion(second.pidsSeen)
        for (id, bits) in second.fileAccess.enumerated() {
            let mine = Int(fileNames.id(ofDecoded: second.fileNames.names[id]))
            if mine == fileAccess.count {
                fileAccess.append(0)
                fileIsPath.append(second.fileIsPath[id])
            }
            fileAccess[mine] |= bits
        }
        execNames.formUnion(second.execNames)
        network.formUnion(second.network)
        capabilities.formUnion(second.capabilities)
        trackedPids.formUnion(second.trackedPids)
        pidMatchedNodes.formUnion(second.pidMatchedNodes)
        executablePids.formUnion(second.executablePids)
        for (pid, keys) in second.runtimeCounts {
            runtimeCounts[pid, default: [:]].merge(keys, uniquingKeysWith: +)
        }
        return true
    }

    /// The tracker after `tracker` sees the segment's stream, and how many
    /// more (or fewer) serials it finds missing than the segment parser's fresh tracker did; nil
    /// when the head ran out before the two agreed and is not the whole stream.
    static func stitch(
        _ tracker: SerialTracker, head: [UInt64], isComplete: Bool, final: SerialTracker
    ) -> (tracker: SerialTracker, correction: Int)? {
        var replayed = tracker
        var fresh = SerialTracker()
        var correction = 0
        for serial in head {
            if replayed == fresh { return (final, correction) }
            correction += replayed.observe(serial) - fresh.observe(serial)
        }
        if replayed == fresh { return (final, correction) }
        return isComplete ? (replayed, correction) : nil
    }
}
