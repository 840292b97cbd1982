/* SPDX-License-Identifier: MIT */
/* SHA-256 (FIPS 180-4), for the audit trail's hash chain and code digests. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define CI_SHA256_LEN 32
#define CI_SHA256_HEX_LEN 64

typedef struct ci_sha256_ctx {
    uint32_t h[8];
    uint64_t total;          /* bytes hashed so far */
    unsigned char block[64];
    size_t used;             /* bytes waiting in block */
} ci_sha256_ctx;

void ci_sha256_init(ci_sha256_ctx *c);
void ci_sha256_update(ci_sha256_ctx *c, const void *data, size_t len);
/* Writes the digest; c must be initialized again before reuse. */
void ci_sha256_final(ci_sha256_ctx *c, unsigned char out[CI_SHA256_LEN]);

/* One-shot digest of data, as 32 bytes or as 64 lowercase hex + NUL. */
void ci_sha256(const void *data, size_t len, unsigned char out[CI_SHA256_LEN]);
void ci_sha256_hex(const void *data, size_t len, char out[CI_SHA256_HEX_LEN + 1]);
/* Lowercase hex of a digest, NUL-terminated. */
void ci_sha256_to_hex(const unsigned char digest[CI_SHA256_LEN], char out[CI_SHA256_HEX_LEN + 1]);
