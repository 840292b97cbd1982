/* SPDX-License-Identifier: MIT */
/* Suite 'files': uploads, downloads, listing and removal in a session's
 * /workspace and /output through the public API and the invoke tools:
 * names, the upload limit, atomicity, listings in pages and the caps of
 * readFiles, the files seen from inside the sandbox and the formats pandas
 * reads there. The links and FIFOs sandboxed code can plant are
 * test_links.c's. */
#include "test_common.h"

#include <cjson/cJSON.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MIB (1024u * 1024u)
#define DEFAULT_LIMIT (100u * MIB)

/* ------------------------------------------------------------- helpers */

/* SHA-256 (FIPS 180-4), to compare with hashlib inside the sandbox. */
struct sha256 {
    uint32_t h[8];
    unsigned char block[64];
    size_t fill;
    uint64_t bytes;
};

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
    return x >> n | x << (32 - n);
}

static void sha_block(struct sha256 *c, const unsigned char *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, c->h, sizeof(v));
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) +
                      ((v[4] & v[5]) ^ (~v[4] & v[6])) + sha_k[i] + w[i];
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) +
                      ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof(uint32_t));
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++)
        c->h[i] += v[i];
}

static void sha256_hex(const void *data, size_t len, char out[65])
{
    struct sha256 c = { { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
                          0x1f83d9ab, 0x5be0cd19 }, { 0 }, 0, 0 };
    const unsigned char *p = data;
    c.bytes = len;
    for (; len >= 64; p += 64, len -= 64)
        sha_block(&c, p);
    unsigned char tail[128] = { 0 };
    memcpy(tail, p, len);
    tail[len] = 0x80;
    size_t tl = len + 1 + 8 <= 64 ? 64 : 128;
    uint64_t bits = c.bytes * 8;
    for (int i = 0; i < 8; i++)
        tail[tl - 1 - i] = (unsigned char)(bits >> (8 * i));
    sha_block(&c, tail);
    if (tl == 128)
        sha_block(&c, tail + 64);
    for (int i = 0; i < 8; i++)
        snprintf(out + 8 * i, 9, "%08x", c.h[i]);
}

static char *b64(const unsigned char *p, size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = a[v >> 18 & 63];
        *o++ = a[v >> 12 & 63];
        *o++ = i + 1 < n ? a[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? a[v & 63] : '=';
    }
    *o = '\0';
    return out;
}

/* Deterministic filler (xorshift64*): fast, and no two MiB alike. */
static void fill(unsigned char *p, size_t n, uint64_t seed)
{
    uint64_t x = seed | 1;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        uint64_t v = x * 0x2545F4914F6CDD1Dull;
        memcpy(p + i, &v, 8);
    }
    for (; i < n; i++)
        p[i] = (unsigned char)i;
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);
    if (b)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---------------------------------------------------------------- names */

START_TEST(bad_names_refused)
{
    ci_session *s = tc_session_new(NULL);
    char *tmp = tc_make_temp_dir("ci-files-names");
    char *src = tc_printf("%s/src.txt", tmp);
    char *dst = tc_printf("%s/out.txt", tmp);
    tc_write_file(src, "x", 0644);

    char too_long[4097];
    memset(too_long, 'a', sizeof(too_long) - 1);
    too_long[sizeof(too_long) - 1] = '\0'; /* 4096 bytes */
    char long_comp[300];
    memset(long_comp, 'b', 256);
    long_comp[256] = '\0';
    char long_comp_in_dir[320];
    snprintf(long_comp_in_dir, sizeof(long_comp_in_dir), "d/%s", long_comp);

    char too_long_abs[4200];
    snprintf(too_long_abs, sizeof(too_long_abs), "/output/%s", too_long);
    /* the areas' roots ("", ".", "/workspace", "/output") are folders: only
     * a listing takes them */
    const char *bad[] = {
        "", "/", "/etc/passwd", "/workspacex/a", "/outputs/a", "/data/in.csv", "/tmp/x",
        "/proc/self/environ", "..", "../x", "a/..", "a/../../x", "a/../b", ".", "./a",
        "a/./b", "a/.", "a//b", "a/", "//", "/workspace", "/workspace/", "/output", "/output/",
        "/workspace/../x", "/output/../workspace/a", "/workspace//a", "/output/a/", "/output/.",
        too_long, too_long_abs, long_comp, long_comp_in_dir,
    };
    const char *roots[] = { "", ".", "/workspace", "/workspace/", "/output", "/output/" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *n = bad[i];
        void *data = NULL;
        size_t len = 0;
        ci_file_list *list = NULL;
        tc_expect_rc(ci_upload(s, n, "x", 1), CI_EPATH, n);
        ck_assert_msg(strstr(ci_last_error(), "name") != NULL, "message: %s", ci_last_error());
        tc_expect_rc(ci_upload_file(s, src, n), CI_EPATH, n);
        tc_expect_rc(ci_download(s, n, &data, &len), CI_EPATH, n);
        ck_assert_ptr_null(data);
        tc_expect_rc(ci_download_to_file(s, n, dst), CI_EPATH, n);
        tc_expect_rc(ci_remove_file(s, n), CI_EPATH, n);
        int root = 0;
        for (size_t k = 0; k < sizeof(roots) / sizeof(roots[0]); k++)
            root |= !strcmp(n, roots[k]);
        if (!root) {
            tc_expect_rc(ci_list_files(s, n, &list), CI_EPATH, n);
            ck_assert_ptr_null(list);
        }
        ck_assert_str_eq(ci_session_last_error(s), ci_last_error());
    }
    /* an absolute name elsewhere says where names may be */
    tc_expect_rc(ci_download(s, "/etc/passwd", &(void *){ NULL }, &(size_t){ 0 }), CI_EPATH,
                 "/etc/passwd");
    ck_assert_msg(strstr(ci_last_error(), "/workspace/") && strstr(ci_last_error(), "/output/"),
                  "message: %s", ci_last_error());
    tc_expect_rc(ci_remove_file(s, "/output"), CI_EPATH, "remove /output");
    ck_assert_msg(strstr(ci_last_error(), "itself"), "message: %s", ci_last_error());
    for (size_t k = 0; k < sizeof(roots) / sizeof(roots[0]); k++)
        tc_assert_names(s, roots[k], "");
    ck_assert_int_eq(access(dst, F_OK), -1);
    tc_assert_names(s, NULL, "");

    /* the limits themselves are fine: a 255-byte component, a 4095-byte name */
    char comp[256];
    memset(comp, 'c', 255);
    comp[255] = '\0';
    tc_expect_rc(ci_upload(s, comp, "y", 1), 0, "255-byte component");
    char longest[4096];
    size_t at = 0;
    memset(comp, 'd', 255);
    while (at + 256 < 4095) {
        memcpy(longest + at, comp, 255);
        longest[at + 255] = '/';
        at += 256;
    }
    memset(longest + at, 'e', 4095 - at);
    longest[4095] = '\0';
    tc_expect_rc(ci_upload(s, longest, "z", 1), 0, "4095-byte name");
    void *data = NULL;
    size_t len = 0;
    tc_expect_rc(ci_download(s, longest, &data, &len), 0, "download 4095-byte name");
    ck_assert_uint_eq(len, 1);
    ci_free(data);

    /* NULL arguments */
    tc_expect_rc(ci_upload(NULL, "a", "x", 1), CI_EINVAL, "NULL session");
    tc_expect_rc(ci_upload(s, NULL, "x", 1), CI_EINVAL, "NULL name");
    tc_expect_rc(ci_upload(s, "a", NULL, 1), CI_EINVAL, "NULL data");
    tc_expect_rc(ci_upload(s, "empty", NULL, 0), 0, "NULL data, no bytes");
    tc_expect_rc(ci_download(s, "empty", NULL, &len), CI_EINVAL, "NULL data out");
    tc_expect_rc(ci_list_files(s, NULL, NULL), CI_EINVAL, "NULL list out");
    tc_expect_rc(ci_config_set_upload_limit(NULL, 1), CI_EINVAL, "NULL config");
    ck_assert_uint_eq(ci_file_list_count(NULL), 0);
    ck_assert_ptr_null(ci_file_list_name(NULL, 0));
    ck_assert_int_eq(ci_file_list_truncated(NULL), 0);
    ck_assert_ptr_null(ci_file_list_next_token(NULL));
    ci_file_list *none = NULL;
    tc_expect_rc(ci_list_files_page(NULL, "", NULL, 1, &none), CI_EINVAL, "NULL session");
    tc_expect_rc(ci_list_files_page(s, "", NULL, 1, NULL), CI_EINVAL, "NULL page out");
    ci_file_list_free(NULL);

    ci_session_destroy(s);
    tc_remove_tree(tmp);
    free(tmp);
    free(src);
    free(dst);
}
END_TEST

