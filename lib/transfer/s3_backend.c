/* SPDX-License-Identifier: MIT */
/*
 * The S3 transfer backend: a client from the S3 settings (credentials,
 * region, endpoint, CA file, falling back to the AWS environment
 * variables), listing a prefix, downloading an object (resumed with a
 * Range after a failure, its length and MD5 ETag checked) and uploading a
 * file (one PUT with Content-MD5, or a multipart upload above the
 * threshold).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codeinterp/codeinterp.h"
#include "transfer/s3_internal.h"
#include "util/b64.h"

/* A listing page can name 1000 keys of up to 1024 bytes, percent-encoded. */
#define LIST_ANSWER_CAP (16u << 20)

void ci_transfer_listing_free(struct ci_transfer_listing *l)
{
    for (size_t i = 0; i < l->count; i++) {
        free(l->objects[i].uri);
        free(l->objects[i].name);
    }
    free(l->objects);
    l->objects = NULL;
    l->count = 0;
}

static int is_prefix(const char *key)
{
    return !key[0] || key[strlen(key) - 1] == '/';
}

/* Parses uri into *u, refusing a folder when prefix is 0. */
static int parse_uri(const char *uri, int prefix, struct ci_s3_uri *u, char *err, size_t errlen)
{
    int r = ci_s3_uri_parse(uri, u, err, errlen);
    if (r == CI_OK && prefix == 0 && is_prefix(u->key)) {
        snprintf(err, errlen, "\"%.200s\" names a folder (prefix), not one object", uri);
        ci_s3_uri_clear(u);
        r = CI_EINVAL;
    }
    return r;
}

static int s3_check_uri(const char *uri, int prefix, char *err, size_t errlen)
{
    struct ci_s3_uri u = { 0 };
    int r = parse_uri(uri, prefix, &u, err, errlen);
    ci_s3_uri_clear(&u);
    return r;
}

static int out_of_memory(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
    return CI_ENOMEM;
}

/* ---------------------------------------------------------------- open */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_result;

