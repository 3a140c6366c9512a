// SPDX-License-Identifier: Apache-2.0
// Which syscall one ABI uses for what another ABI's syscall does: the facts behind `--arch`.

/// Answers whether a syscall name exists on an ABI; rules on absent names do nothing there.
///
/// The CLI passes libseccomp's resolver; tests pass a table. Without one, every name counts on
/// every ABI.
public typealias SyscallPresence = @Sendable (_ name: String, _ abi: Architecture) -> Bool

/// Maps a syscall recorded on one ABI to the syscalls another ABI makes for the same operation.
///
/// Newer ABIs (aarch64, riscv64, loongarch64) have no legacy calls: libc implements `open` with
/// `openat`, `stat` with `newfstatat`, `fork` with `clone`, and so on. 32-bit ABIs add 64-bit
/// file-offset variants (`stat64`, `_llseek`, `mmap2`, 32-bit uid calls) and, since Linux 5.1,
/// `*_time64` variants of every call that takes a `struct timespec`. The tables here are those
/// facts; whether a name exists on an ABI is always asked of a ``SyscallPresence`` (libseccomp's
/// own tables), never assumed.
///
/// ## Rules
///
/// For a name and a target ABI:
/// 1. a name the target has is kept;
/// 2. a name it lacks becomes the first of its ``successors`` the target has (`rename` →
///    `renameat`, or `renameat2` where there is no `renameat`);
/// 3. on a 32-bit target, every kept or chosen name also brings its ``wideVariants`` the target
///    has (`fstat` → `fstat`, `fstat64`; `clock_gettime` → `clock_gettime`, `clock_gettime64`);
/// 4. a name with no equivalent (`arch_prctl` on aarch64) maps to nothing.
public enum SyscallTranslation {
    /// One name of one ABI as it was carried to another.
    public struct Step: Sendable, Hashable, Comparable {
        /// The ABI the name was recorded on.
        public var source: Architecture
        /// The ABI it was carried to.
        public var target: Architecture
        /// The recorded name.
        public var name: String
        /// What the target uses for it; empty when it has no equivalent.
        public var equivalents: [String]

        /// Creates a step.
        public init(source: Architecture, target: Architecture, name: String, equivalents: [String]) {
            self.source = source
            self.target = target
            self.name = name
            self.equivalents = equivalents
        }

        /// Whether the step changed anything (a name the target also has is no translation).
        public var isTranslation: Bool { equivalents != [name] }

        /// Orders by target, source, then name.
        public static func < (lhs: Step, rhs: Step) -> Bool {
            (lhs.target, lhs.source, lhs.name) < (rhs.target, rhs.source, rhs.name)
        }

        /// `name → a, b`, or `name → (none)`.
        public var description: String {
            "\(name) → " + (equivalents.isEmpty ? "(none)" : equivalents.joined(separator: ", "))
        }
    }

    /// Legacy calls and the calls that replace them, in order of preference.
    ///
    /// Calls of 32-bit ABIs also map back to their 64-bit forms (`stat64` → `stat`, `newfstatat`),
    /// derived from ``wideVariants``.
    public static let successors: [String: [String]] = {
        var table: [String: [String]] = [
            "access": ["faccessat"],
            "alarm": ["setitimer"],
            "chmod": ["fchmodat"],
            "chown": ["fchownat"],
            "creat": ["openat"],
            "dup2": ["dup3"],
            "epoll_create": ["epoll_create1"],
            "epoll_wait": ["epoll_pwait"],
            "eventfd": ["eventfd2"],
            "fadvise64": ["fadvise64_64", "arm_fadvise64_64"],
            "fork": ["clone"],
            "fstatat64": ["newfstatat"],
            "futimesat": ["utimensat"],
            "getdents": ["getdents64"],
            "getpgrp": ["getpgid"],
            "inotify_init": ["inotify_init1"],
            "lchown": ["fchownat"],
            "link": ["linkat"],
            "lstat": ["newfstatat", "fstatat64"],
            "mkdir": ["mkdirat"],
            "mknod": ["mknodat"],
            "mmap": ["mmap2"],
            "newfstatat": ["fstatat64"],
            "_newselect": ["select", "pselect6"],
            "open": ["openat"],
            "pause": ["rt_sigsuspend"],
            "pipe": ["pipe2"],
            "poll": ["ppoll"],
            "readlink": ["readlinkat"],
            "rename": ["renameat", "renameat2"],
            "renameat": ["renameat2"],
            "rmdir": ["unlinkat"],
            "select": ["pselect6"],
            "sigaction": ["rt_sigaction"],
            "signal": ["rt_sigaction"],
            "signalfd": ["signalfd4"],
            "sigpending": ["rt_sigpending"],
            "sigprocmask": ["rt_sigprocmask"],
            "sigreturn": ["rt_sigreturn"],
            "sigsuspend": ["rt_sigsuspend"],
            "stat": ["newfstatat", "fstatat64"],
            "symlink": ["symlinkat"],
            "sync_file_range": ["arm_sync_file_range", "sync_file_range2"],
            "time": ["clock_gettime"],
            "umount": ["umount2"],
            "unlink": ["unlinkat"],
            "utime": ["utimensat"],
            "utimes": ["utimensat"],
            "vfork": ["clone"],
            "waitpid": ["wait4"],
        ]
        for (base, variants) in wideVariants {
            for variant in variants where table[variant] == nil { table[variant] = [base] + (table[base] ?? []) }
        }
        return table
    }()

