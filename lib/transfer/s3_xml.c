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

#include "codeinterp/codeinterp.h"
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

/* Appends the UTF-8 form of code point cp; CI_EPROTO when not allowed. */
static int put_utf8(char *out, size_t *n, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return CI_EPROTO;
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
    return CI_OK;
}

/* Appends the character of a numeric reference: "#65" or "#x41" (e, up
 * to semi). CI_EPROTO when malformed. */
static int put_char_ref(const char *e, const char *semi, char *out, size_t *n)
{
    if (semi - e < 2 || e[0] != '#')
        return CI_EPROTO;
    int hex = e[1] == 'x';
    const char *d = e + 1 + hex;
    if (d >= semi)
        return CI_EPROTO;
    unsigned long cp = 0;
    for (; d < semi; d++) {
        int v = *d >= '0' && *d <= '9' ? *d - '0'
              : hex && *d >= 'a' && *d <= 'f' ? *d - 'a' + 10
              : hex && *d >= 'A' && *d <= 'F' ? *d - 'A' + 10 : -1;
        if (v < 0)
            return CI_EPROTO;
        cp = cp * (hex ? 16 : 10) + (unsigned long)v;
        if (cp > 0x10FFFF)
            return CI_EPROTO;
    }
    return put_utf8(out, n, cp);
}

/* Appends the character a reference names: one of the five entities
 * ("amp") or a numeric one (e, up to semi). CI_EPROTO when malformed. */
static int put_reference(const char *e, const char *semi, char *out, size_t *n)
{
    static const struct { const char *name; char c; } named[] = {
        { "lt", '<' }, { "gt", '>' }, { "amp", '&' }, { "quot", '"' }, { "apos", '\'' },
    };
    size_t el = (size_t)(semi - e);
    for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
        if (strlen(named[i].name) == el && memcmp(e, named[i].name, el) == 0) {
            out[(*n)++] = named[i].c;
            return CI_OK;
        }
    return put_char_ref(e, semi, out, n);
}

/* Appends the content of the CDATA section at s; what follows it, or NULL
 * when s starts none or it is not closed. */
static const char *put_cdata(const char *s, const char *end, char *out, size_t *n)
{
    static const char cdata[] = "<![CDATA[";
    if ((size_t)(end - s) < sizeof(cdata) - 1 || memcmp(s, cdata, sizeof(cdata) - 1))
        return NULL;
    const char *c = find(s + 9, end, "]]>", 3);
    if (!c)
        return NULL;
    memcpy(out + *n, s + 9, (size_t)(c - (s + 9)));
    *n += (size_t)(c - (s + 9));
    return c + 3;
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
            s = put_cdata(s, end, out, &n);
        } else if (*s != '&') {
            out[n++] = *s++;
        } else {
            const char *semi = memchr(s, ';', (size_t)(end - s));
            if (!semi || semi - s > 10 || put_reference(s + 1, semi, out, &n) < 0)
                s = NULL;
            else
                s = semi + 1;
        }
        if (!s) {
            free(out);
            return NULL;
        }
    }
    out[n] = '\0';
    return out;
}

char *ci_xml_find_text(const char *doc, size_t len, const char *tag)
{
    const char *pos = doc, *inner;
    size_t n;
    if (!doc || !ci_xml_next(&pos, doc + len, tag, &inner, &n))
        return NULL;
    return ci_xml_text(inner, n);
}
