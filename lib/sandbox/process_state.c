/* SPDX-License-Identifier: MIT */
/*
 * The process backend's host state: the state dir, one folder and one lock
 * per live session under <state>/sessions, the session's volume (a capped
 * filesystem image on a root host, a plain folder otherwise) with its
 * workspace, output and data folders, and the sweep of folders that dead
 * host processes left behind.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/process.h"
#include "util/safe_path.h"

static int lock_name(char *buf, size_t cap, const char *id)
{
    int n = snprintf(buf, cap, "%s.lock", id);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int ensure_dir(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid, int chown_it)
{
    if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
        return -errno;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = 0;
    if ((chown_it && fchown(fd, uid, gid) < 0) || fchmod(fd, mode) < 0)
        r = -errno;
    close(fd);
    return r;
}

/* Opens the state dir, creating it if needed, and checks that nobody else
 * can plant anything in it: it must be ours and not writable by others. */
int ci_process_open_state_dir(const struct ci_sandbox_params *cfg, int is_root, char *err,
                              size_t errlen)
{
    /* The session uids of a root host only need to pass through it. */
    mode_t mode = is_root ? 0711 : 0700;
    if (mkdir(cfg->state_dir, mode) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create state dir %s: %s", cfg->state_dir, strerror(errno));
        return -1;
    }
    int sfd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0) {
        snprintf(err, errlen, "cannot open state dir %s: %s", cfg->state_dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(sfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0022)) {
        snprintf(err, errlen, "state dir %s must be a directory owned by uid %u and not writable "
                 "by others", cfg->state_dir, (unsigned)geteuid());
        close(sfd);
        return -1;
    }
    if (is_root && (st.st_mode & 0011) != 0011 && fchmod(sfd, (st.st_mode & 07777) | 0011) < 0) {
        snprintf(err, errlen, "cannot make state dir %s traversable: %s", cfg->state_dir,
                 strerror(errno));
        close(sfd);
        return -1;
    }
    return sfd;
}

/* Sessions whose host process died (SIGKILL, crash) left their directory
 * behind: its sandbox is gone (the init dies with the control socket), and
 * nobody holds its lock any more. Remove them. */
static void sweep_stale_sessions(int sessions_fd, const char *sessions_path)
{
    int dfd = fcntl(sessions_fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_name[0] == '.' ||
            fstatat(sessions_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        char lock[300];
        if (lock_name(lock, sizeof(lock), de->d_name) < 0)
            continue;
        int fd = openat(sessions_fd, lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT)
            continue;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
            close(fd);
            continue; /* alive */
        }
        char ws[4096];
        snprintf(ws, sizeof(ws), "%s/%s/volume", sessions_path, de->d_name);
        ci_disk_remove(sessions_fd, de->d_name, ws);
        ci_safe_rmtree_at(sessions_fd, de->d_name);
        if (fd >= 0) {
            unlinkat(sessions_fd, lock, 0);
            close(fd);
        }
    }
    closedir(d);
}

