/* SPDX-License-Identifier: MIT */
/*
 * One S3 request over libcurl: the URL (path-style on a custom endpoint,
 * virtual-hosted on AWS when the bucket name allows it), the signed
 * headers, bodies streamed from a file with pread (never held in memory),
 * answers streamed into a file or kept small in memory, and the judgement
 * of how it ended: which CI_E* code, and whether it is worth another try.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codeinterp/codeinterp.h"
#include "transfer/s3_internal.h"
#include "util/clock.h"

#define USER_AGENT "libcodeinterp/" "0.1"
#define CONNECT_TIMEOUT_MS 10000L
/* A transfer that moves no byte for this long is dropped (and retried). */
#define STALL_SECONDS 60L
#define IO_BUFFER (256L << 10)
/* Error answers are small; more is dropped. */
#define ERROR_ANSWER_CAP (64u << 10)
/* How often the progress function hears from a transfer that moves. */
#define PROGRESS_EVERY_MS 200
#define BACKOFF_BASE_MS 250
#define BACKOFF_CAP_MS 8000
#define BACKOFF_SLICE_MS 100

/* --------------------------------------------------------------- errors */

static const char *what_of(int code)
{
    switch (code) {
    case CI_ENOCREDENTIALS: return "no credentials";
    case CI_EACCESS: return "access denied";
    case CI_ENOBUCKET: return "no such bucket";
    case CI_ENOKEY: return "no such key";
    case CI_ENETWORK: return "network failure";
    case CI_ECHECKSUM: return "checksum mismatch";
    case CI_ECANCELED: return "canceled";
    case CI_EIO: return "local I/O error";
    case CI_ENOMEM: return "out of memory";
    case CI_ETOOBIG: return "too big";
    case CI_EINVAL: return "invalid request";
    default: return "transfer failed";
    }
}

int ci_s3_fail(struct ci_s3_outcome *o, int code, const struct ci_s3_uri *u, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    o->code = code;
    const char *key = u && u->key ? u->key : "";
    const char *kind = key[0] && key[strlen(key) - 1] == '/' ? "prefix" : "key";
    if (!u)
        snprintf(o->message, sizeof(o->message), "S3: %s: %.500s", what_of(code), detail);
    else if (!key[0])
        snprintf(o->message, sizeof(o->message), "S3 bucket \"%.63s\": %s: %.500s", u->bucket,
                 what_of(code), detail);
    else
        snprintf(o->message, sizeof(o->message), "S3 bucket \"%.63s\" %s \"%.300s\": %s: %.500s",
                 u->bucket, kind, key, what_of(code), detail);
    return code;
}

/* ------------------------------------------------------------ callbacks */

static curl_socket_t open_socket(void *data, curlsocktype purpose, struct curl_sockaddr *a)
{
    (void)data;
    (void)purpose;
    /* curl's own sockets would not be close-on-exec: the host must never
     * hand one to a program it starts */
    return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}

static void header_value(const char *line, size_t n, char *out, size_t cap)
{
    while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
        n--;
    while (n && (*line == ' ' || *line == '\t')) {
        line++;
        n--;
    }
    if (n >= cap)
        n = cap - 1;
    memcpy(out, line, n);
    out[n] = '\0';
}

static int header_is(const char *line, size_t n, const char *name, const char **value,
                     size_t *vlen)
{
    size_t l = strlen(name);
    if (n <= l || line[l] != ':' || strncasecmp(line, name, l) != 0)
        return 0;
    *value = line + l + 1;
    *vlen = n - l - 1;
    return 1;
}

