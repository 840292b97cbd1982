/* SPDX-License-Identifier: MIT */
/*
 * Suite 'audit': SHA-256 against the FIPS 180-4 examples, the hash chain
 * (white-box, no sandbox: records written through core/audit.h, then
 * tampered with), and real sessions writing a trail: executes, files,
 * expiry, setup failures, several threads, callbacks, and no secret in it.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "codeinterp/codeinterp.h"
#include "core/audit.h"
#include "core/config.h"
#include "util/sha256.h"

#define SKIP 77
#define EXEC_TIMEOUT_MS 60000

/* ---------------------------------------------------------------- helpers */

static char tmpdir[256];

static void make_tmpdir(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ci-audit-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *path_in_tmp(const char *name)
{
    char *p = NULL;
    ck_assert_int_ge(asprintf(&p, "%s/%s", tmpdir, name), 0);
    return p;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "re");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap + 1);
            ck_assert_ptr_nonnull(buf);
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "we");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

/* The lines of a file, each with its '\n'; free each and the array. */
static char **split_lines(const char *text, size_t *count)
{
    char **lines = NULL;
    size_t n = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p + 1) : strlen(p);
        lines = realloc(lines, (n + 1) * sizeof(*lines));
        ck_assert_ptr_nonnull(lines);
        lines[n++] = strndup(p, len);
        p += len;
    }
    *count = n;
    return lines;
}

static void free_lines(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

static char *join_lines(char **lines, size_t n)
{
    size_t total = 1;
    for (size_t i = 0; i < n; i++)
        total += strlen(lines[i]);
    char *out = calloc(1, total);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < n; i++)
        strcat(out, lines[i]);
    return out;
}

/* Parsed records of a trail file; cJSON_Delete() the array. */
static cJSON *records_of(const char *path)
{
    char *text = read_file(path, NULL);
    size_t n;
    char **lines = split_lines(text, &n);
    cJSON *all = cJSON_CreateArray();
    for (size_t i = 0; i < n; i++) {
        cJSON *rec = cJSON_Parse(lines[i]);
        ck_assert_msg(rec != NULL, "line %zu is not JSON: %s", i + 1, lines[i]);
        cJSON_AddItemToArray(all, rec);
    }
    free_lines(lines, n);
    free(text);
    return all;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double num_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    ck_assert_msg(cJSON_IsNumber(v), "no number \"%s\"", key);
    return v->valuedouble;
}

static int count_op(const cJSON *recs, const char *op)
{
    int n = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, recs)
        n += str_of(r, "op") && strcmp(str_of(r, "op"), op) == 0;
    return n;
}

/* Asserts the trail verifies with `want` records (0: any number). */
static uint64_t assert_verifies(const char *path, uint64_t want)
{
    uint64_t records = 0;
    char *problem = (char *)"unset";
    int rc = ci_audit_verify_file(path, &records, &problem);
    ck_assert_msg(rc == 0, "trail %s does not verify: %s: %s", path, ci_strerror(rc),
                  rc == CI_EAUDIT ? problem : ci_last_error());
    ck_assert_ptr_null(problem);
    if (want)
        ck_assert_uint_eq(records, want);
    return records;
}

/* Asserts the trail fails at line `line` with a message containing `what`. */
static void assert_fails_at(const char *path, uint64_t line, const char *what)
{
    uint64_t records = 12345;
    char *problem = NULL;
    int rc = ci_audit_verify_file(path, &records, &problem);
    ck_assert_int_eq(rc, CI_EAUDIT);
    ck_assert_ptr_nonnull(problem);
    char prefix[64];
    snprintf(prefix, sizeof(prefix), "line %llu: ", (unsigned long long)line);
    ck_assert_msg(strncmp(problem, prefix, strlen(prefix)) == 0, "expected \"%s...\", got \"%s\"",
                  prefix, problem);
    ck_assert_msg(strstr(problem, what), "expected \"%s\" in \"%s\"", what, problem);
    ck_assert_uint_eq(records, line - 1);
    ci_free(problem);
}

static ci_config *config_new(void)
{
    ci_config *c = NULL;
    const char *state = getenv("CODEINTERP_STATE_DIR");
    if (state && *state)
        mkdir(state, 0700);
    ck_assert_int_eq(ci_config_new(&c), 0);
    ck_assert_int_eq(ci_config_set_exec_timeout_ms(c, EXEC_TIMEOUT_MS), 0);
    return c;
}

static int have_runtime(void)
{
    const char *dir = getenv("CODEINTERP_RUNTIME_DIR");
    char path[4096];
    snprintf(path, sizeof(path), "%s/python/bin/python3", dir && *dir ? dir : "/opt/codeinterp");
    return access(path, X_OK) == 0;
}

static ci_session *session_new(const ci_config *c)
{
    ci_session *s = NULL;
    int rc = ci_session_create(c, &s);
    ck_assert_msg(rc == 0, "ci_session_create: %s: %s", ci_strerror(rc), ci_last_error());
    return s;
}

