/* SPDX-License-Identifier: MIT */
/* Suite 'python': the Python runner seen through the public API: state kept
 * between calls, errors, values, streaming, capture limits, JSON, the
 * pre-installed libraries, and the host process left as it was. */
#include "test_common.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

extern char **environ;

/* ----------------------------------------------------------------- state */

START_TEST(variables_persist)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "x = 41", NULL));
    ci_result *r = tc_exec_ok(s, "print(x + 1)", NULL);
    ck_assert_str_eq(tc_stdout(r), "42\n");
    ck_assert_int_eq(ci_result_exit_code(r), 0);
    ck_assert_ptr_null(ci_result_error_name(r));
    ck_assert_int_eq(ci_result_language(r), CI_LANGUAGE_PYTHON);
    ck_assert_msg(ci_result_wall_ms(r) >= 0.0, "wall %f", ci_result_wall_ms(r));
    ci_result_free(r);

    ci_result_free(tc_exec_ok(s, "import json\ndef twice(v):\n    return 2 * v\n", NULL));
    r = tc_exec_ok(s, "print(json.dumps({'v': twice(x)}))", NULL);
    ck_assert_str_eq(tc_stdout(r), "{\"v\": 82}\n");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(clear_context_restarts)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "x = 41\nopen('keep.txt', 'w').write('kept')", NULL));

    ci_exec_options *clear = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_clear_context(clear, 1), 0);
    ci_result *r = tc_exec(s, "print(x)", clear);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_ptr_nonnull(ci_result_error_name(r));
    ck_assert_str_eq(ci_result_error_name(r), "NameError");
    ci_result_free(r);

    /* files in /workspace survive the restart; the variable stays gone */
    r = tc_exec_ok(s, "print(open('keep.txt').read())", NULL);
    ck_assert_str_eq(tc_stdout(r), "kept\n");
    ci_result_free(r);
    r = tc_exec(s, "x", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_str_eq(ci_result_error_name(r), "NameError");
    ci_result_free(r);

    /* a clear on a fresh interpreter is harmless, and state builds again */
    ci_result_free(tc_exec_ok(s, "y = 5", clear));
    r = tc_exec_ok(s, "print(y)", NULL);
    ck_assert_str_eq(tc_stdout(r), "5\n");
    ci_result_free(r);
    ci_exec_options_free(clear);
    ci_session_destroy(s);
}
END_TEST

