/* SPDX-License-Identifier: MIT */
/*
 * ci_result_to_json(): a result as an MCP CallToolResult. Built only from the
 * public getters, so the JSON shape cannot drift from what the API reports.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeinterp/codeinterp.h"
#include "core/error.h"
#include "api/json_result.h"
#include "core/names.h"
#include "util/b64.h"
#include "util/buf.h"
#include "util/json_text.h"

cJSON *ci_json_add_bytes(cJSON *object, const char *name, const char *data, size_t len)
{
    char *quoted = ci_json_text_quote(data, len, 0, NULL);
    if (!quoted)
        return NULL;
    /* a raw item: cJSON's own string printer would copy bad UTF-8 through
     * and stop at the first NUL */
    cJSON *item = cJSON_AddRawToObject(object, name, quoted);
    free(quoted);
    return item;
}

cJSON *ci_json_add_text(cJSON *object, const char *name, const char *text)
{
    if (!text)
        return cJSON_AddNullToObject(object, name);
    return ci_json_add_bytes(object, name, text, strlen(text));
}

int ci_json_print(const cJSON *root, char **out)
{
    char *printed = cJSON_PrintUnformatted(root);
    if (!printed)
        return CI_ENOMEM;
    /* cJSON allocates through hooks a host may have replaced with
     * cJSON_InitHooks(); ci_free() is free(), so hand out a malloc'd copy */
    size_t n = strlen(printed) + 1;
    char *copy = malloc(n);
    if (copy)
        memcpy(copy, printed, n);
    cJSON_free(printed);
    if (!copy)
        return CI_ENOMEM;
    *out = copy;
    return 0;
}

int ci_json_tool_result(const char *text, size_t text_len, cJSON *structured,
                        int is_error, char **out)
{
    return ci_json_tool_result_with(text, text_len, NULL, structured, is_error, out);
}

int ci_json_tool_result_with(const char *text, size_t text_len, cJSON *more, cJSON *structured,
                             int is_error, char **out)
{
    int rc = CI_ENOMEM;
    cJSON *root = cJSON_CreateObject();
    cJSON *content = root ? cJSON_AddArrayToObject(root, "content") : NULL;
    cJSON *part = content ? cJSON_CreateObject() : NULL;

    if (!part)
        goto done;
    cJSON_AddItemToArray(content, part);
    if (!cJSON_AddStringToObject(part, "type", "text") ||
        !ci_json_add_bytes(part, "text", text, text_len))
        goto done;
    while (more && cJSON_GetArraySize(more) > 0)
        cJSON_AddItemToArray(content, cJSON_DetachItemFromArray(more, 0));
    if (!cJSON_AddItemToObject(root, "structuredContent", structured))
        goto done;
    structured = NULL;
    if (!cJSON_AddBoolToObject(root, "isError", is_error != 0))
        goto done;
    rc = ci_json_print(root, out);
done:
    cJSON_Delete(more);
    cJSON_Delete(structured);
    cJSON_Delete(root);
    return rc;
}

/* Milliseconds (never negative here) rounded to the microsecond: more
 * digits are noise, and a rounded value prints short. Done by hand to keep
 * the library off libm. */
double ci_json_round_ms(double ms)
{
    return (double)(int64_t)(ms * 1000.0 + 0.5) / 1000.0;
}

/* Why an execution stopped, for results that carry no error of their own
 * and did not simply exit non-zero. */
static const char *stop_reason(ci_status status)
{
    switch (status) {
    case CI_STATUS_TIMEOUT: return "Execution timed out.";
    case CI_STATUS_OOM: return "Execution killed: out of memory.";
    case CI_STATUS_KILLED: return "Execution killed.";
    case CI_STATUS_SESSION_EXPIRED: return "Session expired.";
    case CI_STATUS_SANDBOX_ERROR: return "Sandbox error.";
    default: return NULL;
    }
}

/* Appends text on a line of its own. 0 or a negative errno. */
static int append_line(ci_buf *b, const char *text)
{
    if (b->len > 0 && b->data[b->len - 1] != '\n') {
        int r = ci_buf_append(b, "\n", 1);
        if (r < 0)
            return r;
    }
    return ci_buf_append(b, text, strlen(text));
}

/*
 * The text an agent reads: stdout, then the last expression's value, then
 * for an error the traceback (or "Name: value" without one), or else for
 * another unsuccessful outcome what stopped it. A shell command has no
 * traceback: its stderr, where a command says what went wrong, follows its
 * stdout. 0 or a negative errno.
 */
/* After a stream that was cut at the output cap, a line that says so: the
 * reader of the text must not take the part for the whole. */
static int cut_marker(ci_buf *text, const char *stream, int truncated, size_t kept)
{
    if (!truncated)
        return 0;
    char line[160];
    snprintf(line, sizeof line, "[%s truncated: only its first %zu bytes are kept; "
             "write large output to a file]", stream, kept);
    return append_line(text, line);
}

