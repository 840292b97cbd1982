/* SPDX-License-Identifier: MIT */
/*
 * Path validation and the walks built on it (util/safe_path), against a
 * workspace holding what sandboxed code plants: symbolic links out of the
 * tree (relative, absolute, to "..", a loop), a FIFO, a hard link. The
 * input is an operation byte and a name. Checks: a name ci_path_check()
 * accepts never has a "." / ".." / empty component; every descriptor the
 * walks hand back lies inside the workspace; nothing outside it (the decoy
 * folder the links point at) is ever created, changed or removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "util/safe_path.h"

static char base[64];       /* holds root/ and outside/ */
static char root_path[128];
static int rootfd = -1;

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_safe_path: %s\n", what);
        abort();
    }
}

static void at_exit_cleanup(void)
{
    if (base[0]) {
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", base);
        if (system(cmd) != 0)
            fprintf(stderr, "fuzz_safe_path: could not remove %s\n", base);
    }
}

static void must(int r, const char *what)
{
    if (r < 0 && errno != EEXIST) {
        perror(what);
        abort();
    }
}

/* The planted workspace; rebuilt whenever an operation removed part of it. */
static void plant(void)
{
    char p[256];
    must(mkdirat(rootfd, "dir", 0755), "dir");
    int fd = openat(rootfd, "dir/file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    must(fd, "dir/file");
    if (fd >= 0)
        close(fd);
    must(symlinkat("..", rootfd, "up"), "up");
    snprintf(p, sizeof(p), "%s/outside", base);
    must(symlinkat(p, rootfd, "abs"), "abs");
    must(symlinkat("../outside/secret", rootfd, "rel"), "rel");
    must(symlinkat("loop", rootfd, "loop"), "loop");
    must(symlinkat("../../up", rootfd, "dir/back"), "dir/back");
    must(mkfifoat(rootfd, "fifo", 0644), "fifo");
    snprintf(p, sizeof(p), "%s/outside/secret", base);
    must(linkat(AT_FDCWD, p, rootfd, "hard", 0), "hard");
}

static void setup(void)
{
    snprintf(base, sizeof(base), "/tmp/ci-fuzz-path-XXXXXX");
    check(mkdtemp(base) != NULL, "mkdtemp");
    atexit(at_exit_cleanup);
    char p[256];
    snprintf(root_path, sizeof(root_path), "%s/root", base);
    snprintf(p, sizeof(p), "%s/outside", base);
    must(mkdir(root_path, 0755), "root");
    must(mkdir(p, 0755), "outside");
    snprintf(p, sizeof(p), "%s/outside/secret", base);
    int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    check(fd >= 0 && write(fd, "secret", 6) == 6, "secret");
    close(fd);
    rootfd = open(root_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check(rootfd >= 0, "open root");
    plant();
}

/* The decoy outside the workspace is exactly as made: one 6-byte file. */
static void check_outside(void)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/outside", base);
    DIR *d = opendir(p);
    check(d != NULL, "outside/ is gone");
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    check(n == 1, "something was created outside the workspace");
    snprintf(p, sizeof(p), "%s/outside/secret", base);
    struct stat st;
    check(stat(p, &st) == 0 && st.st_size == 6, "outside/secret changed");
    check(access(base, F_OK) == 0, "the base folder is gone");
}

static void check_inside(int fd)
{
    char link[64], target[4096];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    check(n > 0, "readlink of a returned descriptor");
    target[n] = '\0';
    size_t rl = strlen(root_path);
    check(strncmp(target, root_path, rl) == 0 && (target[rl] == '\0' || target[rl] == '/'),
          "a walk returned a descriptor outside the workspace");
}

/* The workspace is emptied and planted again: every input starts from the
 * same tree, so a finding replays on its own. */
static void reset(void)
{
    DIR *d = fdopendir(dup(rootfd));
    check(d != NULL, "fdopendir");
    rewinddir(d); /* the dup shares rootfd's offset, left at the end last time */
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            check(ci_safe_rmtree_at(rootfd, e->d_name) == 0, "the workspace cannot be emptied");
    closedir(d);
    plant();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (rootfd < 0)
        setup();
    if (size == 0)
        return 0;
    unsigned op = data[0] % 5;
    char *name = malloc(size);
    check(name != NULL, "malloc");
    memcpy(name, data + 1, size - 1);
    name[size - 1] = '\0';

    char why[160];
    int ok = ci_path_check(name, why, sizeof(why)) == 0;
    if (ok) {
        size_t len = strlen(name);
        check(len > 0 && len <= CI_PATH_MAX && name[0] != '/', "accepted a bad name");
        for (const char *p = name; p;) {
            const char *slash = strchr(p, '/');
            size_t n = slash ? (size_t)(slash - p) : strlen(p);
            check(n > 0 && n <= CI_NAME_MAX, "accepted an empty or long component");
            check(!(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' && p[1] == '.'),
                  "accepted a dot component");
            p = slash ? slash + 1 : NULL;
        }
    } else {
        check(why[0] != '\0', "a refusal without a reason");
    }

    if (ok) {
        struct ci_safe_owner own = { 0 };
        const char *leaf = NULL;
        size_t made = 0;
        int fd;
        switch (op) {
        case 0:
            fd = ci_safe_open(rootfd, name, O_RDONLY | O_NONBLOCK, 0);
            if (fd >= 0) {
                check_inside(fd);
                close(fd);
            }
            break;
        case 1:
            fd = ci_safe_open(rootfd, name, O_WRONLY | O_CREAT | O_NONBLOCK, 0600);
            if (fd >= 0) {
                check_inside(fd);
                close(fd);
            }
            break;
        case 2:
            fd = ci_safe_open_parent(rootfd, name, 1, &own, &leaf, &made);
            if (fd >= 0) {
                check_inside(fd);
                check(leaf && *leaf && !strchr(leaf, '/'), "bad leaf");
                struct ci_stage st;
                if (ci_stage_open(&st, fd, 0644) == 0) {
                    if (write(st.fd, "x", 1) == 1 && ci_stage_commit(&st, leaf) == 0) {
                        int back = ci_safe_open(rootfd, name, O_RDONLY, 0);
                        check(back >= 0, "a committed file cannot be opened");
                        check_inside(back);
                        close(back);
                    } else {
                        ci_stage_abort(&st);
                    }
                }
                close(fd);
                ci_safe_unmake_dirs(rootfd, name, made);
            }
            break;
        case 3:
            fd = ci_safe_open_parent(rootfd, name, 0, &own, &leaf, &made);
            if (fd >= 0) {
                check_inside(fd);
                close(fd);
            }
            break;
        case 4:
            /* as ci_remove_file() does it: the parent first, then the leaf */
            if (strchr(name, '/'))
                check(ci_safe_rmtree_at(rootfd, name) == -EINVAL, "rmtree took a path");
            fd = ci_safe_open_parent(rootfd, name, 0, &own, &leaf, &made);
            if (fd >= 0) {
                check_inside(fd);
                ci_safe_rmtree_at(fd, leaf);
                close(fd);
            }
            break;
        }
    }
    check_outside();
    reset();
    free(name);
    return 0;
}
