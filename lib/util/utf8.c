/* SPDX-License-Identifier: MIT */
#include "util/utf8.h"

size_t ci_utf8_sequence(const unsigned char *p, size_t avail, size_t *bad)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t need;

    if (c < 0x80)
        return 1;
    /* the ranges of the second byte exclude overlong forms, surrogates and
     * code points past U+10FFFF */
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        *bad = 1;
        return 0;
    }
    for (size_t i = 1; i < need; i++) {
        if (i >= avail || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }
        lo = 0x80;
        hi = 0xBF;
    }
    return need;
}

int ci_utf8_is_plain(const unsigned char *p, size_t n)
{
    size_t i = 0, bad;
    while (i < n) {
        if (p[i] == 0)
            return 0;
        size_t k = ci_utf8_sequence(p + i, n - i, &bad);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}
