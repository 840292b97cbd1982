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
#include <strings.h>

#include "codeinterp/codeinterp.h"
#include "core/error.h"
#include "api/invoke_internal.h"
#include "api/json_result.h"
#include "core/names.h"

/* The tools answered here; the "unknown tool" text lists them. */
#define KNOWN_TOOLS "executeCode, executeCommand, startCommandExecution, getTask, stopTask, " \
                    "writeFiles, readFiles, listFiles, removeFiles"

/* The languages of executeCode: AgentCore's ProgrammingLanguage. Shell
 * commands have a tool of their own (executeCommand). */
#define CODE_LANGUAGES "python, javascript, typescript"

/* Longest piece of a request quoted back in a message: enough to recognise
 * a misspelt name, not enough to echo a whole payload. */
#define ECHO_MAX 64

int ci_invoke_session_problem(int code, const char **status, const char **kind)
{
    switch (code) {
    case CI_EBUSY:
        *status = "error";
        *kind = "SessionBusy";
        return 1;
    case CI_EEXPIRED:
        *status = "session_expired";
        *kind = "SessionExpired";
        return 1;
    case CI_ECLOSED:
        *status = "sandbox_error";
        *kind = "SandboxGone";
        return 1;
    default:
        return 0;
    }
}

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
    case CI_EPATH:          /* a working directory outside /workspace */
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

/* Declared in api/invoke_internal.h: executeCommand answers with it too. */
int ci_invoke_execution_failed(ci_session *session, int rc, char **out)
{
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

/* Declared in api/invoke_internal.h. */
int ci_invoke_timeout_arg(const cJSON *args, uint64_t *ms, char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(args, "timeout");
    *ms = 0;
    if (absent(item))
        return 1;
    if (cJSON_IsNumber(item) && ci_timeout_ms_from_seconds(item->valuedouble, ms) == 0)
        return 1;
    return ci_invoke_problem("error", "InvalidRequest", 0, out, "invalid request: "
                             "\"arguments.timeout\" must be a number of seconds greater "
                             "than 0 and at most %u", (unsigned)(CI_MAX_TIMEOUT_MS / 1000));
}

int ci_invoke_stream_options(const struct ci_invoke_stream *st, ci_exec_options *options)
{
    int rc = ci_exec_options_set_cancel(options, st->cancel);
    if (rc == 0 && st->on_stdout)
        rc = ci_exec_options_set_stdout_callback(options, st->on_stdout, st->user_data);
    if (rc == 0 && st->on_stderr)
        rc = ci_exec_options_set_stderr_callback(options, st->on_stderr, st->user_data);
    return rc;
}

static int run_code(ci_session *session, const char *code, ci_language language,
                    int clear_context, uint64_t timeout_ms, const char *const s3[2],
                    const struct ci_invoke_stream *st, char **out)
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
    if (rc == 0)
        rc = ci_invoke_stream_options(st, options);
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
    return ci_invoke_execution_failed(session, rc, out);
}

/*
 * AgentCore's "runtime" of executeCode: "python" runs Python, "nodejs"
 * JavaScript and TypeScript (JavaScript when no language is given); the
 * other runtime AgentCore knows, "deno", is not installed here. Updates
 * *language, or answers the problem and returns 0 / CI_ENOMEM; 1 when the
 * code can run.
 */
