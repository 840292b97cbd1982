/* SPDX-License-Identifier: MIT */
/*
 * S3 inputs and outputs of a session. The host process does every
 * transfer; the sandbox only ever sees the files, which are reached through
 * the sandbox backend's file operations: only regular files with a single
 * name are sent, and every file fetched appears whole or not at all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/cancel.h"
#include "core/error.h"
#include "core/exec_options.h"
#include "core/exec_s3.h"
#include "core/result.h"
#include "core/session.h"
#include "transfer/transfer.h"
#include "util/safe_path.h"

/* Deepest folder nesting walked under /output. */
#define MAX_DEPTH 64

void ci_s3_uploads_free(struct ci_s3_uploads *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->count; i++) {
        free(u->items[i].uri);
        free(u->items[i].path);
    }
    free(u->items);
    free(u->message);
    free(u);
}

/* ------------------------------------------------------------- progress */

struct progress_ctx {
    struct ci_session *s;
    const struct ci_cancel *cancel; /* the call's handle, or NULL */
    ci_progress_callback cb;
    void *cb_data;
    const char *uri;
    int canceled;
};

static int on_progress(uint64_t done, uint64_t total, void *data)
{
    struct progress_ctx *pc = data;
    if (ci_session_cancel_pending(pc->s) || ci_cancel_fired(pc->cancel)) {
        pc->canceled = 1;
        return 1;
    }
    return pc->cb && pc->cb(pc->uri, done, total, pc->cb_data) != 0;
}

/* ------------------------------------------------------------- backends */

int ci_exec_s3_check_uri(struct ci_session *s, const char *uri, int prefix)
{
    const struct ci_transfer_ops *ops = ci_transfer_for_uri(uri);
    char err[512];
    if (!ops)
        return ci_fail(s, CI_EINVAL, "\"%.200s\" is not an S3 URI (s3://bucket/key)", uri);
    int r = ops->check_uri(uri, prefix, err, sizeof(err));
    return r < 0 ? ci_fail(s, r, "%s", err) : CI_OK;
}

/* One transfer's backend and client, and the progress it reports to. */
struct transfer {
    const struct ci_transfer_ops *ops;
    struct ci_transfer *t;
    struct progress_ctx pc;
};

/* Opens the backend serving uri (`prefix` as check_uri takes it); progress
 * goes to cb (NULL: only cancel requests are looked at). */
static int transfer_open(struct ci_session *s, const char *uri, int prefix,
                         ci_progress_callback cb, void *cb_data, struct transfer *x)
{
    x->pc = (struct progress_ctx){ s, NULL, cb, cb_data, NULL, 0 };
    int r = ci_exec_s3_check_uri(s, uri, prefix);
    if (r < 0)
        return r;
    char err[1024];
    x->ops = ci_transfer_for_uri(uri);
    r = x->ops->open(&(struct ci_transfer_params){ s->cfg.s3 }, &x->t, err, sizeof(err));
    return r < 0 ? ci_fail(s, r, "%s", err) : CI_OK;
}

/* Closes it; a cancel request it acted on is used up. */
static void transfer_close(struct ci_session *s, struct transfer *x)
{
    if (x->pc.canceled)
        ci_session_clear_cancel(s);
    x->ops->close(x->t);
}

/* ---------------------------------------------------------------- fetch */

/*
 * Downloads one object as `name` in an area: written out of sight (missing
 * folders made) and put in place once whole; *w stays for a batch to undo.
 */
static int fetch_one(struct ci_session *s, struct transfer *x, enum ci_area area,
                     const char *uri, const char *name, uint64_t expect, uint64_t *got,
                     struct ci_sb_write **w)
{
    char why[160];
    if (ci_path_check(name, why, sizeof(why)) < 0)
        return ci_fail(s, CI_EPATH, "%s cannot be stored as \"%.200s\": the name %s", uri, name,
                       why);
    if (expect != UINT64_MAX && expect > CI_TRANSFER_MAX_OBJECT)
        return ci_fail(s, CI_ETOOBIG, "%s has %llu bytes, more than the 5 GiB an object may "
                       "have here", uri, (unsigned long long)expect);
    char err[1024];
    int fd;
    int r = s->ops->write_begin(s->sb, area, name, w, &fd, err, sizeof(err));
    if (r < 0)
        return ci_fail(s, r, "%s cannot be stored as \"%.200s\": %s", uri, name, err);
    x->pc.uri = uri;
    struct ci_transfer_progress p = { on_progress, &x->pc };
    r = x->ops->get(x->t, uri, expect, fd, &p, got, err, sizeof(err));
    if (r < 0)
        ci_fail(s, r, "%s", err);
    else if ((r = s->ops->write_commit(s->sb, *w, err, sizeof(err))) < 0)
        ci_fail(s, r, "%s cannot be stored as \"%.200s\": %s", uri, name, err);
    if (r < 0) {
        s->ops->write_end(s->sb, *w, 0);
        *w = NULL;
    }
    return r;
}

