/* SPDX-License-Identifier: MIT */
/*
 * S3 inputs and outputs of a session. The host process does every
 * transfer; the sandbox only ever sees the files. /data is written by the
 * host alone (read-only inside), but /output and /workspace are writable
 * by sandboxed code, which can plant symbolic links, FIFOs and hard links
 * there and move things while we read: they are walked from a directory
 * descriptor without following any link, and only regular files with a
 * single name are sent. Every file fetched is staged out of sight and
 * renamed into place, so code never sees half an object.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/errors.h"
#include "core/audit.h"
#include "core/exec_options_internal.h"
#include "core/exec_s3.h"
#include "core/result_internal.h"
#include "core/session_internal.h"
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
    ci_progress_callback cb;
    void *cb_data;
    const char *uri;
    int canceled;
};

static int cancel_requested(struct ci_session *s)
{
    struct pollfd p = { .fd = s->cancel_fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void consume_cancel(struct ci_session *s)
{
    uint64_t v;
    while (read(s->cancel_fd, &v, sizeof(v)) > 0)
        ;
}

static int on_progress(uint64_t done, uint64_t total, void *data)
{
    struct progress_ctx *pc = data;
    if (cancel_requested(pc->s)) {
        pc->canceled = 1;
        return 1;
    }
    return pc->cb && pc->cb(pc->uri, done, total, pc->cb_data) != 0;
}

/* ---------------------------------------------------------------- fetch */

/*
 * Downloads one object as `name` under rootfd: missing folders made (and
 * given to own), the file staged, filled, made readable and renamed into
 * place. *made counts the folders created (see ci_safe_open_parent).
 */
static int fetch_one(struct ci_session *s, const struct ci_transfer_ops *ops,
                     struct ci_transfer *t, int rootfd, const struct ci_safe_owner *own,
                     const char *uri, const char *name, uint64_t expect, struct progress_ctx *pc,
                     uint64_t *got, size_t *made)
{
    char why[160];
    *made = 0;
    if (ci_path_check(name, why, sizeof(why)) < 0)
        return ci_fail(s, CI_EPATH, "%s cannot be stored as \"%.200s\": the name %s", uri, name,
                       why);
    if (expect != UINT64_MAX && expect > CI_TRANSFER_MAX_OBJECT)
        return ci_fail(s, CI_ETOOBIG, "%s has %llu bytes, more than the 5 GiB an object may "
                       "have here", uri, (unsigned long long)expect);
    const char *leaf;
    int dir = ci_safe_open_parent(rootfd, name, 1, own, &leaf, made);
    if (dir < 0)
        return ci_fail(s, dir == -ENOTDIR || dir == -ELOOP || dir == -EEXIST ? CI_EPATH : CI_EIO,
                       "%s cannot be stored as \"%.200s\": %s", uri, name, strerror(-dir));
    struct stat st;
    int r = CI_OK;
    if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        r = ci_fail(s, CI_EPATH, "%s cannot be stored as \"%.200s\": a folder has that name",
                    uri, name);
    struct ci_stage stage;
    int e = r == CI_OK ? ci_stage_open(&stage, dir, 0600) : 0;
    if (r == CI_OK && e < 0)
        r = ci_fail(s, CI_EIO, "%s cannot be stored as \"%.200s\": %s", uri, name, strerror(-e));
    if (r == CI_OK) {
        char err[1024];
        pc->uri = uri;
        struct ci_transfer_progress p = { on_progress, pc };
        r = ops->get(t, uri, expect, stage.fd, &p, got, err, sizeof(err));
        if (r < 0)
            ci_fail(s, r, "%s", err);
        /* exact modes whatever the host's umask: the sandbox's user reads it */
        if (r == CI_OK && own->chown && fchown(stage.fd, own->uid, own->gid) < 0)
            r = ci_fail(s, CI_EIO, "%s: cannot give the file to the sandbox: %s", uri,
                        strerror(errno));
        if (r == CI_OK && fchmod(stage.fd, 0644) < 0)
            r = ci_fail(s, CI_EIO, "%s: %s", uri, strerror(errno));
        if (r == CI_OK && (e = ci_stage_commit(&stage, leaf)) < 0)
            r = ci_fail(s, CI_EIO, "%s cannot be stored as \"%.200s\": %s", uri, name,
                        strerror(-e));
        else if (r < 0)
            ci_stage_abort(&stage);
    }
    close(dir);
    if (r < 0) {
        ci_safe_unmake_dirs(rootfd, name, *made);
        *made = 0;
    }
    return r;
}

