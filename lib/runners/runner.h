/* SPDX-License-Identifier: MIT */
/*
 * Language runner adapters. A runner says how to start its in-sandbox
 * kernel (a program speaking the frame protocol of core/runner_frame.h on
 * fd 3) and what it needs from the environment. Adding a language means
 * adding one of these; the core does not change.
 * Bump CI_RUNNER_OPS_VERSION when the struct changes.
 */
#pragma once
#include <stddef.h>

#include "codeinterp/codeinterp.h"

#define CI_RUNNER_OPS_VERSION 3

/* A folder of the runtime environment (or of the host) bound read-only
 * into the sandbox. */
struct ci_runner_bind {
    const char *runtime_path; /* relative to the runtime dir; absolute: a host path */
    const char *target;       /* absolute path inside the sandbox */
};

struct ci_runner_ops {
    unsigned version;
    ci_language language;
    /* Paths inside the sandbox: the interpreter and its arguments. */
    const char *const *argv;
    /* Extra "NAME=VALUE" entries for the runner's environment. */
    const char *const *env;
    /* The host-side runtime this runner needs, relative to the runtime
     * dir (checked before starting, for a clear error), or NULL. */
    const char *runtime_path;
    /* Start of a "NAME=VALUE" entry that, followed by a number of MiB,
     * tells the interpreter how large its heap may grow; or NULL. */
    const char *heap_limit_env;
    /* What the interpreter prints on stderr when its own heap limit stops
     * it, so that death is reported as out of memory; or NULL. */
    const char *oom_marker;
    /* What it needs of the runtime environment in the sandbox (each left
     * out when not installed), ended by a { NULL, NULL } entry; or NULL. */
    const struct ci_runner_bind *binds;
    /* A folder to put first on PATH inside the sandbox, or NULL. */
    const char *path;
    /* Non-zero when the kernel takes each execution's own stdout and
     * stderr pipes with the request (SCM_RIGHTS, "stdio": true; see
     * doc/protocol.md), so that what an execution leaves running cannot
     * write into later executions' output. */
    int call_stdio;
};

/* runner_registry.c. The runner for a language, or NULL if none is built
 * in (or it was built for another version of this interface). */
const struct ci_runner_ops *ci_runner_for(ci_language language);
/* How many runners are built in, and each of them by position. */
size_t ci_runner_count(void);
const struct ci_runner_ops *ci_runner_at(size_t i);
/* The position of a language's runner, or -1. */
int ci_runner_index(ci_language language);

extern const struct ci_runner_ops ci_python_runner;
extern const struct ci_runner_ops ci_javascript_runner;
extern const struct ci_runner_ops ci_typescript_runner;
extern const struct ci_runner_ops ci_shell_runner;
