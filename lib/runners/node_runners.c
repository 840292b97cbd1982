/* SPDX-License-Identifier: MIT */
/*
 * JavaScript and TypeScript on the system's node (/usr/bin is bound
 * read-only in the sandbox), one kernel for both. JavaScript needs no
 * library of its own, so it runs without the runtime environment; with it,
 * require() and import find the pinned packages through NODE_PATH.
 * TypeScript is the same kernel with --typescript: each cell goes through
 * esbuild's transform (types stripped, no type checking), so esbuild from
 * the runtime environment must be installed.
 */
#include "runners/runner.h"

static const char *const node_env[] = {
    "NODE_PATH=/opt/codeinterp/node_modules",
    "NODE_DISABLE_COLORS=1",
    "NO_COLOR=1",
    NULL,
};

/* V8 sizes its heap from the host's memory, not the sandbox's: told the
 * limit, it collects garbage in time and fails with its own message
 * instead of being killed by the cgroup mid-allocation. Three quarters
 * leave room for buffers and native memory outside the heap. */
#define NODE_HEAP_ENV "NODE_OPTIONS=--max-old-space-size="
#define NODE_OOM_MARKER "JavaScript heap out of memory"

static const struct ci_runner_bind node_binds[] = {
    { "node/node_modules", "/opt/codeinterp/node_modules" },
    { NULL, NULL },
};

const struct ci_runner_ops ci_javascript_runner = {
    .version = CI_RUNNER_OPS_VERSION,
    .language = CI_LANGUAGE_JAVASCRIPT,
    .argv = (const char *const[]){ "/usr/bin/node", "/opt/codeinterp/kernels/node/kernel.js", NULL },
    .env = node_env,
    .runtime_path = NULL,
    .heap_limit_env = NODE_HEAP_ENV,
    .oom_marker = NODE_OOM_MARKER,
    .binds = node_binds,
};

const struct ci_runner_ops ci_typescript_runner = {
    .version = CI_RUNNER_OPS_VERSION,
    .language = CI_LANGUAGE_TYPESCRIPT,
    .argv = (const char *const[]){ "/usr/bin/node", "/opt/codeinterp/kernels/node/kernel.js",
                                   "--typescript", NULL },
    .env = node_env,
    .runtime_path = "node/node_modules/esbuild",
    .heap_limit_env = NODE_HEAP_ENV,
    .oom_marker = NODE_OOM_MARKER,
    .binds = node_binds,
};
