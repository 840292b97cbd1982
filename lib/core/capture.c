/* SPDX-License-Identifier: MIT */
#include "core/capture.h"

int ci_capture_feed(struct ci_capture *c, const char *data, size_t len)
{
    size_t room = c->kept.len < c->limit ? c->limit - c->kept.len : 0;
    size_t keep = len < room ? len : room;
    if (keep) {
        int r = ci_buf_append(&c->kept, data, keep);
        if (r < 0)
            return r;
    }
    if (keep < len)
        c->truncated = 1;
    if (c->cb && c->cb(data, len, c->cb_data) != 0)
        return 1;
    return 0;
}
