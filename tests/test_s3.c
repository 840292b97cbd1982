/* SPDX-License-Identifier: MIT */
/*
 * S3 transfers (suite 's3').
 *
 *   units  SigV4 against AWS's published examples, MD5 (RFC 1321),
 *          HMAC-SHA256 (RFC 4231), s3:// URIs, the XML of S3's answers, the
 *          transfer registry and the setters; no server.
 *   moto   moto's server run with INITIAL_NO_AUTH_ACTION_COUNT, so that
 *          after the IAM set-up it checks the SigV4 signature of every
 *          request against a key created in its IAM: the Parquet headline
 *          case, round trips, nested prefixes, the session calls, invoke,
 *          the audit trail, and the errors (wrong key, wrong secret, no
 *          such key or bucket, no credentials, no server).
 *   faults tests/s3_fake.py's failures on demand: 503s retried, a dropped
 *          connection resumed, a wrong ETag and a refused digest caught.
 *   tls    s3rver behind a self-signed certificate: refused, then trusted
 *          through ci_config_set_s3_ca_file().
 *   large  a 1 GiB object through s3rver: multipart upload from
 *          /workspace, download into /data and /workspace, the host
 *          process's peak RSS under 64 MiB.
 *   kill   s3rver killed mid-transfer and started again (its files kept):
 *          the transfer retries to success or fails cleanly, and no partial
 *          file or object is ever visible.
 *
 * Every server is started by the test on 127.0.0.1 and killed after it;
 * inputs are put in place and outputs checked with boto3 (tests/s3_tool.py)
 * so that no round trip is judged by the code under test alone.
 */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_common.h"
#include "transfer/s3_internal.h"
#include "util/hmac_sha256.h"
#include "util/md5.h"

extern char **environ;

/* ================================================================ units */

static const char *const EMPTY_SHA =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

static char *sign(const char *method, const char *path, const struct ci_sigv4_param *q,
                  size_t nq, const struct ci_sigv4_header *h, size_t nh, const char *payload,
                  const char *ak, const char *sk, const char *service, const char *date,
                  char sig[65])
{
    struct ci_sigv4_request r = { method, path, q, nq, h, nh, payload };
    struct ci_sigv4_scope s = { ak, sk, "us-east-1", service, date };
    ci_buf out = { 0 };
    ck_assert_int_eq(ci_sigv4_authorization(&r, &s, &out, sig), 0);
    return ci_buf_steal(&out);
}

/* The generic test suite's requests: host and x-amz-date only. */
#define SUITE_AK "AKIDEXAMPLE"
#define SUITE_SK "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_DATE "20150830T123600Z"
/* The S3 documentation's examples. */
#define S3_AK "AKIAIOSFODNN7EXAMPLE"
#define S3_SK "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define S3_DATE "20130524T000000Z"

