/* SPDX-License-Identifier: MIT */
#include "util/safe_path.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int ci_path_check(const char *name, char *err, size_t errlen)
{
    size_t len = strlen(name);
    if (len == 0) {
        snprintf(err, errlen, "the name is empty");
        return -1;
    }
    if (name[0] == '/') {
        snprintf(err, errlen, "the name is absolute; names are relative to /workspace");
        return -1;
    }
    if (len > CI_PATH_MAX) {
        snprintf(err, errlen, "the name is %zu bytes long; the limit is %d", len, CI_PATH_MAX);
        return -1;
    }
    for (const char *p = name;;) {
        const char *end = strchr(p, '/');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0) {
            snprintf(err, errlen, "the name has an empty component (\"//\" or a trailing \"/\")");
            return -1;
        }
        if (n > CI_NAME_MAX) {
            snprintf(err, errlen, "the name has a component of %zu bytes; the limit is %d", n,
                     CI_NAME_MAX);
            return -1;
        }
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.')) {
            snprintf(err, errlen, "the name has a \"%.*s\" component; only plain names are "
                     "accepted, so nothing can point outside /workspace", (int)n, p);
            return -1;
        }
        if (!end)
            return 0;
        p = end + 1;
    }
}

/* The fallback for kernels without openat2 (before 5.6): one component at
 * a time, each opened with O_NOFOLLOW from the descriptor of the one
 * before, so no symbolic link is ever followed; ".." and absolute names
 * are refused outright, which is what RESOLVE_BENEATH would make of them. */
