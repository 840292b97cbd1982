/* SPDX-License-Identifier: MIT */
/*
 * A request to a live interpreter outside an execution (the shell kernel's
 * task operations): one frame out, its reply back, bounded in time. The
 * kernel is sandboxed code, so its reply is untrusted: the caller checks
 * every member it uses.
 */
#pragma once
#include <cjson/cJSON.h>

#include "core/session.h"

/* How long a kernel has to answer such a request. */
#define CI_KERNEL_CALL_TIMEOUT_MS 10000

/*
 * Sends `request` (its "id" is set here) on ctx's control socket and waits
 * for the reply with that id, reading the kernel's own stdout and stderr
 * meanwhile (discarded, as nothing of a call's belongs there). 0 and
 * *reply (free with cJSON_Delete); or, with the session's message set:
 * CI_ERUNNER when the kernel is gone, broke the protocol or did not answer
 * in time (it is then killed and its context closed), CI_ECLOSED /
 * CI_EEXPIRED when the sandbox went, CI_ENOMEM.
 */
int ci_context_call(struct ci_session *s, struct ci_context *ctx, cJSON *request,
                    cJSON **reply);
