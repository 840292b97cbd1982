/* SPDX-License-Identifier: MIT */
#include "bench_stats.h"

#include <stdlib.h>
#include <time.h>

double bench_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void bench_sort(double *samples, size_t n)
{
    qsort(samples, n, sizeof *samples, by_value);
}

double bench_percentile(const double *sorted, size_t n, double p)
{
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    return sorted[rank == 0 ? 0 : rank - 1];
}
