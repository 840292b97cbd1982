/* SPDX-License-Identifier: MIT */
/* Capture of one output stream: everything goes to the callback, the first
 * `limit` bytes are kept, the rest is counted and flagged. */
#pragma once
#include <stddef.h>

#include "codeinterp/codeinterp.h"
#include "util/buf.h"

struct ci_capture {
    ci_buf kept;
    size_t limit;
    int truncated;
    ci_output_callback cb;
    void *cb_data;
};

/* 0 to go on; 1 when the callback asked to stop; CI_ENOMEM. */
int ci_capture_feed(struct ci_capture *c, const char *data, size_t len);
