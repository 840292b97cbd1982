/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "api/errors.h"
#include "core/audit.h"
#include "core/exec_options_internal.h"
#include "core/session_internal.h"
#include "util/clock.h"

CI_EXPORT int ci_execute(ci_session *s, const char *code, const ci_exec_options *options,
                         ci_result **out)
{
    ci_error_reset();
    if (!s || !code || !out)
        return ci_fail(s, CI_EINVAL, "session, code and out must not be NULL");
    int expected = 0;
    if (!atomic_compare_exchange_strong(&s->executing, &expected, 1))
        return ci_fail(s, CI_EBUSY, "the session is executing on another thread");
    struct ci_exec_options defaults = { .language = CI_LANGUAGE_PYTHON };
    const struct ci_exec_options *o = options ? options : &defaults;
    int r = ci_audit_execute_start(s->audit, o->language, code);
    if (r < 0) {
        r = ci_fail(s, CI_EIO, "cannot write the audit trail: %s", ci_audit_error(s->audit));
        atomic_store(&s->executing, 0);
        return r;
    }
    r = ci_session_check_alive(s);
    if (r == CI_OK) {
        r = ci_exec_run(s, code, o, out);
        s->last_used_ms = ci_now_ms();
    }
    ci_audit_execute_end(s->audit, o->language, r, r == CI_OK ? *out : NULL);
    atomic_store(&s->executing, 0);
    return r;
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
