/* SPDX-License-Identifier: MIT */
/* A growable byte buffer, always NUL-terminated so text can be handed out. */
#pragma once
#include <stddef.h>

#include "codeinterp/codeinterp.h"

typedef struct ci_buf {
    char *data;   /* NULL until the first append; see ci_buf_cstr() */
    size_t len;
    size_t cap;
} ci_buf;

/* 0 or CI_ENOMEM. */
int ci_buf_append(ci_buf *b, const void *data, size_t len);
int ci_buf_reserve(ci_buf *b, size_t extra);
/* The contents as a C string; "" for an empty buffer. */
const char *ci_buf_cstr(const ci_buf *b);
/* Hands the storage to the caller (malloc'd, NUL-terminated) and resets b. */
char *ci_buf_steal(ci_buf *b);
void ci_buf_free(ci_buf *b);
