/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "api/errors.h"
#include "core/audit.h"
#include "core/exec_options_internal.h"
#include "core/session_internal.h"
#include "util/clock.h"

/* The session is unusable once its sandbox expired or died: say which. */
static int check_alive(struct ci_session *s)
{
    int state = s->ops->check(s->sb);
    if (state == CI_OK && ci_now_ms() - s->last_used_ms >= s->cfg.idle_timeout_ms) {
        /* Our clock got there before the sandbox's own: same verdict. */
        ci_session_forget_contexts(s);
        s->ops->kill_all(s->sb);
        state = CI_EEXPIRED;
    }
    if (state == CI_EEXPIRED)
        return ci_fail(s, CI_EEXPIRED,
                       "session %s expired after %llu ms idle; create a new session", s->id,
                       (unsigned long long)s->cfg.idle_timeout_ms);
    if (state != CI_OK)
        return ci_fail(s, state, "session %s: its sandbox is gone", s->id);
    return CI_OK;
}

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
    r = check_alive(s);
    if (r == CI_OK) {
        r = ci_exec_run(s, code, o, out);
        s->last_used_ms = ci_now_ms();
    }
    if (r == CI_EEXPIRED)
        ci_audit_session_expired(s->audit, s->cfg.idle_timeout_ms);
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
