// SPDX-License-Identifier: Apache-2.0
// Syscall name <-> number resolution per ABI, backed by libseccomp's tables.

internal import CSeccomp
public import CinchModel

/// Resolves syscall names and numbers per ABI with libseccomp.
///
/// Never resolve a compat call with the native table: `int 0x80` number 20 is `getpid` on x86,
/// while 20 is `writev` on x86_64.
public enum SyscallResolver {
    /// What a name resolves to on one ABI.
    public enum Resolution: Sendable, Equatable {
        /// Whether a rule for the name does something on that ABI.
        public var isPresent: Bool {
            switch self {
            case .number, .multiplexed: true
            case .absentOnArchitecture, .unknown: false
            }
        }

        /// The syscall exists on that ABI with this number.
        case number(Int32)
        /// A socket or SysV IPC call that this ABI (x86, s390, 32-bit POWER) may also make through
        /// the `socketcall(2)`/`ipc(2)` multiplexer; libseccomp gives it a pseudo-number from
        /// -101 to -299 and a rule on it covers both forms.
        case multiplexed(Int32)
        /// libseccomp knows the name, but not on that ABI (it has only a pseudo-number there).
        case absentOnArchitecture
        /// libseccomp does not know the name at all.
        case unknown
    }

    /// The name of syscall `number` on `abi`, or nil when libseccomp does not know it.
    ///
    /// The number is taken as the kernel reports it, so x32 numbers may carry the x32 bit.
    /// The corresponding C function is `seccomp_syscall_resolve_num_arch`.
    public static func name(of number: UInt64, on abi: Architecture) -> String? {
        guard number <= UInt64(Int32.max) else { return nil }
        guard let pointer = seccomp_syscall_resolve_num_arch(abi.auditArch, Int32(truncatingIfNeeded: number)) else {
            return nil
        }
        defer { cinch_scmp_free(pointer) }
        return String(cString: pointer)
    }

    /// What `name` resolves to on `abi`.
    ///
    /// A name that has a rule on `abi` is `.number` or `.multiplexed`; see ``Resolution``.
    /// The corresponding C function is `seccomp_syscall_resolve_name_arch`.
    public static func resolve(_ name: String, on abi: Architecture) -> Resolution {
        let value = seccomp_syscall_resolve_name_arch(abi.auditArch, name)
        if value >= 0 { return .number(value) }
        if value == cinch_nr_scmp_error() { return .unknown }
        if (-299 ... -101).contains(value) { return .multiplexed(value) }
        // Negative values other than __NR_SCMP_ERROR are libseccomp pseudo-syscalls: the name is
        // known on some architecture but does not exist on this one.
        return seccomp_syscall_resolve_name(name) == cinch_nr_scmp_error() ? .unknown : .absentOnArchitecture
    }

    /// Whether a rule for a name does something on an ABI (``Resolution/isPresent``), as the
    /// generator, the diff and the translation across ABIs ask it.
    public static let presence: SyscallPresence = { name, abi in resolve(name, on: abi).isPresent }

    /// How a process enters the kernel for `name` on `abi`: the syscall number and, for a socket
    /// or SysV IPC call this ABI has only through its `socketcall(2)`/`ipc(2)` multiplexer, the
    /// multiplexer's first argument (the call). Nil when `name` does not exist on `abi`.
    ///
    /// libseccomp gives multiplexed calls a pseudo-number (`socket` on x86 is -101); their direct
    /// numbers (x86 `socket` is 359) are found in its number-to-name table.
    /// The corresponding C functions are `seccomp_syscall_resolve_name_arch` and
    /// `seccomp_syscall_resolve_num_arch`.
    public static func kernelCall(of name: String, on abi: Architecture) -> (number: Int32, call: UInt64?)? {
        switch resolve(name, on: abi) {
        case .number(let number):
            return (number, nil)
        case .multiplexed(let pseudo):
            let base = UInt64(abi.syscallNumberBase)
            for offset in UInt64(0)..<1024 where self.name(of: base + offset, on: abi) == name {
                return (Int32(truncatingIfNeeded: base + offset), nil)
            }
            let isSocketCall = pseudo >= -199
            let multiplexer = isSocketCall ? "socketcall" : "ipc"
            guard case .number(let number) = resolve(multiplexer, on: abi) else { return nil }
            return (number, UInt64(-pseudo - (isSocketCall ? 100 : 200)))
        case .absentOnArchitecture, .unknown:
            return nil
        }
    }

    /// The call a `socketcall(2)` or `ipc(2)` multiplexer makes for its first argument `call` on
    /// `abi` (`socketcall(1)` is `socket`), or nil.
    ///
    /// libseccomp numbers multiplexed calls -100 - call (socketcall) and -200 - call (ipc).
    /// The corresponding C function is `seccomp_syscall_resolve_num_arch`.
    public static func multiplexedName(of multiplexer: String, call: UInt64, on abi: Architecture) -> String? {
        guard call < 100, let base: Int32 = ["socketcall": -100, "ipc": -200][multiplexer] else { return nil }
        guard let pointer = seccomp_syscall_resolve_num_arch(abi.auditArch, base - Int32(call)) else { return nil }
        defer { cinch_scmp_free(pointer) }
        return String(cString: pointer)
    }

    /// Whether libseccomp supports `abi` at all.
    ///
    /// The corresponding C function is `seccomp_arch_resolve_name`.
    public static func supports(_ abi: Architecture) -> Bool {
        seccomp_arch_resolve_name(abi.name) == abi.auditArch
    }

    /// The host's native ABI, as libseccomp sees it.
    ///
    /// The corresponding C function is `seccomp_arch_native`.
    public static var native: Architecture {
        Architecture(auditArch: seccomp_arch_native()) ?? .x86_64
    }

    /// libseccomp's version as `major.minor.micro` and its API level.
    ///
    /// The corresponding C functions are `seccomp_version` and `seccomp_api_get`.
    public static var libraryVersion: (version: String, apiLevel: UInt32) {
        guard let version = seccomp_version() else { return ("unknown", seccomp_api_get()) }
        let v = version.pointee
        return ("\(v.major).\(v.minor).\(v.micro)", seccomp_api_get())
    }
}
