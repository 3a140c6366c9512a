/*
 * cinch-probe — a test probe that makes exactly the syscalls it is asked for.
 *
 * Tests run it under `cinch record` and under `strace -f` and compare the
 * recordings. To keep libc noise small and deterministic the probe uses raw
 * syscall(SYS_x, ...) for every requested call, never touches stdio or the
 * locale, does not allocate, and prints (errors only) with write(2).
 *
 * Usage: cinch-probe STEP [STEP...]
 *
 * All steps are parsed and validated before the first one runs; on bad usage
 * the probe prints a message to stderr and exits 2 without running anything.
 * Steps then run in order and the probe ends with a raw exit_group(0).
 *
 * Steps:
 *   call:NAME        one raw syscall; NAME is one of
 *                      getpid getppid gettid getuid geteuid getgid getegid
 *                      uname sched_yield getcwd umask getpgrp getrusage times
 *                      sysinfo getrlimit prlimit64 getrandom membarrier
 *                      getpriority personality
 *                    (umask is two calls: set 022, then restore the old mask;
 *                    getrlimit/prlimit64 only read RLIMIT_NOFILE; getrandom
 *                    reads 16 bytes with GRND_NONBLOCK; membarrier is
 *                    MEMBARRIER_CMD_QUERY; personality is 0xffffffff, a query).
 *                    A failing call (-1) prints an error and exits 1, so a
 *                    seccomp profile that denies it with an errno is visible.
 *   loop:N           N raw getppid calls in a tight loop (benchmarks; N <= 10^12);
 *                    exits 1 afterwards if any of them failed.
 *   threads:N        start N pthreads (N <= 1024) that each make one raw gettid,
 *                    sched_yield and FUTEX_WAKE (so futex is always in the run),
 *                    then join them all.
 *   fork             fork(); the child makes a raw getppid and a raw
 *                    exit_group(0); the parent waits for it.
 *   vfork-exec:PATH[,ARG...]
 *                    vfork() + execve(PATH, {PATH, ARG..., NULL}, environ);
 *                    the parent waits; a nonzero child status is propagated
 *                    as the probe's exit status (128+SIG if it was killed,
 *                    127 if execve failed).
 *   exec:PATH[,ARG...]
 *                    execve(PATH, {PATH, ARG..., NULL}, environ) directly,
 *                    replacing the probe. Must be the last step.
 *   exec-from-thread:PATH[,ARG...]
 *                    a non-leader pthread calls execve (the kernel kills the
 *                    other threads and makes the caller the leader). Must be
 *                    the last step.
 *   orphan           fork a child that forks a grandchild and exits at once;
 *                    the grandchild sleeps 200 ms (nanosleep), makes a raw
 *                    getppid (it has been reparented by then) and exits 0.
 *                    The probe reaps the child, then sleeps 400 ms, so the
 *                    grandchild outlives its parent but not the probe.
 *   int80:NAME       one i386 compat syscall via `int $0x80` from 64-bit code;
 *                    NAME is getpid getuid getppid getgid geteuid. Result ignored.
 *   x32:NAME         one syscall numbered __X32_SYSCALL_BIT | x86_64 number,
 *                    NAME is getpid or getppid. On kernels without x32 support
 *                    it fails with ENOSYS; the result is ignored.
 *   socket:tcp|udp|unix
 *                    raw socket(2) (AF_INET/SOCK_STREAM, AF_INET/SOCK_DGRAM or
 *                    AF_UNIX/SOCK_STREAM), then raw close. Failure exits 1.
 *   exit:CODE        raw exit_group(CODE), CODE 0..255.
 *   signal:SIG       sigaction(SIG, SIG_DFL) then raise(SIG), SIG 1..64 (e.g.
 *                    signal:9; a tracer should then exit 128+SIG). The reset
 *                    undoes the Swift runtime's crash handlers (see do_signal).
 *                    If the signal does not kill the probe, the next step runs.
 *   sleep:MS         raw nanosleep for MS milliseconds (restarted on EINTR).
 *   seccomp:PATH     load the classic-BPF program in PATH (a struct sock_filter
 *                    array, as seccomp_export_bpf writes it) as a seccomp filter,
 *                    after PR_SET_NO_NEW_PRIVS. Failure exits 1. The following
 *                    steps run under it, so it must allow write and exit_group.
 *   raw:NR[,ARG...]  syscall(NR, ARG...) with up to six arguments (decimal or
 *                    0x hex); prints "RET ERRNO\n" to stdout (ERRNO 0 unless RET
 *                    is -1). Tests compare it with cinch's BPF interpreter.
 *   raw80:NR[,ARG...]
 *                    the same as an i386 compat syscall via `int $0x80`, with up
 *                    to six 32-bit arguments (ebx, ecx, edx, esi, edi, ebp).
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <asm/unistd.h> /* __X32_SYSCALL_BIT */

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif

