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
    char *input_s3_uri;   /* NULL: none (core/exec_s3.c) */
    char *output_s3_uri;  /* NULL: none */
    ci_progress_callback on_progress;
    void *progress_data;
};