int ci_process_prepare_dirs(const struct ci_sandbox_params *cfg, struct ci_sandbox *sb,
                            char *err, size_t errlen)
{
    gid_t gid = sb->gid;
    int is_root = sb->is_root;
    int sfd = ci_process_open_state_dir(cfg, is_root, err, errlen);
    if (sfd < 0)
        return CI_EIO;
    int r = ensure_dir(sfd, "sessions", is_root ? 0711 : 0700, 0, 0, 0);
    if (r == 0)
        sb->sessions_fd = openat(sfd, "sessions", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(sfd);
    if (r < 0 || sb->sessions_fd < 0) {
        snprintf(err, errlen, "cannot prepare %s/sessions: %s", cfg->state_dir,
                 strerror(r < 0 ? -r : errno));
        return CI_EIO;
    }
    size_t plen = strlen(cfg->state_dir) + sizeof("/sessions");
    if (!(sb->sessions_path = malloc(plen)))
        return CI_ENOMEM;
    snprintf(sb->sessions_path, plen, "%s/sessions", cfg->state_dir);
    sweep_stale_sessions(sb->sessions_fd, sb->sessions_path);
    /* The lock is taken before the directory exists, so a sweeper never
     * sees a live session's directory without a held lock. */
    char lock[300];
    lock_name(lock, sizeof(lock), sb->id);
    sb->lock_fd = openat(sb->sessions_fd, lock, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (sb->lock_fd < 0 || flock(sb->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen, "cannot create the session lock: %s", strerror(errno));
        sb->id[0] = '\0'; /* not ours to remove */
        return CI_EIO;
    }
    if (mkdirat(sb->sessions_fd, sb->id, 0700) < 0) {
        snprintf(err, errlen, "cannot create the session dir: %s", strerror(errno));
        return CI_EIO;
    }
    int dfd = openat(sb->sessions_fd, sb->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    r = dfd < 0 ? -errno : 0;
    if (r == 0 && is_root && fchown(dfd, sb->lease.uid, gid) < 0)
        r = -errno;
    if (r == 0)
        r = ensure_dir(dfd, "volume", 0700, sb->lease.uid, gid, is_root);
    if (dfd >= 0)
        close(dfd);
    if (r < 0) {
        snprintf(err, errlen, "cannot prepare the session's directory: %s", strerror(-r));
        return CI_EIO;
    }
    size_t len = strlen(sb->sessions_path) + strlen(sb->id) + 32;
    if (!(sb->volume = malloc(len)) || !(sb->workspace = malloc(len)) ||
        !(sb->output = malloc(len)) || !(sb->data = malloc(len)))
        return CI_ENOMEM;
    snprintf(sb->volume, len, "%s/%s/volume", sb->sessions_path, sb->id);
    snprintf(sb->workspace, len, "%s/workspace", sb->volume);
    snprintf(sb->output, len, "%s/output", sb->volume);
    snprintf(sb->data, len, "%s/data", sb->volume);
    if (cfg->workspace_size != 0) {
        if (!is_root) {
            snprintf(err, errlen, "a size-capped workspace needs a root host (it is a loop-mounted "
                     "filesystem image); to accept an uncapped directory, set the workspace "
                     "size to 0 (ci_config_set_workspace_size(config, 0); codeinterp "
                     "--workspace-size 0; workspace_size=0 in Python)");
            return CI_ELIMIT;
        }
        /* mke2fs runs while the caller goes on; ci_process_finish_volume() waits */
        return ci_disk_begin(&sb->disk, sb->sessions_fd, cfg->state_dir, sb->sessions_path,
                             sb->id, cfg->workspace_size, cfg->allow_tmpfs_state, sb->lease.uid,
                             gid, err, errlen);
    }
    return CI_OK;
}

/* Mounts the volume (if one is being made) and creates the three folders:
 * one filesystem, one cap for all of them. /data is filled by the host (S3
 * inputs) and only read by the sandbox. */
int ci_process_finish_volume(const struct ci_sandbox_params *cfg, struct ci_sandbox *sb,
                             char *err, size_t errlen)
{
    gid_t gid = sb->gid;
    int is_root = sb->is_root;
    int r;
    if (cfg->workspace_size != 0 && (r = ci_disk_finish(&sb->disk, sb->volume, err, errlen)) < 0)
        return r;
    int vfd = open(sb->volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    r = vfd < 0 ? -errno : 0;
    if (r == 0)
        r = ensure_dir(vfd, "workspace", 0700, sb->lease.uid, gid, is_root);
    if (r == 0)
        r = ensure_dir(vfd, "output", 0700, sb->lease.uid, gid, is_root);
    if (r == 0)
        r = ensure_dir(vfd, "data", 0755, 0, 0, 0);
    if (vfd >= 0)
        close(vfd);
    if (r < 0) {
        snprintf(err, errlen, "cannot prepare the session's workspace: %s", strerror(-r));
        return CI_EIO;
    }
    return CI_OK;
}

void ci_process_remove_state(struct ci_sandbox *sb)
{
    ci_disk_abort(&sb->disk);
    if (sb->sessions_fd >= 0 && sb->id[0]) {
        ci_disk_remove(sb->sessions_fd, sb->id, sb->volume);
        ci_safe_rmtree_at(sb->sessions_fd, sb->id);
        char lock[300];
        if (lock_name(lock, sizeof(lock), sb->id) == 0)
            unlinkat(sb->sessions_fd, lock, 0);
    }
    if (sb->lock_fd >= 0)
        close(sb->lock_fd);
    if (sb->sessions_fd >= 0)
        close(sb->sessions_fd);
    sb->lock_fd = sb->sessions_fd = -1;
}
