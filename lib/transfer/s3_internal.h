/* SPDX-License-Identifier: MIT */
/*
 * Pieces of the S3 backend shared by its files and reached by the unit
 * tests: s3:// URIs and percent-encoding (s3_uri.c), Signature Version 4
 * (s3_sigv4.c), the little XML S3 answers with (s3_xml.c), the HTTP
 * exchanges with retries (s3_http.c), what ETags say (s3_etag.c) and
 * multipart uploads (s3_multipart.c). Every function here that can fail
 * returns 0 or a negative CI_E* code.
 */
#pragma once
#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "transfer/s3_settings.h"
#include "transfer/transfer.h"
#include "util/buf.h"
#include "util/md5.h"
#include "util/sha256.h"

/* ------------------------------------------------------------- s3_uri.c */

/* "s3://bucket/key": key is "" for the bucket itself; a key ending in '/'
 * is a prefix. */
struct ci_s3_uri {
    char *bucket;
    char *key;
};

#define CI_S3_MAX_KEY 1024

/* Parses and checks a URI: bucket of 3..63 letters, digits, '.', '-' or
 * '_'; key of at most 1024 bytes without control characters. 0 or
 * CI_EINVAL / CI_ENOMEM with a message. */
int ci_s3_uri_parse(const char *uri, struct ci_s3_uri *out, char *err, size_t errlen);
void ci_s3_uri_clear(struct ci_s3_uri *u);
/* "s3://bucket/key" for bucket and key; NULL when out of memory. */
char *ci_s3_uri_format(const char *bucket, const char *key);

/* Appends len bytes of s percent-encoded as SigV4 wants (RFC 3986: only
 * A-Z a-z 0-9 - . _ ~ stay, and '/' too with keep_slash, for paths). 0 or
 * CI_ENOMEM. */
int ci_s3_uri_encode(ci_buf *out, const char *s, size_t len, int keep_slash);
/* Decodes %XX escapes (and '+' as a space when plus_is_space: S3's
 * encoding-type=url answers) into a new string; NULL when malformed or
 * out of memory. */
char *ci_s3_uri_decode(const char *s, size_t len, int plus_is_space);

/* ----------------------------------------------------------- s3_sigv4.c */

struct ci_sigv4_header {
    const char *name;  /* any case: lowercased when signed */
    const char *value; /* trimmed, inner runs of spaces folded when signed */
};

struct ci_sigv4_param {
    const char *name;  /* raw: encoded when signed */
    const char *value; /* raw; "" for a parameter without a value */
};

struct ci_sigv4_request {
    const char *method;
    const char *path;  /* already percent-encoded, as sent */
    const struct ci_sigv4_param *query;
    size_t nquery;
    const struct ci_sigv4_header *headers; /* every header to sign, host included */
    size_t nheaders;
    const char *payload_hash; /* hex SHA-256 or "UNSIGNED-PAYLOAD" */
};

struct ci_sigv4_scope {
    const char *access_key;
    const char *secret_key;
    const char *region;
    const char *service;  /* "s3" */
    const char *amz_date; /* "YYYYMMDDTHHMMSSZ" */
};

/* The canonical query string: encoded name=value pairs sorted by name,
 * then value, joined with '&'. Also what a URL should carry. 0 or
 * CI_ENOMEM. */
int ci_sigv4_canonical_query(const struct ci_sigv4_param *q, size_t n, ci_buf *out);
/* The canonical request, and the signed header list ("host;x-amz-date").
 * 0, CI_ENOMEM or CI_EINVAL (more than 32 headers, or a name of 64 bytes or
 * more). */
int ci_sigv4_canonical_request(const struct ci_sigv4_request *r, ci_buf *out,
                               ci_buf *signed_headers);
/* The signing key of a day: HMAC chain over "AWS4"+secret, date (8
 * digits), region, service, "aws4_request". */
void ci_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                          const char *service, unsigned char out[CI_SHA256_LEN]);
/* The Authorization header value, and the signature alone (64 hex + NUL)
 * if sig is not NULL. 0 or CI_ENOMEM / CI_EINVAL. */
int ci_sigv4_authorization(const struct ci_sigv4_request *r, const struct ci_sigv4_scope *s,
                           ci_buf *out, char *sig);

/* ------------------------------------------------------------- s3_xml.c */

/* Finds the next element named tag (<tag>…</tag>, <tag attr…>…</tag> or
 * <tag/>) in [*pos, end): its raw content in *inner and *len, *pos moved
 * past it. 1 when found, 0 when not. Elements of the same name must not
 * nest (they do not in S3's answers). */
int ci_xml_next(const char **pos, const char *end, const char *tag, const char **inner,
                size_t *len);
/* The text of an element's content with the five entities, numeric
 * character references and CDATA sections decoded; a new string, NULL
 * when malformed or out of memory. */
char *ci_xml_text(const char *inner, size_t len);
/* The decoded text of the first element named tag in [doc, doc+len), or
 * NULL. */
char *ci_xml_find_text(const char *doc, size_t len, const char *tag);

/* ------------------------------------------------------------ s3_http.c */

struct ci_transfer {
    /* each the parameters' if set, else the environment's, else the
     * default: the numbers are never 0, the credentials, endpoint and CA
     * file may be missing */
    struct ci_s3_settings *settings;
    char *scheme;      /* "https" or "http" */
    char *host;        /* host[:port] of the endpoint (AWS: NULL, per bucket) */
    char *base_path;   /* a custom endpoint's path, "" or "/base" */
    int custom;        /* a custom endpoint: path-style addressing */
    CURL *easy;        /* reused by the one-at-a-time requests */
    unsigned char *scratch; /* hashing buffer, CI_S3_SCRATCH bytes */
};