static int apply_runtime(const cJSON *item, int language_given, ci_language *language,
                         char **out)
{
    if (!cJSON_IsString(item))
        return invalid_request(out, "\"arguments.runtime\" must be a string");
    const char *runtime = item->valuestring;
    int fits;
    if (strcasecmp(runtime, "python") == 0) {
        fits = !language_given || *language == CI_LANGUAGE_PYTHON;
        if (!language_given)
            *language = CI_LANGUAGE_PYTHON;
    } else if (strcasecmp(runtime, "nodejs") == 0) {
        fits = !language_given || *language == CI_LANGUAGE_JAVASCRIPT ||
               *language == CI_LANGUAGE_TYPESCRIPT;
        if (!language_given)
            *language = CI_LANGUAGE_JAVASCRIPT;
    } else if (strcasecmp(runtime, "deno") == 0) {
        return ci_invoke_problem("error", "UnsupportedRuntime", CI_EUNSUPPORTED, out,
                                 "the deno runtime is not installed in this sandbox; "
                                 "JavaScript and TypeScript run with runtime \"nodejs\"");
    } else {
        return ci_invoke_problem("error", "UnknownRuntime", 0, out,
                                 "unknown runtime \"%.*s\"; supported: python, nodejs",
                                 ECHO_MAX, runtime);
    }
    if (!fits)
        return ci_invoke_problem("error", "InvalidRequest", 0, out,
                                 "invalid request: runtime \"%s\" does not run %s; use "
                                 "runtime \"%s\"", strcasecmp(runtime, "python") == 0
                                     ? "python" : "nodejs",
                                 ci_language_name(*language),
                                 *language == CI_LANGUAGE_PYTHON ? "python" : "nodejs");
    return 1;
}

static int execute_code(ci_session *session, const cJSON *args, int has_nul,
                        const struct ci_invoke_stream *st, char **out)
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
    int language_given = !absent(item);
    if (language_given) {
        if (!cJSON_IsString(item))
            return invalid_request(out, "\"arguments.language\" must be a string");
        if (ci_names_language_parse(item->valuestring, &language) < 0)
            return ci_invoke_problem("error", "UnknownLanguage", 0, out,
                                     "unknown language \"%.*s\"; supported: " CODE_LANGUAGES,
                                     ECHO_MAX, item->valuestring);
        if (language == CI_LANGUAGE_SHELL)
            return ci_invoke_problem("error", "UnknownLanguage", 0, out,
                                     "language \"%.*s\" is not one of executeCode's ("
                                     CODE_LANGUAGES "): run shell commands with the "
                                     "executeCommand tool", ECHO_MAX, item->valuestring);
    }
    item = cJSON_GetObjectItemCaseSensitive(args, "runtime");
    if (!absent(item)) {
        int rc = apply_runtime(item, language_given, &language, out);
        if (rc <= 0)
            return rc;
    }

    item = cJSON_GetObjectItemCaseSensitive(args, "clearContext");
    if (!absent(item) && !cJSON_IsBool(item))
        return invalid_request(out, "\"arguments.clearContext\" must be true or false");
    int clear_context = cJSON_IsTrue(item);

    uint64_t timeout_ms;
    int checked = ci_invoke_timeout_arg(args, &timeout_ms, out);
    if (checked <= 0)
        return checked;
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
    return run_code(session, code->valuestring, language, clear_context, timeout_ms, s3, st, out);
}

/* The tools, with the arguments each takes (AgentCore's ToolArguments
 * names, and this library's timeout / S3 extras of executeCode). */
typedef int (*tool_fn)(ci_session *, const cJSON *, int, char **);
typedef int (*code_fn)(ci_session *, const cJSON *, int, const struct ci_invoke_stream *,
                       char **);
static const struct tool {
    const char *name;
    tool_fn run;       /* one of run and run_code is set */
    code_fn run_code;  /* the tools that run code take the stream */
    const char *const *args; /* NULL-terminated */
} tools[] = {
    {"executeCode", NULL, execute_code, (const char *const[]){"code", "language", "runtime",
        "clearContext", "timeout", "inputS3Uri", "outputS3Uri", NULL}},
    {"executeCommand", NULL, ci_invoke_execute_command,
        (const char *const[]){"command", "timeout", NULL}},
    {"startCommandExecution", ci_invoke_start_task, NULL, (const char *const[]){"command", NULL}},
    {"getTask", ci_invoke_get_task, NULL, (const char *const[]){"taskId", NULL}},
    {"stopTask", ci_invoke_stop_task, NULL, (const char *const[]){"taskId", NULL}},
    {"writeFiles", ci_invoke_write_files, NULL, (const char *const[]){"content", NULL}},
    {"readFiles", ci_invoke_read_files, NULL, (const char *const[]){"paths", NULL}},
    {"listFiles", ci_invoke_list_files, NULL,
        (const char *const[]){"directoryPath", "limit", "nextToken", NULL}},
    {"removeFiles", ci_invoke_remove_files, NULL, (const char *const[]){"paths", NULL}},
};

