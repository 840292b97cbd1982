/* SPDX-License-Identifier: MIT */
/*
 * One cgroup per sandbox: created before the sandbox runs its first
 * instruction (the helper is moved in before it reads its config), limits
 * memory (no swap), processes and CPU, meters CPU time, peak memory and OOM
 * kills, kills everything at the end, and is removed after.
 * cgroup v2 where a delegated subtree with the memory, pids and cpu
 * controllers is writable; cgroup v1 (memory, pids, cpu, cpuacct, freezer)
 * where only v1 is.
 */
#pragma once
#include <stdint.h>
#include <sys/types.h>

#include "sandbox/sandbox.h"

enum ci_cg_controller { CG_MEMORY, CG_PIDS, CG_CPU, CG_CPUACCT, CG_FREEZER, CG_COUNT };

struct ci_cgroup {
    ci_cgroup_mode mode;          /* V1, V2 or NONE */
    char *dir[CG_COUNT];          /* v1: one dir per controller (may repeat); v2: dir[0] only */
    uint64_t oom_kills_at_start;  /* per-execution OOM detection */
    uint64_t cpu_ns_at_start;
};

struct ci_cgroup_usage {
    uint64_t cpu_ns;      /* since the cgroup was made */
    uint64_t peak_bytes;  /* since the last ci_cgroup_reset_peak, where the kernel allows */
    uint64_t oom_kills;   /* since the cgroup was made */
};

/* Picks the mode (cfg->cgroup_mode, AUTO: v2 then v1), creates the cgroup
 * for session `id` and writes the limits. With mode NONE (explicitly
 * accepted by the caller) nothing is made. A negative CI_E* with a message
 * naming what is missing otherwise.
 * `sysfs` is the cgroup filesystem root (normally /sys/fs/cgroup; tests pass
 * a scratch directory laid out like cgroupfs), `self_cgroup` the contents
 * of /proc/self/cgroup and `mountinfo` of /proc/self/mountinfo (NULL: read
 * them). */
int ci_cgroup_create(struct ci_cgroup *cg, const struct ci_sandbox_params *cfg, const char *id,
                     const char *self_cgroup, const char *mountinfo, char *err, size_t errlen);
/* Moves a process in (before it runs untrusted code). */
int ci_cgroup_attach(struct ci_cgroup *cg, pid_t pid, char *err, size_t errlen);
int ci_cgroup_usage(const struct ci_cgroup *cg, struct ci_cgroup_usage *u);
/* Resets the peak-memory watermark; 1 if done, 0 if the kernel cannot (the
 * peak is then the session's). */
int ci_cgroup_reset_peak(struct ci_cgroup *cg);
/* Kills every process in the cgroup (cgroup.kill, or freeze + SIGKILL). */
void ci_cgroup_kill(struct ci_cgroup *cg);
/* Kills, then removes the directories. */
void ci_cgroup_destroy(struct ci_cgroup *cg);