START_TEST(last_expression_value)
{
    static const struct {
        const char *code;
        const char *value; /* NULL: no value */
    } cases[] = {
        {"1 + 1", "2"},
        {"'a' * 3", "'aaa'"},
        {"[1, 2]", "[1, 2]"},
        {"y = 2\ny * 21", "42"},
        {"def f():\n    return 7\nf()", "7"},
        {"None", NULL},
        {"z = 5", NULL},
        {"print('p')", NULL},
        {"1 + 1\nz = 3", NULL},
    };
    ci_session *s = tc_session_new(NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ci_result *r = tc_exec_ok(s, cases[i].code, NULL);
        const char *v = ci_result_value(r);
        if (cases[i].value) {
            ck_assert_msg(v != NULL, "%s: no value", cases[i].code);
            ck_assert_msg(strcmp(v, cases[i].value) == 0, "%s: value %s, wanted %s",
                          cases[i].code, v, cases[i].value);
        } else {
            ck_assert_msg(v == NULL, "%s: value %s, wanted none", cases[i].code, v);
        }
        ci_result_free(r);
    }
    /* the value is reported, not printed */
    ci_result *r = tc_exec_ok(s, "1 + 1", NULL);
    ck_assert_str_eq(tc_stdout(r), "");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- errors */

START_TEST(exception_details)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "x = 1", NULL));

    ci_result *r = tc_exec(s, "print('before')\n1 / 0", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 1);
    ck_assert_str_eq(tc_stdout(r), "before\n");
    ck_assert_ptr_nonnull(ci_result_error_name(r));
    ck_assert_str_eq(ci_result_error_name(r), "ZeroDivisionError");
    ck_assert_ptr_nonnull(ci_result_error_value(r));
    ck_assert_str_eq(ci_result_error_value(r), "division by zero");
    ck_assert_ptr_nonnull(ci_result_error_traceback(r));
    ck_assert_ptr_nonnull(strstr(ci_result_error_traceback(r), "ZeroDivisionError"));
    ck_assert_ptr_nonnull(strstr(tc_stderr(r), "ZeroDivisionError"));
    ck_assert_ptr_nonnull(strstr(tc_stderr(r), "Traceback"));
    ck_assert_ptr_null(ci_result_value(r));
    ci_result_free(r);

    /* the interpreter survived the exception */
    r = tc_exec_ok(s, "print(x)", NULL);
    ck_assert_str_eq(tc_stdout(r), "1\n");
    ci_result_free(r);

    r = tc_exec(s, "class MyError(Exception):\n    pass\nraise MyError('bad thing')", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_str_eq(ci_result_error_name(r), "MyError");
    ck_assert_str_eq(ci_result_error_value(r), "bad thing");
    ci_result_free(r);

    r = tc_exec(s, "def (:", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_ptr_nonnull(ci_result_error_name(r));
    ck_assert_str_eq(ci_result_error_name(r), "SyntaxError");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(system_exit_code)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec(s, "raise SystemExit(3)", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 3);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(stdin_is_empty)
{
    /* nothing waits for input that will never come */
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec(s, "input()", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_str_eq(ci_result_error_name(r), "EOFError");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- output */

START_TEST(stdout_and_stderr_apart)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s,
                              "import sys\nprint('out')\nprint('err', file=sys.stderr)\n"
                              "print('out2')",
                              NULL);
    tc_expect_streams(r, "out\nout2\n", "err\n");
    ci_result_free(r);

    r = tc_exec_ok(s, "import sys\nsys.stdout.buffer.write(b'a\\x00b\\n')", NULL);
    tc_expect_stdout_bytes(r, "a\0b\n", 4);
    ci_result_free(r);

    r = tc_exec_ok(s, "print('h\\u00e9llo \\u2713')", NULL);
    ck_assert_str_eq(tc_stdout(r), "h\xc3\xa9llo \xe2\x9c\x93\n");
    ci_result_free(r);

    /* 5 MiB is well under the default 16 MiB: all of it arrives */
    r = tc_exec_ok(s, "import sys\nsys.stdout.write('y' * (5 * 1024 * 1024))", NULL);
    size_t len = 0;
    const char *out = ci_result_stdout(r, &len);
    ck_assert_uint_eq(len, 5u * 1024u * 1024u);
    ck_assert_int_eq(out[0], 'y');
    ck_assert_int_eq(out[len - 1], 'y');
    ck_assert_int_eq(ci_result_stdout_truncated(r), 0);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

struct stream_probe {
    double first_a_ms; /* when the callback first saw 'a' */
    size_t bytes;
    char text[256];
    size_t text_len;
    const char *stop_word; /* return non-zero once this was seen */
    int calls;
};

static int stream_cb(const char *data, size_t len, void *user_data)
{
    struct stream_probe *p = user_data;
    p->calls++;
    if (p->first_a_ms == 0.0 && memchr(data, 'a', len))
        p->first_a_ms = tc_now_ms();
    p->bytes += len;
    size_t room = sizeof p->text - 1 - p->text_len;
    size_t n = len < room ? len : room;
    memcpy(p->text + p->text_len, data, n);
    p->text_len += n;
    p->text[p->text_len] = '\0';
    return p->stop_word && strstr(p->text, p->stop_word) ? 1 : 0;
}

START_TEST(output_streams_while_running)
{
    ci_session *s = tc_session_new(NULL);
    struct stream_probe out = {0}, err = {0};
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, stream_cb, &out), 0);
    ck_assert_int_eq(ci_exec_options_set_stderr_callback(o, stream_cb, &err), 0);

    ci_result *r = tc_exec_ok(s,
                              "import sys, time\nprint('a', flush=True)\n"
                              "print('e', file=sys.stderr, flush=True)\ntime.sleep(1.5)\n"
                              "print('b')",
                              o);
    double returned = tc_now_ms();
    ck_assert_msg(out.first_a_ms > 0.0, "the stdout callback never saw 'a'");
    ck_assert_msg(returned - out.first_a_ms >= 700.0,
                  "'a' reached the callback only %.0f ms before ci_execute returned",
                  returned - out.first_a_ms);
    ck_assert_str_eq(out.text, "a\nb\n");
    ck_assert_str_eq(err.text, "e\n");
    /* the callbacks do not replace the capture */
    ck_assert_str_eq(tc_stdout(r), "a\nb\n");
    ck_assert_str_eq(tc_stderr(r), "e\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(output_limit_truncates)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_output_limit(c, 1000), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    struct stream_probe out = {0};
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, stream_cb, &out), 0);

    ci_result *r = tc_exec_ok(s,
                              "import sys\nsys.stdout.write('x' * 100000)\n"
                              "sys.stdout.flush()\nprint('\\nend')\n"
                              "sys.stderr.write('e' * 10)",
                              o);
    ck_assert_int_eq(ci_result_exit_code(r), 0);
    size_t len = 0;
    const char *text = ci_result_stdout(r, &len);
    ck_assert_uint_eq(len, 1000);
    for (size_t i = 0; i < len; i++)
        ck_assert_msg(text[i] == 'x', "byte %zu is 0x%02x", i, (unsigned char)text[i]);
    ck_assert_int_ne(ci_result_stdout_truncated(r), 0);
    ck_assert_int_eq(ci_result_stderr_truncated(r), 0);
    ck_assert_str_eq(tc_stderr(r), "eeeeeeeeee");
    /* the program was not stopped and the callback got everything */
    ck_assert_uint_eq(out.bytes, 100000u + 5u);
    ci_result_free(r);

    /* the flag is per execution */
    r = tc_exec_ok(s, "print('short')", NULL);
    ck_assert_str_eq(tc_stdout(r), "short\n");
    ck_assert_int_eq(ci_result_stdout_truncated(r), 0);
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(callback_stops_execution)
{
    ci_session *s = tc_session_new(NULL);
    struct stream_probe out = {.stop_word = "stop"};
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, stream_cb, &out), 0);
    double start = tc_now_ms();
    ci_result *r = tc_exec(s, "import time\nprint('stop', flush=True)\ntime.sleep(30)\n"
                              "print('after')",
                           o);
    double took = tc_now_ms() - start;
    tc_assert_status(r, CI_STATUS_KILLED);
    ck_assert_msg(took < 20000.0, "stopping took %.0f ms", took);
    ck_assert_ptr_null(strstr(tc_stdout(r), "after"));
    ck_assert_ptr_nonnull(strstr(tc_stdout(r), "stop"));
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------------------ JSON */

