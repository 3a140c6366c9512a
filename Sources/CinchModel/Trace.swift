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
        /// Recordings through the runtime wrapper: the container's ID, as the engine named it.
        public var containerID: String?
        /// Recordings through the runtime wrapper: the `linux.seccomp` object the engine gave the
        /// container, which the recording filter replaced for the run (`null` when it had none).
        public var replacedSeccomp: JSONValue?

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
            containerID = nil
            replacedSeccomp = nil
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

    /// A file access that failed: the access letters tried and the errors the kernel returned.
    ///
    /// A failed access needs no rule: the kernel's lookup and permission checks (`ENOENT`,
    /// `EACCES`, `EEXIST`…) come before the LSM's, so the workload sees the same error under any
    /// profile. Generators count these but allow nothing for them (docs/apparmor.md).
    public struct FailedAccess: Sendable, Equatable {
        /// The access letters the call asked for (as in ``Trace/files``).
        public var access: Set<Character>
        /// The errno names returned (`ENOENT`), sorted when written.
        public var errors: Set<String>

        /// Creates a failed access.
        public init(access: Set<Character>, errors: Set<String>) {
            self.access = access
            self.errors = errors
        }

        /// Both accesses joined.
        public func union(_ other: FailedAccess) -> FailedAccess {
            FailedAccess(access: access.union(other.access), errors: errors.union(other.errors))
        }
    }

    /// An address a socket of the workload was bound or connected to.
    public struct SocketEndpoint: Sendable, Hashable, Comparable {
        /// `bind` or `connect`.
        public var operation: String
        /// `inet`, `inet6` or `unix`.
        public var family: String
        /// The IP address (`0.0.0.0`, `::1`), the unix socket path, or `@name` for an abstract
        /// unix socket (its bytes after the leading NUL).
        public var address: String
        /// The TCP or UDP port, for `inet` and `inet6`.
        public var port: Int?

        /// Creates an endpoint.
        public init(operation: String, family: String, address: String, port: Int? = nil) {
            self.operation = operation
            self.family = family
            self.address = address
            self.port = port
        }

        /// Orders by operation, family, address, port.
        public static func < (lhs: SocketEndpoint, rhs: SocketEndpoint) -> Bool {
            (lhs.operation, lhs.family, lhs.address, lhs.port ?? -1) < (
                rhs.operation, rhs.family, rhs.address, rhs.port ?? -1
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
        /// The distinct values of recorded arguments, by argument index.
        ///
        /// Only syscalls in ``Trace/argumentCaptures`` have them, and only in traces made by a
        /// recorder that captures arguments; empty means "not recorded", never "no values".
        public var arguments: [Int: ArgumentValues]

        /// Creates a record.
        public init(count: UInt64, firstExecutable: String? = nil, arguments: [Int: ArgumentValues] = [:]) {
            self.count = count
            self.firstExecutable = firstExecutable
            self.arguments = arguments
        }

        /// This record's argument values joined with those of another record of the same syscall.
        ///
        /// An index only one side recorded is dropped: the other side saw the syscall with values
        /// nobody kept, so no value set would be safe.
        public func mergedArguments(with other: SyscallRecord) -> [Int: ArgumentValues] {
            var result: [Int: ArgumentValues] = [:]
            for (index, mine) in arguments {
                guard let theirs = other.arguments[index] else { continue }
                result[index] = mine.union(theirs)
            }
            return result
        }
    }

    /// The distinct values one syscall argument had, up to ``limit`` of them.
    ///
    /// Past the limit only the fact that there were more is kept (``isUnbounded``), and a profile
    /// cannot restrict the argument.
    public struct ArgumentValues: Sendable, Equatable {
        /// The most distinct values kept per argument.
        public static let limit = 64

        /// The distinct values, when bounded; empty when ``isUnbounded``.
        public private(set) var values: Set<UInt64>
        /// Whether more than ``limit`` distinct values were seen.
        public private(set) var isUnbounded: Bool

        /// Creates a bounded set of values; more than ``limit`` of them make it unbounded.
        public init(_ values: Set<UInt64> = []) {
            if values.count > Self.limit {
                self.values = []
                self.isUnbounded = true
            } else {
                self.values = values
                self.isUnbounded = false
            }
        }

        /// The value set that stands for "too many distinct values".
        public static let unbounded: ArgumentValues = {
            var values = ArgumentValues()
            values.isUnbounded = true
            return values
        }()

        /// The values in ascending order (empty when unbounded).
        public var sorted: [UInt64] { values.sorted() }

        /// Adds a value; the set becomes unbounded when it would exceed ``limit``.
        ///
        /// Allocates only when the value is new.
        public mutating func insert(_ value: UInt64) {
            guard !isUnbounded, !values.contains(value) else { return }
            if values.count >= Self.limit {
                values = []
                isUnbounded = true
            } else {
                values.insert(value)
            }
        }

        /// The union of two value sets: unbounded when either is, or when the union is too large.
        public func union(_ other: ArgumentValues) -> ArgumentValues {
            if isUnbounded || other.isUnbounded { return .unbounded }
            return ArgumentValues(values.union(other.values))
        }
    }

    /// Which argument of a syscall a recorder keeps, and which bits of it.
    public struct ArgumentCapture: Sendable, Hashable {
        /// The argument index, 0 through 5.
        public var index: Int
        /// The bits kept: a recorded value is `argument & mask`.
        public var mask: UInt64

        /// Creates a capture.
        public init(index: Int, mask: UInt64 = .max) {
            self.index = index
            self.mask = mask
        }
    }

    /// The namespace bits of `clone` flags that Docker's default profile forbids
    /// (`CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET`).
    public static let cloneNamespaceMask: UInt64 = 0x7E02_0000

    /// The syscalls whose arguments recorders keep, with the argument and bits kept.
    ///
    /// - `clone`: the flags (argument 0), masked to ``cloneNamespaceMask``.
    /// - `personality`: the persona (argument 0).
    /// - `socket`: the address family (argument 0).
    ///
    /// A recording filter never allows these without a stop, so their arguments are always seen.
    public static let argumentCaptures: [String: ArgumentCapture] = [
        "clone": ArgumentCapture(index: 0, mask: cloneNamespaceMask),
        "personality": ArgumentCapture(index: 0),
        "socket": ArgumentCapture(index: 0),
    ]

    /// The capture for `name` on `abi`, or nil when its arguments are not kept there.
    ///
    /// s390 and s390x pass `clone` flags in argument 1 (their first two arguments are swapped),
    /// so there the capture is of argument 1.
    public static func argumentCapture(for name: String, on abi: Architecture) -> ArgumentCapture? {
        if name == "clone", abi == .s390 || abi == .s390x { return ArgumentCapture(index: 1, mask: cloneNamespaceMask) }
        return argumentCaptures[name]
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
    /// File accesses that failed, by path (see ``FailedAccess``).
    public var failedFiles: [String: FailedAccess]
    /// Files below the workload's own `/proc/PID/` directory, by path relative to it (`status`,
    /// `fd/`), with access letters: the PID differs from run to run, so generators write them as
    /// `@{PROC}/@{pid}/…`.
    public var processFiles: [String: Set<Character>]
    /// Files below the workload's own `/proc/PID/task/TID/` directory, relative to it (`comm`).
    public var threadFiles: [String: Set<Character>]
    /// Network accesses, for the AppArmor generator.
    public var network: Set<NetworkAccess>
    /// Addresses the workload's sockets were bound or connected to.
    public var sockets: Set<SocketEndpoint>
    /// Capabilities the workload used (`CAP_NET_BIND_SERVICE`), for the capability generator.
    public var capabilities: Set<String>
    /// Why each capability is in ``capabilities``, when the recorder knows (the capability watch
    /// does); see ``CapabilityEvidence``.
    public var capabilityEvidence: [String: CapabilityEvidence] = [:]
    /// What the recording watched besides syscalls. An empty ``capabilities`` means "none used"
    /// only when `.capabilities` is here; otherwise nobody looked, and generators refuse the trace.
    public var observed: Set<Observation>

    /// A kind of observation a recording may make besides syscalls.
    public enum Observation: String, Sendable, Hashable, CaseIterable, Comparable {
        /// Capability checks (`cap_capable` after the exec boundary, or AppArmor `capable` records).
        case capabilities
        /// File accesses (ptrace of the file syscalls, or AppArmor file records).
        case files
        /// Socket families and types, and bound or connected addresses (ptrace of the socket
        /// syscalls, or AppArmor network records, which carry no addresses).
        case network

        /// Alphabetical, as the trace file lists them.
        public static func < (lhs: Observation, rhs: Observation) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// Creates a trace.
    public init(
        source: Source, isComplete: Bool = true, incompleteReasons: [String] = [], exitStatus: ExitStatus? = nil,
        processCount: Int = 0, executables: Set<String> = [], abis: [Architecture: ABIRecord] = [:],
        files: [String: Set<Character>] = [:], failedFiles: [String: FailedAccess] = [:],
        processFiles: [String: Set<Character>] = [:], threadFiles: [String: Set<Character>] = [:],
        network: Set<NetworkAccess> = [], sockets: Set<SocketEndpoint> = [], capabilities: Set<String> = [],
        observed: Set<Observation> = []
    ) {
        self.observed = observed
        self.files = files
        self.failedFiles = failedFiles
        self.processFiles = processFiles
        self.threadFiles = threadFiles
        self.sockets = sockets
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

    /// Adds the names a recording let through without a stop (`--known`) as ``ABIRecord/inherited``,
    /// except those it saw anyway: a profile made from the trace must allow them, since the
    /// workload may have made them unseen.
    public mutating func inherit(_ known: [Architecture: Set<String>]) {
        for (abi, names) in known where !names.isEmpty {
            var record = abis[abi] ?? ABIRecord()
            record.inherited.formUnion(names.subtracting(record.syscalls.keys))
            abis[abi] = record
        }
    }

    /// Marks the trace incomplete with a reason.
    public mutating func markIncomplete(_ reason: String) {
        isComplete = false
        if !incompleteReasons.contains(reason) { incompleteReasons.append(reason) }
    }

    /// All names a profile must allow, per ABI (observed and inherited).
    public var namesByABI: [Architecture: Set<String>] { abis.mapValues(\.allNames) }

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
            result.source.containerID = source.containerID == other.source.containerID ? source.containerID : nil
            result.source.replacedSeccomp = source.replacedSeccomp ?? other.source.replacedSeccomp
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
        result.failedFiles.merge(other.failedFiles) { $0.union($1) }
        result.processFiles.merge(other.processFiles) { $0.union($1) }
        result.threadFiles.merge(other.threadFiles) { $0.union($1) }
        result.network.formUnion(other.network)
        result.sockets.formUnion(other.sockets)
        result.capabilities.formUnion(other.capabilities)
        result.capabilityEvidence.merge(other.capabilityEvidence) { $0.union($1) }
        // A kind is fully observed in the union only when every part observed it.
        result.observed.formIntersection(other.observed)
        for (abi, record) in other.abis {
            var mine = result.abis[abi] ?? ABIRecord()
            for (name, seen) in record.syscalls {
                if var existing = mine.syscalls[name] {
                    existing.count += seen.count
                    existing.firstExecutable = existing.firstExecutable ?? seen.firstExecutable
                    existing.arguments = existing.mergedArguments(with: seen)
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
