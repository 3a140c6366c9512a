// SPDX-License-Identifier: Apache-2.0
// Implementation of the CCinchLinux shims; see the header for why each one exists.
#define _GNU_SOURCE
#include "CCinchLinux.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

long cinch_ptrace(int request, pid_t pid, void *addr, void *data) {
    return ptrace((enum __ptrace_request)request, pid, addr, data);
}

long cinch_process_vm_read(pid_t pid, void *local, unsigned long length, uint64_t remote) {
    struct iovec here = {.iov_base = local, .iov_len = length};
    struct iovec there = {.iov_base = (void *)(uintptr_t)remote, .iov_len = length};
    return (long)process_vm_readv(pid, &here, 1, &there, 1, 0);
}

int cinch_get_syscall_info(pid_t pid, cinch_syscall_info *out) {
    struct __ptrace_syscall_info info;
    memset(&info, 0, sizeof info);
    long rc = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
    if (rc < 0) return -1;
    memset(out, 0, sizeof *out);
    out->op = info.op;
    out->arch = info.arch;
    switch (info.op) {
    case PTRACE_SYSCALL_INFO_ENTRY:
        out->nr = info.entry.nr;
        memcpy(out->args, info.entry.args, sizeof out->args);
        break;
    case PTRACE_SYSCALL_INFO_SECCOMP:
        out->nr = info.seccomp.nr;
        memcpy(out->args, info.seccomp.args, sizeof out->args);
        out->ret_data = info.seccomp.ret_data;
        break;
    case PTRACE_SYSCALL_INFO_EXIT:
        out->rval = info.exit.rval;
        out->is_error = info.exit.is_error;
        break;
    default:
        break;
    }
    return 0;
}

static void child_fail(int fd, int stage) {
    int report[2] = {stage, errno};
    ssize_t unused = write(fd, report, sizeof report);
    (void)unused;
    _exit(127);
}

/// In a spawned child (async-signal-safe): removes every capability not in `keep` from the
/// bounding, inheritable and ambient sets, so that a uid 0 program executed next gets exactly
/// `keep` (as far as this process had them) as its permitted and effective sets. The effective
/// set of this process is left alone until execve, so a seccomp filter can still be installed.
static int drop_capabilities(uint64_t keep) {
    for (int cap = 0; cap < 64; cap++) {
        if (keep & ((uint64_t)1 << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) return -1;
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &header, data) != 0) return -1;
    data[0].inheritable &= (uint32_t)keep;
    data[1].inheritable &= (uint32_t)(keep >> 32);
    return (int)syscall(SYS_capset, &header, data);
}

static pid_t spawn_child(const char *path, char *const *argv, char *const *envp, const void *filter,
                         size_t filter_len, int landlock_fd, int landlock_log, int flags,
                         const uint64_t *keep_capabilities, int *error_fd_out, int *child_stage, int *child_errno);

pid_t cinch_spawn(const char *path, char *const *argv, char *const *envp, const void *filter, size_t filter_len,
                  int landlock_fd, int landlock_log, int flags, int *error_fd_out, int *child_stage,
                  int *child_errno) {
    return spawn_child(path, argv, envp, filter, filter_len, landlock_fd, landlock_log, flags, NULL, error_fd_out,
                       child_stage, child_errno);
}

pid_t cinch_spawn_keeping_capabilities(const char *path, char *const *argv, char *const *envp, const void *filter,
                                       size_t filter_len, int flags, uint64_t keep_capabilities, int *error_fd_out,
                                       int *child_stage, int *child_errno) {
    return spawn_child(path, argv, envp, filter, filter_len, -1, 0, flags, &keep_capabilities, error_fd_out,
                       child_stage, child_errno);
}