static cJSON *parse_json(const char *text)
{
    ck_assert_ptr_nonnull(text);
    cJSON *doc = cJSON_Parse(text);
    ck_assert_msg(doc != NULL, "not JSON: %s", text);
    return doc;
}

static const char *first_text(const cJSON *doc, const char *raw)
{
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(doc, "content");
    ck_assert_msg(cJSON_IsArray(content) && cJSON_GetArraySize(content) >= 1,
                  "no content array: %s", raw);
    const cJSON *item = cJSON_GetArrayItem(content, 0);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(item, "type");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(item, "text");
    ck_assert_msg(cJSON_IsString(type) && strcmp(type->valuestring, "text") == 0,
                  "content[0].type: %s", raw);
    ck_assert_msg(cJSON_IsString(text), "content[0].text: %s", raw);
    return text->valuestring;
}

static int is_error(const cJSON *doc, const char *raw)
{
    const cJSON *flag = cJSON_GetObjectItemCaseSensitive(doc, "isError");
    ck_assert_msg(cJSON_IsBool(flag), "no isError: %s", raw);
    return cJSON_IsTrue(flag);
}

START_TEST(result_to_json)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "print(6 * 7)", NULL);
    char *json = NULL;
    ck_assert_int_eq(ci_result_to_json(r, &json), 0);
    cJSON *doc = parse_json(json);
    ck_assert_int_eq(is_error(doc, json), 0);
    ck_assert_ptr_nonnull(strstr(first_text(doc, json), "42"));
    ck_assert_msg(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "structuredContent")),
                  "no structuredContent: %s", json);
    cJSON_Delete(doc);
    ci_free(json);
    ci_result_free(r);

    r = tc_exec(s, "1 / 0", NULL);
    ck_assert_int_eq(ci_result_to_json(r, &json), 0);
    doc = parse_json(json);
    ck_assert_int_ne(is_error(doc, json), 0);
    ck_assert_ptr_nonnull(strstr(json, "ZeroDivisionError"));
    cJSON_Delete(doc);
    ci_free(json);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(invoke_json_calls)
{
    ci_session *s = tc_session_new(NULL);
    char *out = NULL;
    ck_assert_int_eq(ci_invoke_json(s,
                                    "{\"name\":\"executeCode\",\"arguments\":{\"code\":"
                                    "\"v = 6 * 7\\nprint(v)\",\"language\":\"python\","
                                    "\"clearContext\":false}}",
                                    &out),
                     0);
    cJSON *doc = parse_json(out);
    ck_assert_int_eq(is_error(doc, out), 0);
    ck_assert_ptr_nonnull(strstr(first_text(doc, out), "42"));
    cJSON_Delete(doc);
    ci_free(out);

    /* the tool call shares the session's interpreter */
    ci_result *r = tc_exec_ok(s, "print(v + 1)", NULL);
    ck_assert_str_eq(tc_stdout(r), "43\n");
    ci_result_free(r);

    static const char *const bad[] = {
        "{not json",
        "{\"name\":\"noSuchTool\",\"arguments\":{}}",
        "{\"name\":\"executeCode\",\"arguments\":{\"language\":\"python\"}}",
        "{\"name\":\"executeCode\",\"arguments\":{\"code\":\"1\",\"language\":\"cobol\"}}",
        "[]",
        "",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        out = NULL;
        int rc = ci_invoke_json(s, bad[i], &out);
        ck_assert_msg(rc == 0, "request %s: rc %d", bad[i], rc);
        doc = parse_json(out);
        ck_assert_msg(is_error(doc, out), "request %s accepted: %s", bad[i], out);
        ck_assert_msg(*first_text(doc, out) != '\0', "request %s: empty text", bad[i]);
        cJSON_Delete(doc);
        ci_free(out);
    }
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------------- libraries */

START_TEST(preinstalled_libraries)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *slow = tc_options_new(300000);
    ci_result *r = tc_exec_ok(s,
                              "import pandas, numpy, scipy, matplotlib, seaborn, sklearn, "
                              "requests, openpyxl, pyarrow\nprint('imported')",
                              slow);
    ck_assert_str_eq(tc_stdout(r), "imported\n");
    ci_result_free(r);

    r = tc_exec_ok(s,
                   "df = pandas.DataFrame({'a': [1, 2, 3, 4], 'b': [10, 20, 30, 40]})\n"
                   "print(int((df.a * df.b).sum()), df.groupby(df.a % 2).b.sum().to_dict())",
                   slow);
    ck_assert_str_eq(tc_stdout(r), "300 {0: 60, 1: 40}\n");
    ci_result_free(r);

    r = tc_exec_ok(s,
                   "import numpy as np\n"
                   "from sklearn.linear_model import LinearRegression\n"
                   "X = np.arange(10).reshape(-1, 1)\n"
                   "m = LinearRegression().fit(X, 2 * X.ravel() + 1)\n"
                   "print(round(float(m.coef_[0]), 6), round(float(m.intercept_), 6))",
                   slow);
    ck_assert_str_eq(tc_stdout(r), "2.0 1.0\n");
    ci_result_free(r);

    r = tc_exec_ok(s,
                   "matplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
                   "plt.plot([1, 2, 3])\nplt.savefig('plot.png')\nimport os\n"
                   "print(os.path.getsize('plot.png') > 1000)\n"
                   "df.to_parquet('t.parquet')\n"
                   "print(pandas.read_parquet('t.parquet').b.sum())\n"
                   "df.to_excel('t.xlsx', index=False)\n"
                   "print(pandas.read_excel('t.xlsx').a.sum())",
                   slow);
    ck_assert_str_eq(tc_stdout(r), "True\n100\n10\n");
    ci_result_free(r);
    ci_exec_options_free(slow);
    ci_session_destroy(s);
}
END_TEST

