/* SPDX-License-Identifier: MIT */
/* HMAC-SHA256 (RFC 2104 over FIPS 180-4), for SigV4 request signing. */
#pragma once
#include <stddef.h>

#include "util/sha256.h"

void ci_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                    unsigned char out[CI_SHA256_LEN]);
