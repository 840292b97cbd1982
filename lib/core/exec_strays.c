/* SPDX-License-Identifier: MIT */
/*
 * What executions leave running. A kernel that takes each execution's own
 * output pipes (runner call_stdio) lets go of them before it replies; a
 * process the execution started and left running (a server, a background
 * job) still holds them and may go on writing. Those pipes are kept here
 * and read during later executions, so a writer never blocks for long on
 * a full pipe, and what it writes is discarded and counted (the result's
 * stray_bytes) instead of appearing in another execution's output. A pipe
 * leaves the list at end of file, when its last writer is gone.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/exec_io.h"
#include "core/session.h"
#include "util/fdutil.h"

void ci_strays_add(struct ci_session *s, int *fd)
{
    if (*fd < 0)
        return;
    if (s->stray_count == CI_MAX_STRAY_PIPES) {
        ci_close(&s->strays[0]);
        memmove(s->strays, s->strays + 1, (CI_MAX_STRAY_PIPES - 1) * sizeof(int));
        s->stray_count--;
    }
    s->strays[s->stray_count++] = *fd;
    *fd = -1;
}

/* Reads one pipe within the budget: 1 at end of file, else 0. */
static int discard(int fd, uint64_t *bytes)
{
    char buf[65536];
    for (size_t done = 0; done < CI_EXEC_PUMP_BUDGET;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n > 0) {
            done += (size_t)n;
            *bytes += (uint64_t)n;
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            return 1;
        } else if (errno == EAGAIN) {
            return 0;
        }
    }
    return 0;
}

void ci_strays_pump(struct ci_session *s, uint64_t *bytes)
{
    size_t kept = 0;
    for (size_t i = 0; i < s->stray_count; i++) {
        if (discard(s->strays[i], bytes))
            ci_close(&s->strays[i]);
        else
            s->strays[kept++] = s->strays[i];
    }
    s->stray_count = kept;
}

void ci_strays_close_all(struct ci_session *s)
{
    for (size_t i = 0; i < s->stray_count; i++)
        ci_close(&s->strays[i]);
    s->stray_count = 0;
}