/* ---------------------------------------------------------- round trips */

START_TEST(upload_download_list_remove)
{
    ci_session *s = tc_session_new(NULL);
    char *tmp = tc_make_temp_dir("ci-files-rt");

    /* folders are created on the way; the sandbox owns what we made */
    tc_expect_rc(ci_upload(s, "in/2024/notes.txt", "hello\n", 6), 0, "upload");
    tc_assert_py(s,
              "import os\n"
              "for p in ('in', 'in/2024', 'in/2024/notes.txt'):\n"
              "    st = os.stat(p)\n"
              "    print(p, st.st_uid == os.getuid(), oct(st.st_mode & 0o777))\n"
              "print(open('in/2024/notes.txt').read(), end='')\n"
              "open('in/2024/notes.txt', 'a').write('more\\n')\n",
              "in True 0o755\nin/2024 True 0o755\nin/2024/notes.txt True 0o644\nhello\n");

    void *data = NULL;
    size_t len = 0;
    tc_expect_rc(ci_download(s, "in/2024/notes.txt", &data, &len), 0, "download");
    ck_assert_uint_eq(len, 11);
    ck_assert_str_eq(data, "hello\nmore\n"); /* NUL-terminated */
    ci_free(data);

    /* replacing is atomic and keeps nothing of the old contents */
    tc_expect_rc(ci_upload(s, "in/2024/notes.txt", "v2", 2), 0, "replace");
    tc_assert_py(s, "print(open('in/2024/notes.txt').read())", "v2\n");

    /* an empty file */
    tc_expect_rc(ci_upload(s, "empty.bin", "", 0), 0, "empty upload");
    tc_expect_rc(ci_download(s, "empty.bin", &data, &len), 0, "empty download");
    ck_assert_uint_eq(len, 0);
    ci_free(data);

    /* from and to host files */
    char *src = tc_printf("%s/src.csv", tmp);
    char *dst = tc_printf("%s/sub/out.csv", tmp);
    char *dst_dir = tc_printf("%s/sub", tmp);
    tc_write_file(src, "a,b\n1,2\n", 0600);
    tc_expect_rc(ci_upload_file(s, src, "data.csv"), 0, "upload_file");
    ck_assert_int_eq(mkdir(dst_dir, 0700), 0);
    tc_expect_rc(ci_download_to_file(s, "data.csv", dst), 0, "download_to_file");
    tc_assert_host_file(dst, "a,b\n1,2\n");
    tc_expect_rc(ci_upload(s, "data.csv", "new", 3), 0, "replace");
    tc_expect_rc(ci_download_to_file(s, "data.csv", dst), 0, "download_to_file over a file");
    tc_assert_host_file(dst, "new");
    char *missing = tc_printf("%s/nope", tmp);
    tc_expect_rc(ci_upload_file(s, missing, "x"), CI_ENOENT, "missing host file");
    tc_expect_rc(ci_upload_file(s, tmp, "x"), CI_EIO, "host directory");
    tc_expect_rc(ci_download(s, "nope.txt", &data, &len), CI_ENOENT, "missing download");
    tc_expect_rc(ci_download_to_file(s, "nope.txt", missing), CI_ENOENT, "missing download_to_file");
    ck_assert_int_eq(access(missing, F_OK), -1);

    /* a folder in the way of an upload, a file in the way of a folder */
    tc_expect_rc(ci_upload(s, "in", "x", 1), CI_EPATH, "upload over a folder");
    tc_expect_rc(ci_upload(s, "data.csv/x", "x", 1), CI_EPATH, "file as a folder");
    tc_expect_rc(ci_download(s, "in", &data, &len), CI_EFILETYPE, "download a folder");

    /* listing: sorted, with kinds, sizes and times */
    ci_result_free(tc_exec_ok(s, "import os\nos.symlink('data.csv', 'ln')\n", NULL));
    ci_file_list *list = NULL;
    tc_expect_rc(ci_list_files(s, "", &list), 0, "list");
    ck_assert_uint_eq(ci_file_list_count(list), 4);
    const char *names[] = { "data.csv", "empty.bin", "in", "ln" };
    const ci_file_type types[] = { CI_FILE_REGULAR, CI_FILE_REGULAR, CI_FILE_DIRECTORY,
                                   CI_FILE_SYMLINK };
    const uint64_t sizes[] = { 3, 0, 0, 8 };
    for (size_t i = 0; i < 4; i++) {
        ck_assert_str_eq(ci_file_list_name(list, i), names[i]);
        ck_assert_int_eq(ci_file_list_type(list, i), types[i]);
        if (types[i] != CI_FILE_DIRECTORY)
            ck_assert_uint_eq(ci_file_list_size(list, i), sizes[i]);
        ck_assert_int_gt(ci_file_list_mtime(list, i), 1600000000);
    }
    ck_assert_ptr_null(ci_file_list_name(list, 4));
    ck_assert_int_eq(ci_file_list_type(list, 4), CI_FILE_OTHER);
    ci_file_list_free(list);
    tc_assert_names(s, "in", "2024");
    tc_assert_names(s, "in/2024", "notes.txt");
    tc_assert_names(s, ".", "data.csv,empty.bin,in,ln");
    tc_expect_rc(ci_list_files(s, "data.csv", &list), CI_EPATH, "list a file");
    tc_expect_rc(ci_list_files(s, "nope", &list), CI_ENOENT, "list a missing folder");

    /* removal: a file, a link (not its target), a whole tree */
    tc_expect_rc(ci_remove_file(s, "ln"), 0, "remove link");
    tc_assert_names(s, NULL, "data.csv,empty.bin,in");
    ci_result_free(tc_exec_ok(s,
        "import os\n"
        "os.makedirs('in/deep/er/still', exist_ok=True)\n"
        "for i in range(50):\n"
        "    open(f'in/deep/f{i}', 'w').write('x')\n"
        "os.chmod('in/deep/er', 0)\n", NULL));
    tc_expect_rc(ci_remove_file(s, "in"), 0, "remove tree");
    tc_expect_rc(ci_remove_file(s, "in"), CI_ENOENT, "remove again");
    tc_expect_rc(ci_remove_file(s, "data.csv"), 0, "remove file");
    tc_assert_names(s, NULL, "empty.bin");
    tc_assert_py(s, "import os\nprint(sorted(os.listdir('.')))", "['empty.bin']\n");

    ci_session_destroy(s);
    tc_remove_tree(tmp);
    free(tmp);
    free(src);
    free(dst);
    free(dst_dir);
    free(missing);
}
END_TEST

