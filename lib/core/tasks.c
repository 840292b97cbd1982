/* SPDX-License-Identifier: MIT */
/* Background tasks through the shell kernel; see core/task.h. */
#include "core/task.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/error.h"
#include "core/kernel_call.h"
#include "core/names.h"
#include "core/runner_frame.h"
#include "runners/runner.h"
#include "util/b64.h"

#define LOST_MESSAGE "lost: the shell interpreter that kept it was killed (as every process " \
                     "of the sandbox is on an execution's timeout or cancel)"

void ci_task_info_free_internal(struct ci_task_info *t)
{
    if (!t)
        return;
    free(t->id);
    free(t->error);
    free(t->out.data);
    free(t->err.data);
    free(t);
}

/* "task-N" with 1 <= N <= the tasks started: N, else 0. */
static uint64_t task_number(const struct ci_session *s, const char *id)
{
    if (strncmp(id, "task-", 5) || id[5] < '1' || id[5] > '9')
        return 0;
    uint64_t n = 0;
    for (const char *p = id + 5; *p; p++) {
        if (*p < '0' || *p > '9' || n > UINT64_MAX / 10 - 1)
            return 0;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    return n <= s->tasks_started ? n : 0;
}

/* The shell context, with the numbering window brought up to date: a
 * restarted interpreter knows none of the tasks numbered before it. */
static struct ci_context *shell_context(struct ci_session *s)
{
    struct ci_context *ctx = ci_session_context(s, CI_LANGUAGE_SHELL);
    if (ctx && ctx->active && ctx->starts != s->tasks_ctx_starts) {
        s->tasks_first = s->tasks_started + 1;
        s->tasks_ctx_starts = ctx->starts;
    }
    return ctx;
}

static int lost(struct ci_session *s, const char *id, struct ci_task_info **out)
{
    struct ci_task_info *t = calloc(1, sizeof(*t));
    if (t) {
        t->id = strdup(id);
        t->error = strdup(LOST_MESSAGE);
        t->out.data = (unsigned char *)strdup("");
        t->err.data = (unsigned char *)strdup("");
    }
    if (!t || !t->id || !t->error || !t->out.data || !t->err.data) {
        ci_task_info_free_internal(t);
        return ci_fail(s, CI_ENOMEM, "out of memory");
    }
    t->status = CI_TASK_FAILED;
    t->exit_code = -1;
    t->cpu_ms = -1;
    *out = t;
    return CI_OK;
}

/* The kernel's error reply: its name (or "") and its message in msg. */
/* NULL when the kernel answered "ok"; otherwise the name of its error
 * ("" when it gave none), and the reason in msg. */
static const char *refusal(const cJSON *reply, char *msg, size_t cap)
{
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(reply, "status");
    if (cJSON_IsString(status) && !strcmp(status->valuestring, "ok"))
        return NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(reply, "error");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(e, "value");
    snprintf(msg, cap, "%s", cJSON_IsString(value) ? value->valuestring : "no reason given");
    return cJSON_IsString(name) ? name->valuestring : "";
}

static int parse_stream(const cJSON *j, uint64_t from, struct ci_task_stream *st)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
    const cJSON *offset = cJSON_GetObjectItemCaseSensitive(j, "offset");
    const cJSON *end = cJSON_GetObjectItemCaseSensitive(j, "end");
    if (!cJSON_IsString(data) || !cJSON_IsNumber(offset) || !cJSON_IsNumber(end) ||
        offset->valuedouble < 0 || end->valuedouble < offset->valuedouble ||
        end->valuedouble > 9007199254740992.0)
        return CI_EPROTO;
    size_t len = 0;
    unsigned char *raw = ci_b64_decode(data->valuestring, strlen(data->valuestring), &len);
    if (!raw)
        return CI_EPROTO;
    unsigned char *z = realloc(raw, len + 1);
    if (!z) {
        free(raw);
        return CI_ENOMEM;
    }
    z[len] = '\0';
    st->data = z;
    st->len = len;
    st->offset = (uint64_t)offset->valuedouble;
    st->end = (uint64_t)end->valuedouble;
    if (st->offset + len != st->end && len)
        return CI_EPROTO;
    st->dropped = st->offset > from ? st->offset - from : 0;
    return CI_OK;
}

