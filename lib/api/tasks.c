/* SPDX-License-Identifier: MIT */
/* The background-task calls: argument checks around core/tasks.c, the
 * snapshot accessors, and a snapshot as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_result.h"
#include "core/error.h"
#include "core/names.h"
#include "core/task.h"

CI_EXPORT int ci_task_start(ci_session *s, const char *command, const ci_exec_options *options,
                            char **task_id)
{
    ci_error_reset();
    if (!s || !command || !*command || !task_id)
        return ci_fail(s, CI_EINVAL, "session, a non-empty command and task_id are needed");
    struct ci_exec_options defaults = { .language = CI_LANGUAGE_SHELL };
    return ci_tasks_start(s, command, options ? options : &defaults, task_id);
}

CI_EXPORT int ci_task_get(ci_session *s, const char *task_id, uint64_t stdout_from,
                          uint64_t stderr_from, ci_task_info **out)
{
    ci_error_reset();
    if (!s || !task_id || !out)
        return ci_fail(s, CI_EINVAL, "session, task_id and out must not be NULL");
    return ci_tasks_get(s, task_id, stdout_from, stderr_from, out);
}

CI_EXPORT int ci_task_stop(ci_session *s, const char *task_id, ci_task_info **out)
{
    ci_error_reset();
    if (!s || !task_id)
        return ci_fail(s, CI_EINVAL, "session and task_id must not be NULL");
    ci_task_info *info = NULL;
    int r = ci_tasks_stop(s, task_id, &info);
    if (r == CI_OK && out)
        *out = info;
    else
        ci_task_info_free_internal(info);
    return r;
}

CI_EXPORT void ci_task_info_free(ci_task_info *t)
{
    ci_task_info_free_internal(t);
}

CI_EXPORT const char *ci_task_info_id(const ci_task_info *t)
{
    return t ? t->id : NULL;
}

CI_EXPORT ci_task_status ci_task_info_status(const ci_task_info *t)
{
    return t ? t->status : CI_TASK_FAILED;
}

CI_EXPORT int ci_task_info_exit_code(const ci_task_info *t)
{
    return t ? t->exit_code : -1;
}

CI_EXPORT const char *ci_task_info_error(const ci_task_info *t)
{
    return t ? t->error : NULL;
}

static const struct ci_task_stream *stream_of(const ci_task_info *t, int stream)
{
    if (!t)
        return NULL;
    return stream == CI_TASK_STDOUT ? &t->out : stream == CI_TASK_STDERR ? &t->err : NULL;
}

CI_EXPORT const char *ci_task_info_output(const ci_task_info *t, int stream, size_t *len)
{
    const struct ci_task_stream *st = stream_of(t, stream);
    if (len)
        *len = st ? st->len : 0;
    return st ? (const char *)st->data : NULL;
}

CI_EXPORT uint64_t ci_task_info_output_offset(const ci_task_info *t, int stream)
{
    const struct ci_task_stream *st = stream_of(t, stream);
    return st ? st->offset : 0;
}

CI_EXPORT uint64_t ci_task_info_output_end(const ci_task_info *t, int stream)
{
    const struct ci_task_stream *st = stream_of(t, stream);
    return st ? st->end : 0;
}

CI_EXPORT uint64_t ci_task_info_output_dropped(const ci_task_info *t, int stream)
{
    const struct ci_task_stream *st = stream_of(t, stream);
    return st ? st->dropped : 0;
}

CI_EXPORT double ci_task_info_wall_ms(const ci_task_info *t)
{
    return t ? t->wall_ms : 0;
}

CI_EXPORT double ci_task_info_cpu_ms(const ci_task_info *t)
{
    return t ? t->cpu_ms : -1;
}

CI_EXPORT uint64_t ci_task_info_peak_memory_bytes(const ci_task_info *t)
{
    return t ? t->peak_memory : 0;
}

static int add_stream(cJSON *o, const char *name, const struct ci_task_stream *st)
{
    char key[32];
    int ok = ci_json_add_bytes(o, name, (const char *)st->data, st->len) != NULL;
    snprintf(key, sizeof key, "%sOffset", name);
    ok = ok && cJSON_AddNumberToObject(o, key, (double)st->offset);
    snprintf(key, sizeof key, "%sEnd", name);
    ok = ok && cJSON_AddNumberToObject(o, key, (double)st->end);
    snprintf(key, sizeof key, "%sDropped", name);
    ok = ok && cJSON_AddNumberToObject(o, key, (double)st->dropped);
    return ok;
}

cJSON *ci_task_info_json(const ci_task_info *t)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o && ci_json_add_text(o, "taskId", t->id) &&
             ci_json_add_text(o, "taskStatus", ci_names_task_status(t->status));
    int ended = t->status == CI_TASK_COMPLETED || t->status == CI_TASK_CANCELED ||
                (t->status == CI_TASK_FAILED && t->exit_code >= 0);
    if (ended)
        ok = ok && cJSON_AddNumberToObject(o, "exitCode", t->exit_code);
    else
        ok = ok && cJSON_AddNullToObject(o, "exitCode");
    if (t->error)
        ok = ok && ci_json_add_text(o, "error", t->error);
    ok = ok && add_stream(o, "stdout", &t->out) && add_stream(o, "stderr", &t->err);
    ok = ok && cJSON_AddNumberToObject(o, "wallMs", ci_json_round_ms(t->wall_ms));
    if (t->cpu_ms < 0)
        ok = ok && cJSON_AddNullToObject(o, "cpuMs");
    else
        ok = ok && cJSON_AddNumberToObject(o, "cpuMs", ci_json_round_ms(t->cpu_ms));
    ok = ok && cJSON_AddNumberToObject(o, "peakMemoryBytes", (double)t->peak_memory);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

CI_EXPORT int ci_task_info_to_json(const ci_task_info *t, char **out)
{
    ci_error_reset();
    if (!t || !out)
        return ci_fail(NULL, CI_EINVAL, "info and out must not be NULL");
    cJSON *o = ci_task_info_json(t);
    int r = o ? ci_json_print(o, out) : CI_ENOMEM;
    cJSON_Delete(o);
    return r < 0 ? ci_fail(NULL, r, "out of memory") : CI_OK;
}
