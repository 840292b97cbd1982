/* SPDX-License-Identifier: MIT */
#include "core/artifacts.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/mime.h"

static const enum ci_area areas[2] = { CI_AREA_WORKSPACE, CI_AREA_OUTPUT };
static const char *const prefixes[2] = { "/workspace/", "/output/" };

static int walk(struct ci_session *s, enum ci_area area, struct ci_safe_walk *w)
{
    char err[256];
    return s->ops->walk(s->sb, area, CI_ARTIFACT_MAX_ENTRIES, CI_ARTIFACT_MAX_DEPTH, w, err,
                        sizeof(err));
}

void ci_artifacts_before(struct ci_session *s, struct ci_artifact_scan *scan)
{
    for (int i = 0; i < 2; i++)
        scan->have[i] = walk(s, areas[i], &scan->before[i]) == CI_OK;
}

/* Adds the files of `after` that are new or differ from `before`, named
 * under prefix. 0 or CI_ENOMEM. */
static int add_changed(const struct ci_safe_walk *before, const struct ci_safe_walk *after,
                       const char *prefix, struct ci_result *res)
{
    if (before->truncated || after->truncated)
        res->artifacts_truncated = 1;
    if (after->count == 0)
        return CI_OK;
    struct ci_artifact *grown = realloc(res->artifacts,
                                        (res->artifact_count + after->count) * sizeof(*grown));
    if (!grown)
        return CI_ENOMEM;
    res->artifacts = grown;
    for (size_t i = 0; i < after->count; i++) {
        const struct ci_safe_file *a = &after->files[i];
        const struct ci_safe_file *b =
            before->count ? bsearch(a, before->files, before->count, sizeof(*before->files),
                                    ci_safe_file_by_path)
                          : NULL;
        if (b && b->size == a->size && b->mtime_ns == a->mtime_ns && b->ino == a->ino)
            continue;
        char *p = NULL;
        if (asprintf(&p, "%s%s", prefix, a->path) < 0)
            return CI_ENOMEM;
        res->artifacts[res->artifact_count++] = (struct ci_artifact){ p, a->size, ci_mime_type(a->path) };
    }
    return CI_OK;
}

void ci_artifacts_after(struct ci_session *s, struct ci_artifact_scan *scan, struct ci_result *res)
{
    for (int i = 0; i < 2; i++) {
        if (!scan->have[i])
            continue;
        struct ci_safe_walk after;
        if (walk(s, areas[i], &after) == CI_OK) {
            add_changed(&scan->before[i], &after, prefixes[i], res);
            ci_safe_walk_free(&after);
        }
        ci_safe_walk_free(&scan->before[i]);
    }
}
