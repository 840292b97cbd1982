/* SPDX-License-Identifier: MIT */
/*
 * What both MCP transports (stdio in tools/cmd_mcp.c, Streamable HTTP in
 * tools/mcp/http.c) answer alike: the handshake revisions, the initialize
 * result, the answers that need no sandbox.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <codeinterp/codeinterp.h>

#include "mcp.h"

static const char *const protocol_versions[] = {"2024-11-05", "2025-03-26", "2025-06-18",
                                                "2025-11-25"};

const char *mcp_protocol_version(const char *requested)
{
    for (size_t i = 0; requested && i < sizeof protocol_versions / sizeof *protocol_versions; i++)
        if (strcmp(requested, protocol_versions[i]) == 0)
            return protocol_versions[i];
    return NULL;
}

cJSON *mcp_initialize_result(const char *requested, const char *lifetime)
{
    const char *version = mcp_protocol_version(requested);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "protocolVersion", version ? version : MCP_LATEST_VERSION);
    cJSON *caps = cJSON_AddObjectToObject(r, "capabilities");
    cJSON_AddFalseToObject(cJSON_AddObjectToObject(caps, "tools"), "listChanged");
    cJSON *res = cJSON_AddObjectToObject(caps, "resources");
    cJSON_AddFalseToObject(res, "subscribe");
    cJSON_AddFalseToObject(res, "listChanged");
    cJSON *info = cJSON_AddObjectToObject(r, "serverInfo");
    cJSON_AddStringToObject(info, "name", "codeinterp");
    cJSON_AddStringToObject(info, "title", "libcodeinterp sandbox");
    cJSON_AddStringToObject(info, "version", ci_version());
    char text[640];
    snprintf(text, sizeof text,
             "Runs Python, JavaScript, TypeScript and shell commands in a sandbox on this host. "
             "One sandbox per %s: files in /workspace and each language's variables "
             "persist between calls until %s. Paths of the file tools are "
             "relative to /workspace, or absolute under /workspace/ or /output/; the files of "
             "both are also listed as file:///workspace/ and file:///output/ resources.",
             lifetime ? "MCP session" : "connection",
             lifetime ? lifetime : "the client disconnects");
    cJSON_AddStringToObject(r, "instructions", text);
    return r;
}

int mcp_utf8_prefix(const char *s, size_t max)
{
    size_t n = strnlen(s, max + 1);
    if (n <= max)
        return (int)n;
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

cJSON *mcp_tool_problem(const char *name, const char *message)
{
    cJSON *r = cJSON_CreateObject();
    cJSON *content = cJSON_AddArrayToObject(r, "content");
    cJSON *block = cJSON_CreateObject();
    cJSON_AddItemToArray(content, block);
    cJSON_AddStringToObject(block, "type", "text");
    cJSON_AddStringToObject(block, "text", message);
    cJSON *sc = cJSON_AddObjectToObject(r, "structuredContent");
    cJSON_AddStringToObject(sc, "status", "error");
    cJSON *e = cJSON_AddObjectToObject(sc, "error");
    cJSON_AddStringToObject(e, "name", name);
    cJSON_AddStringToObject(e, "value", message);
    cJSON_AddTrueToObject(r, "isError");
    return r;
}

/* ------------------------------------------------------------ messages */

char *mcp_error_text(const cJSON *id, int code, const char *message, cJSON *data)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
    cJSON_AddItemToObject(msg, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    cJSON *err = cJSON_AddObjectToObject(msg, "error");
    cJSON_AddNumberToObject(err, "code", code);
    cJSON_AddStringToObject(err, "message", message);
    if (data)
        cJSON_AddItemToObject(err, "data", data);
    char *text = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    return text;
}

