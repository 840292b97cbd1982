/* SPDX-License-Identifier: MIT */
/*
 * What both MCP transports (stdio in tools/cmd_mcp.c, Streamable HTTP in
 * tools/mcp/http.c) answer alike: the handshake revisions, the initialize
 * result, the answers that need no sandbox.
 */
#include <stdio.h>
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
             "relative to /workspace; files are also listed as file:///workspace/ resources.",
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
