// SPDX-License-Identifier: Apache-2.0
// The seccomp profile model shared by the Docker and OCI runtime-spec JSON formats.

/// A seccomp profile in Docker or OCI runtime-spec form.
///
/// Both formats share `defaultAction`, `defaultErrnoRet`, `flags`, `listenerPath`,
/// `listenerMetadata` and `syscalls`. Docker adds `archMap` and per-rule `includes`/`excludes`
/// and `comment`; OCI has `architectures`. A profile read from a file remembers which it was.
public struct SeccompProfile: Sendable, Equatable {
    /// Which JSON dialect a profile uses.
    public enum Format: String, Sendable, CaseIterable {
        /// Docker/moby `seccomp.json` (`archMap`, `includes`/`excludes`).
        case docker
        /// OCI runtime-spec `linux.seccomp` (`architectures`).
        case oci
    }

    /// A seccomp action, spelled as in the JSON formats.
    public enum Action: String, Sendable, CaseIterable, Comparable {
        /// Kill the thread (the historical name).
        case kill = "SCMP_ACT_KILL"
        /// Kill the whole process.
        case killProcess = "SCMP_ACT_KILL_PROCESS"
        /// Kill the thread.
        case killThread = "SCMP_ACT_KILL_THREAD"
        /// Send SIGSYS.
        case trap = "SCMP_ACT_TRAP"
        /// Fail the syscall with an errno.
        case errno = "SCMP_ACT_ERRNO"
        /// Notify a ptrace tracer.
        case trace = "SCMP_ACT_TRACE"
        /// Allow the syscall.
        case allow = "SCMP_ACT_ALLOW"
        /// Allow and log the syscall.
        case log = "SCMP_ACT_LOG"
        /// Hand the syscall to a user-space supervisor.
        case notify = "SCMP_ACT_NOTIFY"

        /// Orders actions by their JSON spelling.
        public static func < (lhs: Action, rhs: Action) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// A comparison operator of an argument condition.
    public enum Operator: String, Sendable, CaseIterable {
        /// Not equal.
        case notEqual = "SCMP_CMP_NE"
        /// Less than.
        case lessThan = "SCMP_CMP_LT"
        /// Less than or equal.
        case lessOrEqual = "SCMP_CMP_LE"
        /// Equal.
        case equal = "SCMP_CMP_EQ"
        /// Greater than or equal.
        case greaterOrEqual = "SCMP_CMP_GE"
        /// Greater than.
        case greaterThan = "SCMP_CMP_GT"
        /// `(arg & value) == valueTwo`.
        case maskedEqual = "SCMP_CMP_MASKED_EQ"
    }

    /// One condition on a syscall argument. Conditions in one rule are AND-ed.
    public struct ArgumentCondition: Sendable, Hashable {
        /// Argument index, 0 through 5.
        public var index: UInt32
        /// The value compared against (the mask for `SCMP_CMP_MASKED_EQ`).
        public var value: UInt64
        /// The second value (the expected masked value for `SCMP_CMP_MASKED_EQ`).
        public var valueTwo: UInt64
        /// The comparison.
        public var op: Operator

        /// Creates a condition.
        public init(index: UInt32, value: UInt64, valueTwo: UInt64 = 0, op: Operator) {
            self.index = index
            self.value = value
            self.valueTwo = valueTwo
            self.op = op
        }
    }

    /// Docker's `includes`/`excludes` filter: a rule applies depending on capabilities, host
    /// architecture and kernel version.
    public struct ConditionFilter: Sendable, Equatable {
        /// Capability names (`CAP_SYS_ADMIN`).
        public var caps: [String]
        /// Go-style architecture names (`amd64`, `arm64`).
        public var arches: [String]
        /// Minimum kernel version (`"4.8"`), or nil.
        public var minKernel: String?

        /// Creates a filter.
        public init(caps: [String] = [], arches: [String] = [], minKernel: String? = nil) {
            self.caps = caps
            self.arches = arches
            self.minKernel = minKernel
        }

