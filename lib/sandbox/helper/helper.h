/* SPDX-License-Identifier: MIT */
/* codeinterp-sandbox: the helper the library execs to build a sandbox.
 * It runs single-threaded, so unlike the library it may do anything
 * between fork and exec. */
#pragma once
#include <stdint.h>
#include <sys/types.h>

/* A host path bound read-only into the sandbox (runner kernels and
 * runtime environments: the library says which, the helper knows no
 * language). */
struct helper_bind {
    const char *source; /* host path */
    const char *target; /* absolute path inside the sandbox */
    int required;       /* 0: skipped when the source does not exist */
};

#define HELPER_MAX_BINDS 16

struct helper_config {
    uid_t uid;            /* host uid the sandbox runs as */
    gid_t gid;
    int switch_user;      /* the helper starts as root and must become uid/gid */
    int share_network;    /* 0: own network namespace with loopback only */
    const char *workspace;
    const char *output;
    const char *data;
    struct helper_bind *binds;  /* read-only binds the runners need */
    size_t bind_count;
    uint64_t tmp_size;
    uint64_t nproc;
    uint64_t nofile;
    uint64_t fsize;
    uint64_t idle_ms;
    uint64_t lifetime_ms; /* from the config message on; 0: none */
    uint64_t data_limit;  /* RLIMIT_DATA, 0: unlimited */
    uint64_t memory_limit; /* the sandbox's memory cap, what /proc/meminfo says */
    uint64_t cpu_millis;  /* CPU quota in thousandths of a CPU, 0: none */
    unsigned cpus;        /* CPUs the sandbox runs on (set by stage one) */
    unsigned char *seccomp_bpf;
    size_t seccomp_len;
    uint32_t seccomp_arch; /* AUDIT_ARCH_* of the native syscall ABI */
};

/* uid and gid the sandboxed code sees */
#define HELPER_INNER_ID 1000

/* A setup failure: which layer, and errno. Sent to the library as an
 * "error" message. */
struct helper_error {
    const char *layer;
    int err;
    char detail[256];
};

int helper_fail(struct helper_error *e, const char *layer, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* helper_mounts.c: builds the new root and pivots into it (in the sandbox's
 * init, inside the new user, mount and pid namespaces). */
int helper_setup_filesystem(const struct helper_config *cfg, struct helper_error *e);

/* helper_procview.c: masks the /proc entries that describe the host and
 * serves the sandbox's own meminfo, cpuinfo, stat, uptime, loadavg,
 * diskstats, partitions, swaps, boot id and /sys/devices/system/cpu (in
 * the init, after the new /proc is mounted and before pivot_root). */
int helper_procview_setup(const struct helper_config *cfg, struct helper_error *e);
/* Rewrites uptime, loadavg and meminfo (the init, when an execution
 * starts). */
void helper_procview_refresh(void);

/* helper_init.c: the rest of the in-sandbox setup (hostname, loopback,
 * rlimits, capabilities, no_new_privs, seccomp), then the init loop that
 * spawns runners, reaps, and enforces the idle lifetime. Never returns. */
void helper_run_init(const struct helper_config *cfg, int sock) __attribute__((noreturn));
void helper_send_error(int sock, const struct helper_error *e);

/* helper_notify.c: the seccomp filter's denials come to the init as user
 * notifications, are answered with the policy's errno and counted here. */
struct helper_denial {
    uint32_t arch; /* AUDIT_ARCH_* of the call's ABI */
    int nr;
    uint64_t count;
};
/* Loads the filter (the last step of the isolation) and returns the
 * listener descriptor, or -1 with e set. */
int helper_seccomp_load(const struct helper_config *cfg, struct helper_error *e);
/* Answers one pending notification of listener fd (poll said readable). */
void helper_notify_handle(int fd);
/* Hands out the counts since the last call (at most cap; the calls of
 * those left out are added to *more) and starts counting afresh. */
size_t helper_notify_take(struct helper_denial *out, size_t cap, uint64_t *more);

/* helper_sweep.c: what an execution leaves running. The init marks the
 * sandbox's processes when an execution starts and sweeps at its end:
 * every process that was not alive at the mark is killed, but the init
 * and the runners it spawned that still run. A process is known by its
 * pid and its start time (field 22 of /proc/PID/stat), so a pid reused
 * since the mark is not mistaken for a marked process. */
/* Most processes a mark holds, whatever the process limit says. */
#define HELPER_MAX_MARKS 65536
/* Records every process alive now (but the init itself), replacing any
 * earlier mark. `cap`: the most it may hold (the sandbox's process limit
 * and some slack; at most HELPER_MAX_MARKS). The count, or -errno: -E2BIG
 * when there are more processes than cap, -ENOMEM, or what reading /proc
 * failed with. A failed mark leaves no mark at all, so that the next sweep
 * refuses instead of killing processes that may be older. */
long helper_mark(size_t cap);
/* Kills (SIGKILL) every process not in the mark, but the init and the
 * pids in keep (the live runners), pass after pass until one finds nothing
 * new (at most HELPER_SWEEP_PASSES), and counts them in *killed. Uses up
 * the mark. 0, -ENOENT when no mark holds (none was made, the last one
 * failed, or a sweep used it): then nothing is killed; or -ENOMEM / an
 * error reading /proc, after killing what it could. The caller reaps. */
#define HELPER_SWEEP_PASSES 64
int helper_sweep(const pid_t *keep, size_t nkeep, unsigned *killed);
