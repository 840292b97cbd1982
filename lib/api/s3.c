/* SPDX-License-Identifier: MIT */
/*
 * The public S3 calls: configuration and option setters, the result's list
 * of uploads, and ci_s3_download() / ci_s3_upload() (core/exec_s3.c does
 * the work).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/error.h"
#include "core/config.h"
#include "core/exec_options.h"
#include "core/exec_s3.h"
#include "core/result.h"
#include "transfer/s3_settings.h"

/* --------------------------------------------------------------- config */

#define CHECK_CONFIG(c) \
    do { \
        ci_error_reset(); \
        if (!(c)) \
            return ci_fail(NULL, CI_EINVAL, "config is NULL"); \
    } while (0)

static struct ci_s3_settings *settings(ci_config *c)
{
    if (!c->s3)
        c->s3 = calloc(1, sizeof(*c->s3));
    return c->s3;
}

static void wipe_free(char **s)
{
    if (*s) {
        explicit_bzero(*s, strlen(*s));
        free(*s);
        *s = NULL;
    }
}

/* Replaces *slot by a copy of value (NULL clears). 0 or CI_ENOMEM. */
static int set_copy(char **slot, const char *value)
{
    char *copy = value ? strdup(value) : NULL;
    if (value && !copy)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    wipe_free(slot);
    *slot = copy;
    return CI_OK;
}

static int printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

CI_EXPORT int ci_config_set_s3_credentials(ci_config *c, const char *access_key_id,
                                           const char *secret_access_key,
                                           const char *session_token)
{
    CHECK_CONFIG(c);
    if (!access_key_id) {
        if (c->s3) {
            wipe_free(&c->s3->access_key);
            wipe_free(&c->s3->secret_key);
            wipe_free(&c->s3->session_token);
            c->s3->have_credentials = 0;
        }
        return CI_OK;
    }
    if (!*access_key_id || !secret_access_key || !*secret_access_key ||
        !printable(access_key_id) || !printable(secret_access_key) ||
        (session_token && !printable(session_token)))
        return ci_fail(NULL, CI_EINVAL, "S3 credentials need a non-empty access key id and "
                       "secret access key, without spaces or control characters");
    struct ci_s3_settings *s = settings(c);
    char *k = strdup(access_key_id), *sk = strdup(secret_access_key);
    char *tok = session_token && *session_token ? strdup(session_token) : NULL;
    if (!s || !k || !sk || (session_token && *session_token && !tok)) {
        wipe_free(&k);
        wipe_free(&sk);
        wipe_free(&tok);
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    }
    wipe_free(&s->access_key);
    wipe_free(&s->secret_key);
    wipe_free(&s->session_token);
    s->access_key = k;
    s->secret_key = sk;
    s->session_token = tok;
    s->have_credentials = 1;
    return CI_OK;
}

CI_EXPORT int ci_config_set_s3_region(ci_config *c, const char *region)
{
    CHECK_CONFIG(c);
    if (region) {
        size_t n = strlen(region);
        int ok = n > 0 && n <= 64;
        for (size_t i = 0; ok && i < n; i++) {
            char ch = region[i];
            ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-';
        }
        if (!ok)
            return ci_fail(NULL, CI_EINVAL, "an S3 region is made of letters, digits and '-' "
                           "(e.g. eu-west-1)");
    }
    if (!region && !c->s3)
        return CI_OK;
    struct ci_s3_settings *s = settings(c);
    return s ? set_copy(&s->region, region) : ci_fail(NULL, CI_ENOMEM, "out of memory");
}

CI_EXPORT int ci_config_set_s3_endpoint(ci_config *c, const char *url)
{
    CHECK_CONFIG(c);
    if (url) {
        const char *host = !strncasecmp(url, "https://", 8) ? url + 8
                         : !strncasecmp(url, "http://", 7) ? url + 7 : NULL;
        size_t hlen = host ? strcspn(host, "/") : 0;
        if (!host || hlen == 0 || memchr(host, '@', hlen) || strpbrk(url, "?#") ||
            !printable(url))
            return ci_fail(NULL, CI_EINVAL, "an S3 endpoint is https://host[:port][/path] (or "
                           "http://), without user information, query or fragment");
    }
    if (!url && !c->s3)
        return CI_OK;
    struct ci_s3_settings *s = settings(c);
    return s ? set_copy(&s->endpoint, url) : ci_fail(NULL, CI_ENOMEM, "out of memory");
}

CI_EXPORT int ci_config_set_s3_ca_file(ci_config *c, const char *path)
{
    CHECK_CONFIG(c);
    if (path && !*path)
        return ci_fail(NULL, CI_EINVAL, "empty CA file path");
    if (!path && !c->s3)
        return CI_OK;
    struct ci_s3_settings *s = settings(c);
    return s ? set_copy(&s->ca_file, path) : ci_fail(NULL, CI_ENOMEM, "out of memory");
}

