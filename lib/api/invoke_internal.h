/* SPDX-License-Identifier: MIT */
/* The pieces of ci_invoke_json() that live in more than one file. */
#pragma once
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
 * invoke_files.c: the file tools writeFiles, readFiles, listFiles and
 * removeFiles. `args` is the request's "arguments" (any JSON, checked here);
 * `has_nul` says the request text holds a \u0000 escape, which cJSON would
 * silently cut a string at. Each answers in *out, problems included, and
 * returns 0 or CI_ENOMEM.
 */
int ci_invoke_write_files(ci_session *s, const cJSON *args, int has_nul, char **out);
int ci_invoke_read_files(ci_session *s, const cJSON *args, int has_nul, char **out);
int ci_invoke_list_files(ci_session *s, const cJSON *args, int has_nul, char **out);
int ci_invoke_remove_files(ci_session *s, const cJSON *args, int has_nul, char **out);

/* Non-zero if the JSON text holds a \u0000 escape inside a string. */
int ci_json_has_nul_escape(const char *json);