/* Fetches every listed object into /data, all or none. */
static int fetch_listed(struct ci_session *s, struct transfer *x,
                        const struct ci_transfer_listing *l)
{
    struct ci_sb_write **w = calloc(l->count ? l->count : 1, sizeof(*w));
    if (!w)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    int r = CI_OK;
    size_t i = 0;
    for (; r == CI_OK && i < l->count; i++) {
        uint64_t got = 0;
        r = fetch_one(s, x, CI_AREA_DATA, l->objects[i].uri, l->objects[i].name,
                      l->objects[i].size, &got, &w[i]);
        char path[CI_PATH_MAX + 8];
        snprintf(path, sizeof(path), "/data/%s", l->objects[i].name);
        ci_audit_s3_transfer(s->audit, "download", l->objects[i].uri, path,
                             r == CI_OK ? (int64_t)got : -1, r);
    }
    /* the one that failed cleaned up after itself; the others are undone
     * last first, so that the folders they made are empty by then */
    while (i-- > 0)
        s->ops->write_end(s->sb, w[i], r == CI_OK);
    free(w);
    return r;
}

static int fetch_inputs(struct ci_session *s, const struct ci_exec_options *o)
{
    struct transfer x;
    int r = transfer_open(s, o->input_s3_uri, -1, o->on_progress, o->progress_data, &x);
    if (r < 0)
        return r;
    x.pc.cancel = o->cancel;
    char err[1024];
    struct ci_transfer_listing l = { 0 };
    r = x.ops->list(x.t, o->input_s3_uri, &l, err, sizeof(err));
    if (r < 0) {
        ci_fail(s, r, "%s", err);
        ci_audit_s3_transfer(s->audit, "download", o->input_s3_uri, NULL, -1, r);
    } else {
        r = fetch_listed(s, &x, &l);
    }
    ci_transfer_listing_free(&l);
    transfer_close(s, &x);
    return r;
}

int ci_exec_s3_fetch(struct ci_session *s, const struct ci_exec_options *o)
{
    if (!o->input_s3_uri)
        return CI_OK;
    ci_session_clear_cancel(s);
    return fetch_inputs(s, o);
}

/* ----------------------------------------------------------------- send */

static int send_file(struct ci_session *s, struct transfer *x, enum ci_area area,
                     const char *name, const char *uri, uint64_t *size)
{
    char err[1024];
    int fd;
    int r = s->ops->file_open(s->sb, area, name, &fd, size, err, sizeof(err));
    if (r < 0)
        return ci_fail(s, r, "\"%.200s\": %s%s", name, err,
                       r == CI_EFILETYPE ? "; only regular files with one name are sent" : "");
    x->pc.uri = uri;
    struct ci_transfer_progress p = { on_progress, &x->pc };
    r = x->ops->put(x->t, fd, *size, uri, &p, err, sizeof(err));
    if (r < 0)
        ci_fail(s, r, "%s", err);
    close(fd);
    return r;
}

static int add_item(struct ci_s3_uploads *u, const char *uri, const char *name, uint64_t size)
{
    struct ci_s3_upload_item *grown = realloc(u->items, (u->count + 1) * sizeof(*grown));
    if (!grown)
        return CI_ENOMEM;
    u->items = grown;
    struct ci_s3_upload_item *it = &u->items[u->count];
    it->uri = strdup(uri);
    it->size = size;
    it->path = NULL;
    if (!it->uri || asprintf(&it->path, "/output/%s", name) < 0) {
        free(it->uri);
        return CI_ENOMEM;
    }
    u->count++;
    return CI_OK;
}

/* The output URI as a prefix ending in '/' (or the bucket's root). */
static char *as_prefix(const char *uri)
{
    size_t n = strlen(uri);
    char *p = NULL;
    if (asprintf(&p, "%s%s", uri, n && uri[n - 1] == '/' ? "" : "/") < 0)
        return NULL;
    return p;
}

/* Sends one file of /output as prefix + its path. A file that vanished or
 * changed kind since the walk is not sent, and is no failure. */
static int send_output(struct ci_session *s, struct transfer *x, const char *prefix,
                       const char *name, struct ci_s3_uploads *u)
{
    char *uri = NULL;
    if (asprintf(&uri, "%s%s", prefix, name) < 0)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    uint64_t size = 0;
    int r = send_file(s, x, CI_AREA_OUTPUT, name, uri, &size);
    if (r == CI_ENOENT || r == CI_EFILETYPE) {
        free(uri);
        return CI_OK;
    }
    if (r == CI_OK && add_item(u, uri, name, size) < 0)
        r = ci_fail(s, CI_ENOMEM, "out of memory");
    char path[CI_PATH_MAX + 10];
    snprintf(path, sizeof(path), "/output/%s", name);
    ci_audit_s3_transfer(s->audit, "upload", uri, path, r == CI_OK ? (int64_t)size : -1, r);
    free(uri);
    return r;
}

