// SPDX-License-Identifier: Apache-2.0
// Why some added privileges deserve a reviewer's attention: one-line reasons per syscall or capability.

internal import CinchModel

/// A label on an added privilege: how much it matters and why, in one line.
public struct Risk: Sendable, Hashable, CustomStringConvertible {
    /// How much it matters.
    public enum Level: String, Sendable, Hashable, Comparable {
        /// Worth a look.
        case medium
        /// A known container-escape or kernel-attack-surface primitive.
        case high

        /// `medium` before `high`.
        public static func < (lhs: Level, rhs: Level) -> Bool { lhs == .medium && rhs == .high }
    }

    /// How much it matters.
    public var level: Level
    /// One line saying why.
    public var reason: String

    /// Creates a label.
    public init(_ level: Level, _ reason: String) {
        self.level = level
        self.reason = reason
    }

    /// `high: reads and writes …`.
    public var description: String { "\(level.rawValue): \(reason)" }
}

/// The syscalls and capabilities that get a ``Risk`` label when a diff adds or widens them.
///
/// The list follows the syscalls Docker's default profile withholds or gates on a capability,
/// and the capabilities Docker does not grant by default.
public enum RiskCatalog {
    /// The label for widening `syscall`, or nil when it is unremarkable.
    public static func risk(ofSyscall syscall: String) -> Risk? { syscalls[syscall] }

    /// The label for adding `capability` (with or without `CAP_`), or nil.
    public static func risk(ofCapability capability: String) -> Risk? {
        capabilities[CapabilityList.shortName(capability)]
    }

    static let syscalls: [String: Risk] = [
        "ptrace": Risk(.high, "inspects and rewrites other processes' memory and registers; a classic escape aid"),
        "process_vm_readv": Risk(.high, "reads another process's memory directly"),
        "process_vm_writev": Risk(.high, "writes another process's memory directly"),
        "bpf": Risk(.high, "loads eBPF programs into the kernel; large kernel attack surface"),
        "mount": Risk(.high, "mounts filesystems; can expose host paths or hide files"),
        "umount": Risk(.high, "unmounts filesystems, revealing what a mount hid"),
        "umount2": Risk(.high, "unmounts filesystems, revealing what a mount hid"),
        "fsopen": Risk(.high, "new mount API: creates filesystem contexts"),
        "fsmount": Risk(.high, "new mount API: mounts filesystem contexts"),
        "move_mount": Risk(.high, "new mount API: moves mounts in the mount tree"),
        "open_tree": Risk(.high, "new mount API: clones mount trees"),
        "pivot_root": Risk(.high, "changes the root filesystem"),
        "chroot": Risk(.medium, "changes the root directory; with other privileges a known escape path"),
        "unshare": Risk(.high, "creates namespaces, including user namespaces that unlock more kernel surface"),
        "setns": Risk(.high, "joins other namespaces, possibly the host's"),
        "clone": Risk(
            .high, "without an argument filter, clone can create new namespaces (CLONE_NEWUSER, CLONE_NEWNS…)"),
        "clone3": Risk(.high, "takes its flags in memory, so a filter cannot stop it creating namespaces"),
        "keyctl": Risk(.high, "kernel keyring access; keyrings are not namespaced"),
        "add_key": Risk(.high, "adds keys to kernel keyrings, which are not namespaced"),
        "request_key": Risk(.high, "requests keys from kernel keyrings, which are not namespaced"),
        "userfaultfd": Risk(.high, "user-space page-fault handling, a common kernel-exploit aid"),
        "io_uring_setup": Risk(.high, "io_uring bypasses syscall filtering for the I/O it submits; many kernel CVEs"),
        "io_uring_enter": Risk(.high, "io_uring bypasses syscall filtering for the I/O it submits; many kernel CVEs"),
        "io_uring_register": Risk(
            .high, "io_uring bypasses syscall filtering for the I/O it submits; many kernel CVEs"),
        "perf_event_open": Risk(.high, "kernel performance events; leaks kernel addresses, large attack surface"),
        "kexec_load": Risk(.high, "loads a new kernel to boot"),
        "kexec_file_load": Risk(.high, "loads a new kernel to boot"),
        "init_module": Risk(.high, "loads kernel modules"),
        "finit_module": Risk(.high, "loads kernel modules"),
        "delete_module": Risk(.high, "unloads kernel modules"),
        "open_by_handle_at": Risk(.high, "opens files by handle, bypassing path checks (the 'shocker' escape)"),
        "name_to_handle_at": Risk(.medium, "produces file handles that open_by_handle_at can use"),
        "personality": Risk(.medium, "unfiltered, it can disable ASLR (ADDR_NO_RANDOMIZE) and change the ABI"),
        "reboot": Risk(.high, "reboots the host or loads a kexec kernel"),
        "swapon": Risk(.high, "enables swap devices on the host"),
        "swapoff": Risk(.high, "disables swap devices on the host"),
        "iopl": Risk(.high, "raw I/O port access"),
        "ioperm": Risk(.high, "raw I/O port access"),
        "acct": Risk(.medium, "switches process accounting on the host"),
        "settimeofday": Risk(.medium, "sets the host clock (time is not namespaced)"),
        "clock_settime": Risk(.medium, "sets the host clock (time is not namespaced)"),
        "clock_adjtime": Risk(.medium, "adjusts the host clock"),
        "stime": Risk(.medium, "sets the host clock"),
        "syslog": Risk(.medium, "reads the kernel log, which leaks kernel addresses"),
        "lookup_dcookie": Risk(.medium, "kernel profiling interface, gated on CAP_SYS_ADMIN by Docker"),
        "quotactl": Risk(.medium, "manipulates disk quotas"),
        "vhangup": Risk(.medium, "hangs up the controlling terminal"),
        "nfsservctl": Risk(.medium, "kernel NFS daemon control"),
        "kcmp": Risk(.medium, "compares kernel objects of other processes; an information leak"),
        "pidfd_getfd": Risk(.medium, "steals file descriptors from other processes"),
        "socket": Risk(.medium, "unfiltered, it opens any address family, including AF_ALG and AF_VSOCK"),
        "mbind": Risk(.medium, "NUMA memory policy, gated on CAP_SYS_NICE by Docker"),
        "set_mempolicy": Risk(.medium, "NUMA memory policy, gated on CAP_SYS_NICE by Docker"),
        "move_pages": Risk(.medium, "moves another process's pages between NUMA nodes"),
        "fanotify_init": Risk(.medium, "filesystem-wide event monitoring"),
        "setdomainname": Risk(.medium, "changes the NIS domain name"),
        "sethostname": Risk(.medium, "changes the host name"),
    ]

