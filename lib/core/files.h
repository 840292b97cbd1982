/* SPDX-License-Identifier: MIT */
/*
 * The file calls on a session's /workspace and /output: each holds the
 * session as an execution does, goes through the sandbox backend's file
 * operations (no host path of the session is opened here), and is audited.
 * Each returns 0 or a negative CI_E* with the session's message set (only
 * the thread's for CI_EBUSY, which is not audited).
 *
 * Names are relative to /workspace, or absolute under /workspace/ or
 * /output/ (the names the sandbox and the artifacts use); see
 * ci_files_where().
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/session.h"

struct ci_file_data {
    const char *name;
    const void *data;
    size_t len;
};

/* Where a file call's name is. */
struct ci_file_where {
    enum ci_area area;
    const char *root; /* the area as the sandbox sees it: "/workspace", "/output" */
    const char *rel;  /* inside the area (points into the name); "." for its root */
};

/*
 * Resolves a name: relative (to /workspace), or "/workspace/..." or
 * "/output/...", the rest checked by ci_path_check(). With root_ok (a
 * listing) "", ".", "/workspace", "/output" (with or without a trailing
 * '/') name the areas' roots. CI_OK, or CI_EPATH with the reason in why.
 */
int ci_files_where(const char *name, int root_ok, struct ci_file_where *w, char *why,
                   size_t whylen);

/*
 * Writes every file of a batch or none of them. Names and sizes are
 * checked for the whole batch before anything is written; if writing one
 * fails, the files the batch already wrote and the folders it created are
 * removed again (a file it had replaced is then gone, not restored).
 */
int ci_files_write_all(struct ci_session *s, const struct ci_file_data *files, size_t n);
/* Streams a host file (or pipe) into the session file `name`. */
int ci_files_upload_from(struct ci_session *s, const char *host_path, const char *name);
/* The whole file, NUL-terminated (malloc'd); CI_ETOOBIG, reading nothing,
 * when it is larger than `max` bytes (UINT64_MAX: the session's own cap,
 * the larger of the sandbox's file size limit and the upload limit). */
int ci_files_read(struct ci_session *s, const char *name, uint64_t max, void **data,
                  size_t *len);
/* Copies a file to a host path, written aside and renamed into place. */
int ci_files_download_to(struct ci_session *s, const char *name, const char *host_path);
/* One page of a folder's entries (page->after and page->limit, 1 ..
 * CI_FILE_LIST_MAX, in; see ci_safe_list), sorted by name; free it with
 * ci_safe_page_free(). */
int ci_files_list(struct ci_session *s, const char *dir, struct ci_safe_page *page);
/* Removes a file, a link or a folder tree. */
int ci_files_remove(struct ci_session *s, const char *name);
