/* SPDX-License-Identifier: MIT */
/*
 * AWS Signature Version 4 for requests signed in the Authorization header:
 * canonical request, string to sign, the day's signing key, signature.
 * tests/test_s3.c checks it against AWS's published examples.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "codeinterp/codeinterp.h"
#include "transfer/s3_internal.h"
#include "util/hmac_sha256.h"

#define MAX_SIGNED_HEADERS 32

struct encoded_param {
    char *name;
    char *value;
};

static int by_param(const void *a, const void *b)
{
    const struct encoded_param *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->value, y->value);
}

static char *encode(const char *s)
{
    ci_buf b = { 0 };
    if (ci_s3_uri_encode(&b, s, strlen(s), 0) < 0) {
        ci_buf_free(&b);
        return NULL;
    }
    return ci_buf_steal(&b);
}

int ci_sigv4_canonical_query(const struct ci_sigv4_param *q, size_t n, ci_buf *out)
{
    struct encoded_param *e = calloc(n ? n : 1, sizeof(*e));
    int r = e ? 0 : CI_ENOMEM;
    for (size_t i = 0; r == 0 && i < n; i++) {
        e[i].name = encode(q[i].name);
        e[i].value = encode(q[i].value ? q[i].value : "");
        if (!e[i].name || !e[i].value)
            r = CI_ENOMEM;
    }
    if (r == 0)
        qsort(e, n, sizeof(*e), by_param);
    for (size_t i = 0; r == 0 && i < n; i++) {
        if ((i && ci_buf_append(out, "&", 1) < 0) ||
            ci_buf_append(out, e[i].name, strlen(e[i].name)) < 0 ||
            ci_buf_append(out, "=", 1) < 0 ||
            ci_buf_append(out, e[i].value, strlen(e[i].value)) < 0)
            r = CI_ENOMEM;
    }
    for (size_t i = 0; e && i < n; i++) {
        free(e[i].name);
        free(e[i].value);
    }
    free(e);
    /* an empty query must still make the buffer a valid empty string */
    if (r == 0 && ci_buf_reserve(out, 1) < 0)
        r = CI_ENOMEM;
    return r;
}

struct lower_header {
    char name[64];
    const char *value;
};

static int by_header(const void *a, const void *b)
{
    return strcmp(((const struct lower_header *)a)->name, ((const struct lower_header *)b)->name);
}

/* The value trimmed, with each inner run of spaces as one space. */
static int append_value(ci_buf *out, const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    size_t len = strlen(v);
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    for (size_t i = 0; i < len; i++) {
        int space = v[i] == ' ' || v[i] == '\t';
        if (space && i && (v[i - 1] == ' ' || v[i - 1] == '\t'))
            continue;
        if (ci_buf_append(out, space ? " " : &v[i], 1) < 0)
            return CI_ENOMEM;
    }
    return 0;
}

int ci_sigv4_canonical_request(const struct ci_sigv4_request *r, ci_buf *out,
                               ci_buf *signed_headers)
{
    if (r->nheaders > MAX_SIGNED_HEADERS)
        return CI_EINVAL;
    struct lower_header h[MAX_SIGNED_HEADERS];
    for (size_t i = 0; i < r->nheaders; i++) {
        size_t len = strlen(r->headers[i].name);
        if (len >= sizeof(h[i].name))
            return CI_EINVAL;
        for (size_t j = 0; j <= len; j++)
            h[i].name[j] = (char)tolower((unsigned char)r->headers[i].name[j]);
        h[i].value = r->headers[i].value;
    }
    qsort(h, r->nheaders, sizeof(h[0]), by_header);

    int e = 0;
#define PUT(s, n) do { if (e == 0 && ci_buf_append(out, (s), (n)) < 0) e = CI_ENOMEM; } while (0)
#define PUTS(s) PUT((s), strlen(s))
    PUTS(r->method);
    PUT("\n", 1);
    PUTS(r->path);
    PUT("\n", 1);
    if (e == 0)
        e = ci_sigv4_canonical_query(r->query, r->nquery, out);
    PUT("\n", 1);
    for (size_t i = 0; i < r->nheaders; i++) {
        PUTS(h[i].name);
        PUT(":", 1);
        if (e == 0)
            e = append_value(out, h[i].value);
        PUT("\n", 1);
    }
    PUT("\n", 1);
    for (size_t i = 0; i < r->nheaders && e == 0; i++) {
        if ((i && ci_buf_append(signed_headers, ";", 1) < 0) ||
            ci_buf_append(signed_headers, h[i].name, strlen(h[i].name)) < 0)
            e = CI_ENOMEM;
    }
    PUTS(ci_buf_cstr(signed_headers));
    PUT("\n", 1);
    PUTS(r->payload_hash);
#undef PUT
#undef PUTS
    return e;
}

