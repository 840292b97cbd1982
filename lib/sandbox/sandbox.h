/* SPDX-License-Identifier: MIT */
/*
 * The sandbox backend interface. The core drives a sandbox only through
 * these operations, so another isolation technology (a microVM, a pre-forked
 * pool) can replace the process backend without touching sessions.
 * Bump CI_SANDBOX_OPS_VERSION when the struct changes.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/config_internal.h"

#define CI_SANDBOX_OPS_VERSION 2

struct ci_sandbox;

struct ci_spawned {
    int pid;  /* in the sandbox's pid namespace */
    int ctl;  /* bidirectional control stream to the runner */
    int out;  /* read end of the runner's stdout */
    int err;  /* read end of the runner's stderr */
};

/* A system call the sandbox refused, and how many times. */
struct ci_denied_call {
    char *name;      /* e.g. "mount"; "i386 getpid" / "x32 getpid" for
                        another ABI; "syscall 999" when it has no name */
    uint64_t count;
};

struct ci_sandbox_ops {
    unsigned version;
    const char *name;
    /* Builds the sandbox for session `id`. On failure returns a negative
     * CI_E* code and writes a message naming the failed layer into err. */
    int (*start)(const struct ci_config *cfg, const char *id, struct ci_sandbox **out,
                 char *err, size_t errlen);
    /* Starts a program in the sandbox with cwd /workspace. */
    int (*spawn)(struct ci_sandbox *sb, const char *const *argv, const char *const *envp,
                 struct ci_spawned *out, char *err, size_t errlen);
    /* Kills every process of the sandbox (the sandbox itself stays). */
    int (*kill_all)(struct ci_sandbox *sb);
    /* Waits up to timeout_ms for a spawned program to end; *exited tells
     * whether it did, then *code (-1 if signaled) and *sig. */
    int (*wait)(struct ci_sandbox *sb, int pid, int timeout_ms, int *exited, int *code, int *sig);
    /* Kills one spawned program and waits for it. */
    int (*kill)(struct ci_sandbox *sb, int pid);
    /* Stops (busy) or restarts (idle) the idle-lifetime clock. */
    void (*set_busy)(struct ci_sandbox *sb, int busy);
    /* 0 while usable; CI_EEXPIRED once the idle lifetime ran out; CI_ECLOSED
     * if the sandbox died. Never blocks. */
    int (*check)(struct ci_sandbox *sb);
    /* A descriptor that becomes readable when check() may have changed. */
    int (*event_fd)(struct ci_sandbox *sb);
    /* Resource use so far (CI_EUNSUPPORTED when not metered). */
    int (*usage)(struct ci_sandbox *sb, uint64_t *cpu_ns, uint64_t *peak_bytes, uint64_t *oom_kills);
    /* Restarts the peak-memory watermark; 1 if the kernel allows it. */
    int (*reset_peak)(struct ci_sandbox *sb);
    ci_cgroup_mode (*limits_mode)(struct ci_sandbox *sb);
    /* Host directories of /workspace (rw), /output (rw, sent to S3 after
     * an execution) and /data (ro inside, S3 inputs written by the host).
     * The sandbox writes the first two: access them only through
     * lib/util/safe_path. */
    const char *(*workspace)(struct ci_sandbox *sb);
    const char *(*output_dir)(struct ci_sandbox *sb);
    const char *(*data_dir)(struct ci_sandbox *sb);
    /* The system calls refused since the last call (malloc'd array of
     * *n entries, NULL when none; names malloc'd too). 0, or a negative
     * CI_E* (CI_EUNSUPPORTED: this backend cannot tell). Version 2. */
    int (*denials)(struct ci_sandbox *sb, struct ci_denied_call **out, size_t *n);
    /* Kills everything, removes the session's files, frees sb. */
    void (*destroy)(struct ci_sandbox *sb);
};

extern const struct ci_sandbox_ops ci_process_sandbox_ops;

/* seccomp_policy.c: the BPF program of the deny-list, compiled once per
 * process, and the AUDIT_ARCH_* of its native ABI. 0 with a pointer to
 * static storage, or a negative CI_E*. */
int ci_seccomp_policy_bpf(const void **data, size_t *len, uint32_t *arch, char *err,
                          size_t errlen);

/* uid_lease.c: a host uid (and gid) held exclusively by this session while
 * the lease fd stays open (flock on <lease_dir>/<uid>). The lease dir is
 * one per host (CI_UID_LEASE_DIR), whatever the state dir, so two host
 * processes with different state dirs never share a sandbox uid. */
#define CI_UID_LEASE_DIR "/run/codeinterp/uids"

struct ci_uid_lease {
    uid_t uid;
    int fd;
};
int ci_uid_lease_take(const char *lease_dir, uint32_t base, uint32_t count,
                      struct ci_uid_lease *out, char *err, size_t errlen);
void ci_uid_lease_release(struct ci_uid_lease *l);