#ifndef GRND_NONBLOCK
#define GRND_NONBLOCK 0x0001
#endif

#if !defined(__x86_64__)
#error "cinch-probe targets x86_64 (int80/x32 steps are x86-specific)"
#endif

extern char **environ;

/* i386 syscall numbers (arch/x86/entry/syscalls/syscall_32.tbl). Hard-coded on
 * purpose: the probe is a 64-bit program, so <sys/syscall.h> gives x86_64
 * numbers, which differ. */
enum {
    I386_NR_getpid = 20,
    I386_NR_getuid = 24,
    I386_NR_getgid = 47,
    I386_NR_geteuid = 49,
    I386_NR_getppid = 64,
};

#define MAX_STEPS 1024
#define MAX_EXEC_ARGS 8192
#define MAX_THREADS 1024
#define MAX_LOOP 1000000000000ULL

enum step_kind {
    STEP_CALL,
    STEP_LOOP,
    STEP_THREADS,
    STEP_FORK,
    STEP_VFORK_EXEC,
    STEP_EXEC,
    STEP_EXEC_FROM_THREAD,
    STEP_ORPHAN,
    STEP_INT80,
    STEP_X32,
    STEP_SOCKET,
    STEP_EXIT,
    STEP_SIGNAL,
    STEP_SLEEP,
    STEP_SECCOMP,
    STEP_RAW,
    STEP_RAW80,
};

enum call_id {
    CALL_getpid,
    CALL_getppid,
    CALL_gettid,
    CALL_getuid,
    CALL_geteuid,
    CALL_getgid,
    CALL_getegid,
    CALL_uname,
    CALL_sched_yield,
    CALL_getcwd,
    CALL_umask,
    CALL_getpgrp,
    CALL_getrusage,
    CALL_times,
    CALL_sysinfo,
    CALL_getrlimit,
    CALL_prlimit64,
    CALL_getrandom,
    CALL_membarrier,
    CALL_getpriority,
    CALL_personality,
};

/// A name → number pair for the lookup tables below.
struct name_num {
    const char *name;
    long num;
};

static const struct name_num call_names[] = {
    {"getpid", CALL_getpid},           {"getppid", CALL_getppid},
    {"gettid", CALL_gettid},           {"getuid", CALL_getuid},
    {"geteuid", CALL_geteuid},         {"getgid", CALL_getgid},
    {"getegid", CALL_getegid},         {"uname", CALL_uname},
    {"sched_yield", CALL_sched_yield}, {"getcwd", CALL_getcwd},
    {"umask", CALL_umask},             {"getpgrp", CALL_getpgrp},
    {"getrusage", CALL_getrusage},     {"times", CALL_times},
    {"sysinfo", CALL_sysinfo},         {"getrlimit", CALL_getrlimit},
    {"prlimit64", CALL_prlimit64},     {"getrandom", CALL_getrandom},
    {"membarrier", CALL_membarrier},   {"getpriority", CALL_getpriority},
    {"personality", CALL_personality}, {NULL, 0},
};

