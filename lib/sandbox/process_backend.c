/* SPDX-License-Identifier: MIT */
/*
 * The "process" sandbox backend: a sandbox is a tree of processes in their
 * own namespaces, built by the codeinterp-sandbox helper (process_helper.c)
 * over host state kept in the state dir (process_state.c); the session's
 * files are served from the host folders (host_files.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sandbox/cgroup.h"
#include "sandbox/process.h"
#include "util/fdutil.h"

static void process_destroy(struct ci_sandbox *sb)
{
    if (!sb)
        return;
    ci_process_stop(sb);
    ci_process_remove_state(sb);
    ci_cgroup_destroy(&sb->cg);
    ci_uid_lease_release(&sb->lease);
    free(sb->volume);
    free(sb->workspace);
    free(sb->output);
    free(sb->data);
    free(sb->sessions_path);
    free(sb);
}

/* The session's files for host_files.c: what the host makes in the areas
 * the sandbox writes is given to the sandbox's user (on a root host, where
 * the host process is someone else); /data stays the host's. */
static void set_areas(struct ci_sandbox *sb)
{
    struct ci_safe_owner user = { sb->lease.uid, sb->gid, sb->is_root };
    sb->areas = (struct ci_host_areas){
        .path = { sb->workspace, sb->output, sb->data },
        .owner = { user, user, { 0, 0, 0 } },
    };
}

/* Takes the sandbox's user: on a root host a uid of its own, leased from
 * the configured range; otherwise the caller's, mapped in a user
 * namespace. */
static int take_user(const struct ci_sandbox_params *cfg, struct ci_sandbox *sb, char *err,
                     size_t errlen)
{
    sb->is_root = geteuid() == 0;
    if (!sb->is_root) {
        sb->lease.uid = geteuid();
        sb->gid = getegid();
        return CI_OK;
    }
    int sfd = ci_process_open_state_dir(cfg, 1, err, errlen);
    if (sfd < 0)
        return CI_EIO;
    close(sfd);
    int r = ci_uid_lease_take(CI_UID_LEASE_DIR, cfg->uid_base, cfg->uid_count, &sb->lease, err,
                              errlen);
    sb->gid = sb->lease.uid;
    return r;
}

/* Starts the helper in the session's cgroup and hands it its config. */
static int start_helper(const struct ci_sandbox_params *cfg, struct ci_sandbox *sb, char *err,
                        size_t errlen)
{
    const void *bpf;
    size_t bpf_len;
    uint32_t arch;
    int r = ci_seccomp_policy_bpf(&bpf, &bpf_len, &arch, err, errlen);
    if (r < 0)
        return r;
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        return CI_EIO;
    }
    sb->sock = sp[0];
    r = ci_process_spawn_helper(sb, cfg->helper_path, sp[1], err, errlen);
    close(sp[1]);
    if (r < 0)
        return r;
    ci_fd_set_nonblock(sb->sock, 1);
    /* The helper waits for its config: it runs nothing before it is in the
     * cgroup. (A v1 cgroup move waits for an RCU grace period; mke2fs runs
     * meanwhile.) */
    r = ci_cgroup_attach(&sb->cg, sb->helper_pid, err, errlen);
    if (r == CI_OK)
        r = ci_process_finish_volume(cfg, sb, err, errlen);
    if (r == CI_OK)
        r = ci_process_send_config(sb, cfg, bpf, bpf_len, arch, err, errlen);
    return r;
}

