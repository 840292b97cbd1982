/* SPDX-License-Identifier: MIT */
#include "util/json_text.h"

#include <stdlib.h>
#include <string.h>

#include "util/utf8.h"

/* Appends k bytes at dst+*n, or only counts them when dst is NULL: the same
 * walk sizes the buffer and then fills it. */
static void put(char *dst, size_t *n, const void *bytes, size_t k)
{
    if (dst)
        memcpy(dst + *n, bytes, k);
    *n += k;
}

/* Printable ASCII that stands for itself in a JSON string. */
static int plain(unsigned char c, unsigned flags)
{
    if (c == 0x7f)
        return !(flags & CI_JSON_TEXT_UNICODE_ESCAPES);
    return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* `"`, `\` or a control character (DEL included) as its escape. */
static void put_escape(char *dst, size_t *n, unsigned char c, unsigned flags)
{
    static const char hex[] = "0123456789abcdef";
    /* the control characters JSON has a short escape for, and their letters */
    static const char shorts[] = "\b\f\n\r\t", letters[] = "bfnrt";
    const char *short_escape = c ? strchr(shorts, c) : NULL;
    char esc[6] = {'\\', (char)c};

    if (c == '"' || c == '\\') {
        put(dst, n, esc, 2);
    } else if (short_escape && !(flags & CI_JSON_TEXT_UNICODE_ESCAPES)) {
        esc[1] = letters[short_escape - shorts];
        put(dst, n, esc, 2);
    } else {
        memcpy(esc + 1, "u00", 3);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 0xF];
        put(dst, n, esc, 6);
    }
}

static size_t quote_into(char *dst, const unsigned char *s, size_t len, unsigned flags)
{
    size_t n = 0, i = 0;

    put(dst, &n, "\"", 1);
    while (i < len) {
        size_t run = i;
        /* plain printable ASCII is copied in runs: the common case by far */
        while (run < len && plain(s[run], flags))
            run++;
        if (run > i) {
            put(dst, &n, s + i, run - i);
            i = run;
            continue;
        }
        if (s[i] < 0x80) {
            put_escape(dst, &n, s[i], flags);
            i++;
            continue;
        }
        size_t bad = 0, good = ci_utf8_sequence(s + i, len - i, &bad);
        if (good) {
            put(dst, &n, s + i, good);
            i += good;
        } else if (flags & CI_JSON_TEXT_UNICODE_ESCAPES) {
            put(dst, &n, "\\ufffd", 6);
            i += bad;
        } else {
            put(dst, &n, "\xEF\xBF\xBD", 3);
            i += bad;
        }
    }
    put(dst, &n, "\"", 1);
    return n;
}

char *ci_json_text_quote(const char *data, size_t len, unsigned flags, size_t *out_len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t n = quote_into(NULL, s, len, flags);
    char *q = malloc(n + 1);

    if (!q)
        return NULL;
    quote_into(q, s, len, flags);
    q[n] = '\0';
    if (out_len)
        *out_len = n;
    return q;
}
