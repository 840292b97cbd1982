/* SPDX-License-Identifier: MIT */
/*
 * TypeScript: the JavaScript kernel started with --typescript, which
 * transpiles each cell with esbuild's transform (types stripped, no type
 * checking) before running it. esbuild comes from the runtime environment
 * (node/node_modules), so that must be installed.
 */
#include "runners/runner.h"

static const char *const typescript_argv[] = {
    "/usr/bin/node", "/opt/codeinterp/kernels/js_kernel.js", "--typescript", NULL,
};

/* Kept in step with javascript_runner.c's (same kernel). */
static const char *const typescript_env[] = {
    "NODE_PATH=/opt/codeinterp/node_modules",
    "NODE_DISABLE_COLORS=1",
    "NO_COLOR=1",
    NULL,
};

const struct ci_runner_ops ci_typescript_runner = {
    .version = CI_RUNNER_OPS_VERSION,
    .language = CI_LANGUAGE_TYPESCRIPT,
    .argv = typescript_argv,
    .env = typescript_env,
    .runtime_path = "node/node_modules/esbuild",
};
