/* SPDX-License-Identifier: MIT */
/*
 * S3 in and out: an object is fetched into /data before the code runs,
 * everything the code writes to /output is sent to a prefix afterwards, and
 * ci_s3_download() fetches one object into /workspace. Credentials, region
 * and endpoint come from the AWS_* environment variables here (they can be
 * set on the config too, ci_config_set_s3_*); they never enter the sandbox.
 *
 *   cc s3.c $(pkg-config --cflags --libs codeinterp) -o s3
 *   ./s3 [s3://bucket/in/sales.csv [s3://bucket/out/]]
 */
#include <codeinterp/codeinterp.h>

#include <stdio.h>

static const char analysis[] =
    "import pandas as pd\n"
    "df = pd.read_csv('/data/sales.csv')\n"
    "totals = df.groupby('region')['amount'].sum()\n"
    "totals.to_csv('/output/totals.csv')\n"
    "print(totals.to_string())\n";

int main(int argc, char **argv)
{
    const char *input = argc > 1 ? argv[1] : "s3://examples/in/sales.csv";
    const char *output = argc > 2 ? argv[2] : "s3://examples/out/";
    ci_session *session = NULL;
    ci_exec_options *options = NULL;
    ci_result *result = NULL;
    void *data = NULL;
    size_t len = 0;
    int status = 1;

    int rc = ci_session_create(NULL, &session);
    if (rc < 0) {
        fprintf(stderr, "s3: %s: %s\n", ci_strerror(rc), ci_last_error());
        return 1;
    }
    rc = ci_exec_options_new(&options);
    if (rc == 0)
        rc = ci_exec_options_set_input_s3_uri(options, input);
    if (rc == 0)
        rc = ci_exec_options_set_output_s3_uri(options, output);
    if (rc == 0)
        rc = ci_execute(session, analysis, options, &result);
    if (rc < 0) {
        /* e.g. CI_ENOKEY: the message names the bucket and the key */
        fprintf(stderr, "s3: %s: %s\n", ci_strerror(rc), ci_session_last_error(session));
        goto out;
    }
    size_t out_len = 0;
    const char *out = ci_result_stdout(result, &out_len);
    fwrite(out, 1, out_len, stdout);
    if (ci_result_status(result) != CI_STATUS_OK) {
        fprintf(stderr, "s3: %s: %s\n", ci_result_error_name(result),
                ci_result_error_value(result));
        goto out;
    }
    for (size_t i = 0; i < ci_result_s3_upload_count(result); i++)
        printf("uploaded: %s (%llu bytes)\n", ci_result_s3_upload_uri(result, i),
               (unsigned long long)ci_result_s3_upload_size(result, i));
    /* the code succeeded even if an upload failed: the result says so */
    if (ci_result_s3_upload_error(result) < 0) {
        fprintf(stderr, "s3: upload: %s\n", ci_result_s3_upload_error_message(result));
        goto out;
    }

    /* one object back into /workspace, and from there to the host */
    if (ci_result_s3_upload_count(result) > 0) {
        rc = ci_s3_download(session, ci_result_s3_upload_uri(result, 0), "check.csv");
        if (rc == 0)
            rc = ci_download(session, "check.csv", &data, &len);
        if (rc < 0) {
            fprintf(stderr, "s3: %s: %s\n", ci_strerror(rc), ci_session_last_error(session));
            goto out;
        }
        printf("round trip:\n%s", (const char *)data);
    }
    status = 0;
out:
    ci_free(data);
    ci_result_free(result);
    ci_exec_options_free(options);
    ci_session_destroy(session);
    return status;
}