static pid_t spawn_child(const char *path, char *const *argv, char *const *envp, const void *filter,
                         size_t filter_len, int landlock_fd, int landlock_log, int flags,
                         const uint64_t *keep_capabilities, int *error_fd_out, int *child_stage, int *child_errno) {
    *child_stage = 0;
    *child_errno = 0;
    *error_fd_out = -1;
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        int saved = errno;
        close(fds[0]);
        close(fds[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        // Child: async-signal-safe calls only.
        close(fds[0]);
        sigset_t empty;
        sigemptyset(&empty);
        sigprocmask(SIG_SETMASK, &empty, NULL);
        signal(SIGPIPE, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        signal(SIGHUP, SIG_DFL);
        // The tracer waits for this stop, then attaches with PTRACE_SEIZE and sends SIGCONT.
        if (flags & CINCH_SPAWN_TRACE) raise(SIGSTOP);
        if (keep_capabilities != NULL && drop_capabilities(*keep_capabilities) != 0) child_fail(fds[1], 7);
        if (flags & CINCH_SPAWN_NO_NEW_PRIVS) {
            if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) child_fail(fds[1], 2);
        }
        if (landlock_fd >= 0) {
            unsigned int log = landlock_log ? CINCH_LANDLOCK_LOG_NEW_EXEC_ON : 0;
            if (syscall(SYS_landlock_restrict_self, landlock_fd, log) != 0) child_fail(fds[1], 6);
        }
        if (filter != NULL && filter_len > 0) {
            struct sock_fprog prog;
            prog.len = (unsigned short)(filter_len / sizeof(struct sock_filter));
            prog.filter = (struct sock_filter *)filter;
            if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) child_fail(fds[1], 3);
        }
        execve(path, argv, envp);
        child_fail(fds[1], 4);
    }
    close(fds[1]);
    if (flags & CINCH_SPAWN_TRACE) {
        *error_fd_out = fds[0];
        return pid;
    }
    int stage = 0, err = 0;
    int got = cinch_spawn_read_error(fds[0], &stage, &err);
    if (got == 1) {
        *child_stage = stage;
        *child_errno = err;
    }
    return pid;
}

int cinch_spawn_read_error(int fd, int *stage, int *err) {
    int report[2] = {0, 0};
    size_t have = 0;
    while (have < sizeof report) {
        ssize_t n = read(fd, (char *)report + have, sizeof report - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0) break;
        have += (size_t)n;
    }
    close(fd);
    if (have < sizeof report) return 0;
    *stage = report[0];
    *err = report[1];
    return 1;
}

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif

int cinch_landlock_abi(void) { return (int)syscall(SYS_landlock_create_ruleset, NULL, 0, 1U /* VERSION */); }

int cinch_landlock_create_ruleset(uint64_t handled_fs, uint64_t handled_net) {
    // The kernel's struct landlock_ruleset_attr of ABI 4, which Debian 12's headers lack.
    struct {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
    } attr = {handled_fs, handled_net};
    size_t size = handled_net != 0 ? sizeof attr : sizeof attr.handled_access_fs;
    return (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0U);
}

int cinch_landlock_add_path_rule(int ruleset_fd, int parent_fd, uint64_t allowed) {
    // struct landlock_path_beneath_attr is packed: a u64 followed by an s32.
    struct __attribute__((packed)) {
        uint64_t allowed_access;
        int32_t parent_fd;
    } attr = {allowed, parent_fd};
    return (int)syscall(SYS_landlock_add_rule, ruleset_fd, 1 /* LANDLOCK_RULE_PATH_BENEATH */, &attr, 0U);
}

int cinch_landlock_restrict_self(int ruleset_fd, unsigned int flags) {
    return (int)syscall(SYS_landlock_restrict_self, ruleset_fd, flags);
}

int cinch_open_path(const char *path) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_NO_SYMLINKS;
    return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
}

int cinch_set_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); }

#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int cinch_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

int cinch_pidfd_send_signal(int pidfd, int sig, unsigned int flags) {
    return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, flags);
}

