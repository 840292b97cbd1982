/* SPDX-License-Identifier: MIT */
/* s3:// URIs, and the percent-encoding of SigV4 paths and queries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codeinterp/codeinterp.h"
#include "transfer/s3_internal.h"

static int bucket_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

int ci_s3_uri_parse(const char *uri, struct ci_s3_uri *out, char *err, size_t errlen)
{
    if (!uri || strncasecmp(uri, "s3://", 5) != 0) {
        snprintf(err, errlen, "\"%.200s\" is not an S3 URI: it must start with s3://",
                 uri ? uri : "(null)");
        return CI_EINVAL;
    }
    const char *b = uri + 5;
    size_t blen = strcspn(b, "/");
    for (size_t i = 0; i < blen; i++)
        if (!bucket_char(b[i])) {
            snprintf(err, errlen, "\"%.200s\": the bucket name may hold only letters, digits, "
                     "'.', '-' and '_'", uri);
            return CI_EINVAL;
        }
    if (blen < 3 || blen > 63) {
        snprintf(err, errlen, "\"%.200s\": a bucket name has 3 to 63 characters", uri);
        return CI_EINVAL;
    }
    const char *k = b[blen] == '/' ? b + blen + 1 : b + blen;
    size_t klen = strlen(k);
    if (klen > CI_S3_MAX_KEY) {
        snprintf(err, errlen, "\"%.200s…\": a key has at most %d bytes", uri, CI_S3_MAX_KEY);
        return CI_EINVAL;
    }
    for (size_t i = 0; i < klen; i++)
        if ((unsigned char)k[i] < 0x20 || k[i] == 0x7f) {
            snprintf(err, errlen, "\"%.200s\": the key holds a control character", uri);
            return CI_EINVAL;
        }
    out->bucket = strndup(b, blen);
    out->key = strdup(k);
    if (!out->bucket || !out->key) {
        ci_s3_uri_clear(out);
        snprintf(err, errlen, "out of memory");
        return CI_ENOMEM;
    }
    return CI_OK;
}

void ci_s3_uri_clear(struct ci_s3_uri *u)
{
    free(u->bucket);
    free(u->key);
    u->bucket = u->key = NULL;
}

char *ci_s3_uri_format(const char *bucket, const char *key)
{
    char *s = NULL;
    if (asprintf(&s, "s3://%s/%s", bucket, key) < 0)
        return NULL;
    return s;
}

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

int ci_s3_uri_encode(ci_buf *out, const char *s, size_t len, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len;) {
        size_t run = i;
        while (run < len && (unreserved((unsigned char)s[run]) || (keep_slash && s[run] == '/')))
            run++;
        if (run > i) {
            if (ci_buf_append(out, s + i, run - i) < 0)
                return CI_ENOMEM;
            i = run;
            continue;
        }
        unsigned char c = (unsigned char)s[i++];
        char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
        if (ci_buf_append(out, esc, 3) < 0)
            return CI_ENOMEM;
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *ci_s3_uri_decode(const char *s, size_t len, int plus_is_space)
{
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%') {
            int hi = i + 1 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            /* a NUL would cut the string short */
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                return NULL;
            }
            out[n++] = (char)(hi << 4 | lo);
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            out[n++] = ' ';
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    return out;
}
