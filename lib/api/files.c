/* SPDX-License-Identifier: MIT */
/*
 * The file calls: uploads, downloads, listing and removal in a session's
 * /workspace. That directory is writable by sandboxed code, which can plant
 * symbolic links, hard links and FIFOs and rename things while we work, so
 * every operation starts from a descriptor of the workspace and goes
 * through util/safe_path (openat2 beneath it, no symbolic link followed),
 * writes land under a temporary name and are renamed into place, and only
 * plain regular files are read.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/errors.h"
#include "api/files_internal.h"
#include "core/audit.h"
#include "core/session_internal.h"
#include "util/clock.h"
#include "util/fdutil.h"
#include "util/safe_path.h"

/* Buffer of the streaming copies. */
#define COPY_CHUNK ((size_t)1 << 20)

struct ci_file_entry {
    char *name;
    ci_file_type type;
    uint64_t size;
    int64_t mtime;
};

struct ci_file_list {
    size_t count;
    struct ci_file_entry *entries;
};

CI_EXPORT int ci_config_set_upload_limit(ci_config *c, uint64_t bytes)
{
    ci_error_reset();
    if (!c)
        return ci_fail(NULL, CI_EINVAL, "config is NULL");
    c->upload_limit = bytes;
    return CI_OK;
}

/* --------------------------------------------------------------- session */

/* As ci_execute() judges it: a session whose sandbox expired or died is
 * unusable, even though its files are still on the host until destroy. */
/*
 * Starts a file call: takes the session as ci_execute() does (one call at a
 * time), holds the idle clock, and opens /workspace. The workspace's owner
 * is the sandbox's user; on a root host what we create is given to it.
 */
int ci_workspace_call_begin(struct ci_session *s, int *root, struct ci_safe_owner *own)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&s->executing, &expected, 1))
        return ci_fail(s, CI_EBUSY, "the session is executing on another thread");
    int r = ci_session_check_alive(s);
    if (r < 0) {
        atomic_store(&s->executing, 0);
        return r;
    }
    s->ops->set_busy(s->sb, 1);
    const char *ws = s->ops->workspace(s->sb);
    struct stat st;
    *root = open(ws, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*root < 0 || fstat(*root, &st) < 0) {
        r = ci_fail(s, CI_EIO, "cannot open the session's workspace %s: %s", ws, strerror(errno));
        if (*root >= 0)
            close(*root);
        s->ops->set_busy(s->sb, 0);
        atomic_store(&s->executing, 0);
        return r;
    }
    own->uid = st.st_uid;
    own->gid = st.st_gid;
    own->chown = geteuid() == 0;
    return CI_OK;
}

void ci_workspace_call_end(struct ci_session *s, int root)
{
    close(root);
    s->last_used_ms = ci_now_ms();
    s->ops->set_busy(s->sb, 0);
    atomic_store(&s->executing, 0);
}

/* ---------------------------------------------------------------- errors */

static int check_name(struct ci_session *s, const char *what, const char *name)
{
    char why[160];
    if (ci_path_check(name, why, sizeof(why)) < 0)
        return ci_fail(s, CI_EPATH, "%s \"%.200s\": %s", what, name, why);
    return CI_OK;
}

/* An errno met in the workspace, as a code and a message for the user. */
static int fail_errno(struct ci_session *s, int err, const char *what, const char *name)
{
    int code = CI_EPATH;
    const char *why;
    switch (err) {
    case ENOENT:
        code = CI_ENOENT;
        why = "no such file or folder";
        break;
    case ELOOP:
        why = "the name is or goes through a symbolic link, which is never followed";
        break;
    case EXDEV:
        why = "the name leads outside /workspace";
        break;
    case ENOTDIR:
        why = "a component of the name is not a folder";
        break;
    case EISDIR:
        why = "the name is a folder";
        break;
    case ENAMETOOLONG:
        why = "the name is too long";
        break;
    case ESTALE:
        code = CI_EIO;
        why = "folders were moved inside it while it was being removed (by code running in "
              "the sandbox); the removal stopped there";
        break;
    case ENOMEM:
        code = CI_ENOMEM;
        why = "out of memory";
        break;
    default:
        code = CI_EIO;
        why = strerror(err);
        break;
    }
    return ci_fail(s, code, "%s \"%.200s\": %s", what, name, why);
}

