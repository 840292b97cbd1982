/* SPDX-License-Identifier: MIT */
/*
 * What an S3 ETag says about the bytes: a plain object's is the MD5 of its
 * content unless SSE-KMS or SSE-C encrypted it; a multipart object's is
 * the MD5 of its parts' MD5s followed by "-N".
 */
#include <string.h>
#include <strings.h>

#include "transfer/s3_internal.h"

/* An ETag that is an MD5: 32 hex digits, quoted or not, into lowercase
 * hex. */
static int etag_md5(const char *etag, char hex[33])
{
    size_t n = strlen(etag);
    if (n == 34 && etag[0] == '"' && etag[33] == '"')
        etag++;
    else if (n != 32)
        return 0;
    for (int i = 0; i < 32; i++) {
        char c = etag[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
        hex[i] = (char)(c | 0x20);
    }
    hex[32] = '\0';
    return 1;
}

int ci_s3_etag_contradicts(const char *etag, int sse, const char *md5_hex, char said[33])
{
    return !sse && etag_md5(etag, said) && strcmp(said, md5_hex) != 0;
}

int ci_s3_etag_is(const char *etag, const char *want)
{
    size_t n = strlen(etag);
    if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') {
        etag++;
        n -= 2;
    }
    return n == strlen(want) && strncasecmp(etag, want, n) == 0;
}
