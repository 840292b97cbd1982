/* SPDX-License-Identifier: MIT */
/*
 * A cancel handle (ci_cancel): one request to stop one call, made from any
 * thread at any time. Unlike ci_session_cancel(), which reaches only the
 * execution running at that moment, a handle remembers: a call given a
 * handle that was already fired stops before it runs anything.
 */
#pragma once

#include "codeinterp/codeinterp.h"

struct ci_cancel {
    int fd; /* eventfd, readable once fired; never drained */
};

/* A new handle, not fired: CI_OK, or CI_ENOMEM / CI_EIO with the
 * thread's error set. */
int ci_cancel_new(struct ci_cancel **out);
/* Fires c (again is harmless): CI_OK or CI_EIO. Async-signal-safe. */
int ci_cancel_fire(struct ci_cancel *c);
/* Frees c; NULL is a no-op. */
void ci_cancel_release(struct ci_cancel *c);
/* Non-zero when c is non-NULL and has been fired. */
int ci_cancel_fired(const struct ci_cancel *c);
/* The descriptor to poll for POLLIN, or -1 for NULL (poll ignores it). */
int ci_cancel_fd(const struct ci_cancel *c);