static volatile sig_atomic_t caught_signal = 0;
static atomic_int caught_count = 0;
static atomic_int forward_pidfd = -1;
static atomic_int handlers_forwarding = 0;
static int signal_pipe[2] = {-1, -1};
static int install_result = -1;
static int install_errno = 0;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void signal_handler(int sig) {
    int saved = errno;
    if (caught_signal == 0) caught_signal = sig;
    int count = atomic_fetch_add(&caught_count, 1) + 1;
    atomic_fetch_add(&handlers_forwarding, 1);
    int target = atomic_load(&forward_pidfd);
    if (target >= 0) {
        int forwarded = count > 1 ? SIGKILL : sig;
        syscall(SYS_pidfd_send_signal, target, forwarded, NULL, 0);
        // A stopped process acts on the signal only once continued (timeout(1) does the same).
        if (forwarded != SIGKILL) syscall(SYS_pidfd_send_signal, target, SIGCONT, NULL, 0);
    }
    atomic_fetch_sub(&handlers_forwarding, 1);
    unsigned char byte = (unsigned char)sig;
    // A full pipe (64 KiB of unread signals) drops the byte; the first signal is still remembered.
    ssize_t unused = write(signal_pipe[1], &byte, 1);
    (void)unused;
    errno = saved;
}

static void install_once_body(void) {
    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) {
        install_errno = errno;
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = signal_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    install_result = signal_pipe[0];
}

int cinch_install_signal_handlers(void) {
    pthread_once(&install_once, install_once_body);
    sigset_t caught;
    sigemptyset(&caught);
    sigaddset(&caught, SIGINT);
    sigaddset(&caught, SIGTERM);
    sigaddset(&caught, SIGHUP);
    pthread_sigmask(SIG_UNBLOCK, &caught, NULL);
    if (install_result < 0) errno = install_errno;
    return install_result;
}

int cinch_exchange_forward_pidfd(int pidfd) {
    int previous = atomic_exchange(&forward_pidfd, pidfd);
    // A handler on another thread may have read the previous descriptor and not yet used it.
    while (atomic_load(&handlers_forwarding) > 0) sched_yield();
    return previous;
}

int cinch_caught_signal(void) { return caught_signal; }

int cinch_caught_count(void) { return atomic_load(&caught_count); }

pid_t cinch_gettid(void) { return (pid_t)syscall(SYS_gettid); }

static int wake_signal = -1;
static int wake_errno = 0;
static pthread_once_t wake_once = PTHREAD_ONCE_INIT;

static void wake_handler(int sig) { (void)sig; }

static void wake_once_body(void) {
    int sig = SIGRTMIN + 4;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = wake_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // No SA_RESTART: the point is to interrupt a blocking call.
    if (sigaction(sig, &sa, NULL) != 0) {
        wake_errno = errno;
        return;
    }
    wake_signal = sig;
}

int cinch_install_wake_handler(void) {
    pthread_once(&wake_once, wake_once_body);
    if (wake_signal < 0) {
        errno = wake_errno;
        return -1;
    }
    sigset_t wake;
    sigemptyset(&wake);
    sigaddset(&wake, wake_signal);
    pthread_sigmask(SIG_UNBLOCK, &wake, NULL);
    return wake_signal;
}

int cinch_wake_thread(pid_t tid) {
    if (wake_signal < 0) {
        errno = EINVAL;
        return -1;
    }
    return (int)syscall(SYS_tgkill, getpid(), tid, wake_signal);
}

int cinch_set_pdeathsig(int sig) { return prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0); }

int cinch_set_child_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }

int cinch_pin_current_thread(int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

int cinch_current_cpu(void) { return sched_getcpu(); }

int cinch_has_cap_sys_admin(void) {
    struct __user_cap_header_struct header;
    struct __user_cap_data_struct data[2];
    memset(&header, 0, sizeof header);
    memset(data, 0, sizeof data);
    header.version = _LINUX_CAPABILITY_VERSION_3;
    header.pid = 0;
    if (syscall(SYS_capget, &header, data) != 0) return 0;
    return (data[CAP_SYS_ADMIN / 32].effective & (1u << (CAP_SYS_ADMIN % 32))) != 0;
}

extern char **environ;
char **cinch_environ(void) { return environ; }

int cinch_pipe_cloexec(int *fds) { return pipe2(fds, O_CLOEXEC); }