/*
 * Refuses a member of `args` the tool does not take: a misspelt or
 * misplaced argument would otherwise be ignored in silence and the call run
 * without it. A null member counts as absent, as everywhere here: clients
 * that send every field of AgentCore's ToolArguments send nulls for the
 * ones a tool does not use. 1 when every argument is known, else the
 * answer's 0 or CI_ENOMEM.
 */
static int check_arguments(const struct tool *tool, const cJSON *args, char **out)
{
    if (!cJSON_IsObject(args))
        return 1; /* the tool says what it wants instead */
    const cJSON *member;
    cJSON_ArrayForEach(member, args) {
        if (absent(member))
            continue;
        size_t i = 0;
        while (tool->args[i] && strcmp(tool->args[i], member->string) != 0)
            i++;
        if (tool->args[i])
            continue;
        char takes[160] = "";
        for (i = 0; tool->args[i]; i++) {
            size_t used = strlen(takes);
            snprintf(takes + used, sizeof takes - used, "%s%s", i ? ", " : "", tool->args[i]);
        }
        return ci_invoke_problem("error", "UnknownArgument", 0, out,
                                 "invalid request: %s does not take the argument \"%.*s\" "
                                 "(it takes: %s)", tool->name, ECHO_MAX, member->string, takes);
    }
    return 1;
}

static int dispatch(ci_session *session, const cJSON *request, int has_nul,
                    const struct ci_invoke_stream *st, char **out)
{
    if (!cJSON_IsObject(request))
        return invalid_request(out, "the request must be a JSON object");

    const cJSON *name = cJSON_GetObjectItemCaseSensitive(request, "name");
    if (!cJSON_IsString(name))
        return invalid_request(out, "\"name\" must be a string naming the tool");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(request, "arguments");
    for (size_t i = 0; i < sizeof(tools) / sizeof(tools[0]); i++) {
        if (strcmp(name->valuestring, tools[i].name) != 0)
            continue;
        int rc = check_arguments(&tools[i], args, out);
        if (rc <= 0)
            return rc;
        return tools[i].run ? tools[i].run(session, args, has_nul, out)
                            : tools[i].run_code(session, args, has_nul, st, out);
    }
    return ci_invoke_problem("error", "UnknownTool", 0, out,
                             "unknown tool \"%.*s\"; known tools: " KNOWN_TOOLS,
                             ECHO_MAX, name->valuestring);
}

/* ci_invoke_json() and ci_invoke_json_stream(). */
static int invoke(ci_session *session, const char *request, const struct ci_invoke_stream *st,
                  char **out)
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
        rc = dispatch(session, parsed, ci_json_has_nul_escape(request), st, out);
    else
        rc = ci_invoke_problem("error", "InvalidRequest", 0, out,
                               "invalid request: malformed JSON at byte %zu",
                               end ? (size_t)(end - request) : 0);
    cJSON_Delete(parsed);
    if (rc < 0)
        return ci_fail(session, rc, "ci_invoke_json: out of memory");
    return 0;
}

CI_EXPORT int ci_invoke_json(ci_session *session, const char *request, char **out)
{
    static const struct ci_invoke_stream none = { NULL, NULL, NULL, NULL };
    return invoke(session, request, &none, out);
}

CI_EXPORT int ci_invoke_json_stream(ci_session *session, const char *request,
                                    ci_output_callback on_stdout, ci_output_callback on_stderr,
                                    void *user_data, ci_cancel *cancel, char **out)
{
    const struct ci_invoke_stream st = { on_stdout, on_stderr, user_data, cancel };
    return invoke(session, request, &st, out);
}
