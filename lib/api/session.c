/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "api/errors.h"
#include "core/audit.h"
#include "core/session_internal.h"
#include "util/clock.h"

char *ci_session_error_buf(struct ci_session *s, size_t *cap)
{
    *cap = sizeof(s->last_error);
    return s->last_error;
}

static int make_id(char out[33])
{
    unsigned char raw[16];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -1;
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

CI_EXPORT int ci_session_create(const ci_config *config, ci_session **out)
{
    ci_error_reset();
    if (!out)
        return ci_fail(NULL, CI_EINVAL, "out is NULL");
    struct ci_session *s = calloc(1, sizeof(*s));
    if (!s)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    s->cancel_fd = -1;
    int r;
    if (config) {
        r = ci_config_copy(&s->cfg, config);
    } else {
        ci_config *def = NULL;
        r = ci_config_new(&def);
        if (r == CI_OK)
            r = ci_config_copy(&s->cfg, def);
        ci_config_free(def);
    }
    if (r < 0) {
        free(s);
        return ci_fail(NULL, r, "cannot copy the configuration");
    }
    for (int i = 0; i < CI_CONTEXT_SLOTS; i++)
        s->contexts[i].ctl = s->contexts[i].out = s->contexts[i].err = -1;
    if (make_id(s->id) < 0) {
        r = ci_fail(NULL, CI_EIO, "getrandom failed");
        goto fail;
    }
    s->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->cancel_fd < 0) {
        r = ci_fail(NULL, CI_EIO, "eventfd: %s", strerror(errno));
        goto fail;
    }
    s->ops = &ci_process_sandbox_ops;
    char err[768];
    err[0] = '\0';
    r = ci_audit_open(&s->cfg, s->id, &s->audit, err, sizeof(err));
    if (r < 0) {
        ci_fail(NULL, r, "%s", err);
        goto fail;
    }
    r = s->ops->start(&s->cfg, s->id, &s->sb, err, sizeof(err));
    if (r < 0) {
        ci_fail(NULL, r, "%s", err[0] ? err : ci_strerror(r));
        ci_audit_setup_failed(s->audit, &s->cfg, r, ci_last_error());
        goto fail;
    }
    r = ci_audit_session_created(s->audit, &s->cfg);
    if (r < 0) {
        ci_fail(NULL, r, "cannot write the audit trail: %s", ci_audit_error(s->audit));
        s->ops->destroy(s->sb);
        goto fail;
    }
    s->created_ms = s->last_used_ms = ci_now_ms();
    *out = s;
    return CI_OK;
fail:
    ci_audit_close(s->audit);
    if (s->cancel_fd >= 0)
        close(s->cancel_fd);
    ci_config_clear(&s->cfg);
    free(s);
    return r;
}

CI_EXPORT void ci_session_destroy(ci_session *s)
{
    if (!s)
        return;
    ci_session_forget_contexts(s);
    if (s->sb)
        s->ops->destroy(s->sb);
    ci_audit_session_destroyed(s->audit, ci_now_ms() - s->created_ms);
    ci_audit_close(s->audit);
    if (s->cancel_fd >= 0)
        close(s->cancel_fd);
    ci_config_clear(&s->cfg);
    free(s);
}

CI_EXPORT int ci_session_cancel(ci_session *s)
{
    if (!s)
        return CI_EINVAL;
    /* Only the eventfd is touched: safe from any thread and from callbacks. */
    uint64_t one = 1;
    if (write(s->cancel_fd, &one, sizeof(one)) < 0)
        return CI_EIO;
    return CI_OK;
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
    return s ? s->ops->limits_mode(s->sb) : CI_CGROUP_NONE;
}

int ci_session_check_alive(struct ci_session *s)
{
    if (!s->expired) {
        int state = s->ops->check(s->sb);
        if (state == CI_EEXPIRED ||
            (state == CI_OK && ci_now_ms() - s->last_used_ms >= s->cfg.idle_timeout_ms)) {
            /* whichever clock got there first, the verdict is the same */
            s->expired = 1;
            ci_session_forget_contexts(s);
            if (state == CI_OK)
                s->ops->kill_all(s->sb);
            ci_audit_session_expired(s->audit, s->cfg.idle_timeout_ms);
        } else if (state != CI_OK) {
            return ci_fail(s, state, "session %s: its sandbox is gone", s->id);
        }
    }
    if (s->expired)
        return ci_fail(s, CI_EEXPIRED, "session %s expired after %llu ms idle; create a new session",
                       s->id, (unsigned long long)s->cfg.idle_timeout_ms);
    return CI_OK;
}
