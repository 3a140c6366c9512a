// SPDX-License-Identifier: Apache-2.0
// Why a capability is in a trace: the syscalls behind its granted checks.

extension Trace {
    /// What was behind the granted checks of one capability.
    ///
    /// The syscalls come from each check's kernel stack, which the capability watch reads anyway.
    /// There is no program name: tracefs names a task when its buffer is read, not when the event
    /// happened, so after an `execve` a check made by `setpriv` would be put on the program it ran.
    public struct CapabilityEvidence: Sendable, Hashable {
        /// Syscalls during which the kernel checked it (`fchownat`).
        public var syscalls: Set<String>

        /// Creates evidence.
        public init(syscalls: Set<String> = []) { self.syscalls = syscalls }

        /// Both sets united.
        public func union(_ other: Self) -> Self { Self(syscalls: syscalls.union(other.syscalls)) }

        /// Whether `name` is a syscall name as the kernel spells its entry points: `[a-z0-9_]`.
        public static func isSyscallName(_ name: String) -> Bool {
            !name.isEmpty && name.utf8.count <= 64
                && name.utf8.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
        }
    }

    /// The `capabilityEvidence` member: capability → `{"syscalls": […]}`.
    func capabilityEvidenceJSON() -> JSONValue {
        .makeObject(
            capabilityEvidence.sorted { $0.key < $1.key }.map { name, evidence in
                (
                    name,
                    .makeObject([("syscalls", .makeArray(evidence.syscalls.sorted().map { .string($0) }))])
                )
            })
    }

    /// Reads the `capabilityEvidence` member strictly: known capability names and syscall names
    /// as ``CapabilityEvidence/isSyscallName(_:)`` allows; unknown members are skipped.
    static func readCapabilityEvidence(_ cursor: JSONCursor) throws(InputError) -> [String: CapabilityEvidence] {
        var result: [String: CapabilityEvidence] = [:]
        for (name, member) in try cursor.objectMembers() {
            guard CapabilityList.isKnown(name) else { throw member.error("\"\(name)\" is not a Linux capability") }
            var evidence = CapabilityEvidence()
            for (key, list) in try member.objectMembers() {
                switch key {
                case "syscalls":
                    for element in try list.arrayElements() {
                        let value = try element.string()
                        guard CapabilityEvidence.isSyscallName(value) else {
                            throw element.error("\"\(value)\" is not a syscall name")
                        }
                        evidence.syscalls.insert(value)
                    }
                default: continue
                }
            }
            result[name] = evidence
        }
        return result
    }
}