static const struct name_num int80_names[] = {
    {"getpid", I386_NR_getpid},   {"getuid", I386_NR_getuid},
    {"getppid", I386_NR_getppid}, {"getgid", I386_NR_getgid},
    {"geteuid", I386_NR_geteuid}, {NULL, 0},
};

static const struct name_num x32_names[] = {
    {"getpid", SYS_getpid},
    {"getppid", SYS_getppid},
    {NULL, 0},
};

static const struct name_num socket_names[] = {
    {"tcp", 0},
    {"udp", 1},
    {"unix", 2},
    {NULL, 0},
};

/// One parsed step: its kind, a numeric argument, and for exec-like steps a
/// NULL-terminated argv that points into exec_arg_pool.
struct step {
    enum step_kind kind;
    uint64_t num;
    char **argv;
    uint64_t args[6];
};

static struct step steps[MAX_STEPS];
static char *exec_arg_pool[MAX_EXEC_ARGS];
static size_t exec_arg_used;
static pthread_t thread_ids[MAX_THREADS];

/// Writes all of `len` bytes of `buf` to `fd`, retrying on EINTR and short writes.
static void write_all(int fd, const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += n;
        len -= (size_t)n;
    }
}

/// Writes a NUL-terminated string to stderr.
static void err_str(const char *s) { write_all(2, s, strlen(s)); }

/// Writes an unsigned decimal number to stderr.
static void err_num(uint64_t v) {
    char buf[24];
    size_t i = sizeof buf;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    write_all(2, buf + i, sizeof buf - i);
}

/// Ends the process immediately with a raw exit_group (no atexit handlers).
static _Noreturn void raw_exit(int code) {
    syscall(SYS_exit_group, code);
    for (;;) /* not reached */
        ;
}

/// Prints the usage text to `fd`.
static void usage_to(int fd) {
    static const char text[] =
        "usage: cinch-probe STEP [STEP...]\n"
        "steps:\n"
        "  call:NAME                  one raw syscall: getpid getppid gettid getuid geteuid\n"
        "                             getgid getegid uname sched_yield getcwd umask getpgrp\n"
        "                             getrusage times sysinfo getrlimit prlimit64 getrandom\n"
        "                             membarrier getpriority personality\n"
        "  loop:N                     N raw getppid calls\n"
        "  threads:N                  N pthreads, each gettid + sched_yield + futex wake; joined\n"
        "  fork                       fork; child getppid + exit; parent waits\n"
        "  vfork-exec:PATH[,ARG...]   vfork + execve; parent waits; nonzero status propagates\n"
        "  exec:PATH[,ARG...]         execve (last step only)\n"
        "  exec-from-thread:PATH[,ARG...]  execve from a non-leader thread (last step only)\n"
        "  orphan                     child exits, grandchild sleeps 200 ms + getppid; wait 400 ms\n"
        "  int80:NAME                 i386 syscall via int $0x80: getpid getuid getppid getgid geteuid\n"
        "  x32:NAME                   __X32_SYSCALL_BIT syscall: getpid getppid (result ignored)\n"
        "  socket:tcp|udp|unix        socket + close\n"
        "  exit:CODE                  exit_group(CODE)\n"
        "  signal:SIG                 reset SIG to SIG_DFL, raise(SIG)\n"
        "  sleep:MS                   nanosleep MS milliseconds\n"
        "  seccomp:PATH               load the BPF program in PATH as a seccomp filter\n"
        "  raw:NR[,ARG...]            syscall(NR, ARG...); prints \"RET ERRNO\"\n"
        "  raw80:NR[,ARG...]          the same through int $0x80 (i386, 32-bit arguments)\n";
    write_all(fd, text, sizeof text - 1);
}

/// Reports a usage error about `arg` and exits 2.
static _Noreturn void usage_error(const char *what, const char *arg) {
    err_str("cinch-probe: ");
    err_str(what);
    if (arg) {
        err_str(": ");
        err_str(arg);
    }
    err_str("\n");
    if (arg)
        err_str("usage: cinch-probe STEP [STEP...]  (cinch-probe --help lists the steps)\n");
    else
        usage_to(2);
    raw_exit(2);
}

