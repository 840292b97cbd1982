/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "core/exec_s3.h"
#include "core/result.h"

CI_EXPORT void ci_result_free(ci_result *r)
{
    ci_result_free_internal(r);
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

CI_EXPORT size_t ci_result_display_count(const ci_result *r)
{
    return r ? r->display_count : 0;
}

CI_EXPORT const char *ci_result_display_mime_type(const ci_result *r, size_t index)
{
    return r && index < r->display_count ? r->displays[index].mime_type : NULL;
}

CI_EXPORT const void *ci_result_display_data(const ci_result *r, size_t index, size_t *len)
{
    if (!r || index >= r->display_count) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = r->displays[index].len;
    return r->displays[index].data;
}

CI_EXPORT size_t ci_result_artifact_count(const ci_result *r)
{
    return r ? r->artifact_count : 0;
}

CI_EXPORT const char *ci_result_artifact_path(const ci_result *r, size_t index)
{
    return r && index < r->artifact_count ? r->artifacts[index].path : NULL;
}

CI_EXPORT uint64_t ci_result_artifact_size(const ci_result *r, size_t index)
{
    return r && index < r->artifact_count ? r->artifacts[index].size : 0;
}

CI_EXPORT const char *ci_result_artifact_mime_type(const ci_result *r, size_t index)
{
    return r && index < r->artifact_count ? r->artifacts[index].mime_type : NULL;
}

CI_EXPORT int ci_result_artifacts_truncated(const ci_result *r)
{
    return r ? r->artifacts_truncated : 0;
}

CI_EXPORT size_t ci_result_denied_syscall_count(const ci_result *r)
{
    return r ? r->denied_count : 0;
}

CI_EXPORT const char *ci_result_denied_syscall_name(const ci_result *r, size_t index)
{
    return r && index < r->denied_count ? r->denied[index].name : NULL;
}

CI_EXPORT uint64_t ci_result_denied_syscall_times(const ci_result *r, size_t index)
{
    return r && index < r->denied_count ? r->denied[index].count : 0;
}

CI_EXPORT ci_cgroup_mode ci_result_limits_mode(const ci_result *r)
{
    return r ? r->limits_mode : CI_CGROUP_NONE;
}

CI_EXPORT uint64_t ci_result_stray_output_bytes(const ci_result *r)
{
    return r ? r->stray_bytes : 0;
}