CI_EXPORT int ci_config_set_s3_multipart_threshold(ci_config *c, uint64_t bytes)
{
    CHECK_CONFIG(c);
    if (bytes < CI_S3_MIN_PART_SIZE || bytes > CI_S3_MAX_PART_SIZE)
        return ci_fail(NULL, CI_EINVAL, "the multipart threshold must be 5 MiB .. 5 GiB");
    struct ci_s3_settings *s = settings(c);
    if (!s)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    s->threshold = bytes;
    return CI_OK;
}

CI_EXPORT int ci_config_set_s3_part_size(ci_config *c, uint64_t bytes)
{
    CHECK_CONFIG(c);
    if (bytes < CI_S3_MIN_PART_SIZE || bytes > CI_S3_MAX_PART_SIZE)
        return ci_fail(NULL, CI_EINVAL, "the part size must be 5 MiB .. 5 GiB");
    struct ci_s3_settings *s = settings(c);
    if (!s)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    s->part_size = bytes;
    return CI_OK;
}

CI_EXPORT int ci_config_set_s3_parallel_parts(ci_config *c, uint32_t count)
{
    CHECK_CONFIG(c);
    if (count < 1 || count > CI_S3_MAX_PARALLEL)
        return ci_fail(NULL, CI_EINVAL, "parallel parts must be 1 .. %d", CI_S3_MAX_PARALLEL);
    struct ci_s3_settings *s = settings(c);
    if (!s)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    s->parallel = count;
    return CI_OK;
}

CI_EXPORT int ci_config_set_s3_max_attempts(ci_config *c, uint32_t attempts)
{
    CHECK_CONFIG(c);
    if (attempts < 1 || attempts > CI_S3_MAX_ATTEMPTS)
        return ci_fail(NULL, CI_EINVAL, "attempts must be 1 .. %d", CI_S3_MAX_ATTEMPTS);
    struct ci_s3_settings *s = settings(c);
    if (!s)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    s->max_attempts = attempts;
    return CI_OK;
}

/* -------------------------------------------------------------- options */

static int set_uri(ci_exec_options *o, char **slot, const char *uri, int prefix)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    int r = uri ? ci_exec_s3_check_uri(NULL, uri, prefix) : CI_OK;
    if (r < 0)
        return r;
    char *copy = uri ? strdup(uri) : NULL;
    if (uri && !copy)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_input_s3_uri(ci_exec_options *o, const char *uri)
{
    return set_uri(o, o ? &o->input_s3_uri : NULL, uri, -1);
}

CI_EXPORT int ci_exec_options_set_output_s3_uri(ci_exec_options *o, const char *uri)
{
    return set_uri(o, o ? &o->output_s3_uri : NULL, uri, 1);
}

CI_EXPORT int ci_exec_options_set_progress_callback(ci_exec_options *o, ci_progress_callback cb,
                                                    void *user_data)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->on_progress = cb;
    o->progress_data = cb ? user_data : NULL;
    return CI_OK;
}

/* --------------------------------------------------------------- result */

CI_EXPORT size_t ci_result_s3_upload_count(const ci_result *r)
{
    return r && r->s3 ? r->s3->count : 0;
}

CI_EXPORT const char *ci_result_s3_upload_uri(const ci_result *r, size_t i)
{
    return r && r->s3 && i < r->s3->count ? r->s3->items[i].uri : NULL;
}

CI_EXPORT const char *ci_result_s3_upload_path(const ci_result *r, size_t i)
{
    return r && r->s3 && i < r->s3->count ? r->s3->items[i].path : NULL;
}

CI_EXPORT uint64_t ci_result_s3_upload_size(const ci_result *r, size_t i)
{
    return r && r->s3 && i < r->s3->count ? r->s3->items[i].size : 0;
}

CI_EXPORT int ci_result_s3_upload_error(const ci_result *r)
{
    return r && r->s3 ? r->s3->error : 0;
}

CI_EXPORT const char *ci_result_s3_upload_error_message(const ci_result *r)
{
    return r && r->s3 ? r->s3->message : NULL;
}

/* -------------------------------------------------------- session calls */

CI_EXPORT int ci_s3_download(ci_session *s, const char *uri, const char *name)
{
    ci_error_reset();
    if (!s || !uri)
        return ci_fail(s, CI_EINVAL, "ci_s3_download: session and uri must not be NULL");
    return ci_s3_session_download(s, uri, name);
}

CI_EXPORT int ci_s3_upload(ci_session *s, const char *name, const char *uri)
{
    ci_error_reset();
    if (!s || !name || !uri)
        return ci_fail(s, CI_EINVAL, "ci_s3_upload: session, name and uri must not be NULL");
    return ci_s3_session_upload(s, name, uri);
}
