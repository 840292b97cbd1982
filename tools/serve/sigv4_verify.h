/* SPDX-License-Identifier: MIT */
/*
 * Verifying an incoming request's AWS Signature Version 4 (the
 * Authorization header form, as boto3 and every AWS SDK sign):
 *
 *   Authorization: AWS4-HMAC-SHA256
 *       Credential=KEYID/YYYYMMDD/REGION/SERVICE/aws4_request,
 *       SignedHeaders=h1;h2;..., Signature=<64 lowercase hex>
 *
 * The canonical request is rebuilt from what arrived on the wire:
 *
 *   METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
 *   SignedHeaders \n PayloadHash
 *
 * - CanonicalURI: the RAW path (as received, percent-escapes NOT decoded),
 *   with empty and "." segments dropped and ".." applied (RFC 3986 5.2.4,
 *   and consecutive slashes collapsed, as botocore does), then
 *   percent-encoded once more: every byte but A-Z a-z 0-9 - . _ ~ and '/'
 *   becomes %XX (upper-case hex). This is the rule for every service but S3
 *   (botocore: quote(normalize_url_path(path), safe='/~')), so a path
 *   segment that went out as "a%20b" is signed as "a%2520b". The server
 *   must therefore hand over the path before its HTTP library unescapes it.
 * - CanonicalQuery: the raw query split at '&', each part at its first '=';
 *   names and values %XX-decoded and encoded again (unreserved bytes kept,
 *   all else %XX; '+' is a literal plus, not a space), sorted by name then
 *   value (byte order), joined as name=value with '&'. For a query botocore
 *   built (percent_encode_sequence) this is the query as sent, sorted.
 * - CanonicalHeaders: every SignedHeaders name (lower case) with its values,
 *   trimmed and runs of whitespace made one space, repeated headers joined
 *   with ','.
 * - PayloadHash: the x-amz-content-sha256 header when present, else the
 *   SHA-256 (lowercase hex) of the body the caller received.
 *
 * StringToSign = "AWS4-HMAC-SHA256\n" x-amz-date "\n" DATE/REGION/SERVICE/
 * aws4_request "\n" hex(SHA256(CanonicalRequest)); the signing key is
 * HMAC chains from "AWS4"+secret over DATE, REGION, SERVICE, "aws4_request".
 * The signature is compared in constant time (CRYPTO_memcmp).
 */
#ifndef CI_SERVE_SIGV4_VERIFY_H
#define CI_SERVE_SIGV4_VERIFY_H

#include <stddef.h>
#include <time.h>

/* The checks run in this order; the first one failing is the result. */
typedef enum sigv4_result {
    SIGV4_OK = 0,
    /* No Authorization header, not AWS4-HMAC-SHA256, a part missing or
     * repeated, a signature that is not 64 hex digits, no or an unparsable
     * x-amz-date, a SignedHeaders name the request lacks, a bad
     * %-escape in the query, an x-amz-content-sha256 that is neither 64 hex
     * digits nor allowed UNSIGNED-PAYLOAD. */
    SIGV4_MALFORMED,
    /* The credential scope: a service other than the configured one, a
     * region other than the configured one (when set), a terminator other
     * than aws4_request, or a date other than x-amz-date's. */
    SIGV4_WRONG_SCOPE,
    /* host, x-amz-date, any x-amz-* header present, or any of the
     * configured extra headers present is left out of SignedHeaders. */
    SIGV4_UNSIGNED_HEADER,
    /* x-amz-date further than max_skew_seconds from now. */
    SIGV4_CLOCK_SKEW,
    /* The lookup callback does not know the key id. */
    SIGV4_UNKNOWN_KEY,
    /* x-amz-content-sha256 is given and differs from the body's hash.
     * (A client that sends no such header, as boto3 for this service, signs
     * the body's hash itself: a changed body is then SIGV4_BAD_SIGNATURE.) */
    SIGV4_PAYLOAD_MISMATCH,
    /* Everything parsed, the key is known, the signature differs. */
    SIGV4_BAD_SIGNATURE,
} sigv4_result;

/* A stable lower-case name for logs and tests: "ok", "malformed",
 * "wrong-scope", "unsigned-header", "clock-skew", "unknown-key",
 * "payload-mismatch", "bad-signature". */
const char *sigv4_result_name(sigv4_result r);

/* One request header as received (name in any case, value untrimmed). A
 * repeated header is given once per occurrence, in arrival order. */
typedef struct sigv4_header {
    const char *name;
    const char *value;
} sigv4_header;

/* Copies the secret of key_id into secret[size] (NUL-terminated) and returns
 * 0, or returns -1 if the key is unknown (or its secret does not fit). */
typedef int (*sigv4_lookup_fn)(void *cls, const char *key_id,
                               char *secret, size_t size);

typedef struct sigv4_config {
    const char *service;          /* required: "bedrock-agentcore" */
    const char *region;           /* NULL: any region is accepted */
    long max_skew_seconds;        /* 0: 300 (five minutes) */
    int allow_unsigned_payload;   /* accept x-amz-content-sha256: UNSIGNED-PAYLOAD */
    /* Headers (lower case) that must be signed when the request has them,
     * besides host, x-amz-date and x-amz-*; NULL-terminated, or NULL. The
     * server passes e.g. "content-type" and
     * "x-amzn-code-interpreter-session-id". */
    const char *const *also_signed;
    sigv4_lookup_fn lookup;
    void *lookup_cls;
} sigv4_config;

typedef struct sigv4_request {
    const char *method;           /* "GET", "PUT", ... */
    const char *raw_path;         /* as on the wire, without '?...' */
    const char *raw_query;        /* after '?', as on the wire; NULL or "" */
    const sigv4_header *headers;
    size_t n_headers;
    /* The SHA-256 of the body as received, 64 lowercase hex digits. NULL
     * when not (yet) known: then only sigv4_precheck may be called. */
    const char *body_sha256_hex;
} sigv4_request;

/* What was learnt, filled as far as the checks got (empty strings else).
 * key_id and region are what the client claimed (any bytes but '/' and
 * ','): escape them before they go into a log line. */
typedef struct sigv4_info {
    char key_id[129];
    char region[64];
    char detail[160];             /* why, for a log line; never the secret */
} sigv4_info;

/* Every check. info may be NULL. */
sigv4_result sigv4_verify(const sigv4_config *cfg, const sigv4_request *req,
                          time_t now, sigv4_info *info);

/* Every check that needs no body: all but SIGV4_PAYLOAD_MISMATCH and
 * SIGV4_BAD_SIGNATURE. Lets a server refuse a request (a large upload)
 * before reading its body; the full sigv4_verify must still follow. */
sigv4_result sigv4_precheck(const sigv4_config *cfg, const sigv4_request *req,
                            time_t now, sigv4_info *info);

#endif
