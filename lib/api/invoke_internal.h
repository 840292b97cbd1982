/* SPDX-License-Identifier: MIT */
/* The pieces of ci_invoke_json() that live in more than one file. */
#pragma once
#include <stdint.h>
#include <cjson/cJSON.h>

#include "codeinterp/codeinterp.h"

/*
 * invoke_json.c: answers a call that produced no execution result: isError
 * true, the message both as the text and as structuredContent.error.value.
 * `status` is a ci_status_name() value, `kind` classifies the problem for
 * programs, and a non-zero `code` is the ci_error behind it. 0 or
 * CI_ENOMEM.
 */
int ci_invoke_problem(const char *status, const char *kind, int code, char **out,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * invoke_json.c: the status and kind of a failure that is about the
 * session rather than the call (busy, expired, its sandbox gone): 1 and
 * both set for those codes, 0 otherwise.
 */
int ci_invoke_session_problem(int code, const char **status, const char **kind);

/*
 * invoke_json.c: answers a failed ci_execute() / ci_execute_command() (rc
 * < 0, not a result): the status the failure means ("session_expired",
 * "error" for a call the library refused, "sandbox_error" otherwise) and
 * the session's message. 0 or CI_ENOMEM.
 */
int ci_invoke_execution_failed(ci_session *session, int rc, char **out);

/*
 * invoke_json.c: the "timeout" argument (seconds) of executeCode and
 * executeCommand into *ms (0 when absent or null). Returns 1 when it is
 * valid; otherwise answers why in *out and returns 0, or CI_ENOMEM.
 */
int ci_invoke_timeout_arg(const cJSON *args, uint64_t *ms, char **out);

/*
 * Each tool below takes `args`, the request's "arguments" (any JSON,
 * checked here: an argument the tool does not take was already refused by
 * the dispatcher); `has_nul` says the request text holds a \u0000 escape,
 * which cJSON would silently cut a string at. Each answers in *out,
 * problems included, and returns 0 or CI_ENOMEM.
 */

/* invoke_files.c: writeFiles, readFiles, listFiles and removeFiles. */
int ci_invoke_write_files(ci_session *s, const cJSON *args, int has_nul, char **out);
int ci_invoke_read_files(ci_session *s, const cJSON *args, int has_nul, char **out);
int ci_invoke_list_files(ci_session *s, const cJSON *args, int has_nul, char **out);
int ci_invoke_remove_files(ci_session *s, const cJSON *args, int has_nul, char **out);

/* What ci_invoke_json_stream() gives the tools that run code: output
 * callbacks and a cancel handle, each optional (all NULL for
 * ci_invoke_json()). */
struct ci_invoke_stream {
    ci_output_callback on_stdout, on_stderr;
    void *user_data;
    ci_cancel *cancel;
};

/* invoke_commands.c: executeCommand (it runs code: it takes the stream),
 * startCommandExecution, getTask and stopTask. */
int ci_invoke_execute_command(ci_session *s, const cJSON *args, int has_nul,
                              const struct ci_invoke_stream *st, char **out);
int ci_invoke_start_task(ci_session *s, const cJSON *args, int has_nul, char **out);
int ci_invoke_get_task(ci_session *s, const cJSON *args, int has_nul, char **out);
int ci_invoke_stop_task(ci_session *s, const cJSON *args, int has_nul, char **out);

/*
 * invoke_json.c: gives the options of an execution the callbacks and the
 * cancel handle of `st`. 0 or the setters' error.
 */
int ci_invoke_stream_options(const struct ci_invoke_stream *st, ci_exec_options *options);

/* Non-zero if the JSON text holds a \u0000 escape inside a string. */
int ci_json_has_nul_escape(const char *json);