static size_t on_header(char *line, size_t size, size_t nitems, void *data)
{
    struct ci_s3_call *c = data;
    size_t n = size * nitems;
    const char *v;
    size_t vl;
    char tmp[96];
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* a new answer (after a 100 Continue): forget the last one's */
        c->etag[0] = c->bucket_region[0] = '\0';
        c->sse_kms = 0;
        c->content_length = c->range_total = UINT64_MAX;
    } else if (header_is(line, n, "etag", &v, &vl)) {
        header_value(v, vl, c->etag, sizeof(c->etag));
    } else if (header_is(line, n, "x-amz-bucket-region", &v, &vl)) {
        header_value(v, vl, c->bucket_region, sizeof(c->bucket_region));
    } else if (header_is(line, n, "x-amz-server-side-encryption", &v, &vl)) {
        header_value(v, vl, tmp, sizeof(tmp));
        if (strncmp(tmp, "aws:kms", 7) == 0)
            c->sse_kms = 1;
    } else if (header_is(line, n, "x-amz-server-side-encryption-customer-algorithm", &v, &vl)) {
        c->sse_kms = 1;
    } else if (header_is(line, n, "content-length", &v, &vl)) {
        header_value(v, vl, tmp, sizeof(tmp));
        char *end;
        unsigned long long x = strtoull(tmp, &end, 10);
        if (end != tmp && !*end)
            c->content_length = x;
    } else if (header_is(line, n, "content-range", &v, &vl)) {
        header_value(v, vl, tmp, sizeof(tmp));
        const char *slash = strrchr(tmp, '/');
        char *end;
        if (slash && slash[1] != '*') {
            unsigned long long x = strtoull(slash + 1, &end, 10);
            if (end != slash + 1 && !*end)
                c->range_total = x;
        }
    }
    return n;
}

/* The first body byte (or the end of a bodiless answer) of a download:
 * learn the object's length and ETag, or start over when the server sent
 * the whole object for a ranged request or the object changed. */
static void get_begin(struct ci_s3_call *c)
{
    struct ci_s3_get *g = c->rq->get;
    c->first_data = 0;
    if (c->status == 206) {
        if (g->etag[0] && c->etag[0] && strcmp(g->etag, c->etag) != 0)
            g->restart = 1; /* should not happen with If-Match; be safe */
        if (c->range_total != UINT64_MAX)
            g->total = c->range_total;
        return;
    }
    if (g->have > 0)
        g->restart = 1;
    if (g->restart) {
        /* whole object again from byte 0 */
        if (ftruncate(g->fd, 0) < 0)
            g->io_errno = errno;
        g->have = 0;
        ci_md5_init(&g->md5);
        g->restart = 0;
    }
    g->total = c->content_length;
    snprintf(g->etag, sizeof(g->etag), "%s", c->etag);
    g->sse_kms = c->sse_kms;
    if (g->total != UINT64_MAX && g->limit && g->total > g->limit)
        g->io_errno = EFBIG;
}

static size_t on_data(char *p, size_t size, size_t nitems, void *data)
{
    struct ci_s3_call *c = data;
    size_t n = size * nitems;
    if (c->first_data)
        curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
    struct ci_s3_get *g = c->rq->get;
    if (g && c->status / 100 == 2) {
        if (c->first_data)
            get_begin(c);
        if (g->io_errno)
            return 0;
        for (size_t done = 0; done < n;) {
            ssize_t w = pwrite(g->fd, p + done, n - done, (off_t)(g->have + done));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                g->io_errno = w < 0 ? errno : EIO;
                return 0;
            }
            done += (size_t)w;
        }
        ci_md5_update(&g->md5, p, n);
        g->have += n;
        return n;
    }
    c->first_data = 0;
    size_t keep = c->answer.len >= c->answer_cap ? 0
                : n < c->answer_cap - c->answer.len ? n : c->answer_cap - c->answer.len;
    if (keep < n && c->status / 100 == 2) {
        c->answer_over = 1;
        return 0;
    }
    if (keep && ci_buf_append(&c->answer, p, keep) < 0) {
        c->answer_over = 1;
        return 0;
    }
    return n;
}

