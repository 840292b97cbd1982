/* SPDX-License-Identifier: MIT */
/*
 * The file calls: uploads, downloads, listing and removal in a session's
 * /workspace and /output, through the sandbox backend's file operations.
 * Writes land out of sight and are put in place whole; only plain regular
 * files are read; listings come in pages of bounded size.
 */
#include "core/files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/error.h"
#include "util/fdutil.h"
#include "util/safe_path.h"

/* Buffer of the streaming copies. */
#define COPY_CHUNK ((size_t)1 << 20)
#define FILETYPE_RULE "; only regular files with one name are downloaded"

/* The areas a name may start with, as the sandbox sees them. */
static const struct {
    const char *root;
    enum ci_area area;
} roots[] = {
    { "/workspace", CI_AREA_WORKSPACE },
    { "/output", CI_AREA_OUTPUT },
};

/* Where a name of a file call is: its area, and the name inside the area
 * ("." for the area's root, which only a listing may name). 0, or -1 with
 * the reason in why. */
static int resolve(const char *name, int root_ok, struct ci_file_where *w, char *why,
                   size_t whylen)
{
    w->area = CI_AREA_WORKSPACE;
    w->rel = name;
    w->root = roots[0].root;
    if (name[0] == '/') {
        size_t i = 0, n = 0;
        while (i < sizeof(roots) / sizeof(roots[0]) &&
               (strncmp(name, roots[i].root, n = strlen(roots[i].root)) != 0 ||
                (name[n] != '\0' && name[n] != '/')))
            i++;
        if (i == sizeof(roots) / sizeof(roots[0])) {
            snprintf(why, whylen, "the name is absolute but not in /workspace or /output; "
                     "names are relative to /workspace, or start with /workspace/ or /output/");
            return -1;
        }
        w->area = roots[i].area;
        w->root = roots[i].root;
        w->rel = name[n] ? name + n + 1 : "";
        if (w->rel[0] == '/') {
            snprintf(why, whylen, "the name has an empty component (\"//\")");
            return -1;
        }
        if (!w->rel[0] && !root_ok) {
            snprintf(why, whylen, "the name is the folder %s itself, not a file in it", w->root);
            return -1;
        }
    } else if (root_ok && !strcmp(name, ".")) {
        w->rel = "";
    }
    if (!w->rel[0] && root_ok) {
        w->rel = ".";
        return 0;
    }
    return ci_path_check(w->rel, why, whylen);
}

int ci_files_where(const char *name, int root_ok, struct ci_file_where *w, char *why,
                   size_t whylen)
{
    return resolve(name, root_ok, w, why, whylen) < 0 ? CI_EPATH : CI_OK;
}

static int check_name(struct ci_session *s, const char *what, const char *name, int root_ok,
                      struct ci_file_where *w)
{
    char why[200];
    if (resolve(name, root_ok, w, why, sizeof(why)) < 0)
        return ci_fail(s, CI_EPATH, "%s \"%.200s\": %s", what, name, why);
    return CI_OK;
}

/* A backend's answer about a name, as the session's message (only
 * file_open refuses a kind of file: the rule is the download's). */
static int fail_op(struct ci_session *s, int code, const char *what, const char *name,
                   const char *why)
{
    return ci_fail(s, code, "%s \"%.200s\": %s%s", what, name, why,
                   code == CI_EFILETYPE ? FILETYPE_RULE : "");
}

/* Copies in to out until EOF: CI_OK, CI_ETOOBIG as soon as more than limit
 * bytes came, or CI_EIO/CI_ENOMEM with errno's text in why. copy_file_range
 * keeps the bytes in the kernel (as cp does) between regular files; pipes
 * and other pairings fall back to read and write. */
static int copy_fd(int in, int out, uint64_t limit, const char **why)
{
    uint64_t total = 0;
    for (;;) {
        uint64_t want = limit - total < 8 * COPY_CHUNK ? limit - total + 1 : 8 * COPY_CHUNK;
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)want, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && total == 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
                                    errno == EOPNOTSUPP || errno == EBADF))
            break;
        if (n < 0)
            return ci_safe_error(errno, why);
        if (n == 0)
            return CI_OK;
        total += (uint64_t)n;
        if (total > limit)
            return CI_ETOOBIG;
    }
    char *buf = malloc(COPY_CHUNK);
    if (!buf)
        return ci_safe_error(ENOMEM, why);
    int r = CI_OK;
    for (;;) {
        ssize_t n = read(in, buf, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                r = ci_safe_error(errno, why);
            break;
        }
        total += (uint64_t)n;
        if (total > limit) {
            r = CI_ETOOBIG;
            break;
        }
        int e = ci_write_all(out, buf, (size_t)n);
        if (e < 0) {
            r = ci_safe_error(-e, why);
            break;
        }
    }
    free(buf);
    return r;
}

