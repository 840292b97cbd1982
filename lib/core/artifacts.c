/* SPDX-License-Identifier: MIT */
#include "core/artifacts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/mime.h"

static int add_entry(struct ci_ws_snapshot *s, size_t *cap, const char *path, const struct stat *st)
{
    if (s->count == *cap) {
        size_t ncap = *cap ? *cap * 2 : 64;
        struct ci_ws_entry *g = realloc(s->entries, ncap * sizeof(*g));
        if (!g)
            return -ENOMEM;
        s->entries = g;
        *cap = ncap;
    }
    char *copy = strdup(path);
    if (!copy)
        return -ENOMEM;
    s->entries[s->count++] = (struct ci_ws_entry){
        copy, (uint64_t)st->st_size,
        (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec, st->st_ino,
    };
    return 0;
}

/* Depth-first walk of dirfd (already opened without following links);
 * `rel` is its path relative to the workspace ("" for the top). */
static int walk(int dirfd, const char *rel, int depth, struct ci_ws_snapshot *s, size_t *cap,
                size_t *seen)
{
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return 0; /* unreadable: nothing to list */
    }
    int r = 0;
    struct dirent *de;
    while (r == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (++*seen > CI_ARTIFACT_MAX_ENTRIES) {
            s->truncated = 1;
            break;
        }
        struct stat st;
        if (fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        size_t len = strlen(rel) + strlen(de->d_name) + 2;
        char *path = malloc(len);
        if (!path) {
            r = -ENOMEM;
            break;
        }
        snprintf(path, len, "%s%s%s", rel, *rel ? "/" : "", de->d_name);
        if (S_ISREG(st.st_mode)) {
            r = add_entry(s, cap, path, &st);
        } else if (S_ISDIR(st.st_mode)) {
            if (depth >= CI_ARTIFACT_MAX_DEPTH) {
                s->truncated = 1;
            } else {
                int sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub >= 0)
                    r = walk(sub, path, depth + 1, s, cap, seen);
            }
        }
        free(path);
    }
    closedir(d);
    return r;
}

static int by_path(const void *a, const void *b)
{
    return strcmp(((const struct ci_ws_entry *)a)->path, ((const struct ci_ws_entry *)b)->path);
}

int ci_ws_snapshot_take(const char *dir, struct ci_ws_snapshot *out)
{
    memset(out, 0, sizeof(*out));
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t cap = 0, seen = 0;
    int r = walk(fd, "", 0, out, &cap, &seen);
    if (r < 0) {
        ci_ws_snapshot_free(out);
        return r;
    }
    if (out->count)
        qsort(out->entries, out->count, sizeof(*out->entries), by_path);
    return 0;
}

int ci_ws_snapshot_diff(const struct ci_ws_snapshot *before, const struct ci_ws_snapshot *after,
                        const char *prefix, struct ci_result *res)
{
    if (before->truncated || after->truncated)
        res->artifacts_truncated = 1;
    if (after->count == 0)
        return 0;
    struct ci_artifact *grown = realloc(res->artifacts,
                                        (res->artifact_count + after->count) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    res->artifacts = grown;
    for (size_t i = 0; i < after->count; i++) {
        const struct ci_ws_entry *a = &after->entries[i];
        const struct ci_ws_entry *b = before->count ? bsearch(a, before->entries, before->count,
                                                              sizeof(*before->entries), by_path)
                                                    : NULL;
        if (b && b->size == a->size && b->mtime_ns == a->mtime_ns && b->ino == a->ino)
            continue;
        size_t len = strlen(prefix) + strlen(a->path) + 1;
        char *p = malloc(len);
        if (!p)
            return -ENOMEM;
        snprintf(p, len, "%s%s", prefix, a->path);
        res->artifacts[res->artifact_count++] = (struct ci_artifact){ p, a->size, ci_mime_type(a->path) };
    }
    return 0;
}

void ci_ws_snapshot_free(struct ci_ws_snapshot *s)
{
    for (size_t i = 0; i < s->count; i++)
        free(s->entries[i].path);
    free(s->entries);
    memset(s, 0, sizeof(*s));
}