static void curl_init(void)
{
    curl_init_result = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static char *env(const char *name)
{
    char *v = getenv(name);
    return v && *v ? v : NULL;
}

/* What a client uses: each setting of s that is set, else the AWS
 * environment variable, else the default. The strings are borrowed. */
static struct ci_s3_settings resolve(const struct ci_s3_settings *s)
{
    static const struct ci_s3_settings unset;
    if (!s)
        s = &unset;
    struct ci_s3_settings r = {
        .region = s->region ? s->region
                : env("AWS_REGION") ? env("AWS_REGION")
                : env("AWS_DEFAULT_REGION") ? env("AWS_DEFAULT_REGION") : "us-east-1",
        .endpoint = s->endpoint ? s->endpoint
                  : env("AWS_ENDPOINT_URL_S3") ? env("AWS_ENDPOINT_URL_S3")
                  : env("AWS_ENDPOINT_URL"),
        .ca_file = s->ca_file ? s->ca_file : env("AWS_CA_BUNDLE"),
        .threshold = s->threshold ? s->threshold : CI_S3_DEFAULT_THRESHOLD,
        .part_size = s->part_size ? s->part_size : CI_S3_DEFAULT_PART_SIZE,
        .parallel = s->parallel ? s->parallel : CI_S3_DEFAULT_PARALLEL,
        .max_attempts = s->max_attempts ? s->max_attempts : CI_S3_DEFAULT_ATTEMPTS,
    };
    if (s->have_credentials) {
        r.access_key = s->access_key;
        r.secret_key = s->secret_key;
        r.session_token = s->session_token;
    } else if (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) {
        r.access_key = env("AWS_ACCESS_KEY_ID");
        r.secret_key = env("AWS_SECRET_ACCESS_KEY");
        r.session_token = env("AWS_SESSION_TOKEN");
    }
    return r;
}

static void s3_close(struct ci_transfer *t)
{
    if (!t)
        return;
    if (t->easy)
        curl_easy_cleanup(t->easy);
    ci_s3_settings_free(t->settings);
    free(t->scheme);
    free(t->host);
    free(t->base_path);
    free(t->scratch);
    free(t);
}

/* "http[s]://host[:port][/path]" into scheme, host and path. */
static int parse_endpoint(struct ci_transfer *t, const char *url, char *err, size_t errlen)
{
    const char *sep = strstr(url, "://");
    size_t slen = sep ? (size_t)(sep - url) : 0;
    if (!sep || !((slen == 4 && !strncasecmp(url, "http", 4)) ||
                  (slen == 5 && !strncasecmp(url, "https", 5)))) {
        snprintf(err, errlen, "S3 endpoint \"%.200s\" must start with https:// or http://", url);
        return CI_EINVAL;
    }
    const char *h = sep + 3;
    size_t hlen = strcspn(h, "/?#");
    if (hlen == 0 || memchr(h, '@', hlen) || strpbrk(h, "?#") || strpbrk(h, " \t\r\n")) {
        snprintf(err, errlen, "S3 endpoint \"%.200s\": expected scheme://host[:port][/path], "
                 "without user information, query or fragment", url);
        return CI_EINVAL;
    }
    const char *path = h + hlen;
    size_t plen = strlen(path);
    while (plen && path[plen - 1] == '/')
        plen--;
    t->scheme = strndup(url, slen);
    t->host = strndup(h, hlen);
    t->base_path = strndup(path, plen);
    if (!t->scheme || !t->host || !t->base_path)
        return out_of_memory(err, errlen);
    for (char *p = t->scheme; *p; p++)
        *p = (char)(*p | 0x20);
    t->custom = 1;
    return CI_OK;
}

/* The endpoint set, or AWS's own (its host depends on the bucket). */
static int set_endpoint(struct ci_transfer *t, char *err, size_t errlen)
{
    if (t->settings->endpoint)
        return parse_endpoint(t, t->settings->endpoint, err, errlen);
    t->scheme = strdup("https");
    t->base_path = strdup("");
    if (!t->scheme || !t->base_path)
        return out_of_memory(err, errlen);
    return CI_OK;
}

static int s3_open(const struct ci_transfer_params *params, struct ci_transfer **out, char *err,
                   size_t errlen)
{
    pthread_once(&curl_once, curl_init);
    if (curl_init_result != CURLE_OK) {
        snprintf(err, errlen, "libcurl could not be initialized: %s",
                 curl_easy_strerror(curl_init_result));
        return CI_ETRANSFER;
    }
    struct ci_transfer *t = calloc(1, sizeof(*t));
    if (!t)
        return out_of_memory(err, errlen);
    struct ci_s3_settings use = resolve(params->s3);
    int ok = 1;
    t->settings = ci_s3_settings_dup(&use, &ok);
    t->scratch = malloc(CI_S3_SCRATCH);
    t->easy = curl_easy_init();
    int r = ok && t->scratch && t->easy ? set_endpoint(t, err, errlen)
                                        : out_of_memory(err, errlen);
    if (r < 0) {
        s3_close(t);
        return r;
    }
    *out = t;
    return CI_OK;
}

/* ----------------------------------------------------------------- list */

static int add_object(struct ci_transfer_listing *l, size_t *cap, const char *bucket,
                      const char *key, const char *name, uint64_t size)
{
    if (l->count == *cap) {
        size_t grown = *cap ? *cap * 2 : 16;
        struct ci_transfer_object *o = realloc(l->objects, grown * sizeof(*o));
        if (!o)
            return CI_ENOMEM;
        l->objects = o;
        *cap = grown;
    }
    struct ci_transfer_object *o = &l->objects[l->count];
    o->uri = ci_s3_uri_format(bucket, key);
    o->name = strdup(name);
    o->size = size;
    if (!o->uri || !o->name) {
        free(o->uri);
        free(o->name);
        return CI_ENOMEM;
    }
    l->count++;
    return CI_OK;
}

/* A failed listing's message names the prefix, not just the bucket. */
static void name_the_prefix(struct ci_s3_outcome *o, const struct ci_s3_uri *u)
{
    if (strncmp(o->message, "S3 bucket", 9) != 0 || !u->key[0])
        return;
    char msg[sizeof(o->message)];
    snprintf(msg, sizeof(msg), "%s", o->message);
    const char *rest = strstr(msg, "\": ");
    snprintf(o->message, sizeof(o->message), "S3 bucket \"%s\" prefix \"%.300s%s", u->bucket,
             u->key, rest ? rest : "\"");
}

/* One <Contents> of a listing into l, unless it is a folder marker or the
 * prefix itself. */
static int list_entry(const char *inner, size_t n, int url_encoded, const struct ci_s3_uri *u,
                      struct ci_transfer_listing *l, size_t *cap, struct ci_s3_outcome *o)
{
    char *raw = ci_xml_find_text(inner, n, "Key");
    char *size_text = ci_xml_find_text(inner, n, "Size");
    char *key = raw && url_encoded ? ci_s3_uri_decode(raw, strlen(raw), 1) : raw;
    char *endp = NULL;
    unsigned long long size = size_text ? strtoull(size_text, &endp, 10) : 0;
    size_t plen = strlen(u->key);
    int r = CI_OK;
    if (!key || !size_text || endp == size_text || *endp) {
        r = ci_s3_fail(o, CI_ETRANSFER, u, "the listing holds an entry without a valid "
                       "Key and Size");
    } else if (strncmp(key, u->key, plen) == 0 && key[plen] && key[strlen(key) - 1] != '/') {
        if (l->count >= CI_TRANSFER_MAX_OBJECTS)
            r = ci_s3_fail(o, CI_ETOOBIG, u, "more than %d objects under the prefix",
                           CI_TRANSFER_MAX_OBJECTS);
        else if (add_object(l, cap, u->bucket, key, key + plen, size) < 0)
            r = ci_s3_fail(o, CI_ENOMEM, u, "out of memory");
    }
    if (key != raw)
        free(key);
    free(raw);
    free(size_text);
    return r;
}

/* The continuation token of a truncated listing into *token (left NULL
 * on the last page). */
static int next_token(const ci_buf *answer, const struct ci_s3_uri *u, char **token,
                      struct ci_s3_outcome *o)
{
    int r = CI_OK;
    char *truncated = ci_xml_find_text(answer->data, answer->len, "IsTruncated");
    if (truncated && strcmp(truncated, "true") == 0) {
        *token = ci_xml_find_text(answer->data, answer->len, "NextContinuationToken");
        if (!*token)
            r = ci_s3_fail(o, CI_ETRANSFER, u, "a truncated listing without a "
                           "NextContinuationToken");
    }
    free(truncated);
    return r;
}

/* One page of ListObjectsV2 into l. *token becomes the next page's
 * continuation token (NULL on the last page). */
static int list_page(struct ci_transfer *t, const struct ci_s3_uri *u, char **token,
                     struct ci_transfer_listing *l, size_t *cap, struct ci_s3_outcome *o)
{
    struct ci_s3_uri bucket = { u->bucket, "" };
    struct ci_sigv4_param q[4] = {
        { "list-type", "2" }, { "prefix", u->key }, { "encoding-type", "url" },
        { "continuation-token", *token },
    };
    struct ci_s3_request rq = { .method = "GET", .target = &bucket, .query = q,
                                .nquery = *token ? 4 : 3, .body_fd = -1,
                                .answer_cap = LIST_ANSWER_CAP };
    struct ci_s3_call c;
    int r = ci_s3_perform(t, &rq, &c, NULL, 0, o);
    if (r < 0) {
        name_the_prefix(o, u);
        ci_s3_call_clear(&c);
        return r;
    }
    free(*token);
    *token = NULL;
    const char *pos = c.answer.data, *end = pos + c.answer.len, *inner;
    size_t n;
    char *enc = ci_xml_find_text(c.answer.data, c.answer.len, "EncodingType");
    int url_encoded = enc && strcmp(enc, "url") == 0;
    free(enc);
    while (r == CI_OK && ci_xml_next(&pos, end, "Contents", &inner, &n))
        r = list_entry(inner, n, url_encoded, u, l, cap, o);
    if (r == CI_OK)
        r = next_token(&c.answer, u, token, o);
    ci_s3_call_clear(&c);
    return r;
}

static int s3_list(struct ci_transfer *t, const char *uri, struct ci_transfer_listing *out,
                   char *err, size_t errlen)
{
    struct ci_s3_uri u = { 0 };
    struct ci_transfer_listing l = { 0 };
    int r = ci_s3_uri_parse(uri, &u, err, errlen);
    if (r < 0)
        return r;
    struct ci_s3_outcome o = { 0 };
    size_t cap = 0;
    if (!is_prefix(u.key)) {
        const char *slash = strrchr(u.key, '/');
        if (add_object(&l, &cap, u.bucket, u.key, slash ? slash + 1 : u.key, UINT64_MAX) < 0)
            r = ci_s3_fail(&o, CI_ENOMEM, &u, "out of memory");
    } else {
        char *token = NULL;
        do
            r = list_page(t, &u, &token, &l, &cap, &o);
        while (r == 0 && token);
        free(token);
        if (r == 0 && l.count == 0)
            r = ci_s3_fail(&o, CI_ENOKEY, &u, "no object under this prefix");
    }
    if (r < 0) {
        snprintf(err, errlen, "%s", o.message);
        ci_transfer_listing_free(&l);
    } else {
        *out = l;
    }
    ci_s3_uri_clear(&u);
    return r;
}

/* ------------------------------------------------------------------ get */

/* A download that ended well: is it whole, and do the bytes match the
 * ETag? */
static int check_download(struct ci_s3_get *g, uint64_t expect_size, const struct ci_s3_uri *u,
                          struct ci_s3_outcome *o)
{
    if (g->total == UINT64_MAX)
        g->total = g->have; /* no length announced (chunked answer) */
    char want[33], got[33];
    unsigned char d[CI_MD5_LEN];
    ci_md5_final(&g->md5, d);
    ci_md5_to_hex(d, got);
    if (g->have != g->total || (expect_size != UINT64_MAX && g->have != expect_size))
        return ci_s3_fail(o, CI_ECHECKSUM, u, "received %llu bytes, expected %llu",
                          (unsigned long long)g->have,
                          (unsigned long long)(g->have != g->total ? g->total : expect_size));
    if (ci_s3_etag_contradicts(g->etag, g->sse_kms, got, want))
        return ci_s3_fail(o, CI_ECHECKSUM, u, "the MD5 of the received bytes is %s, the "
                          "object's ETag says %s", got, want);
    return CI_OK;
}

static int s3_get(struct ci_transfer *t, const char *uri, uint64_t expect_size, int fd,
                  const struct ci_transfer_progress *p, uint64_t *size, char *err,
                  size_t errlen)
{
    struct ci_s3_uri u = { 0 };
    int r = parse_uri(uri, 0, &u, err, errlen);
    if (r < 0)
        return r;
    struct ci_s3_outcome o = { 0 };
    struct ci_s3_get g = { .fd = fd, .total = UINT64_MAX, .limit = CI_TRANSFER_MAX_OBJECT };
    ci_md5_init(&g.md5);
    struct ci_s3_request rq = { .method = "GET", .target = &u, .body_fd = -1, .get = &g };
    /* a checksum mismatch is worth one fresh download: it may come from
     * the network rather than from the object */
    for (int round = 0;; round++) {
        struct ci_s3_call c;
        r = ci_s3_perform(t, &rq, &c, p, expect_size, &o);
        ci_s3_call_clear(&c);
        if (r < 0)
            break;
        r = check_download(&g, expect_size, &u, &o);
        if (r == CI_OK) {
            *size = g.have;
            break;
        }
        if (round > 0)
            break;
        g.restart = 1;
    }
    if (r < 0)
        snprintf(err, errlen, "%s", o.message);
    ci_s3_uri_clear(&u);
    return r;
}
/* ------------------------------------------------------------------ put */

static int put_single(struct ci_transfer *t, int fd, uint64_t size, const struct ci_s3_uri *u,
                      const struct ci_transfer_progress *p, struct ci_s3_outcome *o)
{
    unsigned char md5[CI_MD5_LEN];
    char md5_hex[33], etag[33];
    ci_md5_ctx m;
    ci_md5_init(&m);
    int read_errno;
    int e = ci_s3_hash_range(t, fd, 0, size, &m, &read_errno);
    ci_md5_final(&m, md5);
    if (e < 0)
        return ci_s3_fail(o, CI_EIO, u, "cannot read the file to upload: %s",
                          read_errno ? strerror(read_errno) : "it became shorter");
    char *b64 = ci_b64_encode(md5, sizeof(md5));
    if (!b64)
        return ci_s3_fail(o, CI_ENOMEM, u, "out of memory");
    ci_md5_to_hex(md5, md5_hex);
    struct ci_s3_request rq = { .method = "PUT", .target = u, .content_md5 = b64,
                                .body_fd = fd, .body_size = size };
    struct ci_s3_call c;
    int r = ci_s3_perform(t, &rq, &c, p, size, o);
    if (r == CI_OK && ci_s3_etag_contradicts(c.etag, c.sse_kms, md5_hex, etag))
        r = ci_s3_fail(o, CI_ECHECKSUM, u, "the server stored an object whose MD5 is %s, the "
                       "file's is %s", etag, md5_hex);
    if (r == CI_OK && p && p->fn)
        p->fn(size, size, p->data);
    ci_s3_call_clear(&c);
    free(b64);
    return r;
}

static int s3_put(struct ci_transfer *t, int fd, uint64_t size, const char *uri,
                  const struct ci_transfer_progress *p, char *err, size_t errlen)
{
    struct ci_s3_uri u = { 0 };
    int r = parse_uri(uri, 0, &u, err, errlen);
    if (r < 0)
        return r;
    struct ci_s3_outcome o = { 0 };
    if (size > CI_TRANSFER_MAX_OBJECT)
        r = ci_s3_fail(&o, CI_ETOOBIG, &u, "%llu bytes is more than the 5 GiB an object may "
                       "have here", (unsigned long long)size);
    else if (size > t->settings->threshold)
        r = ci_s3_put_multipart(t, fd, size, &u, p, &o);
    else
        r = put_single(t, fd, size, &u, p, &o);
    if (r < 0)
        snprintf(err, errlen, "%s", o.message);
    ci_s3_uri_clear(&u);
    return r;
}

const struct ci_transfer_ops ci_s3_transfer_ops = {
    .version = CI_TRANSFER_OPS_VERSION,
    .name = "s3",
    .scheme = "s3://",
    .check_uri = s3_check_uri,
    .open = s3_open,
    .list = s3_list,
    .get = s3_get,
    .put = s3_put,
    .close = s3_close,
};