static int content_text(const ci_result *r, ci_buf *text)
{
    size_t out_len;
    const char *out = ci_result_stdout(r, &out_len);
    const char *value = ci_result_value(r);
    const char *name = ci_result_error_name(r);
    const char *evalue = ci_result_error_value(r);
    const char *tb = ci_result_error_traceback(r);
    int rc = ci_buf_append(text, out, out_len);

    if (rc == 0)
        rc = cut_marker(text, "stdout", ci_result_stdout_truncated(r), out_len);
    if (rc == 0 && ci_result_language(r) == CI_LANGUAGE_SHELL) {
        size_t err_len;
        const char *err = ci_result_stderr(r, &err_len);
        if (err_len > 0 && text->len > 0 && text->data[text->len - 1] != '\n')
            rc = ci_buf_append(text, "\n", 1);
        if (rc == 0)
            rc = ci_buf_append(text, err, err_len);
        if (rc == 0)
            rc = cut_marker(text, "stderr", ci_result_stderr_truncated(r), err_len);
    }
    if (rc == 0 && value)
        rc = append_line(text, value);
    if (rc < 0)
        return rc;
    if (tb && *tb)
        return append_line(text, tb);
    if (name) {
        /* no traceback to show: Python's SystemExit has an empty one */
        rc = append_line(text, name);
        if (rc == 0 && evalue && *evalue)
            rc = ci_buf_append(text, ": ", 2);
        if (rc == 0 && evalue && *evalue)
            rc = ci_buf_append(text, evalue, strlen(evalue));
        return rc;
    }
    if (ci_result_status(r) == CI_STATUS_ERROR) {
        char line[64];
        snprintf(line, sizeof line, "Exited with code %d.", ci_result_exit_code(r));
        return append_line(text, line);
    }
    const char *reason = stop_reason(ci_result_status(r));
    return reason ? append_line(text, reason) : 0;
}

static cJSON *structured_content(const ci_result *r)
{
    size_t out_len, err_len;
    const char *out = ci_result_stdout(r, &out_len);
    const char *err = ci_result_stderr(r, &err_len);
    const char *status = ci_status_name(ci_result_status(r));
    const char *language = ci_language_name(ci_result_language(r));
    const char *name = ci_result_error_name(r);
    double cpu_ms = ci_result_cpu_ms(r);
    uint64_t peak = ci_result_peak_memory_bytes(r);
    cJSON *sc = cJSON_CreateObject();
    bool ok = sc != NULL;

    ok = ok && ci_json_add_bytes(sc, "stdout", out, out_len);
    ok = ok && ci_json_add_bytes(sc, "stderr", err, err_len);
    ok = ok && cJSON_AddNumberToObject(sc, "exitCode", ci_result_exit_code(r));
    ok = ok && cJSON_AddNumberToObject(sc, "executionTime",
                                       ci_json_round_ms(ci_result_wall_ms(r)));
    ok = ok && ci_json_add_text(sc, "status", status);
    if (cpu_ms < 0)
        ok = ok && cJSON_AddNullToObject(sc, "cpuTimeMs");
    else
        ok = ok && cJSON_AddNumberToObject(sc, "cpuTimeMs", ci_json_round_ms(cpu_ms));
    if (peak == 0)
        ok = ok && cJSON_AddNullToObject(sc, "peakMemoryBytes");
    else
        ok = ok && cJSON_AddNumberToObject(sc, "peakMemoryBytes", (double)peak);
    ok = ok && ci_json_add_text(sc, "language", language);
    const char *limits = ci_names_limits(ci_result_limits_mode(r));
    ok = ok && ci_json_add_text(sc, "limits", limits ? limits : "unknown");
    if (ci_result_value(r))
        ok = ok && ci_json_add_text(sc, "result", ci_result_value(r));
    if (ci_result_stray_output_bytes(r))
        ok = ok && cJSON_AddNumberToObject(sc, "strayOutputBytes",
                                           (double)ci_result_stray_output_bytes(r));
    if (name) {
        cJSON *e = ok ? cJSON_AddObjectToObject(sc, "error") : NULL;
        ok = e && ci_json_add_text(e, "name", name) &&
             ci_json_add_text(e, "value", ci_result_error_value(r)) &&
             ci_json_add_text(e, "traceback", ci_result_error_traceback(r));
    }
    size_t n_art = ci_result_artifact_count(r);
    cJSON *arts = ok ? cJSON_AddArrayToObject(sc, "artifacts") : NULL;
    ok = arts != NULL;
    for (size_t i = 0; ok && i < n_art; i++) {
        cJSON *a = cJSON_CreateObject();
        ok = a && cJSON_AddItemToArray(arts, a) &&
             ci_json_add_text(a, "path", ci_result_artifact_path(r, i)) &&
             cJSON_AddNumberToObject(a, "size", (double)ci_result_artifact_size(r, i)) &&
             ci_json_add_text(a, "mimeType", ci_result_artifact_mime_type(r, i));
    }
    if (ci_result_artifacts_truncated(r))
        ok = ok && cJSON_AddTrueToObject(sc, "artifactsTruncated");
    size_t n_denied = ci_result_denied_syscall_count(r);
    cJSON *denied = ok && n_denied ? cJSON_AddArrayToObject(sc, "deniedSyscalls") : NULL;
    ok = ok && (n_denied == 0 || denied);
    for (size_t i = 0; ok && i < n_denied; i++) {
        cJSON *d = cJSON_CreateObject();
        ok = d && cJSON_AddItemToArray(denied, d) &&
             ci_json_add_text(d, "name", ci_result_denied_syscall_name(r, i)) &&
             cJSON_AddNumberToObject(d, "count", (double)ci_result_denied_syscall_times(r, i));
    }
    /* what an output URI sent to S3, and what stopped it */
    size_t n_up = ci_result_s3_upload_count(r);
    int up_err = ci_result_s3_upload_error(r);
    cJSON *ups = ok && (n_up || up_err) ? cJSON_AddArrayToObject(sc, "s3Uploads") : NULL;
    ok = ok && ((n_up == 0 && !up_err) || ups);
    for (size_t i = 0; ok && i < n_up; i++) {
        cJSON *u = cJSON_CreateObject();
        ok = u && cJSON_AddItemToArray(ups, u) &&
             ci_json_add_text(u, "uri", ci_result_s3_upload_uri(r, i)) &&
             ci_json_add_text(u, "path", ci_result_s3_upload_path(r, i)) &&
             cJSON_AddNumberToObject(u, "size", (double)ci_result_s3_upload_size(r, i));
    }
    cJSON *ue = ok && up_err ? cJSON_AddObjectToObject(sc, "s3UploadError") : NULL;
    ok = ok && (!up_err || (ue && cJSON_AddNumberToObject(ue, "code", up_err) &&
                            ci_json_add_text(ue, "message", ci_result_s3_upload_error_message(r))));
    if (ci_result_stdout_truncated(r))
        ok = ok && cJSON_AddTrueToObject(sc, "stdoutTruncated");
    if (ci_result_stderr_truncated(r))
        ok = ok && cJSON_AddTrueToObject(sc, "stderrTruncated");
    if (!ok) {
        cJSON_Delete(sc);
        return NULL;
    }
    return sc;
}