/* The contents of an upload: a buffer, or a descriptor to stream from. */
struct source {
    const void *data;
    size_t len;
    int fd;
};

/* Puts one file in place at `name` (found at `at`); *w stays for the
 * batch to undo. On failure nothing of it is left. */
static int put_file(struct ci_session *s, const char *name, const struct ci_file_where *at,
                    const struct source *src, struct ci_sb_write **w)
{
    char err[512];
    int fd;
    int r = s->ops->write_begin(s->sb, at->area, at->rel, w, &fd, err, sizeof(err));
    if (r < 0)
        return fail_op(s, r, "upload", name, err);
    const char *why = NULL;
    if (src->fd >= 0) {
        r = copy_fd(src->fd, fd, s->cfg.upload_limit, &why);
    } else {
        int e = ci_write_all(fd, src->data, src->len);
        r = e < 0 ? ci_safe_error(-e, &why) : CI_OK;
    }
    if (r == CI_OK && (r = s->ops->write_commit(s->sb, *w, err, sizeof(err))) < 0)
        why = err;
    if (r == CI_OK)
        return CI_OK;
    s->ops->write_end(s->sb, *w, 0);
    *w = NULL;
    if (r == CI_ETOOBIG)
        return ci_fail(s, CI_ETOOBIG, "upload \"%.200s\": the file grew past the upload limit "
                       "of %llu bytes while being copied", name,
                       (unsigned long long)s->cfg.upload_limit);
    return fail_op(s, r, "upload", name, why);
}

static int check_size(struct ci_session *s, const char *name, uint64_t size)
{
    if (size > s->cfg.upload_limit)
        return ci_fail(s, CI_ETOOBIG, "upload \"%.200s\": %llu bytes is over the upload limit "
                       "of %llu bytes", name, (unsigned long long)size,
                       (unsigned long long)s->cfg.upload_limit);
    return CI_OK;
}

static int write_all_files(struct ci_session *s, const struct ci_file_data *files, size_t n)
{
    struct ci_sb_write **w = calloc(n ? n : 1, sizeof(*w));
    struct ci_file_where *at = calloc(n ? n : 1, sizeof(*at));
    int r = w && at ? CI_OK : ci_fail(s, CI_ENOMEM, "out of memory");
    for (size_t i = 0; r == CI_OK && i < n; i++) {
        r = check_name(s, "upload", files[i].name, 0, &at[i]);
        if (r == CI_OK)
            r = check_size(s, files[i].name, files[i].len);
    }
    size_t i = 0;
    for (; r == CI_OK && i < n; i++) {
        struct source src = { files[i].data, files[i].len, -1 };
        r = put_file(s, files[i].name, &at[i], &src, &w[i]);
    }
    /* the failed file cleaned up after itself; undo the ones before it,
     * last first so that the folders they made are empty when we get there */
    while (i-- > 0)
        s->ops->write_end(s->sb, w[i], r == CI_OK);
    free(at);
    free(w);
    return r;
}

int ci_files_write_all(struct ci_session *s, const struct ci_file_data *files, size_t n)
{
    int r = ci_session_hold(s);
    if (r == CI_EBUSY)
        return r;
    if (r == CI_OK)
        r = write_all_files(s, files, n);
    ci_session_release(s);
    /* each file of the batch on the audit trail, with the batch's outcome */
    for (size_t i = 0; i < n; i++)
        ci_audit_file_op(s->audit, "upload", files[i].name, NULL, (int64_t)files[i].len, r);
    return r;
}

