/* SPDX-License-Identifier: MIT */
/*
 * The one writer of JSON string literals: the result and tool-call JSON and
 * the audit records all quote text here. What they quote (captured output,
 * file names) may hold invalid UTF-8 and NUL bytes; the JSON they hand out
 * may not.
 */
#pragma once
#include <stddef.h>

/* Flag of ci_json_text_quote(): every control character and DEL as \u00XX
 * (never a short escape such as \n) and U+FFFD as the escape \ufffd, so
 * that what was replaced or escaped stays visible in the raw text: the
 * spelling doc/audit.md gives the audit records. */
#define CI_JSON_TEXT_UNICODE_ESCAPES 1u

/*
 * Quotes `len` bytes as a JSON string literal, quotes included. Each maximal
 * ill-formed UTF-8 subsequence becomes one U+FFFD (the Unicode "substitution
 * of maximal subparts" practice); `"`, `\`, NUL and the other control
 * characters are escaped, as short escapes (\n, \t, ...) where JSON has
 * them unless `flags` asks otherwise. Returns a malloc'd NUL-terminated
 * string (its length in *out_len if out_len is not NULL), or NULL when out
 * of memory.
 */
char *ci_json_text_quote(const char *data, size_t len, unsigned flags, size_t *out_len);
