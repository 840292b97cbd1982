/* SPDX-License-Identifier: MIT */
/* Base64 (RFC 4648, standard alphabet, padded). */
#pragma once
#include <stddef.h>

/* Returns a malloc'd NUL-terminated string, or NULL on allocation failure. */
char *ci_b64_encode(const void *data, size_t len);
/* Writes the (len + 2) / 3 * 4 characters of the encoding to out, without a
 * NUL; returns their number. */
size_t ci_b64_encode_into(char *out, const void *data, size_t len);
/* Decodes into a malloc'd buffer; returns NULL on bad input or no memory.
 * Whitespace is not accepted. */
unsigned char *ci_b64_decode(const char *text, size_t text_len, size_t *out_len);
