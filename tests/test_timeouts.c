/* SPDX-License-Identifier: MIT */
/* Suite 'timeouts': the execution limit, the idle and absolute lifetimes and cancellation
 * end the code that runs, keep the output made until then, leave no process
 * behind, and leave the session in the documented state. */
#include "test_common.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ci_execute() without options: the config's limits apply. */
static ci_result *exec_defaults(ci_session *s, const char *code)
{
    ci_result *r = NULL;
    int rc = ci_execute(s, code, NULL, &r);
    ck_assert_msg(rc == 0, "ci_execute: %s: %s", ci_strerror(rc), ci_session_last_error(s));
    ck_assert_ptr_nonnull(r);
    return r;
}

static void assert_timed_out(const ci_result *r, double took_ms, double limit_ms)
{
    tc_assert_status(r, CI_STATUS_TIMEOUT);
    ck_assert_int_eq(ci_result_exit_code(r), 137);
    ck_assert_msg(took_ms >= limit_ms * 0.9, "ended after %.0f ms, limit %.0f ms", took_ms,
                  limit_ms);
    ck_assert_msg(took_ms < limit_ms + 20000.0, "ended only after %.0f ms, limit %.0f ms",
                  took_ms, limit_ms);
}

/* Starts a marked background process in the session and returns the host
 * uid it runs as, after checking the host really sees it. */
static uid_t start_marked(ci_session *s, const char *marker)
{
    uid_t uid = tc_spawn_marked(s, marker);
    ck_assert_msg(uid != (uid_t)-1, "cannot read the uid of %s", marker);
    return uid;
}

/* rc, what a call made after `what` returned, says the session expired; the
 * marked process went with it; and the session stays expired, for cells and
 * for commands alike. */
static void expect_expired(ci_session *s, int rc, const char *what, const char *marker)
{
    ck_assert_msg(rc == CI_EEXPIRED, "after %s: %d (%s)", what, rc, ci_strerror(rc));
    ck_assert_msg(tc_wait_marker_gone(marker, 5000) == 0,
                  "a process of the expired session survived");
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(s, "print(1)", NULL, &r), CI_EEXPIRED);
    ck_assert_int_eq(ci_execute_command(s, "true", NULL, &r), CI_EEXPIRED);
    ck_assert_ptr_null(r);
}

/* ------------------------------------------------------ execution limit */

