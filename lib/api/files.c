/* SPDX-License-Identifier: MIT */
/* The file calls' exports (core/files.c does the work). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/files.h"

struct ci_file_list {
    struct ci_safe_page page;
    char *after; /* the page's copy of the caller's `after` */
};

CI_EXPORT int ci_config_set_upload_limit(ci_config *c, uint64_t bytes)
{
    ci_error_reset();
    if (!c)
        return ci_fail(NULL, CI_EINVAL, "config is NULL");
    c->upload_limit = bytes;
    return CI_OK;
}

CI_EXPORT int ci_upload(ci_session *s, const char *name, const void *data, size_t len)
{
    ci_error_reset();
    if (!s || !name || (!data && len > 0))
        return ci_fail(s, CI_EINVAL, "ci_upload: session, name and data must not be NULL");
    struct ci_file_data file = { name, data, len };
    return ci_files_write_all(s, &file, 1);
}

CI_EXPORT int ci_upload_file(ci_session *s, const char *host_path, const char *name)
{
    ci_error_reset();
    if (!s || !host_path || !name)
        return ci_fail(s, CI_EINVAL, "ci_upload_file: session, host_path and name must not be NULL");
    return ci_files_upload_from(s, host_path, name);
}

CI_EXPORT int ci_download(ci_session *s, const char *name, void **data, size_t *len)
{
    ci_error_reset();
    if (!s || !name || !data || !len)
        return ci_fail(s, CI_EINVAL, "ci_download: session, name, data and len must not be NULL");
    return ci_files_read(s, name, UINT64_MAX, data, len);
}

CI_EXPORT int ci_download_to_file(ci_session *s, const char *name, const char *host_path)
{
    ci_error_reset();
    if (!s || !name || !host_path)
        return ci_fail(s, CI_EINVAL,
                       "ci_download_to_file: session, name and host_path must not be NULL");
    return ci_files_download_to(s, name, host_path);
}

static int list_page(ci_session *s, const char *dir, const char *after, size_t limit,
                     ci_file_list **out)
{
    struct ci_file_list *list = calloc(1, sizeof(*list));
    if (!list || (after && *after && !(list->after = strdup(after)))) {
        free(list);
        return ci_fail(s, CI_ENOMEM, "out of memory");
    }
    list->page.after = list->after;
    list->page.limit = limit;
    int r = ci_files_list(s, dir ? dir : "", &list->page);
    if (r < 0) {
        free(list->after);
        free(list);
        return r;
    }
    *out = list;
    return CI_OK;
}

CI_EXPORT int ci_list_files(ci_session *s, const char *dir, ci_file_list **out)
{
    ci_error_reset();
    if (!s || !out)
        return ci_fail(s, CI_EINVAL, "ci_list_files: session and out must not be NULL");
    return list_page(s, dir, NULL, CI_FILE_LIST_MAX, out);
}

CI_EXPORT int ci_list_files_page(ci_session *s, const char *dir, const char *after, size_t limit,
                                 ci_file_list **out)
{
    ci_error_reset();
    if (!s || !out)
        return ci_fail(s, CI_EINVAL, "ci_list_files_page: session and out must not be NULL");
    return list_page(s, dir, after, limit, out);
}

CI_EXPORT void ci_file_list_free(ci_file_list *list)
{
    if (!list)
        return;
    ci_safe_page_free(&list->page);
    free(list->after);
    free(list);
}

CI_EXPORT size_t ci_file_list_count(const ci_file_list *list)
{
    return list ? list->page.count : 0;
}

CI_EXPORT int ci_file_list_truncated(const ci_file_list *list)
{
    return list && list->page.next;
}

CI_EXPORT const char *ci_file_list_next_token(const ci_file_list *list)
{
    return list ? list->page.next : NULL;
}

static const struct ci_safe_dirent *entry(const ci_file_list *list, size_t i)
{
    return list && i < list->page.count ? &list->page.entries[i] : NULL;
}

CI_EXPORT const char *ci_file_list_name(const ci_file_list *list, size_t i)
{
    return entry(list, i) ? entry(list, i)->name : NULL;
}

CI_EXPORT ci_file_type ci_file_list_type(const ci_file_list *list, size_t i)
{
    return entry(list, i) ? entry(list, i)->type : CI_FILE_OTHER;
}

CI_EXPORT uint64_t ci_file_list_size(const ci_file_list *list, size_t i)
{
    return entry(list, i) ? entry(list, i)->size : 0;
}

/* Seconds, rounded down as struct timespec's tv_sec is. */
CI_EXPORT int64_t ci_file_list_mtime(const ci_file_list *list, size_t i)
{
    if (!entry(list, i))
        return 0;
    int64_t ns = entry(list, i)->mtime_ns;
    return ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
}

CI_EXPORT int ci_remove_file(ci_session *s, const char *name)
{
    ci_error_reset();
    if (!s || !name)
        return ci_fail(s, CI_EINVAL, "ci_remove_file: session and name must not be NULL");
    return ci_files_remove(s, name);
}