char *mcp_result_text(const cJSON *id, cJSON *result)
{
    cJSON *msg = cJSON_CreateObject();
    cJSON_AddStringToObject(msg, "jsonrpc", "2.0");
    cJSON_AddItemToObject(msg, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
    cJSON_AddItemToObject(msg, "result", result ? result : cJSON_CreateObject());
    char *text = cJSON_PrintUnformatted(msg);
    cJSON_Delete(msg);
    return text;
}

/* ------------------------------------------------------------ dispatch */

void mcp_message_classify(const cJSON *msg, mcp_message *m)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(msg, "jsonrpc");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(msg, "method");
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    int valid_id = cJSON_IsString(id) || cJSON_IsNumber(id);
    *m = (mcp_message){ .kind = MCP_MSG_INVALID, .id = valid_id ? id : NULL,
                        .code = RPC_INVALID_REQUEST };

    if (!cJSON_IsObject(msg)) {
        m->error = "Invalid Request: a message is a JSON object";
    } else if (!cJSON_IsString(version) || strcmp(version->valuestring, "2.0") != 0) {
        m->error = "Invalid Request: \"jsonrpc\" must be \"2.0\"";
    } else if (id && !valid_id) {
        m->error = "Invalid Request: \"id\" must be a string or a number";
    } else if (!method && (cJSON_GetObjectItemCaseSensitive(msg, "result") ||
                           cJSON_GetObjectItemCaseSensitive(msg, "error"))) {
        m->kind = MCP_MSG_RESPONSE;
    } else if (!method) {
        m->error = "Invalid Request: no \"method\"";
    } else if (!cJSON_IsString(method)) {
        m->error = "Invalid Request: \"method\" must be a string";
    } else if (params && !cJSON_IsObject(params) && !cJSON_IsNull(params)) {
        /* an array is a valid JSON-RPC params, but not MCP's */
        m->code = id && cJSON_IsArray(params) ? RPC_INVALID_PARAMS : RPC_INVALID_REQUEST;
        m->error = "\"params\" must be an object";
    } else {
        m->kind = id ? MCP_MSG_REQUEST : MCP_MSG_NOTIFICATION;
        m->method = method->valuestring;
        m->params = cJSON_IsObject(params) ? params : NULL;
    }
}

int mcp_tool_call_check(const cJSON *params, int *code, char *text, size_t size)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    *code = RPC_INVALID_PARAMS;
    if (!cJSON_IsString(name))
        snprintf(text, size, "tools/call needs params.name, a string");
    else if (!mcp_tool_known(name->valuestring))
        snprintf(text, size, "Unknown tool: %.*s", mcp_utf8_prefix(name->valuestring, 64),
                 name->valuestring);
    else if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))
        snprintf(text, size, "tools/call: params.arguments must be an object");
    else
        return 1;
    return 0;
}

char *mcp_local_answer(const cJSON *id, const char *method, unsigned timeout_s)
{
    static const char *const session_methods[] = {"initialize", "tools/call", "resources/list",
                                                  "resources/read"};
    for (size_t i = 0; i < sizeof session_methods / sizeof *session_methods; i++)
        if (strcmp(method, session_methods[i]) == 0)
            return NULL;
    if (strcmp(method, "ping") == 0)
        return mcp_result_text(id, NULL);
    if (strcmp(method, "tools/list") == 0) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddItemToObject(r, "tools", cJSON_Duplicate(mcp_tool_catalog(timeout_s), 1));
        return mcp_result_text(id, r);
    }
    if (strcmp(method, "resources/templates/list") == 0) {
        cJSON *r = cJSON_CreateObject();
        cJSON_AddArrayToObject(r, "resourceTemplates");
        return mcp_result_text(id, r);
    }
    char text[160];
    snprintf(text, sizeof text, "Method not found: %.*s", mcp_utf8_prefix(method, 64), method);
    return mcp_error_text(id, RPC_METHOD_NOT_FOUND, text, NULL);
}

char *mcp_progress_text(const char *token, unsigned long progress, int stream, const char *data,
                        size_t len, unsigned char *carry, size_t *carry_len, size_t *out_len)
{
    char *prefix = NULL;
    if (asprintf(&prefix, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\","
                 "\"params\":{\"progressToken\":%s,\"progress\":%lu,\"_meta\":"
                 "{\"dev.codeinterp/stream\":\"%s\"},\"message\":\"", token, progress,
                 stream ? "stderr" : "stdout") < 0)
        return NULL;
    char *text = mcp_json_chunk(prefix, data, len, carry, carry_len, "\"}}", out_len);
    free(prefix);
    return text;
}

#define error_text mcp_error_text
#define result_text mcp_result_text

/* ------------------------------------------------------------ resources */

/* resources/list walks /workspace and /output up to this many files,
 * levels and folders. */
#define MAX_RESOURCES 1000
#define MAX_DEPTH 32
#define MAX_FOLDERS 1000

/* Percent-decodes a URI path in place; -1 for a bad escape or a NUL. */
static int percent_decode(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        if (!isxdigit((unsigned char)p[1]) || !isxdigit((unsigned char)p[2]))
            return -1;
        char hex[3] = {p[1], p[2], '\0'};
        long v = strtol(hex, NULL, 16);
        if (v == 0)
            return -1;
        *o++ = (char)v;
        p += 2;
    }
    *o = '\0';
    return 0;
}

