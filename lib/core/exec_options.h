/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>

#include "codeinterp/codeinterp.h"

/* Bytes the per-call variables of one execution may take in all. */
#define CI_EXEC_ENV_MAX (1u << 20)
/* One "name=value" string, without its NUL: Linux refuses a larger one
 * (MAX_ARG_STRLEN, 32 pages) with E2BIG at execve. */
#define CI_EXEC_ENV_ONE_MAX (32u * 4096u - 1u)

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
    char **env_names;     /* per-call variables (ci_exec_options_set_env) */
    char **env_values;
    size_t env_count;
    size_t env_bytes;
    char *cwd;            /* absolute, beneath /workspace; NULL: /workspace */
    int kill_leftovers;
    struct ci_cancel *cancel; /* NULL: none; not owned */
};