START_TEST(busy_loop_times_out)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "x = 1", NULL));
    ci_exec_options *o = tc_options_new(1000);
    double start = tc_now_ms();
    ci_result *r = tc_exec(s, "print('before', flush=True)\nwhile True:\n    pass", o);
    assert_timed_out(r, tc_now_ms() - start, 1000.0);
    ck_assert_str_eq(tc_stdout(r), "before\n");
    ci_result_free(r);

    /* usable again, with a fresh interpreter */
    r = tc_exec_ok(s, "print('again')", NULL);
    ck_assert_str_eq(tc_stdout(r), "again\n");
    ci_result_free(r);
    r = tc_exec(s, "x", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_str_eq(ci_result_error_name(r), "NameError");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(sleep_times_out_by_config)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_exec_timeout_ms, 1000);
    double start = tc_now_ms();
    ci_result *r = exec_defaults(s, "import sys, time\nprint('out', flush=True)\n"
                                    "print('err', file=sys.stderr, flush=True)\n"
                                    "time.sleep(100)");
    assert_timed_out(r, tc_now_ms() - start, 1000.0);
    ck_assert_str_eq(tc_stdout(r), "out\n");
    ck_assert_str_eq(tc_stderr(r), "err\n");
    ci_result_free(r);

    r = exec_defaults(s, "print('fine')");
    tc_assert_status(r, CI_STATUS_OK);
    ck_assert_str_eq(tc_stdout(r), "fine\n");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(option_overrides_config)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_exec_timeout_ms, 1000);
    ci_exec_options *o = tc_options_new(8000);
    ci_result *r = tc_exec_ok(s, "import time\ntime.sleep(2)\nprint('slept')", o);
    ck_assert_str_eq(tc_stdout(r), "slept\n");
    ci_result_free(r);

    /* 0 in the options means the config's limit again */
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(o, 0), 0);
    r = tc_exec(s, "import time\ntime.sleep(5)", o);
    tc_assert_status(r, CI_STATUS_TIMEOUT);
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(stopped_process_times_out)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = tc_options_new(1500);
    double start = tc_now_ms();
    ci_result *r = tc_exec(s, "import os, signal\nprint('stopping', flush=True)\n"
                              "os.kill(os.getpid(), signal.SIGSTOP)",
                           o);
    assert_timed_out(r, tc_now_ms() - start, 1500.0);
    ck_assert_str_eq(tc_stdout(r), "stopping\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    r = tc_exec_ok(s, "print(1)", NULL);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* --------------------------------------------------- processes are gone */

START_TEST(background_killed_on_timeout)
{
    char marker[33];
    tc_random_hex(marker, 32);
    ci_session *s = tc_session_new(NULL);
    uid_t uid = start_marked(s, marker);

    ci_exec_options *o = tc_options_new(1500);
    ci_result *r = tc_exec(s, "while True:\n    pass", o);
    tc_assert_status(r, CI_STATUS_TIMEOUT);
    ci_result_free(r);
    ck_assert_msg(tc_wait_marker_gone(marker, 5000) == 0,
                  "a background process (uid %u) survived the timeout", (unsigned)uid);

    r = tc_exec_ok(s, "print('still usable')", NULL);
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(background_killed_on_destroy)
{
    char plain[33], detached[33];
    tc_random_hex(plain, 32);
    tc_random_hex(detached, 32);
    ci_session *s = tc_session_new(NULL);
    uid_t uid = start_marked(s, plain);

    /* double fork + setsid + SIGTERM/SIGHUP ignored, fds detached */
    char *code = tc_printf(
        "import os, signal, sys\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        fd = os.open('/dev/null', os.O_RDWR)\n"
        "        for i in range(3):\n"
        "            os.dup2(fd, i)\n"
        "        signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "        signal.signal(signal.SIGHUP, signal.SIG_IGN)\n"
        "        os.execv(sys.executable, [sys.executable, '-c', 'import signal, time\\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\\nwhile True: time.sleep(1)', '%s'])\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "print('spawned')\n",
        detached);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    ci_result_free(r);
    double give_up = tc_now_ms() + 5000.0;
    while (tc_find_marker_procs(detached, NULL, 0, NULL) == 0 && tc_now_ms() < give_up)
        usleep(50000);
    ck_assert_msg(tc_find_marker_procs(detached, NULL, 0, NULL) == 1,
                  "the detached process is not visible from the host");

    ci_session_destroy(s);
    ck_assert_msg(tc_wait_marker_gone(plain, 5000) == 0, "background process survived");
    ck_assert_msg(tc_wait_marker_gone(detached, 5000) == 0,
                  "double-forked setsid process survived");
    if (geteuid() == 0 && uid >= 2000000000u)
        ck_assert_msg(tc_wait_uid_gone(uid, 5000) == 0,
                      "processes of the session's uid %u remain", (unsigned)uid);
}
END_TEST

START_TEST(holding_stdout_does_not_block)
{
    /* A background child keeps the cell's stdout open; the call must still
     * return when the cell is done. */
    char marker[33];
    tc_random_hex(marker, 32);
    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import subprocess, sys\n"
                           "subprocess.Popen([sys.executable, '-c', 'import time\\n"
                           "time.sleep(60)', '%s'])\nprint('done')",
                           marker);
    double start = tc_now_ms();
    ci_result *r = tc_exec_ok(s, code, NULL);
    ck_assert_msg(tc_now_ms() - start < 15000.0, "the call waited for the child");
    ck_assert_str_eq(tc_stdout(r), "done\n");
    ci_result_free(r);
    free(code);
    ck_assert_uint_eq(tc_find_marker_procs(marker, NULL, 0, NULL), 1);
    ci_session_destroy(s);
    ck_assert_uint_eq(tc_wait_marker_gone(marker, 5000), 0);
}
END_TEST

/* ---------------------------------------------------------- idle expiry */

START_TEST(idle_session_expires)
{
    char marker[33];
    tc_random_hex(marker, 32);
    ci_session *s = TC_SESSION_WITH(ci_config_set_idle_timeout_ms, 1000);
    start_marked(s, marker);

    sleep(2);
    ci_result *r = (ci_result *)&r;
    int rc = ci_execute(s, "print(1)", NULL, &r);
    ck_assert_ptr_eq(r, (ci_result *)&r);
    expect_expired(s, rc, "the idle lifetime", marker);
    ci_session_destroy(s);
}
END_TEST

START_TEST(use_keeps_session_alive)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_idle_timeout_ms, 1500);
    ci_result_free(tc_exec_ok(s, "n = 0", NULL));
    for (int i = 0; i < 4; i++) {
        usleep(700 * 1000);
        ci_result_free(tc_exec_ok(s, "n += 1", NULL));
    }
    ci_result *r = tc_exec_ok(s, "print(n)", NULL);
    ck_assert_str_eq(tc_stdout(r), "4\n");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ---------------------------------------------------- absolute lifetime */