static const char *kind_name(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a folder";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

/* ----------------------------------------------------------------- write */

/* What copy_fd returns when more than `limit` bytes came: a value no errno
 * can take, so a real EFBIG from a write is not mistaken for it. */
#define OVER_LIMIT 1

/* Copies in to out until EOF: 0, -errno, or OVER_LIMIT as soon as more
 * than limit bytes came. copy_file_range keeps the bytes in the kernel (as cp does) between
 * regular files; pipes and other pairings fall back to read and write. */
static int copy_fd(int in, int out, uint64_t limit)
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
            return -errno;
        if (n == 0)
            return 0;
        total += (uint64_t)n;
        if (total > limit)
            return OVER_LIMIT;
    }

    char *buf = malloc(COPY_CHUNK);
    if (!buf)
        return -ENOMEM;
    int r = 0;
    for (;;) {
        ssize_t n = read(in, buf, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            break;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
        if (total > limit) {
            r = OVER_LIMIT;
            break;
        }
        r = ci_write_all(out, buf, (size_t)n);
        if (r < 0)
            break;
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

/*
 * Puts one file in place at `name`. On failure nothing of it is left: not
 * the temporary file, not the folders made for it.
 */
static int put_file(struct ci_session *s, int root, const struct ci_safe_owner *own,
                    const char *name, const struct source *src, size_t *made)
{
    const char *leaf;
    *made = 0;
    int dir = ci_safe_open_parent(root, name, 1, own, &leaf, made);
    if (dir < 0)
        return fail_errno(s, -dir, "upload", name);

    /* a folder in the way would only show at the rename: say it first */
    struct stat st;
    int e = 0;
    if (fstatat(dir, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        e = -EISDIR;
    struct ci_stage stage;
    if (e == 0)
        e = ci_stage_open(&stage, dir, 0600);
    if (e == 0) {
        e = src->fd >= 0 ? copy_fd(src->fd, stage.fd, s->cfg.upload_limit)
                         : ci_write_all(stage.fd, src->data, src->len);
        if (e == 0 && own->chown && fchown(stage.fd, own->uid, own->gid) < 0)
            e = -errno;
        /* exact mode whatever the host's umask */
        if (e == 0 && fchmod(stage.fd, 0644) < 0)
            e = -errno;
        if (e == 0)
            e = ci_stage_commit(&stage, leaf);
        else
            ci_stage_abort(&stage);
    }
    close(dir);
    if (e == 0)
        return CI_OK;
    ci_safe_unmake_dirs(root, name, *made);
    *made = 0;
    if (e == OVER_LIMIT)
        return ci_fail(s, CI_ETOOBIG, "upload \"%.200s\": the file grew past the upload limit "
                       "of %llu bytes while being copied", name,
                       (unsigned long long)s->cfg.upload_limit);
    return fail_errno(s, -e, "upload", name);
}

/* Removes a file a failed batch wrote, if it is still a file. */
static void unput_file(int root, const char *name, size_t made)
{
    const char *leaf;
    int dir = ci_safe_open_parent(root, name, 0, NULL, &leaf, NULL);
    if (dir >= 0) {
        unlinkat(dir, leaf, 0);
        close(dir);
    }
    ci_safe_unmake_dirs(root, name, made);
}

static int check_size(struct ci_session *s, const char *name, uint64_t size)
{
    if (size > s->cfg.upload_limit)
        return ci_fail(s, CI_ETOOBIG, "upload \"%.200s\": %llu bytes is over the upload limit "
                       "of %llu bytes", name, (unsigned long long)size,
                       (unsigned long long)s->cfg.upload_limit);
    return CI_OK;
}

static int write_all_files(ci_session *s, const struct ci_file_data *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int r = check_name(s, "upload", files[i].name);
        if (r == CI_OK)
            r = check_size(s, files[i].name, files[i].len);
        if (r < 0)
            return r;
    }
    size_t *made = calloc(n ? n : 1, sizeof(*made));
    if (!made)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    int root;
    struct ci_safe_owner own;
    int r = ci_workspace_call_begin(s, &root, &own);
    if (r < 0) {
        free(made);
        return r;
    }
    size_t i = 0;
    for (; i < n; i++) {
        struct source src = { files[i].data, files[i].len, -1 };
        r = put_file(s, root, &own, files[i].name, &src, &made[i]);
        if (r < 0)
            break;
    }
    /* the failed file cleaned up after itself; undo the ones before it,
     * last first so that the folders they made are empty when we get there */
    if (r < 0)
        while (i-- > 0)
            unput_file(root, files[i].name, made[i]);
    ci_workspace_call_end(s, root);
    free(made);
    return r;
}

/* Each file of the batch on the audit trail, with the batch's outcome: on
 * failure none of them was written. */
int ci_files_write_all(ci_session *s, const struct ci_file_data *files, size_t n)
{
    int r = write_all_files(s, files, n);
    for (size_t i = 0; r != CI_EBUSY && i < n; i++)
        ci_audit_file_op(s->audit, "upload", files[i].name, NULL, (int64_t)files[i].len, r);
    return r;
}

CI_EXPORT int ci_upload(ci_session *s, const char *name, const void *data, size_t len)
{
    ci_error_reset();
    if (!s || !name || (!data && len > 0))
        return ci_fail(s, CI_EINVAL, "ci_upload: session, name and data must not be NULL");
    struct ci_file_data file = { name, data, len };
    return ci_files_write_all(s, &file, 1);
}

static int upload_file(ci_session *s, const char *host_path, const char *name, int64_t *size)
{
    int r = check_name(s, "upload", name);
    if (r < 0)
        return r;
    int in = open(host_path, O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (in < 0)
        return ci_fail(s, errno == ENOENT ? CI_ENOENT : CI_EIO, "cannot open host file %s: %s",
                       host_path, strerror(errno));
    struct stat st;
    if (fstat(in, &st) < 0 || S_ISDIR(st.st_mode)) {
        r = ci_fail(s, CI_EIO, "cannot read host file %s: %s", host_path,
                    S_ISDIR(st.st_mode) ? "it is a directory" : strerror(errno));
        close(in);
        return r;
    }
    /* a pipe has no size to check: the copy counts what comes */
    *size = S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1;
    if (S_ISREG(st.st_mode))
        r = check_size(s, name, (uint64_t)st.st_size);
    int root;
    struct ci_safe_owner own;
    if (r == CI_OK)
        r = ci_workspace_call_begin(s, &root, &own);
    if (r == CI_OK) {
        struct source src = { NULL, 0, in };
        size_t made;
        r = put_file(s, root, &own, name, &src, &made);
        ci_workspace_call_end(s, root);
    }
    close(in);
    return r;
}

CI_EXPORT int ci_upload_file(ci_session *s, const char *host_path, const char *name)
{
    ci_error_reset();
    if (!s || !host_path || !name)
        return ci_fail(s, CI_EINVAL, "ci_upload_file: session, host_path and name must not be NULL");
    int64_t size = -1;
    int r = upload_file(s, host_path, name, &size);
    if (r != CI_EBUSY)
        ci_audit_file_op(s->audit, "upload", name, host_path, size, r);
    return r;
}

/* ------------------------------------------------------------------ read */

/*
 * Opens a workspace file for reading if it is a plain regular file. The
 * open is non-blocking because opening a FIFO for reading would otherwise
 * wait for a writer the sandbox controls. A regular file with several hard
 * links is refused: the other name could be a link sandboxed code made to
 * a file it cannot read itself but the host can (on this design it sees no
 * host file it could link, and /workspace is a mount of its own so links
 * across it fail, but the check costs nothing and keeps that true if the
 * mounts change).
 */
static int open_regular(struct ci_session *s, int root, const char *name, struct stat *st)
{
    int fd = ci_safe_open(root, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
    if (fd == -ENXIO) /* what opening a socket gives */
        return ci_fail(s, CI_EFILETYPE, "download \"%.200s\": it is a socket; only regular "
                       "files are downloaded", name);
    if (fd < 0)
        return fail_errno(s, -fd, "download", name);
    int r = CI_OK;
    if (fstat(fd, st) < 0)
        r = fail_errno(s, errno, "download", name);
    else if (!S_ISREG(st->st_mode))
        r = ci_fail(s, CI_EFILETYPE, "download \"%.200s\": it is %s; only regular files are "
                    "downloaded", name, kind_name(st->st_mode));
    else if (st->st_nlink > 1)
        r = ci_fail(s, CI_EFILETYPE, "download \"%.200s\": the file has %ju hard links; only "
                    "files with one name are downloaded", name, (uintmax_t)st->st_nlink);
    else if (ci_fd_set_nonblock(fd, 0) < 0)
        r = fail_errno(s, errno, "download", name);
    if (r < 0) {
        close(fd);
        return r;
    }
    return fd;
}

/* Reads fd to EOF into a NUL-terminated buffer, at most `cap` bytes: the
 * file may still grow while we read it. */
static int read_all(int fd, size_t hint, uint64_t cap, char **out, size_t *out_len)
{
    size_t alloc = hint + 1, len = 0;
    char *buf = malloc(alloc);
    if (!buf)
        return -ENOMEM;
    for (;;) {
        if (len + 1 == alloc) {
            /* full: look for more before growing, the usual case is EOF */
            char probe[4096];
            ssize_t n = read(fd, probe, sizeof(probe));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                if (n < 0) {
                    int e = errno;
                    free(buf);
                    return -e;
                }
                break;
            }
            if (len + (uint64_t)n > cap) {
                free(buf);
                return -EFBIG;
            }
            size_t grown = alloc * 2 > len + (size_t)n + 1 ? alloc * 2 : len + (size_t)n + 1;
            char *bigger = realloc(buf, grown);
            if (!bigger) {
                free(buf);
                return -ENOMEM;
            }
            buf = bigger;
            alloc = grown;
            memcpy(buf + len, probe, (size_t)n);
            len += (size_t)n;
            continue;
        }
        ssize_t n = read(fd, buf + len, alloc - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    return 0;
}

static int download(ci_session *s, const char *name, void **data, size_t *len)
{
    int r = check_name(s, "download", name);
    int root;
    struct ci_safe_owner own;
    if (r == CI_OK)
        r = ci_workspace_call_begin(s, &root, &own);
    if (r < 0)
        return r;
    /* nothing in the workspace can be larger than what the sandbox may
     * write (its file size limit) or what we may upload */
    uint64_t cap = s->cfg.max_file_size > s->cfg.upload_limit ? s->cfg.max_file_size
                                                               : s->cfg.upload_limit;
    struct stat st;
    int fd = open_regular(s, root, name, &st);
    if (fd >= 0) {
        char *buf = NULL;
        size_t got = 0;
        int e = (uint64_t)st.st_size > cap || (uint64_t)st.st_size >= SIZE_MAX ? -EFBIG
                    : read_all(fd, (size_t)st.st_size, cap, &buf, &got);
        close(fd);
        if (e == -EFBIG)
            r = ci_fail(s, CI_ETOOBIG, "download \"%.200s\": the file is larger than %llu bytes",
                        name, (unsigned long long)cap);
        else if (e < 0)
            r = fail_errno(s, -e, "download", name);
        else {
            *data = buf;
            *len = got;
        }
    } else {
        r = fd;
    }
    ci_workspace_call_end(s, root);
    return r;
}

CI_EXPORT int ci_download(ci_session *s, const char *name, void **data, size_t *len)
{
    ci_error_reset();
    if (!s || !name || !data || !len)
        return ci_fail(s, CI_EINVAL, "ci_download: session, name, data and len must not be NULL");
    int r = download(s, name, data, len);
    if (r != CI_EBUSY)
        ci_audit_file_op(s->audit, "download", name, NULL, r == CI_OK ? (int64_t)*len : -1, r);
    return r;
}

static int download_to_file(ci_session *s, const char *name, const char *host_path, int64_t *size)
{
    int r = check_name(s, "download", name);
    if (r < 0)
        return r;
    char *dir = strdup(host_path);
    if (!dir)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    char *slash = strrchr(dir, '/');
    const char *base = slash ? slash + 1 : dir;
    if (!*base) {
        free(dir);
        return ci_fail(s, CI_EINVAL, "host path %s names a directory, not a file", host_path);
    }
    int hostdir = AT_FDCWD;
    if (slash) {
        *slash = '\0';
        hostdir = open(slash == dir ? "/" : dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (hostdir < 0) {
            r = ci_fail(s, errno == ENOENT ? CI_ENOENT : CI_EIO, "cannot open host folder %s: %s",
                        slash == dir ? "/" : dir, strerror(errno));
            free(dir);
            return r;
        }
    }
    int root;
    struct ci_safe_owner own;
    r = ci_workspace_call_begin(s, &root, &own);
    if (r == CI_OK) {
        struct stat st;
        int fd = open_regular(s, root, name, &st);
        *size = fd >= 0 ? (int64_t)st.st_size : -1;
        struct ci_stage stage;
        int e = fd < 0 ? 0 : ci_stage_open(&stage, hostdir, 0666);
        if (fd >= 0 && e == 0) {
            e = copy_fd(fd, stage.fd, UINT64_MAX);
            if (e == 0)
                e = ci_stage_commit(&stage, base);
            else
                ci_stage_abort(&stage);
        }
        if (fd < 0)
            r = fd;
        else if (e < 0)
            r = ci_fail(s, e == -ENOMEM ? CI_ENOMEM : CI_EIO,
                        "download \"%.200s\" to host file %s: %s", name, host_path,
                        strerror(-e));
        if (fd >= 0)
            close(fd);
        ci_workspace_call_end(s, root);
    }
    if (hostdir != AT_FDCWD)
        close(hostdir);
    free(dir);
    return r;
}

CI_EXPORT int ci_download_to_file(ci_session *s, const char *name, const char *host_path)
{
    ci_error_reset();
    if (!s || !name || !host_path)
        return ci_fail(s, CI_EINVAL,
                       "ci_download_to_file: session, name and host_path must not be NULL");
    int64_t size = -1;
    int r = download_to_file(s, name, host_path, &size);
    if (r != CI_EBUSY)
        ci_audit_file_op(s->audit, "download", name, host_path, r == CI_OK ? size : -1, r);
    return r;
}

/* ------------------------------------------------------------------ list */

CI_EXPORT void ci_file_list_free(ci_file_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++)
        free(list->entries[i].name);
    free(list->entries);
    free(list);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct ci_file_entry *)a)->name, ((const struct ci_file_entry *)b)->name);
}

static ci_file_type type_of(mode_t mode)
{
    if (S_ISREG(mode))
        return CI_FILE_REGULAR;
    if (S_ISDIR(mode))
        return CI_FILE_DIRECTORY;
    if (S_ISLNK(mode))
        return CI_FILE_SYMLINK;
    return CI_FILE_OTHER;
}

/* Reads the entries of the open folder fd (taken over) into list. */
static int read_entries(int fd, struct ci_file_list *list)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    size_t cap = 0;
    int r = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) /* removed since readdir saw it */
                continue;
            r = -errno;
            break;
        }
        if (list->count == cap) {
            size_t grown = cap ? cap * 2 : 16;
            struct ci_file_entry *bigger = realloc(list->entries, grown * sizeof(*bigger));
            if (!bigger) {
                r = -ENOMEM;
                break;
            }
            list->entries = bigger;
            cap = grown;
        }
        struct ci_file_entry *e = &list->entries[list->count];
        e->name = strdup(de->d_name);
        if (!e->name) {
            r = -ENOMEM;
            break;
        }
        e->type = type_of(st.st_mode);
        e->size = (uint64_t)st.st_size;
        e->mtime = (int64_t)st.st_mtim.tv_sec;
        list->count++;
        errno = 0;
    }
    if (r == 0 && errno != 0)
        r = -errno;
    closedir(d);
    return r;
}