static void exec_ok(ci_session *s, const char *code)
{
    ci_result *r = NULL;
    int rc = ci_execute(s, code, NULL, &r);
    ck_assert_msg(rc == 0, "ci_execute: %s: %s", ci_strerror(rc), ci_session_last_error(s));
    ck_assert_msg(ci_result_status(r) == CI_STATUS_OK, "status %s: %s",
                  ci_status_name(ci_result_status(r)), ci_result_error_value(r));
    ci_result_free(r);
}

/* ----------------------------------------------------------------- sha256 */

static void assert_digest(const void *data, size_t len, const char *want)
{
    char hex[CI_SHA256_HEX_LEN + 1];
    ci_sha256_hex(data, len, hex);
    ck_assert_str_eq(hex, want);
}

START_TEST(sha256_fips_vectors)
{
    /* FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA2_Additional.pdf") */
    assert_digest("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_digest("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_digest(two_blocks, strlen(two_blocks),
                  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    const char *long_msg = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                           "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
    assert_digest(long_msg, strlen(long_msg),
                  "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    unsigned char byte = 0xbd;
    assert_digest(&byte, 1, "68325720aabd7c82f30f554b313d0570c95accbb7dc4b5aae11204c08ffe732b");

    /* one million 'a', fed in uneven pieces across block boundaries */
    char chunk[1024];
    memset(chunk, 'a', sizeof(chunk));
    ci_sha256_ctx c;
    ci_sha256_init(&c);
    size_t fed = 0, step = 1;
    while (fed < 1000000) {
        size_t n = 1000000 - fed < step ? 1000000 - fed : step;
        ci_sha256_update(&c, chunk, n);
        fed += n;
        step = step % 997 + 13;
    }
    unsigned char d[CI_SHA256_LEN];
    char hex[CI_SHA256_HEX_LEN + 1];
    ci_sha256_final(&c, d);
    ci_sha256_to_hex(d, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(sha256_incremental_matches_oneshot)
{
    unsigned char data[300];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + 3);
    /* every length around the padding edges (55, 56, 63, 64, 119, 120) and
     * every split point gives the one-shot digest */
    for (size_t len = 0; len <= 200; len++) {
        unsigned char one[CI_SHA256_LEN];
        ci_sha256(data, len, one);
        for (size_t cut = 0; cut <= len; cut += 17) {
            ci_sha256_ctx c;
            unsigned char two[CI_SHA256_LEN];
            ci_sha256_init(&c);
            ci_sha256_update(&c, data, cut);
            ci_sha256_update(&c, data + cut, len - cut);
            ci_sha256_final(&c, two);
            ck_assert_msg(memcmp(one, two, sizeof(one)) == 0, "len %zu cut %zu", len, cut);
        }
    }
}
END_TEST

/* ------------------------------------------------------------------ chain */

static const char fake_session[] = "0123456789abcdef0123456789abcdef";

/* An audit handle writing to `path` (white-box: no sandbox involved). */
static struct ci_audit *open_file_sink(const char *path)
{
    ci_config *c = NULL;
    ck_assert_int_eq(ci_config_new(&c), 0);
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    struct ci_audit *a = NULL;
    char err[256];
    int rc = ci_audit_open(c, fake_session, &a, err, sizeof(err));
    ck_assert_msg(rc == 0, "ci_audit_open: %s", err);
    ck_assert_ptr_nonnull(a);
    ci_config_free(c);
    return a;
}

/* A trail of n upload records for file1 .. filen. */
static char *make_trail(size_t n)
{
    char *path = path_in_tmp("trail.jsonl");
    struct ci_audit *a = open_file_sink(path);
    for (size_t i = 1; i <= n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "file%zu", i);
        ci_audit_file_op(a, "upload", name, NULL, (int64_t)(1000 + i), 0);
    }
    ci_audit_close(a);
    assert_verifies(path, n);
    return path;
}

START_TEST(chain_records_verify)
{
    make_tmpdir();
    char *path = make_trail(5);
    cJSON *recs = records_of(path);
    ck_assert_int_eq(cJSON_GetArraySize(recs), 5);
    const cJSON *first = cJSON_GetArrayItem(recs, 0);
    ck_assert_str_eq(str_of(first, "op"), "upload");
    ck_assert_str_eq(str_of(first, "session"), fake_session);
    ck_assert_str_eq(str_of(first, "outcome"), "ok");
    ck_assert_str_eq(str_of(first, "prev"),
                     "0000000000000000000000000000000000000000000000000000000000000000");
    /* RFC 3339, UTC, milliseconds */
    const char *t = str_of(first, "time");
    ck_assert_uint_eq(strlen(t), 24);
    ck_assert_int_eq(t[10], 'T');
    ck_assert_int_eq(t[19], '.');
    ck_assert_int_eq(t[23], 'Z');
    for (int i = 0; i < 5; i++) {
        const cJSON *r = cJSON_GetArrayItem(recs, i);
        ck_assert_int_eq((int)num_of(r, "seq"), i + 1);
        if (i > 0)
            ck_assert_str_eq(str_of(r, "prev"), str_of(cJSON_GetArrayItem(recs, i - 1), "hash"));
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(r, "params");
        ck_assert_int_eq((int)num_of(params, "size"), 1001 + i);
    }
    /* doc/audit.md's definition, computed independently of the verifier */
    char *text = read_file(path, NULL);
    char *end = strchr(text, '\n');
    *end = '\0';
    char *hash_member = strstr(text, ",\"hash\":\"");
    ck_assert_ptr_nonnull(hash_member);
    char hex[CI_SHA256_HEX_LEN + 1];
    ci_sha256_hex(text, (size_t)(hash_member - text), hex);
    ck_assert_str_eq(hex, str_of(first, "hash"));
    free(text);
    cJSON_Delete(recs);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(chain_detects_edited_byte)
{
    make_tmpdir();
    char *path = make_trail(5);
    char *text = read_file(path, NULL);
    /* "file3" -> "filE3": still valid JSON, only the hash can tell */
    char *hit = strstr(text, "\"file3\"");
    ck_assert_ptr_nonnull(hit);
    hit[4] = 'E';
    write_file(path, text, strlen(text));
    assert_fails_at(path, 3, "hash does not match");

    /* a byte of the size: a digit changed */
    free(text);
    free(path);
    remove_tmpdir();
    make_tmpdir();
    path = make_trail(5);
    text = read_file(path, NULL);
    hit = strstr(text, "\"size\":1004");
    ck_assert_ptr_nonnull(hit);
    hit[10] = '5';
    write_file(path, text, strlen(text));
    assert_fails_at(path, 4, "hash does not match");

    /* a byte of the hash itself */
    free(text);
    free(path);
    remove_tmpdir();
    make_tmpdir();
    path = make_trail(5);
    text = read_file(path, NULL);
    size_t n;
    char **lines = split_lines(text, &n);
    char *h = strstr(lines[1], ",\"hash\":\"") + 9;
    h[0] = h[0] == '0' ? '1' : '0';
    char *joined = join_lines(lines, n);
    write_file(path, joined, strlen(joined));
    assert_fails_at(path, 2, "hash does not match");
    free(joined);
    free_lines(lines, n);
    free(text);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(chain_detects_deleted_line)
{
    make_tmpdir();
    char *path = make_trail(5);
    char *text = read_file(path, NULL);
    size_t n;
    char **lines = split_lines(text, &n);
    ck_assert_uint_eq(n, 5);

    /* line 3 removed: the new line 3 does not follow line 2 */
    char *kept[] = {lines[0], lines[1], lines[3], lines[4]};
    char *joined = join_lines(kept, 4);
    write_file(path, joined, strlen(joined));
    assert_fails_at(path, 3, "\"prev\" is not the hash of the line before");
    free(joined);

    /* line 1 removed: the trail no longer starts at its first record */
    joined = join_lines(lines + 1, 4);
    write_file(path, joined, strlen(joined));
    assert_fails_at(path, 1, "is not 64 zeros");
    free(joined);

    /* the last line cut short */
    joined = join_lines(lines, 5);
    write_file(path, joined, strlen(joined) - 1);
    assert_fails_at(path, 5, "incomplete record");
    free(joined);

    /* an empty line inserted */
    char empty[] = "\n";
    char *inserted[] = {lines[0], lines[1], empty, lines[2], lines[3], lines[4]};
    joined = join_lines(inserted, 6);
    write_file(path, joined, strlen(joined));
    assert_fails_at(path, 3, "not an audit record");
    free(joined);

    free_lines(lines, n);
    free(text);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(chain_detects_swapped_lines)
{
    make_tmpdir();
    char *path = make_trail(5);
    char *text = read_file(path, NULL);
    size_t n;
    char **lines = split_lines(text, &n);

    char *swapped[] = {lines[0], lines[2], lines[1], lines[3], lines[4]};
    char *joined = join_lines(swapped, 5);
    write_file(path, joined, strlen(joined));
    assert_fails_at(path, 2, "\"prev\" is not the hash of the line before");
    free(joined);

    char *last_two[] = {lines[0], lines[1], lines[2], lines[4], lines[3]};
    joined = join_lines(last_two, 5);
    write_file(path, joined, strlen(joined));
    assert_fails_at(path, 4, "\"prev\" is not the hash of the line before");
    free(joined);

    /* a record repeated */
    char *repeated[] = {lines[0], lines[1], lines[1], lines[2]};
    joined = join_lines(repeated, 4);
    write_file(path, joined, strlen(joined));
    assert_fails_at(path, 3, "\"prev\" is not the hash of the line before");
    free(joined);

    free_lines(lines, n);
    free(text);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(chain_writer_refuses_torn_tail)
{
    make_tmpdir();
    char *path = make_trail(3);
    size_t len;
    char *text = read_file(path, &len);
    /* a crash in the middle of a line: the writer must not chain onto it */
    write_file(path, text, len - 20);
    struct ci_audit *a = open_file_sink(path);
    struct ci_audit_event ev = {.op = "list"};
    ck_assert_int_eq(ci_audit_emit(a, &ev), CI_EIO);
    ck_assert_ptr_nonnull(strstr(ci_audit_error(a), "complete record"));
    ci_audit_close(a);
    size_t after;
    free(read_file(path, &after));
    ck_assert_uint_eq(after, len - 20);
    free(text);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(chain_long_lines_and_odd_names)
{
    make_tmpdir();
    char *path = path_in_tmp("odd.jsonl");
    struct ci_audit *a = open_file_sink(path);
    /* a last line longer than the writer's first tail read */
    char *long_name = malloc(20001);
    memset(long_name, 'n', 20000);
    long_name[20000] = '\0';
    ci_audit_file_op(a, "upload", long_name, NULL, 1, 0);
    /* quotes, backslashes, control characters, a newline, bytes that are not
     * UTF-8, and real UTF-8 */
    ci_audit_file_op(a, "upload", "a\"b\\c\n\t\x01\x7f\xff\xc3(\xe2\x82\xac.txt", NULL, 2, 0);
    ci_audit_list(a, "dir", 7, 0);
    ci_audit_s3_transfer(a, "download", "s3://AKIAKEY:SECRETKEY@bucket/key.csv?X-Amz-Signature=abc",
                         "key.csv", 10, 0);
    ci_audit_close(a);
    assert_verifies(path, 4);
    cJSON *recs = records_of(path);
    const cJSON *odd = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recs, 1), "params");
    ck_assert_str_eq(str_of(odd, "name"), "a\"b\\c\n\t\x01\x7f\xef\xbf\xbd\xef\xbf\xbd(\xe2\x82\xac.txt");
    const cJSON *s3 = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recs, 3), "params");
    ck_assert_str_eq(str_of(s3, "uri"), "s3://bucket/key.csv");
    char *text = read_file(path, NULL);
    ck_assert_ptr_null(strstr(text, "SECRETKEY"));
    ck_assert_ptr_null(strstr(text, "Signature"));
    /* four lines: the newline in the name was escaped */
    size_t n;
    char **lines = split_lines(text, &n);
    free_lines(lines, n);
    ck_assert_uint_eq(n, 4);
    free(text);
    cJSON_Delete(recs);
    free(long_name);
    free(path);
    remove_tmpdir();
}
END_TEST

struct collected {
    pthread_mutex_t lock;
    char *text;
    size_t len;
    int calls;
};

static void collect(const char *line, size_t len, void *user_data)
{
    struct collected *c = user_data;
    pthread_mutex_lock(&c->lock);
    ck_assert_uint_eq(strlen(line), len);
    ck_assert_int_eq(line[len - 1], '\n');
    c->text = realloc(c->text, c->len + len + 1);
    memcpy(c->text + c->len, line, len + 1);
    c->len += len;
    c->calls++;
    pthread_mutex_unlock(&c->lock);
}

START_TEST(chain_callback_only_shared_by_copies)
{
    make_tmpdir();
    struct collected got = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ci_config *c = NULL;
    ck_assert_int_eq(ci_config_new(&c), 0);
    ck_assert_int_eq(ci_config_set_audit_callback(c, collect, &got), 0);
    /* two sessions' copies of the config write one chain */
    ci_config copy1, copy2;
    ck_assert_int_eq(ci_config_copy(&copy1, c), 0);
    ck_assert_int_eq(ci_config_copy(&copy2, c), 0);
    ci_config_free(c);
    struct ci_audit *a1 = NULL, *a2 = NULL;
    char err[128];
    ck_assert_int_eq(ci_audit_open(&copy1, "11111111111111111111111111111111", &a1, err, sizeof(err)), 0);
    ck_assert_int_eq(ci_audit_open(&copy2, "22222222222222222222222222222222", &a2, err, sizeof(err)), 0);
    ci_config_clear(&copy1);
    ci_config_clear(&copy2);
    ci_audit_list(a1, "", 1, 0);
    ci_audit_list(a2, "", 2, 0);
    ci_audit_list(a1, "", 3, 0);
    ci_audit_close(a1);
    ci_audit_close(a2);
    ck_assert_int_eq(got.calls, 3);
    char *path = path_in_tmp("collected.jsonl");
    write_file(path, got.text, got.len);
    assert_verifies(path, 3);
    free(got.text);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(chain_principal)
{
    make_tmpdir();
    struct collected got = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ci_config *c = NULL;
    ck_assert_int_eq(ci_config_new(&c), 0);
    ck_assert_int_eq(ci_config_set_audit_callback(c, collect, &got), 0);
    ck_assert_int_eq(ci_config_set_audit_principal(NULL, "x"), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_audit_principal(c, ""), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_audit_principal(c, "a\nb"), CI_EINVAL);
    char long_name[258];
    memset(long_name, 'k', 257);
    long_name[257] = '\0';
    ck_assert_int_eq(ci_config_set_audit_principal(c, long_name), CI_EINVAL);
    long_name[256] = '\0';
    ck_assert_int_eq(ci_config_set_audit_principal(c, long_name), 0);
    ck_assert_int_eq(ci_config_set_audit_principal(c, "AKIA\"KEY\\1"), 0);
    ci_config copy;
    ck_assert_int_eq(ci_config_copy(&copy, c), 0);
    struct ci_audit *a = NULL;
    char err[128];
    ck_assert_int_eq(ci_audit_open(&copy, "11111111111111111111111111111111", &a, err,
                                   sizeof(err)), 0);
    ci_audit_list(a, "", 1, 0);
    ci_audit_close(a);
    ci_config_clear(&copy);
    /* and none once unset */
    ck_assert_int_eq(ci_config_set_audit_principal(c, NULL), 0);
    ck_assert_int_eq(ci_config_copy(&copy, c), 0);
    ck_assert_int_eq(ci_audit_open(&copy, "22222222222222222222222222222222", &a, err,
                                   sizeof(err)), 0);
    ci_audit_list(a, "", 2, 0);
    ci_audit_close(a);
    ci_config_clear(&copy);
    ci_config_free(c);
    ck_assert_int_eq(got.calls, 2);
    ck_assert_ptr_nonnull(strstr(got.text, "\"session\":\"11111111111111111111111111111111\","
                                           "\"principal\":\"AKIA\\\"KEY\\\\1\",\"op\":"));
    const char *second = strchr(got.text, '\n') + 1;
    ck_assert_ptr_null(strstr(second, "principal"));
    char *path = path_in_tmp("principal.jsonl");
    write_file(path, got.text, got.len);
    assert_verifies(path, 2);
    free(got.text);
    free(path);
    remove_tmpdir();
}
END_TEST

/* A refusal of the host, outside any session, on the same chain as the
 * sessions' records; the claimed identity escaped like any string. */
START_TEST(access_denied_record)
{
    make_tmpdir();
    char *path = path_in_tmp("denied.jsonl");
    ci_config *c = NULL;
    ck_assert_int_eq(ci_config_new(&c), 0);
    /* no sink: nothing to write, and no error */
    ck_assert_int_eq(ci_audit_access_denied(c, "AKIA1", "signature", NULL), 0);
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    ck_assert_int_eq(ci_audit_access_denied(NULL, "AKIA1", "signature", NULL), CI_EINVAL);
    ck_assert_int_eq(ci_audit_access_denied(c, "AKIA1", "", NULL), CI_EINVAL);
    ck_assert_int_eq(ci_audit_access_denied(c, "AKIA1", NULL, NULL), CI_EINVAL);
    ck_assert_int_eq(ci_audit_access_denied(c, "AKIA\"1\n", "signature",
                                            "POST /code-interpreters/x/tools/invoke"), 0);
    ck_assert_int_eq(ci_audit_access_denied(c, NULL, "malformed", NULL), 0);
    ci_config_free(c);
    assert_verifies(path, 2);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[2048];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_ptr_nonnull(strstr(line, "\"session\":\"\",\"principal\":\"AKIA\\\"1\\u000a\","
                                       "\"op\":\"access_denied\",\"params\":{\"reason\":"
                                       "\"signature\"},\"outcome\":\"error\""));
    ck_assert_ptr_nonnull(strstr(line, "\"error_code\":-21"));
    ck_assert_ptr_nonnull(strstr(line, "\"message\":\"POST /code-interpreters/x/tools/invoke\""));
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_ptr_null(strstr(line, "principal")); /* none claimed */
    fclose(f);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(chain_bad_files)
{
    make_tmpdir();
    uint64_t records = 99;
    char *problem = (char *)"unset";
    /* an empty trail verifies */
    char *path = path_in_tmp("empty.jsonl");
    write_file(path, "", 0);
    ck_assert_int_eq(ci_audit_verify_file(path, &records, &problem), 0);
    ck_assert_uint_eq(records, 0);
    ck_assert_ptr_null(problem);
    /* not JSON at all */
    write_file(path, "hello\n", 6);
    assert_fails_at(path, 1, "not an audit record");
    free(path);
    path = path_in_tmp("missing.jsonl");
    ck_assert_int_eq(ci_audit_verify_file(path, &records, &problem), CI_ENOENT);
    ck_assert_int_eq(ci_audit_verify_file(NULL, &records, &problem), CI_EINVAL);
    ck_assert_str_eq(ci_strerror(CI_EAUDIT), "audit trail does not verify");
    /* a directory is no audit file */
    ci_config *c = NULL;
    ck_assert_int_eq(ci_config_new(&c), 0);
    ck_assert_int_eq(ci_config_set_audit_file(c, tmpdir), 0);
    struct ci_audit *a = NULL;
    char err[256];
    ck_assert_int_lt(ci_audit_open(c, fake_session, &a, err, sizeof(err)), 0);
    ck_assert_ptr_null(a);
    ck_assert_int_eq(ci_config_set_audit_file(c, ""), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_audit_file(c, NULL), 0);
    ck_assert_int_eq(ci_config_set_audit_fsync(NULL, 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_audit_callback(NULL, collect, NULL), CI_EINVAL);
    ci_config_free(c);
    free(path);
    remove_tmpdir();
}
END_TEST

/* ---------------------------------------------------------------- session */

START_TEST(session_two_executes)
{
    if (!have_runtime())
        return;
    make_tmpdir();
    char *path = path_in_tmp("audit.jsonl");
    ci_config *c = config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    ck_assert_int_eq(ci_config_set_audit_fsync(c, 1), 0);
    ci_session *s = session_new(c);
    exec_ok(s, "x = 6 * 7");
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(s, "raise ValueError('boom')", NULL, &r), 0);
    ck_assert_int_eq(ci_result_status(r), CI_STATUS_ERROR);
    ci_result_free(r);
    char id[33];
    snprintf(id, sizeof(id), "%s", ci_session_id(s));
    ci_session_destroy(s);
    ci_config_free(c);

    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    assert_verifies(path, 6);
    cJSON *recs = records_of(path);
    static const char *ops[] = {"session_create", "execute_start", "execute_end",
                                "execute_start", "execute_end", "session_destroy"};
    for (int i = 0; i < 6; i++) {
        const cJSON *rec = cJSON_GetArrayItem(recs, i);
        ck_assert_str_eq(str_of(rec, "op"), ops[i]);
        ck_assert_str_eq(str_of(rec, "session"), id);
    }
    const cJSON *start = cJSON_GetArrayItem(recs, 1);
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(start, "params");
    char digest[CI_SHA256_HEX_LEN + 1];
    ci_sha256_hex("x = 6 * 7", 9, digest);
    ck_assert_str_eq(str_of(params, "code_sha256"), digest);
    ck_assert_int_eq((int)num_of(params, "code_length"), 9);
    ck_assert_str_eq(str_of(params, "language"), "python");

    const cJSON *end_ok = cJSON_GetArrayItem(recs, 2);
    ck_assert_str_eq(str_of(end_ok, "outcome"), "ok");
    ck_assert_str_eq(str_of(end_ok, "status"), "ok");
    ck_assert_int_eq((int)num_of(end_ok, "exit_code"), 0);
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(end_ok, "usage");
    ck_assert(num_of(usage, "wall_ms") > 0);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(usage, "cpu_ms"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(usage, "peak_memory_bytes"));

    const cJSON *end_err = cJSON_GetArrayItem(recs, 4);
    ck_assert_str_eq(str_of(end_err, "outcome"), "error");
    ck_assert_str_eq(str_of(end_err, "status"), "error");
    ck_assert_int_eq((int)num_of(end_err, "exit_code"), 1);
    ck_assert_int_eq((int)num_of(end_err, "error_code"), 0);
    cJSON_Delete(recs);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(session_no_secrets)
{
    if (!have_runtime())
        return;
    make_tmpdir();
    char *path = path_in_tmp("audit.jsonl");
    ci_config *c = config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    ck_assert_int_eq(ci_config_set_env(c, "API_TOKEN_NAME_X", "SECRET_ENV_VALUE_456"), 0);
    ci_session *s = session_new(c);
    exec_ok(s, "import os\nsecret = 'SECRET_MARKER_123'\nprint(secret, os.environ['API_TOKEN_NAME_X'])");
    ck_assert_int_eq(ci_upload(s, "notes.txt", "SECRET_FILE_CONTENT_789", 23), 0);
    void *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(ci_download(s, "notes.txt", &data, &len), 0);
    ci_free(data);
    ci_session_destroy(s);
    ci_config_free(c);
    assert_verifies(path, 0);
    char *text = read_file(path, NULL);
    static const char *secrets[] = {"SECRET_MARKER_123", "SECRET_ENV_VALUE_456",
                                    "API_TOKEN_NAME_X", "SECRET_FILE_CONTENT_789", "print("};
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
        ck_assert_msg(!strstr(text, secrets[i]), "\"%s\" is in the audit trail:\n%s", secrets[i],
                      text);
    ck_assert_ptr_nonnull(strstr(text, "\"notes.txt\""));
    free(text);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(session_file_operations)
{
    if (!have_runtime())
        return;
    make_tmpdir();
    char *path = path_in_tmp("audit.jsonl");
    ci_config *c = config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    ci_session *s = session_new(c);
    ck_assert_int_eq(ci_upload(s, "in/data.csv", "a,b\n1,2\n", 8), 0);
    ci_file_list *list = NULL;
    ck_assert_int_eq(ci_list_files(s, "in", &list), 0);
    ci_file_list_free(list);
    void *data = NULL;
    size_t len = 0;
    ck_assert_int_eq(ci_download(s, "in/data.csv", &data, &len), 0);
    ci_free(data);
    ck_assert_int_eq(ci_remove_file(s, "in"), 0);
    ck_assert_int_eq(ci_upload(s, "../escape", "x", 1), CI_EPATH);
    ci_session_destroy(s);
    ci_config_free(c);

    assert_verifies(path, 7);
    cJSON *recs = records_of(path);
    static const char *ops[] = {"session_create", "upload", "list", "download",
                                "remove", "upload", "session_destroy"};
    for (int i = 0; i < 7; i++)
        ck_assert_str_eq(str_of(cJSON_GetArrayItem(recs, i), "op"), ops[i]);
    const cJSON *up = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recs, 1), "params");
    ck_assert_str_eq(str_of(up, "name"), "in/data.csv");
    ck_assert_int_eq((int)num_of(up, "size"), 8);
    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recs, 2), "params");
    ck_assert_str_eq(str_of(ls, "dir"), "in");
    ck_assert_int_eq((int)num_of(ls, "count"), 1);
    const cJSON *down = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recs, 3), "params");
    ck_assert_int_eq((int)num_of(down, "size"), 8);
    const cJSON *bad = cJSON_GetArrayItem(recs, 5);
    ck_assert_str_eq(str_of(bad, "outcome"), "error");
    ck_assert_int_eq((int)num_of(bad, "error_code"), CI_EPATH);
    ck_assert_str_eq(str_of(cJSON_GetObjectItemCaseSensitive(bad, "params"), "name"), "../escape");
    cJSON_Delete(recs);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(session_expiry)
{
    if (!have_runtime())
        return;
    make_tmpdir();
    char *path = path_in_tmp("audit.jsonl");
    ci_config *c = config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    ck_assert_int_eq(ci_config_set_idle_timeout_ms(c, 300), 0);
    ci_session *s = session_new(c);
    struct timespec nap = {1, 0};
    nanosleep(&nap, NULL);
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(s, "1", NULL, &r), CI_EEXPIRED);
    ck_assert_int_eq(ci_execute(s, "2", NULL, &r), CI_EEXPIRED);
    ci_session_destroy(s);
    ci_config_free(c);

    assert_verifies(path, 0);
    cJSON *recs = records_of(path);
    ck_assert_int_eq(count_op(recs, "session_expire"), 1);
    ck_assert_int_eq(count_op(recs, "execute_start"), 2);
    ck_assert_int_eq(count_op(recs, "execute_end"), 2);
    const cJSON *rec;
    cJSON_ArrayForEach(rec, recs) {
        const char *op = str_of(rec, "op");
        if (!strcmp(op, "session_expire") || !strcmp(op, "execute_end")) {
            ck_assert_str_eq(str_of(rec, "outcome"), "error");
            ck_assert_int_eq((int)num_of(rec, "error_code"), CI_EEXPIRED);
        }
    }
    ck_assert_str_eq(str_of(cJSON_GetArrayItem(recs, 2), "op"), "session_expire");
    cJSON_Delete(recs);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(session_setup_failure)
{
    make_tmpdir();
    char *path = path_in_tmp("audit.jsonl");
    ci_config *c = config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    ck_assert_int_eq(ci_config_set_helper_path(c, "/nonexistent/codeinterp-sandbox"), 0);
    ci_session *s = NULL;
    int rc = ci_session_create(c, &s);
    ck_assert_int_lt(rc, 0);
    ck_assert_ptr_null(s);
    assert_verifies(path, 1);
    cJSON *recs = records_of(path);
    const cJSON *rec = cJSON_GetArrayItem(recs, 0);
    ck_assert_str_eq(str_of(rec, "op"), "sandbox_setup_failure");
    ck_assert_str_eq(str_of(rec, "outcome"), "error");
    ck_assert_int_eq((int)num_of(rec, "error_code"), rc);
    ck_assert_ptr_nonnull(strstr(str_of(rec, "message"), "/nonexistent/codeinterp-sandbox"));
    cJSON_Delete(recs);

    /* an audit file that cannot be opened: no session, nothing started */
    ck_assert_int_eq(ci_config_set_audit_file(c, "/nonexistent-dir/audit.jsonl"), 0);
    ck_assert_int_eq(ci_session_create(c, &s), CI_EIO);
    ck_assert_ptr_nonnull(strstr(ci_last_error(), "audit"));
    ci_config_free(c);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(session_sandbox_cannot_reach_trail)
{
    if (!have_runtime())
        return;
    make_tmpdir();
    char *path = path_in_tmp("audit.jsonl");
    ci_config *c = config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    ci_session *s = session_new(c);
    /* neither by its host path nor through an inherited descriptor */
    char *code = NULL;
    ck_assert_int_ge(asprintf(&code,
                              "import os\n"
                              "print(os.path.exists('%s'))\n"
                              "for fd in os.listdir('/proc/self/fd'):\n"
                              "    try:\n"
                              "        print(os.readlink('/proc/self/fd/' + fd))\n"
                              "    except OSError:\n"
                              "        pass\n",
                              path), 0);
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(s, code, NULL, &r), 0);
    ck_assert_int_eq(ci_result_status(r), CI_STATUS_OK);
    const char *out = ci_result_stdout(r, NULL);
    ck_assert_msg(strncmp(out, "False\n", 6) == 0, "the sandbox sees the trail:\n%s", out);
    ck_assert_msg(!strstr(out, "audit.jsonl"), "the sandbox holds the trail open:\n%s", out);
    ci_result_free(r);
    ci_session_destroy(s);
    ci_config_free(c);
    assert_verifies(path, 4);
    free(code);
    free(path);
    remove_tmpdir();
}
END_TEST

struct worker {
    const ci_config *config;
    int executes;
};

static void *run_worker(void *arg)
{
    struct worker *w = arg;
    ci_session *s = NULL;
    if (ci_session_create(w->config, &s) != 0)
        return (void *)"ci_session_create failed";
    for (int i = 0; i < w->executes; i++) {
        ci_result *r = NULL;
        if (ci_execute(s, "sum(range(1000))", NULL, &r) != 0)
            return (void *)"ci_execute failed";
        ci_result_free(r);
    }
    ci_session_destroy(s);
    return NULL;
}

START_TEST(session_threads_share_file)
{
    if (!have_runtime())
        return;
    make_tmpdir();
    char *path = path_in_tmp("audit.jsonl");
    ci_config *c = config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    enum { THREADS = 3, EXECUTES = 4 };
    pthread_t threads[THREADS];
    struct worker w = {c, EXECUTES};
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&threads[i], NULL, run_worker, &w), 0);
    for (int i = 0; i < THREADS; i++) {
        void *failed;
        pthread_join(threads[i], &failed);
        ck_assert_msg(failed == NULL, "%s", (const char *)failed);
    }
    ci_config_free(c);
    assert_verifies(path, THREADS * (2 + 2 * EXECUTES));
    cJSON *recs = records_of(path);
    ck_assert_int_eq(count_op(recs, "session_create"), THREADS);
    ck_assert_int_eq(count_op(recs, "execute_end"), THREADS * EXECUTES);
    cJSON_Delete(recs);
    free(path);
    remove_tmpdir();
}
END_TEST

START_TEST(session_callback_same_lines)
{
    if (!have_runtime())
        return;
    make_tmpdir();
    char *path = path_in_tmp("audit.jsonl");
    struct collected got = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ci_config *c = config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, path), 0);
    ck_assert_int_eq(ci_config_set_audit_callback(c, collect, &got), 0);
    ci_session *s = session_new(c);
    exec_ok(s, "print('hi')");
    ci_session_destroy(s);
    size_t len;
    char *text = read_file(path, &len);
    ck_assert_int_eq(got.calls, 4);
    ck_assert_uint_eq(got.len, len);
    ck_assert_mem_eq(got.text, text, len);
    free(text);
    free(got.text);

    /* callback only: the lines form a chain of their own that verifies */
    struct collected only = {.lock = PTHREAD_MUTEX_INITIALIZER};
    ck_assert_int_eq(ci_config_set_audit_file(c, NULL), 0);
    ck_assert_int_eq(ci_config_set_audit_callback(c, collect, &only), 0);
    for (int i = 0; i < 2; i++) {
        s = session_new(c);
        exec_ok(s, "1 + 1");
        ci_session_destroy(s);
    }
    ci_config_free(c);
    ck_assert_int_eq(only.calls, 8);
    char *copy = path_in_tmp("from-callback.jsonl");
    write_file(copy, only.text, only.len);
    assert_verifies(copy, 8);
    free(only.text);
    free(copy);
    free(path);
    remove_tmpdir();
}
END_TEST

