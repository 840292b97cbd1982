/* SPDX-License-Identifier: MIT */
/*
 * Shell commands: each execution is one command line for /bin/sh -c, run
 * by a small kernel that also keeps the session's background tasks (their
 * output buffers live in the sandbox, so a task keeps running between the
 * calls that poll it). The kernel is a Python program on the runtime
 * environment's interpreter, run isolated (-I: no PYTHON* variables, no
 * user site) and without site (-S): it needs only the standard library,
 * and starts in a few milliseconds. The commands themselves run on the
 * sandbox's /bin/sh, with every runner's folder first on PATH, so python3,
 * pip and node are the runtime environment's.
 */
#include "runners/runner.h"

static const char *const shell_argv[] = {
    "/opt/codeinterp/python/bin/python3", "-I", "-S", "-B",
    "/opt/codeinterp/kernels/shell_kernel.py", NULL,
};

/* As the Python runner: the virtualenv and the system Python's own
 * configuration. */
static const struct ci_runner_bind shell_binds[] = {
    { "python", "/opt/codeinterp/python" },
    { "/etc/python3", "/etc/python3" },
    { "/etc/python3.11", "/etc/python3.11" },
    { NULL, NULL },
};

const struct ci_runner_ops ci_shell_runner = {
    .version = CI_RUNNER_OPS_VERSION,
    .language = CI_LANGUAGE_SHELL,
    .argv = shell_argv,
    .env = NULL,
    .runtime_path = "python/bin/python3",
    .binds = shell_binds,
    .call_stdio = 1,
};