/* Opens the host file of an upload: its descriptor, or a CI_E*. */
static int open_host_file(struct ci_session *s, const char *host_path, int64_t *size)
{
    int in = open(host_path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (in < 0)
        return ci_fail(s, errno == ENOENT ? CI_ENOENT : CI_EIO, "cannot open host file %s: %s",
                       host_path, strerror(errno));
    struct stat st;
    if (fstat(in, &st) < 0 || S_ISDIR(st.st_mode)) {
        int r = ci_fail(s, CI_EIO, "cannot read host file %s: %s", host_path,
                        S_ISDIR(st.st_mode) ? "it is a directory" : strerror(errno));
        close(in);
        return r;
    }
    /* a pipe has no size to check: the copy counts what comes */
    *size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    return in;
}

static int upload_from(struct ci_session *s, const char *host_path, const char *name,
                       int64_t *size)
{
    struct ci_file_where at;
    int r = check_name(s, "upload", name, 0, &at);
    int in = r < 0 ? r : open_host_file(s, host_path, size);
    if (in < 0)
        return in;
    if (*size >= 0)
        r = check_size(s, name, (uint64_t)*size);
    if (r == CI_OK && (r = ci_session_hold(s)) != CI_EBUSY) {
        struct ci_sb_write *w = NULL;
        struct source src = { NULL, 0, in };
        if (r == CI_OK && (r = put_file(s, name, &at, &src, &w)) == CI_OK)
            s->ops->write_end(s->sb, w, 1);
        ci_session_release(s);
    }
    close(in);
    return r;
}

int ci_files_upload_from(struct ci_session *s, const char *host_path, const char *name)
{
    int64_t size = -1;
    int r = upload_from(s, host_path, name, &size);
    if (r != CI_EBUSY)
        ci_audit_file_op(s->audit, "upload", name, host_path, size, r);
    return r;
}

/* Opens a session file for reading: its descriptor, or a CI_E*. */
static int open_file(struct ci_session *s, const char *name, const struct ci_file_where *at,
                     uint64_t *size)
{
    char err[512];
    int fd;
    int r = s->ops->file_open(s->sb, at->area, at->rel, &fd, size, err, sizeof(err));
    return r < 0 ? fail_op(s, r, "download", name, err) : fd;
}

/* Appends n probe bytes to the full buffer, growing it. */
static int grow_with(char **buf, size_t *alloc, size_t len, const char *probe, size_t n)
{
    size_t grown = *alloc * 2 > len + n + 1 ? *alloc * 2 : len + n + 1;
    char *bigger = realloc(*buf, grown);
    if (!bigger)
        return CI_ENOMEM;
    *buf = bigger;
    *alloc = grown;
    memcpy(*buf + len, probe, n);
    return CI_OK;
}

/* Reads fd to EOF into a NUL-terminated buffer, at most `cap` bytes: the
 * file may still grow while we read it. CI_OK, CI_ETOOBIG, or a CI_E*
 * with why set. */
static int read_all(int fd, size_t hint, uint64_t cap, char **out, size_t *out_len,
                    const char **why)
{
    size_t alloc = hint + 1, len = 0;
    char *buf = malloc(alloc);
    int r = buf ? CI_OK : ci_safe_error(ENOMEM, why);
    while (r == CI_OK) {
        /* full: look for more before growing, the usual case is EOF */
        char probe[4096];
        int full = len + 1 == alloc;
        ssize_t n = full ? read(fd, probe, sizeof(probe)) : read(fd, buf + len, alloc - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0)
                r = ci_safe_error(errno, why);
            break;
        }
        if (len + (uint64_t)n > cap)
            r = CI_ETOOBIG;
        else if (full && grow_with(&buf, &alloc, len, probe, (size_t)n) < 0)
            r = ci_safe_error(ENOMEM, why);
        else
            len += (size_t)n;
    }
    if (r < 0) {
        free(buf);
        return r;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return CI_OK;
}

static int read_file(struct ci_session *s, const char *name, const struct ci_file_where *at,
                     uint64_t max, void **data, size_t *len)
{
    /* nothing in the session can be larger than what the sandbox may
     * write (its file size limit) or what we may upload */
    uint64_t cap = s->cfg.max_file_size > s->cfg.upload_limit ? s->cfg.max_file_size
                                                               : s->cfg.upload_limit;
    if (max < cap)
        cap = max;
    uint64_t size;
    int fd = open_file(s, name, at, &size);
    if (fd < 0)
        return fd;
    char *buf = NULL;
    size_t got = 0;
    const char *why = NULL;
    int r = size > cap || size >= SIZE_MAX ? CI_ETOOBIG
                                           : read_all(fd, (size_t)size, cap, &buf, &got, &why);
    close(fd);
    if (r == CI_ETOOBIG && size > cap)
        return ci_fail(s, CI_ETOOBIG, "download \"%.200s\": the file is %llu bytes, over the "
                       "limit of %llu bytes", name, (unsigned long long)size,
                       (unsigned long long)cap);
    if (r == CI_ETOOBIG)
        return ci_fail(s, CI_ETOOBIG, "download \"%.200s\": the file grew past the limit of "
                       "%llu bytes while being read", name, (unsigned long long)cap);
    if (r < 0)
        return fail_op(s, r, "download", name, why);
    *data = buf;
    *len = got;
    return CI_OK;
}

int ci_files_read(struct ci_session *s, const char *name, uint64_t max, void **data,
                  size_t *len)
{
    struct ci_file_where at;
    int r = check_name(s, "download", name, 0, &at);
    if (r == CI_OK) {
        if ((r = ci_session_hold(s)) == CI_EBUSY)
            return r;
        if (r == CI_OK)
            r = read_file(s, name, &at, max, data, len);
        ci_session_release(s);
    }
    ci_audit_file_op(s->audit, "download", name, NULL, r == CI_OK ? (int64_t)*len : -1, r);
    return r;
}

/* Splits a host path into its folder (opened) and its last component. */
static int open_host_parent(struct ci_session *s, const char *host_path, int *dirfd,
                            char **dir, const char **base)
{
    if (!(*dir = strdup(host_path)))
        return ci_fail(s, CI_ENOMEM, "out of memory");
    char *slash = strrchr(*dir, '/');
    *base = slash ? slash + 1 : *dir;
    *dirfd = AT_FDCWD;
    if (!**base)
        return ci_fail(s, CI_EINVAL, "host path %s names a directory, not a file", host_path);
    if (!slash)
        return CI_OK;
    *slash = '\0';
    const char *folder = slash == *dir ? "/" : *dir;
    *dirfd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (*dirfd < 0)
        return ci_fail(s, errno == ENOENT ? CI_ENOENT : CI_EIO, "cannot open host folder %s: %s",
                       folder, strerror(errno));
    return CI_OK;
}

/* Copies the session file to base in hostdir, staged and renamed. */
static int copy_out(struct ci_session *s, const char *name, const struct ci_file_where *at,
                    int hostdir, const char *base, const char *host_path, int64_t *size)
{
    uint64_t st_size;
    int fd = open_file(s, name, at, &st_size);
    if (fd < 0)
        return fd;
    *size = (int64_t)st_size;
    struct ci_stage stage;
    const char *why = NULL;
    int e = ci_stage_open(&stage, hostdir, 0666);
    int r = e < 0 ? ci_safe_error(-e, &why) : copy_fd(fd, stage.fd, UINT64_MAX, &why);
    if (e == 0 && r == CI_OK && (e = ci_stage_commit(&stage, base)) < 0)
        r = ci_safe_error(-e, &why);
    else if (e == 0 && r < 0)
        ci_stage_abort(&stage);
    close(fd);
    if (r < 0)
        return ci_fail(s, r == CI_ENOMEM ? CI_ENOMEM : CI_EIO,
                       "download \"%.200s\" to host file %s: %s", name, host_path, why);
    return CI_OK;
}

int ci_files_download_to(struct ci_session *s, const char *name, const char *host_path)
{
    int64_t size = -1;
    int hostdir = AT_FDCWD;
    char *dir = NULL;
    const char *base = NULL;
    struct ci_file_where at;
    int r = check_name(s, "download", name, 0, &at);
    if (r == CI_OK)
        r = open_host_parent(s, host_path, &hostdir, &dir, &base);
    if (r == CI_OK) {
        if ((r = ci_session_hold(s)) == CI_EBUSY)
            goto out;
        if (r == CI_OK)
            r = copy_out(s, name, &at, hostdir, base, host_path, &size);
        ci_session_release(s);
    }
    ci_audit_file_op(s->audit, "download", name, host_path, r == CI_OK ? size : -1, r);
out:
    if (hostdir >= 0)
        close(hostdir);
    free(dir);
    return r;
}

int ci_files_list(struct ci_session *s, const char *dir, struct ci_safe_page *page)
{
    struct ci_file_where at;
    int r = check_name(s, "list", dir, 1, &at);
    char err[512];
    page->entries = NULL;
    page->count = 0;
    page->next = NULL;
    if (r == CI_OK && (page->limit == 0 || page->limit > CI_FILE_LIST_MAX))
        r = ci_fail(s, CI_EINVAL, "list \"%.200s\": a page holds 1 to %d entries, not %zu", dir,
                    CI_FILE_LIST_MAX, page->limit);
    if (r == CI_OK) {
        if ((r = ci_session_hold(s)) == CI_EBUSY)
            return r;
        if (r == CI_OK)
            r = s->ops->list(s->sb, at.area, at.rel, page, err, sizeof(err));
        if (r < 0 && r != CI_EEXPIRED && r != CI_ECLOSED)
            fail_op(s, r, "list", dir, err);
        ci_session_release(s);
    }
    ci_audit_list(s->audit, dir, r == CI_OK ? page->count : 0, r);
    return r;
}

int ci_files_remove(struct ci_session *s, const char *name)
{
    struct ci_file_where at;
    int r = check_name(s, "remove", name, 0, &at);
    char err[512];
    if (r == CI_OK) {
        if ((r = ci_session_hold(s)) == CI_EBUSY)
            return r;
        if (r == CI_OK && (r = s->ops->remove(s->sb, at.area, at.rel, err, sizeof(err))) < 0)
            fail_op(s, r, "remove", name, err);
        ci_session_release(s);
    }
    ci_audit_file_op(s->audit, "remove", name, NULL, -1, r);
    return r;
}
