/* SPDX-License-Identifier: MIT */
/*
 * Artifacts: the regular files an execution created or changed in
 * /workspace and /output, found by comparing a listing taken before with one taken
 * after (size, mtime, inode). The walk runs on the host over a directory the
 * sandbox writes, so it never follows a symbolic link, lists regular files
 * only and is bounded in entries and depth.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/result_internal.h"

#define CI_ARTIFACT_MAX_ENTRIES 10000
#define CI_ARTIFACT_MAX_DEPTH 32

struct ci_ws_entry {
    char *path; /* relative to the workspace */
    uint64_t size;
    int64_t mtime_ns;
    ino_t ino;
};

struct ci_ws_snapshot {
    struct ci_ws_entry *entries; /* sorted by path */
    size_t count;
    int truncated;
};

/* Lists the workspace at host path `dir`. 0 or -errno. */
int ci_ws_snapshot_take(const char *dir, struct ci_ws_snapshot *out);
/* Adds to res the entries of `after` that are new or differ from `before`,
 * their paths under `prefix` (e.g. "/workspace/"). 0 or -ENOMEM. */
int ci_ws_snapshot_diff(const struct ci_ws_snapshot *before, const struct ci_ws_snapshot *after,
                        const char *prefix, struct ci_result *res);
void ci_ws_snapshot_free(struct ci_ws_snapshot *s);
