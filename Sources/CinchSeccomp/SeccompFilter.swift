// SPDX-License-Identifier: Apache-2.0
// An owned libseccomp filter context: build rules, export BPF or PFC. Never loaded into cinch.

internal import CSeccomp
public import CinchModel
internal import SystemPackage

/// A seccomp action with its data, as libseccomp encodes it.
public struct SeccompActionValue: RawRepresentable, Hashable, Sendable {
    /// libseccomp's 32-bit action value.
    public var rawValue: UInt32

    /// Wraps a raw action value.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Allow.
    public static var allow: Self { Self(rawValue: cinch_scmp_act_allow()) }
    /// Allow and log.
    public static var log: Self { Self(rawValue: cinch_scmp_act_log()) }
    /// Kill the thread.
    public static var killThread: Self { Self(rawValue: cinch_scmp_act_kill_thread()) }
    /// Kill the process.
    public static var killProcess: Self { Self(rawValue: cinch_scmp_act_kill_process()) }
    /// SIGSYS.
    public static var trap: Self { Self(rawValue: cinch_scmp_act_trap()) }
    /// Hand to a seccomp-notify supervisor.
    public static var notify: Self { Self(rawValue: cinch_scmp_act_notify()) }
    /// Fail with `errno`. The corresponding C macro is `SCMP_ACT_ERRNO`.
    public static func errno(_ value: UInt16) -> Self { Self(rawValue: cinch_scmp_act_errno(value)) }
    /// Stop for a ptrace tracer with `message`. The corresponding C macro is `SCMP_ACT_TRACE`.
    public static func trace(_ message: UInt16) -> Self { Self(rawValue: cinch_scmp_act_trace(message)) }

    /// The libseccomp value of a profile action; `errnoRet` defaults to EPERM for ERRNO.
    public init(_ action: SeccompProfile.Action, errnoRet: UInt32?) {
        switch action {
        case .kill, .killThread: self = .killThread
        case .killProcess: self = .killProcess
        case .trap: self = .trap
        case .errno: self = .errno(UInt16(truncatingIfNeeded: errnoRet ?? 1))
        case .trace: self = .trace(UInt16(truncatingIfNeeded: errnoRet ?? 0))
        case .allow: self = .allow
        case .log: self = .log
        case .notify: self = .notify
        }
    }
}

/// An argument comparison for ``SeccompFilter/addRule(_:syscall:conditions:)``.
public typealias SeccompCondition = SeccompProfile.ArgumentCondition

/// A libseccomp filter context that cinch owns.
///
/// `~Copyable`, so the context cannot be released twice. It is only ever exported (BPF or
/// PFC), never loaded into cinch itself: loading happens in a spawned child.
public struct SeccompFilter: ~Copyable {
    private let context: scmp_filter_ctx

    /// Creates a filter for the native architecture with a default action.
    ///
    /// The corresponding C function is `seccomp_init`.
    public init(defaultAction: SeccompActionValue) throws(SeccompError) {
        guard let context = seccomp_init(defaultAction.rawValue) else {
            throw SeccompError(function: "seccomp_init", errno: .invalidArgument, context: "default action")
        }
        self.context = context
    }

    deinit { seccomp_release(context) }

    private func check(_ rc: Int32, _ function: String, _ context: String = "") throws(SeccompError) {
        if rc < 0 { throw SeccompError(function: function, errno: Errno(rawValue: -rc), context: context) }
    }

    /// Makes the filter cover exactly `abis` (in that order of preference).
    ///
    /// The corresponding C functions are `seccomp_arch_add` and `seccomp_arch_remove`.
    public func setArchitectures(_ abis: [Architecture]) throws(SeccompError) {
        let native = seccomp_arch_native()
        // The native ABI goes first: libseccomp refuses (EDOM) to mix byte orders in one filter,
        // so a big-endian s390x filter can only be built once the little-endian native is gone.
        if !abis.contains(where: { $0.auditArch == native }) {
            try check(seccomp_arch_remove(context, native), "seccomp_arch_remove", "native")
        }
        for abi in abis where abi.auditArch != native {
            let rc = seccomp_arch_add(context, abi.auditArch)
            if rc != -Errno.fileExists.rawValue { try check(rc, "seccomp_arch_add", abi.name) }
        }
    }

