/* SPDX-License-Identifier: MIT */
/*
 * MD5 (RFC 1321). Not for security: S3 uses it as a checksum (Content-MD5
 * of every upload, the ETag of a single-part object), and so do we.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define CI_MD5_LEN 16

typedef struct ci_md5_ctx {
    uint32_t h[4];
    uint64_t total;          /* bytes hashed so far */
    unsigned char block[64];
    size_t used;             /* bytes waiting in block */
} ci_md5_ctx;

void ci_md5_init(ci_md5_ctx *c);
void ci_md5_update(ci_md5_ctx *c, const void *data, size_t len);
/* Writes the digest; c must be initialized again before reuse. */
void ci_md5_final(ci_md5_ctx *c, unsigned char out[CI_MD5_LEN]);
/* One-shot digest. */
void ci_md5(const void *data, size_t len, unsigned char out[CI_MD5_LEN]);
/* 32 lowercase hex digits + NUL. */
void ci_md5_to_hex(const unsigned char digest[CI_MD5_LEN], char out[2 * CI_MD5_LEN + 1]);
