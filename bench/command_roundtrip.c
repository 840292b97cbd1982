/* SPDX-License-Identifier: MIT */
/*
 * Round trip of a shell command on a live session, beside the same command
 * on the host: ci_execute_command("true"), the executeCommand tool of
 * ci_invoke_json() (what the CLI and later front ends add), and
 * posix_spawn of `sh -c true` on the host with waitpid (the floor: a fork,
 * an exec of the shell and its exit). Each N times (1000 by default) after
 * one warm-up; median, p90 and p99 in µs.
 *
 * Usage: command_roundtrip [RUNS]   (from the build tree, with the
 * CODEINTERP_* variables set as `meson compile bench` does)
 */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include <codeinterp/codeinterp.h>

#include "bench_stats.h"

extern char **environ;

enum way { C_API, INVOKE, HOST };

/* One `true`; its duration in µs, or -1 after saying why. */
static double one(ci_session *session, enum way way)
{
    double start = bench_now_us();
    if (way == C_API) {
        ci_result *result;
        int rc = ci_execute_command(session, "true", NULL, &result);
        double t = bench_now_us() - start;
        if (rc < 0 || ci_result_status(result) != CI_STATUS_OK) {
            fprintf(stderr, "command_roundtrip: ci_execute_command: %s: %s\n",
                    ci_strerror(rc), ci_session_last_error(session));
            t = -1;
        }
        ci_result_free(rc < 0 ? NULL : result);
        return t;
    }
    if (way == INVOKE) {
        char *out = NULL;
        int rc = ci_invoke_json(session, "{\"name\":\"executeCommand\",\"arguments\":"
                                         "{\"command\":\"true\"}}", &out);
        double t = bench_now_us() - start;
        if (rc < 0 || !out || !strstr(out, "\"isError\":false")) {
            fprintf(stderr, "command_roundtrip: executeCommand: %s\n", out ? out : ci_strerror(rc));
            t = -1;
        }
        ci_free(out);
        return t;
    }
    pid_t pid;
    char *argv[] = { (char *)"sh", (char *)"-c", (char *)"true", NULL };
    int status;
    if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0 ||
        waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fputs("command_roundtrip: sh -c true on the host failed\n", stderr);
        return -1;
    }
    return bench_now_us() - start;
}

static int measure(ci_session *session, enum way way, const char *label, long runs,
                   double *samples)
{
    if (one(session, way) < 0) /* warm-up: starts the shell interpreter */
        return -1;
    for (long i = 0; i < runs; i++)
        if ((samples[i] = one(session, way)) < 0)
            return -1;
    bench_sort(samples, (size_t)runs);
    printf("%-36s x %ld: median %6.0f us, p90 %6.0f us, p99 %6.0f us\n", label, runs,
           bench_percentile(samples, (size_t)runs, 50), bench_percentile(samples, (size_t)runs, 90),
           bench_percentile(samples, (size_t)runs, 99));
    return 0;
}

int main(int argc, char **argv)
{
    long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    ci_session *session = NULL;
    if (runs < 1) {
        fputs("usage: command_roundtrip [RUNS]\n", stderr);
        return 2;
    }
    double *samples = malloc((size_t)runs * sizeof *samples);
    int rc = samples ? ci_session_create(NULL, &session) : CI_ENOMEM;
    if (rc < 0) {
        fprintf(stderr, "command_roundtrip: %s: %s\n", ci_strerror(rc), ci_last_error());
        free(samples);
        return 1;
    }
    int status = measure(session, C_API, "ci_execute_command(\"true\")", runs, samples) < 0 ||
                 measure(session, INVOKE, "executeCommand {\"command\":\"true\"}", runs,
                         samples) < 0 ||
                 measure(session, HOST, "host: posix_spawn sh -c true + wait", runs,
                         samples) < 0;
    ci_session_destroy(session);
    free(samples);
    return status;
}
