/* SPDX-License-Identifier: MIT */
/*
 * A session: one sandbox, its live interpreters, its clocks, its audit
 * trail and its last error. Core owns it whole; lib/api only checks
 * arguments and copies in and out.
 *
 * Every public call on a session holds it from start to end
 * (ci_session_hold / ci_session_release): one call at a time, at most one
 * busy/idle pair sent to the sandbox per call, and the idle lifetime
 * judged in one place (ci_session_check_alive).
 */
#pragma once
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "codeinterp/codeinterp.h"
#include "core/config.h"
#include "core/runner_frame.h"
#include "sandbox/sandbox.h"

/* One live interpreter of one runner in a session. */
struct ci_context {
    int active;
    int pid;        /* in the sandbox */
    int ctl, out, err;
    struct ci_frame_reader reader;
    uint64_t next_id;
    uint64_t starts; /* how many times it was started: a new interpreter
                        knows nothing of its predecessor (e.g. its tasks) */
};

/* Read ends of earlier executions' output pipes, still held open by
 * processes those executions left running (core/exec_strays.c). */
#define CI_MAX_STRAY_PIPES 64

struct ci_session {
    char id[33];
    struct ci_config cfg;
    const struct ci_sandbox_ops *ops;
    struct ci_sandbox *sb;
    struct ci_context *contexts; /* one per runner, in the runner registry's order */
    size_t context_count;
    int cancel_fd;            /* eventfd written by ci_session_cancel */
    atomic_int held;          /* a public call is running on it */
    int busy_sent;            /* the holder told the sandbox "busy" */
    uint64_t last_used_ms;
    uint64_t created_ms;
    uint64_t lifetime_from_ms; /* the absolute lifetime counts from here: before the
                                  sandbox's own clock starts, so ours never ends later */
    uint64_t peak_memory;     /* highest execution peak so far */
    int expired;              /* the idle lifetime ran out: nothing works any more */
    struct ci_audit *audit;   /* NULL: no audit sink (core/audit.h) */
    int strays[CI_MAX_STRAY_PIPES];
    size_t stray_count;
    uint64_t tasks_started;   /* task ids are "task-1" .. this (core/tasks.c) */
    uint64_t tasks_first;     /* the first task of the live shell interpreter */
    uint64_t tasks_ctx_starts; /* its context's `starts` when tasks_first was set */
    char last_error[1024];
};

/* Builds a session and its sandbox (config NULL: the defaults). 0 or a
 * negative CI_E* with the thread's message set. */
int ci_session_new(const struct ci_config *config, struct ci_session **out);
/* Kills everything and removes the session's files. NULL-safe. */
void ci_session_free(struct ci_session *s);

/* Asks the running call to stop. Safe from any thread and from callbacks. */
int ci_session_signal_cancel(struct ci_session *s);
/* Drops a pending cancel request. */
void ci_session_clear_cancel(struct ci_session *s);
/* Non-zero when a cancel request is pending (it stays pending). */
int ci_session_cancel_pending(struct ci_session *s);

/*
 * Takes the session for one public call. CI_EBUSY when another thread holds
 * it: then only the thread's message is set (the session's belongs to the
 * holder) and nothing must be released. Otherwise the call holds the
 * session, must end with ci_session_release(), and gets 0, or CI_EEXPIRED
 * (the idle lifetime ran out, by the sandbox's clock or ours; the first
 * call that sees it kills what is left and audits it) or CI_ECLOSED (the
 * sandbox died), with the session's message set.
 */
int ci_session_hold(struct ci_session *s);
/* ci_session_hold() in two steps, for a call that records its start
 * before the session is judged: take (CI_EBUSY or 0), then enter. */
int ci_session_take(struct ci_session *s);
int ci_session_enter(struct ci_session *s);
/* Ends the call: counts as use, restarts the idle clock, lets go. */
void ci_session_release(struct ci_session *s);
/* While held: 0, or CI_EEXPIRED / CI_ECLOSED as ci_session_hold() says. */
int ci_session_check_alive(struct ci_session *s);

/* How the sandbox's limits are enforced. */
ci_cgroup_mode ci_session_limits(const struct ci_session *s);
/* CPU time and peak memory so far, and the session's age. */
void ci_session_read_usage(struct ci_session *s, uint64_t *cpu_ms, uint64_t *peak_bytes,
                           uint64_t *lifetime_ms);

/* core/exec_strays.c: the output pipes earlier executions left behind.
 * Takes *fd (set to -1); when CI_MAX_STRAY_PIPES are kept, the oldest is
 * closed (its writers get EPIPE). */
void ci_strays_add(struct ci_session *s, int *fd);
/* Reads and discards what they hold (a budget per pipe), closing those at
 * end of file; adds the bytes to *bytes. */
void ci_strays_pump(struct ci_session *s, uint64_t *bytes);
void ci_strays_close_all(struct ci_session *s);

/* core/context.c: the interpreters of a session. */
/* The context of a language's runner, or NULL if none is built in. */
struct ci_context *ci_session_context(struct ci_session *s, ci_language language);
struct ci_runner_ops;
/* Makes ctx, the context of `runner`, live: with `clear` a live one is
 * killed first (a fresh interpreter); a dead one is started. 0 or a CI_E*
 * with the session's message. */
int ci_context_ready(struct ci_session *s, const struct ci_runner_ops *runner,
                     struct ci_context *ctx, int clear);
/* Closes a context's channels (its process is left to the caller). */
void ci_context_close(struct ci_context *c);
/* Closes every context: after a kill_all, none of them is alive. */
void ci_session_forget_contexts(struct ci_session *s);