void ci_sigv4_signing_key(const char *secret, const char *date8, const char *region,
                          const char *service, unsigned char out[CI_SHA256_LEN])
{
    size_t slen = strlen(secret);
    char *k = malloc(slen + 5);
    unsigned char a[CI_SHA256_LEN], b[CI_SHA256_LEN];
    if (k) {
        memcpy(k, "AWS4", 4);
        memcpy(k + 4, secret, slen + 1);
        ci_hmac_sha256(k, slen + 4, date8, strlen(date8), a);
        explicit_bzero(k, slen + 4);
        free(k);
    } else {
        /* no memory for the prefixed key: a key nothing verifies, so the
         * request fails as unauthenticated rather than crashing */
        memset(a, 0, sizeof(a));
    }
    ci_hmac_sha256(a, sizeof(a), region, strlen(region), b);
    ci_hmac_sha256(b, sizeof(b), service, strlen(service), a);
    ci_hmac_sha256(a, sizeof(a), "aws4_request", 12, out);
    explicit_bzero(a, sizeof(a));
    explicit_bzero(b, sizeof(b));
}

int ci_sigv4_authorization(const struct ci_sigv4_request *r, const struct ci_sigv4_scope *s,
                           ci_buf *out, char *sig)
{
    ci_buf creq = { 0 }, signed_headers = { 0 }, sts = { 0 }, scope = { 0 };
    char date8[9];
    memcpy(date8, s->amz_date, 8);
    date8[8] = '\0';
    int e = ci_sigv4_canonical_request(r, &creq, &signed_headers);
    char creq_hex[CI_SHA256_HEX_LEN + 1];
    if (e == 0) {
        ci_sha256_hex(creq.data, creq.len, creq_hex);
        if (ci_buf_append(&scope, date8, 8) < 0 || ci_buf_append(&scope, "/", 1) < 0 ||
            ci_buf_append(&scope, s->region, strlen(s->region)) < 0 ||
            ci_buf_append(&scope, "/", 1) < 0 ||
            ci_buf_append(&scope, s->service, strlen(s->service)) < 0 ||
            ci_buf_append(&scope, "/aws4_request", 13) < 0)
            e = CI_ENOMEM;
    }
    if (e == 0 && (ci_buf_append(&sts, "AWS4-HMAC-SHA256\n", 17) < 0 ||
                   ci_buf_append(&sts, s->amz_date, strlen(s->amz_date)) < 0 ||
                   ci_buf_append(&sts, "\n", 1) < 0 ||
                   ci_buf_append(&sts, scope.data, scope.len) < 0 ||
                   ci_buf_append(&sts, "\n", 1) < 0 ||
                   ci_buf_append(&sts, creq_hex, CI_SHA256_HEX_LEN) < 0))
        e = CI_ENOMEM;
    if (e == 0) {
        unsigned char key[CI_SHA256_LEN], mac[CI_SHA256_LEN];
        char hex[CI_SHA256_HEX_LEN + 1];
        ci_sigv4_signing_key(s->secret_key, date8, s->region, s->service, key);
        ci_hmac_sha256(key, sizeof(key), sts.data, sts.len, mac);
        explicit_bzero(key, sizeof(key));
        ci_sha256_to_hex(mac, hex);
        if (ci_buf_append(out, "AWS4-HMAC-SHA256 Credential=", 28) < 0 ||
            ci_buf_append(out, s->access_key, strlen(s->access_key)) < 0 ||
            ci_buf_append(out, "/", 1) < 0 || ci_buf_append(out, scope.data, scope.len) < 0 ||
            ci_buf_append(out, ", SignedHeaders=", 16) < 0 ||
            ci_buf_append(out, signed_headers.data, signed_headers.len) < 0 ||
            ci_buf_append(out, ", Signature=", 12) < 0 ||
            ci_buf_append(out, hex, CI_SHA256_HEX_LEN) < 0)
            e = CI_ENOMEM;
        if (sig)
            memcpy(sig, hex, CI_SHA256_HEX_LEN + 1);
    }
    ci_buf_free(&creq);
    ci_buf_free(&signed_headers);
    ci_buf_free(&sts);
    ci_buf_free(&scope);
    return e;
}
