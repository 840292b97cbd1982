/* SPDX-License-Identifier: MIT */
/*
 * Suite 'cli', JSON answers without a sandbox: ci_json_text_quote()'s UTF-8
 * repair and escaping (both spellings), the CallToolResult envelope, and the
 * argument checks of ci_result_to_json() / ci_invoke_json().
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeinterp/codeinterp.h"
#include "api/json_result.h"
#include "util/json_text.h"

#define FFFD "\xEF\xBF\xBD"

/* Quotes `len` bytes and compares with the expected literal (without its
 * surrounding quotes), also checking the reported length. */
static void expect_quote(const char *in, size_t len, unsigned flags, const char *want)
{
    size_t n = 0;
    char *got = ci_json_text_quote(in, len, flags, &n);
    char *quoted_want = NULL;

    ck_assert_ptr_nonnull(got);
    int rc = asprintf(&quoted_want, "\"%s\"", want);
    ck_assert_int_ne(rc, -1);
    ck_assert_str_eq(got, quoted_want);
    ck_assert_uint_eq(n, strlen(got));
    free(got);
    free(quoted_want);
}

#define QUOTE(lit, want) expect_quote(lit, sizeof(lit) - 1, 0, want)
/* The spelling of the audit records. */
#define QUOTE_U(lit, want) expect_quote(lit, sizeof(lit) - 1, CI_JSON_TEXT_UNICODE_ESCAPES, want)

START_TEST(plain_text_is_copied)
{
    QUOTE("", "");
    QUOTE("hello, world 123 ~", "hello, world 123 ~");
}
END_TEST

START_TEST(specials_are_escaped)
{
    QUOTE("a\"b\\c", "a\\\"b\\\\c");
    QUOTE("\n\r\t\b\f", "\\n\\r\\t\\b\\f");
    QUOTE("\x01\x1f\x7f", "\\u0001\\u001f\x7f");
}
END_TEST

START_TEST(nul_bytes_survive)
{
    QUOTE("a\0b\0", "a\\u0000b\\u0000");
}
END_TEST

START_TEST(valid_utf8_is_kept)
{
    /* 2, 3 and 4 byte forms, and the edges of each range */
    QUOTE("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    QUOTE("\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF",
          "\xC2\x80\xDF\xBF\xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF");
    QUOTE("\xF0\x90\x80\x80\xF4\x8F\xBF\xBF", "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF");
}
END_TEST

START_TEST(invalid_bytes_become_fffd)
{
    QUOTE("a\xFF" "b", "a" FFFD "b");
    QUOTE("\x80\xBF", FFFD FFFD);            /* lone continuation bytes */
    QUOTE("\xF5\xF8\xFE", FFFD FFFD FFFD);   /* never lead bytes */
}
END_TEST

