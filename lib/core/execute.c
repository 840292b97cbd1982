/* SPDX-License-Identifier: MIT */
#include "core/audit.h"
#include "core/error.h"
#include "core/exec.h"

int ci_session_execute(struct ci_session *s, const char *code, const struct ci_exec_options *o,
                       struct ci_result **out)
{
    int r = ci_session_take(s);
    if (r == CI_EBUSY)
        return r;
    if (ci_audit_execute_start(s->audit, o->language, code) < 0) {
        ci_session_release(s);
        return ci_fail(s, CI_EIO, "cannot write the audit trail: %s", ci_audit_error(s->audit));
    }
    r = ci_session_enter(s);
    if (r == CI_OK)
        r = ci_exec_run(s, code, o, out);
    ci_audit_execute_end(s->audit, o->language, r, r == CI_OK ? *out : NULL);
    ci_session_release(s);
    return r;
}
