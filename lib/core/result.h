/* SPDX-License-Identifier: MIT */
#pragma once
#include "codeinterp/codeinterp.h"
#include "sandbox/sandbox.h"
#include "util/buf.h"

struct ci_display {
    char *mime_type;
    unsigned char *data;
    size_t len;
};

struct ci_artifact {
    char *path;        /* e.g. "/workspace/out/plot.png" */
    uint64_t size;
    const char *mime_type; /* static text */
};

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
    ci_cgroup_mode limits_mode;
    struct ci_display *displays;
    size_t display_count;
    struct ci_artifact *artifacts;
    size_t artifact_count;
    int artifacts_truncated;
    struct ci_denied_call *denied; /* sandbox/sandbox.h */
    size_t denied_count;
    struct ci_s3_uploads *s3;  /* NULL: no output URI (core/exec_s3.h) */
    uint64_t stray_bytes;  /* written meanwhile by what earlier executions left running */
};

/* A result with nothing in it yet, or NULL. */
struct ci_result *ci_result_alloc(ci_language language);
/* Frees n displays and the array; NULL-safe. */
void ci_displays_free(struct ci_display *d, size_t n);
/* Frees everything a result holds (ci_result_free()); NULL-safe. */
void ci_result_free_internal(struct ci_result *r);
