/* SPDX-License-Identifier: MIT */
/*
 * What the per-sandbox cgroup costs: (1) making, attaching nothing to and
 * removing the cgroup alone, (2) a whole session create + destroy with
 * cgroups beside one with CI_CGROUP_NONE, measured in the same run. Prints
 * medians; asserts nothing.
 *   bench/cgroup_setup [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "sandbox/cgroup.h"

/* The cgroup's share of a configuration, as the session hands it over. */
static struct ci_sandbox_params cgroup_params(const ci_config *c)
{
    return (struct ci_sandbox_params){
        .memory_limit = c->memory_limit,
        .max_processes = c->max_processes,
        .cpu_millis = c->cpu_millis,
        .cgroup_mode = c->cgroup_mode,
        .cgroup_parent = c->cgroup_parent,
    };
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp);
    return v[n / 2];
}

static double session_round(ci_config *cfg)
{
    ci_session *s = NULL;
    double t = now_us();
    int r = ci_session_create(cfg, &s);
    if (r != CI_OK) {
        fprintf(stderr, "session: %s: %s\n", ci_strerror(r), ci_last_error());
        exit(1);
    }
    ci_session_destroy(s);
    return now_us() - t;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    if (rounds < 1)
        rounds = 1;
    double *cg = calloc((size_t)rounds, sizeof(double));
    double *with = calloc((size_t)rounds, sizeof(double));
    double *without = calloc((size_t)rounds, sizeof(double));
    ci_config *cfg = NULL, *nocg = NULL;
    ci_config_new(&cfg);
    ci_config_new(&nocg);
    ci_config_set_cgroup_mode(nocg, CI_CGROUP_NONE);

    for (int i = 0; i < rounds; i++) {
        struct ci_cgroup c;
        char err[512], id[32];
        snprintf(id, sizeof(id), "bench-%d", i);
        double t = now_us();
        struct ci_sandbox_params cgp = cgroup_params(cfg);
        if (ci_cgroup_create(&c, &cgp, id, NULL, NULL, err, sizeof(err)) != CI_OK) {
            fprintf(stderr, "cgroup: %s\n", err);
            return 1;
        }
        ci_cgroup_destroy(&c);
        cg[i] = now_us() - t;
    }
    /* interleaved, so load changes hit both sides alike */
    for (int i = 0; i < rounds; i++) {
        with[i] = session_round(cfg);
        without[i] = session_round(nocg);
    }
    double m_cg = median(cg, rounds), m_with = median(with, rounds),
           m_without = median(without, rounds);
    printf("cgroup create+remove alone:   median %8.1f us (%d rounds)\n", m_cg, rounds);
    printf("session create+destroy, cgroups: median %8.1f us\n", m_with);
    printf("session create+destroy, none:    median %8.1f us\n", m_without);
    printf("cgroup share of a session:       %8.1f us (%.1f%%)\n", m_with - m_without,
           100.0 * (m_with - m_without) / m_with);
    ci_config_free(cfg);
    ci_config_free(nocg);
    free(cg);
    free(with);
    free(without);
    return 0;
}
