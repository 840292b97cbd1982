/* SPDX-License-Identifier: MIT */
/*
 * serve_probe: the serve-proto library (tools/serve) driven from the
 * command line, so that test_serve_proto.py can hold its output against
 * botocore, the peer it must agree with.
 *
 *   serve_probe es-event TYPE CONTENT-TYPE|-     stdin = payload, stdout = message
 *   serve_probe es-exception TYPE CONTENT-TYPE|-  the same, an exception
 *   serve_probe es-all-types                     a message with every header type
 *   serve_probe es-errors                        the encoder's refusals; prints "ok"
 *   serve_probe sigv4                            stdin = JSON array of requests,
 *                                                one line out per request
 *   serve_probe keyfile PATH [KEYID SECRET NAME] "ok N", or the error
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/sha.h>

#include "eventstream.h"
#include "keyfile.h"
#include "sigv4_verify.h"

static unsigned char *read_all(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0;
    unsigned char *buf = malloc(cap);
    if (!buf)
        return NULL;
    for (;;) {
        if (n == cap) {
            unsigned char *p = realloc(buf, cap *= 2);
            if (!p) {
                free(buf);
                return NULL;
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    *len = n;
    return buf;
}

static int write_message(int rc, unsigned char *msg, size_t len)
{
    if (rc < 0) {
        fprintf(stderr, "encode: %s\n", strerror(errno));
        return 1;
    }
    int ok = fwrite(msg, 1, len, stdout) == len;
    free(msg);
    return ok ? 0 : 1;
}

static int cmd_es(int exception, const char *type, const char *content_type)
{
    size_t len;
    unsigned char *payload = read_all(stdin, &len);
    if (!payload)
        return 1;
    unsigned char *msg;
    size_t msg_len;
    const char *ct = strcmp(content_type, "-") == 0 ? NULL : content_type;
    int rc = exception ? es_encode_exception(type, ct, payload, len, &msg, &msg_len)
                       : es_encode_event(type, ct, payload, len, &msg, &msg_len);
    free(payload);
    return write_message(rc, msg, msg_len);
}

static int cmd_es_all_types(void)
{
    static const unsigned char uuid[16] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
    static const unsigned char bytes[3] = { 0xff, 0x00, 0x7f };
    es_header h[] = {
        { .name = "true", .type = ES_BOOL_TRUE },
        { .name = "false", .type = ES_BOOL_FALSE },
        { .name = "byte", .type = ES_BYTE, .number = -7 },
        { .name = "short", .type = ES_SHORT, .number = -30000 },
        { .name = "integer", .type = ES_INTEGER, .number = 2000000000 },
        { .name = "long", .type = ES_LONG, .number = -9000000000000000000LL },
        { .name = "bytes", .type = ES_BYTE_ARRAY, .bytes = bytes, .len = 3 },
        ES_HEADER_STRING("string", "h\xc3\xa9llo"),
        { .name = "timestamp", .type = ES_TIMESTAMP, .number = 1700000000123LL },
        { .name = "uuid", .type = ES_UUID, .bytes = uuid, .len = 16 },
        ES_HEADER_STRING("empty", ""),
    };
    unsigned char *msg;
    size_t len;
    int rc = es_encode(h, sizeof h / sizeof h[0], "x", 1, &msg, &len);
    return write_message(rc, msg, len);
}

#define EXPECT(cond, what)                                            \
    do {                                                              \
        if (!(cond)) {                                                \
            printf("FAIL: %s\n", what);                               \
            return 1;                                                 \
        }                                                             \
    } while (0)

static int cmd_es_errors(void)
{
    unsigned char *msg = NULL;
    size_t len = 0;
    char name[300];
    memset(name, 'n', sizeof name - 1);
    name[256] = '\0';
    es_header h = ES_HEADER_STRING(name, "v");
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) < 0 && errno == EINVAL, "256-byte name refused");
    name[255] = '\0';
    h = ES_HEADER_STRING(name, "v");
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) == 0, "255-byte name taken");
    free(msg);
    h = (es_header){ .name = "", .type = ES_STRING, .bytes = "v", .len = 1 };
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) < 0 && errno == EINVAL, "empty name refused");
    h = (es_header){ .name = "b", .type = ES_BYTE, .number = 128 };
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) < 0 && errno == EINVAL, "byte 128 refused");
    h = (es_header){ .name = "s", .type = ES_SHORT, .number = -32769 };
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) < 0 && errno == EINVAL, "short -32769 refused");
    h = (es_header){ .name = "u", .type = ES_UUID, .bytes = "0123456789abcde", .len = 15 };
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) < 0 && errno == EINVAL, "15-byte uuid refused");
    h = (es_header){ .name = "t", .type = (es_header_type)10 };
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) < 0 && errno == EINVAL, "type 10 refused");
    static char big[70000];
    memset(big, 'v', sizeof big);
    h = (es_header){ .name = "big", .type = ES_STRING, .bytes = big, .len = 65536 };
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) < 0 && errno == EINVAL, "65536-byte string refused");
    h.len = 65535;
    EXPECT(es_encode(&h, 1, NULL, 0, &msg, &len) == 0, "65535-byte string taken");
    free(msg);
    /* Two headers of 1 + 4 + 1 + 2 + 65530 bytes: 131076, just over 128 KiB;
     * one byte less each and they fit (131072 exactly). */
    es_header two[2] = { h, h };
    two[0].len = two[1].len = 65530;
    two[0].name = "big1";
    two[1].name = "big2";
    EXPECT(es_encode(two, 2, NULL, 0, &msg, &len) < 0 && errno == EMSGSIZE,
           "headers of 131076 bytes refused");
    two[0].len = two[1].len = 65528;
    EXPECT(es_encode(two, 2, NULL, 0, &msg, &len) == 0 && len == 16 + 131072,
           "headers of exactly 128 KiB taken");
    free(msg);
    es_header three[3] = { h, h, h };
    three[1].name = "big2";
    three[2].name = "big3";
    EXPECT(es_encode(three, 3, NULL, 0, &msg, &len) < 0 && errno == EMSGSIZE,
           "headers over 128 KiB refused");
    size_t max = ES_MAX_PAYLOAD_LEN;
    unsigned char *payload = calloc(1, max + 1);
    EXPECT(payload != NULL, "memory");
    EXPECT(es_encode_event("result", NULL, payload, max + 1, &msg, &len) < 0 && errno == EMSGSIZE,
           "payload over 24 MiB refused");
    EXPECT(es_encode_event("result", NULL, payload, max, &msg, &len) == 0 &&
           len == max + 16 + (1 + 13 + 1 + 2 + 5) + (1 + 11 + 1 + 2 + 6), "24 MiB payload taken");
    free(msg);
    free(payload);
    EXPECT(es_encode_event("", NULL, "x", 1, &msg, &len) < 0 && errno == EINVAL, "empty event type refused");
    EXPECT(es_encode_event(NULL, NULL, "x", 1, &msg, &len) < 0 && errno == EINVAL, "no event type refused");
    EXPECT(es_encode_event("result", NULL, NULL, 1, &msg, &len) < 0 && errno == EINVAL, "NULL payload refused");
    EXPECT(es_encode(NULL, 0, NULL, 0, &msg, &len) == 0 && len == 16, "empty message is 16 bytes");
    free(msg);
    printf("ok\n");
    return 0;
}

