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

/*
 * `prefix`, the chunk as the contents of a JSON string (mcp_json_escape),
 * then `suffix`, as one malloc'd text of *out_len bytes; NULL when out of
 * memory or when the chunk held nothing whole yet (a cut UTF-8 sequence
 * waits in carry for the next one).
 */
char *mcp_json_chunk(const char *prefix, const char *data, size_t len, unsigned char *carry,
                     size_t *carry_len, const char *suffix, size_t *out_len);

/*
 * core.c: the notifications/progress message for an output chunk of a
 * call that asked for progress: `token` is the progressToken as JSON,
 * `progress` the counter (one up per chunk), the chunk is the message and
 * its stream (0 stdout, 1 stderr) is in _meta. As mcp_json_chunk().
 */
char *mcp_progress_text(const char *token, unsigned long progress, int stream, const char *data,
                        size_t len, unsigned char *carry, size_t *carry_len, size_t *out_len);

/* Non-zero if the JSON text holds a \u0000 escape inside a string (which
 * cJSON would cut the string at). */
int mcp_has_nul_escape(const char *json, size_t len);

/* ---- core.c: shared by the stdio and Streamable HTTP transports */

/* JSON-RPC 2.0 and MCP error codes */
#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603
#define MCP_RESOURCE_NOT_FOUND -32002

#define MCP_LATEST_VERSION "2025-11-25"
/* JSON-RPC batches are part of 2025-03-26 only: it added them, 2025-06-18
 * removed them. */
#define MCP_BATCH_VERSION "2025-03-26"

/* The revision of the handshake this server speaks that equals
 * `requested` (static), or NULL when it speaks no such revision. */
const char *mcp_protocol_version(const char *requested);

/* The result of initialize: the requested revision if spoken, else the
 * latest; capabilities, serverInfo, instructions. `lifetime` says until
 * when the sandbox lasts (NULL: "the client disconnects", per connection). */
cJSON *mcp_initialize_result(const char *requested, const char *lifetime);

/* The length of at most `max` bytes of s that does not end inside a UTF-8
 * sequence, for quoting a name back. */
int mcp_utf8_prefix(const char *s, size_t max);

/* A CallToolResult for a tool failure the library never saw, shaped as its
 * answers are (isError, structuredContent.error {name, value}). */
cJSON *mcp_tool_problem(const char *name, const char *message);

/* The response messages {"jsonrpc":"2.0","id":id,...} as text (free()
 * them), id NULL for null; `data` and `result` are taken (NULL: none, {}). */
char *mcp_error_text(const cJSON *id, int code, const char *message, cJSON *data);
char *mcp_result_text(const cJSON *id, cJSON *result);

/* What a message of the client is, once its JSON-RPC envelope is checked
 * (the same rules on both transports). */
typedef enum mcp_message_kind {
    MCP_MSG_REQUEST,      /* method and id: answer it */
    MCP_MSG_NOTIFICATION, /* method, no id: never answered */
    MCP_MSG_RESPONSE,     /* result or error: this server asks nothing, ignore it */
    MCP_MSG_INVALID       /* answer `code` and `error` to `id` (NULL: null) */
} mcp_message_kind;

typedef struct mcp_message {
    mcp_message_kind kind;
    const cJSON *id;      /* the request's id; for INVALID the one to answer, or NULL */
    const char *method;   /* REQUEST, NOTIFICATION */
    const cJSON *params;  /* an object, or NULL */
    int code;             /* INVALID */
    const char *error;    /* INVALID: the message (static) */
} mcp_message;

/* Classifies `msg` (a parsed message, not a batch). */
void mcp_message_classify(const cJSON *msg, mcp_message *m);

/*
 * Checks the params of tools/call: 1 when they name a known tool with
 * object (or absent) arguments, else 0 with the JSON-RPC error's code and
 * message in *code and text.
 */
int mcp_tool_call_check(const cJSON *params, int *code, char *text, size_t size);

/*
 * Answers a request that needs no sandbox (ping, tools/list,
 * resources/templates/list, and any method not known): the response
 * message as text (free() it), or NULL when `method` is one of the
 * methods that need the session (initialize, tools/call, resources/list,
 * resources/read), which the transport handles.
 */
char *mcp_local_answer(const cJSON *id, const char *method, unsigned timeout_s);

/* A tool call in the session of the connection: the CallToolResult text
 * (malloc'd), or NULL. */
typedef char *(*mcp_tool_fn)(const char *name, const cJSON *arguments, void *cls);

/*
 * Answers resources/list (the regular files of /workspace through
 * listFiles, breadth first, bounded) or resources/read (file:///workspace/
 * URIs through readFiles: the same safe paths and caps) with the tool
 * calls of `call`: the response message as text (free() it), or NULL if
 * out of memory. `has_nul`: the message held a \u0000 escape.
 */
char *mcp_resources_answer(const char *method, const cJSON *id, const cJSON *params, int has_nul,
                           mcp_tool_fn call, void *cls);