/* -------------------------------------------------------- host untouched */

struct host_state {
    char cwd[4096];
    mode_t umask_value;
    struct sigaction actions[32];
    sigset_t blocked;
    size_t env_count;
    unsigned long env_hash;
    int fds[1024]; /* 1 where open */
};

static void snapshot(struct host_state *st)
{
    memset(st, 0, sizeof *st);
    ck_assert_ptr_nonnull(getcwd(st->cwd, sizeof st->cwd));
    st->umask_value = umask(022);
    umask(st->umask_value);
    for (int sig = 1; sig < 32; sig++)
        sigaction(sig, NULL, &st->actions[sig]);
    sigprocmask(SIG_BLOCK, NULL, &st->blocked);
    st->env_hash = 5381;
    for (char **e = environ; *e; e++) {
        st->env_count++;
        for (const char *p = *e; *p; p++)
            st->env_hash = st->env_hash * 33 + (unsigned char)*p;
    }
    DIR *d = opendir("/proc/self/fd");
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int fd = atoi(e->d_name);
        if (e->d_name[0] != '.' && fd != dirfd(d) && fd >= 0 && fd < 1024)
            st->fds[fd] = 1;
    }
    closedir(d);
}

static void compare(const struct host_state *a, const struct host_state *b)
{
    ck_assert_str_eq(a->cwd, b->cwd);
    ck_assert_int_eq(a->umask_value, b->umask_value);
    for (int sig = 1; sig < 32; sig++) {
        ck_assert_msg(a->actions[sig].sa_handler == b->actions[sig].sa_handler,
                      "disposition of signal %d changed", sig);
        ck_assert_msg(a->actions[sig].sa_flags == b->actions[sig].sa_flags,
                      "flags of signal %d changed", sig);
    }
    for (int sig = 1; sig < 32; sig++)
        ck_assert_msg(sigismember(&a->blocked, sig) == sigismember(&b->blocked, sig),
                      "blocked mask changed for signal %d", sig);
    ck_assert_uint_eq(a->env_count, b->env_count);
    ck_assert_msg(a->env_hash == b->env_hash, "environment changed");
    for (int fd = 0; fd < 1024; fd++)
        ck_assert_msg(a->fds[fd] == b->fds[fd], "fd %d %s", fd,
                      b->fds[fd] ? "leaked after destroy" : "closed by the library");
}