/* ------------------------------------------------------------- sigv4 -- */

typedef struct key_table {
    const cJSON *keys;   /* {"KEYID": "SECRET"} */
} key_table;

static int table_lookup(void *cls, const char *key_id, char *secret, size_t size)
{
    const key_table *t = cls;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(t->keys, key_id);
    if (!cJSON_IsString(v) || strlen(v->valuestring) >= size)
        return -1;
    strcpy(secret, v->valuestring);
    return 0;
}

static int unhex(const char *hex, unsigned char **out, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2)
        return -1;
    unsigned char *b = malloc(n / 2 + 1);
    if (!b)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(b);
            return -1;
        }
        b[i] = (unsigned char)v;
    }
    *out = b;
    *len = n / 2;
    return 0;
}

static const char *str_item(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int sigv4_case(const cJSON *c)
{
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(c, "headers");
    int n = cJSON_GetArraySize(hs);
    sigv4_header *headers = calloc((size_t)n + 1, sizeof *headers);
    if (!headers)
        return -1;
    for (int i = 0; i < n; i++) {
        const cJSON *pair = cJSON_GetArrayItem(hs, i);
        headers[i].name = cJSON_GetArrayItem(pair, 0)->valuestring;
        headers[i].value = cJSON_GetArrayItem(pair, 1)->valuestring;
    }
    unsigned char *body = NULL;
    size_t body_len = 0;
    const char *body_hex = str_item(c, "body_hex");
    if (unhex(body_hex ? body_hex : "", &body, &body_len) < 0) {
        free(headers);
        return -1;
    }
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(body, body_len, digest);
    free(body);
    char digest_hex[65];
    for (int i = 0; i < 32; i++)
        sprintf(digest_hex + 2 * i, "%02x", digest[i]);

    const char *also[8] = { 0 };
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(c, "also_signed");
    for (int i = 0; i < cJSON_GetArraySize(a) && i < 7; i++)
        also[i] = cJSON_GetArrayItem(a, i)->valuestring;

    key_table table = { cJSON_GetObjectItemCaseSensitive(c, "keys") };
    sigv4_config cfg = {
        .service = str_item(c, "service") ? str_item(c, "service") : "bedrock-agentcore",
        .region = str_item(c, "region"),
        .max_skew_seconds = 300,
        .allow_unsigned_payload = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "allow_unsigned")),
        .also_signed = also,
        .lookup = table_lookup,
        .lookup_cls = &table,
    };
    sigv4_request req = {
        .method = str_item(c, "method"),
        .raw_path = str_item(c, "path"),
        .raw_query = str_item(c, "query"),
        .headers = headers,
        .n_headers = (size_t)n,
        .body_sha256_hex = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "no_body_hash")) ? NULL : digest_hex,
    };
    time_t now = (time_t)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(c, "now"));
    sigv4_info info;
    sigv4_result r = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "precheck"))
                         ? sigv4_precheck(&cfg, &req, now, &info)
                         : sigv4_verify(&cfg, &req, now, &info);
    printf("%s\t%s\t%s\n", sigv4_result_name(r), info.key_id, info.detail);
    free(headers);
    return 0;
}

