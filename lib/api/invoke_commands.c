/* SPDX-License-Identifier: MIT */
/*
 * The shell tools of ci_invoke_json(), with AgentCore's names and
 * arguments: executeCommand {"command"} runs one command line and answers
 * as executeCode does (ci_result_to_json()); startCommandExecution
 * {"command"} starts a background task and answers {taskId, taskStatus};
 * getTask {"taskId"} answers the task's snapshot with everything still
 * buffered (ci_task_info_to_json()); stopTask {"taskId"} kills the task's
 * process group and answers the snapshot taken after the stop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/invoke_internal.h"
#include "api/json_result.h"
#include "core/session.h"
#include "util/buf.h"

/* Longest piece of a request quoted back in a message (as invoke_json.c). */
#define ECHO_MAX 64

static int invalid(char **out, const char *tool, const char *why)
{
    return ci_invoke_problem("error", "InvalidRequest", 0, out, "invalid request: %s: %s", tool,
                             why);
}

/*
 * The string argument `name` (non-empty) into *value. 1 when it is there;
 * otherwise answers why and returns 0 or CI_ENOMEM. A command cut at an
 * escaped NUL would run something else than was sent, a task id cut at one
 * would name another task: both are refused.
 */
static int string_arg(const cJSON *args, const char *name, int has_nul, const char *tool,
                      const char **value, char **out)
{
    char why[96];
    if (!cJSON_IsObject(args))
        return invalid(out, tool, "\"arguments\" must be an object");
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, name);
    if (!cJSON_IsString(item) || !*item->valuestring) {
        snprintf(why, sizeof why, "\"arguments.%s\" must be a non-empty string", name);
        return invalid(out, tool, why);
    }
    if (has_nul) {
        snprintf(why, sizeof why, "a string holds a NUL character (\\u0000), which "
                 "\"%s\" cannot contain", name);
        return invalid(out, tool, why);
    }
    *value = item->valuestring;
    return 1;
}

/* A failed task call, classified for programs. */
static int task_problem(ci_session *s, const char *tool, int rc, const char *task_id,
                        char **out)
{
    const char *status = "error", *kind = "TaskError";
    switch (rc) {
    case CI_ENOMEM:
        return CI_ENOMEM;
    case CI_ENOENT:
        return ci_invoke_problem("error", "NoSuchTask", rc, out,
                                 "%s failed: no task \"%.*s\" in this session (ids are "
                                 "\"task-1\", \"task-2\", ...; the 64 most recent ended "
                                 "tasks are kept)", tool, ECHO_MAX, task_id);
    case CI_ETOOMANY:
        return ci_invoke_problem("error", "TooManyTasks", rc, out,
                                 "%s failed: too many running tasks (limit %u); stop one "
                                 "with stopTask or wait for one to end", tool,
                                 (unsigned)s->cfg.max_tasks);
    case CI_ERUNNER:
        status = "sandbox_error";
        kind = "RunnerFailed";
        break;
    case CI_EINVAL:
    case CI_EPATH:
        kind = "InvalidRequest";
        break;
    default:
        if (!ci_invoke_session_problem(rc, &status, &kind))
            status = "sandbox_error";
        break;
    }
    const char *detail = ci_session_last_error(s);
    return ci_invoke_problem(status, kind, rc, out, "%s failed: %s%s%s", tool, ci_strerror(rc),
                             *detail ? ": " : "", detail);
}

/* ------------------------------------------------------- executeCommand */

int ci_invoke_execute_command(ci_session *s, const cJSON *args, int has_nul,
                              const struct ci_invoke_stream *st, char **out)
{
    const char *command;
    int rc = string_arg(args, "command", has_nul, "executeCommand", &command, out);
    if (rc <= 0)
        return rc;
    uint64_t timeout_ms;
    rc = ci_invoke_timeout_arg(args, &timeout_ms, out);
    if (rc <= 0)
        return rc;

    ci_exec_options *options;
    ci_result *result;
    rc = ci_exec_options_new(&options);
    if (rc < 0)
        return rc;
    if (timeout_ms > 0)
        rc = ci_exec_options_set_timeout_ms(options, timeout_ms);
    if (rc == 0)
        rc = ci_invoke_stream_options(st, options);
    if (rc == 0)
        rc = ci_execute_command(s, command, options, &result);
    ci_exec_options_free(options);
    if (rc < 0)
        return ci_invoke_execution_failed(s, rc, out);
    rc = ci_result_to_json(result, out);
    ci_result_free(result);
    return rc;
}

/* ------------------------------------------------ startCommandExecution */

int ci_invoke_start_task(ci_session *s, const cJSON *args, int has_nul, char **out)
{
    static const char tool[] = "startCommandExecution";
    const char *command;
    int rc = string_arg(args, "command", has_nul, tool, &command, out);
    if (rc <= 0)
        return rc;
    char *id;
    rc = ci_task_start(s, command, NULL, &id);
    if (rc < 0)
        return task_problem(s, tool, rc, "", out);

    /* The state right after the start: a short command may already have
     * ended. The task runs whatever this look says, so a failed look
     * answers "submitted" (accepted) rather than an error the agent would
     * take for a task that never started. */
    ci_task_info *info = NULL;
    ci_task_status state = CI_TASK_SUBMITTED;
    if (ci_task_get(s, id, 0, 0, &info) == 0)
        state = ci_task_info_status(info);
    ci_task_info_free(info);

    const char *state_name = ci_task_status_name(state);
    cJSON *sc = cJSON_CreateObject();
    int ok = sc && cJSON_AddStringToObject(sc, "status", "ok") &&
             ci_json_add_text(sc, "taskId", id) && ci_json_add_text(sc, "taskStatus", state_name);
    char *text = NULL;
    int len = ok ? asprintf(&text, "Started %s (%s). Poll it with getTask {\"taskId\": \"%s\"}; "
                            "stop it with stopTask.", id, state_name, id) : -1;
    free(id);
    if (len < 0) {
        cJSON_Delete(sc);
        return CI_ENOMEM;
    }
    rc = ci_json_tool_result(text, (size_t)len, sc, 0, out);
    free(text);
    return rc;
}

