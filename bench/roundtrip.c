/* SPDX-License-Identifier: MIT */
/*
 * Round trip of ci_execute() on a warm session: what one more call costs an
 * agent once its sandbox and interpreter are up. Runs CODE (`pass` by
 * default) N times (1000 by default) after one warm-up and prints the
 * median, p90 and p99 in µs, plus the one-time costs for scale.
 *
 * Usage: roundtrip [RUNS [CODE]]   (from the build tree, with the
 * CODEINTERP_* variables set as `meson compile bench` does)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <codeinterp/codeinterp.h>

#include "bench_stats.h"

static const char *code = "pass";

/* Runs `code`; its duration in µs, or a negative value after saying why. */
static double timed_pass(ci_session *session)
{
    ci_result *result;
    double start = bench_now_us();
    int rc = ci_execute(session, code, NULL, &result);
    double elapsed = bench_now_us() - start;

    if (rc < 0) {
        fprintf(stderr, "roundtrip: ci_execute: %s: %s\n", ci_strerror(rc),
                ci_session_last_error(session));
        return -1;
    }
    if (ci_result_status(result) != CI_STATUS_OK) {
        fprintf(stderr, "roundtrip: `%s` ended with status %s\n", code,
                ci_status_name(ci_result_status(result)));
        elapsed = -1;
    }
    ci_result_free(result);
    return elapsed;
}

int main(int argc, char **argv)
{
    long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 1000;
    ci_config *config;
    ci_session *session;
    int status = 1;

    if (runs < 1) {
        fputs("usage: roundtrip [RUNS [CODE]]\n", stderr);
        return 2;
    }
    if (argc > 2)
        code = argv[2];
    double *samples = malloc((size_t)runs * sizeof *samples);
    if (!samples) {
        fputs("roundtrip: out of memory\n", stderr);
        return 1;
    }
    int rc = ci_config_new(&config);
    if (rc < 0) {
        fprintf(stderr, "roundtrip: ci_config_new: %s: %s\n", ci_strerror(rc), ci_last_error());
        free(samples);
        return 1;
    }

    double start = bench_now_us();
    rc = ci_session_create(config, &session);
    double create_us = bench_now_us() - start;
    if (rc < 0) {
        fprintf(stderr, "roundtrip: ci_session_create: %s: %s\n", ci_strerror(rc), ci_last_error());
        goto out;
    }
    /* the warm-up starts the interpreter: timed apart, it is a one-time cost */
    double first_us = timed_pass(session);
    if (first_us < 0)
        goto out_session;
    for (long i = 0; i < runs; i++) {
        samples[i] = timed_pass(session);
        if (samples[i] < 0)
            goto out_session;
    }
    bench_sort(samples, (size_t)runs);

    printf("session create:                 %10.0f us\n", create_us);
    printf("first ci_execute (interpreter): %10.0f us\n", first_us);
    printf("ci_execute(\"%s\") x %ld: median %.0f us, p90 %.0f us, p99 %.0f us\n", code, runs,
           bench_percentile(samples, (size_t)runs, 50), bench_percentile(samples, (size_t)runs, 90),
           bench_percentile(samples, (size_t)runs, 99));
    status = 0;
out_session:
    ci_session_destroy(session);
out:
    ci_config_free(config);
    free(samples);
    return status;
}
