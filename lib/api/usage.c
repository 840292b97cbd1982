/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "api/errors.h"
#include "core/session_internal.h"
#include "util/clock.h"

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
    uint64_t cpu_ns = 0, peak = 0, ooms = 0;
    if (s->ops->usage(s->sb, &cpu_ns, &peak, &ooms) == CI_OK) {
        u->cpu_ms = cpu_ns / 1000000u;
        /* v2's memory.peak covers the whole session already */
        if (peak > s->peak_memory)
            s->peak_memory = peak;
    }
    u->peak = s->peak_memory;
    u->lifetime_ms = ci_now_ms() - s->created_ms;
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
