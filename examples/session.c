/* SPDX-License-Identifier: MIT */
/*
 * A session keeps its interpreter between calls: a variable set by one call
 * is there in the next, like cells of a notebook.
 *
 *   cc session.c $(pkg-config --cflags --libs codeinterp) -o session
 */
#include <codeinterp/codeinterp.h>

#include <stdio.h>

/* Runs one cell; prints its stdout and returns 0 if it ran without error. */
static int run_cell(ci_session *session, const char *code, const ci_exec_options *options)
{
    ci_result *result = NULL;
    int rc = ci_execute(session, code, options, &result);
    if (rc < 0) {
        fprintf(stderr, "session: %s: %s\n", ci_strerror(rc), ci_session_last_error(session));
        return -1;
    }
    size_t len = 0;
    const char *out = ci_result_stdout(result, &len);
    fwrite(out, 1, len, stdout);
    /* the value of a trailing expression, as the REPL would show it */
    if (ci_result_value(result))
        printf("value: %s\n", ci_result_value(result));
    int ok = ci_result_status(result) == CI_STATUS_OK;
    if (!ok)
        fprintf(stderr, "session: %s: %s\n", ci_result_error_name(result),
                ci_result_error_value(result));
    ci_result_free(result);
    return ok ? 0 : -1;
}

int main(void)
{
    ci_config *config = NULL;
    ci_exec_options *options = NULL;
    ci_session *session = NULL;
    int status = 1;

    if (ci_config_new(&config) < 0 || ci_config_set_exec_timeout_ms(config, 60000) < 0 ||
        ci_exec_options_new(&options) < 0 ||
        ci_exec_options_set_language(options, CI_LANGUAGE_PYTHON) < 0) {
        fprintf(stderr, "session: %s\n", ci_last_error());
        goto out;
    }
    int rc = ci_session_create(config, &session);
    if (rc < 0) {
        fprintf(stderr, "session: %s: %s\n", ci_strerror(rc), ci_last_error());
        goto out;
    }
    if (run_cell(session, "x = 41", options) == 0 &&
        run_cell(session, "print(x + 1)", options) == 0 &&
        run_cell(session, "x", options) == 0)
        status = 0;
out:
    ci_session_destroy(session);
    ci_exec_options_free(options);
    ci_config_free(config);
    return status;
}