/* --------------------------------------------------------------- limits */

START_TEST(hundred_mib_round_trip)
{
    ci_session *s = tc_session_new(NULL);
    size_t n = DEFAULT_LIMIT;
    unsigned char *buf = malloc(n + 1);
    ck_assert_ptr_nonnull(buf);
    fill(buf, n + 1, 0x5eed);
    char want[65];
    sha256_hex(buf, n, want);

    tc_expect_rc(ci_upload(s, "big/blob.bin", buf, n), 0, "100 MiB upload");
    char *code = tc_printf("import hashlib, os\n"
                           "h = hashlib.sha256()\n"
                           "with open('big/blob.bin', 'rb') as f:\n"
                           "    for chunk in iter(lambda: f.read(1 << 20), b''):\n"
                           "        h.update(chunk)\n"
                           "print(os.path.getsize('big/blob.bin'), h.hexdigest())\n");
    char *expected = tc_printf("%zu %s\n", n, want);
    tc_assert_py(s, code, expected);

    void *back = NULL;
    size_t len = 0;
    tc_expect_rc(ci_download(s, "big/blob.bin", &back, &len), 0, "100 MiB download");
    ck_assert_uint_eq(len, n);
    ck_assert_msg(memcmp(back, buf, n) == 0, "downloaded bytes differ");
    ci_free(back);

    /* one byte more: refused, and nothing is left, not even a folder */
    tc_expect_rc(ci_upload(s, "over/blob.bin", buf, n + 1), CI_ETOOBIG, "100 MiB + 1");
    ck_assert_msg(strstr(ci_last_error(), "limit") != NULL, "message: %s", ci_last_error());
    tc_expect_rc(ci_upload(s, "big/blob.bin", buf, n + 1), CI_ETOOBIG, "100 MiB + 1 over a file");
    tc_assert_names(s, NULL, "big");
    tc_assert_names(s, "big", "blob.bin");

    /* the same through a host file: checked before anything is written */
    char *tmp = tc_make_temp_dir("ci-files-big");
    char *host = tc_printf("%s/big.bin", tmp);
    int fd = open(host, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, buf, n + 1), (ssize_t)(n + 1));
    close(fd);
    tc_expect_rc(ci_upload_file(s, host, "over.bin"), CI_ETOOBIG, "host file of 100 MiB + 1");
    ck_assert_int_eq(truncate(host, (off_t)n), 0);
    tc_expect_rc(ci_upload_file(s, host, "big/again.bin"), 0, "host file of 100 MiB");
    tc_assert_py(s,
              "import hashlib\n"
              "print(hashlib.sha256(open('big/again.bin', 'rb').read()).hexdigest() == "
              "hashlib.sha256(open('big/blob.bin', 'rb').read()).hexdigest())",
              "True\n");
    char *out = tc_printf("%s/back.bin", tmp);
    tc_expect_rc(ci_download_to_file(s, "big/again.bin", out), 0, "download_to_file 100 MiB");
    struct stat st;
    ck_assert_int_eq(stat(out, &st), 0);
    ck_assert_uint_eq((uint64_t)st.st_size, n);
    tc_assert_names(s, NULL, "big");
    tc_assert_names(s, "big", "again.bin,blob.bin");

    ci_session_destroy(s);
    tc_remove_tree(tmp);
    free(buf);
    free(code);
    free(expected);
    free(tmp);
    free(host);
    free(out);
}
END_TEST

struct pipe_writer {
    char *path;
    size_t bytes;
};

static void *write_pipe(void *arg)
{
    struct pipe_writer *w = arg;
    int fd = open(w->path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char chunk[65536];
    memset(chunk, 'p', sizeof(chunk));
    for (size_t left = w->bytes; left > 0;) {
        size_t k = left < sizeof(chunk) ? left : sizeof(chunk);
        ssize_t got = write(fd, chunk, k);
        if (got <= 0)
            break; /* EPIPE: the reader gave up, as it should past the limit */
        left -= (size_t)got;
    }
    close(fd);
    return NULL;
}

/* A source without a size (a pipe) is counted while it streams. */
static int upload_from_pipe(ci_session *s, const char *tmp, size_t bytes, const char *name)
{
    struct pipe_writer w = { tc_printf("%s/pipe-%zu", tmp, bytes), bytes };
    ck_assert_int_eq(mkfifo(w.path, 0600), 0);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, write_pipe, &w), 0);
    int rc = ci_upload_file(s, w.path, name);
    pthread_join(t, NULL);
    free(w.path);
    return rc;
}

