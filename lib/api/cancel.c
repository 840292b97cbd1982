/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "core/cancel.h"
#include "core/error.h"

CI_EXPORT int ci_cancel_create(ci_cancel **out)
{
    ci_error_reset();
    if (!out)
        return ci_fail(NULL, CI_EINVAL, "out is NULL");
    return ci_cancel_new(out);
}

CI_EXPORT int ci_cancel_request(ci_cancel *cancel)
{
    return cancel ? ci_cancel_fire(cancel) : CI_EINVAL;
}

CI_EXPORT int ci_cancel_requested(const ci_cancel *cancel)
{
    return ci_cancel_fired(cancel);
}

CI_EXPORT void ci_cancel_free(ci_cancel *cancel)
{
    ci_cancel_release(cancel);
}