static int list_files(ci_session *s, const char *dir, ci_file_list **out)
{
    int root_dir = !dir || !*dir || !strcmp(dir, ".");
    int r = root_dir ? CI_OK : check_name(s, "list", dir);
    int root;
    struct ci_safe_owner own;
    if (r == CI_OK)
        r = ci_workspace_call_begin(s, &root, &own);
    if (r < 0)
        return r;
    const char *name = root_dir ? "." : dir;
    struct ci_file_list *list = calloc(1, sizeof(*list));
    int fd = list ? ci_safe_open(root, name, O_RDONLY | O_DIRECTORY, 0) : -ENOMEM;
    int e = fd < 0 ? fd : read_entries(fd, list);
    ci_workspace_call_end(s, root);
    if (e < 0) {
        ci_file_list_free(list);
        return fail_errno(s, -e, "list", root_dir ? "" : dir);
    }
    if (list->count > 1)
        qsort(list->entries, list->count, sizeof(*list->entries), by_name);
    *out = list;
    return CI_OK;
}

CI_EXPORT int ci_list_files(ci_session *s, const char *dir, ci_file_list **out)
{
    ci_error_reset();
    if (!s || !out)
        return ci_fail(s, CI_EINVAL, "ci_list_files: session and out must not be NULL");
    int r = list_files(s, dir, out);
    if (r != CI_EBUSY)
        ci_audit_list(s->audit, dir && strcmp(dir, ".") ? dir : "", r == CI_OK ? (*out)->count : 0, r);
    return r;
}

