/* SPDX-License-Identifier: MIT */
/* Moving a runner's stdout and stderr into their captures. */
#include "core/exec_io.h"

#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/fdutil.h"

#define READ_CHUNK 65536

int ci_exec_pump(int *fd, struct ci_capture *cap)
{
    char buf[READ_CHUNK];
    for (size_t done = 0; done < CI_EXEC_PUMP_BUDGET;) {
        ssize_t n = read(*fd, buf, sizeof(buf));
        if (n > 0) {
            done += (size_t)n;
            int r = ci_capture_feed(cap, buf, (size_t)n);
            if (r < 0)
                return r;
            if (r == 1)
                return 2;
            continue;
        }
        if (n == 0) {
            ci_close(fd);
            return 1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return 0;
        ci_close(fd);
        return CI_EIO;
    }
    return 0;
}

void ci_exec_drain(struct ci_context *ctx, struct ci_capture *out, struct ci_capture *err,
                  int wait_eof_ms)
{
    uint64_t deadline = ci_now_ms() + (uint64_t)wait_eof_ms;
    for (;;) {
        if (ctx->out >= 0)
            ci_exec_pump(&ctx->out, out);
        if (ctx->err >= 0)
            ci_exec_pump(&ctx->err, err);
        uint64_t now = ci_now_ms();
        if ((ctx->out < 0 && ctx->err < 0) || now >= deadline)
            return;
        struct pollfd p[2] = { { .fd = ctx->out, .events = POLLIN }, { .fd = ctx->err, .events = POLLIN } };
        poll(p, 2, (int)(deadline - now));
    }
}
