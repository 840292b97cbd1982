/* SPDX-License-Identifier: MIT */
/* What the seccomp policy and the init that answers its refusals share. */
#ifndef CI_SANDBOX_SECCOMP_POLICY_H
#define CI_SANDBOX_SECCOMP_POLICY_H

/* The highest syscall number the allow-list was reviewed against (Linux
 * 6.18: file_setattr; the numbers from 424 on are the same on x86_64 and
 * aarch64). A refused call up to it gets EPERM; a higher one is a call
 * nobody has reviewed yet, possibly newer than libc, and gets ENOSYS so libc
 * falls back to the older call as it would on an older kernel. Raise it
 * only after reviewing the new calls (doc/security.md, "Seccomp"). */
#define CI_SECCOMP_REVIEWED_MAX 469

#endif