START_TEST(configured_limit_and_streaming)
{
    signal(SIGPIPE, SIG_IGN);
    ci_config *config = tc_config_new();
    ck_assert_int_eq(ci_config_set_upload_limit(config, 1000), 0);
    ci_session *s = tc_session_new(config);
    ci_config_free(config);
    char *tmp = tc_make_temp_dir("ci-files-limit");
    char buf[1001];
    memset(buf, 'q', sizeof(buf));

    tc_expect_rc(ci_upload(s, "a/exact.txt", buf, 1000), 0, "at the limit");
    tc_expect_rc(ci_upload(s, "b/over.txt", buf, 1001), CI_ETOOBIG, "over the limit");
    tc_expect_rc(upload_from_pipe(s, tmp, 1000, "c/piped.txt"), 0, "pipe at the limit");
    tc_expect_rc(upload_from_pipe(s, tmp, 5 * MIB, "d/e/piped.txt"), CI_ETOOBIG, "pipe over the limit");
    ck_assert_msg(strstr(ci_last_error(), "grew past") != NULL, "message: %s", ci_last_error());
    /* no folder made for the refused uploads, no temporary file anywhere */
    tc_assert_names(s, NULL, "a,c");
    tc_assert_names(s, "a", "exact.txt");
    tc_assert_names(s, "c", "piped.txt");
    tc_assert_py(s, "import os\nprint(os.path.getsize('c/piped.txt'))", "1000\n");

    /* downloads are not bound by the upload limit */
    ci_result_free(tc_exec_ok(s, "open('made.bin', 'wb').write(b'm' * 5000)", NULL));
    void *data = NULL;
    size_t len = 0;
    tc_expect_rc(ci_download(s, "made.bin", &data, &len), 0, "download past the upload limit");
    ck_assert_uint_eq(len, 5000);
    ci_free(data);

    ci_session_destroy(s);
    tc_remove_tree(tmp);
    free(tmp);
}
END_TEST

/* --------------------------------------------------------------- invoke */

START_TEST(invoke_binary_round_trip)
{
    ci_session *s = tc_session_new(NULL);
    unsigned char bin[256 + 65536];
    for (int i = 0; i < 256; i++)
        bin[i] = (unsigned char)i;
    fill(bin + 256, 65536, 42);
    char *bin64 = b64(bin, sizeof(bin));
    const unsigned char bad_utf8[] = { 'o', 'k', 0xC3, 0x28, 0xFF };
    char *bad64 = b64(bad_utf8, sizeof(bad_utf8));
    const unsigned char with_nul[] = { 'a', 0, 'b' };
    char *nul64 = b64(with_nul, sizeof(with_nul));

    char *req = tc_printf("{\"name\":\"writeFiles\",\"arguments\":{\"content\":["
                          "{\"path\":\"bin/all.bin\",\"blob\":\"%s\"},"
                          "{\"path\":\"text/h\\u00e9llo.txt\",\"text\":\"h\\u00e9llo\\n\\u2603\"},"
                          "{\"path\":\"bad.dat\",\"blob\":\"%s\"},"
                          "{\"path\":\"nul.dat\",\"blob\":\"%s\"},"
                          "{\"path\":\"empty.txt\",\"text\":\"\"}]}}",
                          bin64, bad64, nul64);
    cJSON *a = tc_invoke(s, req);
    ck_assert_msg(!tc_invoke_is_error(a), "writeFiles: %s", tc_invoke_text(a));
    ck_assert_ptr_nonnull(strstr(tc_invoke_text(a), "wrote 5 files"));
    cJSON_Delete(a);
    free(req);

    /* byte-exact through the C API and inside the sandbox */
    void *data = NULL;
    size_t len = 0;
    tc_expect_rc(ci_download(s, "bin/all.bin", &data, &len), 0, "download blob");
    ck_assert_uint_eq(len, sizeof(bin));
    ck_assert(memcmp(data, bin, sizeof(bin)) == 0);
    ci_free(data);
    char sum[65];
    sha256_hex(bin, sizeof(bin), sum);
    char *want = tc_printf("%s\n", sum);
    tc_assert_py(s, "import hashlib\nprint(hashlib.sha256(open('bin/all.bin','rb').read()).hexdigest())",
              want);
    free(want);
    tc_assert_py(s, "print(open('text/h\\u00e9llo.txt', encoding='utf-8').read() == 'h\\u00e9llo\\n\\u2603')",
              "True\n");

    a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"bin/all.bin\","
                  "\"text/h\\u00e9llo.txt\",\"bad.dat\",\"nul.dat\",\"empty.txt\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "readFiles: %s", tc_invoke_text(a));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_int_eq(cJSON_GetArraySize(content), 5);
    const cJSON *b0 = cJSON_GetArrayItem(content, 0);
    ck_assert_str_eq(str_at(b0, "type", NULL), "resource");
    ck_assert_str_eq(str_at(b0, "resource", "uri"), "file:///workspace/bin/all.bin");
    ck_assert_str_eq(str_at(b0, "resource", "mimeType"), "application/octet-stream");
    ck_assert_str_eq(str_at(b0, "resource", "blob"), bin64);
    ck_assert_ptr_null(str_at(b0, "resource", "text"));
    const cJSON *b1 = cJSON_GetArrayItem(content, 1);
    ck_assert_str_eq(str_at(b1, "resource", "uri"), "file:///workspace/text/h%C3%A9llo.txt");
    ck_assert_str_eq(str_at(b1, "resource", "mimeType"), "text/plain");
    ck_assert_str_eq(str_at(b1, "resource", "text"), "h\xc3\xa9llo\n\xe2\x98\x83");
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 2), "resource", "blob"), bad64);
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 3), "resource", "blob"), nul64);
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 4), "resource", "text"), "");
    cJSON_Delete(a);

    free(bin64);
    free(bad64);
    free(nul64);
    ci_session_destroy(s);
}
END_TEST

