/* SPDX-License-Identifier: MIT */
#include "core/result.h"

#include <stdlib.h>

#include "core/exec_s3.h"

struct ci_result *ci_result_alloc(ci_language language)
{
    struct ci_result *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->language = language;
    r->cpu_ms = -1;
    r->limits_mode = CI_CGROUP_NONE;
    return r;
}

void ci_displays_free(struct ci_display *d, size_t n)
{
    for (size_t i = 0; d && i < n; i++) {
        free(d[i].mime_type);
        free(d[i].data);
    }
    free(d);
}

void ci_result_free_internal(struct ci_result *r)
{
    if (!r)
        return;
    ci_buf_free(&r->out);
    ci_buf_free(&r->err);
    free(r->value);
    free(r->error_name);
    free(r->error_value);
    free(r->error_traceback);
    ci_displays_free(r->displays, r->display_count);
    for (size_t i = 0; i < r->artifact_count; i++)
        free(r->artifacts[i].path);
    free(r->artifacts);
    ci_s3_uploads_free(r->s3);
    for (size_t i = 0; i < r->denied_count; i++)
        free(r->denied[i].name);
    free(r->denied);
    free(r);
}
