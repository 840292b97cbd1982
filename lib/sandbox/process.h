/* SPDX-License-Identifier: MIT */
/* The "process" backend's pieces, shared by its files (process_*.c) only. */
#pragma once
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/cgroup.h"
#include "sandbox/host_files.h"
#include "sandbox/sandbox.h"
#include "sandbox/workspace_disk.h"

/* How long the helper may take to build the sandbox, to answer a request,
 * and to shut down. */
#define CI_PROCESS_SETUP_TIMEOUT_MS 30000
#define CI_PROCESS_REPLY_TIMEOUT_MS 10000
#define CI_PROCESS_SHUTDOWN_TIMEOUT_MS 5000

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

/* seccomp_policy.c: the BPF program of the allow-list, compiled once per
 * process, and the AUDIT_ARCH_* of its native ABI. 0 with a pointer to
 * static storage, or a negative CI_E*. */
int ci_seccomp_policy_bpf(const void **data, size_t *len, uint32_t *arch, char *err,
                          size_t errlen);

/* Runners whose exit the init told us of and nobody spawned again since.
 * The init tracks at most 16 runners; twice that many, oldest forgotten
 * first, outlasts any runner the core still waits on. */
#define CI_PROCESS_MAX_ENDED 32

struct ci_sandbox {
    int sock;
    pid_t helper_pid;
    int helper_pidfd;
    int init_pidfd;
    int state;             /* CI_OK, CI_EEXPIRED or CI_ECLOSED */
    struct ci_uid_lease lease;
    gid_t gid;             /* the sandbox user's host gid */
    int is_root;           /* a root host: what we create is given to lease.uid */
    struct ci_cgroup cg;
    struct ci_disk_job disk; /* while the volume is being made */
    int sessions_fd;       /* <state>/sessions */
    int lock_fd;           /* <state>/sessions/<id>.lock, held while alive */
    char *sessions_path;   /* <state>/sessions */
    char id[64];
    char *volume;          /* <state>/sessions/<id>/volume: the capped filesystem */
    char *workspace;       /* volume/workspace -> /workspace (rw) */
    char *output;          /* volume/output -> /output (rw) */
    char *data;            /* volume/data -> /data (ro) */
    struct ci_host_areas areas; /* the three above, for host_files.c */
    int ended[CI_PROCESS_MAX_ENDED]; /* pids, 0: free; a ring */
    unsigned ended_next;
};

/* process_state.c */
/* Opens the state dir, creating it if needed, and checks that nobody else
 * can plant anything in it. The descriptor, or -1 with err set. */
int ci_process_open_state_dir(const struct ci_sandbox_params *p, int is_root, char *err,
                              size_t errlen);
/* Takes the session's lock and makes its folder and volume (mke2fs starts
 * in the background for a capped one); sweeps stale sessions first. */
int ci_process_prepare_dirs(const struct ci_sandbox_params *p, struct ci_sandbox *sb,
                            char *err, size_t errlen);
/* Mounts the volume (waiting for mke2fs) and makes its three folders. */
int ci_process_finish_volume(const struct ci_sandbox_params *p, struct ci_sandbox *sb,
                             char *err, size_t errlen);
/* Removes the session's folder, volume and lock. */
void ci_process_remove_state(struct ci_sandbox *sb);

/* process_helper.c */
int ci_process_spawn_helper(struct ci_sandbox *sb, const char *helper, int child_sock, char *err,
                            size_t errlen);
/* Sends the sandbox's configuration to the helper. */
int ci_process_send_config(struct ci_sandbox *sb, const struct ci_sandbox_params *p,
                           const void *bpf, size_t bpf_len, uint32_t arch, char *err,
                           size_t errlen);
int ci_process_await_ready(struct ci_sandbox *sb, char *err, size_t errlen);
/* Receives the next message, waiting up to timeout_ms; "expired" and
 * "exited" messages met on the way update the state and sb->ended. 0, -ETIMEDOUT, -EPIPE (helper gone) or
 * another -errno: the protocol's own transport codes, never returned by an
 * op. */
int ci_process_recv(struct ci_sandbox *sb, int timeout_ms, cJSON **msg, int *fds, size_t *nfds);
int ci_process_send_op(struct ci_sandbox *sb, const char *op);
void ci_process_mark_closed(struct ci_sandbox *sb);
/* Ends the sandbox's processes and the helper. */
void ci_process_stop(struct ci_sandbox *sb);
int ci_process_spawn(struct ci_sandbox *sb, const char *const *argv, const char *const *envp,
                     struct ci_spawned *out, char *err, size_t errlen);
int ci_process_kill_all(struct ci_sandbox *sb);
int ci_process_wait(struct ci_sandbox *sb, int pid, int timeout_ms, int *exited, int *code,
                    int *sig);
int ci_process_kill(struct ci_sandbox *sb, int pid);
void ci_process_set_busy(struct ci_sandbox *sb, int busy);
int ci_process_check(struct ci_sandbox *sb);
int ci_process_event_fd(struct ci_sandbox *sb);
int ci_process_ended(struct ci_sandbox *sb, int pid);
int ci_process_mark(struct ci_sandbox *sb);
int ci_process_sweep(struct ci_sandbox *sb, unsigned *killed);

/* process_denials.c */
int ci_process_denials(struct ci_sandbox *sb, struct ci_denied_call **out, size_t *n);

