/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "core/result_internal.h"

struct ci_result *ci_result_alloc(ci_language language)
{
    struct ci_result *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->language = language;
    r->cpu_ms = -1;
    return r;
}

CI_EXPORT void ci_result_free(ci_result *r)
{
    if (!r)
        return;
    ci_buf_free(&r->out);
    ci_buf_free(&r->err);
    free(r->value);
    free(r->error_name);
    free(r->error_value);
    free(r->error_traceback);
    free(r);
}

CI_EXPORT ci_status ci_result_status(const ci_result *r)
{
    return r ? r->status : CI_STATUS_SANDBOX_ERROR;
}

CI_EXPORT int ci_result_exit_code(const ci_result *r)
{
    return r ? r->exit_code : -1;
}

static const char *stream(const ci_buf *b, size_t *len)
{
    if (len)
        *len = b->len;
    return ci_buf_cstr(b);
}

CI_EXPORT const char *ci_result_stdout(const ci_result *r, size_t *len)
{
    if (!r) {
        if (len)
            *len = 0;
        return "";
    }
    return stream(&r->out, len);
}

CI_EXPORT const char *ci_result_stderr(const ci_result *r, size_t *len)
{
    if (!r) {
        if (len)
            *len = 0;
        return "";
    }
    return stream(&r->err, len);
}

CI_EXPORT int ci_result_stdout_truncated(const ci_result *r)
{
    return r ? r->out_truncated : 0;
}

CI_EXPORT int ci_result_stderr_truncated(const ci_result *r)
{
    return r ? r->err_truncated : 0;
}

CI_EXPORT const char *ci_result_value(const ci_result *r)
{
    return r ? r->value : NULL;
}

CI_EXPORT const char *ci_result_error_name(const ci_result *r)
{
    return r ? r->error_name : NULL;
}

CI_EXPORT const char *ci_result_error_value(const ci_result *r)
{
    return r ? r->error_value : NULL;
}

CI_EXPORT const char *ci_result_error_traceback(const ci_result *r)
{
    return r ? r->error_traceback : NULL;
}

CI_EXPORT double ci_result_wall_ms(const ci_result *r)
{
    return r ? r->wall_ms : 0;
}

CI_EXPORT double ci_result_cpu_ms(const ci_result *r)
{
    return r ? r->cpu_ms : -1;
}

CI_EXPORT uint64_t ci_result_peak_memory_bytes(const ci_result *r)
{
    return r ? r->peak_memory : 0;
}

CI_EXPORT ci_language ci_result_language(const ci_result *r)
{
    return r ? r->language : CI_LANGUAGE_PYTHON;
}