static int process_start(const struct ci_sandbox_params *cfg, struct ci_sandbox **out,
                         char *err, size_t errlen)
{
    struct ci_sandbox *sb = calloc(1, sizeof(*sb));
    if (!sb)
        return CI_ENOMEM;
    sb->sock = sb->helper_pidfd = sb->init_pidfd = sb->sessions_fd = sb->lock_fd = sb->lease.fd = -1;
    sb->disk.imgfd = sb->disk.mkfs_pidfd = -1;
    snprintf(sb->id, sizeof(sb->id), "%s", cfg->id);
    int r = take_user(cfg, sb, err, errlen);
    if (r == CI_OK)
        r = ci_process_prepare_dirs(cfg, sb, err, errlen);
    if (r == CI_OK)
        set_areas(sb);
    if (r == CI_OK)
        r = ci_cgroup_create(&sb->cg, cfg, sb->id, NULL, NULL, err, errlen);
    if (r == CI_OK)
        r = start_helper(cfg, sb, err, errlen);
    if (r == CI_OK)
        r = ci_process_await_ready(sb, err, errlen);
    if (r < 0)
        goto fail;
    *out = sb;
    return CI_OK;
fail:
    process_destroy(sb);
    return r;
}

static int process_usage(struct ci_sandbox *sb, uint64_t *cpu_ns, uint64_t *peak, uint64_t *ooms)
{
    struct ci_cgroup_usage u;
    int r = ci_cgroup_usage(&sb->cg, &u);
    if (r == CI_OK) {
        *cpu_ns = u.cpu_ns;
        *peak = u.peak_bytes;
        *ooms = u.oom_kills;
    }
    return r;
}

static int process_reset_peak(struct ci_sandbox *sb)
{
    return ci_cgroup_reset_peak(&sb->cg);
}

static ci_cgroup_mode process_limits_mode(struct ci_sandbox *sb)
{
    return sb->cg.mode;
}

static int process_file_open(struct ci_sandbox *sb, enum ci_area area, const char *name, int *fd,
                             uint64_t *size, char *err, size_t errlen)
{
    return ci_host_file_open(&sb->areas, area, name, fd, size, err, errlen);
}

static int process_write_begin(struct ci_sandbox *sb, enum ci_area area, const char *name,
                               struct ci_sb_write **w, int *fd, char *err, size_t errlen)
{
    return ci_host_write_begin(&sb->areas, area, name, w, fd, err, errlen);
}

static int process_write_commit(struct ci_sandbox *sb, struct ci_sb_write *w, char *err,
                                size_t errlen)
{
    return ci_host_write_commit(&sb->areas, w, err, errlen);
}

static void process_write_end(struct ci_sandbox *sb, struct ci_sb_write *w, int keep)
{
    ci_host_write_end(&sb->areas, w, keep);
}

static int process_list(struct ci_sandbox *sb, enum ci_area area, const char *dir,
                        struct ci_safe_page *page, char *err, size_t errlen)
{
    return ci_host_list(&sb->areas, area, dir, page, err, errlen);
}

static int process_remove(struct ci_sandbox *sb, enum ci_area area, const char *name, char *err,
                          size_t errlen)
{
    return ci_host_remove(&sb->areas, area, name, err, errlen);
}

static int process_walk(struct ci_sandbox *sb, enum ci_area area, size_t max_entries,
                        int max_depth, struct ci_safe_walk *out, char *err, size_t errlen)
{
    return ci_host_walk(&sb->areas, area, max_entries, max_depth, out, err, errlen);
}

const struct ci_sandbox_ops ci_process_sandbox_ops = {
    .version = CI_SANDBOX_OPS_VERSION,
    .name = "process",
    .start = process_start,
    .spawn = ci_process_spawn,
    .kill_all = ci_process_kill_all,
    .wait = ci_process_wait,
    .kill = ci_process_kill,
    .set_busy = ci_process_set_busy,
    .check = ci_process_check,
    .event_fd = ci_process_event_fd,
    .ended = ci_process_ended,
    .mark = ci_process_mark,
    .sweep = ci_process_sweep,
    .usage = process_usage,
    .reset_peak = process_reset_peak,
    .limits_mode = process_limits_mode,
    .denials = ci_process_denials,
    .file_open = process_file_open,
    .write_begin = process_write_begin,
    .write_commit = process_write_commit,
    .write_end = process_write_end,
    .list = process_list,
    .remove = process_remove,
    .walk = process_walk,
    .destroy = process_destroy,
};
