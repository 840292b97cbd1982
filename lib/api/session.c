/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "core/error.h"
#include "core/session.h"

CI_EXPORT int ci_session_create(const ci_config *config, ci_session **out)
{
    ci_error_reset();
    if (!out)
        return ci_fail(NULL, CI_EINVAL, "out is NULL");
    return ci_session_new(config, out);
}

CI_EXPORT void ci_session_destroy(ci_session *s)
{
    ci_session_free(s);
}

CI_EXPORT int ci_session_cancel(ci_session *s)
{
    return s ? ci_session_signal_cancel(s) : CI_EINVAL;
}

CI_EXPORT const char *ci_session_last_error(const ci_session *s)
{
    return s ? s->last_error : "";
}

CI_EXPORT const char *ci_session_id(const ci_session *s)
{
    return s ? s->id : NULL;
}

CI_EXPORT ci_cgroup_mode ci_session_limits_mode(const ci_session *s)
{
    return s ? ci_session_limits(s) : CI_CGROUP_NONE;
}
