/* SPDX-License-Identifier: MIT */
/*
 * The sandbox file operations (sandbox.h) of a backend whose session files
 * are folders on the host: each takes the areas' host paths and who owns
 * what the host creates there, and does the work through util/safe_path.
 * A backend's ops call these with its own areas.
 */
#pragma once
#include <stdint.h>

#include "sandbox/sandbox.h"
#include "util/safe_path.h"

struct ci_host_areas {
    const char *path[3];               /* indexed by enum ci_area */
    struct ci_safe_owner owner[3];     /* who gets what the host makes there */
};

int ci_host_file_open(const struct ci_host_areas *h, enum ci_area area, const char *name,
                      int *fd, uint64_t *size, char *err, size_t errlen);
int ci_host_write_begin(const struct ci_host_areas *h, enum ci_area area, const char *name,
                        struct ci_sb_write **out, int *fd, char *err, size_t errlen);
int ci_host_write_commit(const struct ci_host_areas *h, struct ci_sb_write *w, char *err,
                         size_t errlen);
void ci_host_write_end(const struct ci_host_areas *h, struct ci_sb_write *w, int keep);
int ci_host_list(const struct ci_host_areas *h, enum ci_area area, const char *dir,
                 struct ci_safe_page *page, char *err, size_t errlen);
int ci_host_remove(const struct ci_host_areas *h, enum ci_area area, const char *name,
                   char *err, size_t errlen);
int ci_host_walk(const struct ci_host_areas *h, enum ci_area area, size_t max_entries,
                 int max_depth, struct ci_safe_walk *out, char *err, size_t errlen);
