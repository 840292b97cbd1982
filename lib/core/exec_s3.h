/* SPDX-License-Identifier: MIT */
/*
 * A session's S3 transfers, through the transfer backend: inputs into
 * /data before an execution, /output to S3 after it, and the session calls
 * ci_s3_download() / ci_s3_upload() between S3 and /workspace.
 */
#pragma once
#include <stdint.h>

#include "codeinterp/codeinterp.h"

struct ci_session;
struct ci_exec_options;
struct ci_result;

/* What an execution sent to S3 (a result's `s3`). */
struct ci_s3_upload_item {
    char *uri;
    char *path;  /* "/output/…" */
    uint64_t size;
};

struct ci_s3_uploads {
    struct ci_s3_upload_item *items;
    size_t count;
    int error;      /* 0, or the CI_E* that stopped the uploads */
    char *message;  /* NULL unless error */
};

void ci_s3_uploads_free(struct ci_s3_uploads *u);

/* Before an execution (called by ci_exec_run): fetches the options' input
 * URI into /data. 0 (also without an input URI), or a negative CI_E* with
 * the session's message set; the files this call fetched are removed
 * again then. */
int ci_exec_s3_fetch(struct ci_session *s, const struct ci_exec_options *o);

/* After an execution whose status is ok (called by ci_exec_run once the
 * result is built): sends /output to the options' output URI and records
 * the outcome in res->s3. Never fails the execution. */
void ci_exec_s3_send(struct ci_session *s, const struct ci_exec_options *o,
                     struct ci_result *res);

/* Checks that uri is one a transfer backend serves: `prefix` as
 * ci_transfer_ops.check_uri takes it. 0 or a CI_E* with the message (the
 * session's too when s is not NULL). */
int ci_exec_s3_check_uri(struct ci_session *s, const char *uri, int prefix);

/* The session calls ci_s3_download() (name NULL: the key's last component)
 * and ci_s3_upload() (a uri ending in '/' gets the name appended): each
 * holds the session, works in /workspace and is audited. 0 or a negative
 * CI_E* with the session's message set (only the thread's for CI_EBUSY). */
int ci_s3_session_download(struct ci_session *s, const char *uri, const char *name);
int ci_s3_session_upload(struct ci_session *s, const char *name, const char *uri);