START_TEST(one_fffd_per_maximal_subpart)
{
    /* a truncated sequence is one replacement, then the next byte counts */
    QUOTE("\xE2\x82" "A", FFFD "A");
    QUOTE("\xF0\x9F\x98" "x", FFFD "x");
    QUOTE("\xE2\x82", FFFD);                 /* cut at the end of output */
    QUOTE("\xF0\x9F", FFFD);
    /* overlong forms, surrogates and code points past U+10FFFF: the lead
     * byte cannot start them, so every byte is replaced on its own */
    QUOTE("\xC0\xAF", FFFD FFFD);
    QUOTE("\xE0\x80\xAF", FFFD FFFD FFFD);
    QUOTE("\xED\xA0\x80", FFFD FFFD FFFD);
    QUOTE("\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD);
    /* a valid sequence right after a broken one is kept */
    QUOTE("\xE2\xC3\xA9", FFFD "\xC3\xA9");
}
END_TEST

START_TEST(unicode_escapes_spell_out_controls)
{
    QUOTE_U("hello, world 123 ~", "hello, world 123 ~");
    QUOTE_U("a\"b\\c", "a\\\"b\\\\c");
    QUOTE_U("\n\r\t\b\f", "\\u000a\\u000d\\u0009\\u0008\\u000c");
    QUOTE_U("\x01\x1f\x7f", "\\u0001\\u001f\\u007f");
    QUOTE_U("a\0b", "a\\u0000b");
    QUOTE_U("\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80", "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
    QUOTE_U("a\xFF" "b", "a\\ufffdb");
    QUOTE_U("\xE2\x82" "A", "\\ufffdA");
    QUOTE_U("\xC0\xAF", "\\ufffd\\ufffd");
    /* the file name of the audit suite's test, as its records spell it */
    QUOTE_U("a\"b\\c\n\t\x01\x7f\xff\xc3(\xe2\x82\xac.txt",
            "a\\\"b\\\\c\\u000a\\u0009\\u0001\\u007f\\ufffd\\ufffd(\xe2\x82\xac.txt");
}
END_TEST

/* Strict UTF-8 check written from code points (not from the byte ranges
 * the library uses): no overlong form, no surrogate, nothing past U+10FFFF. */
static int valid_utf8(const unsigned char *s, size_t len)
{
    static const unsigned long min_cp[] = {0, 0, 0x80, 0x800, 0x10000};
    size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (n == 0 || i + n > len)
            return 0;
        unsigned long cp = n == 1 ? c : c & (0x7F >> n);
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min_cp[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return 0;
        i += n;
    }
    return 1;
}

/* Every triple of bytes, in the given spelling, quotes to valid UTF-8 that
 * parses as one JSON string. */
static void check_byte_triples(unsigned flags)
{
    for (unsigned a = 0; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            for (unsigned c = 0x7F; c < 0xC2; c += 0x40) {
                char in[4] = {(char)a, (char)b, (char)c, 'z'};
                char *q = ci_json_text_quote(in, sizeof in, flags, NULL);
                ck_assert_ptr_nonnull(q);
                ck_assert_msg(valid_utf8((const unsigned char *)q, strlen(q)),
                              "bytes %02x %02x %02x: invalid UTF-8 out", a, b, c);
                cJSON *parsed = cJSON_Parse(q);
                ck_assert_msg(cJSON_IsString(parsed), "bytes %02x %02x %02x gave %s", a, b, c, q);
                /* the last byte survives, unless a NUL (escaped, but
                 * ending cJSON's C string) comes before it */
                const char *str = parsed->valuestring;
                ck_assert(a == 0 || b == 0 || str[strlen(str) - 1] == 'z');
                cJSON_Delete(parsed);
                free(q);
            }
        }
    }
}

START_TEST(every_byte_triple_gives_valid_json)
{
    check_byte_triples(0);
    check_byte_triples(CI_JSON_TEXT_UNICODE_ESCAPES);
}
END_TEST

START_TEST(tool_result_envelope)
{
    cJSON *sc = cJSON_CreateObject();
    char *out = NULL;

    cJSON_AddStringToObject(sc, "status", "error");
    ck_assert_int_eq(ci_json_tool_result("bad\xFF", 4, sc, 1, &out), 0);
    ck_assert_ptr_nonnull(out);

    cJSON *root = cJSON_Parse(out);
    ck_assert_ptr_nonnull(root);
    cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
    ck_assert_int_eq(cJSON_GetArraySize(content), 1);
    cJSON *part = cJSON_GetArrayItem(content, 0);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(part, "type")->valuestring, "text");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(part, "text")->valuestring, "bad" FFFD);
    cJSON *status = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "structuredContent"), "status");
    ck_assert_str_eq(status->valuestring, "error");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "isError")));
    cJSON_Delete(root);
    ci_free(out);
}
END_TEST

START_TEST(null_arguments_are_einval)
{
    char *out = (char *)"untouched";

    ck_assert_int_eq(ci_result_to_json(NULL, &out), CI_EINVAL);
    ck_assert_int_eq(ci_invoke_json(NULL, "{}", &out), CI_EINVAL);
    ck_assert_str_eq(out, "untouched");
    ck_assert_str_ne(ci_last_error(), "");
}
END_TEST

static Suite *json_suite(void)
{
    Suite *s = suite_create("json");
    TCase *tc = tcase_create("quote");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, plain_text_is_copied);
    tcase_add_test(tc, specials_are_escaped);
    tcase_add_test(tc, nul_bytes_survive);
    tcase_add_test(tc, valid_utf8_is_kept);
    tcase_add_test(tc, invalid_bytes_become_fffd);
    tcase_add_test(tc, one_fffd_per_maximal_subpart);
    tcase_add_test(tc, unicode_escapes_spell_out_controls);
    tcase_add_test(tc, every_byte_triple_gives_valid_json);
    suite_add_tcase(s, tc);

    tc = tcase_create("answers");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, tool_result_envelope);
    tcase_add_test(tc, null_arguments_are_einval);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(json_suite());

    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
