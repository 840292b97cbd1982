/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "core/error.h"
#include "core/session.h"

struct ci_usage {
    uint64_t cpu_ms;
    uint64_t peak;
    uint64_t lifetime_ms;
};

CI_EXPORT int ci_session_usage(ci_session *s, ci_usage **out)
{
    ci_error_reset();
    if (!s || !out)
        return ci_fail(s, CI_EINVAL, "session and out must not be NULL");
    struct ci_usage *u = calloc(1, sizeof(*u));
    if (!u)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    ci_session_read_usage(s, &u->cpu_ms, &u->peak, &u->lifetime_ms);
    *out = u;
    return CI_OK;
}

CI_EXPORT void ci_usage_free(ci_usage *u)
{
    free(u);
}

CI_EXPORT uint64_t ci_usage_cpu_ms(const ci_usage *u)
{
    return u ? u->cpu_ms : 0;
}

CI_EXPORT uint64_t ci_usage_peak_memory_bytes(const ci_usage *u)
{
    return u ? u->peak : 0;
}

CI_EXPORT uint64_t ci_usage_lifetime_ms(const ci_usage *u)
{
    return u ? u->lifetime_ms : 0;
}

CI_EXPORT uint64_t ci_usage_cpu_seconds(const ci_usage *u)
{
    return u ? (u->cpu_ms + 999) / 1000 : 0;
}

CI_EXPORT double ci_usage_gb_seconds(const ci_usage *u)
{
    if (!u)
        return 0;
    return (double)u->peak / (double)(1ull << 30) * (double)((u->lifetime_ms + 999) / 1000);
}