START_TEST(sigv4_test_suite_vectors)
{
    char sig[65];
    struct ci_sigv4_header h[] = { { "Host", "example.amazonaws.com" },
                                   { "X-Amz-Date", SUITE_DATE } };
    /* get-vanilla, whole header */
    char *auth = sign("GET", "/", NULL, 0, h, 2, EMPTY_SHA, SUITE_AK, SUITE_SK, "service",
                      SUITE_DATE, sig);
    ck_assert_str_eq(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                           "aws4_request, SignedHeaders=host;x-amz-date, Signature="
                           "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    free(auth);
    /* get-vanilla-query-order-key-case: parameters sorted before signing */
    struct ci_sigv4_param q[] = { { "Param2", "value2" }, { "Param1", "value1" } };
    free(sign("GET", "/", q, 2, h, 2, EMPTY_SHA, SUITE_AK, SUITE_SK, "service", SUITE_DATE, sig));
    ck_assert_str_eq(sig, "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500");
    /* get-utf8: the path as sent, percent-encoded */
    free(sign("GET", "/%E1%88%B4", NULL, 0, h, 2, EMPTY_SHA, SUITE_AK, SUITE_SK, "service",
              SUITE_DATE, sig));
    ck_assert_str_eq(sig, "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85");
    /* the signing key example of the IAM guide */
    unsigned char key[CI_SHA256_LEN];
    char hex[CI_SHA256_HEX_LEN + 1];
    ci_sigv4_signing_key(SUITE_SK, "20120215", "us-east-1", "iam", key);
    ci_sha256_to_hex(key, hex);
    ck_assert_str_eq(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}
END_TEST

START_TEST(sigv4_s3_examples)
{
    char sig[65];
    /* GET Object with a Range */
    struct ci_sigv4_header get[] = { { "Host", "examplebucket.s3.amazonaws.com" },
                                     { "Range", "bytes=0-9" },
                                     { "x-amz-content-sha256", EMPTY_SHA },
                                     { "x-amz-date", S3_DATE } };
    char *auth = sign("GET", "/test.txt", NULL, 0, get, 4, EMPTY_SHA, S3_AK, S3_SK, "s3", S3_DATE,
                      sig);
    ck_assert_str_eq(sig, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    ck_assert_ptr_nonnull(strstr(auth, "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"));
    free(auth);

    /* PUT Object, with the key's '$' encoded once */
    const char *body = "Welcome to Amazon S3.";
    char payload[65];
    ci_sha256_hex(body, strlen(body), payload);
    ck_assert_str_eq(payload, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    ci_buf path = { 0 };
    ck_assert_int_eq(ci_s3_uri_encode(&path, "/test$file.text", 15, 1), 0);
    ck_assert_str_eq(ci_buf_cstr(&path), "/test%24file.text");
    struct ci_sigv4_header put[] = { { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
                                     { "Host", "examplebucket.s3.amazonaws.com" },
                                     { "x-amz-content-sha256", payload },
                                     { "x-amz-date", S3_DATE },
                                     { "x-amz-storage-class", "REDUCED_REDUNDANCY" } };
    free(sign("PUT", ci_buf_cstr(&path), NULL, 0, put, 5, payload, S3_AK, S3_SK, "s3", S3_DATE,
              sig));
    ck_assert_str_eq(sig, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    struct ci_sigv4_request r = { "PUT", ci_buf_cstr(&path), NULL, 0, put, 5, payload };
    ci_buf creq = { 0 }, signed_headers = { 0 };
    ck_assert_int_eq(ci_sigv4_canonical_request(&r, &creq, &signed_headers), 0);
    char creq_hash[65];
    ci_sha256_hex(creq.data, creq.len, creq_hash);
    ck_assert_str_eq(creq_hash, "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    ci_buf_free(&creq);
    ci_buf_free(&signed_headers);
    ci_buf_free(&path);

    /* GET Bucket Lifecycle: a parameter without a value */
    struct ci_sigv4_header bucket[] = { { "Host", "examplebucket.s3.amazonaws.com" },
                                        { "x-amz-content-sha256", EMPTY_SHA },
                                        { "x-amz-date", S3_DATE } };
    struct ci_sigv4_param lifecycle[] = { { "lifecycle", "" } };
    free(sign("GET", "/", lifecycle, 1, bucket, 3, EMPTY_SHA, S3_AK, S3_SK, "s3", S3_DATE, sig));
    ck_assert_str_eq(sig, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");

    /* Get Bucket (List Objects): parameters sorted */
    struct ci_sigv4_param list[] = { { "prefix", "J" }, { "max-keys", "2" } };
    free(sign("GET", "/", list, 2, bucket, 3, EMPTY_SHA, S3_AK, S3_SK, "s3", S3_DATE, sig));
    ck_assert_str_eq(sig, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}
END_TEST

START_TEST(sigv4_canonical_forms)
{
    /* values trimmed, inner spaces folded, names lowercased and sorted */
    struct ci_sigv4_header h[] = { { "X-B", "  two   words  " }, { "x-a", "1" } };
    struct ci_sigv4_param q[] = { { "b", "a b" }, { "a", "x/y+z~" }, { "a", "0" } };
    struct ci_sigv4_request r = { "GET", "/k", q, 3, h, 2, "UNSIGNED-PAYLOAD" };
    ci_buf creq = { 0 }, sh = { 0 };
    ck_assert_int_eq(ci_sigv4_canonical_request(&r, &creq, &sh), 0);
    ck_assert_str_eq(ci_buf_cstr(&creq), "GET\n/k\na=0&a=x%2Fy%2Bz~&b=a%20b\n"
                                         "x-a:1\nx-b:two words\n\nx-a;x-b\nUNSIGNED-PAYLOAD");
    ck_assert_str_eq(ci_buf_cstr(&sh), "x-a;x-b");
    ci_buf_free(&creq);
    ci_buf_free(&sh);
}
END_TEST

static void md5_is(const char *text, const char *want)
{
    unsigned char d[CI_MD5_LEN];
    char hex[33];
    ci_md5(text, strlen(text), d);
    ci_md5_to_hex(d, hex);
    ck_assert_msg(strcmp(hex, want) == 0, "MD5(\"%s\") = %s, want %s", text, hex, want);
}

START_TEST(md5_rfc1321)
{
    /* RFC 1321, appendix A.5 */
    md5_is("", "d41d8cd98f00b204e9800998ecf8427e");
    md5_is("a", "0cc175b9c0f1b6a831c399e269772661");
    md5_is("abc", "900150983cd24fb0d6963f7d28e17f72");
    md5_is("message digest", "f96b697d7cb7938d525a2f31aaf161d0");
    md5_is("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b");
    md5_is("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
           "d174ab98d277d9f5a5611c2c9f419d9f");
    md5_is("1234567890123456789012345678901234567890123456789012345678901234567890123456"
           "7890", "57edf4a22be3c955ac49da2e2107b67a");
    /* fed in uneven pieces, across block boundaries, the digest is the same */
    unsigned char buf[1000], one[CI_MD5_LEN], pieces[CI_MD5_LEN];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (unsigned char)(i * 7 + 3);
    ci_md5(buf, sizeof(buf), one);
    ci_md5_ctx c;
    ci_md5_init(&c);
    for (size_t off = 0, step = 1; off < sizeof(buf); off += step, step = step * 3 % 71 + 1)
        ci_md5_update(&c, buf + off, off + step > sizeof(buf) ? sizeof(buf) - off : step);
    ci_md5_final(&c, pieces);
    ck_assert(memcmp(one, pieces, CI_MD5_LEN) == 0);
}
END_TEST

static void hmac_is(const void *key, size_t klen, const char *data, const char *want)
{
    unsigned char mac[CI_SHA256_LEN];
    char hex[65];
    ci_hmac_sha256(key, klen, data, strlen(data), mac);
    ci_sha256_to_hex(mac, hex);
    ck_assert_str_eq(hex, want);
}

START_TEST(hmac_rfc4231)
{
    unsigned char k[131];
    memset(k, 0x0b, 20);
    hmac_is(k, 20, "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    hmac_is("Jefe", 4, "what do ya want for nothing?",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(k, 0xaa, 131);
    hmac_is(k, 131, "Test Using Larger Than Block-Size Key - Hash Key First",
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}
END_TEST

START_TEST(uri_parsing)
{
    struct ci_s3_uri u;
    char err[256];
    ck_assert_int_eq(ci_s3_uri_parse("s3://bucket-1/a/b c+d.csv", &u, err, sizeof(err)), 0);
    ck_assert_str_eq(u.bucket, "bucket-1");
    ck_assert_str_eq(u.key, "a/b c+d.csv");
    ci_s3_uri_clear(&u);
    ck_assert_int_eq(ci_s3_uri_parse("s3://my.bucket", &u, err, sizeof(err)), 0);
    ck_assert_str_eq(u.key, "");
    ci_s3_uri_clear(&u);
    ck_assert_int_eq(ci_s3_uri_parse("S3://bkt/prefix/", &u, err, sizeof(err)), 0);
    ck_assert_str_eq(u.key, "prefix/");
    ci_s3_uri_clear(&u);
    static const char *const bad[] = {
        "http://bucket/key", "s3:/bucket/key", "s3://", "s3://ab/key", "s3://user:pw@bkt/key",
        "s3://bk t/key", "s3://bkt/new\nline", "bucket/key", NULL,
    };
    for (size_t i = 0; bad[i]; i++) {
        ck_assert_msg(ci_s3_uri_parse(bad[i], &u, err, sizeof(err)) == CI_EINVAL, "%s", bad[i]);
        ck_assert_msg(*err, "no message for %s", bad[i]);
    }
    char longkey[1100] = "s3://bkt/";
    memset(longkey + 9, 'k', 1025);
    longkey[9 + 1025] = '\0';
    ck_assert_int_eq(ci_s3_uri_parse(longkey, &u, err, sizeof(err)), CI_EINVAL);

    ci_buf b = { 0 };
    ck_assert_int_eq(ci_s3_uri_encode(&b, "a b/ü~*", strlen("a b/ü~*"), 1), 0);
    ck_assert_str_eq(ci_buf_cstr(&b), "a%20b/%C3%BC~%2A");
    ci_buf_free(&b);
    char *d = ci_s3_uri_decode("a%20b+c%2Bd%C3%BC", 17, 1);
    ck_assert_str_eq(d, "a b c+dü");
    free(d);
    ck_assert_ptr_null(ci_s3_uri_decode("bad%2", 5, 1));
    ck_assert_ptr_null(ci_s3_uri_decode("nul%00", 6, 1));
}
END_TEST

START_TEST(xml_answers)
{
    const char *list =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<Name>bkt</Name><KeyCount>2</KeyCount><IsTruncated>true</IsTruncated>"
        "<Contents><Key>a&amp;b &lt;1&gt; &#233;&#x263A;</Key><Size>12</Size></Contents>"
        "<Contents>\n <Key><![CDATA[x<y]]></Key>\n <Size>0</Size><Owner/></Contents>"
        "<NextContinuationToken>tok+/=</NextContinuationToken></ListBucketResult>";
    const char *pos = list, *end = list + strlen(list), *inner;
    size_t n;
    ck_assert_int_eq(ci_xml_next(&pos, end, "Contents", &inner, &n), 1);
    char *key = ci_xml_find_text(inner, n, "Key");
    ck_assert_str_eq(key, "a&b <1> \xc3\xa9\xe2\x98\xba");
    free(key);
    ck_assert_int_eq(ci_xml_next(&pos, end, "Contents", &inner, &n), 1);
    key = ci_xml_find_text(inner, n, "Key");
    ck_assert_str_eq(key, "x<y");
    free(key);
    ck_assert_int_eq(ci_xml_next(&pos, end, "Contents", &inner, &n), 0);
    /* <KeyCount> is not <Key> */
    char *count = ci_xml_find_text(list, strlen(list), "Key");
    ck_assert_str_eq(count, "a&b <1> \xc3\xa9\xe2\x98\xba");
    free(count);
    char *tok = ci_xml_find_text(list, strlen(list), "NextContinuationToken");
    ck_assert_str_eq(tok, "tok+/=");
    free(tok);
    char *owner = ci_xml_find_text(list, strlen(list), "Owner");
    ck_assert_str_eq(owner, "");
    free(owner);
    const char *err = "<Error><Code>NoSuchKey</Code><Message>The key &quot;k&quot;</Message></Error>";
    char *msg = ci_xml_find_text(err, strlen(err), "Message");
    ck_assert_str_eq(msg, "The key \"k\"");
    free(msg);
    /* malformed or unsafe text is refused, not guessed */
    ck_assert_ptr_null(ci_xml_text("&bogus;", 7));
    ck_assert_ptr_null(ci_xml_text("&#0;", 4));
    ck_assert_ptr_null(ci_xml_text("&#x110000;", 10));
    ck_assert_ptr_null(ci_xml_text("<b>x</b>", 8));
    ck_assert_ptr_null(ci_xml_find_text("<Code>unclosed", 14, "Code"));
}
END_TEST

/* A backend built against another version of the ops struct, or missing
 * an operation, is refused: called through, it would jump to the wrong
 * function. */
START_TEST(registry_refuses_other_versions)
{
    ck_assert_ptr_eq(ci_transfer_for_uri("s3://bkt/k"), &ci_s3_transfer_ops);
    ck_assert_ptr_eq(ci_transfer_for_uri("S3://bkt/k"), &ci_s3_transfer_ops);
    ck_assert_ptr_null(ci_transfer_for_uri("https://bkt/k"));
    ck_assert_ptr_null(ci_transfer_for_uri(NULL));

    struct ci_transfer_ops older = ci_s3_transfer_ops, newer = ci_s3_transfer_ops;
    struct ci_transfer_ops partial = ci_s3_transfer_ops;
    older.version = CI_TRANSFER_OPS_VERSION - 1;
    newer.version = CI_TRANSFER_OPS_VERSION + 1;
    partial.put = NULL;
    const struct ci_transfer_ops *const refused[] = { &older, &newer, &partial };
    ck_assert_ptr_null(ci_transfer_find(refused, 3, "s3://bkt/k"));
    const struct ci_transfer_ops *const mixed[] = { &older, &ci_s3_transfer_ops };
    ck_assert_ptr_eq(ci_transfer_find(mixed, 2, "s3://bkt/k"), &ci_s3_transfer_ops);
}
END_TEST

START_TEST(setters)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_s3_credentials(NULL, "a", "b", NULL), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_credentials(c, "", "b", NULL), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_credentials(c, "a", NULL, NULL), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_credentials(c, "a b", "c", NULL), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_credentials(c, "AKIA", "secret", "token"), 0);
    ck_assert_int_eq(ci_config_set_s3_credentials(c, NULL, NULL, NULL), 0);
    ck_assert_int_eq(ci_config_set_s3_region(c, "eu-west-1"), 0);
    ck_assert_int_eq(ci_config_set_s3_region(c, "eu west"), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_region(c, NULL), 0);
    ck_assert_int_eq(ci_config_set_s3_endpoint(c, "https://s3.example.com:9000/base"), 0);
    ck_assert_int_eq(ci_config_set_s3_endpoint(c, "http://127.0.0.1:9000"), 0);
    static const char *const bad_endpoints[] = { "ftp://host", "https://", "https://u:p@host",
                                                 "https://host/?q", "host:9000",
                                                 "https://ho st", NULL };
    for (size_t i = 0; bad_endpoints[i]; i++)
        ck_assert_msg(ci_config_set_s3_endpoint(c, bad_endpoints[i]) == CI_EINVAL, "%s",
                      bad_endpoints[i]);
    ck_assert_int_eq(ci_config_set_s3_ca_file(c, ""), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_ca_file(c, "/etc/ssl/certs/ca-certificates.crt"), 0);
    ck_assert_int_eq(ci_config_set_s3_multipart_threshold(c, 1 << 20), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_multipart_threshold(c, 64 << 20), 0);
    ck_assert_int_eq(ci_config_set_s3_part_size(c, (5ull << 30) + 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_part_size(c, 5 << 20), 0);
    ck_assert_int_eq(ci_config_set_s3_parallel_parts(c, 0), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_parallel_parts(c, 65), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_parallel_parts(c, 8), 0);
    ck_assert_int_eq(ci_config_set_s3_max_attempts(c, 0), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_s3_max_attempts(c, 3), 0);
    /* a session copies the settings: the config can go */
    ci_config_free(c);

    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_input_s3_uri(o, "s3://bkt/key.csv"), 0);
    ck_assert_int_eq(ci_exec_options_set_input_s3_uri(o, "s3://bkt/prefix/"), 0);
    ck_assert_int_eq(ci_exec_options_set_input_s3_uri(o, "gs://bkt/key"), CI_EINVAL);
    ck_assert_ptr_nonnull(strstr(ci_last_error(), "gs://bkt/key"));
    ck_assert_int_eq(ci_exec_options_set_input_s3_uri(o, NULL), 0);
    ck_assert_int_eq(ci_exec_options_set_output_s3_uri(o, "s3://bkt/out/"), 0);
    ck_assert_int_eq(ci_exec_options_set_output_s3_uri(o, "s3://b/out/"), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_progress_callback(NULL, NULL, NULL), CI_EINVAL);
    ci_exec_options_free(o);
    ck_assert_int_eq(ci_result_s3_upload_count(NULL), 0);
    ck_assert_ptr_null(ci_result_s3_upload_uri(NULL, 0));
    ck_assert_int_eq(ci_result_s3_upload_error(NULL), 0);
    ck_assert_int_eq(ci_s3_download(NULL, "s3://bkt/k", "k"), CI_EINVAL);
    ck_assert_int_eq(ci_s3_upload(NULL, "k", "s3://bkt/k"), CI_EINVAL);
}
END_TEST

/* ============================================================== servers */

struct server {
    char *argv[16];
    char *owned[8];     /* what argv points to that we allocated */
    char *env[4];       /* extra variables, NULL-terminated */
    char log[4200];
    pid_t pid;
    int port;
    char endpoint[80];
    char ak[128], sk[128];
    char ca[4200];      /* TLS: the certificate to trust */
};

static struct server srv;
static char *tmp_dir;
static char *s3rver_data; /* s3rver's files */

static char *runtime_path(const char *rel)
{
    return tc_printf("%s/%s", tc_runtime_dir(), rel);
}

/* Exits with "skipped" when the test environment of scripts/setup is not
 * installed. */
static void require_test_env(void)
{
    static const char *const need[] = { "test/venv/bin/python",
                                        "test/node/node_modules/s3rver/bin/s3rver.js", NULL };
    for (size_t i = 0; need[i]; i++) {
        char *p = runtime_path(need[i]);
        if (access(p, R_OK) != 0) {
            printf("SKIP: the test environment is not installed (%s is missing); run "
                   "scripts/setup\n", p);
            exit(TC_EXIT_SKIP);
        }
        free(p);
    }
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int port_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    char *buf = calloc(1, 1 << 16);
    size_t n = fread(buf, 1, (1 << 16) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Starts the server as srv describes it, dying with this process, and
 * waits until it accepts connections. */
static void server_start(void)
{
    char **envp = calloc(512, sizeof(char *));
    size_t n = 0;
    for (char **e = environ; *e && n < 500; e++)
        envp[n++] = *e;
    for (size_t i = 0; srv.env[i]; i++)
        envp[n++] = srv.env[i];
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int log = open(srv.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (log < 0 || null < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
            _exit(127);
        execve(srv.argv[0], srv.argv, envp);
        _exit(127);
    }
    free(envp);
    srv.pid = pid;
    for (int i = 0; i < 600; i++) {
        if (port_open(srv.port))
            return;
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char *log = read_text(srv.log);
            ck_abort_msg("the server %s exited before listening:\n%s", srv.argv[1], log);
        }
        usleep(100 * 1000);
    }
    ck_abort_msg("the server %s did not listen on port %d within 60 s", srv.argv[1], srv.port);
}

static void server_kill(void)
{
    if (srv.pid <= 0)
        return;
    kill(-srv.pid, SIGKILL);
    kill(srv.pid, SIGKILL);
    waitpid(srv.pid, NULL, 0);
    srv.pid = 0;
}

/* Runs argv, returns its stdout; fails the test unless it exits 0. */
static char *run_with(char *const argv[], int quiet)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        int null = quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
        if (null >= 0)
            dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    ci_buf out = { 0 };
    char buf[65536];
    ssize_t r;
    while ((r = read(p[0], buf, sizeof(buf))) > 0 || (r < 0 && errno == EINTR))
        if (r > 0)
            ci_buf_append(&out, buf, (size_t)r);
    close(p[0]);
    int status;
    waitpid(pid, &status, 0);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s %s failed (status %d)",
                  argv[0], argv[1], argv[2] ? argv[2] : "", status);
    ci_buf_append(&out, "", 0);
    char *s = ci_buf_steal(&out);
    return s ? s : strdup("");
}

static char *run(char *const argv[])
{
    return run_with(argv, 0);
}

/* tests/s3_tool.py against the running server with its keys. */
static char *tool(const char *cmd, const char *a, const char *b, const char *c)
{
    char *py = runtime_path("test/venv/bin/python");
    char *script = tc_printf("%s/s3_tool.py", TC_SOURCE_DIR);
    char *argv[] = { py, script, srv.endpoint, srv.ak, srv.sk, (char *)cmd, (char *)a,
                     (char *)b, (char *)c, NULL };
    char *out = run(argv);
    free(py);
    free(script);
    return out;
}

static void moto_up(void)
{
    memset(&srv, 0, sizeof(srv));
    tmp_dir = tc_make_temp_dir("s3-moto");
    srv.port = free_port();
    snprintf(srv.log, sizeof(srv.log), "%s/moto.log", tmp_dir);
    snprintf(srv.endpoint, sizeof(srv.endpoint), "http://127.0.0.1:%d", srv.port);
    srv.argv[0] = srv.owned[0] = runtime_path("test/venv/bin/python");
    srv.argv[1] = "-m";
    srv.argv[2] = "moto.server";
    srv.argv[3] = "-H";
    srv.argv[4] = "127.0.0.1";
    srv.argv[5] = "-p";
    srv.argv[6] = srv.owned[1] = tc_printf("%d", srv.port);
    /* the IAM set-up's three calls go through unsigned; every request after
     * them must carry a valid signature of a key moto's IAM knows */
    srv.env[0] = "INITIAL_NO_AUTH_ACTION_COUNT=3";
    server_start();
    snprintf(srv.ak, sizeof(srv.ak), "unused");
    snprintf(srv.sk, sizeof(srv.sk), "unused");
    char *keys = tool("moto-setup", NULL, NULL, NULL);
    ck_assert_int_eq(sscanf(keys, "%127s %127s", srv.ak, srv.sk), 2);
    free(keys);
    free(tool("mb", "bkt", NULL, NULL));
}

static void s3rver_up_with(int tls)
{
    memset(&srv, 0, sizeof(srv));
    tmp_dir = tc_make_temp_dir("s3-s3rver");
    char *data = tc_printf("%s/data", tmp_dir);
    ck_assert_int_eq(mkdir(data, 0700), 0);
    s3rver_data = data;
    srv.port = free_port();
    snprintf(srv.log, sizeof(srv.log), "%s/s3rver.log", tmp_dir);
    snprintf(srv.endpoint, sizeof(srv.endpoint), "%s://127.0.0.1:%d", tls ? "https" : "http",
             srv.port);
    snprintf(srv.ak, sizeof(srv.ak), "S3RVER");
    snprintf(srv.sk, sizeof(srv.sk), "S3RVER");
    size_t n = 0;
    srv.argv[n++] = "/usr/bin/node";
    srv.argv[n++] = srv.owned[0] = runtime_path("test/node/node_modules/s3rver/bin/s3rver.js");
    srv.argv[n++] = "-d";
    srv.argv[n++] = srv.owned[1] = data;
    srv.argv[n++] = "-a";
    srv.argv[n++] = "127.0.0.1";
    srv.argv[n++] = "-p";
    srv.argv[n++] = srv.owned[2] = tc_printf("%d", srv.port);
    srv.argv[n++] = "--silent";
    srv.argv[n++] = "--configure-bucket";
    srv.argv[n++] = "bkt";
    if (tls) {
        char *key = srv.owned[3] = tc_printf("%s/key.pem", tmp_dir);
        snprintf(srv.ca, sizeof(srv.ca), "%s/cert.pem", tmp_dir);
        char *argv[] = { "/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                         "-keyout", key, "-out", srv.ca, "-days", "2", "-subj", "/CN=127.0.0.1",
                         "-addext", "subjectAltName=IP:127.0.0.1", NULL };
        free(run_with(argv, 1));
        srv.argv[n++] = "--key";
        srv.argv[n++] = key;
        srv.argv[n++] = "--cert";
        srv.argv[n++] = srv.ca;
    }
    server_start();
}

static void s3rver_up(void)
{
    s3rver_up_with(0);
}

static void s3rver_tls_up(void)
{
    s3rver_up_with(1);
}

static void server_down(void)
{
    server_kill();
    for (size_t i = 0; i < sizeof(srv.owned) / sizeof(srv.owned[0]); i++) {
        free(srv.owned[i]);
        srv.owned[i] = NULL;
    }
    if (tmp_dir)
        tc_remove_tree(tmp_dir);
    free(tmp_dir);
    tmp_dir = NULL;
}

/* A configuration for the running server. */
static ci_config *s3_config(void)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_s3_credentials(c, srv.ak, srv.sk, NULL), 0);
    ck_assert_int_eq(ci_config_set_s3_endpoint(c, srv.endpoint), 0);
    return c;
}

static ci_session *s3_session(void)
{
    ci_config *c = s3_config();
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    return s;
}

static void put_text(const char *key, const char *text)
{
    char *path = tc_printf("%s/put.tmp", tmp_dir);
    tc_write_file(path, text, 0600);
    free(tool("put", "bkt", key, path));
    unlink(path);
    free(path);
}

/* Runs code with S3 URIs (either NULL); returns ci_execute's code and the
 * result in *out (NULL on failure). */
static int exec_s3(ci_session *s, const char *code, const char *in, const char *outp,
                   ci_result **out)
{
    ci_exec_options *o = tc_options_new(0);
    if (in)
        ck_assert_int_eq(ci_exec_options_set_input_s3_uri(o, in), 0);
    if (outp)
        ck_assert_int_eq(ci_exec_options_set_output_s3_uri(o, outp), 0);
    *out = NULL;
    int r = ci_execute(s, code, o, out);
    ci_exec_options_free(o);
    return r;
}

static void assert_has(const char *text, const char *part)
{
    ck_assert_msg(text && strstr(text, part), "\"%s\" not in: %s", part, text ? text : "(null)");
}

/* ================================================================= moto */

START_TEST(parquet_headline)
{
    /* a Parquet file made on the host with the runtime's pandas, put in the
     * bucket by boto3, and the CSV the same pandas expects back */
    char *parquet = tc_printf("%s/sales.parquet", tmp_dir);
    char *expected = tc_printf("%s/expected.csv", tmp_dir);
    char *python = runtime_path("python/bin/python3");
    char *script = tc_printf(
        "import pandas as pd, numpy as np\n"
        "rng = np.random.default_rng(7)\n"
        "df = pd.DataFrame({'region': rng.choice(['north', 'south', 'east', 'west'], 5000),\n"
        "                   'units': rng.integers(1, 20, 5000)})\n"
        "df.to_parquet('%s')\n"
        "df.groupby('region', as_index=False)['units'].sum().to_csv('%s', index=False)\n",
        parquet, expected);
    char *argv[] = { python, "-c", script, NULL };
    free(run(argv));
    free(tool("put", "bkt", "in/sales.parquet", parquet));

    ci_session *s = s3_session();
    ci_result *r;
    int rc = exec_s3(s, "import pandas as pd\n"
                        "df = pd.read_parquet('/data/sales.parquet')\n"
                        "g = df.groupby('region', as_index=False)['units'].sum()\n"
                        "g.to_csv('/output/summary.csv', index=False)\n"
                        "print(len(df), g['units'].sum())\n",
                     "s3://bkt/in/sales.parquet", "s3://bkt/out/run1/", &r);
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    tc_assert_status(r, CI_STATUS_OK);
    assert_has(tc_stdout(r), "5000 ");
    ck_assert_int_eq(ci_result_s3_upload_error(r), 0);
    ck_assert_uint_eq(ci_result_s3_upload_count(r), 1);
    ck_assert_str_eq(ci_result_s3_upload_uri(r, 0), "s3://bkt/out/run1/summary.csv");
    ck_assert_str_eq(ci_result_s3_upload_path(r, 0), "/output/summary.csv");
    char *want = read_text(expected);
    ck_assert_uint_eq(ci_result_s3_upload_size(r, 0), strlen(want));
    /* what landed under the prefix, read back by boto3 */
    char *got = tool("cat", "bkt", "out/run1/summary.csv", NULL);
    ck_assert_str_eq(got, want);
    char *listing = tool("ls", "bkt", "out/", NULL);
    char *want_listing = tc_printf("out/run1/summary.csv %zu\n", strlen(want));
    ck_assert_str_eq(listing, want_listing);
    free(want_listing);
    ci_result_free(r);
    ci_session_destroy(s);
    free(got);
    free(want);
    free(listing);
    free(script);
    free(python);
    free(parquet);
    free(expected);
}
END_TEST

START_TEST(prefix_round_trip)
{
    put_text("nested/a.txt", "alpha");
    put_text("nested/x/b.txt", "bravo");
    put_text("nested/x/y/c.txt", "charlie");
    put_text("nested/sp ace+plus \xc3\xbc.txt", "unicode");
    put_text("nested/x/", "");  /* a folder marker: no file */
    put_text("nestedsibling.txt", "not under the prefix");
    ci_session *s = s3_session();
    ci_result *r;
    int rc = exec_s3(s,
        "import os, hashlib\n"
        "for root, dirs, files in sorted(os.walk('/data')):\n"
        "    for f in sorted(files):\n"
        "        p = os.path.join(root, f)\n"
        "        print(p, open(p).read())\n"
        "try:\n"
        "    open('/data/new.txt', 'w')\n"
        "except OSError as e:\n"
        "    print('read-only', e.errno)\n"
        "os.makedirs('/output/sub/deeper', exist_ok=True)\n"
        "open('/output/r1.txt', 'w').write('one')\n"
        "open('/output/empty', 'w').close()\n"
        "open('/output/sub/deeper/r2.bin', 'wb').write(bytes(range(256)) * 4)\n"
        "os.symlink('/etc/passwd', '/output/link')\n"
        "os.mkfifo('/output/fifo')\n"
        "os.link('/output/r1.txt', '/output/r1-again.txt')\n",
        "s3://bkt/nested/", "s3://bkt/results", &r);
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    tc_assert_status(r, CI_STATUS_OK);
    const char *out = tc_stdout(r);
    assert_has(out, "/data/a.txt alpha\n");
    assert_has(out, "/data/x/b.txt bravo\n");
    assert_has(out, "/data/x/y/c.txt charlie\n");
    assert_has(out, "/data/sp ace+plus \xc3\xbc.txt unicode\n");
    assert_has(out, "read-only 30\n");
    ck_assert_msg(!strstr(out, "sibling"), "an object outside the prefix was fetched");
    /* r1.txt has a second name (a hard link): both are left out, as are
     * the symbolic link and the FIFO */
    ck_assert_uint_eq(ci_result_s3_upload_count(r), 2);
    ck_assert_str_eq(ci_result_s3_upload_uri(r, 0), "s3://bkt/results/empty");
    ck_assert_uint_eq(ci_result_s3_upload_size(r, 0), 0);
    ck_assert_str_eq(ci_result_s3_upload_uri(r, 1), "s3://bkt/results/sub/deeper/r2.bin");
    ck_assert_str_eq(ci_result_s3_upload_path(r, 1), "/output/sub/deeper/r2.bin");
    ck_assert_uint_eq(ci_result_s3_upload_size(r, 1), 1024);
    char *empty = tool("sum", "bkt", "results/empty", NULL);
    ck_assert_int_eq(strncmp(empty, "0 e3b0c442", 10), 0);
    free(empty);
    char *sum = tool("sum", "bkt", "results/sub/deeper/r2.bin", NULL);
    unsigned char bytes[1024];
    for (int i = 0; i < 1024; i++)
        bytes[i] = (unsigned char)(i & 255);
    char hex[65];
    ci_sha256_hex(bytes, sizeof(bytes), hex);
    char *want_sum = tc_printf("1024 %s\n", hex);
    ck_assert_str_eq(sum, want_sum);
    free(want_sum);
    free(sum);
    ci_result_free(r);

    /* the next execution sends /output again; the single-name file now too */
    r = tc_exec_ok(s, "import os\nos.remove('/output/r1-again.txt')\n", NULL);
    ci_result_free(r);
    rc = exec_s3(s, "pass", NULL, "s3://bkt/results/", &r);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(ci_result_s3_upload_count(r), 3);
    ck_assert_str_eq(ci_result_s3_upload_uri(r, 1), "s3://bkt/results/r1.txt");
    ci_result_free(r);
    char *one = tool("cat", "bkt", "results/r1.txt", NULL);
    ck_assert_str_eq(one, "one");
    free(one);

    /* session calls: one object into /workspace, one file back to S3 */
    ck_assert_int_eq(ci_s3_download(s, "s3://bkt/nested/x/b.txt", "dl/b.txt"), 0);
    ck_assert_int_eq(ci_s3_download(s, "s3://bkt/nested/sp ace+plus \xc3\xbc.txt", NULL), 0);
    void *data;
    size_t len;
    ck_assert_int_eq(ci_download(s, "dl/b.txt", &data, &len), 0);
    ck_assert_str_eq(data, "bravo");
    ci_free(data);
    ck_assert_int_eq(ci_download(s, "sp ace+plus \xc3\xbc.txt", &data, &len), 0);
    ck_assert_str_eq(data, "unicode");
    ci_free(data);
    ck_assert_int_eq(ci_s3_upload(s, "dl/b.txt", "s3://bkt/back/"), 0);
    ck_assert_int_eq(ci_s3_upload(s, "dl/b.txt", "s3://bkt/renamed.txt"), 0);
    char *back = tool("cat", "bkt", "back/dl/b.txt", NULL);
    ck_assert_str_eq(back, "bravo");
    free(back);
    back = tool("cat", "bkt", "renamed.txt", NULL);
    ck_assert_str_eq(back, "bravo");
    free(back);
    ck_assert_int_eq(ci_s3_download(s, "s3://bkt/results/empty", "e0"), 0);
    ck_assert_int_eq(ci_download(s, "e0", &data, &len), 0);
    ck_assert_uint_eq(len, 0);
    ci_free(data);
    ck_assert_int_eq(ci_s3_download(s, "s3://bkt/nested/", "x"), CI_EINVAL);
    ck_assert_int_eq(ci_s3_download(s, "s3://bkt/nested/a.txt", "../x"), CI_EPATH);
    ck_assert_int_eq(ci_s3_upload(s, "missing.txt", "s3://bkt/m.txt"), CI_ENOENT);
    ci_session_destroy(s);
}
END_TEST

START_TEST(errors_name_bucket_and_key)
{
    put_text("k/present.txt", "here");
    ci_session *s = s3_session();
    ci_result *r;
    const char *marker = "open('/workspace/ran', 'w').write('1')\n";

    int rc = exec_s3(s, marker, "s3://bkt/k/absent.txt", NULL, &r);
    ck_assert_int_eq(rc, CI_ENOKEY);
    ck_assert_ptr_null(r);
    assert_has(ci_session_last_error(s), "bucket \"bkt\"");
    assert_has(ci_session_last_error(s), "key \"k/absent.txt\"");
    assert_has(ci_session_last_error(s), "NoSuchKey");

    rc = exec_s3(s, marker, "s3://nobucket/k/present.txt", NULL, &r);
    ck_assert_int_eq(rc, CI_ENOBUCKET);
    assert_has(ci_session_last_error(s), "bucket \"nobucket\"");

    rc = exec_s3(s, marker, "s3://bkt/empty-prefix/", NULL, &r);
    ck_assert_int_eq(rc, CI_ENOKEY);
    assert_has(ci_session_last_error(s), "prefix \"empty-prefix/\"");
    /* none of those ran the code */
    ck_assert_int_eq(ci_download(s, "ran", &(void *){ NULL }, &(size_t){ 0 }), CI_ENOENT);
    ci_session_destroy(s);

    /* a key moto's IAM does not know, and a known key with a wrong secret */
    ci_config *c = s3_config();
    ck_assert_int_eq(ci_config_set_s3_credentials(c, "AKIAIOSFODNN7WRONG0", srv.sk, NULL), 0);
    s = tc_session_new(c);
    rc = exec_s3(s, marker, "s3://bkt/k/present.txt", NULL, &r);
    ck_assert_int_eq(rc, CI_EACCESS);
    assert_has(ci_session_last_error(s), "InvalidAccessKeyId");
    assert_has(ci_session_last_error(s), "key \"k/present.txt\"");
    ci_session_destroy(s);
    ck_assert_int_eq(ci_config_set_s3_credentials(c, srv.ak, "not-the-secret", NULL), 0);
    s = tc_session_new(c);
    rc = exec_s3(s, marker, "s3://bkt/k/present.txt", NULL, &r);
    ck_assert_int_eq(rc, CI_EACCESS);
    assert_has(ci_session_last_error(s), "SignatureDoesNotMatch");
    ck_assert_msg(!strstr(ci_session_last_error(s), "not-the-secret"), "the secret is in a message");
    /* an upload refused: the result is still there, and says so */
    ck_assert_int_eq(ci_config_set_s3_credentials(c, srv.ak, srv.sk, NULL), 0);
    ci_session_destroy(s);
    s = tc_session_new(c);
    rc = exec_s3(s, "open('/output/o.txt', 'w').write('x')", NULL, "s3://nobucket/out/", &r);
    ck_assert_int_eq(rc, 0);
    tc_assert_status(r, CI_STATUS_OK);
    ck_assert_int_eq(ci_result_s3_upload_error(r), CI_ENOBUCKET);
    assert_has(ci_result_s3_upload_error_message(r), "bucket \"nobucket\" key \"out/o.txt\"");
    ck_assert_uint_eq(ci_result_s3_upload_count(r), 0);
    char *json;
    ck_assert_int_eq(ci_result_to_json(r, &json), 0);
    cJSON *j = cJSON_Parse(json);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "isError")));
    cJSON *ue = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "structuredContent"), "s3UploadError");
    ck_assert_int_eq(cJSON_GetObjectItem(ue, "code")->valueint, CI_ENOBUCKET);
    cJSON_Delete(j);
    ci_free(json);
    ci_result_free(r);
    ci_session_destroy(s);

    /* no credentials anywhere */
    ck_assert_int_eq(ci_config_set_s3_credentials(c, NULL, NULL, NULL), 0);
    s = tc_session_new(c);
    rc = exec_s3(s, marker, "s3://bkt/k/present.txt", NULL, &r);
    ck_assert_int_eq(rc, CI_ENOCREDENTIALS);
    assert_has(ci_session_last_error(s), "AWS_ACCESS_KEY_ID");
    assert_has(ci_session_last_error(s), "key \"k/present.txt\"");
    ci_session_destroy(s);

    /* no server: refused connections, retried, then a network failure */
    ck_assert_int_eq(ci_config_set_s3_credentials(c, srv.ak, srv.sk, NULL), 0);
    char *dead = tc_printf("http://127.0.0.1:%d", free_port());
    ck_assert_int_eq(ci_config_set_s3_endpoint(c, dead), 0);
    ck_assert_int_eq(ci_config_set_s3_max_attempts(c, 2), 0);
    s = tc_session_new(c);
    rc = exec_s3(s, marker, "s3://bkt/k/present.txt", NULL, &r);
    ck_assert_int_eq(rc, CI_ENETWORK);
    assert_has(ci_session_last_error(s), "after 2 attempts");
    ci_session_destroy(s);
    free(dead);
    ci_config_free(c);
}
END_TEST

START_TEST(environment_credentials_stay_on_the_host)
{
    put_text("env/in.txt", "from env");
    char *audit = tc_printf("%s/audit.jsonl", tmp_dir);
    /* credentials from the standard variables only */
    setenv("AWS_ACCESS_KEY_ID", srv.ak, 1);
    setenv("AWS_SECRET_ACCESS_KEY", srv.sk, 1);
    setenv("AWS_ENDPOINT_URL_S3", srv.endpoint, 1);
    setenv("AWS_REGION", "us-east-1", 1);
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_audit_file(c, audit), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ci_result *r;
    int rc = exec_s3(s,
        "import os\n"
        "print(open('/data/in.txt').read())\n"
        "print(sorted(k for k in os.environ if 'AWS' in k))\n"
        "print(open('/proc/self/environ', 'rb').read().count(b'AWS'))\n"
        "open('/output/e.txt', 'w').write('e')\n",
        "s3://bkt/env/in.txt", "s3://bkt/env-out/", &r);
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    tc_assert_status(r, CI_STATUS_OK);
    ck_assert_str_eq(tc_stdout(r), "from env\n[]\n0\n");
    ck_assert_uint_eq(ci_result_s3_upload_count(r), 1);
    ci_result_free(r);
    ck_assert_int_eq(ci_s3_download(s, "s3://bkt/env/in.txt", "w.txt"), 0);
    ci_session_destroy(s);
    /* the trail names the transfers, never the keys */
    char *trail = read_text(audit);
    assert_has(trail, "\"op\":\"s3_transfer\"");
    assert_has(trail, "s3://bkt/env/in.txt");
    assert_has(trail, "\"name\":\"/data/in.txt\"");
    assert_has(trail, "s3://bkt/env-out/e.txt");
    assert_has(trail, "\"name\":\"/workspace/w.txt\"");
    ck_assert_msg(!strstr(trail, srv.sk), "the secret key is in the audit trail");
    ck_assert_msg(!strstr(trail, srv.ak), "the access key is in the audit trail");
    uint64_t records = 0;
    char *problem = NULL;
    ck_assert_int_eq(ci_audit_verify_file(audit, &records, &problem), 0);
    free(trail);
    free(audit);
}
END_TEST

static int progress_calls;
static uint64_t progress_last_total;

static int count_progress(const char *uri, uint64_t done, uint64_t total, void *data)
{
    (void)uri;
    (void)data;
    (void)done;
    progress_calls++;
    progress_last_total = total;
    return 0;
}

static int stop_progress(const char *uri, uint64_t done, uint64_t total, void *data)
{
    (void)uri;
    (void)done;
    (void)total;
    (void)data;
    return 1;
}

START_TEST(invoke_and_progress)
{
    put_text("inv/in.csv", "a,b\n1,2\n3,4\n");
    ci_session *s = s3_session();
    char *out;
    const char *req = "{\"name\":\"executeCode\",\"arguments\":{\"code\":"
                      "\"import pandas as pd\\ndf = pd.read_csv('/data/in.csv')\\n"
                      "df.sum().to_csv('/output/sums.csv')\\nprint(df.b.sum())\","
                      "\"inputS3Uri\":\"s3://bkt/inv/in.csv\",\"outputS3Uri\":\"s3://bkt/inv-out/\"}}";
    ck_assert_int_eq(ci_invoke_json(s, req, &out), 0);
    cJSON *j = cJSON_Parse(out);
    ck_assert_msg(cJSON_IsFalse(cJSON_GetObjectItem(j, "isError")), "%s", out);
    cJSON *sc = cJSON_GetObjectItem(j, "structuredContent");
    ck_assert_str_eq(cJSON_GetObjectItem(sc, "stdout")->valuestring, "6\n");
    cJSON *ups = cJSON_GetObjectItem(sc, "s3Uploads");
    ck_assert_int_eq(cJSON_GetArraySize(ups), 1);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(ups, 0), "uri")->valuestring,
                     "s3://bkt/inv-out/sums.csv");
    cJSON_Delete(j);
    ci_free(out);
    /* a missing input is an error of the call, named */
    ck_assert_int_eq(ci_invoke_json(s, "{\"name\":\"executeCode\",\"arguments\":{\"code\":\"1\","
                                       "\"inputS3Uri\":\"s3://bkt/inv/none.csv\"}}", &out), 0);
    j = cJSON_Parse(out);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "isError")));
    assert_has(out, "inv/none.csv");
    assert_has(out, "\"status\":\"error\"");
    cJSON_Delete(j);
    ci_free(out);
    ck_assert_int_eq(ci_invoke_json(s, "{\"name\":\"executeCode\",\"arguments\":{\"code\":\"1\","
                                       "\"outputS3Uri\":\"http://x/y\"}}", &out), 0);
    assert_has(out, "InvalidRequest");
    ci_free(out);
    ck_assert_int_eq(ci_invoke_json(s, "{\"name\":\"executeCode\",\"arguments\":{\"code\":\"1\","
                                       "\"inputS3Uri\":5}}", &out), 0);
    assert_has(out, "inputS3Uri");
    ci_free(out);

    /* progress: reported with the object's size; a callback can stop */
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_input_s3_uri(o, "s3://bkt/inv/in.csv"), 0);
    ck_assert_int_eq(ci_exec_options_set_progress_callback(o, count_progress, NULL), 0);
    ci_result *r;
    ck_assert_int_eq(ci_execute(s, "pass", o, &r), 0);
    ci_result_free(r);
    ck_assert_int_gt(progress_calls, 0);
    ck_assert_uint_eq(progress_last_total, 12);
    ck_assert_int_eq(ci_exec_options_set_progress_callback(o, stop_progress, NULL), 0);
    ck_assert_int_eq(ci_execute(s, "pass", o, &r), CI_ECANCELED);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

