/* SPDX-License-Identifier: MIT */
/* Pieces of `codeinterp mcp` (tools/cmd_mcp.c) that live apart. */
#pragma once
#include <stddef.h>

#include <cjson/cJSON.h>

/*
 * The "tools" array of tools/list: every tool of ci_invoke_json() with its
 * description, inputSchema and (where the answer has one shape)
 * outputSchema. `timeout_s` is the server's execution time limit, named in
 * the descriptions. Parsed once; owned here, never freed. NULL if out of
 * memory.
 */
const cJSON *mcp_tool_catalog(unsigned timeout_s);

/* Non-zero if `name` is one of the catalog's tools. */
int mcp_tool_known(const char *name);

/*
 * Appends `len` bytes to `out` (malloc'd, *out_len bytes used, grown as
 * needed) as the contents of a JSON string, without the quotes: valid
 * UTF-8 is copied, invalid bytes become U+FFFD, control characters are
 * escaped. `carry` (4 bytes, *carry_len used) holds the start of a UTF-8
 * sequence cut at the end of a chunk, so the next chunk completes it;
 * pass NULL to treat a cut sequence as invalid. 0, or -1 if out of memory.
 */
int mcp_json_escape(char **out, size_t *out_len, size_t *out_cap, const char *data, size_t len,
                    unsigned char *carry, size_t *carry_len);

/* Non-zero if the JSON text holds a \u0000 escape inside a string (which
 * cJSON would cut the string at). */
int mcp_has_nul_escape(const char *json, size_t len);