static size_t on_read(char *buf, size_t size, size_t nitems, void *data)
{
    struct ci_s3_call *c = data;
    const struct ci_s3_request *rq = c->rq;
    uint64_t left = rq->body_size - c->sent;
    size_t want = size * nitems < left ? size * nitems : (size_t)left;
    if (want == 0)
        return 0;
    for (;;) {
        ssize_t n = pread(rq->body_fd, buf, want, (off_t)(rq->body_off + c->sent));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            c->body_short = 1;
            return CURL_READFUNC_ABORT;
        }
        c->sent += (uint64_t)n;
        return (size_t)n;
    }
}

static int on_seek(void *data, curl_off_t offset, int origin)
{
    struct ci_s3_call *c = data;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > c->rq->body_size)
        return CURL_SEEKFUNC_CANTSEEK;
    c->sent = (uint64_t)offset;
    return CURL_SEEKFUNC_OK;
}

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)ultotal;
    (void)dlnow;
    struct ci_s3_call *c = data;
    if (!c->progress || !c->progress->fn)
        return 0;
    uint64_t done = c->rq->get ? c->rq->get->have
                  : c->progress_base + (uint64_t)(ulnow > 0 ? ulnow : 0);
    uint64_t total = c->rq->get && c->rq->get->total != UINT64_MAX ? c->rq->get->total
                   : c->progress_total;
    if (c->progress->fn(done, total, c->progress->data) != 0) {
        c->stopped = 1;
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- setup */

static int fixed_options(struct ci_transfer *t, CURL *h, struct ci_s3_call *c)
{
    int bad = 0;
#define SET(opt, val) bad |= curl_easy_setopt(h, opt, val) != CURLE_OK
    SET(CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SET(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    SET(CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    SET(CURLOPT_LOW_SPEED_LIMIT, 1L);
    SET(CURLOPT_LOW_SPEED_TIME, STALL_SECONDS);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (t->settings->ca_file)
        SET(CURLOPT_CAINFO, t->settings->ca_file);
    SET(CURLOPT_BUFFERSIZE, IO_BUFFER);
    SET(CURLOPT_UPLOAD_BUFFERSIZE, IO_BUFFER);
    SET(CURLOPT_USERAGENT, USER_AGENT);
    SET(CURLOPT_OPENSOCKETFUNCTION, open_socket);
    SET(CURLOPT_ERRORBUFFER, c->curl_error);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, c);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, c);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, c);
    SET(CURLOPT_PRIVATE, c);
#undef SET
    return bad ? CI_ENOMEM : CI_OK;
}

/* Virtual-hosted addressing needs a name that is a valid DNS label and
 * carries no dot (a dotted name breaks the TLS wildcard). */
static int dns_bucket(const char *b)
{
    for (const char *p = b; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
            return 0;
    return b[0] != '-' && b[strlen(b) - 1] != '-';
}

static int amz_now(char out[17])
{
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
        return CI_EINVAL;
    return CI_OK;
}

void ci_s3_call_clear(struct ci_s3_call *c)
{
    curl_slist_free_all(c->headers);
    c->headers = NULL;
    ci_buf_free(&c->url);
    ci_buf_free(&c->answer);
}

static int add_header(struct curl_slist **l, const char *name, const char *value)
{
    char *line = NULL;
    if (asprintf(&line, "%s: %s", name, value) < 0)
        return CI_ENOMEM;
    struct curl_slist *n = curl_slist_append(*l, line);
    free(line);
    if (!n)
        return CI_ENOMEM;
    *l = n;
    return CI_OK;
}

static void call_init(struct ci_s3_call *c, CURL *h, const struct ci_s3_request *rq)
{
    memset(c, 0, sizeof(*c));
    c->h = h;
    c->rq = rq;
    c->first_data = 1;
    c->content_length = c->range_total = UINT64_MAX;
    c->answer_cap = rq->answer_cap ? rq->answer_cap : ERROR_ANSWER_CAP;
}

/* The host to address and the percent-encoded path: path-style on a
 * custom endpoint or for a bucket whose name is no DNS label,
 * virtual-hosted otherwise. */
static int request_target(const struct ci_transfer *t, const struct ci_s3_uri *u, char *host,
                          size_t hostlen, ci_buf *path)
{
    const char *region = t->settings->region;
    int e = 0;
    if (t->custom || !dns_bucket(u->bucket)) {
        if (!t->custom)
            snprintf(host, hostlen, "s3.%s.amazonaws.com", region);
        else
            snprintf(host, hostlen, "%s", t->host);
        e |= ci_buf_append(path, t->base_path, strlen(t->base_path));
        e |= ci_buf_append(path, "/", 1);
        e |= ci_s3_uri_encode(path, u->bucket, strlen(u->bucket), 0);
        if (u->key[0]) {
            e |= ci_buf_append(path, "/", 1);
            e |= ci_s3_uri_encode(path, u->key, strlen(u->key), 1);
        }
    } else {
        snprintf(host, hostlen, "%s.s3.%s.amazonaws.com", u->bucket, region);
        e |= ci_buf_append(path, "/", 1);
        e |= ci_s3_uri_encode(path, u->key, strlen(u->key), 1);
    }
    return e ? CI_ENOMEM : CI_OK;
}

static int request_url(const struct ci_transfer *t, const char *host, const ci_buf *path,
                       const struct ci_s3_request *rq, ci_buf *url)
{
    ci_buf query = { 0 };
    int e = ci_sigv4_canonical_query(rq->query, rq->nquery, &query);
    e |= ci_buf_append(url, t->scheme, strlen(t->scheme));
    e |= ci_buf_append(url, "://", 3);
    e |= ci_buf_append(url, host, strlen(host));
    e |= ci_buf_append(url, path->data, path->len);
    if (query.len) {
        e |= ci_buf_append(url, "?", 1);
        e |= ci_buf_append(url, query.data, query.len);
    }
    ci_buf_free(&query);
    return e ? CI_ENOMEM : CI_OK;
}

/* The headers a request signs and sends, and the strings they point to. */
struct header_set {
    struct ci_sigv4_header h[10];
    size_t n;
    char date[17];
    char range[64];
    const char *payload;  /* the payload's hash, or UNSIGNED-PAYLOAD */
    char payload_hash[CI_SHA256_HEX_LEN + 1];
};

static int headers_to_sign(const struct ci_transfer *t, const struct ci_s3_request *rq,
                           const char *host, struct header_set *hs)
{
    if (amz_now(hs->date) < 0)
        return CI_EINVAL;
    /* A file body is not hashed into the signature (it would take another
     * pass over it): its Content-MD5 is, which binds the bytes just as well
     * and lets the server check them. Small bodies are signed whole. */
    hs->payload = "UNSIGNED-PAYLOAD";
    if (rq->body_fd < 0) {
        ci_sha256_hex(rq->body ? rq->body : "", rq->body ? rq->body_len : 0, hs->payload_hash);
        hs->payload = hs->payload_hash;
    }
    struct ci_sigv4_header *h = hs->h;
    size_t n = 0;
    h[n++] = (struct ci_sigv4_header){ "host", host };
    h[n++] = (struct ci_sigv4_header){ "x-amz-date", hs->date };
    h[n++] = (struct ci_sigv4_header){ "x-amz-content-sha256", hs->payload };
    if (t->settings->session_token)
        h[n++] = (struct ci_sigv4_header){ "x-amz-security-token", t->settings->session_token };
    if (rq->content_md5)
        h[n++] = (struct ci_sigv4_header){ "content-md5", rq->content_md5 };
    if (rq->content_type)
        h[n++] = (struct ci_sigv4_header){ "content-type", rq->content_type };
    const struct ci_s3_get *g = rq->get;
    if (g && g->have > 0) {
        snprintf(hs->range, sizeof(hs->range), "bytes=%llu-", (unsigned long long)g->have);
        h[n++] = (struct ci_sigv4_header){ "range", hs->range };
        if (g->etag[0])
            h[n++] = (struct ci_sigv4_header){ "if-match", g->etag };
    }
    hs->n = n;
    return CI_OK;
}

/* Signs the headers and lists them for curl, Authorization added. */
static int sign_headers(const struct ci_transfer *t, const struct ci_s3_request *rq,
                        const char *path, const struct header_set *hs,
                        struct curl_slist **out)
{
    const struct ci_s3_settings *set = t->settings;
    ci_buf auth = { 0 };
    struct ci_sigv4_request sr = { rq->method, path, rq->query, rq->nquery, hs->h, hs->n,
                                   hs->payload };
    struct ci_sigv4_scope scope = { set->access_key, set->secret_key, set->region, "s3",
                                    hs->date };
    int e = ci_sigv4_authorization(&sr, &scope, &auth, NULL);
    /* Host too: curl's own could differ from the signed one (a default
     * port written out, letters in another case) */
    for (size_t i = 0; e == CI_OK && i < hs->n; i++)
        e = add_header(out, hs->h[i].name, hs->h[i].value);
    if (e == CI_OK)
        e = add_header(out, "Authorization", ci_buf_cstr(&auth));
    /* no "Expect: 100-continue" pause before each body */
    if (e == CI_OK && !(*out = curl_slist_append(*out, "Expect:")))
        e = CI_ENOMEM;
    explicit_bzero(auth.data, auth.cap);
    ci_buf_free(&auth);
    return e;
}

/* curl's options for the request's method and body. */
static int method_options(CURL *h, const struct ci_s3_request *rq, struct ci_s3_call *c)
{
    int bad = 0;
#define SET(opt, val) bad |= curl_easy_setopt(h, opt, val) != CURLE_OK
    if (rq->body_fd >= 0) {
        SET(CURLOPT_UPLOAD, 1L);
        SET(CURLOPT_READFUNCTION, on_read);
        SET(CURLOPT_READDATA, c);
        SET(CURLOPT_SEEKFUNCTION, on_seek);
        SET(CURLOPT_SEEKDATA, c);
        SET(CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_size);
        if (strcmp(rq->method, "PUT") != 0)
            SET(CURLOPT_CUSTOMREQUEST, rq->method);
    } else if (strcmp(rq->method, "POST") == 0) {
        SET(CURLOPT_POST, 1L);
        SET(CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
    } else if (strcmp(rq->method, "HEAD") == 0) {
        SET(CURLOPT_NOBODY, 1L);
    } else if (strcmp(rq->method, "GET") != 0) {
        SET(CURLOPT_CUSTOMREQUEST, rq->method);
    }
#undef SET
    return bad ? CI_ENOMEM : CI_OK;
}

static int request_options(struct ci_transfer *t, CURL *h, struct ci_s3_call *c)
{
    curl_easy_reset(h);
    if (fixed_options(t, h, c) < 0 ||
        curl_easy_setopt(h, CURLOPT_URL, ci_buf_cstr(&c->url)) != CURLE_OK ||
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK)
        return CI_ENOMEM;
    return method_options(h, c->rq, c);
}

int ci_s3_call_setup(struct ci_transfer *t, CURL *h, const struct ci_s3_request *rq,
                     struct ci_s3_call *c, struct ci_s3_outcome *o)
{
    const struct ci_s3_uri *u = rq->target;
    call_init(c, h, rq);
    if (!t->settings->access_key || !t->settings->secret_key)
        return ci_s3_fail(o, CI_ENOCREDENTIALS, u,
                          "set them with ci_config_set_s3_credentials() or the environment "
                          "variables AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
    char host[512];
    ci_buf path = { 0 };
    struct header_set hs;
    int e = request_target(t, u, host, sizeof(host), &path);
    if (e == CI_OK)
        e = request_url(t, host, &path, rq, &c->url);
    if (e == CI_OK)
        e = headers_to_sign(t, rq, host, &hs);
    if (e == CI_OK)
        e = sign_headers(t, rq, ci_buf_cstr(&path), &hs, &c->headers);
    ci_buf_free(&path);
    if (e == CI_OK)
        e = request_options(t, h, c);
    if (e != CI_OK) {
        ci_s3_call_clear(c);
        return ci_s3_fail(o, CI_ENOMEM, u, "cannot prepare the request");
    }
    return CI_OK;
}

/* ---------------------------------------------------------------- judge */

static int one_of(const char *s, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(s, *list) == 0)
            return 1;
    return 0;
}

/* A failure on this side: canceled, a local read or write, an answer too
 * large. 1 when o holds one. */
static int judge_local(const struct ci_s3_call *c, CURLcode cc, struct ci_s3_outcome *o)
{
    const struct ci_s3_uri *u = c->rq->target;
    const struct ci_s3_get *g = c->rq->get;
    if (c->stopped || cc == CURLE_ABORTED_BY_CALLBACK)
        ci_s3_fail(o, CI_ECANCELED, u, "stopped on request");
    else if (g && g->io_errno == EFBIG && g->total != UINT64_MAX && g->total > g->limit)
        ci_s3_fail(o, CI_ETOOBIG, u, "the object has %llu bytes, more than the %llu a download "
                   "may have here", (unsigned long long)g->total, (unsigned long long)g->limit);
    else if (g && g->io_errno)
        ci_s3_fail(o, CI_EIO, u, "cannot write the downloaded data: %s", strerror(g->io_errno));
    else if (c->body_short)
        ci_s3_fail(o, CI_EIO, u, "the file being uploaded became shorter while it was read");
    else if (c->answer_over)
        ci_s3_fail(o, CI_ETRANSFER, u, "the server's answer is larger than %zu bytes",
                   c->answer_cap);
    else
        return 0;
    return 1;
}

/* A failure curl reports: which code, and whether it is worth another
 * try. 1 when o holds one. */
static int judge_curl(const struct ci_transfer *t, const struct ci_s3_call *c, CURLcode cc,
                      struct ci_s3_outcome *o)
{
    if (cc == CURLE_OK)
        return 0;
    const struct ci_s3_uri *u = c->rq->target;
    const char *detail = c->curl_error[0] ? c->curl_error : curl_easy_strerror(cc);
    switch (cc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        ci_s3_fail(o, CI_ENETWORK, u, "the server's TLS certificate could not be verified "
                   "(%s)%s", detail, t->settings->ca_file ? "" : "; a private CA can be added "
                   "with ci_config_set_s3_ca_file()");
        break;
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
        ci_s3_fail(o, CI_EINVAL, u, "bad endpoint URL (%s)", detail);
        break;
    case CURLE_OUT_OF_MEMORY:
        ci_s3_fail(o, CI_ENOMEM, u, "out of memory in libcurl");
        break;
    case CURLE_READ_ERROR:
        ci_s3_fail(o, CI_EIO, u, "cannot read the file being uploaded (%s)", detail);
        break;
    case CURLE_WRITE_ERROR:
        ci_s3_fail(o, CI_EIO, u, "cannot store the answer (%s)", detail);
        break;
    default:
        o->retry = 1;
        ci_s3_fail(o, CI_ENETWORK, u, "%s", detail);
        break;
    }
    return 1;
}

static const char *const retry_codes[] = { "SlowDown", "RequestTimeout", "InternalError",
                                           "ServiceUnavailable", "Throttling",
                                           "ThrottlingException", NULL };
static const char *const denied_codes[] = { "AccessDenied", "InvalidAccessKeyId",
                                            "SignatureDoesNotMatch", "InvalidToken",
                                            "ExpiredToken", "TokenRefreshRequired",
                                            "RequestTimeTooSkewed", "AllAccessDisabled",
                                            "AccountProblem", "InvalidSecurity",
                                            "InvalidObjectState", NULL };
static const char *const digest_codes[] = { "BadDigest", "InvalidDigest",
                                            "XAmzContentSHA256Mismatch", NULL };
static const char *const moved_codes[] = { "PermanentRedirect", "TemporaryRedirect",
                                           "AuthorizationHeaderMalformed",
                                           "IllegalLocationConstraintException", NULL };

/* An error answer's HTTP status and S3 code (in o->s3_code): which CI_E*
 * code, and whether it is worth another try. detail tells them. */
static void judge_status(struct ci_s3_call *c, const char *detail, const char *bucket_region,
                         struct ci_s3_outcome *o)
{
    const struct ci_s3_uri *u = c->rq->target;
    struct ci_s3_get *g = c->rq->get;
    long st = c->status;
    const char *s3 = o->s3_code;
    int region_known = bucket_region && *bucket_region;
    if (st >= 500 || st == 429 || one_of(s3, retry_codes)) {
        o->retry = 1;
        ci_s3_fail(o, CI_ETRANSFER, u, "the server failed (%s)", detail);
    } else if (one_of(s3, moved_codes) || ((st == 301 || st == 307) && region_known)) {
        ci_s3_fail(o, CI_ETRANSFER, u, "the bucket is in another region%s%s%s (%s)",
                   region_known ? " (" : "", region_known ? bucket_region : "",
                   region_known ? "): set it with ci_config_set_s3_region() or AWS_REGION" : "",
                   detail);
    } else if (st == 403 || one_of(s3, denied_codes)) {
        ci_s3_fail(o, CI_EACCESS, u, "%s", detail);
    } else if (strcmp(s3, "NoSuchBucket") == 0 || (st == 404 && !s3[0] && !u->key[0])) {
        ci_s3_fail(o, CI_ENOBUCKET, u, "%s", detail);
    } else if (strcmp(s3, "NoSuchKey") == 0 || (st == 404 && !s3[0])) {
        ci_s3_fail(o, CI_ENOKEY, u, "%s", detail);
    } else if (one_of(s3, digest_codes)) {
        ci_s3_fail(o, CI_ECHECKSUM, u, "the server received other bytes than were sent (%s)",
                   detail);
    } else if (st == 412 && g) {
        /* If-Match failed on a resumed download: the object was replaced */
        g->restart = 1;
        o->retry = 1;
        ci_s3_fail(o, CI_ETRANSFER, u, "the object changed during the download (%s)", detail);
    } else {
        ci_s3_fail(o, CI_ETRANSFER, u, "%s", detail);
    }
}

/* An answer other than 2xx: what its XML body says, judged. */
static void judge_answer(struct ci_s3_call *c, struct ci_s3_outcome *o)
{
    char *code = ci_xml_find_text(c->answer.data, c->answer.len, "Code");
    char *msg = ci_xml_find_text(c->answer.data, c->answer.len, "Message");
    char *region = ci_xml_find_text(c->answer.data, c->answer.len, "Region");
    snprintf(o->s3_code, sizeof(o->s3_code), "%s", code ? code : "");
    char detail[400];
    if (code)
        snprintf(detail, sizeof(detail), "HTTP %ld, %s%s%.240s", c->status, code,
                 msg && *msg ? ": " : "", msg ? msg : "");
    else
        snprintf(detail, sizeof(detail), "HTTP %ld", c->status);
    judge_status(c, detail, c->bucket_region[0] ? c->bucket_region : region, o);
    free(code);
    free(msg);
    free(region);
}

void ci_s3_judge(struct ci_transfer *t, struct ci_s3_call *c, CURLcode cc,
                 struct ci_s3_outcome *o)
{
    memset(o, 0, sizeof(*o));
    curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &c->status);
    if (cc == CURLE_OK && c->rq->get && c->first_data && c->status / 100 == 2)
        get_begin(c); /* an empty object: no data callback came */
    if (judge_local(c, cc, o) || judge_curl(t, c, cc, o) || c->status / 100 == 2)
        return;
    judge_answer(c, o);
}

/* -------------------------------------------------------------- perform */

static uint64_t rand_below(uint64_t n)
{
    static _Thread_local uint64_t x;
    if (!x)
        x = ci_now_us() * 0x9E3779B97F4A7C15ull | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return n ? x % n : 0;
}

uint64_t ci_s3_backoff_ms(unsigned attempt)
{
    uint64_t delay = BACKOFF_BASE_MS;
    for (unsigned i = 1; i < attempt && delay < BACKOFF_CAP_MS; i++)
        delay *= 2;
    if (delay > BACKOFF_CAP_MS)
        delay = BACKOFF_CAP_MS;
    /* half fixed, half random: spread the retries of parallel parts */
    return delay / 2 + rand_below(delay / 2 + 1);
}

int ci_s3_backoff(unsigned attempt, const struct ci_transfer_progress *p, uint64_t done,
                  uint64_t total)
{
    uint64_t until = ci_now_ms() + ci_s3_backoff_ms(attempt);
    for (;;) {
        if (p && p->fn && p->fn(done, total, p->data) != 0)
            return CI_ECANCELED;
        uint64_t now = ci_now_ms();
        if (now >= until)
            return CI_OK;
        uint64_t slice = until - now < BACKOFF_SLICE_MS ? until - now : BACKOFF_SLICE_MS;
        poll(NULL, 0, (int)slice);
    }
}

int ci_s3_perform(struct ci_transfer *t, const struct ci_s3_request *rq, struct ci_s3_call *c,
                  const struct ci_transfer_progress *p, uint64_t total,
                  struct ci_s3_outcome *o)
{
    struct ci_s3_get *g = rq->get;
    for (unsigned attempt = 1;; attempt++) {
        if (g && g->restart) {
            if (ftruncate(g->fd, 0) < 0)
                return ci_s3_fail(o, CI_EIO, rq->target, "cannot truncate the download: %s",
                                  strerror(errno));
            g->have = 0;
            g->etag[0] = '\0';
            ci_md5_init(&g->md5);
            g->restart = 0;
        }
        int r = ci_s3_call_setup(t, t->easy, rq, c, o);
        if (r < 0)
            return r;
        c->progress = p;
        c->progress_total = total;
        CURLcode cc = curl_easy_perform(t->easy);
        ci_s3_judge(t, c, cc, o);
        if (o->code == 0 && g && g->total != UINT64_MAX && g->have < g->total) {
            /* the connection ended early without curl noticing */
            o->retry = 1;
            ci_s3_fail(o, CI_ENETWORK, rq->target, "the download ended after %llu of %llu bytes",
                       (unsigned long long)g->have, (unsigned long long)g->total);
        }
        if (o->code != 0 && g && c->status == 416 && g->total != UINT64_MAX &&
            g->have == g->total)
            o->code = 0; /* everything was there before the resume */
        if (o->code == 0)
            return CI_OK;
        if (!o->retry || attempt >= t->settings->max_attempts) {
            if (o->retry) {
                char more[64];
                snprintf(more, sizeof(more), " (after %u attempts)", attempt);
                size_t len = strlen(o->message);
                snprintf(o->message + len, sizeof(o->message) - len, "%s", more);
            }
            return o->code;
        }
        uint64_t done = g ? g->have : 0;
        ci_s3_call_clear(c);
        if (ci_s3_backoff(attempt, p, done, total) < 0)
            return ci_s3_fail(o, CI_ECANCELED, rq->target, "stopped on request");
    }
}

int ci_s3_hash_range(struct ci_transfer *t, int fd, uint64_t off, uint64_t len, ci_md5_ctx *md5,
                     int *read_errno)
{
    while (len > 0) {
        size_t want = len < CI_S3_SCRATCH ? (size_t)len : CI_S3_SCRATCH;
        ssize_t n = pread(fd, t->scratch, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *read_errno = n < 0 ? errno : 0;
            return CI_EIO;
        }
        ci_md5_update(md5, t->scratch, (size_t)n);
        off += (uint64_t)n;
        len -= (uint64_t)n;
    }
    return CI_OK;
}