static int walk_open(int dirfd, const char *name, int flags, mode_t mode)
{
    char buf[CI_PATH_MAX + 1];
    size_t len = strlen(name);
    if (len > CI_PATH_MAX)
        return -ENAMETOOLONG;
    if (name[0] == '/')
        return -EXDEV;
    memcpy(buf, name, len + 1);

    int cur = -1;
    char *p = buf;
    for (;;) {
        char *slash = strchr(p, '/');
        if (slash)
            *slash = '\0';
        if (!strcmp(p, ".."))
            return cur >= 0 ? (close(cur), -EXDEV) : -EXDEV;
        int at = cur >= 0 ? cur : dirfd;
        int fd = slash ? openat(at, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                       : openat(at, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        int e = errno;
        struct stat st;
        /* a link on the way fails as ENOTDIR here: say ELOOP, as openat2 does */
        if (fd < 0 && e == ENOTDIR && slash && fstatat(at, p, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            e = ELOOP;
        if (cur >= 0)
            close(cur);
        if (fd < 0)
            return -e;
        if (!slash)
            return fd;
        cur = fd;
        p = slash + 1;
    }
}

int ci_safe_open(int dirfd, const char *name, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV,
    };
    if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
        how.mode = mode;
    for (int tries = 0;; tries++) {
        long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
        if (fd >= 0)
            return (int)fd;
        /* EAGAIN: a rename raced the lookup; the kernel asks for a retry */
        if (errno == EAGAIN && tries < 8)
            continue;
        if (errno == ENOSYS)
            return walk_open(dirfd, name, flags, mode);
        return -errno;
    }
}

/* A directory we just made: mode exactly 0755 whatever the process umask,
 * owned by the directory's owner so sandboxed code can change it. */
static int adopt_dir(int fd, const struct ci_safe_owner *own)
{
    if (own && own->chown && fchown(fd, own->uid, own->gid) < 0)
        return -errno;
    if (fchmod(fd, 0755) < 0)
        return -errno;
    return 0;
}

/* Removes, deepest first, the last `made` components of the directory path
 * name[0..len), each only if empty. */
static void unmake(int rootfd, const char *name, size_t len, size_t made)
{
    char buf[CI_PATH_MAX + 1];
    if (len > CI_PATH_MAX)
        return;
    memcpy(buf, name, len);
    buf[len] = '\0';
    for (; made > 0 && len > 0; made--) {
        char *slash = strrchr(buf, '/');
        const char *base = slash ? slash + 1 : buf;
        int dfd = rootfd;
        if (slash) {
            *slash = '\0';
            dfd = ci_safe_open(rootfd, buf, O_PATH | O_DIRECTORY, 0);
        }
        if (dfd >= 0) {
            unlinkat(dfd, base, AT_REMOVEDIR);
            if (dfd != rootfd)
                close(dfd);
        }
        if (!slash)
            break;
    }
}

void ci_safe_unmake_dirs(int rootfd, const char *name, size_t made)
{
    const char *last = strrchr(name, '/');
    if (last)
        unmake(rootfd, name, (size_t)(last - name), made);
}

int ci_safe_open_parent(int rootfd, const char *name, int create, const struct ci_safe_owner *own,
                        const char **leaf, size_t *made)
{
    const char *last = strrchr(name, '/');
    *leaf = last ? last + 1 : name;
    size_t count = 0;

    int cur = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
    if (cur < 0)
        return -errno;
    char comp[CI_NAME_MAX + 1];
    for (const char *p = name; p < *leaf;) {
        const char *slash = strchr(p, '/');
        size_t n = (size_t)(slash - p);
        int fd = -ENAMETOOLONG, created = 0;
        if (n <= CI_NAME_MAX) {
            memcpy(comp, p, n);
            comp[n] = '\0';
            fd = ci_safe_open(cur, comp, O_RDONLY | O_DIRECTORY, 0);
        }
        /* O_DIRECTORY reports a symbolic link as "not a directory": say
         * what it is, a link we refuse to follow */
        struct stat st;
        if (fd == -ENOTDIR && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
            fd = -ELOOP;
        if (fd == -ENOENT && create) {
            if (mkdirat(cur, comp, 0755) == 0) {
                created = 1;
                count++;
            }
            fd = created || errno == EEXIST ? ci_safe_open(cur, comp, O_RDONLY | O_DIRECTORY, 0)
                                            : -errno;
            if (fd >= 0 && created) {
                int r = adopt_dir(fd, own);
                if (r < 0) {
                    close(fd);
                    fd = r;
                }
            }
        }
        close(cur);
        if (fd < 0) {
            unmake(rootfd, name, (size_t)(slash - name), count);
            return fd;
        }
        cur = fd;
        p = slash + 1;
    }
    if (made)
        *made = count;
    return cur;
}

static int random_name(char *buf, size_t cap)
{
    uint64_t r;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return -EIO;
    snprintf(buf, cap, ".ci-tmp-%016llx", (unsigned long long)r);
    return 0;
}

int ci_stage_open(struct ci_stage *st, int dirfd, mode_t mode)
{
    st->dirfd = dirfd;
    st->named = 0;
    st->tmp[0] = '\0';
    st->fd = openat(dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
    if (st->fd >= 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != EISDIR)
        return -errno;
    for (int tries = 0; tries < 16; tries++) {
        int r = random_name(st->tmp, sizeof(st->tmp));
        if (r < 0)
            return r;
        st->fd = openat(dirfd, st->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (st->fd >= 0) {
            st->named = 1;
            return 0;
        }
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

/* Gives the unnamed file a random dot-name in its directory. linkat with
 * AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH on older kernels; the
 * /proc/self/fd route needs /proc. */
static int name_tmpfile(struct ci_stage *st)
{
    for (int tries = 0; tries < 16; tries++) {
        int r = random_name(st->tmp, sizeof(st->tmp));
        if (r < 0)
            return r;
        if (linkat(st->fd, "", st->dirfd, st->tmp, AT_EMPTY_PATH) == 0)
            return 0;
        if (errno == ENOENT || errno == EPERM) {
            char proc[64];
            snprintf(proc, sizeof(proc), "/proc/self/fd/%d", st->fd);
            if (linkat(AT_FDCWD, proc, st->dirfd, st->tmp, AT_SYMLINK_FOLLOW) == 0)
                return 0;
        }
        if (errno != EEXIST)
            return -errno;
    }
    return -EEXIST;
}

int ci_stage_commit(struct ci_stage *st, const char *leaf)
{
    int r = 0;
    if (!st->named) {
        r = name_tmpfile(st);
        if (r == 0)
            st->named = 1;
    }
    if (r == 0 && renameat(st->dirfd, st->tmp, st->dirfd, leaf) < 0)
        r = -errno;
    if (r < 0) {
        ci_stage_abort(st);
        return r;
    }
    close(st->fd);
    st->fd = -1;
    st->named = 0;
    return 0;
}

void ci_stage_abort(struct ci_stage *st)
{
    if (st->named)
        unlinkat(st->dirfd, st->tmp, 0);
    st->named = 0;
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
}

/* --------------------------------------------------------------- removal */

/* Opens a subdirectory without following links. One whose mode denies us
 * reading (sandboxed code can chmod 000) is made readable first through an
 * O_PATH descriptor, which needs no permission and names that very inode. */
static int open_subdir(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 || errno != EACCES)
        return fd < 0 ? -errno : fd;
    int pfd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (pfd < 0)
        return -errno;
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
    int r = chmod(proc, 0700);
    int e = errno;
    fd = r < 0 ? -1 : openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (r == 0 && fd < 0)
        e = errno;
    close(pfd);
    return fd < 0 ? -e : fd;
}

/* Empties fd as far as it can without descending: files, links and empty
 * folders go. 1 with the name of a non-empty subfolder in sub, 0 once fd is
 * empty, or -errno. */
static int remove_entries(int fd, char *sub, size_t subcap)
{
    int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dfd < 0)
        return -errno;
    DIR *d = fdopendir(dfd);
    if (!d) {
        int e = errno;
        close(dfd);
        return -e;
    }
    rewinddir(d);
    int result = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (unlinkat(fd, de->d_name, 0) == 0 || errno == ENOENT)
            continue;
        if (errno != EISDIR && errno != EPERM) {
            result = -errno;
            break;
        }
        if (unlinkat(fd, de->d_name, AT_REMOVEDIR) == 0 || errno == ENOENT)
            continue;
        if (errno != ENOTEMPTY && errno != EEXIST && errno != EACCES && errno != EPERM) {
            result = -errno;
            break;
        }
        snprintf(sub, subcap, "%s", de->d_name);
        result = 1;
        break;
    }
    closedir(d);
    return result;
}

struct dir_id {
    dev_t dev;
    ino_t ino;
};

static int same_dir(int fd, const struct dir_id *want)
{
    struct stat st;
    return fstat(fd, &st) == 0 && st.st_dev == want->dev && st.st_ino == want->ino;
}

/* Records fd as the next folder down the walk. */
static int push_dir(int fd, struct dir_id **path, size_t *depth, size_t *cap)
{
    if (*depth == *cap) {
        size_t grown = *cap ? *cap * 2 : 64;
        struct dir_id *bigger = realloc(*path, grown * sizeof(*bigger));
        if (!bigger)
            return -ENOMEM;
        *path = bigger;
        *cap = grown;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    (*path)[*depth].dev = st.st_dev;
    (*path)[*depth].ino = st.st_ino;
    (*depth)++;
    return 0;
}

int ci_safe_rmtree_at(int dirfd, const char *name)
{
    /* unlinkat() would resolve the leading components the ordinary way,
     * symbolic links included */
    if (strchr(name, '/'))
        return -EINVAL;
    if (unlinkat(dirfd, name, 0) == 0)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -errno;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0)
        return 0;
    if (errno == ENOENT)
        return -ENOENT;

    int fd = open_subdir(dirfd, name);
    if (fd < 0)
        return fd;
    struct dir_id *path = NULL; /* the folders from the top down to fd */
    size_t depth = 0, cap = 0;
    char sub[CI_NAME_MAX + 1];
    int r = push_dir(fd, &path, &depth, &cap);
    while (r == 0) {
        r = remove_entries(fd, sub, sizeof(sub));
        if (r == 1) {
            int child = open_subdir(fd, sub);
            if (child == -ENOENT) { /* gone meanwhile: look again */
                r = 0;
                continue;
            }
            if (child < 0) {
                r = child;
                break;
            }
            close(fd);
            fd = child;
            r = push_dir(fd, &path, &depth, &cap);
            continue;
        }
        if (r < 0 || depth == 1)
            break; /* an error, or the top is empty */
        /* fd is empty: back to its parent, which must be the folder we
         * came down from, or the tree was rearranged under us */
        int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0) {
            r = -errno;
            break;
        }
        close(fd);
        fd = parent;
        depth--;
        if (!same_dir(fd, &path[depth - 1]))
            r = -ESTALE;
    }
    close(fd);
    free(path);
    if (r < 0)
        return r;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
        return -errno;
    return 0;
}
