/* SPDX-License-Identifier: MIT */
/*
 * The file calls on a session's /workspace: each holds the session as an
 * execution does, goes through the sandbox backend's file operations (no
 * host path of the session is opened here), and is audited.
 * Each returns 0 or a negative CI_E* with the session's message set (only
 * the thread's for CI_EBUSY, which is not audited).
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"

struct ci_file_data {
    const char *name; /* relative to /workspace */
    const void *data;
    size_t len;
};

/*
 * Writes every file of a batch or none of them. Names and sizes are
 * checked for the whole batch before anything is written; if writing one
 * fails, the files the batch already wrote and the folders it created are
 * removed again (a file it had replaced is then gone, not restored).
 */
int ci_files_write_all(struct ci_session *s, const struct ci_file_data *files, size_t n);
/* Streams a host file (or pipe) into /workspace/name. */
int ci_files_upload_from(struct ci_session *s, const char *host_path, const char *name);
/* The whole file, NUL-terminated (malloc'd). */
int ci_files_read(struct ci_session *s, const char *name, void **data, size_t *len);
/* Copies a file to a host path, written aside and renamed into place. */
int ci_files_download_to(struct ci_session *s, const char *name, const char *host_path);
/* The entries of a folder ("" or "." for /workspace), sorted by name. */
int ci_files_list(struct ci_session *s, const char *dir, struct ci_safe_dirent **out, size_t *n);
/* Removes a file, a link or a folder tree. */
int ci_files_remove(struct ci_session *s, const char *name);
