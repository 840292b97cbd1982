/* SPDX-License-Identifier: MIT */
/*
 * 100 MiB inline upload against cp, measured in the same run.
 *
 * Times, N times each and interleaved (so a drift of the machine hits every
 * way alike):
 *   ci_upload       100 MiB from memory into a session's /workspace
 *   ci_upload_file  the same bytes streamed from a host file
 *   cp              /bin/cp of that host file into a folder next to the
 *                   session's workspace (same filesystem, same kind of dir)
 * and prints the median and best time, the throughput, and the ratios to cp.
 * The target is removed before every run (untimed) so each run creates a
 * file. Nothing is fsynced, by any of them.
 *
 * Usage: upload_bench [RUNS]   (default 9; env as for the tests:
 *        CODEINTERP_HELPER, CODEINTERP_KERNEL_DIR, CODEINTERP_STATE_DIR)
 */
#include <codeinterp/codeinterp.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIZE (100u << 20)
#define WAYS 3

extern char **environ;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what, int rc)
{
    fprintf(stderr, "upload_bench: %s: %s: %s\n", what, ci_strerror(rc), ci_last_error());
    exit(1);
}

static int run_cp(const char *src, const char *dst)
{
    char *argv[] = { "cp", (char *)src, (char *)dst, NULL };
    pid_t pid;
    if (posix_spawn(&pid, "/bin/cp", NULL, NULL, argv, environ) != 0)
        return -1;
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 9;
    if (runs < 1)
        runs = 1;

    ci_session *s = NULL;
    int rc = ci_session_create(NULL, &s);
    if (rc < 0)
        die("ci_session_create", rc);

    /* the workspace's host path, to put cp's target beside it */
    const char *state = getenv("CODEINTERP_STATE_DIR");
    char ws[4096], cpdir[4200], src[4300], dst[4300];
    snprintf(ws, sizeof(ws), "%s/sessions/%s", state && *state ? state : "/run/codeinterp",
             ci_session_id(s));
    snprintf(cpdir, sizeof(cpdir), "%s/cp-target", ws);
    if (mkdir(cpdir, 0700) < 0) {
        fprintf(stderr, "upload_bench: mkdir %s: %s\n", cpdir, strerror(errno));
        return 1;
    }
    snprintf(dst, sizeof(dst), "%s/blob.bin", cpdir);
    char tmpl[] = "/tmp/upload-bench-XXXXXX";
    int fd = mkstemp(tmpl);
    snprintf(src, sizeof(src), "%s", tmpl);

    unsigned char *buf = malloc(SIZE);
    if (!buf || fd < 0)
        return 1;
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < SIZE; i += 8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        memcpy(buf + i, &x, 8);
    }
    if (write(fd, buf, SIZE) != (ssize_t)SIZE)
        return 1;
    close(fd);

    static const char *names[WAYS] = { "ci_upload", "ci_upload_file", "cp" };
    double *ms[WAYS];
    for (int w = 0; w < WAYS; w++)
        ms[w] = calloc((size_t)runs, sizeof(double));

    /* one warm-up of each: page cache, first-touch of the buffer */
    if ((rc = ci_upload(s, "blob.bin", buf, SIZE)) < 0)
        die("ci_upload", rc);
    if (run_cp(src, dst) < 0)
        return 1;

    for (int r = 0; r < runs; r++) {
        for (int w = 0; w < WAYS; w++) {
            ci_remove_file(s, "blob.bin");
            unlink(dst);
            double t0 = now_ms();
            if (w == 0)
                rc = ci_upload(s, "blob.bin", buf, SIZE);
            else if (w == 1)
                rc = ci_upload_file(s, src, "blob.bin");
            else
                rc = run_cp(src, dst) < 0 ? CI_EIO : 0;
            ms[w][r] = now_ms() - t0;
            if (rc < 0)
                die(names[w], rc);
        }
    }

    printf("100 MiB upload, %d runs each (interleaved), into %s\n", runs, ws);
    printf("%-16s %10s %10s %12s %10s\n", "", "median ms", "best ms", "MiB/s (med)", "vs cp");
    double med[WAYS];
    for (int w = 0; w < WAYS; w++) {
        qsort(ms[w], (size_t)runs, sizeof(double), by_value);
        med[w] = ms[w][runs / 2];
    }
    for (int w = 0; w < WAYS; w++)
        printf("%-16s %10.1f %10.1f %12.0f %9.2fx\n", names[w], med[w], ms[w][0],
               100.0 / (med[w] / 1000.0), med[w] / med[2]);

    ci_session_destroy(s);
    unlink(src);
    for (int w = 0; w < WAYS; w++)
        free(ms[w]);
    free(buf);
    return 0;
}