/* ----------------------------------------------------- getTask, stopTask */

/* Appends `len` bytes and, unless they end one, a newline. */
static int append_lines(ci_buf *b, const char *data, size_t len)
{
    if (len == 0)
        return 0;
    if (ci_buf_append(b, data, len) < 0)
        return -1;
    return data[len - 1] == '\n' ? 0 : ci_buf_append(b, "\n", 1);
}

/*
 * The text an agent reads about a task: what it wrote to stdout, then to
 * stderr (a command's complaints are often all there is to read), then its
 * state, and what the output limit dropped.
 */
static int task_text(const ci_task_info *info, ci_buf *text)
{
    size_t out_len, err_len;
    const char *o = ci_task_info_output(info, CI_TASK_STDOUT, &out_len);
    const char *e = ci_task_info_output(info, CI_TASK_STDERR, &err_len);
    if (append_lines(text, o, out_len) < 0 || append_lines(text, e, err_len) < 0)
        return -1;

    const char *id = ci_task_info_id(info);
    ci_task_status state = ci_task_info_status(info);
    const char *error = ci_task_info_error(info);
    int code = ci_task_info_exit_code(info);
    char *line = NULL;
    int n;
    switch (state) {
    case CI_TASK_COMPLETED:
        n = asprintf(&line, "Task %s completed with exit code %d.", id, code);
        break;
    case CI_TASK_CANCELED:
        n = asprintf(&line, "Task %s was canceled (exit code %d).", id, code);
        break;
    case CI_TASK_FAILED:
        n = asprintf(&line, "Task %s failed%s%s.", id, error ? ": " : "", error ? error : "");
        break;
    default:
        n = asprintf(&line, "Task %s is %s.", id, ci_task_status_name(state));
        break;
    }
    if (n < 0 || ci_buf_append(text, line, (size_t)n) < 0) {
        free(line);
        return -1;
    }
    free(line);
    static const struct { int stream; const char *name; } streams[] = {
        {CI_TASK_STDOUT, "stdout"}, {CI_TASK_STDERR, "stderr"},
    };
    for (size_t i = 0; i < 2; i++) {
        uint64_t dropped = ci_task_info_output_dropped(info, streams[i].stream);
        char note[128];
        if (!dropped)
            continue;
        n = snprintf(note, sizeof note, " The first %llu bytes of its %s were dropped "
                     "(task output limit).", (unsigned long long)dropped, streams[i].name);
        if (ci_buf_append(text, note, (size_t)n) < 0)
            return -1;
    }
    return 0;
}

/*
 * The answer for a snapshot: the text above, and as structuredContent the
 * snapshot's JSON (ci_task_info_to_json(), taken as printed: parsing it
 * again would cut its strings at an escaped NUL) with "status":"ok" first,
 * as the file tools have.
 */
static int task_answer(const ci_task_info *info, char **out)
{
    char *json;
    int rc = ci_task_info_to_json(info, &json);
    if (rc < 0)
        return CI_ENOMEM;
    ci_buf sc_text = {0}, text = {0};
    static const char status_ok[] = "{\"status\":\"ok\"";
    int ok = json[0] == '{' && ci_buf_append(&sc_text, status_ok, sizeof status_ok - 1) == 0 &&
             (json[1] == '}' || ci_buf_append(&sc_text, ",", 1) == 0) &&
             ci_buf_append(&sc_text, json + 1, strlen(json + 1)) == 0 &&
             task_text(info, &text) == 0;
    ci_free(json);
    cJSON *sc = ok ? cJSON_CreateRaw(ci_buf_cstr(&sc_text)) : NULL;
    ci_buf_free(&sc_text);
    rc = sc ? ci_json_tool_result(ci_buf_cstr(&text), text.len, sc, 0, out) : CI_ENOMEM;
    ci_buf_free(&text);
    return rc;
}

int ci_invoke_get_task(ci_session *s, const cJSON *args, int has_nul, char **out)
{
    static const char tool[] = "getTask";
    const char *id;
    int rc = string_arg(args, "taskId", has_nul, tool, &id, out);
    if (rc <= 0)
        return rc;
    ci_task_info *info;
    rc = ci_task_get(s, id, 0, 0, &info);
    if (rc < 0)
        return task_problem(s, tool, rc, id, out);
    rc = task_answer(info, out);
    ci_task_info_free(info);
    return rc;
}

int ci_invoke_stop_task(ci_session *s, const cJSON *args, int has_nul, char **out)
{
    static const char tool[] = "stopTask";
    const char *id;
    int rc = string_arg(args, "taskId", has_nul, tool, &id, out);
    if (rc <= 0)
        return rc;
    ci_task_info *info;
    rc = ci_task_stop(s, id, &info);
    if (rc < 0)
        return task_problem(s, tool, rc, id, out);
    rc = task_answer(info, out);
    ci_task_info_free(info);
    return rc;
}
