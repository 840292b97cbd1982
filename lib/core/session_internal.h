/* SPDX-License-Identifier: MIT */
#pragma once
#include <stdatomic.h>
#include <stdint.h>

#include "codeinterp/codeinterp.h"
#include "core/config_internal.h"
#include "core/runner_frame.h"
#include "sandbox/sandbox.h"

/* One live interpreter of one language in a session. */
struct ci_context {
    int active;
    int pid;        /* in the sandbox */
    int ctl, out, err;
    struct ci_frame_reader reader;
    uint64_t next_id;
};

#define CI_CONTEXT_SLOTS 4 /* indexed by ci_language */

struct ci_session {
    char id[33];
    struct ci_config cfg;
    const struct ci_sandbox_ops *ops;
    struct ci_sandbox *sb;
    struct ci_context contexts[CI_CONTEXT_SLOTS];
    int cancel_fd;            /* eventfd written by ci_session_cancel */
    atomic_int executing;
    uint64_t last_used_ms;
    uint64_t created_ms;
    uint64_t peak_memory;     /* highest execution peak so far */
    int expired;              /* the idle lifetime ran out: nothing works any more */
    struct ci_audit *audit;   /* NULL: no audit sink (core/audit.h) */
    char last_error[1024];
};

/* 0 while the session can run code; CI_EEXPIRED once its idle lifetime
 * ran out (by the sandbox's clock or ours: the first such call kills what
 * is left and records the expiry once), CI_ECLOSED if the sandbox died. The
 * session's message is set on failure. */
int ci_session_check_alive(struct ci_session *s);

/* Closes a context's channels (its process is left to the caller). */
void ci_context_close(struct ci_context *c);
/* Closes every context: after a kill_all, none of them is alive. */
void ci_session_forget_contexts(struct ci_session *s);

/* core/exec_run.c: one execution on a live session. Returns 0 with a
 * result, or a negative CI_E* (the session's message is set). */
int ci_exec_run(struct ci_session *s, const char *code, const struct ci_exec_options *o,
                struct ci_result **out);