static int stop_at_10mib(const char *uri, uint64_t done, uint64_t total, void *data)
{
    (void)uri;
    (void)total;
    (void)data;
    return done >= (10u << 20);
}

START_TEST(aborted_upload_leaves_nothing)
{
    /* parts of 5 MiB, stopped a third of the way: the multipart upload is
     * aborted, moto lists none in progress, and no object appeared */
    ci_config *c = s3_config();
    ck_assert_int_eq(ci_config_set_s3_multipart_threshold(c, 5 << 20), 0);
    ck_assert_int_eq(ci_config_set_s3_part_size(c, 5 << 20), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ci_result *r = tc_exec_ok(s, "import os\nopen('/output/p.bin', 'wb').write(os.urandom(30 << 20))",
                              NULL);
    ci_result_free(r);
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_output_s3_uri(o, "s3://bkt/abort/"), 0);
    ck_assert_int_eq(ci_exec_options_set_progress_callback(o, stop_at_10mib, NULL), 0);
    ck_assert_int_eq(ci_execute(s, "pass", o, &r), 0);
    ck_assert_int_eq(ci_result_s3_upload_error(r), CI_ECANCELED);
    ci_result_free(r);
    char *uploads = tool("uploads", "bkt", NULL, NULL);
    ck_assert_str_eq(uploads, "0\n");
    free(uploads);
    char *sum = tool("sum", "bkt", "abort/p.bin", NULL);
    ck_assert_str_eq(sum, "missing\n");
    free(sum);
    /* the same upload let through: 6 parts, whole */
    ck_assert_int_eq(ci_exec_options_set_progress_callback(o, NULL, NULL), 0);
    ck_assert_int_eq(ci_execute(s, "pass", o, &r), 0);
    ck_assert_int_eq(ci_result_s3_upload_error(r), 0);
    ci_result_free(r);
    ci_exec_options_free(o);
    sum = tool("sum", "bkt", "abort/p.bin", NULL);
    ck_assert_int_eq(strncmp(sum, "31457280 ", 9), 0);
    free(sum);
    ci_session_destroy(s);
}
END_TEST