        /// Whether the filter has no conditions.
        public var isEmpty: Bool { caps.isEmpty && arches.isEmpty && minKernel == nil }
    }

    /// One rule: names, action, optional errno and argument conditions.
    public struct Rule: Sendable, Equatable {
        /// Syscall names the rule applies to.
        public var names: [String]
        /// What happens when it matches.
        public var action: Action
        /// The errno for `SCMP_ACT_ERRNO` (and the trace message for `SCMP_ACT_TRACE`).
        public var errnoRet: UInt32?
        /// Argument conditions, all of which must hold.
        public var args: [ArgumentCondition]
        /// Docker only: a comment.
        public var comment: String?
        /// Docker only: the rule applies only when this filter matches.
        public var includes: ConditionFilter?
        /// Docker only: the rule does not apply when this filter matches.
        public var excludes: ConditionFilter?

        /// Creates a rule.
        public init(
            names: [String], action: Action, errnoRet: UInt32? = nil, args: [ArgumentCondition] = [],
            comment: String? = nil, includes: ConditionFilter? = nil, excludes: ConditionFilter? = nil
        ) {
            self.names = names
            self.action = action
            self.errnoRet = errnoRet
            self.args = args
            self.comment = comment
            self.includes = includes
            self.excludes = excludes
        }
    }

    /// One `archMap` entry: a native architecture and the ABIs its kernel also runs.
    public struct ArchMapEntry: Sendable, Equatable {
        /// The native architecture.
        public var architecture: Architecture
        /// Compat ABIs included with it.
        public var subArchitectures: [Architecture]

        /// Creates an entry.
        public init(architecture: Architecture, subArchitectures: [Architecture]) {
            self.architecture = architecture
            self.subArchitectures = subArchitectures
        }
    }

    /// The dialect.
    public var format: Format
    /// The action for syscalls no rule matches.
    public var defaultAction: Action
    /// The errno for a `SCMP_ACT_ERRNO` default action (EPERM when absent).
    public var defaultErrnoRet: UInt32?
    /// OCI: the ABIs the filter covers.
    public var architectures: [Architecture]
    /// Docker: native architectures with their compat ABIs.
    public var archMap: [ArchMapEntry]
    /// `SECCOMP_FILTER_FLAG_*` names.
    public var flags: [String]
    /// Path of a seccomp-notify agent socket.
    public var listenerPath: String?
    /// Opaque metadata for the notify agent.
    public var listenerMetadata: String?
    /// The rules, in file order.
    public var syscalls: [Rule]

    /// Creates a profile.
    public init(
        format: Format, defaultAction: Action, defaultErrnoRet: UInt32? = nil, architectures: [Architecture] = [],
        archMap: [ArchMapEntry] = [], flags: [String] = [], listenerPath: String? = nil,
        listenerMetadata: String? = nil, syscalls: [Rule] = []
    ) {
        self.format = format
        self.defaultAction = defaultAction
        self.defaultErrnoRet = defaultErrnoRet
        self.architectures = architectures
        self.archMap = archMap
        self.flags = flags
        self.listenerPath = listenerPath
        self.listenerMetadata = listenerMetadata
        self.syscalls = syscalls
    }

    /// Every ABI the filter covers on a host of `native` architecture.
    ///
    /// OCI lists them directly. Docker expands the `archMap` entry whose architecture is the
    /// host's, as dockerd does; with no matching entry the filter covers the native ABI only.
    public func effectiveArchitectures(native: Architecture = .x86_64) -> [Architecture] {
        switch format {
        case .oci:
            return architectures.isEmpty ? [native] : architectures
        case .docker:
            if !architectures.isEmpty { return architectures }
            guard let entry = archMap.first(where: { $0.architecture == native }) else { return [native] }
            return [entry.architecture] + entry.subArchitectures
        }
    }
}