START_TEST(invoke_list_remove_and_batches)
{
    ci_session *s = tc_session_new(NULL);
    tc_expect_rc(ci_upload(s, "d/chart.png", "\x89PNG", 4), 0, "upload png");
    tc_expect_rc(ci_upload(s, "d/table.csv", "a\n1\n", 4), 0, "upload csv");
    tc_expect_rc(ci_upload(s, "d/sub/x.json", "{}", 2), 0, "upload json");
    tc_expect_rc(ci_upload(s, "top.txt", "top", 3), 0, "upload txt");

    cJSON *a = tc_invoke(s, "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"d\"}}");
    ck_assert_msg(!tc_invoke_is_error(a), "listFiles: %s", tc_invoke_text(a));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_int_eq(cJSON_GetArraySize(content), 3);
    const struct {
        const char *name, *uri, *mime;
        double size; /* < 0: none */
    } want[] = {
        { "chart.png", "file:///workspace/d/chart.png", "image/png", 4 },
        { "sub", "file:///workspace/d/sub", "inode/directory", -1 },
        { "table.csv", "file:///workspace/d/table.csv", "text/csv", 4 },
    };
    for (int i = 0; i < 3; i++) {
        const cJSON *link = cJSON_GetArrayItem(content, i);
        ck_assert_str_eq(str_at(link, "type", NULL), "resource_link");
        ck_assert_str_eq(str_at(link, "name", NULL), want[i].name);
        ck_assert_str_eq(str_at(link, "uri", NULL), want[i].uri);
        ck_assert_str_eq(str_at(link, "mimeType", NULL), want[i].mime);
        const cJSON *size = cJSON_GetObjectItemCaseSensitive(link, "size");
        if (want[i].size < 0)
            ck_assert_ptr_null(size);
        else
            ck_assert(cJSON_IsNumber(size) && size->valuedouble == want[i].size);
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(a, "structuredContent"), "files");
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(files, 1), "type", NULL), "directory");
    ck_assert(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(files, 0), "mtime")
                  ->valuedouble > 1600000000);
    cJSON_Delete(a);

    a = tc_invoke(s, "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"\"}}");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "content")), 2);
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "content"), 1),
                            "uri", NULL), "file:///workspace/top.txt");
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"../..\"}}");
    ck_assert(tc_invoke_is_error(a));
    cJSON_Delete(a);

    /* a batch is written whole or not at all */
    static const char *const failing[] = {
        /* a bad name: nothing is attempted */
        "{\"name\":\"writeFiles\",\"arguments\":{\"content\":[{\"path\":\"new/a.txt\","
        "\"text\":\"1\"},{\"path\":\"/etc/x\",\"text\":\"2\"}]}}",
        /* bad base64 */
        "{\"name\":\"writeFiles\",\"arguments\":{\"content\":[{\"path\":\"new/a.txt\","
        "\"text\":\"1\"},{\"path\":\"b.bin\",\"blob\":\"@@@\"}]}}",
        /* the second fails while writing (a file where a folder should be):
         * the first, and the folder made for it, are removed again */
        "{\"name\":\"writeFiles\",\"arguments\":{\"content\":[{\"path\":\"new/a.txt\","
        "\"text\":\"1\"},{\"path\":\"top.txt/b.txt\",\"text\":\"2\"}]}}",
        /* a NUL would be cut off by the JSON parser */
        "{\"name\":\"writeFiles\",\"arguments\":{\"content\":[{\"path\":\"new/a.txt\","
        "\"text\":\"a\\u0000b\"}]}}",
        /* both text and blob */
        "{\"name\":\"writeFiles\",\"arguments\":{\"content\":[{\"path\":\"new/a.txt\","
        "\"text\":\"a\",\"blob\":\"YQ==\"}]}}",
    };
    for (size_t i = 0; i < sizeof(failing) / sizeof(failing[0]); i++) {
        a = tc_invoke(s, failing[i]);
        ck_assert_msg(tc_invoke_is_error(a), "batch %zu was accepted", i);
        cJSON_Delete(a);
        tc_assert_names(s, NULL, "d,top.txt");
    }
    tc_assert_py(s, "print(open('top.txt').read())", "top\n");

    /* removeFiles */
    a = tc_invoke(s, "{\"name\":\"removeFiles\",\"arguments\":{\"paths\":[\"top.txt\",\"../x\"]}}");
    ck_assert(tc_invoke_is_error(a));
    cJSON_Delete(a);
    tc_assert_names(s, NULL, "d,top.txt");
    a = tc_invoke(s, "{\"name\":\"removeFiles\",\"arguments\":{\"paths\":[\"top.txt\",\"d/sub\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "removeFiles: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    tc_assert_names(s, NULL, "d");
    tc_assert_names(s, "d", "chart.png,table.csv");
    a = tc_invoke(s, "{\"name\":\"removeFiles\",\"arguments\":{\"paths\":[\"gone\"]}}");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_str_eq(str_at(cJSON_GetObjectItemCaseSensitive(a, "structuredContent"), "error",
                            "name"), "FileNotFound");
    cJSON_Delete(a);

    ci_session_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- /output */

/* The artifacts are named as the sandbox sees them; each of those names
 * works with the file calls, and /output is a second area for them. */
START_TEST(output_area_round_trip)
{
    ci_session *s = tc_session_new(NULL);
    char *tmp = tc_make_temp_dir("ci-files-output");
    ci_result *r = tc_exec_ok(s, "import os\n"
                                 "open('/output/x.txt', 'w').write('from code')\n"
                                 "os.makedirs('/output/sub')\n"
                                 "open('/output/sub/y.csv', 'w').write('a\\n1\\n')\n"
                                 "open('w.txt', 'w').write('in workspace')\n", NULL);
    ck_assert_uint_eq(ci_result_artifact_count(r), 3);
    for (size_t i = 0; i < ci_result_artifact_count(r); i++) {
        const char *path = ci_result_artifact_path(r, i);
        void *data = NULL;
        size_t len = 0;
        tc_expect_rc(ci_download(s, path, &data, &len), 0, path);
        ck_assert_uint_eq(len, ci_result_artifact_size(r, i));
        ci_free(data);
    }
    ci_result_free(r);
    void *data = NULL;
    size_t len = 0;
    tc_expect_rc(ci_download(s, "/output/x.txt", &data, &len), 0, "download /output/x.txt");
    ck_assert_str_eq(data, "from code");
    ci_free(data);
    tc_expect_rc(ci_download(s, "/workspace/w.txt", &data, &len), 0, "download /workspace/w.txt");
    ck_assert_str_eq(data, "in workspace");
    ci_free(data);
    char *host = tc_printf("%s/y.csv", tmp);
    tc_expect_rc(ci_download_to_file(s, "/output/sub/y.csv", host), 0, "download_to_file");
    tc_assert_host_file(host, "a\n1\n");

    /* uploads to /output; /workspace/... is the relative name */
    tc_expect_rc(ci_upload(s, "/output/up/in.txt", "up", 2), 0, "upload to /output");
    tc_expect_rc(ci_upload_file(s, host, "/output/copy.csv"), 0, "upload_file to /output");
    tc_expect_rc(ci_upload(s, "/workspace/in/a.txt", "ws", 2), 0, "upload to /workspace/...");
    tc_assert_py(s, "print(open('/output/up/in.txt').read(), open('/output/copy.csv').read() == "
                    "'a\\n1\\n', open('in/a.txt').read())", "up True ws\n");
    tc_assert_names(s, "/output", "copy.csv,sub,up,x.txt");
    tc_assert_names(s, "/output/", "copy.csv,sub,up,x.txt");
    tc_assert_names(s, "/output/sub", "y.csv");
    tc_assert_names(s, "/workspace", "in,w.txt");
    tc_assert_names(s, "/workspace/in", "a.txt");
    ci_file_list *list = NULL;
    tc_expect_rc(ci_list_files(s, "/output/x.txt", &list), CI_EPATH, "list a file of /output");
    tc_expect_rc(ci_list_files(s, "/output/none", &list), CI_ENOENT, "list a missing folder");
    tc_expect_rc(ci_list_files(s, "/etc", &list), CI_EPATH, "list /etc");

    /* the same rules as in /workspace: no link followed, one name only */
    ci_result_free(tc_exec_ok(s, "import os\nos.symlink('/etc/passwd', '/output/pw')\n"
                                 "os.link('/output/x.txt', '/output/hard')\n", NULL));
    tc_expect_rc(ci_download(s, "/output/pw", &data, &len), CI_EPATH, "symlink in /output");
    tc_expect_rc(ci_download(s, "/output/hard", &data, &len), CI_EFILETYPE, "hard link");
    tc_expect_rc(ci_upload(s, "/output/pw/x", "x", 1), CI_EPATH, "upload through a link");

    tc_expect_rc(ci_remove_file(s, "/output/sub"), 0, "remove a folder of /output");
    tc_expect_rc(ci_remove_file(s, "/output/pw"), 0, "remove a link of /output");
    tc_expect_rc(ci_remove_file(s, "/output/hard"), 0, "remove a hard link of /output");
    tc_expect_rc(ci_remove_file(s, "/workspace/in"), 0, "remove /workspace/in");
    tc_assert_names(s, "/output", "copy.csv,up,x.txt");
    tc_assert_names(s, NULL, "w.txt");
    tc_assert_py(s, "import os\nprint(sorted(os.listdir('/output')))",
                 "['copy.csv', 'up', 'x.txt']\n");

    /* the invoke tools take the same names, with file:///output/ URIs */
    cJSON *a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":"
                            "[\"/output/x.txt\",\"/workspace/w.txt\",\"w.txt\"]}}");
    ck_assert_msg(tc_invoke_is_error(a), "a file named twice was read");
    ck_assert_ptr_nonnull(strstr(tc_invoke_text(a), "same file"));
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":"
                     "[\"/output/x.txt\",\"/workspace/w.txt\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "readFiles: %s", tc_invoke_text(a));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 0), "resource", "uri"),
                     "file:///output/x.txt");
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 0), "resource", "text"), "from code");
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 1), "resource", "uri"),
                     "file:///workspace/w.txt");
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"writeFiles\",\"arguments\":{\"content\":"
                     "[{\"path\":\"/output/w/new.txt\",\"text\":\"n\"}]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "writeFiles: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"/output/w\"}}");
    ck_assert_msg(!tc_invoke_is_error(a), "listFiles: %s", tc_invoke_text(a));
    content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_int_eq(cJSON_GetArraySize(content), 1);
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 0), "uri", NULL),
                     "file:///output/w/new.txt");
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"/output\"}}");
    content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 0), "uri", NULL),
                     "file:///output/copy.csv");
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"removeFiles\",\"arguments\":{\"paths\":"
                     "[\"/output/w\",\"/etc/passwd\"]}}");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_str_eq(str_at(cJSON_GetObjectItemCaseSensitive(a, "structuredContent"), "error",
                            "name"), "InvalidPath");
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"removeFiles\",\"arguments\":{\"paths\":[\"/output/w\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "removeFiles: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    tc_assert_names(s, "/output", "copy.csv,up,x.txt");

    ci_session_destroy(s);
    tc_remove_tree(tmp);
    free(tmp);
    free(host);
}
END_TEST

