/* SPDX-License-Identifier: MIT */
/* Moving a runner's stdout and stderr into their captures (core/capture.h). */
#pragma once
#include "core/capture.h"
#include "core/session.h"

/* At most this many bytes per call and pipe, so that a process writing
 * without pause cannot keep the caller from its clock. */
#define CI_EXEC_PUMP_BUDGET (16 * 65536)

/* Reads what is available from an output pipe (closed at EOF or error).
 * 1 on EOF, 0 when it would block or the budget is spent, 2 when a callback
 * asked to stop, or a CI_E*. */
int ci_exec_pump(int *fd, struct ci_capture *cap);

/* Reads what n output pipes hold, fds[i] into caps[i] (closed ones, -1,
 * skipped). With wait_eof_ms 0: one pass, enough for what the kernel
 * flushed before replying (at most a pipe buffer each). Otherwise, after
 * the writers were killed: up to EOF, within that bound so a descendant
 * holding a pipe open cannot hang us. */
void ci_exec_drain(int *const *fds, struct ci_capture *const *caps, size_t n, int wait_eof_ms);