/* Removes a file fetched by a failed batch, then the folders made for it. */
static void unfetch(int rootfd, const char *name, size_t made)
{
    const char *leaf;
    int dir = ci_safe_open_parent(rootfd, name, 0, NULL, &leaf, NULL);
    if (dir >= 0) {
        unlinkat(dir, leaf, 0);
        close(dir);
    }
    ci_safe_unmake_dirs(rootfd, name, made);
}

static int open_backend(struct ci_session *s, const char *uri, int prefix,
                        const struct ci_transfer_ops **ops, struct ci_transfer **t)
{
    char err[1024];
    *ops = ci_transfer_for_uri(uri);
    if (!*ops)
        return ci_fail(s, CI_EINVAL, "\"%.200s\": only s3:// URIs are supported", uri);
    int r = (*ops)->check_uri(uri, prefix, err, sizeof(err));
    if (r == CI_OK)
        r = (*ops)->open(&(struct ci_transfer_params){ s->cfg.s3 }, t, err, sizeof(err));
    if (r < 0)
        return ci_fail(s, r, "%s", err);
    return CI_OK;
}

static int fetch_inputs(struct ci_session *s, const struct ci_exec_options *o)
{
    const struct ci_transfer_ops *ops;
    struct ci_transfer *t;
    int r = open_backend(s, o->input_s3_uri, -1, &ops, &t);
    if (r < 0)
        return r;
    char err[1024];
    struct ci_transfer_listing l = { 0 };
    r = ops->list(t, o->input_s3_uri, &l, err, sizeof(err));
    if (r < 0) {
        ci_fail(s, r, "%s", err);
        ci_audit_s3_transfer(s->audit, "download", o->input_s3_uri, NULL, -1, r);
        ops->close(t);
        return r;
    }
    size_t *made = calloc(l.count, sizeof(*made));
    const char *data = s->ops->data_dir(s->sb);
    int root = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (!made || root < 0)
        r = ci_fail(s, made ? CI_EIO : CI_ENOMEM, "cannot open the session's /data (%s): %s",
                    data, made ? strerror(errno) : "out of memory");
    /* /data belongs to the host: nothing is given away */
    struct ci_safe_owner own = { 0, 0, 0 };
    struct progress_ctx pc = { s, o->on_progress, o->progress_data, NULL, 0 };
    size_t i = 0;
    for (; r == CI_OK && i < l.count; i++) {
        uint64_t got = 0;
        r = fetch_one(s, ops, t, root, &own, l.objects[i].uri, l.objects[i].name,
                      l.objects[i].size, &pc, &got, &made[i]);
        char path[CI_PATH_MAX + 8];
        snprintf(path, sizeof(path), "/data/%s", l.objects[i].name);
        ci_audit_s3_transfer(s->audit, "download", l.objects[i].uri, path,
                             r == CI_OK ? (int64_t)got : -1, r);
    }
    if (r < 0 && root >= 0) {
        /* the one that failed cleaned up after itself */
        for (size_t k = i ? i - 1 : 0; k-- > 0;)
            unfetch(root, l.objects[k].name, made[k]);
    }
    if (pc.canceled)
        consume_cancel(s);
    if (root >= 0)
        close(root);
    free(made);
    ci_transfer_listing_free(&l);
    ops->close(t);
    return r;
}

int ci_exec_s3_fetch(struct ci_session *s, const struct ci_exec_options *o)
{
    if (!o->input_s3_uri)
        return CI_OK;
    consume_cancel(s);
    s->ops->set_busy(s->sb, 1);
    int r = fetch_inputs(s, o);
    s->ops->set_busy(s->sb, 0);
    return r;
}

/* ----------------------------------------------------------------- send */