/* ------------------------------------------------------- bounded answers */

/* Peak resident memory of this process (the test's fork) so far, in KiB.
 * AddressSanitizer keeps freed memory in quarantine (256 MB), so there the
 * peak says nothing about what was held: the bounds are checked in the
 * plain build only. */
static long peak_kib(void)
{
    struct rusage ru;
    ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
    return ru.ru_maxrss;
}

#ifdef __SANITIZE_ADDRESS__
#define assert_peak_grew_less(before, kib, what) ((void)(before))
#else
#define assert_peak_grew_less(before, kib, what)                                             \
    ck_assert_msg(peak_kib() - (before) < (kib), "%s grew the peak memory by %ld KiB", what, \
                  peak_kib() - (before))
#endif

#define MANY 100000

/* Walks the folder "many" (MANY entries f000000 ...) with pages of
 * `limit` through the C API, checking each page; returns the entries seen.
 * `gone` (or NULL) is removed after the first page. */
static size_t walk_pages(ci_session *s, size_t limit, const char *gone)
{
    char *after = NULL;
    size_t total = 0, expect = 0;
    for (int first = 1;; first = 0) {
        ci_file_list *list = NULL;
        tc_expect_rc(ci_list_files_page(s, "many", after, limit, &list), 0, "a page");
        size_t n = ci_file_list_count(list);
        for (size_t i = 0; i < n; i++, expect++) {
            char want[16];
            snprintf(want, sizeof(want), "f%06zu", expect);
            if (gone && !first && !strcmp(want, gone))
                snprintf(want, sizeof(want), "f%06zu", ++expect);
            ck_assert_str_eq(ci_file_list_name(list, i), want);
        }
        total += n;
        free(after);
        const char *next = ci_file_list_next_token(list);
        ck_assert_int_eq(ci_file_list_truncated(list), next != NULL);
        if (next) {
            ck_assert_uint_eq(n, limit);
            ck_assert_str_eq(next, ci_file_list_name(list, n - 1));
        }
        after = next ? strdup(next) : NULL;
        ci_file_list_free(list);
        if (first && gone) {
            char path[32];
            snprintf(path, sizeof(path), "many/%s", gone);
            tc_expect_rc(ci_remove_file(s, path), 0, "remove between pages");
        }
        if (!after)
            return total;
    }
}

/* A folder of 100,000 entries (the 138 MB answer of issue 15): every
 * listing holds at most a page, the pages cover the folder once in name
 * order, and the host's memory stays far below what holding it all took. */
