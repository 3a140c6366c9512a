// SPDX-License-Identifier: Apache-2.0
// C shims for what Swift cannot call directly: variadic ptrace/syscall/prctl, wait-status macros,
// and the fork -> ptrace/seccomp -> execve sequence, which must not run Swift in the child.
#ifndef CINCH_CCINCHLINUX_H
#define CINCH_CCINCHLINUX_H

#include <signal.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/wait.h>

/// Calls `ptrace(2)`.
///
/// glibc declares `ptrace` as variadic, so Swift cannot import it. `request` is a plain `int`
/// because glibc types it as `enum __ptrace_request` and musl as `int`. Returns the raw result:
/// -1 with `errno` set on failure.
long cinch_ptrace(int request, pid_t pid, void *_Nullable addr, void *_Nullable data);

/// `WIFEXITED(status)`: function-like macros are not imported by Swift.
static inline int cinch_wifexited(int status) { return WIFEXITED(status); }
/// `WEXITSTATUS(status)`.
static inline int cinch_wexitstatus(int status) { return WEXITSTATUS(status); }
/// `WIFSIGNALED(status)`.
static inline int cinch_wifsignaled(int status) { return WIFSIGNALED(status); }
/// `WTERMSIG(status)`.
static inline int cinch_wtermsig(int status) { return WTERMSIG(status); }
/// `WIFSTOPPED(status)`.
static inline int cinch_wifstopped(int status) { return WIFSTOPPED(status); }
/// `WSTOPSIG(status)`.
static inline int cinch_wstopsig(int status) { return WSTOPSIG(status); }
/// The `PTRACE_EVENT_*` code of a ptrace event-stop (`status >> 16`), or 0.
static inline int cinch_wptrace_event(int status) { return (status >> 16) & 0xff; }

/// What `PTRACE_GET_SYSCALL_INFO` reports, flattened.
///
/// glibc's `struct __ptrace_syscall_info` holds a union whose members differ per stop kind; a
/// flat struct keeps Swift away from anonymous unions.
typedef struct cinch_syscall_info {
    /// `PTRACE_SYSCALL_INFO_{NONE,ENTRY,EXIT,SECCOMP}` (0..3).
    uint8_t op;
    /// The `AUDIT_ARCH_*` value of the syscall's ABI (for example 0xC000003E for x86_64).
    uint32_t arch;
    /// The syscall number exactly as the kernel saw it (x32 calls keep `__X32_SYSCALL_BIT`).
    uint64_t nr;
    /// The six raw argument registers.
    uint64_t args[6];
    /// `SECCOMP_RET_DATA` of the filter that returned `SECCOMP_RET_TRACE`.
    uint32_t ret_data;
    /// At a syscall-exit stop: the return value (a negated errno when `is_error`).
    int64_t rval;
    /// At a syscall-exit stop: whether `rval` is an error.
    uint8_t is_error;
} cinch_syscall_info;

/// Reads the current syscall of a stopped tracee with `PTRACE_GET_SYSCALL_INFO` (Linux 5.3+).
///
/// Returns 0 on success or -1 with `errno` set.
int cinch_get_syscall_info(pid_t pid, cinch_syscall_info *_Nonnull out);

/// Copies `length` bytes at address `remote` of process `pid` into `local` with
/// `process_vm_readv(2)` (declared only with `_GNU_SOURCE`). Returns the bytes read, or -1 with
/// `errno` set.
long cinch_process_vm_read(pid_t pid, void *_Nonnull local, unsigned long length, uint64_t remote);

/// Flags for ``cinch_spawn``.
enum {
    /// The child stops itself with `SIGSTOP` before anything else, so that its parent can attach
    /// with `PTRACE_SEIZE` (which, unlike `PTRACE_TRACEME`, reports group-stops so that they can be
    /// kept).
    CINCH_SPAWN_TRACE = 1,
    /// The child sets `PR_SET_NO_NEW_PRIVS` before installing the filter.
    CINCH_SPAWN_NO_NEW_PRIVS = 2,
};

