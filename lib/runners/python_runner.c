/* SPDX-License-Identifier: MIT */
#include "runners/runner.h"

static const char *const python_argv[] = {
    "/opt/codeinterp/python/bin/python3", "-B", "/opt/codeinterp/kernels/python_kernel.py", NULL,
};

static const char *const python_env[] = {
    "PYTHONDONTWRITEBYTECODE=1",
    "PYTHONIOENCODING=utf-8",
    "MPLBACKEND=Agg",
    "MPLCONFIGDIR=/tmp/.matplotlib",
    NULL,
};

/* The virtualenv, and the system Python's own configuration under /etc
 * (sysconfig reads it). */
static const struct ci_runner_bind python_binds[] = {
    { "python", "/opt/codeinterp/python" },
    { "/etc/python3", "/etc/python3" },
    { "/etc/python3.11", "/etc/python3.11" },
    { NULL, NULL },
};

const struct ci_runner_ops ci_python_runner = {
    .version = CI_RUNNER_OPS_VERSION,
    .language = CI_LANGUAGE_PYTHON,
    .argv = python_argv,
    .env = python_env,
    .runtime_path = "python/bin/python3",
    .binds = python_binds,
    .path = "/opt/codeinterp/python/bin",
    .call_stdio = 1,
};
