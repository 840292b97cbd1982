/* SPDX-License-Identifier: MIT */
/*
 * Runs one snippet of Python in a throwaway sandbox and prints what it wrote.
 *
 *   cc oneshot.c $(pkg-config --cflags --libs codeinterp) -o oneshot
 *   ./oneshot 'print(6 * 7)'
 */
#include <codeinterp/codeinterp.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    const char *code = argc > 1 ? argv[1] : "print('hello from the sandbox')";
    ci_result *result = NULL;

    /* NULL config and options: the defaults (and the CODEINTERP_* variables) */
    int rc = ci_execute_oneshot(NULL, code, NULL, &result);
    if (rc < 0) {
        fprintf(stderr, "oneshot: %s: %s\n", ci_strerror(rc), ci_last_error());
        return 1;
    }

    size_t len = 0;
    const char *out = ci_result_stdout(result, &len);
    fwrite(out, 1, len, stdout);
    const char *err = ci_result_stderr(result, &len);
    fwrite(err, 1, len, stderr);

    ci_status status = ci_result_status(result);
    if (status != CI_STATUS_OK)
        fprintf(stderr, "oneshot: %s (exit code %d)\n", ci_status_name(status),
                ci_result_exit_code(result));
    ci_result_free(result);
    return status == CI_STATUS_OK ? 0 : 1;
}