/* Use does not extend it: a session called every 300 ms expires at its
 * lifetime, and its processes go with it. */
START_TEST(lifetime_ends_a_used_session)
{
    char marker[33];
    tc_random_hex(marker, 32);
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_session_lifetime_ms(c, 2500), 0);
    ck_assert_int_eq(ci_config_set_idle_timeout_ms(c, 60000), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    double created = tc_now_ms();
    start_marked(s, marker);

    ci_result *r = NULL;
    int rc = 0;
    while (tc_now_ms() - created < 10000.0) {
        rc = ci_execute(s, "1", NULL, &r);
        if (rc != 0)
            break;
        ci_result_free(r);
        r = NULL;
        usleep(300 * 1000);
    }
    double ended = tc_now_ms() - created;
    ck_assert_msg(ended >= 2400.0 && ended < 5000.0, "expired %.0f ms after creation", ended);
    ck_assert_msg(strstr(ci_session_last_error(s), "lifetime"), "%s", ci_session_last_error(s));
    expect_expired(s, rc, "the lifetime", marker);
    ci_session_destroy(s);
}
END_TEST

/* An execution running when the lifetime ends is stopped by the sandbox's
 * own clock, long before its time limit, as session_expired. */
START_TEST(lifetime_stops_a_running_execution)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_session_lifetime_ms, 2000);
    double t0 = tc_now_ms();
    ci_result *r = NULL;
    int rc = ci_execute(s, "import time\nprint('before', flush=True)\ntime.sleep(60)", NULL, &r);
    double took = tc_now_ms() - t0;
    ck_assert_msg(rc == 0, "ci_execute: %s: %s", ci_strerror(rc), ci_session_last_error(s));
    tc_assert_status(r, CI_STATUS_SESSION_EXPIRED);
    ck_assert_str_eq(tc_stdout(r), "before\n"); /* what it wrote is kept */
    ck_assert_msg(took < 10000.0, "the execution ran %.0f ms past a 2 s lifetime", took);
    ci_result_free(r);
    r = NULL;
    ck_assert_int_eq(ci_execute(s, "1", NULL, &r), CI_EEXPIRED);
    ci_session_destroy(s);
}
END_TEST

/* --------------------------------------------------------------- cancel */

struct canceller {
    ci_session *session;
    ci_cancel *handle;  /* fired instead of ci_session_cancel() when set */
    volatile int started;
    double canceled_at;
    int rc;
};

static int started_cb(const char *data, size_t len, void *user_data)
{
    (void)data;
    (void)len;
    struct canceller *c = user_data;
    __atomic_store_n(&c->started, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static void *cancel_later(void *arg)
{
    struct canceller *c = arg;
    double give_up = tc_now_ms() + 30000.0;
    while (!__atomic_load_n(&c->started, __ATOMIC_SEQ_CST) && tc_now_ms() < give_up)
        usleep(10000);
    usleep(300 * 1000);
    c->canceled_at = tc_now_ms();
    c->rc = c->handle ? ci_cancel_request(c->handle) : ci_session_cancel(c->session);
    return NULL;
}

/* The cell spins until the other thread cancels it, with
 * ci_session_cancel() or with a handle of the options. */
static void cancel_spinning_cell(int with_handle)
{
    struct canceller c = {.session = tc_session_new(NULL), .rc = 1};
    ci_exec_options *o = tc_options_new(120000);
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, started_cb, &c), 0);
    if (with_handle) {
        ck_assert_int_eq(ci_cancel_create(&c.handle), 0);
        ck_assert_int_eq(ci_exec_options_set_cancel(o, c.handle), 0);
    }
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, &c), 0);
    ci_result *r = tc_exec(c.session, "print('spinning', flush=True)\nwhile True:\n    pass", o);
    double returned = tc_now_ms();
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    ck_assert_int_eq(c.rc, 0);
    ck_assert_msg(c.started, "the cell never printed");
    tc_assert_status(r, CI_STATUS_KILLED);
    ck_assert_msg(returned - c.canceled_at < 5000.0, "returned %.0f ms after the cancel",
                  returned - c.canceled_at);
    ck_assert_str_eq(tc_stdout(r), "spinning\n");
    ci_result_free(r);
    ci_exec_options_free(o);

    r = tc_exec_ok(c.session, "print('after cancel')", NULL);
    ck_assert_str_eq(tc_stdout(r), "after cancel\n");
    ci_result_free(r);
    ci_session_destroy(c.session);
    ci_cancel_free(c.handle);
}

