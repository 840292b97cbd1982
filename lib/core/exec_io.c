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

#define DRAIN_MAX 8

void ci_exec_drain(int *const *fds, struct ci_capture *const *caps, size_t n, int wait_eof_ms)
{
    uint64_t deadline = ci_now_ms() + (uint64_t)wait_eof_ms;
    struct pollfd p[DRAIN_MAX];
    if (n > DRAIN_MAX)
        n = DRAIN_MAX;
    for (;;) {
        int open = 0;
        for (size_t i = 0; i < n; i++) {
            if (*fds[i] >= 0)
                ci_exec_pump(fds[i], caps[i]);
            p[i] = (struct pollfd){ .fd = *fds[i], .events = POLLIN };
            open |= *fds[i] >= 0;
        }
        uint64_t now = ci_now_ms();
        if (!open || now >= deadline)
            return;
        poll(p, n, (int)(deadline - now));
    }
}