#define CI_S3_SCRATCH (256u << 10)

/* A file being downloaded: bytes already in it, their MD5, and the
 * object's ETag and length as the first answer gave them. */
struct ci_s3_get {
    int fd;
    uint64_t have;
    ci_md5_ctx md5;
    char etag[80];
    uint64_t total;     /* UINT64_MAX until known */
    uint64_t limit;     /* a longer object fails with CI_ETOOBIG */
    int sse_kms;        /* ETag is not an MD5 (SSE-KMS, SSE-C) */
    int restart;        /* the server ignored a Range: start again */
    int io_errno;       /* a local write failed */
};

/* One request. */
struct ci_s3_request {
    const char *method;
    const struct ci_s3_uri *target;     /* bucket + key ("" for the bucket) */
    const struct ci_sigv4_param *query;
    size_t nquery;
    const char *content_md5;            /* base64, or NULL */
    const char *content_type;           /* or NULL */
    const char *body;                   /* memory body, or NULL */
    size_t body_len;
    int body_fd;                        /* file body when >= 0 */
    uint64_t body_off, body_size;
    struct ci_s3_get *get;              /* stream a 2xx answer into this file */
    size_t answer_cap;                  /* largest in-memory answer kept */
};

/* One exchange on a curl easy handle: what went out, what came back. */
struct ci_s3_call {
    CURL *h;
    struct curl_slist *headers;
    ci_buf url;
    const struct ci_s3_request *rq;
    uint64_t sent;                      /* bytes of a file body read so far */
    int body_short;                     /* the file ended before body_size */
    long status;
    ci_buf answer;                      /* the body, unless streamed */
    size_t answer_cap;
    int answer_over;
    char etag[80];
    char bucket_region[64];
    int sse_kms;
    uint64_t content_length;            /* UINT64_MAX when absent */
    uint64_t range_total;               /* of a Content-Range, or UINT64_MAX */
    int first_data;                     /* no body byte seen yet */
    char curl_error[CURL_ERROR_SIZE];
    const struct ci_transfer_progress *progress;
    uint64_t progress_base;             /* added to the bytes of this call */
    uint64_t progress_total;
    int stopped;                        /* progress asked to stop */
};

/* How an exchange ended. */
struct ci_s3_outcome {
    int code;        /* 0 or CI_E* */
    int retry;       /* worth trying again (network, 5xx, throttling) */
    char s3_code[64];
    char message[1024];
};

/* Builds the URL, signs and sets up the call on handle h (borrowed). 0 or
 * CI_ENOMEM / CI_ENOCREDENTIALS with o filled. */
int ci_s3_call_setup(struct ci_transfer *t, CURL *h, const struct ci_s3_request *rq,
                     struct ci_s3_call *c, struct ci_s3_outcome *o);
/* Releases what setup allocated (not the handle). */
void ci_s3_call_clear(struct ci_s3_call *c);
/* Judges a finished call. */
void ci_s3_judge(struct ci_transfer *t, struct ci_s3_call *c, CURLcode cc,
                 struct ci_s3_outcome *o);
/* One request to the end, retried with backoff while o->retry says so.
 * On return c holds the last exchange (clear it). 0 or CI_E*. */
int ci_s3_perform(struct ci_transfer *t, const struct ci_s3_request *rq, struct ci_s3_call *c,
                  const struct ci_transfer_progress *p, uint64_t total,
                  struct ci_s3_outcome *o);
/* Waits before attempt `attempt` + 1 (exponential backoff with jitter),
 * calling the progress function meanwhile; CI_ECANCELED if it asks to
 * stop. */
int ci_s3_backoff(unsigned attempt, const struct ci_transfer_progress *p, uint64_t done,
                  uint64_t total);
/* The pause after failed attempt number `attempt` (1, 2, ...): doubling
 * from 250 ms up to 8 s, half of it random. */
uint64_t ci_s3_backoff_ms(unsigned attempt);
/* Fills o with a message about target: "S3 bucket "b" key "k": what". */
int ci_s3_fail(struct ci_s3_outcome *o, int code, const struct ci_s3_uri *target,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Feeds [off, off+len) of fd to the MD5 using the client's scratch buffer.
 * 0, or CI_EIO with *read_errno the errno of the failed read (0: the file
 * ends before off+len). */
int ci_s3_hash_range(struct ci_transfer *t, int fd, uint64_t off, uint64_t len, ci_md5_ctx *md5,
                     int *read_errno);

/* ------------------------------------------------------------ s3_etag.c */

/* 1 when etag is a plain MD5 (32 hex digits, quoted or not) other than
 * md5_hex, the MD5 of the bytes (lowercase hex): said then holds the
 * ETag's, lowercase. 0 when it agrees, or says nothing about the MD5 (a
 * multipart ETag, or sse: encrypted with SSE-KMS or SSE-C). */
int ci_s3_etag_contradicts(const char *etag, int sse, const char *md5_hex, char said[33]);
/* 1 when etag, quoted or not, is want (case aside). */
int ci_s3_etag_is(const char *etag, const char *want);

/* ------------------------------------------------------- s3_multipart.c */

/* Uploads size bytes of fd as target in parts, several in flight; aborts
 * the upload on failure. */
int ci_s3_put_multipart(struct ci_transfer *t, int fd, uint64_t size,
                        const struct ci_s3_uri *target, const struct ci_transfer_progress *p,
                        struct ci_s3_outcome *o);
