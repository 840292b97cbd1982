/* SPDX-License-Identifier: MIT */
/* Recording the detailed message of a failure. */
#pragma once
#include "codeinterp/codeinterp.h"

struct ci_session;

/* Formats the message into the calling thread's ci_last_error() buffer and,
 * when s is not NULL, into the session's; returns code, so callers can write
 * `return ci_fail(s, CI_EINVAL, "...")`. */
int ci_fail(struct ci_session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Clears the thread's last error (at the start of a public call). */
void ci_error_reset(void);
/* The session's message buffer, for ci_fail. */
char *ci_session_error_buf(struct ci_session *s, size_t *cap);
