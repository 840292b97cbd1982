/* SPDX-License-Identifier: MIT */
/*
 * The size cap of /workspace: each session's workspace is its own ext4
 * filesystem in an image file, loop-mounted on the host (nosuid, nodev)
 * where the session's directory expects it. The image's blocks are reserved
 * (fallocate) when it is made, so sessions together can never commit more
 * than the state dir's filesystem has: a session that does not fit is
 * refused at creation, and one that was admitted never meets a full host
 * filesystem. Writes past the size get ENOSPC inside the sandbox; the host
 * side keeps using plain paths. Needs root (loop devices and mount); see
 * doc/security.md for why not tmpfs or quotas.
 */
#pragma once
#include <stdint.h>
#include <sys/types.h>

/* Making a volume takes two steps so the caller can do other work while
 * mke2fs runs. */
struct ci_disk_job {
    int imgfd;
    pid_t mkfs_pid;
    int mkfs_pidfd;
    int sessions_fd;
    char name[96]; /* "<id>.img" in sessions_fd, "" once nothing is to remove */
};

/* Makes `<sessions>/<id>.img` of `size` bytes, all of them reserved on the
 * host, and starts formatting it, owned by uid/gid. The sessions dir must
 * not be in memory (tmpfs, ramfs) unless allow_ram. 0 or a negative CI_E*
 * (CI_ELIMIT when the state dir's filesystem has not `size` bytes left) with
 * a message naming the state dir and the sizes; on failure nothing is
 * left. */
int ci_disk_begin(struct ci_disk_job *job, int sessions_fd, const char *state_dir,
                  const char *sessions_path, const char *id, uint64_t size, int allow_ram,
                  uid_t uid, gid_t gid, char *err, size_t errlen);
/* Waits for the format and mounts the volume on `mountpoint` (an existing
 * empty directory). On failure the image is removed. */
int ci_disk_finish(struct ci_disk_job *job, const char *mountpoint, char *err, size_t errlen);
/* Gives up a job that was begun and not finished. */
void ci_disk_abort(struct ci_disk_job *job);
/* Unmounts the workspace (if mounted) and removes the image; safe to call
 * for a session that never had one. */
void ci_disk_remove(int sessions_fd, const char *id, const char *workspace);