    /// The variants 32-bit ABIs add to a call: 64-bit file offsets and sizes, 32-bit uids, and
    /// 64-bit `time_t` (`*_time64`, Linux 5.1). A 32-bit libc uses them instead of, or besides,
    /// the plain call.
    public static let wideVariants: [String: [String]] = [
        // 64-bit file offsets and sizes.
        "fadvise64": ["fadvise64_64", "arm_fadvise64_64"], "fcntl": ["fcntl64"], "fstat": ["fstat64"],
        "fstatfs": ["fstatfs64"], "ftruncate": ["ftruncate64"], "getrlimit": ["ugetrlimit"], "lseek": ["_llseek"],
        "lstat": ["lstat64"], "mmap": ["mmap2"], "newfstatat": ["fstatat64"], "sendfile": ["sendfile64"],
        "stat": ["stat64"], "statfs": ["statfs64"], "truncate": ["truncate64"],
        // 32-bit user and group ids.
        "chown": ["chown32"], "fchown": ["fchown32"], "getegid": ["getegid32"], "geteuid": ["geteuid32"],
        "getgid": ["getgid32"], "getgroups": ["getgroups32"], "getresgid": ["getresgid32"],
        "getresuid": ["getresuid32"], "getuid": ["getuid32"], "lchown": ["lchown32"], "setfsgid": ["setfsgid32"],
        "setfsuid": ["setfsuid32"], "setgid": ["setgid32"], "setgroups": ["setgroups32"],
        "setregid": ["setregid32"], "setresgid": ["setresgid32"], "setresuid": ["setresuid32"],
        "setreuid": ["setreuid32"], "setuid": ["setuid32"],
        // 64-bit time_t.
        "clock_adjtime": ["clock_adjtime64"], "clock_getres": ["clock_getres_time64"],
        "clock_gettime": ["clock_gettime64"], "clock_nanosleep": ["clock_nanosleep_time64"],
        "clock_settime": ["clock_settime64"], "futex": ["futex_time64"], "io_pgetevents": ["io_pgetevents_time64"],
        "mq_timedreceive": ["mq_timedreceive_time64"], "mq_timedsend": ["mq_timedsend_time64"],
        "ppoll": ["ppoll_time64"], "pselect6": ["pselect6_time64"], "recvmmsg": ["recvmmsg_time64"],
        "rt_sigtimedwait": ["rt_sigtimedwait_time64"], "sched_rr_get_interval": ["sched_rr_get_interval_time64"],
        "semtimedop": ["semtimedop_time64"], "timer_gettime": ["timer_gettime64"],
        "timer_settime": ["timer_settime64"], "timerfd_gettime": ["timerfd_gettime64"],
        "timerfd_settime": ["timerfd_settime64"], "utimensat": ["utimensat_time64"],
    ]

    /// The calls `target` uses for `name`; empty when it has no equivalent.
    ///
    /// - Parameters:
    ///   - name: a syscall name recorded on another ABI.
    ///   - target: the ABI to carry it to.
    ///   - isPresent: whether a name exists on an ABI (libseccomp's tables).
    public static func equivalents(of name: String, on target: Architecture, isPresent: SyscallPresence) -> [String] {
        var chosen: [String] = []
        if isPresent(name, target) {
            chosen = [name]
        } else if let next = (successors[name] ?? []).first(where: { isPresent($0, target) }) {
            chosen = [next]
        }
        guard target.is32Bit else { return chosen }
        for base in chosen {
            for variant in wideVariants[base] ?? [] where !chosen.contains(variant) && isPresent(variant, target) {
                chosen.append(variant)
            }
        }
        return chosen
    }
}

extension Architecture {
    /// Whether the ABI has 32-bit `long`s (no `__AUDIT_ARCH_64BIT`): x86, x32, arm, s390, ppc, o32 and n32 MIPS.
    public var is32Bit: Bool { auditArch & 0x8000_0000 == 0 }

    /// Whether the ABI is little-endian (`__AUDIT_ARCH_LE`): x86, Arm, RISC-V, ppc64le, mipsel.
    public var isLittleEndian: Bool { auditArch & 0x4000_0000 != 0 }
}
