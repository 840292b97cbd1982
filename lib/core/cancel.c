/* SPDX-License-Identifier: MIT */
#include "core/cancel.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "core/error.h"

int ci_cancel_new(struct ci_cancel **out)
{
    *out = NULL;
    struct ci_cancel *c = malloc(sizeof(*c));
    if (!c)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    c->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (c->fd < 0) {
        int e = errno;
        free(c);
        return ci_fail(NULL, e == ENOMEM ? CI_ENOMEM : CI_EIO, "eventfd: %s", strerror(e));
    }
    *out = c;
    return CI_OK;
}

int ci_cancel_fire(struct ci_cancel *c)
{
    /* only the eventfd is touched: safe from any thread and from callbacks */
    uint64_t one = 1;
    return write(c->fd, &one, sizeof(one)) < 0 && errno != EAGAIN ? CI_EIO : CI_OK;
}

void ci_cancel_release(struct ci_cancel *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}

int ci_cancel_fired(const struct ci_cancel *c)
{
    if (!c)
        return 0;
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

int ci_cancel_fd(const struct ci_cancel *c)
{
    return c ? c->fd : -1;
}