static const char *kind_name(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

/*
 * Opens a file of a sandbox-writable tree for reading if it is a plain
 * regular file with one name (O_NONBLOCK: a FIFO must not make us wait for
 * a writer the sandbox controls). Returns the descriptor, or a negative
 * CI_E* with the session's message set.
 */
static int open_regular(struct ci_session *s, int rootfd, const char *name, struct stat *st)
{
    int fd = ci_safe_open(rootfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
    if (fd == -ENXIO)
        return ci_fail(s, CI_EFILETYPE, "\"%.200s\" is a socket; only regular files are sent",
                       name);
    if (fd < 0)
        return ci_fail(s, fd == -ENOENT ? CI_ENOENT : fd == -ELOOP || fd == -EXDEV ||
                       fd == -ENOTDIR ? CI_EPATH : CI_EIO, "\"%.200s\": %s", name,
                       fd == -ELOOP ? "the name is or goes through a symbolic link, which is "
                                      "never followed" : strerror(-fd));
    int r = CI_OK;
    if (fstat(fd, st) < 0)
        r = ci_fail(s, CI_EIO, "\"%.200s\": %s", name, strerror(errno));
    else if (!S_ISREG(st->st_mode))
        r = ci_fail(s, CI_EFILETYPE, "\"%.200s\" is %s; only regular files are sent", name,
                    kind_name(st->st_mode));
    else if (st->st_nlink > 1)
        r = ci_fail(s, CI_EFILETYPE, "\"%.200s\" has %ju hard links; only files with one name "
                    "are sent", name, (uintmax_t)st->st_nlink);
    else if (fcntl(fd, F_SETFL, 0) < 0)
        r = ci_fail(s, CI_EIO, "\"%.200s\": %s", name, strerror(errno));
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

static int send_file(struct ci_session *s, const struct ci_transfer_ops *ops,
                     struct ci_transfer *t, int rootfd, const char *name, const char *uri,
                     struct progress_ctx *pc, uint64_t *size)
{
    struct stat st;
    int fd = open_regular(s, rootfd, name, &st);
    if (fd < 0)
        return fd;
    char err[1024];
    pc->uri = uri;
    struct ci_transfer_progress p = { on_progress, pc };
    *size = (uint64_t)st.st_size;
    int r = ops->put(t, fd, (uint64_t)st.st_size, uri, &p, err, sizeof(err));
    if (r < 0)
        ci_fail(s, r, "%s", err);
    close(fd);
    return r;
}

struct walk {
    char **names;
    size_t count, cap;
    int too_many;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the regular files under the open folder fd (taken over), as
 * paths below the walk's root. Links and other kinds are left out. */
static int collect(int fd, const char *prefix, int depth, struct walk *w)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone since readdir saw it */
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            continue;
        char *path = NULL;
        if (asprintf(&path, "%s%s%s", prefix, *prefix ? "/" : "", de->d_name) < 0) {
            r = -ENOMEM;
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = depth < MAX_DEPTH
                          ? openat(dirfd(d), de->d_name,
                                   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                          : -1;
            if (sub >= 0)
                r = collect(sub, path, depth + 1, w);
            free(path);
            continue;
        }
        if (w->count >= CI_TRANSFER_MAX_OBJECTS) {
            w->too_many = 1;
            free(path);
            break;
        }
        if (w->count == w->cap) {
            size_t grown = w->cap ? w->cap * 2 : 16;
            char **bigger = realloc(w->names, grown * sizeof(*bigger));
            if (!bigger) {
                free(path);
                r = -ENOMEM;
                break;
            }
            w->names = bigger;
            w->cap = grown;
        }
        w->names[w->count++] = path;
    }
    closedir(d);
    return r;
}

static int add_item(struct ci_s3_uploads *u, const char *uri, const char *name, uint64_t size)
{
    struct ci_s3_upload_item *grown = realloc(u->items, (u->count + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    u->items = grown;
    struct ci_s3_upload_item *it = &u->items[u->count];
    it->uri = strdup(uri);
    it->size = size;
    it->path = NULL;
    if (!it->uri || asprintf(&it->path, "/output/%s", name) < 0) {
        free(it->uri);
        return -ENOMEM;
    }
    u->count++;
    return 0;
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

static int send_outputs(struct ci_session *s, const struct ci_exec_options *o,
                        struct ci_s3_uploads *u)
{
    char *prefix = as_prefix(o->output_s3_uri);
    if (!prefix)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    const struct ci_transfer_ops *ops;
    struct ci_transfer *t;
    int r = open_backend(s, prefix, 1, &ops, &t);
    if (r < 0) {
        free(prefix);
        return r;
    }
    const char *out = s->ops->output_dir(s->sb);
    struct walk w = { 0 };
    int root = open(out, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int dup_root = root >= 0 ? fcntl(root, F_DUPFD_CLOEXEC, 0) : -1;
    int e = dup_root < 0 ? -errno : collect(dup_root, "", 0, &w);
    if (e < 0)
        r = ci_fail(s, e == -ENOMEM ? CI_ENOMEM : CI_EIO, "cannot read the session's /output "
                    "(%s): %s", out, strerror(-e));
    else if (w.too_many)
        r = ci_fail(s, CI_ETOOBIG, "/output holds more than %d files; none was sent",
                    CI_TRANSFER_MAX_OBJECTS);
    if (w.count > 1)
        qsort(w.names, w.count, sizeof(*w.names), by_name);
    struct progress_ctx pc = { s, o->on_progress, o->progress_data, NULL, 0 };
    for (size_t i = 0; r == CI_OK && i < w.count; i++) {
        char *uri = NULL;
        uint64_t size = 0;
        if (asprintf(&uri, "%s%s", prefix, w.names[i]) < 0) {
            r = ci_fail(s, CI_ENOMEM, "out of memory");
            break;
        }
        r = send_file(s, ops, t, root, w.names[i], uri, &pc, &size);
        /* a file that vanished or changed kind since the walk is not sent */
        if (r == CI_ENOENT || r == CI_EFILETYPE) {
            r = CI_OK;
            free(uri);
            continue;
        }
        if (r == CI_OK && add_item(u, uri, w.names[i], size) < 0)
            r = ci_fail(s, CI_ENOMEM, "out of memory");
        char path[CI_PATH_MAX + 10];
        snprintf(path, sizeof(path), "/output/%s", w.names[i]);
        ci_audit_s3_transfer(s->audit, "upload", uri, path, r == CI_OK ? (int64_t)size : -1, r);
        free(uri);
    }
    if (pc.canceled)
        consume_cancel(s);
    for (size_t i = 0; i < w.count; i++)
        free(w.names[i]);
    free(w.names);
    if (root >= 0)
        close(root);
    ops->close(t);
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
    s->ops->set_busy(s->sb, 1);
    int r = send_outputs(s, o, u);
    s->ops->set_busy(s->sb, 0);
    if (r < 0) {
        u->error = r;
        u->message = strdup(s->last_error);
    }
}

/* -------------------------------------------------------- session calls */

int ci_s3_session_download(struct ci_session *s, int rootfd, const struct ci_safe_owner *own,
                           const char *uri, const char *name, int64_t *size)
{
    const struct ci_transfer_ops *ops;
    struct ci_transfer *t;
    *size = -1;
    consume_cancel(s);
    int r = open_backend(s, uri, 0, &ops, &t);
    if (r < 0)
        return r;
    struct progress_ctx pc = { s, NULL, NULL, NULL, 0 };
    uint64_t got = 0;
    size_t made;
    r = fetch_one(s, ops, t, rootfd, own, uri, name, UINT64_MAX, &pc, &got, &made);
    if (r == CI_OK)
        *size = (int64_t)got;
    if (pc.canceled)
        consume_cancel(s);
    ops->close(t);
    return r;
}

int ci_s3_session_upload(struct ci_session *s, int rootfd, const char *name, const char *uri,
                         int64_t *size)
{
    const struct ci_transfer_ops *ops;
    struct ci_transfer *t;
    *size = -1;
    consume_cancel(s);
    int r = open_backend(s, uri, 0, &ops, &t);
    if (r < 0)
        return r;
    struct progress_ctx pc = { s, NULL, NULL, NULL, 0 };
    uint64_t sent = 0;
    r = send_file(s, ops, t, rootfd, name, uri, &pc, &sent);
    if (r == CI_OK)
        *size = (int64_t)sent;
    if (pc.canceled)
        consume_cancel(s);
    ops->close(t);
    return r;
}