    static let capabilities: [String: Risk] = [
        "SYS_ADMIN": Risk(.high, "the catch-all capability: mount, namespaces, BPF and much more; near-root"),
        "SYS_PTRACE": Risk(.high, "traces any process, reads its memory"),
        "SYS_MODULE": Risk(.high, "loads kernel modules"),
        "SYS_RAWIO": Risk(.high, "raw I/O and /dev/mem access"),
        "SYS_BOOT": Risk(.high, "reboots the host"),
        "DAC_READ_SEARCH": Risk(.high, "bypasses read permission checks and enables open_by_handle_at"),
        "NET_ADMIN": Risk(.high, "reconfigures network interfaces, routes and firewalls"),
        "BPF": Risk(.high, "loads eBPF programs"),
        "PERFMON": Risk(.high, "opens kernel performance events"),
        "MAC_ADMIN": Risk(.high, "changes mandatory access control (AppArmor, SELinux) policy"),
        "MAC_OVERRIDE": Risk(.high, "bypasses mandatory access control"),
        "SYS_TIME": Risk(.medium, "sets the host clock"),
        "SYSLOG": Risk(.medium, "reads the kernel log"),
        "NET_RAW": Risk(.medium, "raw and packet sockets: spoofing and sniffing"),
        "SYS_CHROOT": Risk(.medium, "chroot, a step in some escapes"),
        "SETUID": Risk(.medium, "switches to any user id"),
        "SETGID": Risk(.medium, "switches to any group id"),
        "DAC_OVERRIDE": Risk(.medium, "bypasses file permission checks"),
        "FOWNER": Risk(.medium, "bypasses file ownership checks"),
        "LINUX_IMMUTABLE": Risk(.medium, "changes immutable and append-only file flags"),
        "SYS_NICE": Risk(.medium, "raises priorities and changes other processes' scheduling"),
        "SYS_RESOURCE": Risk(.medium, "overrides resource limits"),
        "AUDIT_CONTROL": Risk(.medium, "changes kernel audit rules"),
        "WAKE_ALARM": Risk(.medium, "wakes the host from suspend"),
        "BLOCK_SUSPEND": Risk(.medium, "prevents the host from suspending"),
    ]
}
