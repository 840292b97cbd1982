/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "core/error.h"
#include "core/exec.h"
#include "core/exec_options.h"

CI_EXPORT int ci_execute(ci_session *s, const char *code, const ci_exec_options *options,
                         ci_result **out)
{
    ci_error_reset();
    if (!s || !code || !out)
        return ci_fail(s, CI_EINVAL, "session, code and out must not be NULL");
    struct ci_exec_options defaults = { .language = CI_LANGUAGE_PYTHON };
    return ci_session_execute(s, code, options ? options : &defaults, out);
}

CI_EXPORT int ci_execute_command(ci_session *s, const char *command,
                                 const ci_exec_options *options, ci_result **out)
{
    ci_error_reset();
    if (!s || !command || !*command || !out)
        return ci_fail(s, CI_EINVAL, "session, a non-empty command and out are needed");
    struct ci_exec_options o = { 0 };
    if (options)
        o = *options; /* a shallow copy: only the language differs */
    o.language = CI_LANGUAGE_SHELL;
    return ci_session_execute(s, command, &o, out);
}

CI_EXPORT int ci_execute_oneshot(const ci_config *config, const char *code,
                                 const ci_exec_options *options, ci_result **out)
{
    ci_error_reset();
    if (!code || !out)
        return ci_fail(NULL, CI_EINVAL, "code and out must not be NULL");
    ci_session *s = NULL;
    int r = ci_session_create(config, &s);
    if (r < 0)
        return r;
    r = ci_execute(s, code, options, out);
    if (r < 0)
        ci_fail(NULL, r, "%s", s->last_error);
    ci_session_destroy(s);
    return r;
}
