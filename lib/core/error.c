/* SPDX-License-Identifier: MIT */
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>

#include "core/session.h"

static _Thread_local char last_error[1024];

const char *ci_error_last(void)
{
    return last_error;
}

void ci_error_reset(void)
{
    last_error[0] = '\0';
}

int ci_fail(struct ci_session *s, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof(last_error), fmt, ap);
    va_end(ap);
    if (s)
        snprintf(s->last_error, sizeof(s->last_error), "%s", last_error);
    return code;
}