START_TEST(host_process_untouched)
{
    /* A first session lets the library set up anything it keeps for the
     * process's lifetime; from then on a session must leave no trace. */
    ci_session_destroy(tc_session_new(NULL));

    struct host_state before, during, after;
    snapshot(&before);
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "import os\nos.umask(0)\nprint(1)", NULL));

    snapshot(&during);
    for (int fd = 0; fd < 1024; fd++) {
        if (!during.fds[fd] || before.fds[fd])
            continue;
        int flags = fcntl(fd, F_GETFD);
        ck_assert_msg(flags >= 0 && (flags & FD_CLOEXEC), "library fd %d lacks FD_CLOEXEC",
                      fd);
    }
    ci_session_destroy(s);
    snapshot(&after);
    compare(&before, &after);
}
END_TEST

/* --------------------------------------------------------------- threads */

struct worker {
    int index;
    int ok;
    char why[256];
};

static void *session_worker(void *arg)
{
    struct worker *w = arg;
    ci_config *c = NULL;
    ci_session *s = NULL;
    if (ci_config_new(&c) != 0 || ci_session_create(c, &s) != 0) {
        snprintf(w->why, sizeof w->why, "create: %s", ci_last_error());
        ci_config_free(c);
        return NULL;
    }
    ci_config_free(c);
    char code[128], want[64];
    snprintf(code, sizeof code, "n = %d", w->index);
    ci_result *r = NULL;
    if (ci_execute(s, code, NULL, &r) != 0 || ci_result_status(r) != CI_STATUS_OK) {
        snprintf(w->why, sizeof w->why, "set: %s", ci_session_last_error(s));
        goto out;
    }
    for (int i = 0; i < 3; i++) {
        ci_result_free(r);
        r = NULL;
        snprintf(code, sizeof code, "import time\ntime.sleep(0.2)\nprint(n * 100 + %d)", i);
        snprintf(want, sizeof want, "%d\n", w->index * 100 + i);
        if (ci_execute(s, code, NULL, &r) != 0) {
            snprintf(w->why, sizeof w->why, "exec: %s", ci_session_last_error(s));
            goto out;
        }
        size_t got_len = 0;
        const char *got = ci_result_stdout(r, &got_len);
        if (strcmp(got, want) != 0) {
            snprintf(w->why, sizeof w->why, "got %s wanted %s", got, want);
            goto out;
        }
    }
    w->ok = 1;
out:
    ci_result_free(r);
    ci_session_destroy(s);
    return NULL;
}