static int send_outputs(struct ci_session *s, const struct ci_exec_options *o,
                        struct ci_s3_uploads *u)
{
    char *prefix = as_prefix(o->output_s3_uri);
    if (!prefix)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    struct transfer x;
    int r = transfer_open(s, prefix, 1, o->on_progress, o->progress_data, &x);
    if (r < 0) {
        free(prefix);
        return r;
    }
    x.pc.cancel = o->cancel;
    char err[512];
    struct ci_safe_walk w = { 0 };
    r = s->ops->walk(s->sb, CI_AREA_OUTPUT, CI_TRANSFER_MAX_OBJECTS, MAX_DEPTH, &w, err,
                     sizeof(err));
    if (r < 0)
        ci_fail(s, r, "cannot read the session's /output: %s", err);
    else if (w.truncated)
        r = ci_fail(s, CI_ETOOBIG, "/output holds more than %d entries or folders deeper than "
                    "%d; none was sent", CI_TRANSFER_MAX_OBJECTS, MAX_DEPTH);
    for (size_t i = 0; r == CI_OK && i < w.count; i++)
        r = send_output(s, &x, prefix, w.files[i].path, u);
    ci_safe_walk_free(&w);
    transfer_close(s, &x);
    free(prefix);
    return r;
}

void ci_exec_s3_send(struct ci_session *s, const struct ci_exec_options *o,
                     struct ci_result *res)
{
    if (!o->output_s3_uri || res->status != CI_STATUS_OK)
        return;
    struct ci_s3_uploads *u = calloc(1, sizeof(*u));
    if (!u)
        return;
    res->s3 = u;
    int r = send_outputs(s, o, u);
    if (r < 0) {
        u->error = r;
        u->message = strdup(s->last_error);
    }
}

/* -------------------------------------------------------- session calls */

static int session_download(struct ci_session *s, const char *uri, const char *name,
                            int64_t *size)
{
    struct transfer x;
    ci_session_clear_cancel(s);
    int r = transfer_open(s, uri, 0, NULL, NULL, &x);
    if (r < 0)
        return r;
    uint64_t got = 0;
    struct ci_sb_write *w = NULL;
    r = fetch_one(s, &x, CI_AREA_WORKSPACE, uri, name, UINT64_MAX, &got, &w);
    if (r == CI_OK) {
        s->ops->write_end(s->sb, w, 1);
        *size = (int64_t)got;
    }
    transfer_close(s, &x);
    return r;
}

int ci_s3_session_download(struct ci_session *s, const char *uri, const char *name)
{
    int r = ci_exec_s3_check_uri(s, uri, 0);
    if (r < 0)
        return r;
    if (!name) {
        const char *slash = strrchr(uri + 5, '/');
        name = slash ? slash + 1 : uri;
    }
    char why[160];
    if (ci_path_check(name, why, sizeof(why)) < 0)
        return ci_fail(s, CI_EPATH, "S3 download as \"%.200s\": %s", name, why);
    int64_t size = -1;
    if ((r = ci_session_hold(s)) == CI_EBUSY)
        return r;
    if (r == CI_OK)
        r = session_download(s, uri, name, &size);
    ci_session_release(s);
    char path[CI_PATH_MAX + 12];
    snprintf(path, sizeof(path), "/workspace/%s", name);
    ci_audit_s3_transfer(s->audit, "download", uri, path, size, r);
    return r;
}

static int session_upload(struct ci_session *s, const char *name, const char *uri,
                          int64_t *size)
{
    struct transfer x;
    ci_session_clear_cancel(s);
    int r = transfer_open(s, uri, 0, NULL, NULL, &x);
    if (r < 0)
        return r;
    uint64_t sent = 0;
    r = send_file(s, &x, CI_AREA_WORKSPACE, name, uri, &sent);
    if (r == CI_OK)
        *size = (int64_t)sent;
    transfer_close(s, &x);
    return r;
}

int ci_s3_session_upload(struct ci_session *s, const char *name, const char *uri)
{
    char why[160];
    if (ci_path_check(name, why, sizeof(why)) < 0)
        return ci_fail(s, CI_EPATH, "S3 upload of \"%.200s\": %s", name, why);
    size_t n = strlen(uri);
    char *full = NULL;
    if (asprintf(&full, "%s%s", uri, n && uri[n - 1] == '/' ? name : "") < 0)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    int64_t size = -1;
    int r = ci_session_hold(s);
    if (r != CI_EBUSY) {
        if (r == CI_OK)
            r = session_upload(s, name, full, &size);
        ci_session_release(s);
        char path[CI_PATH_MAX + 12];
        snprintf(path, sizeof(path), "/workspace/%s", name);
        ci_audit_s3_transfer(s->audit, "upload", full, path, size, r);
    }
    free(full);
    return r;
}