/* =============================================================== faults */

static void fake_up(const char *mode, const char *n)
{
    memset(&srv, 0, sizeof(srv));
    tmp_dir = tc_make_temp_dir("s3-fake");
    srv.port = free_port();
    snprintf(srv.log, sizeof(srv.log), "%s/fake.log", tmp_dir);
    snprintf(srv.endpoint, sizeof(srv.endpoint), "http://127.0.0.1:%d", srv.port);
    snprintf(srv.ak, sizeof(srv.ak), "AKIDEXAMPLE");
    snprintf(srv.sk, sizeof(srv.sk), "fake-secret");
    srv.argv[0] = "/usr/bin/python3";
    srv.argv[1] = srv.owned[0] = tc_printf("%s/s3_fake.py", TC_SOURCE_DIR);
    srv.argv[2] = srv.owned[1] = tc_printf("%d", srv.port);
    srv.argv[3] = (char *)mode;
    srv.argv[4] = (char *)n;
    server_start();
}

/* Puts a 3 MiB file through the library (s3_fake keeps it), then fetches
 * it into /data with code that hashes it. */
static int fetch_big(ci_session *s, ci_result **r, char *sha)
{
    ci_result *w = tc_exec_ok(s, "import os\nopen('big.bin', 'wb').write(os.urandom(3 << 20))\n"
                                 "import hashlib\n"
                                 "print(hashlib.sha256(open('big.bin','rb').read()).hexdigest())",
                              NULL);
    snprintf(sha, 65, "%.64s", tc_stdout(w));
    ci_result_free(w);
    int rc = ci_s3_upload(s, "big.bin", "s3://bkt/big.bin");
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    return exec_s3(s, "import hashlib, os\n"
                      "print(hashlib.sha256(open('/data/big.bin','rb').read()).hexdigest())\n"
                      "print(os.listdir('/data'))",
                   "s3://bkt/big.bin", NULL, r);
}

