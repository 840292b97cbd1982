/* SPDX-License-Identifier: MIT */
/* Counters of `codeinterp serve` for /metrics, in Prometheus' text format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

static const double bounds[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
#define N_BOUNDS (sizeof bounds / sizeof bounds[0])

static const char *const kinds[] = {
    "ValidationException", "ServiceQuotaExceededException", "AccessDeniedException",
    "ResourceNotFoundException", "ConflictException", "ThrottlingException",
    "InternalServerException", "UnknownOperationException", "ClientClosed",
};
#define N_KINDS (sizeof kinds / sizeof kinds[0])

struct serve_metrics {
    pthread_mutex_t lock;
    uint64_t requests;
    uint64_t errors[N_KINDS];
    uint64_t sessions_started;
    uint64_t executions, execution_errors;
    uint64_t buckets[N_BOUNDS];
    double duration_sum;
    double cpu_seconds;
    double gb_seconds;
    uint64_t sessions_ended;
    uint64_t denied_syscalls;
};

serve_metrics *serve_metrics_new(void)
{
    serve_metrics *m = calloc(1, sizeof *m);
    if (m)
        pthread_mutex_init(&m->lock, NULL);
    return m;
}

void serve_metrics_free(serve_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->lock);
    free(m);
}

void serve_metrics_request(serve_metrics *m, const char *error_kind)
{
    pthread_mutex_lock(&m->lock);
    m->requests++;
    for (size_t i = 0; error_kind && i < N_KINDS; i++)
        if (strcmp(kinds[i], error_kind) == 0)
            m->errors[i]++;
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_session_started(serve_metrics *m)
{
    pthread_mutex_lock(&m->lock);
    m->sessions_started++;
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_session_ended(serve_metrics *m, double gb_seconds)
{
    pthread_mutex_lock(&m->lock);
    m->sessions_ended++;
    m->gb_seconds += gb_seconds;
    pthread_mutex_unlock(&m->lock);
}

void serve_metrics_execution(serve_metrics *m, const char *tool, double seconds, int is_error,
                             double cpu_seconds, uint64_t denied_syscalls)
{
    (void)tool;
    pthread_mutex_lock(&m->lock);
    m->executions++;
    m->execution_errors += is_error != 0;
    for (size_t i = 0; i < N_BOUNDS; i++)
        if (seconds <= bounds[i])
            m->buckets[i]++;
    m->duration_sum += seconds;
    m->cpu_seconds += cpu_seconds;
    m->denied_syscalls += denied_syscalls;
    pthread_mutex_unlock(&m->lock);
}

char *serve_metrics_render(serve_metrics *m, size_t live_sessions, size_t running_calls)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m->lock);
    fprintf(f, "# HELP codeinterp_serve_sessions Sessions ready now.\n"
               "# TYPE codeinterp_serve_sessions gauge\n"
               "codeinterp_serve_sessions %zu\n", live_sessions);
    fprintf(f, "# HELP codeinterp_serve_running_calls Tool calls running now.\n"
               "# TYPE codeinterp_serve_running_calls gauge\n"
               "codeinterp_serve_running_calls %zu\n", running_calls);
    fprintf(f, "# HELP codeinterp_serve_sessions_started_total Sessions started.\n"
               "# TYPE codeinterp_serve_sessions_started_total counter\n"
               "codeinterp_serve_sessions_started_total %llu\n",
            (unsigned long long)m->sessions_started);
    fprintf(f, "# HELP codeinterp_serve_sessions_ended_total Sessions whose sandbox was "
               "destroyed.\n"
               "# TYPE codeinterp_serve_sessions_ended_total counter\n"
               "codeinterp_serve_sessions_ended_total %llu\n",
            (unsigned long long)m->sessions_ended);
    fprintf(f, "# HELP codeinterp_serve_gb_seconds_total Peak memory in GiB times lifetime, "
               "of the destroyed sessions.\n"
               "# TYPE codeinterp_serve_gb_seconds_total counter\n"
               "codeinterp_serve_gb_seconds_total %.6f\n", m->gb_seconds);
    fprintf(f, "# HELP codeinterp_serve_requests_total HTTP requests answered.\n"
               "# TYPE codeinterp_serve_requests_total counter\n"
               "codeinterp_serve_requests_total %llu\n", (unsigned long long)m->requests);
    fprintf(f, "# HELP codeinterp_serve_executions_total Tool calls made.\n"
               "# TYPE codeinterp_serve_executions_total counter\n"
               "codeinterp_serve_executions_total %llu\n", (unsigned long long)m->executions);
    fprintf(f, "# HELP codeinterp_serve_execution_errors_total Tool calls whose result "
               "isError.\n"
               "# TYPE codeinterp_serve_execution_errors_total counter\n"
               "codeinterp_serve_execution_errors_total %llu\n",
            (unsigned long long)m->execution_errors);
    fprintf(f, "# HELP codeinterp_serve_execution_seconds Duration of tool calls.\n"
               "# TYPE codeinterp_serve_execution_seconds histogram\n");
    for (size_t i = 0; i < N_BOUNDS; i++)
        fprintf(f, "codeinterp_serve_execution_seconds_bucket{le=\"%g\"} %llu\n", bounds[i],
                (unsigned long long)m->buckets[i]);
    fprintf(f, "codeinterp_serve_execution_seconds_bucket{le=\"+Inf\"} %llu\n"
               "codeinterp_serve_execution_seconds_sum %.6f\n"
               "codeinterp_serve_execution_seconds_count %llu\n",
            (unsigned long long)m->executions, m->duration_sum,
            (unsigned long long)m->executions);
    fprintf(f, "# HELP codeinterp_serve_cpu_seconds_total CPU time of executions.\n"
               "# TYPE codeinterp_serve_cpu_seconds_total counter\n"
               "codeinterp_serve_cpu_seconds_total %.3f\n", m->cpu_seconds);
    fprintf(f, "# HELP codeinterp_serve_denied_syscalls_total System calls the sandbox "
               "refused.\n"
               "# TYPE codeinterp_serve_denied_syscalls_total counter\n"
               "codeinterp_serve_denied_syscalls_total %llu\n",
            (unsigned long long)m->denied_syscalls);
    fprintf(f, "# HELP codeinterp_serve_errors_total Error replies by kind.\n"
               "# TYPE codeinterp_serve_errors_total counter\n");
    for (size_t i = 0; i < N_KINDS; i++)
        fprintf(f, "codeinterp_serve_errors_total{kind=\"%s\"} %llu\n", kinds[i],
                (unsigned long long)m->errors[i]);
    pthread_mutex_unlock(&m->lock);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
