/* SPDX-License-Identifier: MIT */
/*
 * ci_invoke_json(): one AgentCore-style tool call in, one MCP CallToolResult
 * out. Every problem except memory exhaustion is answered in the JSON itself
 * (isError true, a text naming the problem), so a JSON-lines host relays
 * answers without special cases and the agent learns what it did wrong.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeinterp/codeinterp.h"
#include "core/error.h"
#include "api/invoke_internal.h"
#include "api/json_result.h"
#include "core/names.h"

/* The tools answered here; the "unknown tool" text lists them. */
#define KNOWN_TOOLS "executeCode, writeFiles, readFiles, listFiles, removeFiles"

/* Longest piece of a request quoted back in a message: enough to recognise
 * a misspelt name, not enough to echo a whole payload. */
#define ECHO_MAX 64

/* Declared in api/invoke_internal.h: the file tools answer with it too. */
int ci_invoke_problem(const char *status, const char *kind, int code, char **out,
                      const char *fmt, ...)
{
    va_list ap;
    char *message = NULL;

    va_start(ap, fmt);
    int n = vasprintf(&message, fmt, ap);
    va_end(ap);
    if (n < 0)
        return CI_ENOMEM;

    cJSON *sc = cJSON_CreateObject();
    cJSON *error = sc && cJSON_AddStringToObject(sc, "status", status)
                       ? cJSON_AddObjectToObject(sc, "error") : NULL;
    int rc = CI_ENOMEM;

    if (error && cJSON_AddStringToObject(error, "name", kind) &&
        ci_json_add_bytes(error, "value", message, (size_t)n) &&
        (code == 0 || cJSON_AddNumberToObject(error, "code", code)))
        rc = ci_json_tool_result(message, (size_t)n, sc, 1, out);
    else
        cJSON_Delete(sc);
    free(message);
    return rc;
}

static int invalid_request(char **out, const char *why)
{
    return ci_invoke_problem("error", "InvalidRequest", 0, out, "invalid request: %s", why);
}

/* The status for a ci_execute() failure: the idle lifetime has its own;
 * calls the library refused are errors of the call; anything else means
 * the sandbox or its runner broke. */
static const char *failure_status(int code)
{
    switch (code) {
    case CI_EEXPIRED:
        return "session_expired";
    case CI_EINVAL:
    case CI_EBUSY:
    case CI_EUNSUPPORTED:
    case CI_ETOOBIG:
    case CI_ENOCREDENTIALS: /* an S3 input could not be fetched */
    case CI_EACCESS:
    case CI_ENOBUCKET:
    case CI_ENOKEY:
    case CI_ENETWORK:
    case CI_ECHECKSUM:
    case CI_ETRANSFER:
        return "error";
    default:
        return "sandbox_error";
    }
}

static int run_code(ci_session *session, const char *code, ci_language language,
                    int clear_context, uint64_t timeout_ms, const char *const s3[2], char **out)
{
    ci_exec_options *options;
    ci_result *result;
    int rc = ci_exec_options_new(&options);

    if (rc < 0)
        return rc;
    rc = ci_exec_options_set_language(options, language);
    if (rc == 0)
        rc = ci_exec_options_set_clear_context(options, clear_context);
    if (rc == 0 && timeout_ms > 0)
        rc = ci_exec_options_set_timeout_ms(options, timeout_ms);
    if (rc == 0 && s3[0])
        rc = ci_exec_options_set_input_s3_uri(options, s3[0]);
    if (rc == 0 && s3[1])
        rc = ci_exec_options_set_output_s3_uri(options, s3[1]);
    if (rc == CI_EINVAL) {
        ci_exec_options_free(options);
        return ci_invoke_problem("error", "InvalidRequest", 0, out, "invalid request: %s",
                                 ci_last_error());
    }
    if (rc == 0)
        rc = ci_execute(session, code, options, &result);
    ci_exec_options_free(options);

    if (rc == 0) {
        rc = ci_result_to_json(result, out);
        ci_result_free(result);
        return rc;
    }
    if (rc == CI_ENOMEM)
        return rc;
    const char *detail = ci_session_last_error(session);
    return ci_invoke_problem(failure_status(rc),
                             rc == CI_EEXPIRED ? "SessionExpired" : "ExecutionFailed", rc, out,
                             "execution failed: %s%s%s", ci_strerror(rc),
                             *detail ? ": " : "", detail);
}

/* A member that is absent or null: clients often send every field. */
static int absent(const cJSON *item)
{
    return !item || cJSON_IsNull(item);
}