START_TEST(retries_after_503s)
{
    fake_up("flaky", "3");
    ci_session *s = s3_session();
    char sha[65];
    ci_result *r;
    /* the upload meets the three 503s and goes through */
    int rc = fetch_big(s, &r, sha);
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    assert_has(tc_stdout(r), sha);
    ci_result_free(r);
    ci_session_destroy(s);
    server_down();
}
END_TEST

START_TEST(dropped_download_resumes)
{
    fake_up("reset", "2");
    ci_session *s = s3_session();
    char sha[65];
    ci_result *r;
    int rc = fetch_big(s, &r, sha);
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    assert_has(tc_stdout(r), sha);
    assert_has(tc_stdout(r), "['big.bin']");
    ci_result_free(r);
    ci_session_destroy(s);
    server_down();
}
END_TEST

START_TEST(failed_parts_are_retried)
{
    /* every 3rd part of 5 MiB fails once (a 500, or a dropped connection);
     * each is sent again on its own and the object comes out whole */
    fake_up("flaky-parts", "3");
    ci_config *c = s3_config();
    ck_assert_int_eq(ci_config_set_s3_multipart_threshold(c, 5 << 20), 0);
    ck_assert_int_eq(ci_config_set_s3_part_size(c, 5 << 20), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ci_result *r = tc_exec_ok(s, "import os, hashlib\nb = os.urandom(52 << 20)\n"
                                 "open('p.bin', 'wb').write(b)\n"
                                 "print(hashlib.sha256(b).hexdigest())", NULL);
    char sha[65];
    snprintf(sha, sizeof(sha), "%.64s", tc_stdout(r));
    ci_result_free(r);
    int rc = ci_s3_upload(s, "p.bin", "s3://bkt/p.bin");
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    rc = exec_s3(s, "import hashlib\n"
                    "print(hashlib.sha256(open('/data/p.bin','rb').read()).hexdigest())",
                 "s3://bkt/p.bin", NULL, &r);
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    assert_has(tc_stdout(r), sha);
    ci_result_free(r);
    char *uploads = tool("uploads", "bkt", NULL, NULL);
    ck_assert_str_eq(uploads, "0\n");
    free(uploads);
    ci_session_destroy(s);
    server_down();
}
END_TEST

/* Names in the session's /data on the host. */
static char *data_listing(ci_session *s)
{
    char *dir = tc_printf("%s/sessions/%s/volume/data", tc_state_dir(), ci_session_id(s));
    DIR *d = opendir(dir);
    ck_assert_msg(d, "cannot open %s", dir);
    ci_buf names = { 0 };
    struct dirent *de;
    while ((de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
            ci_buf_append(&names, de->d_name, strlen(de->d_name));
            ci_buf_append(&names, " ", 1);
        }
    closedir(d);
    free(dir);
    ci_buf_append(&names, "", 0);
    char *out = ci_buf_steal(&names);
    return out ? out : strdup("");
}

START_TEST(wrong_etag_and_short_body_fail_cleanly)
{
    fake_up("bad-etag", NULL);
    ci_session *s = s3_session();
    char sha[65];
    ci_result *r;
    int rc = fetch_big(s, &r, sha);
    ck_assert_int_eq(rc, CI_ECHECKSUM);
    assert_has(ci_session_last_error(s), "key \"big.bin\"");
    assert_has(ci_session_last_error(s), "ETag");
    char *names = data_listing(s);
    ck_assert_str_eq(names, "");
    free(names);
    ci_session_destroy(s);
    server_down();

    fake_up("short", NULL);
    ci_config *c = s3_config();
    ck_assert_int_eq(ci_config_set_s3_max_attempts(c, 3), 0);
    s = tc_session_new(c);
    ci_config_free(c);
    rc = fetch_big(s, &r, sha);
    ck_assert_int_eq(rc, CI_ENETWORK);
    names = data_listing(s);
    ck_assert_str_eq(names, "");
    free(names);
    ci_session_destroy(s);
    server_down();
}
END_TEST

START_TEST(refused_digest_is_a_checksum_error)
{
    fake_up("bad-digest", NULL);
    ci_session *s = s3_session();
    ci_result *r = tc_exec_ok(s, "open('f.txt', 'w').write('data')", NULL);
    ci_result_free(r);
    ck_assert_int_eq(ci_s3_upload(s, "f.txt", "s3://bkt/f.txt"), CI_ECHECKSUM);
    assert_has(ci_session_last_error(s), "BadDigest");
    assert_has(ci_session_last_error(s), "key \"f.txt\"");
    ci_session_destroy(s);
    server_down();
}
END_TEST

/* ================================================================== tls */

START_TEST(tls_verified)
{
    ci_config *c = s3_config();
    ck_assert_int_eq(ci_config_set_s3_max_attempts(c, 1), 0);
    ci_session *s = tc_session_new(c);
    ci_result *r = tc_exec_ok(s, "open('t.txt', 'w').write('tls')", NULL);
    ci_result_free(r);
    /* a self-signed certificate is refused by default */
    ck_assert_int_eq(ci_s3_upload(s, "t.txt", "s3://bkt/t.txt"), CI_ENETWORK);
    assert_has(ci_session_last_error(s), "certificate");
    ci_session_destroy(s);
    /* and trusted once its CA is named */
    ck_assert_int_eq(ci_config_set_s3_ca_file(c, srv.ca), 0);
    s = tc_session_new(c);
    r = tc_exec_ok(s, "open('t.txt', 'w').write('tls')", NULL);
    ci_result_free(r);
    int rc = ci_s3_upload(s, "t.txt", "s3://bkt/t.txt");
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    ci_session_destroy(s);
    ci_config_free(c);
}
END_TEST

/* ================================================================ large */

/* Multipart uploads s3rver still holds (it lists none over its API). */
static int s3rver_uploads(void)
{
    char *dir = tc_printf("%s/bkt/._S3rver_uploads", s3rver_data);
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
    if (d)
        closedir(d);
    free(dir);
    return n;
}

/* The bound of the design; AddressSanitizer keeps freed memory in
 * quarantine and shadows all of it, which is no measure of the library. */
#if defined(__SANITIZE_ADDRESS__)
#define PEAK_RSS_LIMIT_KIB (256 * 1024)
#else
#define PEAK_RSS_LIMIT_KIB (64 * 1024)
#endif

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

START_TEST(one_gib_bounded_memory)
{
    ci_config *c = s3_config();
    ck_assert_int_eq(ci_config_set_max_file_size(c, 2ull << 30), 0);
    ck_assert_int_eq(ci_config_set_exec_timeout_ms(c, 600000), 0);
    /* three copies of 1 GiB: made in /workspace, fetched into /data, and
     * downloaded again (the build environment's default workspace is
     * smaller, CODEINTERP_WORKSPACE_SIZE) */
    ck_assert_int_eq(ci_config_set_workspace_size(c, 4ull << 30), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    /* 1 GiB of pseudo-random bytes made in the sandbox, with its SHA-256 */
    ci_result *r = tc_exec_ok(s,
        "import hashlib, numpy as np\n"
        "h = hashlib.sha256()\n"
        "rng = np.random.default_rng(11)\n"
        "with open('big.bin', 'wb') as f:\n"
        "    for i in range(64):\n"
        "        b = rng.bytes(16 << 20)\n"
        "        h.update(b)\n"
        "        f.write(b)\n"
        "print(h.hexdigest())\n", NULL);
    char sha[65];
    snprintf(sha, sizeof(sha), "%.64s", tc_stdout(r));
    ci_result_free(r);
    long before = peak_rss_kib();

    double t0 = tc_now_ms();
    int rc = ci_s3_upload(s, "big.bin", "s3://bkt/large/big.bin");
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    double t1 = tc_now_ms();
    char *sum = tool("sum", "bkt", "large/big.bin", NULL);
    char *want_sum = tc_printf("1073741824 %s\n", sha);
    ck_assert_str_eq(sum, want_sum);
    free(want_sum);
    free(sum);
    ck_assert_int_eq(s3rver_uploads(), 0);

    double t2 = tc_now_ms();
    rc = exec_s3(s, "import hashlib\nh = hashlib.sha256()\n"
                    "with open('/data/big.bin', 'rb') as f:\n"
                    "    for b in iter(lambda: f.read(1 << 24), b''):\n"
                    "        h.update(b)\n"
                    "print(h.hexdigest())\n",
                 "s3://bkt/large/big.bin", NULL, &r);
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    double t3 = tc_now_ms();
    assert_has(tc_stdout(r), sha);
    ci_result_free(r);
    rc = ci_s3_download(s, "s3://bkt/large/big.bin", "copy.bin");
    ck_assert_msg(rc == 0, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    long peak = peak_rss_kib();
    printf("1 GiB: upload %.1f s, download into /data (and hash) %.1f s; peak RSS %ld KiB "
           "(%ld before the transfers)\n", (t1 - t0) / 1000, (t3 - t2) / 1000, peak, before);
    ck_assert_msg(peak < PEAK_RSS_LIMIT_KIB, "peak RSS %ld KiB is not under %d KiB", peak,
                  PEAK_RSS_LIMIT_KIB);
    ci_session_destroy(s);
}
END_TEST

/* ================================================================= kill */

struct killer {
    uint64_t at;     /* kill when this many bytes are done */
    int killed;
    ci_session *s;
    char *seen;      /* /data as it looked right after the kill */
};

static int kill_midway(const char *uri, uint64_t done, uint64_t total, void *data)
{
    (void)uri;
    (void)total;
    struct killer *k = data;
    if (!k->killed && done >= k->at) {
        k->killed = 1;
        server_kill();
        if (k->s)
            k->seen = data_listing(k->s);
        /* it comes back while the transfer retries (its files kept) */
        server_start();
    }
    return 0;
}

static ci_session *kill_session(void)
{
    ci_config *c = s3_config();
    ck_assert_int_eq(ci_config_set_s3_max_attempts(c, 12), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    return s;
}

START_TEST(download_survives_a_restart)
{
    ci_session *s = kill_session();
    ci_result *r = tc_exec_ok(s, "import os, hashlib\nb = os.urandom(200 << 20)\n"
                                 "open('obj.bin', 'wb').write(b)\n"
                                 "print(hashlib.sha256(b).hexdigest())", NULL);
    char sha[65];
    snprintf(sha, sizeof(sha), "%.64s", tc_stdout(r));
    ci_result_free(r);
    ck_assert_int_eq(ci_s3_upload(s, "obj.bin", "s3://bkt/obj.bin"), 0);

    struct killer k = { .at = 60 << 20, .s = s };
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_input_s3_uri(o, "s3://bkt/obj.bin"), 0);
    ck_assert_int_eq(ci_exec_options_set_progress_callback(o, kill_midway, &k), 0);
    int rc = ci_execute(s, "import hashlib\n"
                           "print(hashlib.sha256(open('/data/obj.bin','rb').read()).hexdigest())",
                        o, &r);
    ci_exec_options_free(o);
    ck_assert_int_eq(k.killed, 1);
    /* while the server was down nothing partial was in /data */
    ck_assert_str_eq(k.seen, "");
    free(k.seen);
    if (rc == 0) {
        assert_has(tc_stdout(r), sha);
        ci_result_free(r);
        char *names = data_listing(s);
        ck_assert_str_eq(names, "obj.bin ");
        free(names);
    } else {
        ck_assert_int_eq(rc, CI_ENETWORK);
        char *names = data_listing(s);
        ck_assert_str_eq(names, "");
        free(names);
    }
    printf("download after a restart: %s\n", rc == 0 ? "completed" : ci_session_last_error(s));
    ci_session_destroy(s);
}
END_TEST

START_TEST(multipart_upload_survives_a_restart)
{
    ci_session *s = kill_session();
    ci_result *r = tc_exec_ok(s, "import os, hashlib\nb = os.urandom(200 << 20)\n"
                                 "open('obj.bin', 'wb').write(b)\n"
                                 "print(hashlib.sha256(b).hexdigest())", NULL);
    char sha[65];
    snprintf(sha, sizeof(sha), "%.64s", tc_stdout(r));
    ci_result_free(r);
    /* sent from /output after an execution, killed a third of the way */
    struct killer k = { .at = 70 << 20 };
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_output_s3_uri(o, "s3://bkt/up/"), 0);
    ck_assert_int_eq(ci_exec_options_set_progress_callback(o, kill_midway, &k), 0);
    int rc = ci_execute(s, "import shutil\nshutil.move('obj.bin', '/output/obj.bin')", o, &r);
    ci_exec_options_free(o);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(k.killed, 1);
    int err = ci_result_s3_upload_error(r);
    char *sum = tool("sum", "bkt", "up/obj.bin", NULL);
    printf("multipart upload after a restart: %s\n",
           err == 0 ? "completed" : ci_result_s3_upload_error_message(r));
    if (err == 0) {
        ck_assert_uint_eq(ci_result_s3_upload_count(r), 1);
        char *want_sum = tc_printf("%d %s\n", 200 << 20, sha);
        ck_assert_str_eq(sum, want_sum);
        free(want_sum);
        ck_assert_int_eq(s3rver_uploads(), 0);
    } else {
        /* a clean failure: no object (s3rver cannot abort an upload, so
         * aborting is checked against moto in aborted_upload_leaves_nothing) */
        ck_assert_str_eq(sum, "missing\n");
        ck_assert_uint_eq(ci_result_s3_upload_count(r), 0);
    }
    free(sum);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(moto_restart_fails_cleanly)
{
    /* moto forgets everything when killed: the upload cannot be resumed and
     * must end as a clean failure, with no object after all */
    ci_session *s = kill_session();
    ci_result *r = tc_exec_ok(s, "import os\nopen('/output/m.bin', 'wb').write(os.urandom(40 << 20))",
                              NULL);
    ci_result_free(r);
    struct killer k = { .at = 12 << 20 };
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_output_s3_uri(o, "s3://bkt/m/"), 0);
    ck_assert_int_eq(ci_exec_options_set_progress_callback(o, kill_midway, &k), 0);
    int rc = ci_execute(s, "pass", o, &r);
    ci_exec_options_free(o);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(k.killed, 1);
    ck_assert_int_ne(ci_result_s3_upload_error(r), 0);
    ck_assert_uint_eq(ci_result_s3_upload_count(r), 0);
    printf("moto restarted: %s\n", ci_result_s3_upload_error_message(r));
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ================================================================= main */

int main(void)
{
    /* the host's own AWS settings must not leak into the tests */
    static const char *const vars[] = { "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                        "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION",
                                        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                                        "AWS_CA_BUNDLE", "AWS_PROFILE", NULL };
    for (size_t i = 0; vars[i]; i++)
        unsetenv(vars[i]);
    const char *only = getenv("CK_RUN_CASE");
    Suite *suite = suite_create("s3");

    TCase *units = tcase_create("units");
    tcase_set_timeout(units, 60);
    tcase_add_test(units, sigv4_test_suite_vectors);
    tcase_add_test(units, sigv4_s3_examples);
    tcase_add_test(units, sigv4_canonical_forms);
    tcase_add_test(units, md5_rfc1321);
    tcase_add_test(units, hmac_rfc4231);
    tcase_add_test(units, uri_parsing);
    tcase_add_test(units, xml_answers);
    tcase_add_test(units, registry_refuses_other_versions);
    tcase_add_test(units, setters);
    suite_add_tcase(suite, units);

    TCase *moto = tcase_create("moto");
    tcase_set_timeout(moto, 300);
    tcase_add_unchecked_fixture(moto, moto_up, server_down);
    tcase_add_test(moto, parquet_headline);
    tcase_add_test(moto, prefix_round_trip);
    tcase_add_test(moto, errors_name_bucket_and_key);
    tcase_add_test(moto, environment_credentials_stay_on_the_host);
    tcase_add_test(moto, invoke_and_progress);
    tcase_add_test(moto, aborted_upload_leaves_nothing);
    suite_add_tcase(suite, moto);

    TCase *faults = tcase_create("faults");
    tcase_set_timeout(faults, 180);
    tcase_add_test(faults, retries_after_503s);
    tcase_add_test(faults, dropped_download_resumes);
    tcase_add_test(faults, failed_parts_are_retried);
    tcase_add_test(faults, wrong_etag_and_short_body_fail_cleanly);
    tcase_add_test(faults, refused_digest_is_a_checksum_error);
    suite_add_tcase(suite, faults);

    TCase *tls = tcase_create("tls");
    tcase_set_timeout(tls, 120);
    tcase_add_unchecked_fixture(tls, s3rver_tls_up, server_down);
    tcase_add_test(tls, tls_verified);
    suite_add_tcase(suite, tls);

    TCase *large = tcase_create("large");
    tcase_set_timeout(large, 900);
    tcase_add_unchecked_fixture(large, s3rver_up, server_down);
    tcase_add_test(large, one_gib_bounded_memory);
    suite_add_tcase(suite, large);

    /* each test kills its own server: one per test, started in the test's
     * process so that the server it starts again dies with it */
    TCase *killc = tcase_create("kill");
    tcase_set_timeout(killc, 600);
    tcase_add_checked_fixture(killc, s3rver_up, server_down);
    tcase_add_test(killc, download_survives_a_restart);
    tcase_add_test(killc, multipart_upload_survives_a_restart);
    suite_add_tcase(suite, killc);
    TCase *kill_moto = tcase_create("kill_moto");
    tcase_set_timeout(kill_moto, 300);
    tcase_add_checked_fixture(kill_moto, moto_up, server_down);
    tcase_add_test(kill_moto, moto_restart_fails_cleanly);
    suite_add_tcase(suite, kill_moto);

    if (!only || strcmp(only, "units") != 0) {
        tc_require_runtime();
        require_test_env();
    }
    return tc_run_suite(suite);
}
