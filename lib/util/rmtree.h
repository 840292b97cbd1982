/* SPDX-License-Identifier: MIT */
#pragma once

/* Removes `name` (a file or a whole directory tree) inside the directory
 * `dirfd`, never following a symbolic link: links are removed, not their
 * targets. Uses a constant number of descriptors and constant stack, so a
 * tree of any depth planted by sandbox code is removed. 0 or -errno
 * (-ENOENT when name does not exist). */
int ci_rmtree_at(int dirfd, const char *name);
