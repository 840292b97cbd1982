/* SPDX-License-Identifier: MIT */
/*
 * The S3 part of a ci_config (its `s3` member, NULL until an S3 setter is
 * used). Anything left unset falls back, when a client is opened, to the
 * standard AWS environment variables and then to the defaults below.
 */
#pragma once
#include <stdint.h>

#define CI_S3_DEFAULT_THRESHOLD (16ull << 20)
#define CI_S3_DEFAULT_PART_SIZE (8ull << 20)
#define CI_S3_MIN_PART_SIZE (5ull << 20)
#define CI_S3_MAX_PART_SIZE (5ull << 30)
#define CI_S3_MAX_PARTS 10000
#define CI_S3_DEFAULT_PARALLEL 4
#define CI_S3_MAX_PARALLEL 64
#define CI_S3_DEFAULT_ATTEMPTS 6
#define CI_S3_MAX_ATTEMPTS 100

struct ci_s3_settings {
    int have_credentials;  /* set by ci_config_set_s3_credentials: no fallback */
    char *access_key;
    char *secret_key;      /* wiped before it is freed */
    char *session_token;
    char *region;          /* NULL: AWS_REGION, AWS_DEFAULT_REGION, us-east-1 */
    char *endpoint;        /* NULL: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS */
    char *ca_file;         /* NULL: AWS_CA_BUNDLE, then the system's CAs */
    uint64_t threshold;    /* 0: default */
    uint64_t part_size;    /* 0: default */
    uint32_t parallel;     /* 0: default */
    uint32_t max_attempts; /* 0: default */
};

/* A deep copy (NULL for NULL); *ok is cleared when memory ran out. */
struct ci_s3_settings *ci_s3_settings_dup(const struct ci_s3_settings *s, int *ok);
/* Frees (NULL-safe), wiping the secrets first. */
void ci_s3_settings_free(struct ci_s3_settings *s);