static int cmd_sigv4(void)
{
    size_t len;
    unsigned char *in = read_all(stdin, &len);
    if (!in)
        return 1;
    cJSON *cases = cJSON_ParseWithLength((const char *)in, len);
    free(in);
    if (!cJSON_IsArray(cases)) {
        fprintf(stderr, "sigv4: stdin is not a JSON array\n");
        cJSON_Delete(cases);
        return 1;
    }
    int rc = 0;
    const cJSON *c;
    cJSON_ArrayForEach(c, cases) {
        if (sigv4_case(c) < 0) {
            fprintf(stderr, "sigv4: bad case\n");
            rc = 1;
            break;
        }
    }
    cJSON_Delete(cases);
    return rc;
}

static int cmd_keyfile(int argc, char **argv)
{
    char err[512];
    keyfile *kf = keyfile_load(argv[2], err, sizeof err);
    if (!kf) {
        printf("error\t%s\n", err);
        return 1;
    }
    int rc = 0;
    if (argc >= 6) {
        char secret[300];
        const char *name = keyfile_name(kf, argv[3]);
        if (keyfile_lookup(kf, argv[3], secret, sizeof secret) != 0 ||
            strcmp(secret, argv[4]) != 0 || !name || strcmp(name, argv[5]) != 0) {
            printf("error\tkey %s: not found, or another secret or name\n", argv[3]);
            rc = 1;
        }
    }
    if (!rc)
        printf("ok\t%zu\n", keyfile_count(kf));
    keyfile_free(kf);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "es-event") == 0)
        return cmd_es(0, argv[2], argv[3]);
    if (argc >= 4 && strcmp(argv[1], "es-exception") == 0)
        return cmd_es(1, argv[2], argv[3]);
    if (argc >= 2 && strcmp(argv[1], "es-all-types") == 0)
        return cmd_es_all_types();
    if (argc >= 2 && strcmp(argv[1], "es-errors") == 0)
        return cmd_es_errors();
    if (argc >= 2 && strcmp(argv[1], "sigv4") == 0)
        return cmd_sigv4();
    if (argc >= 3 && strcmp(argv[1], "keyfile") == 0)
        return cmd_keyfile(argc, argv);
    fprintf(stderr, "usage: serve_probe es-event|es-exception|es-all-types|es-errors|sigv4|keyfile ...\n");
    return 2;
}