/* One listFiles page through the library (token NULL for the first); its
 * parsed answer or NULL. */
static cJSON *list_dir(mcp_tool_fn call, void *cls, const char *dir, const char *token)
{
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "directoryPath", dir);
    if (token)
        cJSON_AddStringToObject(args, "nextToken", token);
    char *answer = call("listFiles", args, cls);
    cJSON_Delete(args);
    cJSON *parsed = answer ? cJSON_Parse(answer) : NULL;
    free(answer);
    return parsed;
}

/* The walk of resources/list: folders still to list, what was found. */
struct walk {
    cJSON *dirs;      /* queue of [path, depth] */
    cJSON *resources;
    int count, folders, truncated;
};

static void queue_dir(struct walk *w, const char *path, int depth)
{
    cJSON *d = cJSON_CreateArray();
    cJSON_AddItemToArray(d, cJSON_CreateString(path));
    cJSON_AddItemToArray(d, cJSON_CreateNumber(depth));
    cJSON_AddItemToArray(w->dirs, d);
}

/* Takes the entries of one listFiles page of `dir` into the walk. */
static void take_page(struct walk *w, const char *dir, int depth, const cJSON *answer)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(answer, "structuredContent");
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(sc, "files");
    const cJSON *links = cJSON_GetObjectItemCaseSensitive(answer, "content");
    for (int i = 0; i < cJSON_GetArraySize(files) && !w->truncated; i++) {
        const cJSON *f = cJSON_GetArrayItem(files, i);
        const cJSON *link = cJSON_GetArrayItem(links, i);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "type");
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(f, "name");
        char *path = NULL;
        if (!cJSON_IsString(t) || !cJSON_IsString(nm) ||
            asprintf(&path, "%s%s%s", dir, *dir ? "/" : "", nm->valuestring) < 0)
            continue;
        const char *type = t->valuestring;
        if (strcmp(type, "directory") == 0 && depth + 1 < MAX_DEPTH &&
            w->folders < MAX_FOLDERS) {
            w->folders++;
            queue_dir(w, path, depth + 1);
        } else if (strcmp(type, "file") == 0 && w->count == MAX_RESOURCES) {
            w->truncated = 1;
        } else if (strcmp(type, "file") == 0) {
            cJSON *r = cJSON_CreateObject();
            cJSON_AddItemToObject(r, "uri", cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(link, "uri"), 1));
            cJSON_AddStringToObject(r, "name", path);
            cJSON_AddItemToObject(r, "mimeType", cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(link, "mimeType"), 1));
            cJSON_AddItemToObject(r, "size", cJSON_Duplicate(
                cJSON_GetObjectItemCaseSensitive(f, "size"), 1));
            cJSON_AddItemToArray(w->resources, r);
            w->count++;
        }
        free(path);
    }
}

/*
 * resources/list: the regular files of /workspace (named relative to it)
 * and of /output (named /output/...), breadth first, at most MAX_RESOURCES
 * of them, in MAX_FOLDERS folders of at most MAX_DEPTH levels, each folder
 * read page by page (so that a sandbox full of folders or files costs a
 * bounded number of listFiles calls); symbolic links are listed by the
 * library but never followed, and left out here.
 */
static void list_resources(const cJSON *id, mcp_tool_fn call, void *cls, char **out)
{
    struct walk w = { cJSON_CreateArray(), cJSON_CreateArray(), 0, 2, 0 };
    queue_dir(&w, "", 0);
    queue_dir(&w, "/output", 0);

    while (cJSON_GetArraySize(w.dirs) > 0 && !w.truncated) {
        cJSON *d = cJSON_DetachItemFromArray(w.dirs, 0);
        const char *dir = cJSON_GetArrayItem(d, 0)->valuestring;
        int depth = cJSON_GetArrayItem(d, 1)->valueint;
        char *token = NULL;
        do {
            cJSON *answer = list_dir(call, cls, dir, token);
            free(token);
            token = NULL;
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "isError")) && !*dir) {
                const cJSON *block = cJSON_GetArrayItem(
                    cJSON_GetObjectItemCaseSensitive(answer, "content"), 0);
                const cJSON *t = cJSON_GetObjectItemCaseSensitive(block, "text");
                *out = error_text(id, RPC_INTERNAL_ERROR,
                                  cJSON_IsString(t) ? t->valuestring : "cannot list /workspace",
                                  NULL);
                cJSON_Delete(answer);
                cJSON_Delete(d);
                cJSON_Delete(w.dirs);
                cJSON_Delete(w.resources);
                return;
            }
            take_page(&w, dir, depth, answer);
            const cJSON *next = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(answer, "structuredContent"), "nextToken");
            if (cJSON_IsString(next) && !w.truncated)
                token = strdup(next->valuestring);
            cJSON_Delete(answer);
        } while (token);
        cJSON_Delete(d);
    }
    cJSON_Delete(w.dirs);
    if (w.truncated)
        fprintf(stderr, "codeinterp mcp: resources/list: more than %d files in /workspace and "
                "/output; the first %d are listed\n", MAX_RESOURCES, MAX_RESOURCES);
    cJSON *result = cJSON_CreateObject();
    cJSON_AddItemToObject(result, "resources", w.resources);
    *out = result_text(id, result);
}

