/* SPDX-License-Identifier: MIT */
/* Executions on a session. */
#pragma once
#include "core/exec_options.h"
#include "core/result.h"
#include "core/session.h"

/*
 * The whole public call: holds the session, audits it, runs the code and
 * lets go. o must not be NULL. 0 with a result, or a negative CI_E* (the
 * session's message set, or only the thread's for CI_EBUSY).
 */
int ci_session_execute(struct ci_session *s, const char *code, const struct ci_exec_options *o,
                       struct ci_result **out);

/* exec_run.c: one execution on a held, live session. 0 with a result, or
 * a negative CI_E* with the session's message set. */
int ci_exec_run(struct ci_session *s, const char *code, const struct ci_exec_options *o,
                struct ci_result **out);
