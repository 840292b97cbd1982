/* SPDX-License-Identifier: MIT */
/*
 * The size cap of /workspace: each session's workspace is its own ext4
 * filesystem in a sparse image file, loop-mounted on the host (nosuid,
 * nodev, discard) where the session's directory expects it. Writes past the
 * size get ENOSPC inside the sandbox and cannot fill the host's disk beyond
 * the image; the host side keeps using plain paths. Needs root (loop devices
 * and mount); see doc/security.md for why not tmpfs or quotas.
 */
#pragma once
#include <stdint.h>
#include <sys/types.h>

/* Makes `<sessions>/<id>.img` of `size` bytes, formats it owned by
 * uid/gid, and mounts it on `workspace` (an existing empty directory).
 * 0 or a negative CI_E* with a message. */
int ci_disk_create(int sessions_fd, const char *sessions_path, const char *id,
                   const char *workspace, uint64_t size, uid_t uid, gid_t gid,
                   char *err, size_t errlen);
/* Unmounts the workspace (if mounted) and removes the image; safe to call
 * for a session that never had one. */
void ci_disk_remove(int sessions_fd, const char *id, const char *workspace);
