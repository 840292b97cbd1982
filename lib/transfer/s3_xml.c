/* SPDX-License-Identifier: MIT */
/*
 * Just enough XML for S3's answers (ListBucketResult, InitiateMultipart-
 * UploadResult, CompleteMultipartUploadResult, Error): find an element by
 * name, read a leaf's text. No DTD, no namespaces to resolve, no entity
 * other than the five predefined ones and character references, so nothing
 * an answer holds can make this expand or recurse.
 */
#include <stdlib.h>
#include <string.h>

#include "transfer/s3_internal.h"

static const char *find(const char *p, const char *end, const char *s, size_t n)
{
    if (n == 0 || (size_t)(end - p) < n)
        return NULL;
    for (const char *last = end - n; p <= last; p++) {
        p = memchr(p, s[0], (size_t)(last - p) + 1);
        if (!p)
            return NULL;
        if (memcmp(p, s, n) == 0)
            return p;
    }
    return NULL;
}

static int name_end(char c)
{
    return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int ci_xml_next(const char **pos, const char *end, const char *tag, const char **inner,
                size_t *len)
{
    size_t tl = strlen(tag);
    const char *p = *pos;
    for (;;) {
        const char *lt = find(p, end, "<", 1);
        if (!lt || (size_t)(end - lt) < tl + 2)
            return 0;
        if (memcmp(lt + 1, tag, tl) != 0 || !name_end(lt[1 + tl])) {
            p = lt + 1;
            continue;
        }
        const char *gt = memchr(lt + 1 + tl, '>', (size_t)(end - (lt + 1 + tl)));
        if (!gt)
            return 0;
        if (gt[-1] == '/') {
            *inner = gt + 1;
            *len = 0;
            *pos = gt + 1;
            return 1;
        }
        char close[80];
        if (tl + 3 >= sizeof(close))
            return 0;
        close[0] = '<';
        close[1] = '/';
        memcpy(close + 2, tag, tl);
        close[2 + tl] = '>';
        const char *c = find(gt + 1, end, close, tl + 3);
        if (!c)
            return 0;
        *inner = gt + 1;
        *len = (size_t)(c - (gt + 1));
        *pos = c + tl + 3;
        return 1;
    }
}

/* Appends the UTF-8 form of code point cp; 0 or -1 when not allowed. */
static int put_utf8(char *out, size_t *n, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return -1;
    if (cp < 0x80) {
        out[(*n)++] = (char)cp;
    } else if (cp < 0x800) {
        out[(*n)++] = (char)(0xC0 | cp >> 6);
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out[(*n)++] = (char)(0xE0 | cp >> 12);
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    } else {
        out[(*n)++] = (char)(0xF0 | cp >> 18);
        out[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[(*n)++] = (char)(0x80 | (cp & 0x3F));
    }
    return 0;
}

char *ci_xml_text(const char *s, size_t len)
{
    /* decoding never makes the text longer: "&#x10FFFF;" is 10 bytes for 4 */
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    const char *end = s + len;
    while (s < end) {
        if (*s == '<') {
            static const char cdata[] = "<![CDATA[";
            if ((size_t)(end - s) < sizeof(cdata) - 1 || memcmp(s, cdata, sizeof(cdata) - 1))
                goto bad;
            const char *c = find(s + 9, end, "]]>", 3);
            if (!c)
                goto bad;
            memcpy(out + n, s + 9, (size_t)(c - (s + 9)));
            n += (size_t)(c - (s + 9));
            s = c + 3;
            continue;
        }
        if (*s != '&') {
            out[n++] = *s++;
            continue;
        }
        const char *semi = memchr(s, ';', (size_t)(end - s));
        if (!semi || semi - s > 10)
            goto bad;
        size_t el = (size_t)(semi - s - 1);
        const char *e = s + 1;
        static const struct { const char *name; char c; } named[] = {
            { "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' },
        };
        int done = 0;
        for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
            if (strlen(named[i].name) == el && memcmp(e, named[i].name, el) == 0) {
                out[n++] = named[i].c;
                done = 1;
            }
        if (!done) {
            if (el < 2 || e[0] != '#')
                goto bad;
            int hex = e[1] == 'x';
            const char *d = e + 1 + hex;
            if (d >= semi)
                goto bad;
            unsigned long cp = 0;
            for (; d < semi; d++) {
                int v = *d >= '0' && *d <= '9' ? *d - '0'
                      : hex && *d >= 'a' && *d <= 'f' ? *d - 'a' + 10
                      : hex && *d >= 'A' && *d <= 'F' ? *d - 'A' + 10 : -1;
                if (v < 0)
                    goto bad;
                cp = cp * (hex ? 16 : 10) + (unsigned long)v;
                if (cp > 0x10FFFF)
                    goto bad;
            }
            if (put_utf8(out, &n, cp) < 0)
                goto bad;
        }
        s = semi + 1;
    }
    out[n] = '\0';
    return out;
bad:
    free(out);
    return NULL;
}

char *ci_xml_find_text(const char *doc, size_t len, const char *tag)
{
    const char *pos = doc, *inner;
    size_t n;
    if (!doc || !ci_xml_next(&pos, doc + len, tag, &inner, &n))
        return NULL;
    return ci_xml_text(inner, n);
}
