/* SPDX-License-Identifier: MIT */
/* The file calls' exports (core/files.c does the work). */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/files.h"

struct ci_file_list {
    size_t count;
    struct ci_safe_dirent *entries;
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
    return ci_files_read(s, name, data, len);
}

CI_EXPORT int ci_download_to_file(ci_session *s, const char *name, const char *host_path)
{
    ci_error_reset();
    if (!s || !name || !host_path)
        return ci_fail(s, CI_EINVAL,
                       "ci_download_to_file: session, name and host_path must not be NULL");
    return ci_files_download_to(s, name, host_path);
}

CI_EXPORT int ci_list_files(ci_session *s, const char *dir, ci_file_list **out)
{
    ci_error_reset();
    if (!s || !out)
        return ci_fail(s, CI_EINVAL, "ci_list_files: session and out must not be NULL");
    struct ci_file_list *list = calloc(1, sizeof(*list));
    if (!list)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    int r = ci_files_list(s, dir, &list->entries, &list->count);
    if (r < 0) {
        free(list);
        return r;
    }
    *out = list;
    return CI_OK;
}

CI_EXPORT void ci_file_list_free(ci_file_list *list)
{
    if (!list)
        return;
    ci_safe_dirents_free(list->entries, list->count);
    free(list);
}

CI_EXPORT size_t ci_file_list_count(const ci_file_list *list)
{
    return list ? list->count : 0;
}

CI_EXPORT const char *ci_file_list_name(const ci_file_list *list, size_t i)
{
    return list && i < list->count ? list->entries[i].name : NULL;
}

CI_EXPORT ci_file_type ci_file_list_type(const ci_file_list *list, size_t i)
{
    return list && i < list->count ? list->entries[i].type : CI_FILE_OTHER;
}

CI_EXPORT uint64_t ci_file_list_size(const ci_file_list *list, size_t i)
{
    return list && i < list->count ? list->entries[i].size : 0;
}

/* Seconds, rounded down as struct timespec's tv_sec is. */
CI_EXPORT int64_t ci_file_list_mtime(const ci_file_list *list, size_t i)
{
    if (!list || i >= list->count)
        return 0;
    int64_t ns = list->entries[i].mtime_ns;
    return ns >= 0 ? ns / 1000000000 : -((-ns + 999999999) / 1000000000);
}

CI_EXPORT int ci_remove_file(ci_session *s, const char *name)
{
    ci_error_reset();
    if (!s || !name)
        return ci_fail(s, CI_EINVAL, "ci_remove_file: session and name must not be NULL");
    return ci_files_remove(s, name);
}