static Suite *audit_suite(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("sha256");
    tcase_add_test(tc, sha256_fips_vectors);
    tcase_add_test(tc, sha256_incremental_matches_oneshot);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("chain");
    tcase_add_test(tc, chain_records_verify);
    tcase_add_test(tc, chain_detects_edited_byte);
    tcase_add_test(tc, chain_detects_deleted_line);
    tcase_add_test(tc, chain_detects_swapped_lines);
    tcase_add_test(tc, chain_writer_refuses_torn_tail);
    tcase_add_test(tc, chain_long_lines_and_odd_names);
    tcase_add_test(tc, chain_callback_only_shared_by_copies);
    tcase_add_test(tc, chain_principal);
    tcase_add_test(tc, access_denied_record);
    tcase_add_test(tc, chain_bad_files);
    tcase_set_timeout(tc, 30);
    suite_add_tcase(s, tc);

    tc = tcase_create("session");
    tcase_add_test(tc, session_two_executes);
    tcase_add_test(tc, session_no_secrets);
    tcase_add_test(tc, session_file_operations);
    tcase_add_test(tc, session_expiry);
    tcase_add_test(tc, session_setup_failure);
    tcase_add_test(tc, session_sandbox_cannot_reach_trail);
    tcase_add_test(tc, session_threads_share_file);
    tcase_add_test(tc, session_callback_same_lines);
    tcase_set_timeout(tc, 120);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    const char *only = getenv("CK_RUN_CASE");
    if (only && !strcmp(only, "session") && !have_runtime()) {
        printf("SKIP: no runtime environment\n");
        return SKIP;
    }
    SRunner *runner = srunner_create(audit_suite());
    srunner_set_fork_status(runner, CK_FORK_GETENV);
    srunner_run_all(runner, CK_ENV);
    int run = srunner_ntests_run(runner), failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    if (run == 0) {
        fprintf(stderr, "no test ran (CK_RUN_CASE=%s)\n", only ? only : "(unset)");
        return 1;
    }
    return failed ? 1 : 0;
}