CI_EXPORT size_t ci_file_list_count(const ci_file_list *list)
{
    return list ? list->count : 0;
}

CI_EXPORT const char *ci_file_list_name(const ci_file_list *list, size_t i)
{
    return list && i < list->count ? list->entries[i].name : NULL;
}

CI_EXPORT ci_file_type ci_file_list_type(const ci_file_list *list, size_t i)
{
    return list && i < list->count ? list->entries[i].type : CI_FILE_OTHER;
}

CI_EXPORT uint64_t ci_file_list_size(const ci_file_list *list, size_t i)
{
    return list && i < list->count ? list->entries[i].size : 0;
}

CI_EXPORT int64_t ci_file_list_mtime(const ci_file_list *list, size_t i)
{
    return list && i < list->count ? list->entries[i].mtime : 0;
}

/* ---------------------------------------------------------------- remove */

static int remove_file(ci_session *s, const char *name)
{
    int r = check_name(s, "remove", name);
    int root;
    struct ci_safe_owner own;
    if (r == CI_OK)
        r = ci_workspace_call_begin(s, &root, &own);
    if (r < 0)
        return r;
    const char *leaf;
    int dir = ci_safe_open_parent(root, name, 0, NULL, &leaf, NULL);
    int e = dir < 0 ? dir : ci_safe_rmtree_at(dir, leaf);
    if (dir >= 0)
        close(dir);
    ci_workspace_call_end(s, root);
    return e < 0 ? fail_errno(s, -e, "remove", name) : CI_OK;
}

CI_EXPORT int ci_remove_file(ci_session *s, const char *name)
{
    ci_error_reset();
    if (!s || !name)
        return ci_fail(s, CI_EINVAL, "ci_remove_file: session and name must not be NULL");
    int r = remove_file(s, name);
    if (r != CI_EBUSY)
        ci_audit_file_op(s->audit, "remove", name, NULL, -1, r);
    return r;
}
