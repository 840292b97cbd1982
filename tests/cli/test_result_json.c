/* SPDX-License-Identifier: MIT */
/*
 * Suite 'cli', ci_result_to_json() on results of real executions: the
 * fields that only a configured limit or a metered sandbox produce, which
 * the CLI end-to-end test cannot set up. Needs the CODEINTERP_* variables
 * that point the library at the build tree.
 */
#include <check.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "codeinterp/codeinterp.h"

/* Small enough that a short print overflows it. */
#define OUTPUT_LIMIT 16

static cJSON *run_to_json(size_t output_limit, const char *code)
{
    ci_config *config;
    ci_session *session;
    ci_result *result;
    char *json;

    ck_assert_int_eq(ci_config_new(&config), 0);
    ck_assert_int_eq(ci_config_set_output_limit(config, output_limit), 0);
    int rc = ci_session_create(config, &session);
    ck_assert_msg(rc == 0, "ci_session_create: %s: %s", ci_strerror(rc), ci_last_error());
    rc = ci_execute(session, code, NULL, &result);
    ck_assert_msg(rc == 0, "ci_execute: %s: %s", ci_strerror(rc), ci_session_last_error(session));
    ck_assert_int_eq(ci_result_to_json(result, &json), 0);

    cJSON *root = cJSON_Parse(json);
    ck_assert_msg(root != NULL, "not JSON: %s", json);
    ci_free(json);
    ci_result_free(result);
    ci_session_destroy(session);
    ci_config_free(config);
    return root;
}

static const cJSON *structured(const cJSON *root)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "structuredContent");
    ck_assert(cJSON_IsObject(sc));
    return sc;
}

START_TEST(truncated_output_is_flagged)
{
    cJSON *root = run_to_json(OUTPUT_LIMIT, "import sys\nprint('x' * 100)\nprint('e' * 100, file=sys.stderr)");
    const cJSON *sc = structured(root);

    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "stdoutTruncated")));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(sc, "stderrTruncated")));
    const cJSON *out = cJSON_GetObjectItemCaseSensitive(sc, "stdout");
    ck_assert(cJSON_IsString(out));
    ck_assert_uint_le(strlen(out->valuestring), OUTPUT_LIMIT);
    ck_assert(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(root, "isError")));
    /* and the text an agent reads says so after the part it got */
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "content"), 0), "text");
    ck_assert(cJSON_IsString(text));
    char marker[128];
    snprintf(marker, sizeof marker, "\n[stdout truncated: only its first %zu bytes are kept",
             strlen(out->valuestring));
    ck_assert_msg(strstr(text->valuestring, marker) != NULL, "text: %s", text->valuestring);
    cJSON_Delete(root);
}
END_TEST

START_TEST(complete_output_has_no_flags)
{
    cJSON *root = run_to_json(1024, "print('short')");
    const cJSON *sc = structured(root);

    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(sc, "stdoutTruncated"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(sc, "stderrTruncated"));
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(sc, "stdout")->valuestring, "short\n");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "content"), 0), "text");
    ck_assert_ptr_null(strstr(text->valuestring, "truncated"));
    cJSON_Delete(root);
}
END_TEST

START_TEST(usage_is_a_number_or_null)
{
    cJSON *root = run_to_json(1024, "sum(range(100000))");
    const cJSON *sc = structured(root);
    static const char *const keys[] = {"cpuTimeMs", "peakMemoryBytes"};

    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sc, keys[i]);
        ck_assert_msg(cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble > 0),
                      "%s is neither null nor a positive number", keys[i]);
    }
    const cJSON *elapsed = cJSON_GetObjectItemCaseSensitive(sc, "executionTime");
    ck_assert(cJSON_IsNumber(elapsed) && elapsed->valuedouble > 0);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(sc, "result")->valuestring, "4999950000");
    cJSON_Delete(root);
}
END_TEST

/* ci_invoke_json_stream(): the output of executeCode and executeCommand
 * reaches the callbacks while the code runs, and the answer is the same
 * as ci_invoke_json()'s; tools that run no code call neither. */
struct streamed {
    char text[2][256];
    size_t len[2];
    int calls;
};

static int take(struct streamed *st, int which, const char *data, size_t len)
{
    ck_assert_uint_lt(st->len[which] + len, sizeof st->text[which]);
    memcpy(st->text[which] + st->len[which], data, len);
    st->len[which] += len;
    st->calls++;
    return 0;
}

static int take_stdout(const char *data, size_t len, void *user_data)
{
    return take(user_data, 0, data, len);
}

static int take_stderr(const char *data, size_t len, void *user_data)
{
    return take(user_data, 1, data, len);
}

START_TEST(invoke_stream_hands_over_output)
{
    ci_config *config;
    ci_session *session;
    char *json;
    ck_assert_int_eq(ci_config_new(&config), 0);
    int rc = ci_session_create(config, &session);
    ck_assert_msg(rc == 0, "ci_session_create: %s: %s", ci_strerror(rc), ci_last_error());

    struct streamed st = {0};
    ck_assert_int_eq(ci_invoke_json_stream(session,
        "{\"name\":\"executeCode\",\"arguments\":{\"code\":\"import sys\\nprint('out')\\n"
        "print('err', file=sys.stderr)\"}}", take_stdout, take_stderr, &st, NULL, &json), 0);
    ck_assert_str_eq(st.text[0], "out\n");
    ck_assert_str_eq(st.text[1], "err\n");
    cJSON *root = cJSON_Parse(json);
    ci_free(json);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(structured(root), "stdout")->valuestring,
                     "out\n");
    cJSON_Delete(root);

    memset(&st, 0, sizeof st);
    ck_assert_int_eq(ci_invoke_json_stream(session,
        "{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"echo a; echo b >&2\"}}",
        take_stdout, NULL, &st, NULL, &json), 0);
    ci_free(json);
    ck_assert_str_eq(st.text[0], "a\n");
    ck_assert_uint_eq(st.len[1], 0);

    memset(&st, 0, sizeof st);
    ck_assert_int_eq(ci_invoke_json_stream(session, "{\"name\":\"listFiles\",\"arguments\":{}}",
                                           take_stdout, take_stderr, &st, NULL, &json), 0);
    ci_free(json);
    ck_assert_int_eq(st.calls, 0);
    /* the callbacks belong to that call only */
    ck_assert_int_eq(ci_invoke_json(session, "{\"name\":\"executeCode\",\"arguments\":"
                                    "{\"code\":\"print(1)\"}}", &json), 0);
    ci_free(json);
    ck_assert_int_eq(st.calls, 0);
    ck_assert_int_eq(ci_invoke_json_stream(NULL, "{}", NULL, NULL, NULL, NULL, &json), CI_EINVAL);

    ci_session_destroy(session);
    ci_config_free(config);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("result_json");
    TCase *tc = tcase_create("executions");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, truncated_output_is_flagged);
    tcase_add_test(tc, complete_output_has_no_flags);
    tcase_add_test(tc, usage_is_a_number_or_null);
    tcase_add_test(tc, invoke_stream_hands_over_output);
    suite_add_tcase(s, tc);

    SRunner *runner = srunner_create(s);
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? 0 : 1;
}
