/* SPDX-License-Identifier: MIT */
/*
 * Reading sandbox-writable trees from the host: regular files only,
 * listings and bounded walks, every open through ci_safe_open() from a
 * directory descriptor (see safe_path.h), and one mapping of errno values
 * to CI_E* codes.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fdutil.h"
#include "util/safe_path.h"

int ci_safe_error(int err, const char **why)
{
    switch (err) {
    case ENOENT:
        *why = "no such file or folder";
        return CI_ENOENT;
    case ELOOP:
        *why = "the name is or goes through a symbolic link, which is never followed";
        return CI_EPATH;
    case EXDEV:
        *why = "the name leads outside its folder";
        return CI_EPATH;
    case ENOTDIR:
        *why = "a component of the name is not a folder";
        return CI_EPATH;
    case EISDIR:
        *why = "the name is a folder";
        return CI_EPATH;
    case EEXIST:
        *why = "a component of the name exists and is not a folder";
        return CI_EPATH;
    case ENAMETOOLONG:
        *why = "the name is too long";
        return CI_EPATH;
    case ESTALE:
        *why = "folders were moved inside it while it was being removed (by code running in "
               "the sandbox); the removal stopped there";
        return CI_EIO;
    case ENOMEM:
        *why = "out of memory";
        return CI_ENOMEM;
    default:
        *why = strerror(err);
        return CI_EIO;
    }
}

int ci_safe_fail(int err, char *why, size_t whylen)
{
    const char *phrase;
    int code = ci_safe_error(err, &phrase);
    snprintf(why, whylen, "%s", phrase);
    return code;
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

int ci_safe_open_regular(int rootfd, const char *name, uint64_t *size, char *why, size_t whylen)
{
    int fd = ci_safe_open(rootfd, name, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
    if (fd == -ENXIO) { /* what opening a socket gives */
        snprintf(why, whylen, "it is a socket");
        return CI_EFILETYPE;
    }
    if (fd < 0)
        return ci_safe_fail(-fd, why, whylen);
    struct stat st;
    int r = CI_OK;
    if (fstat(fd, &st) < 0) {
        r = ci_safe_fail(errno, why, whylen);
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(why, whylen, "it is %s", kind_name(st.st_mode));
        r = CI_EFILETYPE;
    } else if (st.st_nlink > 1) {
        snprintf(why, whylen, "the file has %ju hard links", (uintmax_t)st.st_nlink);
        r = CI_EFILETYPE;
    } else if (ci_fd_set_nonblock(fd, 0) < 0) {
        r = ci_safe_fail(errno, why, whylen);
    }
    if (r < 0) {
        close(fd);
        return r;
    }
    *size = (uint64_t)st.st_size;
    return fd;
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

void ci_safe_dirents_free(struct ci_safe_dirent *d, size_t n)
{
    for (size_t i = 0; d && i < n; i++)
        free(d[i].name);
    free(d);
}

/* The names kept by a listing: the `limit` smallest that sort after
 * `after`, as a max-heap on strcmp so the largest is dropped first. */
struct kept {
    char **names;
    size_t n, limit;
    int more; /* a name was left out: another page follows */
};

static void sift_down(struct kept *k, size_t i)
{
    for (;;) {
        size_t big = i, l = 2 * i + 1, r = l + 1;
        if (l < k->n && strcmp(k->names[l], k->names[big]) > 0)
            big = l;
        if (r < k->n && strcmp(k->names[r], k->names[big]) > 0)
            big = r;
        if (big == i)
            return;
        char *t = k->names[i];
        k->names[i] = k->names[big];
        k->names[big] = t;
        i = big;
    }
}

/* Offers one name; 0 or -ENOMEM. */
static int keep_name(struct kept *k, const char *name)
{
    if (k->n == k->limit) {
        k->more = 1;
        if (strcmp(name, k->names[0]) >= 0)
            return 0;
        char *copy = strdup(name);
        if (!copy)
            return -ENOMEM;
        free(k->names[0]);
        k->names[0] = copy;
        sift_down(k, 0);
        return 0;
    }
    char *copy = strdup(name);
    if (!copy)
        return -ENOMEM;
    size_t i = k->n++;
    k->names[i] = copy;
    while (i > 0 && strcmp(k->names[(i - 1) / 2], k->names[i]) < 0) {
        size_t up = (i - 1) / 2;
        char *t = k->names[i];
        k->names[i] = k->names[up];
        k->names[up] = t;
        i = up;
    }
    return 0;
}

/* Reads the names of folder d into k; 0 or -errno. Every entry is looked
 * at, but only k->limit names are held. */
static int read_names(DIR *d, const char *after, struct kept *k)
{
    int r = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (after && strcmp(de->d_name, after) <= 0)
            continue;
        if ((r = keep_name(k, de->d_name)) < 0)
            break;
        errno = 0;
    }
    return r == 0 && errno != 0 ? -errno : r;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Turns the kept names, sorted, into entries of the folder dirfd (the
 * names are taken over); 0 or -errno. */