/* One content block per display output: {"type":"image","data":"<base64>",
 * "mimeType":...} for an image (core allows only raster types: png, jpeg,
 * gif, webp), {"type":"text","text":...} for text/plain; nothing else is an
 * image, whatever the sandbox named it. NULL when out of memory. */
static cJSON *display_blocks(const ci_result *r)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < ci_result_display_count(r); i++) {
        size_t len;
        const void *data = ci_result_display_data(r, i, &len);
        const char *mime = ci_result_display_mime_type(r, i);
        cJSON *block = cJSON_CreateObject();
        int ok = block != NULL;
        if (!strncmp(mime, "image/", 6)) {
            char *b64 = ci_b64_encode(data, len);
            ok = ok && b64 && cJSON_AddStringToObject(block, "type", "image") &&
                 cJSON_AddStringToObject(block, "data", b64) &&
                 ci_json_add_text(block, "mimeType", mime);
            free(b64);
        } else if (!strcmp(mime, "text/plain")) {
            ok = ok && cJSON_AddStringToObject(block, "type", "text") &&
                 ci_json_add_bytes(block, "text", data, len);
        } else {
            cJSON_Delete(block);
            continue;
        }
        if (!ok || !cJSON_AddItemToArray(arr, block)) {
            cJSON_Delete(block);
            cJSON_Delete(arr);
            return NULL;
        }
    }
    return arr;
}

CI_EXPORT int ci_result_to_json(const ci_result *result, char **out)
{
    ci_error_reset();
    if (!result || !out)
        return ci_fail(NULL, CI_EINVAL, "ci_result_to_json: result and out must not be NULL");

    ci_buf text = {0};
    const char *s3_failure = ci_result_s3_upload_error(result)
                                 ? ci_result_s3_upload_error_message(result) : NULL;
    cJSON *sc = content_text(result, &text) == 0 &&
                (!s3_failure || append_line(&text, s3_failure) == 0)
                    ? structured_content(result) : NULL;
    cJSON *images = sc ? display_blocks(result) : NULL;
    int rc = CI_ENOMEM;

    if (sc && images)
        rc = ci_json_tool_result_with(ci_buf_cstr(&text), text.len, images, sc,
                                      ci_result_status(result) != CI_STATUS_OK || s3_failure,
                                      out);
    else
        cJSON_Delete(sc);
    ci_buf_free(&text);
    if (rc < 0)
        return ci_fail(NULL, rc, "ci_result_to_json: out of memory");
    return 0;
}
