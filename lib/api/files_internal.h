/* SPDX-License-Identifier: MIT */
/* The file calls' entry points for the rest of the library (invoke tools). */
#pragma once
#include <stddef.h>

#include "codeinterp/codeinterp.h"
#include "util/safe_path.h"

struct ci_file_data {
    const char *name; /* relative to /workspace */
    const void *data;
    size_t len;
};

/*
 * Writes every file of a batch or none of them, each as ci_upload() does.
 * Names and sizes are checked for the whole batch before anything is
 * written; if writing one fails, the files the batch already wrote and the
 * folders it created are removed again (a file it had replaced is then
 * gone, not restored). Returns 0 or a negative CI_E* with the session's
 * message naming the file at fault.
 */
int ci_files_write_all(ci_session *s, const struct ci_file_data *files, size_t n);

/*
 * Starts a call that works in /workspace (file calls, S3 session calls):
 * takes the session as ci_execute() does (one call at a time), holds the
 * idle clock, and opens /workspace into *root. Its owner, the sandbox's
 * user, is in *own: on a root host what the call creates is given to it.
 * 0 or a negative CI_E* with the session's message.
 */
int ci_workspace_call_begin(struct ci_session *s, int *root, struct ci_safe_owner *own);
/* Ends it: closes root, counts as use of the session, releases it. */
void ci_workspace_call_end(struct ci_session *s, int root);