/// Forks a child that optionally becomes a tracee, installs a seccomp BPF program, and execs.
///
/// The whole child side is C because only async-signal-safe code may run after `fork` in a
/// multi-threaded process (the Swift runtime may hold locks). The child resets its signal mask
/// and the dispositions of SIGPIPE, SIGINT and SIGTERM, then: `raise(SIGSTOP)` (with
/// `CINCH_SPAWN_TRACE`), `PR_SET_NO_NEW_PRIVS` (with `CINCH_SPAWN_NO_NEW_PRIVS`),
/// `seccomp(SECCOMP_SET_MODE_FILTER)` with `filter` (when `filter_len > 0`), and `execve`.
///
/// With `landlock_fd >= 0`, the child also calls `landlock_restrict_self(landlock_fd,
/// CINCH_LANDLOCK_LOG_NEW_EXEC_ON)` after no_new_privs and before the seccomp filter (flags 0 when
/// `landlock_log` is 0: kernels before ABI 7 reject the flag).
///
/// A failure in the child is reported through an `O_CLOEXEC` pipe: the parent reads
/// `{stage, errno}`. Stages: 2 no_new_privs, 3 seccomp, 4 execve, 6 Landlock,
/// 7 removing capabilities (``cinch_spawn_keeping_capabilities``).
///
/// - Returns: the child's pid, or -1 with `errno` set when `fork` or `pipe` failed. When the
///   child failed before `execve` succeeded, returns the child's pid and sets `*child_stage` and
///   `*child_errno`; the child has already exited with status 127 (the caller reaps it).
///   With `CINCH_SPAWN_TRACE` the parent returns right after `fork` (the child stops itself), and
///   exec errors are reported by ``cinch_spawn_read_error`` once the tracer has let it run.
pid_t cinch_spawn(const char *_Nonnull path, char *_Nullable const *_Nonnull argv,
                  char *_Nullable const *_Nonnull envp, const void *_Nullable filter, size_t filter_len,
                  int landlock_fd, int landlock_log, int flags, int *_Nonnull error_fd_out,
                  int *_Nonnull child_stage, int *_Nonnull child_errno);

/// `LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON` (ABI 7): audit-log the denials of the restricted
/// process also after it execs. Debian 12's kernel headers predate it.
enum { CINCH_LANDLOCK_LOG_NEW_EXEC_ON = 2 };

/// The Landlock ABI version the kernel supports (`landlock_create_ruleset(NULL, 0,
/// LANDLOCK_CREATE_RULESET_VERSION)` through `syscall()`, which is variadic), or -1 with `errno`
/// set (`ENOSYS`: not built in, `EOPNOTSUPP`: disabled at boot).
int cinch_landlock_abi(void);

/// `landlock_create_ruleset` handling `handled_fs` and, when nonzero, `handled_net` (ABI 4; the
/// attribute is passed with the size of only the members used, so older kernels accept it). Debian
/// 12's headers lack the network member. Returns a close-on-exec ruleset descriptor, or -1 with
/// `errno` set.
int cinch_landlock_create_ruleset(uint64_t handled_fs, uint64_t handled_net);

/// `landlock_add_rule(ruleset_fd, LANDLOCK_RULE_PATH_BENEATH, {allowed, parent_fd}, 0)`.
/// Returns 0, or -1 with `errno` set.
int cinch_landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t allowed);

/// `landlock_restrict_self(ruleset_fd, flags)`: restricts the calling thread (and what it starts)
/// from now on. Needs no_new_privs or `CAP_SYS_ADMIN`. Returns 0, or -1 with `errno` set.
int cinch_landlock_restrict_self(int ruleset_fd, unsigned int flags);

