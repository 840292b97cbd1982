/* SPDX-License-Identifier: MIT */
/*
 * Building MCP CallToolResult answers (shared by ci_result_to_json() and
 * ci_invoke_json()), and putting arbitrary bytes into JSON: captured output
 * may hold invalid UTF-8 and NUL bytes, the JSON text we hand out may not.
 */
#pragma once
#include <stddef.h>
#include <cjson/cJSON.h>

/* Adds member `name` holding `len` bytes, repaired and quoted by
 * ci_json_text_quote() (util/json_text.h). Returns the new item, or NULL
 * when out of memory. */
cJSON *ci_json_add_bytes(cJSON *object, const char *name, const char *data, size_t len);
/* ci_json_add_bytes() for NUL-terminated text; NULL text adds null. */
cJSON *ci_json_add_text(cJSON *object, const char *name, const char *text);

/* Prints root unformatted into *out (malloc'd, for ci_free()). 0 or
 * CI_ENOMEM. */
int ci_json_print(const cJSON *root, char **out);
/* A task snapshot as ci_task_info_to_json() writes it, or NULL when out
 * of memory (api/tasks.c). */
struct ci_task_info;
cJSON *ci_task_info_json(const struct ci_task_info *t);
/* Milliseconds rounded to the microsecond, for the answers. */
double ci_json_round_ms(double ms);

/*
 * Serializes {"content":[{"type":"text","text":text}],
 * "structuredContent":structured,"isError":is_error} into *out (malloc'd,
 * for ci_free()). Takes ownership of `structured` whatever happens.
 * Returns 0 or CI_ENOMEM; *out is untouched on failure.
 */
int ci_json_tool_result(const char *text, size_t text_len, cJSON *structured,
                        int is_error, char **out);
/* The same with more content blocks after the text one (e.g. images);
 * takes ownership of `more` (an array, or NULL) too. */
int ci_json_tool_result_with(const char *text, size_t text_len, cJSON *more, cJSON *structured,
                             int is_error, char **out);
