/* SPDX-License-Identifier: MIT */
/*
 * Replays files through a fuzz harness without libFuzzer: every argument is
 * a file or a directory of files (not recursive), each fed once. A crash,
 * a sanitizer report or a failed harness check ends the process, which is
 * what makes the test fail.
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

static int replay_file(int dirfd, const char *name, const char *shown)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "%s: %s\n", shown, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    /* an exact-size heap copy, so ASan sees any read past the input */
    uint8_t *data = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
    size_t got = 0;
    while (data && got < (size_t)st.st_size) {
        ssize_t n = read(fd, data + got, (size_t)st.st_size - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (!data || got != (size_t)st.st_size) {
        fprintf(stderr, "%s: cannot read\n", shown);
        free(data);
        return -1;
    }
    LLVMFuzzerTestOneInput(data, got);
    free(data);
    return 1;
}

int main(int argc, char **argv)
{
    size_t replayed = 0;
    for (int i = 1; i < argc; i++) {
        DIR *d = opendir(argv[i]);
        if (!d) {
            if (replay_file(AT_FDCWD, argv[i], argv[i]) < 0)
                return 1;
            replayed++;
            continue;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char shown[4096];
            snprintf(shown, sizeof(shown), "%s/%s", argv[i], e->d_name);
            int r = replay_file(dirfd(d), e->d_name, shown);
            if (r < 0) {
                closedir(d);
                return 1;
            }
            replayed += (size_t)r;
        }
        closedir(d);
    }
    printf("replayed %zu inputs\n", replayed);
    /* no input at all means the corpus went missing: not a pass */
    return replayed > 0 ? 0 : 1;
}