static int stat_names(int dirfd, struct kept *k, struct ci_safe_page *page)
{
    qsort(k->names, k->n, sizeof(*k->names), by_name);
    page->entries = calloc(k->n ? k->n : 1, sizeof(*page->entries));
    if (!page->entries)
        return -ENOMEM;
    if (k->more && k->n && !(page->next = strdup(k->names[k->n - 1])))
        return -ENOMEM;
    for (size_t i = 0; i < k->n; i++) {
        struct stat st;
        if (fstatat(dirfd, k->names[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) /* removed since readdir saw it */
                continue;
            return -errno;
        }
        page->entries[page->count++] = (struct ci_safe_dirent){
            k->names[i], type_of(st.st_mode), (uint64_t)st.st_size,
            (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec,
        };
        k->names[i] = NULL;
    }
    return 0;
}

void ci_safe_page_free(struct ci_safe_page *page)
{
    ci_safe_dirents_free(page->entries, page->count);
    free(page->next);
    page->entries = NULL;
    page->count = 0;
    page->next = NULL;
}

/* Lists the open folder fd (taken over) into page; 0 or -errno. */
static int list_fd(int fd, struct ci_safe_page *page)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return -e;
    }
    struct kept k = { calloc(page->limit, sizeof(char *)), 0, page->limit, 0 };
    int e = k.names ? read_names(d, page->after, &k) : -ENOMEM;
    if (e == 0)
        e = stat_names(dirfd(d), &k, page);
    closedir(d);
    for (size_t i = 0; k.names && i < k.n; i++)
        free(k.names[i]);
    free(k.names);
    return e;
}

int ci_safe_list(int rootfd, const char *dir, struct ci_safe_page *page, char *why,
                 size_t whylen)
{
    page->entries = NULL;
    page->count = 0;
    page->next = NULL;
    int fd = page->limit == 0 ? -EINVAL : ci_safe_open(rootfd, dir, O_RDONLY | O_DIRECTORY, 0);
    int e = fd < 0 ? fd : list_fd(fd, page);
    if (e < 0) {
        ci_safe_page_free(page);
        return ci_safe_fail(-e, why, whylen);
    }
    return CI_OK;
}

struct walk_state {
    struct ci_safe_walk *w;
    size_t cap;
    size_t seen;
    size_t max_entries;
    int max_depth;
};

static int add_file(struct walk_state *ws, const char *path, const struct stat *st)
{
    struct ci_safe_walk *w = ws->w;
    if (w->count == ws->cap) {
        size_t grown = ws->cap ? ws->cap * 2 : 64;
        struct ci_safe_file *bigger = realloc(w->files, grown * sizeof(*bigger));
        if (!bigger)
            return -ENOMEM;
        w->files = bigger;
        ws->cap = grown;
    }
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    w->files[w->count++] = (struct ci_safe_file){
        copy, (uint64_t)st->st_size,
        (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec, (uint64_t)st->st_ino,
    };
    return 0;
}

/* Depth-first walk of the open folder fd (taken over); `rel` is its path
 * below the root ("" for the root). 0 or -ENOMEM; an unreadable folder
 * has nothing to list. */
static int walk(int fd, const char *rel, int depth, struct walk_state *ws)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return 0;
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (++ws->seen > ws->max_entries) {
            ws->w->truncated = 1;
            break;
        }
        struct stat st;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* gone since readdir saw it */
        if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
            continue;
        char *path = NULL;
        if (asprintf(&path, "%s%s%s", rel, *rel ? "/" : "", de->d_name) < 0) {
            r = -ENOMEM;
            break;
        }
        if (S_ISREG(st.st_mode)) {
            r = add_file(ws, path, &st);
        } else if (depth >= ws->max_depth) {
            ws->w->truncated = 1;
        } else {
            int sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                r = walk(sub, path, depth + 1, ws);
        }
        free(path);
    }
    closedir(d);
    return r;
}

int ci_safe_file_by_path(const void *a, const void *b)
{
    return strcmp(((const struct ci_safe_file *)a)->path, ((const struct ci_safe_file *)b)->path);
}

int ci_safe_walk(int rootfd, size_t max_entries, int max_depth, struct ci_safe_walk *out)
{
    memset(out, 0, sizeof(*out));
    int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return CI_EIO;
    struct walk_state ws = { out, 0, 0, max_entries, max_depth };
    if (walk(fd, "", 0, &ws) < 0) {
        ci_safe_walk_free(out);
        return CI_ENOMEM;
    }
    if (out->count > 1)
        qsort(out->files, out->count, sizeof(*out->files), ci_safe_file_by_path);
    return CI_OK;
}

void ci_safe_walk_free(struct ci_safe_walk *w)
{
    for (size_t i = 0; i < w->count; i++)
        free(w->files[i].path);
    free(w->files);
    memset(w, 0, sizeof(*w));
}
