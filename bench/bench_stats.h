/* SPDX-License-Identifier: MIT */
/* What the latency benchmarks share: a monotonic clock in µs and
 * nearest-rank percentiles of samples. */
#ifndef CI_BENCH_STATS_H
#define CI_BENCH_STATS_H

#include <stddef.h>

/* CLOCK_MONOTONIC in µs. */
double bench_now_us(void);
/* Sorts samples[0..n) in place (n > 0). */
void bench_sort(double *samples, size_t n);
/* Nearest-rank percentile p (0..100) of sorted samples. */
double bench_percentile(const double *sorted, size_t n, double p);

#endif
