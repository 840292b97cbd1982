/* SPDX-License-Identifier: MIT */
/*
 * A session with an upload: a CSV goes into the session's /workspace, Python
 * code reads it with pandas and writes a summary file, and the host reads
 * that file back.
 *
 *   cc session_upload.c $(pkg-config --cflags --libs codeinterp) -o session_upload
 *   ./session_upload [data.csv]      (default: a small CSV made here)
 */
#include <codeinterp/codeinterp.h>

#include <stdio.h>
#include <string.h>

static const char sales_csv[] =
    "region,amount\n"
    "north,120\n"
    "south,80\n"
    "north,30\n";

static const char analysis[] =
    "import pandas as pd\n"
    "df = pd.read_csv('sales.csv')\n"
    "totals = df.groupby('region')['amount'].sum()\n"
    "totals.to_csv('totals.csv')\n"
    "print(totals.to_string())\n";

/* Prints the failed call, the code's name and the detailed message. */
static int fail(const char *what, int rc, ci_session *session)
{
    fprintf(stderr, "session_upload: %s: %s: %s\n", what, ci_strerror(rc),
            session ? ci_session_last_error(session) : ci_last_error());
    return 1;
}

int main(int argc, char **argv)
{
    ci_session *session = NULL;
    ci_result *result = NULL;
    void *data = NULL;
    size_t len = 0;
    int status = 1;

    /* NULL config: the defaults (and the CODEINTERP_* variables) */
    int rc = ci_session_create(NULL, &session);
    if (rc < 0)
        return fail("ci_session_create", rc, NULL);

    /* from a host file (streamed), or from memory */
    if (argc > 1)
        rc = ci_upload_file(session, argv[1], "sales.csv");
    else
        rc = ci_upload(session, "sales.csv", sales_csv, strlen(sales_csv));
    if (rc < 0) {
        status = fail("upload", rc, session);
        goto out;
    }

    /* NULL options: Python, the config's time limit */
    rc = ci_execute(session, analysis, NULL, &result);
    if (rc < 0) {
        status = fail("ci_execute", rc, session);
        goto out;
    }
    size_t out_len = 0;
    const char *out = ci_result_stdout(result, &out_len);
    fwrite(out, 1, out_len, stdout);
    if (ci_result_status(result) != CI_STATUS_OK) {
        fprintf(stderr, "session_upload: %s: %s\n", ci_result_error_name(result),
                ci_result_error_value(result));
        goto out;
    }
    /* every file the code created or changed */
    for (size_t i = 0; i < ci_result_artifact_count(result); i++)
        printf("artifact: %s (%llu bytes, %s)\n", ci_result_artifact_path(result, i),
               (unsigned long long)ci_result_artifact_size(result, i),
               ci_result_artifact_mime_type(result, i));

    rc = ci_download(session, "totals.csv", &data, &len);
    if (rc < 0) {
        status = fail("ci_download", rc, session);
        goto out;
    }
    printf("totals.csv:\n%s", (const char *)data); /* NUL-terminated by the library */
    status = 0;
out:
    ci_free(data);
    ci_result_free(result);
    ci_session_destroy(session);
    return status;
}
