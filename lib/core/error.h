/* SPDX-License-Identifier: MIT */
/*
 * Recording the detailed message of a failure: the calling thread's buffer
 * (ci_last_error()) and, for a session, the session's (ci_session_last_error()).
 * Every internal function returns a CI_E* code; these record why.
 */
#pragma once
#include <stddef.h>

#include "codeinterp/codeinterp.h"

struct ci_session;

/* Formats the message into the calling thread's buffer and, when s is not
 * NULL, into the session's; returns code, so callers can write
 * `return ci_fail(s, CI_EINVAL, "...")`. Only the thread that holds the
 * session (core/session.h) may pass it. */
int ci_fail(struct ci_session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Clears the thread's message (at the start of a public call). */
void ci_error_reset(void);
/* The thread's message. */
const char *ci_error_last(void);