/// `openat2(AT_FDCWD, path, {O_PATH | O_CLOEXEC, RESOLVE_NO_SYMLINKS})` through `syscall()`
/// (glibc 2.36 has no wrapper; `O_PATH` is defined only under `_GNU_SOURCE`): a descriptor for
/// exactly the file named, failing with `ELOOP` when any component is a symbolic link. Returns
/// the descriptor, or -1 with `errno` set.
int cinch_open_path(const char *_Nonnull path);

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`: `prctl` is variadic. Returns 0, or -1 with `errno` set.
int cinch_set_no_new_privs(void);

/// ``cinch_spawn``, and the child also removes every capability not in `keep_capabilities` (bit N
/// for capability N) from its bounding, inheritable and ambient sets before the filter, so a
/// uid 0 command gets only those capabilities at `execve` (`prctl(PR_CAPBSET_DROP)`,
/// `PR_CAP_AMBIENT_CLEAR_ALL`, `capset(2)`). It exists because these calls must be made in the
/// child between `fork` and `execve`, where Swift must not run. A failure there is stage 7.
pid_t cinch_spawn_keeping_capabilities(const char *_Nonnull path, char *_Nullable const *_Nonnull argv,
                                       char *_Nullable const *_Nonnull envp, const void *_Nullable filter,
                                       size_t filter_len, int flags, uint64_t keep_capabilities,
                                       int *_Nonnull error_fd_out, int *_Nonnull child_stage,
                                       int *_Nonnull child_errno);

/// Reads the `{stage, errno}` report of a spawned child from `fd` and closes it.
///
/// Returns 1 when a report was read (the exec failed), 0 when the pipe closed without one (the
/// exec succeeded), or -1 with `errno` set.
int cinch_spawn_read_error(int fd, int *_Nonnull stage, int *_Nonnull err);

/// Installs cinch's handler for SIGINT, SIGTERM and SIGHUP (once per process) and returns the
/// read end of its signal pipe, or -1 with `errno` set.
///
/// The handler remembers the first signal (``cinch_caught_signal``), forwards each signal to the
/// process of the pidfd set with ``cinch_exchange_forward_pidfd`` (`SIGKILL` from the second
/// signal on), and writes the signal's number as one byte to a non-blocking, close-on-exec pipe,
/// so a thread of cinch's can read it in ordinary context. It is C because a Swift signal handler
/// may not touch Swift state; it calls only async-signal-safe functions. It is installed with
/// `SA_RESTART` and stays installed for the life of the process. Works whichever thread the
/// kernel delivers the signal to; the three signals are unblocked on the calling thread, so at
/// least one thread takes them (cinch may have been started with them blocked, as from a
/// libdispatch worker).
int cinch_install_signal_handlers(void);

/// Makes the handler forward signals to the process of `pidfd` (-1: to nobody) and returns the
/// previous pidfd once no handler can still be using it (the caller closes it).
///
/// A pidfd, unlike a pid, never comes to mean another process: a signal for a process that has
/// ended fails with `ESRCH` instead of reaching whoever got its pid.
int cinch_exchange_forward_pidfd(int pidfd);

/// The first signal the handler caught, or 0.
int cinch_caught_signal(void);

/// How many signals the handler has caught so far.
int cinch_caught_count(void);

/// The calling thread's id (`gettid`).
pid_t cinch_gettid(void);

/// Installs (once per process) a handler that does nothing for a real-time signal of cinch's own,
/// without `SA_RESTART`, and unblocks that signal on the calling thread. Sending it to a thread
/// with ``cinch_wake_thread`` makes a blocking call there (`waitpid`) fail with `EINTR`. Returns
/// the signal's number, or -1 with `errno` set.
int cinch_install_wake_handler(void);

/// Sends the wake signal of ``cinch_install_wake_handler`` to thread `tid` of this process
/// (`tgkill`). Returns 0, or -1 with `errno` set.
int cinch_wake_thread(pid_t tid);

/// `pidfd_open(pid, 0)` through `syscall()`, which is variadic; glibc 2.36 and musl have no
/// wrapper. The descriptor is close-on-exec. Returns it, or -1 with `errno` set.
int cinch_pidfd_open(pid_t pid);

/// `PIDFD_SIGNAL_PROCESS_GROUP` (Linux 6.9): send to the process group the pidfd's process leads.
/// Debian 12's kernel headers predate it.
enum { CINCH_PIDFD_SIGNAL_PROCESS_GROUP = 4 };

/// `pidfd_send_signal(pidfd, sig, NULL, flags)` through `syscall()`. Returns 0, or -1 with
/// `errno` set (`ESRCH` when the process has ended, `EINVAL` for a flag the kernel lacks).
int cinch_pidfd_send_signal(int pidfd, int sig, unsigned int flags);

/// `prctl(PR_SET_PDEATHSIG, sig)`: `prctl` is variadic.
int cinch_set_pdeathsig(int sig);

/// `prctl(PR_SET_CHILD_SUBREAPER, 1)`: `prctl` is variadic. Orphaned descendants (a container's
/// init after `RUNTIME create` exits) are then reparented to this process, which can wait for
/// them. Returns 0 or -1 with `errno` set.
int cinch_set_child_subreaper(void);

/// Pins the calling thread to one CPU (`sched_setaffinity` with a one-bit `cpu_set_t`, whose
/// `CPU_SET` macro Swift cannot import). Returns 0 or -1 with `errno` set.
int cinch_pin_current_thread(int cpu);

/// The CPU the calling thread runs on (`sched_getcpu`), or -1.
int cinch_current_cpu(void);

/// Whether the calling process has `CAP_SYS_ADMIN` in its effective set (`capget`, via
/// `syscall` because glibc has no wrapper).
int cinch_has_cap_sys_admin(void);

/// `pipe2(fds, O_CLOEXEC)`: glibc declares `pipe2` only under `_GNU_SOURCE`, which Swift's view of
/// the C library does not define. Returns 0 or -1 with `errno` set.
int cinch_pipe_cloexec(int *_Nonnull fds);

/// The process environment (`environ`). Swift 6 rejects direct use of this C global as
/// not concurrency-safe; cinch only reads it, on one thread, right before spawning.
char *_Nullable *_Nullable cinch_environ(void);

#endif