/* A snapshot from the kernel's reply; CI_EPROTO when malformed. */
static int parse_snapshot(const cJSON *reply, const char *id, uint64_t from_out,
                          uint64_t from_err, struct ci_task_info **out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(reply, "task");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(j, "state");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "exit_code");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(j, "error");
    const cJSON *wall = cJSON_GetObjectItemCaseSensitive(j, "wall_ms");
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(j, "cpu_ms");
    const cJSON *peak = cJSON_GetObjectItemCaseSensitive(j, "peak_memory_bytes");
    ci_task_status status;
    if (!cJSON_IsObject(j) || !cJSON_IsString(state) ||
        ci_names_task_status_parse(state->valuestring, &status) < 0 ||
        !(cJSON_IsNull(code) || (cJSON_IsNumber(code) && fabs(code->valuedouble) < 1e6)) ||
        !(cJSON_IsNull(error) || cJSON_IsString(error)) || !cJSON_IsNumber(wall) ||
        !(cJSON_IsNull(cpu) || cJSON_IsNumber(cpu)) || !cJSON_IsNumber(peak))
        return CI_EPROTO;
    struct ci_task_info *t = calloc(1, sizeof(*t));
    if (!t)
        return CI_ENOMEM;
    t->id = strdup(id);
    t->status = status;
    t->exit_code = cJSON_IsNumber(code) ? (int)code->valuedouble : -1;
    t->error = cJSON_IsString(error) ? strdup(error->valuestring) : NULL;
    t->wall_ms = wall->valuedouble < 0 ? 0 : wall->valuedouble;
    t->cpu_ms = cJSON_IsNumber(cpu) && cpu->valuedouble >= 0 ? cpu->valuedouble : -1;
    t->peak_memory = peak->valuedouble > 0 ? (uint64_t)peak->valuedouble : 0;
    int r = !t->id || (cJSON_IsString(error) && !t->error) ? CI_ENOMEM : CI_OK;
    if (r == CI_OK)
        r = parse_stream(cJSON_GetObjectItemCaseSensitive(j, "stdout"), from_out, &t->out);
    if (r == CI_OK)
        r = parse_stream(cJSON_GetObjectItemCaseSensitive(j, "stderr"), from_err, &t->err);
    if (r < 0) {
        ci_task_info_free_internal(t);
        return r;
    }
    *out = t;
    return CI_OK;
}

/* One task request to a live shell kernel: the reply, or a CI_E*. */
static int call(struct ci_session *s, struct ci_context *ctx, cJSON *m, cJSON **reply)
{
    if (!m)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    int r = ci_context_call(s, ctx, m, reply);
    cJSON_Delete(m);
    return r;
}

static int start_locked(struct ci_session *s, const char *command, const struct ci_exec_options *o,
                        char **task_id)
{
    const struct ci_runner_ops *runner = ci_runner_for(CI_LANGUAGE_SHELL);
    struct ci_context *ctx = ci_session_context(s, CI_LANGUAGE_SHELL);
    if (!runner || !ctx)
        return ci_fail(s, CI_EUNSUPPORTED, "no shell runner in this build");
    int r = ci_context_ready(s, runner, ctx, 0);
    if (r < 0)
        return r;
    shell_context(s);
    char id[32];
    snprintf(id, sizeof id, "task-%" PRIu64, s->tasks_started + 1);
    cJSON *m = cJSON_CreateObject();
    if (m && (!cJSON_AddStringToObject(m, "op", "task_start") ||
              !cJSON_AddStringToObject(m, "task", id) ||
              !cJSON_AddStringToObject(m, "command", command) ||
              ci_frame_add_call_context(m, o) < 0 ||
              !cJSON_AddNumberToObject(m, "max_tasks", s->cfg.max_tasks) ||
              !cJSON_AddNumberToObject(m, "output_limit", (double)s->cfg.task_output_limit))) {
        cJSON_Delete(m);
        m = NULL;
    }
    cJSON *reply = NULL;
    r = call(s, ctx, m, &reply);
    if (r < 0)
        return r;
    char msg[512];
    const char *name = refusal(reply, msg, sizeof msg);
    if (name) {
        r = !strcmp(name, "TooManyTasks") ? CI_ETOOMANY
            : !strcmp(name, "WorkingDirectoryError") ? CI_ENOENT : CI_ERUNNER;
        cJSON_Delete(reply);
        if (r == CI_ETOOMANY)
            return ci_fail(s, r, "%u tasks are running already (the session's bound): %s",
                           s->cfg.max_tasks, msg);
        return ci_fail(s, r, "the task could not start: %s", msg);
    }
    cJSON_Delete(reply);
    s->tasks_started++;
    *task_id = strdup(id);
    return *task_id ? CI_OK : ci_fail(s, CI_ENOMEM, "out of memory");
}

