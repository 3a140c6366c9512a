// SPDX-License-Identifier: Apache-2.0
// Inline shims for libseccomp macros that Swift cannot import (function-like or compound macros).
#ifndef CINCH_CSECCOMP_SHIM_H
#define CINCH_CSECCOMP_SHIM_H

#include <seccomp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// glibc declares `memfd_create` only under `_GNU_SOURCE`, which a module header cannot set
/// reliably, so it is declared here (glibc >= 2.27 exports it). `MFD_CLOEXEC` is 1.
extern int memfd_create(const char *_Nonnull name, unsigned int flags);
#define CINCH_MFD_CLOEXEC 1U

/// `free(3)` for buffers libseccomp and the export shims allocate. A C module does not re-export
/// libc to Swift files that import it, so without this each would import Glibc just for `free`.
static inline void cinch_scmp_free(void *_Nullable pointer) { free(pointer); }

/// `SCMP_ACT_ERRNO(x)`: a function-like macro, so Swift cannot import it.
static inline uint32_t cinch_scmp_act_errno(uint16_t errno_value) { return SCMP_ACT_ERRNO(errno_value); }

/// `SCMP_ACT_TRACE(x)`: a function-like macro, so Swift cannot import it.
static inline uint32_t cinch_scmp_act_trace(uint16_t message) { return SCMP_ACT_TRACE(message); }

/// `SCMP_ACT_KILL_THREAD`, `SCMP_ACT_TRAP`, `SCMP_ACT_LOG` and friends are simple macros on
/// some libseccomp versions and expressions on others; these keep Swift independent of that.
static inline uint32_t cinch_scmp_act_kill_thread(void) { return SCMP_ACT_KILL_THREAD; }
static inline uint32_t cinch_scmp_act_kill_process(void) { return SCMP_ACT_KILL_PROCESS; }
static inline uint32_t cinch_scmp_act_trap(void) { return SCMP_ACT_TRAP; }
static inline uint32_t cinch_scmp_act_log(void) { return SCMP_ACT_LOG; }
static inline uint32_t cinch_scmp_act_allow(void) { return SCMP_ACT_ALLOW; }
#ifdef SCMP_ACT_NOTIFY
static inline uint32_t cinch_scmp_act_notify(void) { return SCMP_ACT_NOTIFY; }
#else
static inline uint32_t cinch_scmp_act_notify(void) { return 0x7fc00000U; }
#endif

/// The `SCMP_ARCH_*` tokens expand to `AUDIT_ARCH_*` expressions Swift cannot evaluate.
static inline uint32_t cinch_scmp_arch_native(void) { return SCMP_ARCH_NATIVE; }

/// `__NR_SCMP_ERROR`: what the name-resolution functions return for an unknown name.
static inline int cinch_nr_scmp_error(void) { return __NR_SCMP_ERROR; }

/// Exports the compiled BPF program of `ctx` into a malloc'd buffer.
///
/// libseccomp 2.5 can only export to a file descriptor (`seccomp_export_bpf_mem` arrived in
/// 2.6), so this goes through an anonymous memfd. On success returns 0 and stores the buffer
/// (free it with `free`) and its length in bytes; on failure returns a negative errno value.
static inline int cinch_seccomp_export_bpf_buffer(scmp_filter_ctx ctx, void *_Nullable *_Nonnull out,
                                                  size_t *_Nonnull out_len) {
    *out = NULL;
    *out_len = 0;
    int fd = memfd_create("cinch-bpf", CINCH_MFD_CLOEXEC);
    if (fd < 0) return -1;
    int rc = seccomp_export_bpf(ctx, fd);
    if (rc < 0) { close(fd); return rc; }
    off_t len = lseek(fd, 0, SEEK_END);
    if (len < 0) { close(fd); return -5; }
    void *buf = malloc(len > 0 ? (size_t)len : 1);
    if (buf == NULL) { close(fd); return -12; }
    ssize_t got = pread(fd, buf, (size_t)len, 0);
    close(fd);
    if (got != len) { free(buf); return -5; }
    *out = buf;
    *out_len = (size_t)len;
    return 0;
}

/// Exports libseccomp's pseudo filter code (PFC) of `ctx` into a malloc'd NUL-terminated string.
///
/// Returns 0 on success (free `*out`), or a negative errno value.
static inline int cinch_seccomp_export_pfc_string(scmp_filter_ctx ctx, char *_Nullable *_Nonnull out) {
    *out = NULL;
    int fd = memfd_create("cinch-pfc", CINCH_MFD_CLOEXEC);
    if (fd < 0) return -1;
    int rc = seccomp_export_pfc(ctx, fd);
    if (rc < 0) { close(fd); return rc; }
    off_t len = lseek(fd, 0, SEEK_END);
    if (len < 0) { close(fd); return -5; }
    char *buf = malloc((size_t)len + 1);
    if (buf == NULL) { close(fd); return -12; }
    ssize_t got = pread(fd, buf, (size_t)len, 0);
    close(fd);
    if (got != len) { free(buf); return -5; }
    buf[len] = 0;
    *out = buf;
    return 0;
}

#endif