START_TEST(cancel_from_another_thread)
{
    cancel_spinning_cell(0);
}
END_TEST

START_TEST(cancel_handle_from_another_thread)
{
    cancel_spinning_cell(1);
}
END_TEST

/* A handle fired before the call starts stops it there: nothing runs, the
 * interpreter and its state stay, and the handle stays fired. This is what
 * a host needs for a call queued behind its own lock, which
 * ci_session_cancel() cannot reach (see cancel_when_idle_is_harmless). */
START_TEST(cancel_handle_before_the_call)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "x = 3", NULL));
    ci_cancel *h;
    ck_assert_int_eq(ci_cancel_create(&h), 0);
    ck_assert_int_eq(ci_cancel_requested(h), 0);
    ck_assert_int_eq(ci_cancel_request(h), 0);
    ck_assert_int_eq(ci_cancel_request(h), 0); /* again: harmless */
    ck_assert_int_ne(ci_cancel_requested(h), 0);
    ci_exec_options *o = tc_options_new(60000);
    ck_assert_int_eq(ci_exec_options_set_cancel(o, h), 0);

    double t0 = tc_now_ms();
    ci_result *r = tc_exec(s, "open('ran', 'w').write('1')\nprint('ran')", o);
    tc_assert_status(r, CI_STATUS_KILLED);
    ck_assert_str_eq(tc_stdout(r), "");
    ci_result_free(r);
    r = NULL;
    ck_assert_int_eq(ci_execute_command(s, "touch ran; echo ran", o, &r), 0);
    tc_assert_status(r, CI_STATUS_KILLED);
    ck_assert_str_eq(tc_stdout(r), "");
    ci_result_free(r);
    ck_assert_msg(tc_now_ms() - t0 < 5000.0, "two cancelled calls took %.0f ms",
                  tc_now_ms() - t0);

    char *json = NULL;
    ck_assert_int_eq(ci_invoke_json_stream(s, "{\"name\":\"executeCode\",\"arguments\":"
                                           "{\"code\":\"print(4)\"}}", NULL, NULL, NULL, h,
                                           &json), 0);
    ck_assert_msg(strstr(json, "\"status\":\"killed\"") != NULL, "answer: %s", json);
    ci_free(json);

    /* nothing ran, and the interpreter was left alone */
    r = tc_exec_ok(s, "import os\nprint(x, os.path.exists('ran'))", NULL);
    ck_assert_str_eq(tc_stdout(r), "3 False\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_cancel_free(h);
    ck_assert_int_eq(ci_cancel_request(NULL), CI_EINVAL);
    ck_assert_int_eq(ci_cancel_requested(NULL), 0);
    ci_cancel_free(NULL);
    ci_session_destroy(s);
}
END_TEST

START_TEST(cancel_when_idle_is_harmless)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "x = 3", NULL));
    ck_assert_int_eq(ci_session_cancel(s), 0);
    /* no pending cancel hits the next execution */
    ci_result *r = tc_exec_ok(s, "import time\ntime.sleep(0.5)\nprint(x)", NULL);
    ck_assert_str_eq(tc_stdout(r), "3\n");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

static Suite *timeouts_suite(void)
{
    Suite *s = suite_create("timeouts");
    TCase *tc;

    tc = tcase_create("exec_limit");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, busy_loop_times_out);
    tcase_add_test(tc, sleep_times_out_by_config);
    tcase_add_test(tc, option_overrides_config);
    tcase_add_test(tc, stopped_process_times_out);
    suite_add_tcase(s, tc);

    tc = tcase_create("processes");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, background_killed_on_timeout);
    tcase_add_test(tc, background_killed_on_destroy);
    tcase_add_test(tc, holding_stdout_does_not_block);
    suite_add_tcase(s, tc);

    tc = tcase_create("idle");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, idle_session_expires);
    tcase_add_test(tc, use_keeps_session_alive);
    suite_add_tcase(s, tc);

    tc = tcase_create("lifetime");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, lifetime_ends_a_used_session);
    tcase_add_test(tc, lifetime_stops_a_running_execution);
    suite_add_tcase(s, tc);

    tc = tcase_create("cancel");
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, cancel_from_another_thread);
    tcase_add_test(tc, cancel_handle_from_another_thread);
    tcase_add_test(tc, cancel_handle_before_the_call);
    tcase_add_test(tc, cancel_when_idle_is_harmless);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(timeouts_suite());
}