    /// Sets the action for syscalls from ABIs the filter does not cover.
    ///
    /// The corresponding C function is `seccomp_attr_set(SCMP_FLTATR_ACT_BADARCH)`.
    public func setBadArchitectureAction(_ action: SeccompActionValue) throws(SeccompError) {
        try check(seccomp_attr_set(context, SCMP_FLTATR_ACT_BADARCH, action.rawValue), "seccomp_attr_set", "badarch")
    }

    /// Disables libseccomp's `no_new_privs` on load (the spawn shim sets it explicitly).
    ///
    /// The corresponding C function is `seccomp_attr_set(SCMP_FLTATR_CTL_NNP)`.
    public func setNoNewPrivilegesOnLoad(_ enabled: Bool) throws(SeccompError) {
        try check(seccomp_attr_set(context, SCMP_FLTATR_CTL_NNP, enabled ? 1 : 0), "seccomp_attr_set", "nnp")
    }

    /// Adds a rule for `name` on every ABI of the filter where it exists.
    ///
    /// - Returns: false when the name is unknown to libseccomp (nothing was added).
    /// The corresponding C function is `seccomp_rule_add_array`.
    @discardableResult
    public func addRule(
        _ action: SeccompActionValue, syscall name: String, conditions: [SeccompCondition] = []
    ) throws(SeccompError) -> Bool {
        let number = seccomp_syscall_resolve_name(name)
        if number == cinch_nr_scmp_error() { return false }
        var comparisons = conditions.map(Self.comparison)
        let rc = comparisons.withUnsafeMutableBufferPointer { buffer in
            seccomp_rule_add_array(context, action.rawValue, number, UInt32(buffer.count), buffer.baseAddress)
        }
        try check(rc, "seccomp_rule_add_array", name)
        return true
    }

    /// Adds a rule for syscall `number` of one ABI only, exactly as given.
    ///
    /// The filter must cover `abi`. The corresponding C function is `seccomp_rule_add_exact_array`
    /// on a single-architecture filter, which is how per-ABI rules are built before merging.
    public func addExactRule(_ action: SeccompActionValue, number: Int32) throws(SeccompError) {
        try check(
            seccomp_rule_add_exact_array(context, action.rawValue, number, 0, nil), "seccomp_rule_add_exact",
            "\(number)")
    }

    /// Merges `other` (which must cover different ABIs and have the same attributes) into this filter.
    ///
    /// The corresponding C function is `seccomp_merge`.
    public func merge(_ other: consuming SeccompFilter) throws(SeccompError) {
        let source = other.takeContext()
        // seccomp_merge releases the source context on success; on failure it stays ours.
        let rc = seccomp_merge(context, source)
        if rc < 0 {
            seccomp_release(source)
            try check(rc, "seccomp_merge")
        }
    }

    /// Gives up ownership of the context without releasing it.
    private consuming func takeContext() -> scmp_filter_ctx {
        let taken = context
        discard self
        return taken
    }

    /// The compiled classic-BPF program (an array of `struct sock_filter`, 8 bytes each).
    ///
    /// The corresponding C function is `seccomp_export_bpf`.
    public func exportBPF() throws(SeccompError) -> [UInt8] {
        var buffer: UnsafeMutableRawPointer?
        var length = 0
        try check(cinch_seccomp_export_bpf_buffer(context, &buffer, &length), "seccomp_export_bpf")
        guard let buffer else { return [] }
        defer { cinch_scmp_free(buffer) }
        return Array(UnsafeRawBufferPointer(start: buffer, count: length))
    }

    /// libseccomp's pseudo filter code, a readable rendering of the filter.
    ///
    /// The corresponding C function is `seccomp_export_pfc`.
    public func exportPFC() throws(SeccompError) -> String {
        var text: UnsafeMutablePointer<CChar>?
        try check(cinch_seccomp_export_pfc_string(context, &text), "seccomp_export_pfc")
        guard let text else { return "" }
        defer { cinch_scmp_free(text) }
        return String(cString: text)
    }

    private static func comparison(_ condition: SeccompCondition) -> scmp_arg_cmp {
        let op: scmp_compare
        switch condition.op {
        case .notEqual: op = SCMP_CMP_NE
        case .lessThan: op = SCMP_CMP_LT
        case .lessOrEqual: op = SCMP_CMP_LE
        case .equal: op = SCMP_CMP_EQ
        case .greaterOrEqual: op = SCMP_CMP_GE
        case .greaterThan: op = SCMP_CMP_GT
        case .maskedEqual: op = SCMP_CMP_MASKED_EQ
        }
        return scmp_arg_cmp(arg: condition.index, op: op, datum_a: condition.value, datum_b: condition.valueTwo)
    }
}
