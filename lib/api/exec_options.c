/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "core/error.h"
#include "core/config.h"
#include "core/exec_options.h"
#include "core/names.h"

CI_EXPORT int ci_exec_options_new(ci_exec_options **out)
{
    ci_error_reset();
    if (!out)
        return ci_fail(NULL, CI_EINVAL, "out is NULL");
    struct ci_exec_options *o = calloc(1, sizeof(*o));
    if (!o)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    o->language = CI_LANGUAGE_PYTHON;
    *out = o;
    return CI_OK;
}

CI_EXPORT void ci_exec_options_free(ci_exec_options *options)
{
    if (options) {
        free(options->input_s3_uri);
        free(options->output_s3_uri);
    }
    free(options);
}

CI_EXPORT int ci_exec_options_set_language(ci_exec_options *o, ci_language language)
{
    ci_error_reset();
    if (!o || !ci_names_language(language))
        return ci_fail(NULL, CI_EINVAL, "invalid options or language");
    o->language = language;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_timeout_ms(ci_exec_options *o, uint64_t ms)
{
    ci_error_reset();
    if (!o || ms > CI_MAX_TIMEOUT_MS)
        return ci_fail(NULL, CI_EINVAL, "timeout must be at most 8 hours");
    o->timeout_ms = ms;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_clear_context(ci_exec_options *o, int clear)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->clear_context = clear != 0;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_stdout_callback(ci_exec_options *o, ci_output_callback cb,
                                                  void *user_data)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->on_stdout = cb;
    o->stdout_data = cb ? user_data : NULL;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_stderr_callback(ci_exec_options *o, ci_output_callback cb,
                                                  void *user_data)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->on_stderr = cb;
    o->stderr_data = cb ? user_data : NULL;
    return CI_OK;
}