START_TEST(parallel_sessions)
{
    enum { N = 3 };
    pthread_t threads[N];
    struct worker workers[N];
    tc_state_dir();
    for (int i = 0; i < N; i++) {
        workers[i] = (struct worker){.index = i + 1};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, session_worker, &workers[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(pthread_join(threads[i], NULL), 0);
        ck_assert_msg(workers[i].ok, "worker %d: %s", i, workers[i].why);
    }
}
END_TEST

struct busy_call {
    ci_session *session;
    int rc;
    ci_result *result;
    struct stream_probe probe;
};

static void *long_call(void *arg)
{
    struct busy_call *b = arg;
    ci_exec_options *o = NULL;
    ci_exec_options_new(&o);
    ci_exec_options_set_stdout_callback(o, stream_cb, &b->probe);
    b->rc = ci_execute(b->session, "import time\nprint('a', flush=True)\ntime.sleep(3)", o,
                       &b->result);
    ci_exec_options_free(o);
    return NULL;
}

START_TEST(concurrent_execute_is_busy)
{
    struct busy_call b = {.session = tc_session_new(NULL)};
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, long_call, &b), 0);
    double give_up = tc_now_ms() + 30000.0;
    while (__atomic_load_n(&b.probe.calls, __ATOMIC_SEQ_CST) == 0 && tc_now_ms() < give_up)
        usleep(20000);
    ck_assert_msg(b.probe.calls > 0, "the first call never started");

    ci_result *r = (ci_result *)&r;
    int rc = ci_execute(b.session, "print(1)", NULL, &r);
    ck_assert_msg(rc == CI_EBUSY, "second call while busy: %d", rc);
    ck_assert_ptr_eq(r, (ci_result *)&r);

    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(b.rc, 0);
    tc_assert_status(b.result, CI_STATUS_OK);
    ci_result_free(b.result);
    r = tc_exec_ok(b.session, "print(2)", NULL);
    ck_assert_str_eq(tc_stdout(r), "2\n");
    ci_result_free(r);
    ci_session_destroy(b.session);
}
END_TEST

/* ------------------------------------------------------------ accounting */

START_TEST(usage_figures)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s,
                              "import time\nt = time.process_time()\n"
                              "while time.process_time() - t < 1.0:\n    pass",
                              NULL);
    ck_assert_msg(ci_result_wall_ms(r) >= 900.0, "wall %.0f ms for a 1 s spin",
                  ci_result_wall_ms(r));
    ck_assert_msg(ci_result_cpu_ms(r) >= 700.0, "cpu %.0f ms for a 1 s spin",
                  ci_result_cpu_ms(r));
    ci_result_free(r);

    r = tc_exec_ok(s,
                   "b = bytearray(200 * 1024 * 1024)\n"
                   "for i in range(0, len(b), 4096):\n    b[i] = 1",
                   NULL);
    ck_assert_msg(ci_result_peak_memory_bytes(r) >= 190ull * 1024 * 1024,
                  "peak %llu bytes after touching 200 MiB",
                  (unsigned long long)ci_result_peak_memory_bytes(r));
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

static Suite *python_suite(void)
{
    Suite *s = suite_create("python");
    TCase *tc;

    tc = tcase_create("state");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, variables_persist);
    tcase_add_test(tc, clear_context_restarts);
    tcase_add_test(tc, last_expression_value);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, exception_details);
    tcase_add_test(tc, system_exit_code);
    tcase_add_test(tc, stdin_is_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, stdout_and_stderr_apart);
    tcase_add_test(tc, output_streams_while_running);
    tcase_add_test(tc, output_limit_truncates);
    tcase_add_test(tc, callback_stops_execution);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, result_to_json);
    tcase_add_test(tc, invoke_json_calls);
    suite_add_tcase(s, tc);

    tc = tcase_create("libraries");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, preinstalled_libraries);
    suite_add_tcase(s, tc);

    tc = tcase_create("host");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, host_process_untouched);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, parallel_sessions);
    tcase_add_test(tc, concurrent_execute_is_busy);
    suite_add_tcase(s, tc);

    tc = tcase_create("accounting");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, usage_figures);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(python_suite());
}
