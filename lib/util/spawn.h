/* SPDX-License-Identifier: MIT */
/* Starting a helper program from a possibly multithreaded host. */
#pragma once
#include <sys/types.h>

/* Starts `path` with posix_spawn (nothing but exec runs in the child, so
 * this is safe whatever the host's threads do), with default signal
 * dispositions and an empty mask whatever the host set, stdin/stdout/stderr
 * on /dev/null, descriptor `pass_fd` (if >= 0) as `pass_as`, every other
 * descriptor closed, and in a session of its own when new_session is set.
 * Returns 0 or a positive errno. */
int ci_spawn_clean(pid_t *pid, const char *path, char *const argv[], char *const envp[],
                   int pass_fd, int pass_as, int new_session);
