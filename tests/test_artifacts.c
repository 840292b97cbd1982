/* SPDX-License-Identifier: MIT */
/*
 * Charts and artifacts: matplotlib/seaborn figures come back as PNG display
 * outputs (and image blocks in the JSON result), and each result lists the
 * regular files the execution created or changed in /workspace.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_common.h"

/* A PNG starts with its signature and an IHDR chunk holding width and
 * height as big-endian 32-bit numbers. */
static void assert_png(const unsigned char *p, size_t len, uint32_t *w, uint32_t *h)
{
    static const unsigned char sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    ck_assert_uint_gt(len, 33);
    ck_assert_msg(memcmp(p, sig, 8) == 0, "no PNG signature");
    ck_assert_msg(memcmp(p + 12, "IHDR", 4) == 0, "no IHDR chunk");
    *w = (uint32_t)p[16] << 24 | (uint32_t)p[17] << 16 | (uint32_t)p[18] << 8 | p[19];
    *h = (uint32_t)p[20] << 24 | (uint32_t)p[21] << 16 | (uint32_t)p[22] << 8 | p[23];
    ck_assert_uint_gt(*w, 50);
    ck_assert_uint_gt(*h, 50);
}

START_TEST(matplotlib_figure_is_png)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "import matplotlib.pyplot as plt\n"
                                 "plt.figure(figsize=(4, 3), dpi=50)\nplt.plot([1, 2, 3], [3, 1, 2])\n"
                                 "plt.figure(figsize=(2, 2), dpi=50)\nplt.bar(['a', 'b'], [1, 2])\n", NULL);
    ck_assert_uint_eq(ci_result_display_count(r), 2);
    uint32_t w, h;
    size_t len;
    const unsigned char *png = ci_result_display_data(r, 0, &len);
    ck_assert_str_eq(ci_result_display_mime_type(r, 0), "image/png");
    assert_png(png, len, &w, &h);
    png = ci_result_display_data(r, 1, &len);
    assert_png(png, len, &w, &h);
    ck_assert_ptr_null(ci_result_display_data(r, 2, &len));
    ck_assert_uint_eq(len, 0);
    ci_result_free(r);
    /* shown figures are closed: the next cell shows nothing new */
    r = tc_exec_ok(s, "print(len(plt.get_fignums()))", NULL);
    ck_assert_str_eq(tc_stdout(r), "0\n");
    ck_assert_uint_eq(ci_result_display_count(r), 0);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(seaborn_plot_in_json)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "import seaborn as sns, pandas as pd\n"
                                 "df = pd.DataFrame({'x': [1, 2, 3, 4], 'y': [2, 4, 1, 3]})\n"
                                 "sns.scatterplot(data=df, x='x', y='y')\n", NULL);
    ck_assert_uint_eq(ci_result_display_count(r), 1);
    char *json = NULL;
    ck_assert_int_eq(ci_result_to_json(r, &json), CI_OK);
    cJSON *root = cJSON_Parse(json);
    ck_assert_ptr_nonnull(root);
    cJSON *content = cJSON_GetObjectItem(root, "content");
    ck_assert_int_eq(cJSON_GetArraySize(content), 2);
    cJSON *img = cJSON_GetArrayItem(content, 1);
    ck_assert_str_eq(cJSON_GetObjectItem(img, "type")->valuestring, "image");
    ck_assert_str_eq(cJSON_GetObjectItem(img, "mimeType")->valuestring, "image/png");
    ck_assert(strncmp(cJSON_GetObjectItem(img, "data")->valuestring, "iVBORw0KGgo", 11) == 0);
    cJSON_Delete(root);
    ci_free(json);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

static int has_artifact(const ci_result *r, const char *path, uint64_t size)
{
    for (size_t i = 0; i < ci_result_artifact_count(r); i++)
        if (!strcmp(ci_result_artifact_path(r, i), path))
            return size == UINT64_MAX || ci_result_artifact_size(r, i) == size;
    return 0;
}

START_TEST(created_and_changed_files_listed)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "import os\nopen('keep.txt', 'w').write('same')\n"
                                 "open('grow.txt', 'w').write('1')\n", NULL);
    ck_assert_uint_eq(ci_result_artifact_count(r), 2);
    ci_result_free(r);
    r = tc_exec_ok(s, "os.makedirs('out/deep', exist_ok=True)\n"
                      "open('out/deep/data.csv', 'w').write('a,b\\n1,2\\n')\n"
                      "open('grow.txt', 'a').write('23')\n"
                      "os.symlink('/etc/passwd', 'link')\n"
                      "os.mkfifo('fifo')\n"
                      "open('/output/report.json', 'w').write('{}')\n", NULL);
    ck_assert_msg(has_artifact(r, "/workspace/out/deep/data.csv", 8), "new file not listed");
    ck_assert_msg(has_artifact(r, "/workspace/grow.txt", 3), "changed file not listed");
    ck_assert_msg(has_artifact(r, "/output/report.json", 2), "file in /output not listed");
    ck_assert_msg(!has_artifact(r, "/workspace/keep.txt", UINT64_MAX), "unchanged file listed");
    ck_assert_msg(!has_artifact(r, "/workspace/link", UINT64_MAX), "a symlink is listed");
    ck_assert_msg(!has_artifact(r, "/workspace/fifo", UINT64_MAX), "a FIFO is listed");
    ck_assert_uint_eq(ci_result_artifact_count(r), 3);
    for (size_t i = 0; i < ci_result_artifact_count(r); i++)
        if (!strcmp(ci_result_artifact_path(r, i), "/workspace/out/deep/data.csv"))
            ck_assert_str_eq(ci_result_artifact_mime_type(r, i), "text/csv");
    ck_assert_int_eq(ci_result_artifacts_truncated(r), 0);
    ci_result_free(r);
    r = tc_exec_ok(s, "os.remove('grow.txt')", NULL);
    ck_assert_uint_eq(ci_result_artifact_count(r), 0);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

int main(void)
{
    Suite *suite = suite_create("artifacts");
    TCase *charts = tcase_create("charts");
    tcase_set_timeout(charts, 240);
    tcase_add_test(charts, matplotlib_figure_is_png);
    tcase_add_test(charts, seaborn_plot_in_json);
    suite_add_tcase(suite, charts);
    TCase *files = tcase_create("files");
    tcase_set_timeout(files, 120);
    tcase_add_test(files, created_and_changed_files_listed);
    suite_add_tcase(suite, files);
    tc_require_runtime();
    return tc_run_suite(suite);
}