int ci_tasks_start(struct ci_session *s, const char *command, const struct ci_exec_options *o,
                   char **task_id)
{
    int r = ci_session_take(s);
    if (r == CI_EBUSY)
        return r;
    if (ci_audit_task_start(s->audit, command) < 0) {
        ci_session_release(s);
        return ci_fail(s, CI_EIO, "cannot write the audit trail: %s", ci_audit_error(s->audit));
    }
    r = ci_session_enter(s);
    if (r == CI_OK)
        r = start_locked(s, command, o, task_id);
    ci_audit_task_op(s->audit, "task_started", r == CI_OK ? *task_id : NULL, NULL, r);
    ci_session_release(s);
    return r;
}

/* task_get and task_stop. */
static int look_locked(struct ci_session *s, const char *op, const char *id, uint64_t from_out,
                       uint64_t from_err, struct ci_task_info **out)
{
    uint64_t n = task_number(s, id);
    if (!n)
        return ci_fail(s, CI_ENOENT, "no task \"%s\" in this session", id);
    struct ci_context *ctx = shell_context(s);
    if (!ctx || !ctx->active || n < s->tasks_first)
        return lost(s, id, out);
    cJSON *m = cJSON_CreateObject();
    cJSON *from = cJSON_CreateArray();
    if (!m || !from || !cJSON_AddStringToObject(m, "op", op) ||
        !cJSON_AddStringToObject(m, "task", id) ||
        !cJSON_AddItemToArray(from, cJSON_CreateNumber((double)from_out)) ||
        !cJSON_AddItemToArray(from, cJSON_CreateNumber((double)from_err)) ||
        !cJSON_AddItemToObject(m, "from", from)) {
        cJSON_Delete(m);
        cJSON_Delete(from);
        m = NULL;
    }
    cJSON *reply = NULL;
    int r = call(s, ctx, m, &reply);
    if (r == CI_ERUNNER && !ctx->active)
        return lost(s, id, out);
    if (r < 0)
        return r;
    char msg[512];
    const char *name = refusal(reply, msg, sizeof msg);
    if (name) {
        r = !strcmp(name, "NoSuchTask") ? CI_ENOENT : CI_ERUNNER;
        cJSON_Delete(reply);
        return r == CI_ENOENT ? ci_fail(s, r, "task \"%s\" is no longer kept (only the 64 most "
                                        "recent ended tasks are)", id)
                              : ci_fail(s, r, "the shell interpreter refused: %s", msg);
    }
    r = parse_snapshot(reply, id, from_out, from_err, out);
    cJSON_Delete(reply);
    if (r == CI_EPROTO) {
        s->ops->kill(s->sb, ctx->pid);
        ci_context_close(ctx);
        return ci_fail(s, CI_ERUNNER, "the shell interpreter sent a malformed task snapshot");
    }
    return r < 0 ? ci_fail(s, r, "out of memory") : CI_OK;
}

static int look(struct ci_session *s, const char *op, const char *id, uint64_t from_out,
                uint64_t from_err, struct ci_task_info **out)
{
    int r = ci_session_hold(s);
    if (r == CI_EBUSY)
        return r;
    if (r == CI_OK)
        r = look_locked(s, op, id, from_out, from_err, out);
    ci_audit_task_op(s->audit, op, id, r == CI_OK ? ci_names_task_status((*out)->status) : NULL,
                     r);
    ci_session_release(s);
    return r;
}

int ci_tasks_get(struct ci_session *s, const char *task_id, uint64_t from_out, uint64_t from_err,
                 struct ci_task_info **out)
{
    return look(s, "task_get", task_id, from_out, from_err, out);
}

int ci_tasks_stop(struct ci_session *s, const char *task_id, struct ci_task_info **out)
{
    return look(s, "task_stop", task_id, 0, 0, out);
}
