/* SPDX-License-Identifier: MIT */
/* The one rule that turns a time limit in seconds into milliseconds, for
 * every front end that takes seconds (the CLI, ci_invoke_json(), the
 * binding). */
#include "core/error.h"
#include "codeinterp/codeinterp.h"

CI_EXPORT int ci_timeout_ms_from_seconds(double seconds, uint64_t *ms)
{
    ci_error_reset();
    if (!ms)
        return ci_fail(NULL, CI_EINVAL, "ms must not be NULL");
    /* written so that NaN fails too */
    if (!(seconds > 0 && seconds <= (double)(CI_MAX_TIMEOUT_MS / 1000)))
        return ci_fail(NULL, CI_EINVAL, "seconds must be more than 0 and at most %u, not %g",
                       (unsigned)(CI_MAX_TIMEOUT_MS / 1000), seconds);
    /* rounded up: a limit is never made shorter than asked, and the
     * smallest one is 1 ms */
    double exact = seconds * 1000.0;
    uint64_t whole = (uint64_t)exact;
    *ms = (double)whole < exact ? whole + 1 : whole;
    return CI_OK;
}
