/* SPDX-License-Identifier: MIT */
/*
 * The file operations of a backend whose session files are host folders
 * (the process backend binds them into the sandbox). Sandboxed code writes
 * them while we work in them, so everything goes through util/safe_path
 * from a descriptor of the area's root.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox/host_files.h"
#include "util/safe_path.h"

struct ci_sb_write {
    enum ci_area area;
    char *name;
    size_t made;         /* folders made for it (ci_safe_open_parent) */
    int dirfd;           /* its folder, until committed */
    struct ci_stage stage;
    int committed;
};

static int open_area(const struct ci_host_areas *h, enum ci_area area, char *err,
                     size_t errlen)
{
    const char *path = area <= CI_AREA_DATA ? h->path[area] : NULL;
    int fd = path ? open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (fd < 0)
        snprintf(err, errlen, "cannot open the session's folder %s: %s", path ? path : "?",
                 strerror(path ? errno : EINVAL));
    return fd;
}

int ci_host_file_open(const struct ci_host_areas *h, enum ci_area area, const char *name,
                      int *fd, uint64_t *size, char *err, size_t errlen)
{
    int root = open_area(h, area, err, errlen);
    if (root < 0)
        return CI_EIO;
    int r = ci_safe_open_regular(root, name, size, err, errlen);
    close(root);
    if (r < 0)
        return r;
    *fd = r;
    return CI_OK;
}

int ci_host_write_begin(const struct ci_host_areas *h, enum ci_area area, const char *name,
                        struct ci_sb_write **out, int *fd, char *err, size_t errlen)
{
    struct ci_sb_write *w = calloc(1, sizeof(*w));
    if (!w || !(w->name = strdup(name))) {
        free(w);
        snprintf(err, errlen, "out of memory");
        return CI_ENOMEM;
    }
    w->area = area;
    int root = open_area(h, area, err, errlen);
    if (root < 0) {
        free(w->name);
        free(w);
        return CI_EIO;
    }
    struct ci_safe_owner own = h->owner[area];
    const char *leaf;
    int e = w->dirfd = ci_safe_open_parent(root, name, 1, &own, &leaf, &w->made);
    /* a folder in the way would only show at the rename: say it first */
    struct stat st;
    if (e >= 0 && fstatat(w->dirfd, leaf, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode))
        e = -EISDIR;
    if (e >= 0)
        e = ci_stage_open(&w->stage, w->dirfd, 0600);
    if (e < 0) {
        if (w->dirfd >= 0)
            close(w->dirfd);
        ci_safe_unmake_dirs(root, name, w->made);
        close(root);
        free(w->name);
        free(w);
        return ci_safe_fail(-e, err, errlen);
    }
    close(root);
    *fd = w->stage.fd;
    *out = w;
    return CI_OK;
}

int ci_host_write_commit(const struct ci_host_areas *h, struct ci_sb_write *w, char *err,
                         size_t errlen)
{
    struct ci_safe_owner own = h->owner[w->area];
    int e = 0;
    if (own.chown && fchown(w->stage.fd, own.uid, own.gid) < 0)
        e = -errno;
    /* exact mode whatever the host's umask: the sandbox's user reads it */
    if (e == 0 && fchmod(w->stage.fd, 0644) < 0)
        e = -errno;
    const char *slash = strrchr(w->name, '/');
    if (e == 0)
        e = ci_stage_commit(&w->stage, slash ? slash + 1 : w->name);
    else
        ci_stage_abort(&w->stage);
    close(w->dirfd);
    w->dirfd = -1;
    if (e < 0)
        return ci_safe_fail(-e, err, errlen);
    w->committed = 1;
    return CI_OK;
}

void ci_host_write_end(const struct ci_host_areas *h, struct ci_sb_write *w, int keep)
{
    if (!w)
        return;
    if (w->dirfd >= 0) { /* never committed */
        ci_stage_abort(&w->stage);
        close(w->dirfd);
    }
    char err[256];
    int root = keep ? -1 : open_area(h, w->area, err, sizeof(err));
    if (root >= 0) {
        if (w->committed) {
            const char *leaf;
            int dir = ci_safe_open_parent(root, w->name, 0, NULL, &leaf, NULL);
            if (dir >= 0) {
                unlinkat(dir, leaf, 0);
                close(dir);
            }
        }
        ci_safe_unmake_dirs(root, w->name, w->made);
        close(root);
    }
    free(w->name);
    free(w);
}

int ci_host_list(const struct ci_host_areas *h, enum ci_area area, const char *dir,
                 struct ci_safe_page *page, char *err, size_t errlen)
{
    int root = open_area(h, area, err, errlen);
    if (root < 0)
        return CI_EIO;
    int r = ci_safe_list(root, dir, page, err, errlen);
    close(root);
    return r;
}

int ci_host_remove(const struct ci_host_areas *h, enum ci_area area, const char *name,
                   char *err, size_t errlen)
{
    int root = open_area(h, area, err, errlen);
    if (root < 0)
        return CI_EIO;
    const char *leaf;
    int dir = ci_safe_open_parent(root, name, 0, NULL, &leaf, NULL);
    int e = dir < 0 ? dir : ci_safe_rmtree_at(dir, leaf);
    if (dir >= 0)
        close(dir);
    close(root);
    return e < 0 ? ci_safe_fail(-e, err, errlen) : CI_OK;
}

int ci_host_walk(const struct ci_host_areas *h, enum ci_area area, size_t max_entries,
                 int max_depth, struct ci_safe_walk *out, char *err, size_t errlen)
{
    int root = open_area(h, area, err, errlen);
    if (root < 0)
        return CI_EIO;
    int r = ci_safe_walk(root, max_entries, max_depth, out);
    close(root);
    if (r < 0)
        snprintf(err, errlen, "%s", r == CI_ENOMEM ? "out of memory" : "cannot read the folder");
    return r;
}
