/* SPDX-License-Identifier: MIT */
/*
 * What reserving the workspace image costs (issue 15): session create and
 * destroy for several workspace sizes, rounds interleaved, beside the
 * reservation alone (fallocate and unlink of a file of the same size in the
 * state dir, measured in the same run). Prints medians; asserts nothing.
 * Needs a root host (the images are loop-mounted).
 *   bench/workspace_reserve [ROUNDS]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <codeinterp/codeinterp.h>

#include "bench_stats.h"

#define SIZES 3
static const unsigned long long sizes_mib[SIZES] = { 16, 1024, 10240 };

/* fallocate + unlink of `mib` in dir: the reservation and its release. */
static void raw_round(const char *dir, unsigned long long mib, double *alloc_us, double *free_us)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/bench-reserve.img", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    double t = bench_now_us();
    if (fd < 0 || fallocate(fd, 0, 0, (off_t)(mib << 20)) < 0) {
        fprintf(stderr, "fallocate %s: %s\n", path, strerror(errno));
        exit(1);
    }
    *alloc_us = bench_now_us() - t;
    close(fd);
    t = bench_now_us();
    unlink(path);
    *free_us = bench_now_us() - t;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 10;
    const char *state = getenv("CODEINTERP_STATE_DIR");
    if (rounds < 1 || !state || geteuid() != 0) {
        fprintf(stderr, "usage: workspace_reserve [ROUNDS], as root with CODEINTERP_STATE_DIR\n");
        return 2;
    }
    ci_config *cfg[SIZES];
    double *create[SIZES], *destroy[SIZES], *alloc[SIZES], *release[SIZES];
    for (int k = 0; k < SIZES; k++) {
        if (ci_config_new(&cfg[k]) < 0 ||
            ci_config_set_workspace_size(cfg[k], sizes_mib[k] << 20) < 0)
            return 1;
        create[k] = calloc((size_t)rounds, sizeof(double));
        destroy[k] = calloc((size_t)rounds, sizeof(double));
        alloc[k] = calloc((size_t)rounds, sizeof(double));
        release[k] = calloc((size_t)rounds, sizeof(double));
        if (!create[k] || !destroy[k] || !alloc[k] || !release[k])
            return 1;
    }
    for (int i = 0; i < rounds; i++) {
        for (int k = 0; k < SIZES; k++) {
            ci_session *s = NULL;
            double t = bench_now_us();
            int r = ci_session_create(cfg[k], &s);
            if (r != CI_OK) {
                fprintf(stderr, "session: %s: %s\n", ci_strerror(r), ci_last_error());
                return 1;
            }
            create[k][i] = bench_now_us() - t;
            t = bench_now_us();
            ci_session_destroy(s);
            destroy[k][i] = bench_now_us() - t;
            raw_round(state, sizes_mib[k], &alloc[k][i], &release[k][i]);
        }
    }
    printf("workspace   create  destroy   (fallocate  unlink)   medians of %d rounds, ms\n",
           rounds);
    for (int k = 0; k < SIZES; k++) {
        double *v[4] = { create[k], destroy[k], alloc[k], release[k] };
        for (int j = 0; j < 4; j++)
            bench_sort(v[j], (size_t)rounds);
        printf("%6llu MiB %8.1f %8.1f   (%9.1f %7.1f)\n", sizes_mib[k],
               bench_percentile(create[k], (size_t)rounds, 50) / 1000,
               bench_percentile(destroy[k], (size_t)rounds, 50) / 1000,
               bench_percentile(alloc[k], (size_t)rounds, 50) / 1000,
               bench_percentile(release[k], (size_t)rounds, 50) / 1000);
        free(create[k]);
        free(destroy[k]);
        free(alloc[k]);
        free(release[k]);
        ci_config_free(cfg[k]);
    }
    return 0;
}
