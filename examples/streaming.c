/* SPDX-License-Identifier: MIT */
/*
 * Streaming callbacks: output reaches the host while the code runs, and a
 * callback can stop the execution.
 *
 *   cc streaming.c $(pkg-config --cflags --libs codeinterp) -o streaming
 */
#include <codeinterp/codeinterp.h>

#include <stdio.h>
#include <string.h>

struct stream_state {
    size_t bytes;       /* everything the callback saw */
    size_t stop_after;  /* stop the execution past this many bytes; 0: never */
};

/* Called on the thread inside ci_execute(), with chunks that need not end
 * at a line break; data is valid only during the call. */
static int on_stdout(const char *data, size_t len, void *user_data)
{
    struct stream_state *st = user_data;
    fwrite(data, 1, len, stdout);
    fflush(stdout);
    st->bytes += len;
    return st->stop_after && st->bytes >= st->stop_after; /* non-zero stops */
}

static int on_stderr(const char *data, size_t len, void *user_data)
{
    (void)user_data;
    fwrite(data, 1, len, stderr);
    return 0;
}

/* Runs one execution with both callbacks; returns its status or -1. */
static int run(ci_session *session, ci_language language, const char *code,
               struct stream_state *st)
{
    ci_exec_options *options = NULL;
    ci_result *result = NULL;
    int rc = ci_exec_options_new(&options);
    if (rc == 0)
        rc = ci_exec_options_set_language(options, language);
    if (rc == 0)
        rc = ci_exec_options_set_stdout_callback(options, on_stdout, st);
    if (rc == 0)
        rc = ci_exec_options_set_stderr_callback(options, on_stderr, NULL);
    if (rc == 0)
        rc = ci_execute(session, code, options, &result);
    ci_exec_options_free(options);
    if (rc < 0) {
        fprintf(stderr, "streaming: %s: %s\n", ci_strerror(rc), ci_session_last_error(session));
        return -1;
    }
    int status = (int)ci_result_status(result);
    ci_result_free(result);
    return status;
}

int main(void)
{
    ci_session *session = NULL;
    int rc = ci_session_create(NULL, &session);
    if (rc < 0) {
        fprintf(stderr, "streaming: %s: %s\n", ci_strerror(rc), ci_last_error());
        return 1;
    }

    /* JavaScript ticking with top-level await: each line shows up on time */
    struct stream_state ticks = { 0, 0 };
    int status = run(session, CI_LANGUAGE_JAVASCRIPT,
                     "for (let i = 1; i <= 3; i++) {\n"
                     "  console.log(`tick ${i}`);\n"
                     "  await new Promise(resolve => setTimeout(resolve, 200));\n"
                     "}\n", &ticks);
    printf("status: %s, %zu bytes streamed\n", ci_status_name((ci_status)status), ticks.bytes);

    /* Python printing forever, stopped by the callback after 3 lines */
    struct stream_state endless = { 0, strlen("line 1\nline 2\nline 3\n") };
    status = run(session, CI_LANGUAGE_PYTHON,
                 "import itertools, time\n"
                 "for i in itertools.count(1):\n"
                 "    print(f'line {i}', flush=True)\n"
                 "    time.sleep(0.1)\n", &endless);
    printf("status: %s\n", ci_status_name((ci_status)status));

    ci_session_destroy(session);
    return status == CI_STATUS_KILLED ? 0 : 1;
}
