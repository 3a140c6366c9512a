// SPDX-License-Identifier: Apache-2.0
// What one or more recordings observed: syscalls per ABI, executables, exit status, completeness.

/// A recording of a workload: the syscalls it made per ABI, and how the recording went.
///
/// Traces merge by union (``merged(with:)``), so every command that reads traces reads several.
/// The JSON form is documented in `docs/trace-format.md`.
public struct Trace: Sendable, Equatable {
    /// The format version this build writes and reads.
    public static let formatVersion = 1

    /// How a trace was made.
    public struct Source: Sendable, Equatable {
        /// `ptrace` (cinch was the tracer), `audit` (kernel audit records) or `merge`.
        public var kind: String
        /// The command line that was run, when cinch ran it.
        public var command: [String]
        /// The `--known` traces whose syscalls were allowed without a stop, as given.
        public var knownTraces: [String]
        /// Container recordings: the OCI bundle directory, as given.
        public var bundle: String?
        /// Container recordings: the runtime (`runc`, `crun`).
        public var runtime: String?
        /// Container recordings: the runtime's version line.
        public var runtimeVersion: String?
        /// Container recordings: the bundle's `process.noNewPrivileges`.
        public var noNewPrivileges: Bool?
        /// Audit recordings: the log files read, as given.
        public var logs: [String]

        /// Creates a source.
        public init(
            kind: String, command: [String] = [], knownTraces: [String] = [], bundle: String? = nil,
            runtime: String? = nil, runtimeVersion: String? = nil, noNewPrivileges: Bool? = nil, logs: [String] = []
        ) {
            self.kind = kind
            self.command = command
            self.knownTraces = knownTraces
            self.bundle = bundle
            self.runtime = runtime
            self.runtimeVersion = runtimeVersion
            self.noNewPrivileges = noNewPrivileges
            self.logs = logs
        }
    }

    /// A network access: socket family and type (as AppArmor names them), and protocol number.
    public struct NetworkAccess: Sendable, Hashable, Comparable {
        /// `inet`, `inet6`, `unix`, `netlink`, `packet`, …
        public var family: String
        /// `stream`, `dgram`, `raw`, `seqpacket`, … or empty when unknown.
        public var socketType: String
        /// The protocol number, or nil when unknown.
        public var protocolNumber: Int?

        /// Creates an access.
        public init(family: String, socketType: String = "", protocolNumber: Int? = nil) {
            self.family = family
            self.socketType = socketType
            self.protocolNumber = protocolNumber
        }

        /// Orders by family, type, protocol.
        public static func < (lhs: NetworkAccess, rhs: NetworkAccess) -> Bool {
            (lhs.family, lhs.socketType, lhs.protocolNumber ?? -1) < (
                rhs.family, rhs.socketType, rhs.protocolNumber ?? -1
            )
        }
    }

    /// How the workload ended.
    public enum ExitStatus: Sendable, Equatable {
        /// It exited with this code.
        case exited(Int32)
        /// A signal killed it.
        case signaled(Int32)

        /// The shell convention: the code, or 128 + the signal number.
        public var shellStatus: Int32 {
            switch self {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
        }
    }

    /// What was seen of one syscall.
    public struct SyscallRecord: Sendable, Equatable {
        /// How many times the tracer saw it. Syscalls a filter allowed without a stop are not counted.
        public var count: UInt64
        /// The executable of the process that made it first (`/proc/PID/exe`), if known.
        public var firstExecutable: String?

        /// Creates a record.
        public init(count: UInt64, firstExecutable: String? = nil) {
            self.count = count
            self.firstExecutable = firstExecutable
        }
    }

    /// Everything seen under one ABI.
    public struct ABIRecord: Sendable, Equatable {
        /// Observed syscalls by name.
        public var syscalls: [String: SyscallRecord]
        /// Names taken over from `--known` traces: allowed without a stop, so not observed here.
        public var inherited: Set<String>
        /// Syscall numbers libseccomp could not name, with their counts.
        public var unknownNumbers: [UInt64: UInt64]

        /// Creates a record.
        public init(
            syscalls: [String: SyscallRecord] = [:], inherited: Set<String> = [], unknownNumbers: [UInt64: UInt64] = [:]
        ) {
            self.syscalls = syscalls
            self.inherited = inherited
            self.unknownNumbers = unknownNumbers
        }

        /// Observed and inherited names together: what a profile must allow for this ABI.
        public var allNames: Set<String> { Set(syscalls.keys).union(inherited) }

