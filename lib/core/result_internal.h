/* SPDX-License-Identifier: MIT */
#pragma once
#include "codeinterp/codeinterp.h"
#include "util/buf.h"

struct ci_result {
    ci_status status;
    int exit_code;
    ci_language language;
    ci_buf out, err;
    int out_truncated, err_truncated;
    char *value;
    char *error_name, *error_value, *error_traceback;
    double wall_ms;
    double cpu_ms;         /* -1: not measured */
    uint64_t peak_memory;  /* 0: not measured */
};

struct ci_result *ci_result_alloc(ci_language language);
