/* SPDX-License-Identifier: MIT */
#include "util/rmtree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Opens a subdirectory without following links. A directory whose mode
 * denies us reading (the sandbox can chmod 000) is made readable first
 * through an O_PATH descriptor, which needs no permission to open. */
static int open_subdir(int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0 || errno != EACCES)
        return fd;
    int pfd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (pfd < 0)
        return -1;
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
    int r = chmod(proc, 0700);
    close(pfd);
    if (r < 0)
        return -1;
    return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* Empties the directory fd as far as it can without descending: removes
 * files, links and empty subdirectories. Returns 1 and stores the name of a
 * non-empty subdirectory in `sub` if one is left, 0 when fd is empty,
 * -errno on failure. */
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
        if (errno != ENOTEMPTY && errno != EEXIST && errno != EACCES) {
            result = -errno;
            break;
        }
        if (strlen(de->d_name) >= subcap) {
            result = -ENAMETOOLONG;
            break;
        }
        strcpy(sub, de->d_name);
        result = 1;
        break;
    }
    closedir(d);
    return result;
}

int ci_rmtree_at(int dirfd, const char *name)
{
    if (unlinkat(dirfd, name, 0) == 0)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -errno;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0)
        return 0;
    if (errno == ENOENT)
        return -ENOENT;

    int top = open_subdir(dirfd, name);
    if (top < 0)
        return -errno;
    struct stat top_st;
    if (fstat(top, &top_st) < 0) {
        int e = errno;
        close(top);
        return -e;
    }
    int fd = fcntl(top, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        close(top);
        return -e;
    }
    int r = 0;
    char sub[NAME_MAX + 1];
    for (;;) {
        r = remove_entries(fd, sub, sizeof(sub));
        if (r < 0)
            break;
        if (r == 1) {
            int child = open_subdir(fd, sub);
            if (child < 0) {
                r = -errno;
                break;
            }
            close(fd);
            fd = child;
            continue;
        }
        struct stat st;
        if (fstat(fd, &st) < 0) {
            r = -errno;
            break;
        }
        if (st.st_dev == top_st.st_dev && st.st_ino == top_st.st_ino)
            break;
        int parent = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (parent < 0) {
            r = -errno;
            break;
        }
        close(fd);
        fd = parent;
    }
    close(fd);
    close(top);
    if (r < 0)
        return r;
    if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
        return -errno;
    return 0;
}