        /// Adds one observation of `name`.
        public mutating func record(_ name: String, executable: String?) {
            if var existing = syscalls[name] {
                existing.count += 1
                if existing.firstExecutable == nil { existing.firstExecutable = executable }
                syscalls[name] = existing
            } else {
                syscalls[name] = SyscallRecord(count: 1, firstExecutable: executable)
            }
        }
    }

    /// How the trace was made.
    public var source: Source
    /// False when the recording may have missed something (interrupted, lost records).
    public var isComplete: Bool
    /// Why the trace is incomplete, one sentence each.
    public var incompleteReasons: [String]
    /// How the workload ended, if it did.
    public var exitStatus: ExitStatus?
    /// How many processes and threads were traced.
    public var processCount: Int
    /// Executables the workload ran (after each successful `execve`), sorted.
    public var executables: Set<String>
    /// What was seen, per ABI.
    public var abis: [Architecture: ABIRecord]
    /// Files the workload accessed: path → AppArmor-style access letters (`r`, `w`, `a`, `c`, `d`,
    /// `x`, `m`, `k`, `l`), for the AppArmor generator.
    public var files: [String: Set<Character>]
    /// Network accesses, for the AppArmor generator.
    public var network: Set<NetworkAccess>
    /// Capabilities the workload used (`CAP_NET_BIND_SERVICE`), for the capability generator.
    public var capabilities: Set<String>

    /// Creates a trace.
    public init(
        source: Source, isComplete: Bool = true, incompleteReasons: [String] = [], exitStatus: ExitStatus? = nil,
        processCount: Int = 0, executables: Set<String> = [], abis: [Architecture: ABIRecord] = [:],
        files: [String: Set<Character>] = [:], network: Set<NetworkAccess> = [], capabilities: Set<String> = []
    ) {
        self.files = files
        self.network = network
        self.capabilities = capabilities
        self.source = source
        self.isComplete = isComplete
        self.incompleteReasons = incompleteReasons
        self.exitStatus = exitStatus
        self.processCount = processCount
        self.executables = executables
        self.abis = abis
    }

    /// Marks the trace incomplete with a reason.
    public mutating func markIncomplete(_ reason: String) {
        isComplete = false
        if !incompleteReasons.contains(reason) { incompleteReasons.append(reason) }
    }

    /// All names a profile must allow, per ABI (observed and inherited).
    public var namesByABI: [Architecture: Set<String>] { abis.mapValues(\.allNames) }

    /// The number of distinct (ABI, syscall) pairs observed.
    public var distinctSyscallCount: Int { abis.values.reduce(0) { $0 + $1.syscalls.count } }

    /// The union of this trace and `other`: counts add, the first executable of `self` wins.
    public func merged(with other: Trace) -> Trace {
        var result = self
        if source != other.source {
            result.source = Source(
                kind: "merge",
                command: source.command.isEmpty ? other.source.command : source.command,
                knownTraces: Array(Set(source.knownTraces + other.source.knownTraces)).sorted(),
                bundle: source.bundle ?? other.source.bundle,
                runtime: source.runtime == other.source.runtime ? source.runtime : nil,
                runtimeVersion: source.runtimeVersion == other.source.runtimeVersion ? source.runtimeVersion : nil,
                noNewPrivileges: source.noNewPrivileges == other.source.noNewPrivileges ? source.noNewPrivileges : nil,
                logs: Array(Set(source.logs + other.source.logs)).sorted()
            )
        }
        result.isComplete = isComplete && other.isComplete
        for reason in other.incompleteReasons where !result.incompleteReasons.contains(reason) {
            result.incompleteReasons.append(reason)
        }
        if result.exitStatus == nil || result.exitStatus == .exited(0) {
            result.exitStatus = other.exitStatus ?? result.exitStatus
        }
        result.processCount += other.processCount
        result.executables.formUnion(other.executables)
        result.files.merge(other.files) { $0.union($1) }
        result.network.formUnion(other.network)
        result.capabilities.formUnion(other.capabilities)
        for (abi, record) in other.abis {
            var mine = result.abis[abi] ?? ABIRecord()
            for (name, seen) in record.syscalls {
                if var existing = mine.syscalls[name] {
                    existing.count += seen.count
                    existing.firstExecutable = existing.firstExecutable ?? seen.firstExecutable
                    mine.syscalls[name] = existing
                } else {
                    mine.syscalls[name] = seen
                }
            }
            mine.inherited.formUnion(record.inherited)
            mine.inherited.subtract(mine.syscalls.keys)
            mine.unknownNumbers.merge(record.unknownNumbers, uniquingKeysWith: +)
            result.abis[abi] = mine
        }
        return result
    }
}