START_TEST(listing_in_pages)
{
    /* 100,000 files need as many inodes: ext4 gives a volume one per
     * 16 KiB, more than the build environment's default workspace has */
    ci_session *s = TC_SESSION_WITH(ci_config_set_workspace_size, 2ull << 30);
    ci_result_free(tc_exec_ok(s, "import os\nos.mkdir('many')\n"
                                 "for i in range(100000):\n"
                                 "    os.close(os.open('many/f%06d' % i, os.O_CREAT | os.O_WRONLY))\n",
                              NULL));
    long before = peak_kib();

    /* the plain listing stops at CI_FILE_LIST_MAX and says so */
    ci_file_list *list = NULL;
    tc_expect_rc(ci_list_files(s, "many", &list), 0, "list 100,000 entries");
    ck_assert_uint_eq(ci_file_list_count(list), CI_FILE_LIST_MAX);
    ck_assert_int_eq(ci_file_list_truncated(list), 1);
    ck_assert_str_eq(ci_file_list_name(list, 0), "f000000");
    ck_assert_str_eq(ci_file_list_name(list, CI_FILE_LIST_MAX - 1), "f009999");
    ck_assert_str_eq(ci_file_list_next_token(list), "f009999");
    ci_file_list_free(list);
    tc_expect_rc(ci_list_files_page(s, "many", "f009999", CI_FILE_LIST_MAX, &list), 0, "next");
    ck_assert_str_eq(ci_file_list_name(list, 0), "f010000");
    ci_file_list_free(list);
    tc_expect_rc(ci_list_files_page(s, "many", "f099998", 5, &list), 0, "the last page");
    ck_assert_uint_eq(ci_file_list_count(list), 1);
    ck_assert_int_eq(ci_file_list_truncated(list), 0);
    ck_assert_ptr_null(ci_file_list_next_token(list));
    ci_file_list_free(list);
    tc_expect_rc(ci_list_files_page(s, "many", "g", 5, &list), 0, "after the last name");
    ck_assert_uint_eq(ci_file_list_count(list), 0);
    ck_assert_ptr_null(ci_file_list_next_token(list));
    ci_file_list_free(list);
    tc_expect_rc(ci_list_files_page(s, "many", NULL, 0, &list), CI_EINVAL, "limit 0");
    tc_expect_rc(ci_list_files_page(s, "many", NULL, CI_FILE_LIST_MAX + 1, &list), CI_EINVAL,
                 "limit over the maximum");
    ck_assert_msg(strstr(ci_last_error(), "10000"), "message: %s", ci_last_error());

    /* pages of an odd size; then again with an entry removed meanwhile */
    ck_assert_uint_eq(walk_pages(s, 777, NULL), MANY);
    ck_assert_uint_eq(walk_pages(s, 4999, "f050000"), MANY - 1);

    /* listFiles: a default page of 1000 that says how to go on, then
     * pages of CI_FILE_LIST_MAX through nextToken */
    cJSON *a = tc_invoke(s, "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"many\"}}");
    ck_assert_msg(!tc_invoke_is_error(a), "listFiles: %s", tc_invoke_text(a));
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(a, "structuredContent");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(sc, "files")), 1000);
    ck_assert_int_eq(cJSON_GetArraySize(content), 1001);
    const char *more = str_at(cJSON_GetArrayItem(content, 1000), "text", NULL);
    ck_assert_msg(more && strstr(more, "nextToken") && strstr(more, str_at(sc, "nextToken", NULL)),
                  "last block: %s", more ? more : "(none)");
    cJSON_Delete(a);
    char *token = NULL;
    size_t total = 0;
    for (int page = 0;; page++) {
        char *req = token ? tc_printf("{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":"
                                      "\"many\",\"limit\":%d,\"nextToken\":\"%s\"}}",
                                      CI_FILE_LIST_MAX, token)
                          : tc_printf("{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":"
                                      "\"many\",\"limit\":%d,\"nextToken\":null}}",
                                      CI_FILE_LIST_MAX);
        a = tc_invoke(s, req);
        free(req);
        ck_assert_msg(!tc_invoke_is_error(a), "page %d: %s", page, tc_invoke_text(a));
        sc = cJSON_GetObjectItemCaseSensitive(a, "structuredContent");
        const cJSON *files = cJSON_GetObjectItemCaseSensitive(sc, "files");
        char want[16];
        snprintf(want, sizeof(want), "f%06zu", total + (total >= 50000));
        ck_assert_str_eq(str_at(cJSON_GetArrayItem(files, 0), "name", NULL), want);
        total += (size_t)cJSON_GetArraySize(files);
        free(token);
        token = str_at(sc, "nextToken", NULL) ? strdup(str_at(sc, "nextToken", NULL)) : NULL;
        cJSON_Delete(a);
        if (!token)
            break;
        ck_assert_int_lt(page, 20);
    }
    ck_assert_uint_eq(total, MANY - 1);

    /* what the listings held at most: pages, never the folder (holding
     * it all took over 500 MB through listFiles) */
    assert_peak_grew_less(before, 64 * 1024, "listing");

    static const char *const bad[] = {
        "\"limit\":0", "\"limit\":10001", "\"limit\":2.5", "\"limit\":\"10\"",
        "\"nextToken\":\"@@@@\"", "\"nextToken\":5", "\"nextToken\":\"YS9i\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *req = tc_printf("{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":"
                              "\"many\",%s}}", bad[i]);
        a = tc_invoke(s, req);
        ck_assert_msg(tc_invoke_is_error(a), "accepted: %s", req);
        ck_assert_str_eq(str_at(cJSON_GetObjectItemCaseSensitive(a, "structuredContent"),
                                "error", "name"), "InvalidRequest");
        cJSON_Delete(a);
        free(req);
    }
    ci_session_destroy(s);
}
END_TEST

/* readFiles reads at most 16 MiB of files in all per call, each named
 * once: a sparse 256 MiB file (which once took 1 GB of host memory) is
 * refused before a byte of it is read. */
