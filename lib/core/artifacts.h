/* SPDX-License-Identifier: MIT */
/*
 * Artifacts: the regular files an execution created or changed in
 * /workspace and /output, found by comparing a walk taken before with one
 * taken after (size, mtime, inode). The walks are the sandbox backend's
 * (bounded in entries and depth, links never followed).
 */
#pragma once
#include "core/result.h"
#include "core/session.h"

#define CI_ARTIFACT_MAX_ENTRIES 10000
#define CI_ARTIFACT_MAX_DEPTH 32

/* The areas' files before an execution. */
struct ci_artifact_scan {
    struct ci_safe_walk before[2];
    int have[2];
};

void ci_artifacts_before(struct ci_session *s, struct ci_artifact_scan *scan);
/* Adds to res what is new or changed since, and frees the scan. */
void ci_artifacts_after(struct ci_session *s, struct ci_artifact_scan *scan, struct ci_result *res);
