// SPDX-License-Identifier: Apache-2.0
// A trace carried to other ABIs: every recorded name mapped to what the target ABI uses for it.

extension Trace {
    /// This trace as if it had been recorded on each of `targets`.
    ///
    /// An ABI the trace recorded keeps its own record; every other recorded ABI's names are
    /// carried over with ``SyscallTranslation/equivalents(of:on:isPresent:)``. Argument values
    /// move with a name to where the target passes that argument (`clone` flags are argument 1
    /// on s390 and s390x), and `fork`/`vfork` become a `clone` without namespace flags. Names
    /// libseccomp cannot number on the source (``ABIRecord/unknownNumbers``) stay with the source.
    ///
    /// - Parameters:
    ///   - targets: the ABIs of the profile to build.
    ///   - isPresent: whether a name exists on an ABI (libseccomp's tables).
    /// - Returns: the trace with exactly `targets` as its ABIs, and every step taken, sorted.
    public func translated(
        to targets: [Architecture], isPresent: SyscallPresence
    ) -> (trace: Trace, steps: [SyscallTranslation.Step]) {
        var result = self
        var steps: [SyscallTranslation.Step] = []
        result.abis = [:]
        for target in targets {
            var record = abis[target] ?? ABIRecord()
            var carried: [String: SyscallRecord] = [:]
            var inherited = Set<String>()
            for (source, sourceRecord) in abis.sorted(by: { $0.key < $1.key }) where source != target {
                for name in sourceRecord.allNames.sorted() {
                    let equivalents = SyscallTranslation.equivalents(of: name, on: target, isPresent: isPresent)
                    steps.append(
                        SyscallTranslation.Step(source: source, target: target, name: name, equivalents: equivalents))
                    for equivalent in equivalents {
                        guard let seen = sourceRecord.syscalls[name] else {
                            inherited.insert(equivalent)
                            continue
                        }
                        let moved = Self.carry(seen, named: name, from: source, as: equivalent, to: target)
                        if let existing = carried[equivalent] {
                            carried[equivalent] = SyscallRecord(
                                count: existing.count + moved.count,
                                firstExecutable: existing.firstExecutable ?? moved.firstExecutable,
                                arguments: existing.mergedArguments(with: moved))
                        } else {
                            carried[equivalent] = moved
                        }
                    }
                }
            }
            // Merging as traces do keeps only argument values every contributor recorded.
            var merged = Trace(source: source, abis: [target: record])
            merged = merged.merged(with: Trace(source: source, abis: [target: ABIRecord(syscalls: carried)]))
            record = merged.abis[target] ?? record
            record.inherited.formUnion(inherited.subtracting(record.syscalls.keys))
            result.abis[target] = record
        }
        return (result, steps.sorted())
    }

    /// `seen` (a record of `name` on `source`) as a record of `equivalent` on `target`.
    private static func carry(
        _ seen: SyscallRecord, named name: String, from source: Architecture, as equivalent: String,
        to target: Architecture
    ) -> SyscallRecord {
        var moved = SyscallRecord(count: seen.count, firstExecutable: seen.firstExecutable)
        guard let targetCapture = argumentCapture(for: equivalent, on: target) else { return moved }
        if name == equivalent, let sourceCapture = argumentCapture(for: name, on: source),
            sourceCapture.mask == targetCapture.mask, let values = seen.arguments[sourceCapture.index]
        {
            moved.arguments = [targetCapture.index: values]
        } else if equivalent == "clone", name == "fork" || name == "vfork" {
            // fork is clone(SIGCHLD), vfork clone(CLONE_VM|CLONE_VFORK|SIGCHLD): no namespace flag.
            moved.arguments = [targetCapture.index: ArgumentValues([0])]
        }
        return moved
    }
}
