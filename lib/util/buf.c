/* SPDX-License-Identifier: MIT */
#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int ci_buf_reserve(ci_buf *b, size_t extra)
{
    if (extra > SIZE_MAX - b->len - 1)
        return CI_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return CI_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int ci_buf_append(ci_buf *b, const void *data, size_t len)
{
    int r = ci_buf_reserve(b, len);
    if (r < 0)
        return r;
    if (len)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

const char *ci_buf_cstr(const ci_buf *b)
{
    return b->data ? b->data : "";
}

char *ci_buf_steal(ci_buf *b)
{
    char *p = b->data;
    if (!p)
        p = calloc(1, 1);
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}

void ci_buf_free(ci_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}