/* resources/read of file:///workspace/PATH and file:///output/PATH
 * through readFiles: the same safe paths and caps as the tool. */
static void read_resource(const cJSON *id, const cJSON *params, int has_nul, mcp_tool_fn call,
                          void *cls, char **out)
{
    static const char file[] = "file://";
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(params, "uri");
    if (!cJSON_IsString(uri)) {
        *out = error_text(id, RPC_INVALID_PARAMS, "resources/read needs params.uri, a string", NULL);
        return;
    }
    cJSON *data = cJSON_CreateObject();
    cJSON_AddStringToObject(data, "uri", uri->valuestring);
    const char *abs = uri->valuestring + sizeof file - 1;
    if (strncmp(uri->valuestring, file, sizeof file - 1) != 0 || has_nul ||
        (strncmp(abs, "/workspace/", 11) != 0 && strncmp(abs, "/output/", 8) != 0)) {
        *out = error_text(id, MCP_RESOURCE_NOT_FOUND, "Resource not found: only "
                          "file:///workspace/... and file:///output/... URIs are served", data);
        return;
    }
    /* the library takes /workspace/... and /output/... names as they are */
    char *path = strdup(abs);
    if (!path || percent_decode(path) < 0) {
        free(path);
        *out = error_text(id, RPC_INVALID_PARAMS, "invalid percent-encoding in the URI", data);
        return;
    }
    cJSON *args = cJSON_CreateObject();
    cJSON_AddItemToArray(cJSON_AddArrayToObject(args, "paths"), cJSON_CreateString(path));
    free(path);
    char *answer = call("readFiles", args, cls);
    cJSON_Delete(args);
    cJSON *parsed = answer ? cJSON_Parse(answer) : NULL;
    free(answer);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(parsed, "content");
    const cJSON *block = cJSON_GetArrayItem(content, 0);
    if (!parsed) {
        *out = error_text(id, RPC_INTERNAL_ERROR, "out of memory", data);
    } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(parsed, "isError"))) {
        const cJSON *sc = cJSON_GetObjectItemCaseSensitive(parsed, "structuredContent");
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(sc, "error");
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "name");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(block, "text");
        const char *k = cJSON_IsString(kind) ? kind->valuestring : "";
        int code = strcmp(k, "FileNotFound") == 0 ? MCP_RESOURCE_NOT_FOUND
                   : strcmp(k, "InvalidPath") == 0 || strcmp(k, "NotRegularFile") == 0 ||
                     strcmp(k, "FileTooLarge") == 0
                       ? RPC_INVALID_PARAMS : RPC_INTERNAL_ERROR;
        cJSON_AddItemToObject(data, "error", cJSON_Duplicate(e, 1));
        *out = error_text(id, code, cJSON_IsString(text) ? text->valuestring : "read failed", data);
    } else {
        cJSON *contents = cJSON_CreateArray();
        cJSON_AddItemToArray(contents, cJSON_DetachItemFromObject(
            (cJSON *)block, "resource"));
        cJSON *result = cJSON_CreateObject();
        cJSON_AddItemToObject(result, "contents", contents);
        *out = result_text(id, result);
        cJSON_Delete(data);
    }
    cJSON_Delete(parsed);
}


char *mcp_resources_answer(const char *method, const cJSON *id, const cJSON *params, int has_nul,
                           mcp_tool_fn call, void *cls)
{
    char *out = NULL;
    if (strcmp(method, "resources/list") == 0)
        list_resources(id, call, cls, &out);
    else
        read_resource(id, params, has_nul, call, cls, &out);
    return out;
}
