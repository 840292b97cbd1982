/* SPDX-License-Identifier: MIT */
/* Output chunks as JSON string contents, and the \u0000 check. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"

static int reserve(char **out, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 256;
    while (n < need)
        n *= 2;
    char *p = realloc(*out, n);
    if (!p)
        return -1;
    *out = p;
    *cap = n;
    return 0;
}

/* Length of the valid UTF-8 sequence at s (n bytes available): 1..4; 0 if
 * invalid; -1 if it is the valid start of a sequence cut short. */
static int sequence_length(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    int len;
    unsigned char lo = 0x80, hi = 0xBF; /* bounds of the second byte */
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        if (c == 0xE0)
            lo = 0xA0; /* overlong */
        if (c == 0xED)
            hi = 0x9F; /* surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        if (c == 0xF0)
            lo = 0x90;
        if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n)
            return -1;
        unsigned char b = s[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF))
            return 0;
    }
    return len;
}

static int escape_run(char **out, size_t *len, size_t *cap, const unsigned char *s, size_t n,
                      unsigned char *carry, size_t *carry_len)
{
    size_t i = 0;
    while (i < n) {
        if (reserve(out, cap, *len + 8) < 0)
            return -1;
        unsigned char c = s[i];
        if (c == '"' || c == '\\') {
            (*out)[(*len)++] = '\\';
            (*out)[(*len)++] = (char)c;
            i++;
            continue;
        }
        if (c < 0x20 || c == 0x7F) {
            const char *e = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
            if (e) {
                memcpy(*out + *len, e, 2);
                *len += 2;
            } else {
                *len += (size_t)snprintf(*out + *len, 8, "\\u%04x", c);
            }
            i++;
            continue;
        }
        int k = sequence_length(s + i, n - i);
        if (k < 0 && carry) {
            memcpy(carry, s + i, n - i);
            *carry_len = n - i;
            return 0;
        }
        if (k <= 0) {
            memcpy(*out + *len, "\\ufffd", 6);
            *len += 6;
            i++;
            continue;
        }
        memcpy(*out + *len, s + i, (size_t)k);
        *len += (size_t)k;
        i += (size_t)k;
    }
    return 0;
}

int mcp_json_escape(char **out, size_t *out_len, size_t *out_cap, const char *data, size_t len,
                    unsigned char *carry, size_t *carry_len)
{
    const unsigned char *s = (const unsigned char *)data;
    if (carry && *carry_len) {
        /* complete the sequence the last chunk ended in */
        unsigned char joined[8];
        size_t have = *carry_len, take = len < 4 ? len : 4;
        memcpy(joined, carry, have);
        memcpy(joined + have, s, take);
        int k = sequence_length(joined, have + take);
        *carry_len = 0;
        if (k < 0 && take == len) {
            memcpy(carry, joined, have + take); /* still cut */
            *carry_len = have + take;
            return 0;
        }
        if (k > 0) {
            if (escape_run(out, out_len, out_cap, joined, (size_t)k, NULL, NULL) < 0)
                return -1;
            s += (size_t)k - have;
            len -= (size_t)k - have;
        } else if (escape_run(out, out_len, out_cap, joined, 1, NULL, NULL) < 0) {
            return -1; /* the first carried byte is invalid */
        } else if (have > 1) {
            unsigned char rest[4];
            size_t r = have - 1;
            memcpy(rest, carry + 1, r);
            return mcp_json_escape(out, out_len, out_cap, (const char *)rest, r, carry,
                                   carry_len) < 0 ? -1
                   : mcp_json_escape(out, out_len, out_cap, (const char *)s, len, carry, carry_len);
        }
    }
    return escape_run(out, out_len, out_cap, s, len, carry, carry_len);
}

int mcp_has_nul_escape(const char *p, size_t len)
{
    const char *end = p + len;
    int in_string = 0;
    for (; p < end; p++) {
        if (*p == '"') {
            in_string = !in_string;
        } else if (in_string && *p == '\\') {
            if (++p >= end)
                return 0;
            if (*p == 'u' && end - p >= 5 && memcmp(p + 1, "0000", 4) == 0)
                return 1;
        }
    }
    return 0;
}

char *mcp_json_chunk(const char *prefix, const char *data, size_t len, unsigned char *carry,
                     size_t *carry_len, const char *suffix, size_t *out_len)
{
    size_t plen = strlen(prefix), slen = strlen(suffix);
    size_t cap = plen + len + slen + 16, used = plen;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    memcpy(out, prefix, plen);
    if (mcp_json_escape(&out, &used, &cap, data, len, carry, carry_len) < 0 || used == plen ||
        reserve(&out, &cap, used + slen + 1) < 0) {
        free(out); /* out of memory, or nothing whole yet: it waits in carry */
        return NULL;
    }
    memcpy(out + used, suffix, slen + 1);
    *out_len = used + slen;
    return out;
}
