/* SPDX-License-Identifier: MIT */
/*
 * The formats users bring: files made by one session, downloaded, and
 * uploaded into another, where pandas reads each one (CSV, Excel .xlsx via
 * openpyxl, JSON, Parquet via pyarrow), plus a legacy .xls shipped with the
 * tests (read with xlrd).
 */
#include <stdlib.h>
#include <string.h>

#include "test_common.h"

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

int main(void)
{
    Suite *suite = suite_create("formats");
    TCase *tc = tcase_create("pandas");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, pandas_reads_uploaded_formats);
    suite_add_tcase(suite, tc);
    tc_require_runtime();
    return tc_run_suite(suite);
}
