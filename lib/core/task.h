/* SPDX-License-Identifier: MIT */
/*
 * Background tasks: shell commands kept by the session's shell kernel,
 * which buffers their output in the sandbox (doc/protocol.md, "The shell
 * kernel"). The library numbers them ("task-N") and knows which shell
 * interpreter started which, so a task whose interpreter was killed (an
 * execution's timeout kills every process) is reported lost, not unknown.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "codeinterp/codeinterp.h"
#include "core/exec_options.h"
#include "core/session.h"

struct ci_task_stream {
    unsigned char *data; /* NUL-terminated; len bytes */
    size_t len;
    uint64_t offset;     /* of data[0] in everything the task wrote */
    uint64_t end;        /* bytes written so far */
    uint64_t dropped;    /* asked for, but no longer buffered */
};

struct ci_task_info {
    char *id;
    ci_task_status status;
    int exit_code;       /* -1 while running or never started */
    char *error;         /* NULL unless failed */
    struct ci_task_stream out, err;
    double wall_ms;
    double cpu_ms;       /* -1 while running */
    uint64_t peak_memory;
};

void ci_task_info_free_internal(struct ci_task_info *t);

/* The whole public calls (hold, audit, release). 0, or a CI_E* with the
 * session's message (the thread's only for CI_EBUSY). */
int ci_tasks_start(struct ci_session *s, const char *command, const struct ci_exec_options *o,
                   char **task_id);
int ci_tasks_get(struct ci_session *s, const char *task_id, uint64_t from_out, uint64_t from_err,
                 struct ci_task_info **out);
int ci_tasks_stop(struct ci_session *s, const char *task_id, struct ci_task_info **out);
