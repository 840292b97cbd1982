/* SPDX-License-Identifier: MIT */
#pragma once
#include "codeinterp/codeinterp.h"

struct ci_exec_options {
    ci_language language;
    uint64_t timeout_ms;  /* 0: the session's default */
    int clear_context;
    ci_output_callback on_stdout;
    void *stdout_data;
    ci_output_callback on_stderr;
    void *stderr_data;
};
