/* SPDX-License-Identifier: MIT */
/*
 * Host-side accounting for the load and fault tests: what this process
 * holds (descriptors, children, resident memory) and what a session may
 * leave on the host after it is destroyed (its folder, lock and image under
 * the state dir, its cgroups, loop devices backed by its image, processes
 * of its uid).
 */
#ifndef CODEINTERP_TESTS_TEST_LEAKS_H
#define CODEINTERP_TESTS_TEST_LEAKS_H

#include <stddef.h>
#include <sys/types.h>

/* Open descriptors of this process. */
int tl_count_fds(void);
/* Children of this process, zombies included. */
int tl_count_children(void);
/* VmRSS of this process in KiB. */
long tl_rss_kib(void);

/* The sandbox helpers this process started (its children named
 * codeinterp-sandbox): up to max pids, returns how many. */
size_t tl_helpers(pid_t *pids, size_t max);
/* The first child of `parent` (host pid view), 0 if none; with `needle`,
 * the first whose command line contains it. */
pid_t tl_child_of(pid_t parent, const char *needle);
/* Real uid of a process, (uid_t)-1 if it is gone. */
uid_t tl_uid_of(pid_t pid);

/* Everything session `id` may have left on the host; "" when nothing.
 * Looks at the state dir's sessions/ folder, the cgroup trees under
 * /sys/fs/cgroup, the loop devices' backing files and /tmp. Returns a
 * malloc'd description. */
char *tl_session_leftovers(const char *id);

#endif
