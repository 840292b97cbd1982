/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codeinterp/codeinterp.h"
#include "sandbox/process.h"

int ci_uid_lease_take(const char *lease_dir, uint32_t base, uint32_t count,
                      struct ci_uid_lease *out, char *err, size_t errlen)
{
    const char *dir = lease_dir;
    char parent[4096];
    snprintf(parent, sizeof(parent), "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        mkdir(parent, 0711);
    }
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return CI_EIO;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", dir, strerror(errno));
        return CI_EIO;
    }
    /* Start at a random place so concurrent processes rarely collide. */
    uint32_t start = 0;
    if (getrandom(&start, sizeof(start), 0) != sizeof(start))
        start = (uint32_t)getpid();
    for (uint32_t i = 0; i < count; i++) {
        uint32_t uid = base + (start + i) % count;
        char name[16];
        snprintf(name, sizeof(name), "%u", uid);
        int fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
            continue;
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            close(dfd);
            out->uid = uid;
            out->fd = fd;
            return CI_OK;
        }
        close(fd);
    }
    close(dfd);
    snprintf(err, errlen, "no free sandbox uid in [%u, %u)", base, base + count);
    return CI_ELIMIT;
}

void ci_uid_lease_release(struct ci_uid_lease *l)
{
    if (l->fd >= 0)
        close(l->fd);
    l->fd = -1;
}