/// Reports that `what` failed with `err` (an errno value) and exits with `code`.
/// The caller may already have written a "cinch-probe: CONTEXT: " prefix.
static _Noreturn void fail_after_prefix(const char *what, int err, int code) {
    err_str(what);
    err_str(" failed: errno ");
    err_num((uint64_t)err);
    err_str(" (");
    err_str(strerror(err));
    err_str(")\n");
    raw_exit(code);
}

/// Reports that `what` failed with `err` (an errno value) and exits with `code`.
static _Noreturn void fail(const char *what, int err, int code) {
    err_str("cinch-probe: ");
    fail_after_prefix(what, err, code);
}

/// Looks `name` up in a NULL-terminated table; returns 1 and sets *out on success.
static int lookup(const struct name_num *table, const char *name, long *out) {
    for (; table->name; table++) {
        if (strcmp(table->name, name) == 0) {
            *out = table->num;
            return 1;
        }
    }
    return 0;
}

/// Parses a non-empty decimal number no larger than `max`; returns 1 on success.
static int parse_u64(const char *s, uint64_t max, uint64_t *out) {
    uint64_t v = 0;
    if (*s == '\0')
        return 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return 0;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (max - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

/// Parses "NR[,ARG...]" (decimal or 0x hex, at most six arguments, each at most
/// `max`) into s->num and s->args; returns 1 on success.
static int parse_raw(const char *spec, uint64_t max, struct step *s) {
    uint64_t values[7] = {0};
    int count = 0;
    const char *p = spec;
    for (;;) {
        if (count == 7)
            return 0;
        uint64_t v = 0;
        int digits = 0;
        if (p[0] == '0' && p[1] == 'x') {
            for (p += 2; *p && *p != ','; p++, digits++) {
                int d = (*p >= '0' && *p <= '9') ? *p - '0'
                        : (*p >= 'a' && *p <= 'f') ? *p - 'a' + 10
                        : (*p >= 'A' && *p <= 'F') ? *p - 'A' + 10
                                                   : -1;
                if (d < 0 || digits == 16)
                    return 0;
                v = v << 4 | (uint64_t)d;
            }
        } else {
            for (; *p && *p != ','; p++, digits++) {
                if (*p < '0' || *p > '9' || v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
                    return 0;
                v = v * 10 + (uint64_t)(*p - '0');
            }
        }
        if (digits == 0 || (count > 0 && v > max))
            return 0;
        values[count++] = v;
        if (*p == '\0')
            break;
        p++;
    }
    if (values[0] > 0xffffffffULL)
        return 0;
    s->num = values[0];
    for (int i = 1; i < count; i++)
        s->args[i - 1] = values[i];
    return 1;
}

/// If `arg` starts with `prefix`, returns the rest of it; otherwise NULL.
static char *after(char *arg, const char *prefix) {
    size_t n = strlen(prefix);
    return strncmp(arg, prefix, n) == 0 ? arg + n : NULL;
}

/// Splits "PATH[,ARG...]" in place at the commas into a NULL-terminated argv
/// (argv[0] = PATH) stored in exec_arg_pool.
static char **split_exec_args(char *spec, const char *arg) {
    if (*spec == '\0' || *spec == ',')
        usage_error("missing PATH", arg);
    char **argv = &exec_arg_pool[exec_arg_used];
    for (char *p = spec;;) {
        if (exec_arg_used + 2 > MAX_EXEC_ARGS)
            usage_error("too many exec arguments", arg);
        exec_arg_pool[exec_arg_used++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    exec_arg_pool[exec_arg_used++] = NULL;
    return argv;
}

/// Parses one command-line argument into a step, exiting 2 if it is malformed.
static struct step parse_step(char *arg) {
    struct step s = {0};
    char *v;
    long n;
    if ((v = after(arg, "call:"))) {
        if (!lookup(call_names, v, &n))
            usage_error("unknown call", arg);
        s.kind = STEP_CALL;
        s.num = (uint64_t)n;
    } else if ((v = after(arg, "loop:"))) {
        if (!parse_u64(v, MAX_LOOP, &s.num))
            usage_error("bad loop count", arg);
        s.kind = STEP_LOOP;
    } else if ((v = after(arg, "threads:"))) {
        if (!parse_u64(v, MAX_THREADS, &s.num))
            usage_error("bad thread count (0..1024)", arg);
        s.kind = STEP_THREADS;
    } else if (strcmp(arg, "fork") == 0) {
        s.kind = STEP_FORK;
    } else if ((v = after(arg, "vfork-exec:"))) {
        s.kind = STEP_VFORK_EXEC;
        s.argv = split_exec_args(v, arg);
    } else if ((v = after(arg, "exec:"))) {
        s.kind = STEP_EXEC;
        s.argv = split_exec_args(v, arg);
    } else if ((v = after(arg, "exec-from-thread:"))) {
        s.kind = STEP_EXEC_FROM_THREAD;
        s.argv = split_exec_args(v, arg);
    } else if (strcmp(arg, "orphan") == 0) {
        s.kind = STEP_ORPHAN;
    } else if ((v = after(arg, "int80:"))) {
        if (!lookup(int80_names, v, &n))
            usage_error("unknown int80 call", arg);
        s.kind = STEP_INT80;
        s.num = (uint64_t)n;
    } else if ((v = after(arg, "x32:"))) {
        if (!lookup(x32_names, v, &n))
            usage_error("unknown x32 call", arg);
        s.kind = STEP_X32;
        s.num = (uint64_t)n;
    } else if ((v = after(arg, "socket:"))) {
        if (!lookup(socket_names, v, &n))
            usage_error("unknown socket type", arg);
        s.kind = STEP_SOCKET;
        s.num = (uint64_t)n;
    } else if ((v = after(arg, "exit:"))) {
        if (!parse_u64(v, 255, &s.num))
            usage_error("bad exit code (0..255)", arg);
        s.kind = STEP_EXIT;
    } else if ((v = after(arg, "signal:"))) {
        if (!parse_u64(v, 64, &s.num) || s.num == 0)
            usage_error("bad signal (1..64)", arg);
        s.kind = STEP_SIGNAL;
    } else if ((v = after(arg, "seccomp:"))) {
        if (*v == '\0')
            usage_error("missing PATH", arg);
        s.kind = STEP_SECCOMP;
        s.argv = split_exec_args(v, arg);
    } else if ((v = after(arg, "raw:"))) {
        if (!parse_raw(v, UINT64_MAX, &s))
            usage_error("bad raw syscall (NR[,ARG...], at most six arguments)", arg);
        s.kind = STEP_RAW;
    } else if ((v = after(arg, "raw80:"))) {
        if (!parse_raw(v, 0xffffffffULL, &s))
            usage_error("bad raw80 syscall (NR[,ARG...], at most six 32-bit arguments)", arg);
        s.kind = STEP_RAW80;
    } else if ((v = after(arg, "sleep:"))) {
        if (!parse_u64(v, 1000ULL * 1000 * 1000, &s.num))
            usage_error("bad sleep milliseconds", arg);
        s.kind = STEP_SLEEP;
    } else {
        usage_error("unknown step", arg);
    }
    return s;
}

/// Sleeps `ms` milliseconds with raw nanosleep, continuing after EINTR.
static void sleep_ms(uint64_t ms) {
    struct timespec req = {.tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L};
    struct timespec rem;
    while (syscall(SYS_nanosleep, &req, &rem) == -1 && errno == EINTR)
        req = rem;
}

/// Makes the raw syscall(s) for `call:NAME`; exits 1 if the call fails.
static void do_call(enum call_id id) {
    long r = 0;
    const char *name = call_names[id].name;
    switch (id) {
    case CALL_getpid: r = syscall(SYS_getpid); break;
    case CALL_getppid: r = syscall(SYS_getppid); break;
    case CALL_gettid: r = syscall(SYS_gettid); break;
    case CALL_getuid: r = syscall(SYS_getuid); break;
    case CALL_geteuid: r = syscall(SYS_geteuid); break;
    case CALL_getgid: r = syscall(SYS_getgid); break;
    case CALL_getegid: r = syscall(SYS_getegid); break;
    case CALL_uname: {
        struct utsname u;
        r = syscall(SYS_uname, &u);
        break;
    }
    case CALL_sched_yield: r = syscall(SYS_sched_yield); break;
    case CALL_getcwd: {
        char buf[4096];
        r = syscall(SYS_getcwd, buf, sizeof buf);
        break;
    }
    case CALL_umask: {
        long old = syscall(SYS_umask, 022);
        r = syscall(SYS_umask, old);
        break;
    }
    case CALL_getpgrp: r = syscall(SYS_getpgrp); break;
    case CALL_getrusage: {
        struct rusage ru;
        r = syscall(SYS_getrusage, RUSAGE_SELF, &ru);
        break;
    }
    case CALL_times: {
        struct tms t;
        r = syscall(SYS_times, &t);
        break;
    }
    case CALL_sysinfo: {
        struct sysinfo si;
        r = syscall(SYS_sysinfo, &si);
        break;
    }
    case CALL_getrlimit: {
        struct rlimit rl;
        r = syscall(SYS_getrlimit, RLIMIT_NOFILE, &rl);
        break;
    }
    case CALL_prlimit64: {
        struct rlimit rl;
        r = syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &rl);
        break;
    }
    case CALL_getrandom: {
        unsigned char buf[16];
        r = syscall(SYS_getrandom, buf, sizeof buf, GRND_NONBLOCK);
        break;
    }
    case CALL_membarrier: r = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0); break;
    case CALL_getpriority: r = syscall(SYS_getpriority, PRIO_PROCESS, 0); break;
    case CALL_personality: r = syscall(SYS_personality, 0xffffffffUL); break;
    }
    if (r == -1)
        fail(name, errno, 1);
}

/// Makes `n` raw getppid calls; exits 1 afterwards if any failed.
static void do_loop(uint64_t n) {
    uint64_t failures = 0;
    for (uint64_t i = 0; i < n; i++)
        failures += syscall(SYS_getppid) == -1;
    if (failures)
        fail("getppid (loop)", errno, 1);
}

/// A futex word nobody waits on; waking it makes `futex` part of every `threads:N` run.
static uint32_t thread_futex_word;

/// Thread body for `threads:N`: one raw gettid, one raw sched_yield and one raw FUTEX_WAKE.
///
/// `pthread_join` calls futex only when the thread has not exited yet, which depends on
/// scheduling; the explicit wake makes the set of syscalls the same on every run, so tests can
/// compare recorders exactly.
static void *thread_body(void *arg) {
    (void)arg;
    syscall(SYS_gettid);
    syscall(SYS_sched_yield);
    syscall(SYS_futex, &thread_futex_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

/// Starts `n` threads running thread_body and joins them all.
static void do_threads(uint64_t n) {
    for (uint64_t i = 0; i < n; i++) {
        int e = pthread_create(&thread_ids[i], NULL, thread_body, NULL);
        if (e)
            fail("pthread_create", e, 1);
    }
    for (uint64_t i = 0; i < n; i++) {
        int e = pthread_join(thread_ids[i], NULL);
        if (e)
            fail("pthread_join", e, 1);
    }
}

/// Waits for `pid` with waitpid (retrying on EINTR) and returns its status.
static int wait_for(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR)
            fail("waitpid", errno, 1);
    }
    return status;
}

/// fork(); the child makes a raw getppid and exits 0; the parent waits.
static void do_fork(void) {
    pid_t pid = fork();
    if (pid < 0)
        fail("fork", errno, 1);
    if (pid == 0) {
        syscall(SYS_getppid);
        raw_exit(0);
    }
    wait_for(pid);
}

/// vfork() + execve(argv[0], argv); the parent waits and propagates a nonzero
/// child status as its own exit status.
static void do_vfork_exec(char **argv) {
    pid_t pid = vfork();
    if (pid < 0)
        fail("vfork", errno, 1);
    if (pid == 0) {
        execve(argv[0], argv, environ);
        /* Only async-signal-safe calls are allowed in a vfork child. */
        err_str("cinch-probe: execve in vfork child failed: ");
        err_str(argv[0]);
        err_str("\n");
        _exit(127);
    }
    int status = wait_for(pid);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0)
        raw_exit(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
        raw_exit(128 + WTERMSIG(status));
}

/// execve(argv[0], argv) in the calling thread; on failure exits 127.
static _Noreturn void do_exec(char **argv) {
    execve(argv[0], argv, environ);
    int e = errno;
    err_str("cinch-probe: ");
    err_str(argv[0]);
    err_str(": ");
    fail_after_prefix("execve", e, 127);
}

/// Thread body for `exec-from-thread`: exec from a non-leader thread.
static void *exec_thread_body(void *arg) { do_exec((char **)arg); }

/// Starts a thread that calls execve; the main thread blocks in pthread_join
/// until the kernel tears it down during the exec.
static _Noreturn void do_exec_from_thread(char **argv) {
    pthread_t t;
    int e = pthread_create(&t, NULL, exec_thread_body, argv);
    if (e)
        fail("pthread_create", e, 1);
    pthread_join(t, NULL);
    /* Not reached: the exec succeeds (killing this thread) or exits 127. */
    raw_exit(1);
}

/// Forks a child that forks a grandchild and exits at once; the grandchild
/// sleeps 200 ms, makes a raw getppid and exits 0. Reaps the child, then sleeps
/// 400 ms so the grandchild finishes before the probe does.
static void do_orphan(void) {
    pid_t child = fork();
    if (child < 0)
        fail("fork", errno, 1);
    if (child == 0) {
        pid_t grandchild = fork();
        if (grandchild < 0)
            fail("fork (grandchild)", errno, 1);
        if (grandchild == 0) {
            sleep_ms(200);
            syscall(SYS_getppid);
            raw_exit(0);
        }
        raw_exit(0);
    }
    wait_for(child);
    sleep_ms(400);
}

/// Makes one i386 compat syscall `nr` (no arguments) with `int $0x80`.
/// The 64-bit kernel entry zeroes r8-r11 on return, so they are clobbered.
static long int80_syscall(long nr) {
    long ret = nr;
    __asm__ volatile("int $0x80"
                     : "+a"(ret)
                     :
                     : "r8", "r9", "r10", "r11", "memory", "cc");
    return ret;
}

/// Makes one i386 compat syscall `nr` with six 32-bit arguments via `int $0x80`.
/// ebp cannot be an asm operand, so the sixth argument goes through r12; the
/// red zone is stepped over before rbp is pushed.
static long int80_syscall6(long nr, const uint64_t *a) {
    long ret = nr;
    register uint64_t sixth __asm__("r12") = a[5];
    __asm__ volatile("sub $128, %%rsp\n\t"
                     "push %%rbp\n\t"
                     "mov %%r12d, %%ebp\n\t"
                     "int $0x80\n\t"
                     "pop %%rbp\n\t"
                     "add $128, %%rsp"
                     : "+a"(ret)
                     : "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4]), "r"(sixth)
                     : "r8", "r9", "r10", "r11", "memory", "cc");
    return (long)(int)ret; /* eax, sign-extended */
}

/// Writes "RET ERRNO\n" to stdout.
static void print_result(long ret, int err) {
    char buf[48];
    size_t i = sizeof buf;
    buf[--i] = '\n';
    uint64_t e = (uint64_t)err;
    do {
        buf[--i] = (char)('0' + e % 10);
        e /= 10;
    } while (e != 0);
    buf[--i] = ' ';
    uint64_t r = ret < 0 ? (uint64_t)(-(ret + 1)) + 1 : (uint64_t)ret;
    do {
        buf[--i] = (char)('0' + r % 10);
        r /= 10;
    } while (r != 0);
    if (ret < 0)
        buf[--i] = '-';
    write_all(1, buf + i, sizeof buf - i);
}

/// Loads the BPF program in `path` as a seccomp filter; exits 1 on failure.
static void do_seccomp(const char *path) {
    static struct sock_filter program[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        fail(path, errno, 1);
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, (char *)program + got, sizeof program - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            fail(path, errno, 1);
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (got == 0 || got % sizeof program[0] != 0)
        fail("seccomp program size", EINVAL, 1);
    struct sock_fprog fprog = {.len = (unsigned short)(got / sizeof program[0]), .filter = program};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        fail("prctl(PR_SET_NO_NEW_PRIVS)", errno, 1);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) != 0)
        fail("seccomp(SECCOMP_SET_MODE_FILTER)", errno, 1);
}

/// socket(2) of the given kind (0 tcp, 1 udp, 2 unix) then close; exits 1 on failure.
static void do_socket(uint64_t kind) {
    static const int domain[] = {AF_INET, AF_INET, AF_UNIX};
    static const int type[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM};
    long fd = syscall(SYS_socket, domain[kind], type[kind], 0);
    if (fd == -1)
        fail("socket", errno, 1);
    syscall(SYS_close, fd);
}

/// Resets `sig` to its default action, then raise(sig). The reset matters:
/// SwiftPM links libswiftCore into this executable and the Swift runtime's
/// backtracer installs handlers for SIGSEGV, SIGABRT, ... that would otherwise
/// catch the signal and let the probe carry on. (Fails harmlessly for
/// SIGKILL/SIGSTOP.)
static void do_signal(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL);
    raise(sig);
}

/// Runs one parsed step.
static void run_step(const struct step *s) {
    switch (s->kind) {
    case STEP_CALL: do_call((enum call_id)s->num); break;
    case STEP_LOOP: do_loop(s->num); break;
    case STEP_THREADS: do_threads(s->num); break;
    case STEP_FORK: do_fork(); break;
    case STEP_VFORK_EXEC: do_vfork_exec(s->argv); break;
    case STEP_EXEC: do_exec(s->argv);
    case STEP_EXEC_FROM_THREAD: do_exec_from_thread(s->argv);
    case STEP_ORPHAN: do_orphan(); break;
    case STEP_INT80: (void)int80_syscall((long)s->num); break;
    case STEP_X32: (void)syscall((long)(__X32_SYSCALL_BIT | s->num)); break;
    case STEP_SOCKET: do_socket(s->num); break;
    case STEP_EXIT: raw_exit((int)s->num);
    case STEP_SIGNAL: do_signal((int)s->num); break;
    case STEP_SLEEP: sleep_ms(s->num); break;
    case STEP_SECCOMP: do_seccomp(s->argv[0]); break;
    case STEP_RAW: {
        long r = syscall((long)s->num, s->args[0], s->args[1], s->args[2], s->args[3], s->args[4], s->args[5]);
        print_result(r, r == -1 ? errno : 0);
        break;
    }
    case STEP_RAW80: {
        long r = int80_syscall6((long)s->num, s->args);
        print_result(r > -4096 && r < 0 ? -1 : r, r > -4096 && r < 0 ? (int)-r : 0);
        break;
    }
    }
}

/// Parses and validates every step, then runs them in order and exits 0.
int main(int argc, char **argv) {
    if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        usage_to(1);
        raw_exit(0);
    }
    if (argc < 2)
        usage_error("no steps given", NULL);
    if (argc - 1 > MAX_STEPS)
        usage_error("too many steps", NULL);
    int count = argc - 1;
    for (int i = 0; i < count; i++) {
        steps[i] = parse_step(argv[i + 1]);
        enum step_kind k = steps[i].kind;
        if ((k == STEP_EXEC || k == STEP_EXEC_FROM_THREAD) && i != count - 1)
            usage_error("exec steps must be the last step", argv[i + 1]);
    }
    for (int i = 0; i < count; i++)
        run_step(&steps[i]);
    raw_exit(0);
}