START_TEST(read_files_caps)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "open('sparse.bin', 'wb').truncate(256 << 20)\n"
                                 "open('a.bin', 'wb').truncate(12 << 20)\n"
                                 "open('b.bin', 'wb').truncate(4 << 20)\n"
                                 "open('c.txt', 'w').write('c')\n"
                                 "open('/output/c.txt', 'w').write('o')\n", NULL));
    long before = peak_kib();
    cJSON *a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"sparse.bin\"]}}");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_str_eq(str_at(cJSON_GetObjectItemCaseSensitive(a, "structuredContent"), "error",
                            "name"), "FileTooLarge");
    ck_assert_msg(strstr(tc_invoke_text(a), "16777216") && strstr(tc_invoke_text(a), "sparse.bin"),
                  "text: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    assert_peak_grew_less(before, 16 * 1024, "refusing");

    /* 16 MiB in all is fine; one byte more is refused, naming the file */
    a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"a.bin\",\"b.bin\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "readFiles: %s", tc_invoke_text(a));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_uint_eq(strlen(str_at(cJSON_GetArrayItem(content, 0), "resource", "blob")),
                      (12u * MIB + 2) / 3 * 4);
    ck_assert_uint_eq(strlen(str_at(cJSON_GetArrayItem(content, 1), "resource", "blob")),
                      (4u * MIB + 2) / 3 * 4);
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":"
                     "[\"a.bin\",\"b.bin\",\"c.txt\"]}}");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_msg(strstr(tc_invoke_text(a), "16777216") && strstr(tc_invoke_text(a), "c.txt"),
                  "text: %s", tc_invoke_text(a));
    cJSON_Delete(a);

    /* each file once, however it is named; the same name in two areas is
     * two files */
    static const char *const twice[] = {
        "[\"c.txt\",\"c.txt\"]", "[\"c.txt\",\"/workspace/c.txt\"]",
        "[\"/output/c.txt\",\"b.bin\",\"/output/c.txt\"]",
    };
    for (size_t i = 0; i < sizeof(twice) / sizeof(twice[0]); i++) {
        char *req = tc_printf("{\"name\":\"readFiles\",\"arguments\":{\"paths\":%s}}", twice[i]);
        a = tc_invoke(s, req);
        ck_assert_msg(tc_invoke_is_error(a), "accepted: %s", req);
        ck_assert_str_eq(str_at(cJSON_GetObjectItemCaseSensitive(a, "structuredContent"),
                                "error", "name"), "InvalidRequest");
        ck_assert_msg(strstr(tc_invoke_text(a), "same file"), "text: %s", tc_invoke_text(a));
        cJSON_Delete(a);
        free(req);
    }
    a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"c.txt\",\"/output/c.txt\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "readFiles: %s", tc_invoke_text(a));
    content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 0), "resource", "text"), "c");
    ck_assert_str_eq(str_at(cJSON_GetArrayItem(content, 1), "resource", "text"), "o");
    cJSON_Delete(a);

    /* at most 1000 paths a call */
    size_t cap = 16 * 1024, used = 0;
    char *req = malloc(cap);
    ck_assert_ptr_nonnull(req);
    used += (size_t)snprintf(req, cap, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[");
    for (int i = 0; i <= 1000; i++)
        used += (size_t)snprintf(req + used, cap - used, "%s\"p%d\"", i ? "," : "", i);
    snprintf(req + used, cap - used, "]}}");
    a = tc_invoke(s, req);
    ck_assert(tc_invoke_is_error(a));
    ck_assert_msg(strstr(tc_invoke_text(a), "at most 1000 paths"), "text: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    free(req);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------------ from Python */

START_TEST(pandas_reads_uploaded_csv)
{
    ci_session *s = tc_session_new(NULL);
    const char csv[] = "city,sales\nLyon,10\nNantes,32\nLille,0\n";
    tc_expect_rc(ci_upload(s, "data/sales.csv", csv, sizeof(csv) - 1), 0, "upload csv");
    tc_assert_py(s,
              "import pandas as pd\n"
              "df = pd.read_csv('data/sales.csv')\n"
              "print(len(df), int(df['sales'].sum()), list(df.columns))\n"
              "df.to_csv('data/out.csv', index=False)\n",
              "3 42 ['city', 'sales']\n");
    void *data = NULL;
    size_t len = 0;
    tc_expect_rc(ci_download(s, "data/out.csv", &data, &len), 0, "download what pandas wrote");
    ck_assert_str_eq(data, csv);
    ci_free(data);
    ci_session_destroy(s);
}
END_TEST

/* The formats users bring: files made by one session, downloaded, and
 * uploaded into another, where pandas reads each one (CSV, Excel .xlsx via
 * openpyxl, JSON, Parquet via pyarrow), plus a legacy .xls shipped with the
 * tests (read with xlrd). */
static const char *const made[] = { "sales.csv", "sales.xlsx", "sales.json", "sales.parquet" };

START_TEST(pandas_reads_uploaded_formats)
{
    ci_session *maker = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(maker,
        "import pandas as pd\n"
        "df = pd.DataFrame({'region': ['north', 'south', 'north'], 'units': [12, 7, 3],"
        " 'price': [2.5, 4.0, 10.0]})\n"
        "df.to_csv('sales.csv', index=False)\n"
        "df.to_excel('sales.xlsx', index=False)\n"
        "df.to_json('sales.json', orient='records')\n"
        "df.to_parquet('sales.parquet')\n", NULL);
    ci_result_free(r);

    ci_session *reader = tc_session_new(NULL);
    for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        void *data = NULL;
        size_t len = 0;
        ck_assert_int_eq(ci_download(maker, made[i], &data, &len), CI_OK);
        ck_assert_uint_gt(len, 10);
        ck_assert_int_eq(ci_upload(reader, made[i], data, len), CI_OK);
        ci_free(data);
    }
    char *xls = tc_printf("%s/data/sales.xls", TC_SOURCE_DIR);
    ck_assert_int_eq(ci_upload_file(reader, xls, "legacy/sales.xls"), CI_OK);
    free(xls);
    ci_session_destroy(maker);

    r = tc_exec_ok(reader,
        "import pandas as pd\n"
        "frames = {'csv': pd.read_csv('sales.csv'), 'xlsx': pd.read_excel('sales.xlsx'),\n"
        "          'json': pd.read_json('sales.json'), 'parquet': pd.read_parquet('sales.parquet'),\n"
        "          'xls': pd.read_excel('legacy/sales.xls', engine='xlrd')}\n"
        "for name, df in frames.items():\n"
        "    by = df.groupby('region')['units'].sum().to_dict()\n"
        "    revenue = float((df['units'] * df['price']).sum())\n"
        "    print(name, by['north'], by['south'], revenue)\n", NULL);
    const char *want = "csv 15 7 88.0\nxlsx 15 7 88.0\njson 15 7 88.0\nparquet 15 7 88.0\n"
                       "xls 15 7 88.0\n";
    ck_assert_str_eq(tc_stdout(r), want);
    ci_result_free(r);
    ci_session_destroy(reader);
}
END_TEST

static Suite *files_suite(void)
{
    Suite *s = suite_create("files");
    TCase *tc = tcase_create("names");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bad_names_refused);
    suite_add_tcase(s, tc);

    tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, upload_download_list_remove);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, hundred_mib_round_trip);
    tcase_add_test(tc, configured_limit_and_streaming);
    suite_add_tcase(s, tc);

    tc = tcase_create("invoke");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, invoke_binary_round_trip);
    tcase_add_test(tc, invoke_list_remove_and_batches);
    suite_add_tcase(s, tc);

    tc = tcase_create("areas");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, output_area_round_trip);
    suite_add_tcase(s, tc);

    tc = tcase_create("paging");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, listing_in_pages);
    suite_add_tcase(s, tc);

    tc = tcase_create("caps");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, read_files_caps);
    suite_add_tcase(s, tc);

    tc = tcase_create("python");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, pandas_reads_uploaded_csv);
    suite_add_tcase(s, tc);

    tc = tcase_create("formats");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, pandas_reads_uploaded_formats);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(files_suite());
}
