/* SPDX-License-Identifier: MIT */
/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF. */
#pragma once
#include <stddef.h>

/* Length of the well-formed sequence at p (at most `avail` bytes), or 0 if
 * an ill-formed one starts there, with *bad set to the length of its
 * maximal subpart: the bytes one U+FFFD stands for. */
size_t ci_utf8_sequence(const unsigned char *p, size_t avail, size_t *bad);
/* 1 if the n bytes are well-formed UTF-8 without NUL bytes: bytes that can
 * travel as JSON text and come back unchanged. */
int ci_utf8_is_plain(const unsigned char *p, size_t n);
