/* SPDX-License-Identifier: MIT */
/*
 * The XML S3 answers with, read the way the backend reads it: an error
 * document (Code, Message, Region), a listing (Contents with Key and Size,
 * IsTruncated, NextContinuationToken, EncodingType), a multipart start
 * (UploadId). The answer comes from the network, so it is untrusted.
 * Checks: every element found lies inside the document, and every decoded
 * text is a string no longer than its source.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "transfer/s3_internal.h"

static void check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_s3_xml: %s\n", what);
        abort();
    }
}

static void text_of(const char *doc, size_t len, const char *tag)
{
    char *t = ci_xml_find_text(doc, len, tag);
    if (t)
        check(strlen(t) <= len, "a text longer than the document");
    free(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy: a read past the answer is a finding */
    char *doc = malloc(size ? size : 1);
    check(doc != NULL, "malloc");
    memcpy(doc, data, size);
    const char *end = doc + size;

    static const char *const tags[] = { "Code", "Message", "Region", "IsTruncated",
                                        "NextContinuationToken", "EncodingType", "UploadId",
                                        "ETag" };
    for (size_t i = 0; i < sizeof(tags) / sizeof(tags[0]); i++)
        text_of(doc, size, tags[i]);

    const char *pos = doc, *inner = NULL;
    size_t n = 0;
    int found = 0;
    while (found < 100000 && ci_xml_next(&pos, end, "Contents", &inner, &n)) {
        check(inner >= doc && inner + n <= end, "an element outside the document");
        check(pos > doc && pos <= end, "the position left the document");
        text_of(inner, n, "Key");
        text_of(inner, n, "Size");
        char *raw = ci_xml_text(inner, n);
        if (raw)
            check(strlen(raw) <= n, "a text longer than its element");
        free(raw);
        found++;
    }
    free(doc);
    return 0;
}
