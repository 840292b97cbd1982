/* SPDX-License-Identifier: MIT */
/*
 * S3 URIs as a caller or an agent sends them, and the percent-encoding of
 * SigV4. Checks: what ci_s3_uri_parse() accepts has the bucket and key the
 * header promises and formats back to a URI that parses the same; a refusal
 * comes with a message; decode(encode(x)) == x for any bytes, with and
 * without '/' kept; decoding arbitrary text never overreads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeinterp/codeinterp.h"
#include "fuzz.h"
#include "transfer/s3_internal.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_s3_uri: %s\n", what);
        abort();
    }
}

static int bucket_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    check(text != NULL, "malloc");
    memcpy(text, data, size);
    text[size] = '\0';

    struct ci_s3_uri u = { 0 };
    char err[512] = "";
    int r = ci_s3_uri_parse(text, &u, err, sizeof(err));
    if (r == CI_OK) {
        size_t blen = strlen(u.bucket), klen = strlen(u.key);
        check(blen >= 3 && blen <= 63, "bucket length");
        for (size_t i = 0; i < blen; i++)
            check(bucket_char(u.bucket[i]), "bucket character");
        check(klen <= CI_S3_MAX_KEY, "key length");
        for (size_t i = 0; i < klen; i++)
            check((unsigned char)u.key[i] >= 0x20 && u.key[i] != 0x7f, "control character");
        char *again = ci_s3_uri_format(u.bucket, u.key);
        check(again != NULL, "format");
        struct ci_s3_uri v = { 0 };
        check(ci_s3_uri_parse(again, &v, err, sizeof(err)) == CI_OK, "a formatted URI is refused");
        check(strcmp(u.bucket, v.bucket) == 0 && strcmp(u.key, v.key) == 0, "round trip");
        ci_s3_uri_clear(&v);
        free(again);
        ci_s3_uri_clear(&u);
    } else {
        check(r == CI_EINVAL && err[0] != '\0', "a refusal without a message");
    }

    /* the decoder refuses %00 (it returns a C string): round trips are
     * of the text before any NUL */
    size_t upto = strnlen(text, size);
    for (int keep = 0; keep <= 1; keep++) {
        ci_buf enc = { 0 };
        check(ci_s3_uri_encode(&enc, text, upto, keep) == 0, "encode");
        for (size_t i = 0; i < enc.len; i++) {
            char c = enc.data[i];
            check((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~' || c == '%' ||
                      (keep && c == '/'),
                  "an unreserved character left unencoded");
        }
        char *dec = ci_s3_uri_decode(ci_buf_cstr(&enc), enc.len, 0);
        check(dec != NULL && strlen(dec) == upto && memcmp(dec, text, upto) == 0,
              "decode(encode(x)) != x");
        free(dec);
        ci_buf_free(&enc);
    }
    free(ci_s3_uri_decode(text, size, 0));
    free(ci_s3_uri_decode(text, size, 1));
    free(text);
    return 0;
}
