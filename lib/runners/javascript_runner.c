/* SPDX-License-Identifier: MIT */
/*
 * JavaScript on the system's node (/usr/bin is bound read-only in the
 * sandbox). The kernel needs no library of its own, so plain JavaScript runs
 * without the runtime environment; with it, require() and import find the
 * pinned packages through NODE_PATH.
 */
#include "runners/runner.h"

static const char *const javascript_argv[] = {
    "/usr/bin/node", "/opt/codeinterp/kernels/js_kernel.js", NULL,
};

/* Kept in step with typescript_runner.c's (same kernel). */
static const char *const javascript_env[] = {
    "NODE_PATH=/opt/codeinterp/node_modules",
    "NODE_DISABLE_COLORS=1",
    "NO_COLOR=1",
    NULL,
};

const struct ci_runner_ops ci_javascript_runner = {
    .version = CI_RUNNER_OPS_VERSION,
    .language = CI_LANGUAGE_JAVASCRIPT,
    .argv = javascript_argv,
    .env = javascript_env,
    .runtime_path = NULL,
};
