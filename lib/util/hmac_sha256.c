/* SPDX-License-Identifier: MIT */
#include "util/hmac_sha256.h"

#include <string.h>

#define BLOCK 64

void ci_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char out[CI_SHA256_LEN])
{
    unsigned char k[BLOCK] = { 0 }, pad[BLOCK], inner[CI_SHA256_LEN];
    if (key_len > BLOCK)
        ci_sha256(key, key_len, k);
    else
        memcpy(k, key, key_len);
    ci_sha256_ctx c;
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    ci_sha256_init(&c);
    ci_sha256_update(&c, pad, BLOCK);
    ci_sha256_update(&c, data, len);
    ci_sha256_final(&c, inner);
    for (int i = 0; i < BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    ci_sha256_init(&c);
    ci_sha256_update(&c, pad, BLOCK);
    ci_sha256_update(&c, inner, sizeof(inner));
    ci_sha256_final(&c, out);
    /* the key may be a secret or derived from one */
    explicit_bzero(k, sizeof(k));
    explicit_bzero(pad, sizeof(pad));
}