static int execute_code(ci_session *session, const cJSON *args, int has_nul, char **out)
{
    if (!cJSON_IsObject(args))
        return invalid_request(out, "\"arguments\" must be an object");

    const cJSON *code = cJSON_GetObjectItemCaseSensitive(args, "code");
    if (!cJSON_IsString(code))
        return invalid_request(out, "\"arguments.code\" must be a string");
    /* cJSON ends a string at an escaped NUL: running the code before it
     * would run something else than was sent */
    if (has_nul)
        return invalid_request(out, "a string holds a NUL character (\\u0000), "
                                    "which code cannot contain");

    const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, "language");
    ci_language language = CI_LANGUAGE_PYTHON;
    if (!absent(item)) {
        if (!cJSON_IsString(item))
            return invalid_request(out, "\"arguments.language\" must be a string");
        if (ci_names_language_parse(item->valuestring, &language) < 0) {
            char supported[CI_NAMES_CHOICES_MAX];
            ci_names_language_choices(supported, sizeof supported);
            return ci_invoke_problem("error", "UnknownLanguage", 0, out,
                                     "unknown language \"%.*s\"; supported: %s",
                                     ECHO_MAX, item->valuestring, supported);
        }
    }

    item = cJSON_GetObjectItemCaseSensitive(args, "clearContext");
    if (!absent(item) && !cJSON_IsBool(item))
        return invalid_request(out, "\"arguments.clearContext\" must be true or false");
    int clear_context = cJSON_IsTrue(item);

    item = cJSON_GetObjectItemCaseSensitive(args, "timeout");
    uint64_t timeout_ms = 0;
    if (!absent(item) &&
        (!cJSON_IsNumber(item) || ci_timeout_ms_from_seconds(item->valuedouble, &timeout_ms) < 0))
        return ci_invoke_problem("error", "InvalidRequest", 0, out, "invalid request: "
                                 "\"arguments.timeout\" must be a number of seconds greater "
                                 "than 0 and at most %u",
                                 (unsigned)(CI_MAX_TIMEOUT_MS / 1000));
    /* S3 input fetched into /data first, /output sent to S3 after */
    static const char *const s3_names[2] = { "inputS3Uri", "outputS3Uri" };
    const char *s3[2] = { NULL, NULL };
    for (int i = 0; i < 2; i++) {
        item = cJSON_GetObjectItemCaseSensitive(args, s3_names[i]);
        if (absent(item))
            continue;
        if (!cJSON_IsString(item))
            return ci_invoke_problem("error", "InvalidRequest", 0, out, "invalid request: "
                                     "\"arguments.%s\" must be an s3:// URI string",
                                     s3_names[i]);
        s3[i] = item->valuestring;
    }
    return run_code(session, code->valuestring, language, clear_context, timeout_ms, s3, out);
}

static int dispatch(ci_session *session, const cJSON *request, int has_nul, char **out)
{
    if (!cJSON_IsObject(request))
        return invalid_request(out, "the request must be a JSON object");

    const cJSON *name = cJSON_GetObjectItemCaseSensitive(request, "name");
    if (!cJSON_IsString(name))
        return invalid_request(out, "\"name\" must be a string naming the tool");
    if (strcmp(name->valuestring, "executeCode") == 0)
        return execute_code(session, cJSON_GetObjectItemCaseSensitive(request, "arguments"),
                            has_nul, out);
    static const struct {
        const char *name;
        int (*run)(ci_session *, const cJSON *, int, char **);
    } file_tools[] = {
        {"writeFiles", ci_invoke_write_files},
        {"readFiles", ci_invoke_read_files},
        {"listFiles", ci_invoke_list_files},
        {"removeFiles", ci_invoke_remove_files},
    };
    for (size_t i = 0; i < sizeof(file_tools) / sizeof(file_tools[0]); i++)
        if (strcmp(name->valuestring, file_tools[i].name) == 0)
            return file_tools[i].run(session,
                                     cJSON_GetObjectItemCaseSensitive(request, "arguments"),
                                     has_nul, out);
    return ci_invoke_problem("error", "UnknownTool", 0, out,
                             "unknown tool \"%.*s\"; known tools: " KNOWN_TOOLS,
                             ECHO_MAX, name->valuestring);
}

CI_EXPORT int ci_invoke_json(ci_session *session, const char *request, char **out)
{
    ci_error_reset();
    if (!session || !request || !out)
        return ci_fail(session, CI_EINVAL, "ci_invoke_json: session, request and out must not be NULL");

    /* ParseWithOpts hands back where parsing stopped; cJSON_GetErrorPtr()
     * would read a global that every thread shares */
    const char *end = NULL;
    cJSON *parsed = cJSON_ParseWithOpts(request, &end, 1);
    int rc;

    if (parsed)
        rc = dispatch(session, parsed, ci_json_has_nul_escape(request), out);
    else
        rc = ci_invoke_problem("error", "InvalidRequest", 0, out,
                               "invalid request: malformed JSON at byte %zu",
                               end ? (size_t)(end - request) : 0);
    cJSON_Delete(parsed);
    if (rc < 0)
        return ci_fail(session, rc, "ci_invoke_json: out of memory");
    return 0;
}
