/* SPDX-License-Identifier: MIT */
/* Suite 'tasks': background tasks (ci_task_start/get/stop). Ids, states
 * from working to completed with the exit code, output read by offsets
 * without a byte lost or repeated, the output cap, stopping a task and its
 * whole process group, a task lost with its interpreter, the per-session
 * bound, tasks ending with their session, and their CPU charged to the
 * session. */
#include "test_common.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A process that carries a marker (the argument after it) in its argv and
 * never forks: counts of it are exact. */
#define CARRIER "python3 -c 'import time; time.sleep(300)'"

/* Polls until the sandbox runs exactly `want` processes carrying `marker`
 * (a task's child may not have been started yet); returns the last count. */
static int wait_count(ci_session *s, const char *marker, int want)
{
    double end = tc_now_ms() + 10000;
    for (;;) {
        int n = tc_sandbox_marker_count(s, marker);
        if (n == want || tc_now_ms() > end)
            return n;
        usleep(50 * 1000);
    }
}

static char *start(ci_session *s, const char *command, const ci_exec_options *o)
{
    char *id = NULL;
    int rc = ci_task_start(s, command, o, &id);
    ck_assert_msg(rc == 0, "ci_task_start(%s): %s: %s", command, ci_strerror(rc),
                  ci_session_last_error(s));
    ck_assert_ptr_nonnull(id);
    return id;
}

static ci_task_info *get(ci_session *s, const char *id, uint64_t out_from, uint64_t err_from)
{
    ci_task_info *info = NULL;
    int rc = ci_task_get(s, id, out_from, err_from, &info);
    ck_assert_msg(rc == 0, "ci_task_get(%s): %s: %s", id, ci_strerror(rc),
                  ci_session_last_error(s));
    ck_assert_ptr_nonnull(info);
    return info;
}

static const char *out_of(const ci_task_info *info, int stream)
{
    size_t len = 0;
    const char *text = ci_task_info_output(info, stream, &len);
    ck_assert_ptr_nonnull(text);
    return text;
}

static void expect_status(const ci_task_info *info, ci_task_status want)
{
    ci_task_status got = ci_task_info_status(info);
    ck_assert_msg(got == want, "task %s is %s (exit %d, error %s), want %s; stdout \"%s\" "
                  "stderr \"%s\"", ci_task_info_id(info), ci_task_status_name(got),
                  ci_task_info_exit_code(info),
                  ci_task_info_error(info) ? ci_task_info_error(info) : "(none)",
                  ci_task_status_name(want), out_of(info, CI_TASK_STDOUT),
                  out_of(info, CI_TASK_STDERR));
}

/* ------------------------------------------------------------- lifecycle */

START_TEST(poll_to_completion)
{
    ci_session *s = tc_session_new(NULL);
    char *id = start(s, "for i in 1 2 3; do echo $i; sleep 0.2; done; echo done >&2", NULL);
    ck_assert_str_eq(id, "task-1");
    ci_task_info *info = get(s, id, 0, 0);
    ck_assert_str_eq(ci_task_info_id(info), "task-1");
    expect_status(info, CI_TASK_WORKING);
    ck_assert_str_eq(ci_task_status_name(ci_task_info_status(info)), "working");
    ck_assert_int_eq(ci_task_info_exit_code(info), -1);
    ck_assert(ci_task_info_cpu_ms(info) < 0);
    ck_assert_ptr_null(ci_task_info_error(info));
    ci_task_info_free(info);

    /* the session is free while the task runs */
    tc_assert_sh(s, "echo meanwhile", "meanwhile\n");

    int polls = 0, seen_working = 0;
    double give_up = tc_now_ms() + 20000;
    for (;;) {
        info = get(s, id, 0, 0);
        polls++;
        if (ci_task_info_status(info) != CI_TASK_WORKING || tc_now_ms() > give_up)
            break;
        seen_working++;
        ci_task_info_free(info);
        usleep(50 * 1000);
    }
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_str_eq(ci_task_status_name(ci_task_info_status(info)), "completed");
    ck_assert_int_ge(seen_working, 1);
    ck_assert_int_eq(ci_task_info_exit_code(info), 0);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "1\n2\n3\n");
    ck_assert_str_eq(out_of(info, CI_TASK_STDERR), "done\n");
    ck_assert_uint_eq(ci_task_info_output_end(info, CI_TASK_STDOUT), 6);
    ck_assert_uint_eq(ci_task_info_output_end(info, CI_TASK_STDERR), 5);
    ck_assert_msg(ci_task_info_wall_ms(info) >= 550 && ci_task_info_wall_ms(info) < 20000,
                  "wall %.0f ms for 0.6 s of sleeps", ci_task_info_wall_ms(info));
    ck_assert(ci_task_info_cpu_ms(info) >= 0);
    ck_assert_uint_gt(ci_task_info_peak_memory_bytes(info), 0);
    double wall = ci_task_info_wall_ms(info);
    ci_task_info_free(info);

    /* an ended task keeps its state, wall time and output */
    info = get(s, id, 0, 0);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert(ci_task_info_wall_ms(info) == wall);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "1\n2\n3\n");
    char *json = NULL;
    ck_assert_int_eq(ci_task_info_to_json(info, &json), 0);
    ck_assert_msg(strstr(json, "\"taskStatus\":\"completed\"") && strstr(json, "\"exitCode\":0"),
                  "%s", json);
    ci_free(json);
    ci_task_info_free(info);

    /* ids count up; unknown ids are refused */
    char *second = start(s, "true", NULL);
    ck_assert_str_eq(second, "task-2");
    info = NULL;
    tc_expect_rc(ci_task_get(s, "task-3", 0, 0, &info), CI_ENOENT, "get task-3");
    tc_expect_rc(ci_task_get(s, "nope", 0, 0, &info), CI_ENOENT, "get nope");
    tc_expect_rc(ci_task_stop(s, "task-99", NULL), CI_ENOENT, "stop task-99");
    ck_assert_ptr_null(info);
    ci_free(second);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

START_TEST(failing_task)
{
    ci_session *s = tc_session_new(NULL);
    /* a command that exits non-zero has completed, with its exit code */
    char *id = start(s, "echo oops >&2; exit 7", NULL);
    ci_task_info *info = tc_task_wait(s, id, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_int_eq(ci_task_info_exit_code(info), 7);
    ck_assert_str_eq(out_of(info, CI_TASK_STDERR), "oops\n");
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "");
    ci_task_info_free(info);
    ci_free(id);

    /* killed by a signal: 128 + n */
    id = start(s, "kill -TERM $$", NULL);
    info = tc_task_wait(s, id, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_int_eq(ci_task_info_exit_code(info), 128 + 15);
    ci_task_info_free(info);
    ci_free(id);

    /* a working directory that is not there: it does not start */
    ci_exec_options *o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "no_such_dir"), 0);
    id = NULL;
    tc_expect_rc(ci_task_start(s, "echo ran > ran.txt", o, &id), CI_ENOENT, "missing cwd");
    ck_assert_ptr_null(id);
    ck_assert_msg(strstr(ci_session_last_error(s), "no_such_dir"), "message: %s",
                  ci_session_last_error(s));
    ci_exec_options_free(o);
    tc_expect_rc(ci_task_start(s, "", NULL, &id), CI_EINVAL, "empty command");

    /* a task whose interpreter is killed (a command's timeout kills every
     * process of the sandbox) is lost: failed, with a reason */
    id = start(s, "sleep 300", NULL);
    o = tc_sh_options(1000);
    ci_result *r = tc_cmd(s, "sleep 60", o);
    tc_assert_status(r, CI_STATUS_TIMEOUT);
    ci_result_free(r);
    ci_exec_options_free(o);
    info = get(s, id, 0, 0);
    expect_status(info, CI_TASK_FAILED);
    ck_assert_str_eq(ci_task_status_name(ci_task_info_status(info)), "failed");
    ck_assert_ptr_nonnull(ci_task_info_error(info));
    ck_assert_int_eq(ci_task_info_exit_code(info), -1);
    ci_task_info_free(info);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, "sleep\n300", 5000), 0);
    ci_free(id);

    /* and new tasks run in the new interpreter, numbered on */
    id = start(s, "echo again", NULL);
    info = tc_task_wait(s, id, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "again\n");
    ci_task_info_free(info);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

START_TEST(env_and_cwd)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_env, "CI_CFG", "cfg");
    ci_result_free(tc_cmd_ok(s, "mkdir -p work/here", NULL));
    ci_exec_options *o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "T", "task-var"), 0);
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "work/here"), 0);
    char *id = start(s, "echo \"$T $CI_CFG $(pwd)\"; echo file > out.txt", o);
    ci_exec_options_free(o);
    ci_task_info *info = tc_task_wait(s, id, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "task-var cfg /workspace/work/here\n");
    ci_task_info_free(info);
    ci_free(id);
    tc_assert_sh(s, "cat work/here/out.txt; echo \"${T-unset}\"", "file\nunset\n");
    id = start(s, "echo \"${T-unset}\" $(pwd)", NULL);
    info = tc_task_wait(s, id, 20000);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "unset /workspace\n");
    ci_task_info_free(info);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

/* A task's pipes are read while a command runs in the foreground: a task
 * that writes more than a pipe holds is not stalled by it. */
START_TEST(read_while_command_runs)
{
    ci_session *s = tc_session_new(NULL);
    char *id = start(s, "head -c 300000 /dev/zero | tr '\\0' x; echo; echo end", NULL);
    ci_result *r = tc_cmd_ok(s, "sleep 3; echo fg", NULL);
    ck_assert_str_eq(tc_stdout(r), "fg\n");
    ci_result_free(r);
    /* the task ended while the command slept: no further wait */
    ci_task_info *info = get(s, id, 300000, 0);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "\nend\n");
    ck_assert_uint_eq(ci_task_info_output_end(info, CI_TASK_STDOUT), 300005);
    ck_assert_msg(ci_task_info_wall_ms(info) < 2500,
                  "the task took %.0f ms: it waited for the command", ci_task_info_wall_ms(info));
    ci_task_info_free(info);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

struct busy_run {
    ci_session *s;
    int rc;
    ci_status status;
    volatile int running; /* set by the command's first output */
};

static int mark_running(const char *data, size_t len, void *user)
{
    (void)data;
    (void)len;
    __atomic_store_n(&((struct busy_run *)user)->running, 1, __ATOMIC_SEQ_CST);
    return 0;
}

static void *run_busy(void *arg)
{
    struct busy_run *b = arg;
    ci_result *r = NULL;
    ci_exec_options *o = NULL;
    if (ci_exec_options_new(&o) == 0 && ci_exec_options_set_stdout_callback(o, mark_running, b) == 0)
        b->rc = ci_execute_command(b->s, "echo go; sleep 3", o, &r);
    else
        b->rc = CI_ENOMEM;
    ci_exec_options_free(o);
    b->status = r ? ci_result_status(r) : CI_STATUS_SANDBOX_ERROR;
    ci_result_free(r);
    return NULL;
}

/* While the session executes on another thread, task calls are refused
 * with CI_EBUSY; after, they work. */
START_TEST(busy_session)
{
    ci_session *s = tc_session_new(NULL);
    char *id = start(s, "sleep 300", NULL);
    struct busy_run b = {.s = s};
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, run_busy, &b), 0);
    /* wait until the command runs (and so holds the session) */
    double give_up = tc_now_ms() + 30000;
    while (!__atomic_load_n(&b.running, __ATOMIC_SEQ_CST) && tc_now_ms() < give_up)
        usleep(10 * 1000);
    ck_assert_msg(b.running, "the command did not start");
    ci_task_info *info = NULL;
    tc_expect_rc(ci_task_get(s, id, 0, 0, &info), CI_EBUSY, "task get while executing");
    ck_assert_ptr_null(info);
    char *other = NULL;
    tc_expect_rc(ci_task_start(s, "true", NULL, &other), CI_EBUSY, "task start while executing");
    tc_expect_rc(ci_task_stop(s, id, NULL), CI_EBUSY, "task stop while executing");
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    ck_assert_int_eq(b.rc, 0);
    ck_assert_int_eq(b.status, CI_STATUS_OK);
    info = get(s, id, 0, 0);
    expect_status(info, CI_TASK_WORKING);
    ci_task_info_free(info);
    ck_assert_int_eq(ci_task_stop(s, id, NULL), 0);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- output */

START_TEST(incremental_offsets)
{
    ci_session *s = tc_session_new(NULL);
    /* 300 lines on stdout and 100 on stderr, over about a second */
    char *id = start(s,
                     "i=1; while [ $i -le 300 ]; do echo \"line $i\";"
                     " [ $((i % 3)) -eq 0 ] && echo \"err $i\" >&2;"
                     " [ $((i % 10)) -eq 0 ] && sleep 0.03; i=$((i+1)); done",
                     NULL);
    size_t cap = 1 << 16;
    char *out = calloc(1, cap), *err = calloc(1, cap);
    size_t out_len = 0, err_len = 0;
    uint64_t out_at = 0, err_at = 0;
    int polls = 0, partial = 0;
    double give_up = tc_now_ms() + 30000;
    for (;;) {
        ci_task_info *info = get(s, id, out_at, err_at);
        polls++;
        ci_task_status st = ci_task_info_status(info);
        /* each snapshot starts where the last one ended: nothing dropped */
        ck_assert_uint_eq(ci_task_info_output_offset(info, CI_TASK_STDOUT), out_at);
        ck_assert_uint_eq(ci_task_info_output_offset(info, CI_TASK_STDERR), err_at);
        ck_assert_uint_eq(ci_task_info_output_dropped(info, CI_TASK_STDOUT), 0);
        ck_assert_uint_eq(ci_task_info_output_dropped(info, CI_TASK_STDERR), 0);
        size_t len = 0;
        const char *o = ci_task_info_output(info, CI_TASK_STDOUT, &len);
        ck_assert_uint_eq(out_at + len, ci_task_info_output_end(info, CI_TASK_STDOUT));
        ck_assert_uint_lt(out_len + len, cap);
        memcpy(out + out_len, o, len);
        out_len += len;
        if (st == CI_TASK_WORKING && len > 0)
            partial++;
        const char *e = ci_task_info_output(info, CI_TASK_STDERR, &len);
        ck_assert_uint_eq(err_at + len, ci_task_info_output_end(info, CI_TASK_STDERR));
        ck_assert_uint_lt(err_len + len, cap);
        memcpy(err + err_len, e, len);
        err_len += len;
        out_at = ci_task_info_output_end(info, CI_TASK_STDOUT);
        err_at = ci_task_info_output_end(info, CI_TASK_STDERR);
        ci_task_info_free(info);
        if (st != CI_TASK_WORKING) {
            ck_assert_int_eq(st, CI_TASK_COMPLETED);
            break;
        }
        ck_assert_msg(tc_now_ms() < give_up, "the task did not end");
        usleep(40 * 1000);
    }
    /* what came in pieces is every line once, in order */
    char *want_out = calloc(1, cap), *want_err = calloc(1, cap);
    size_t wo = 0, we = 0;
    for (int i = 1; i <= 300; i++) {
        wo += (size_t)snprintf(want_out + wo, cap - wo, "line %d\n", i);
        if (i % 3 == 0)
            we += (size_t)snprintf(want_err + we, cap - we, "err %d\n", i);
    }
    ck_assert_uint_eq(out_len, wo);
    ck_assert_str_eq(out, want_out);
    ck_assert_uint_eq(err_len, we);
    ck_assert_str_eq(err, want_err);
    ck_assert_msg(partial >= 2, "only %d of %d polls saw output while the task ran", partial,
                  polls);

    /* asking from the end gives nothing; from the middle, the rest */
    ci_task_info *info = get(s, id, out_at, err_at);
    size_t len = 99;
    ck_assert_str_eq(ci_task_info_output(info, CI_TASK_STDOUT, &len), "");
    ck_assert_uint_eq(len, 0);
    ci_task_info_free(info);
    info = get(s, id, wo - 9, 0);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "line 300\n");
    ck_assert_uint_eq(ci_task_info_output_offset(info, CI_TASK_STDOUT), wo - 9);
    ck_assert_str_eq(out_of(info, CI_TASK_STDERR), want_err);
    ci_task_info_free(info);
    /* past the end: nothing, at the end */
    info = get(s, id, wo + 1000, 0);
    ci_task_info_output(info, CI_TASK_STDOUT, &len);
    ck_assert_uint_eq(len, 0);
    ci_task_info_free(info);
    free(want_out);
    free(want_err);
    free(out);
    free(err);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

START_TEST(output_cap)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_task_output_limit, 4096);
    /* 10000 bytes: 'a' x 5000 then 'b' x 5000, then 100 on stderr */
    char *id = start(s, "head -c 5000 /dev/zero | tr '\\0' a; head -c 5000 /dev/zero | "
                        "tr '\\0' b; head -c 100 /dev/zero | tr '\\0' e >&2", NULL);
    ci_task_info *info = tc_task_wait(s, id, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    size_t len = 0;
    const char *out = ci_task_info_output(info, CI_TASK_STDOUT, &len);
    ck_assert_uint_eq(len, 4096);
    ck_assert_uint_eq(ci_task_info_output_end(info, CI_TASK_STDOUT), 10000);
    ck_assert_uint_eq(ci_task_info_output_offset(info, CI_TASK_STDOUT), 10000 - 4096);
    ck_assert_uint_eq(ci_task_info_output_dropped(info, CI_TASK_STDOUT), 10000 - 4096);
    for (size_t i = 0; i < len; i++) /* the newest bytes are kept */
        ck_assert_int_eq(out[i], 'b');
    ck_assert_uint_eq(ci_task_info_output_dropped(info, CI_TASK_STDERR), 0);
    ci_task_info_output(info, CI_TASK_STDERR, &len);
    ck_assert_uint_eq(len, 100);
    char *json = NULL;
    ck_assert_int_eq(ci_task_info_to_json(info, &json), 0);
    ck_assert_msg(strstr(json, "\"stdoutDropped\":5904"), "%s", json);
    ci_free(json);
    ci_task_info_free(info);

    /* asking from inside what is still kept drops nothing */
    info = get(s, id, 9000, 0);
    ck_assert_uint_eq(ci_task_info_output_dropped(info, CI_TASK_STDOUT), 0);
    ci_task_info_output(info, CI_TASK_STDOUT, &len);
    ck_assert_uint_eq(len, 1000);
    ci_task_info_free(info);
    /* from just before the cut, only what is gone is counted */
    info = get(s, id, 5000, 0);
    ck_assert_uint_eq(ci_task_info_output_dropped(info, CI_TASK_STDOUT), 10000 - 4096 - 5000);
    ci_task_info_free(info);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

/* The snapshot that first says "completed" holds everything the task
 * wrote before it exited: no output arrives after the end. */
START_TEST(complete_means_all_output)
{
    ci_session *s = tc_session_new(NULL);
    for (int i = 0; i < 20; i++) {
        char *id = start(s, "seq 1 20000; seq 1 3000 >&2", NULL);
        ci_task_info *info = NULL;
        double give_up = tc_now_ms() + 20000;
        for (;;) {
            info = get(s, id, 0, 0);
            if (ci_task_info_status(info) != CI_TASK_WORKING || tc_now_ms() > give_up)
                break;
            ci_task_info_free(info);
        }
        expect_status(info, CI_TASK_COMPLETED);
        /* seq 1 20000: 9 + 90*2 + 900*3 + 9000*4 + 10001*5 bytes, with newlines */
        ck_assert_msg(ci_task_info_output_end(info, CI_TASK_STDOUT) == 108894 &&
                      ci_task_info_output_end(info, CI_TASK_STDERR) == 13893,
                      "round %d: completed with %llu + %llu bytes of 108894 + 13893", i,
                      (unsigned long long)ci_task_info_output_end(info, CI_TASK_STDOUT),
                      (unsigned long long)ci_task_info_output_end(info, CI_TASK_STDERR));
        ci_task_info_free(info);
        ci_free(id);
    }
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------------------ stop */

START_TEST(stop_kills_group)
{
    ci_session *s = tc_session_new(NULL);
    /* a child in the background, one in the foreground of a subshell, and
     * the task's shell waiting for them */
    char *id = start(s, "sleep 3017 & (sleep 3018; true) & echo started; wait", NULL);
    tc_task_wait_output(s, id, "started\n", 20000);
    ck_assert_int_eq(wait_count(s, "sleep\n3017", 1), 1);
    ck_assert_int_eq(wait_count(s, "sleep\n3018", 1), 1);

    ci_task_info *info = NULL;
    ck_assert_int_eq(ci_task_stop(s, id, &info), 0);
    ck_assert_ptr_nonnull(info);
    expect_status(info, CI_TASK_CANCELED);
    ck_assert_str_eq(ci_task_status_name(ci_task_info_status(info)), "canceled");
    ck_assert_int_eq(ci_task_info_exit_code(info), 137);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "started\n");
    ci_task_info_free(info);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, "sleep\n3017", 5000), 0);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, "sleep\n3018", 5000), 0);

    /* it stays canceled; stopping again changes nothing */
    info = get(s, id, 0, 0);
    expect_status(info, CI_TASK_CANCELED);
    ci_task_info_free(info);
    ck_assert_int_eq(ci_task_stop(s, id, NULL), 0);

    /* a task that has completed keeps its state when stopped */
    char *done = start(s, "echo fin", NULL);
    info = tc_task_wait(s, done, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    ci_task_info_free(info);
    info = NULL;
    ck_assert_int_eq(ci_task_stop(s, done, &info), 0);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_int_eq(ci_task_info_exit_code(info), 0);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "fin\n");
    ci_task_info_free(info);

    /* a task whose shell exited while its group lives on (a background
     * child holding its output): a stop kills the group, the state stays */
    char *left = start(s, "sleep 3021 & echo bye", NULL);
    info = tc_task_wait(s, left, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    ci_task_info_free(info);
    ck_assert_int_eq(wait_count(s, "sleep\n3021", 1), 1);
    info = NULL;
    ck_assert_int_eq(ci_task_stop(s, left, &info), 0);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "bye\n");
    ci_task_info_free(info);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, "sleep\n3021", 5000), 0);
    ci_free(left);

    /* other tasks are left alone by a stop */
    char *a = start(s, "sleep 3019", NULL);
    char *b = start(s, "sleep 3020", NULL);
    ck_assert_int_eq(ci_task_stop(s, a, NULL), 0);
    info = get(s, b, 0, 0);
    expect_status(info, CI_TASK_WORKING);
    ci_task_info_free(info);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, "sleep\n3019", 5000), 0);
    ck_assert_int_eq(wait_count(s, "sleep\n3020", 1), 1);
    ci_free(a);
    ci_free(b);
    ci_free(done);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- bounds */

START_TEST(default_bound)
{
    ci_session *s = tc_session_new(NULL);
    char *ids[16];
    for (int i = 0; i < 16; i++)
        ids[i] = start(s, "sleep 300", NULL);
    char *id = NULL;
    tc_expect_rc(ci_task_start(s, "echo seventeen", NULL, &id), CI_ETOOMANY, "17th task");
    ck_assert_ptr_null(id);
    ck_assert_msg(strstr(ci_session_last_error(s), "16"), "message: %s",
                  ci_session_last_error(s));
    /* the refused start took no id */
    ck_assert_int_eq(ci_task_stop(s, ids[0], NULL), 0);
    id = start(s, "echo seventeen", NULL);
    ck_assert_str_eq(id, "task-17");
    ci_task_info *info = tc_task_wait(s, id, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    ci_task_info_free(info);
    ci_free(id);
    /* commands still run next to the full set */
    tc_assert_sh(s, "echo cmd", "cmd\n");
    for (int i = 0; i < 16; i++)
        ci_free(ids[i]);
    ci_session_destroy(s);
}
END_TEST

START_TEST(configured_bound)
{
    ci_config *c = tc_config_new();
    tc_expect_rc(ci_config_set_max_tasks(c, 0), CI_EINVAL, "max_tasks 0");
    ck_assert_int_eq(ci_config_set_max_tasks(c, 2), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    char *a = start(s, "sleep 300", NULL);
    char *b = start(s, "echo quick", NULL);
    ci_task_info *info = tc_task_wait(s, b, 20000);
    expect_status(info, CI_TASK_COMPLETED);
    ci_task_info_free(info);
    /* an ended task does not count */
    char *d = start(s, "sleep 300", NULL);
    char *id = NULL;
    tc_expect_rc(ci_task_start(s, "true", NULL, &id), CI_ETOOMANY, "3rd running task");
    ck_assert_ptr_null(id);
    ck_assert_int_eq(ci_task_stop(s, a, NULL), 0);
    id = start(s, "true", NULL);
    ci_free(id);
    ci_free(a);
    ci_free(b);
    ci_free(d);
    ci_session_destroy(s);
}
END_TEST

/* Ended tasks stay readable, the 64 most recent of them. */
START_TEST(ended_tasks_kept)
{
    ci_session *s = tc_session_new(NULL);
    for (int i = 1; i <= 70; i++) {
        char *cmd = tc_printf("echo %d", i);
        char *id = start(s, cmd, NULL);
        free(cmd);
        ci_task_info *info = tc_task_wait(s, id, 20000);
        expect_status(info, CI_TASK_COMPLETED);
        ci_task_info_free(info);
        ci_free(id);
    }
    ci_task_info *info = NULL;
    for (int i = 1; i <= 6; i++) {
        char *id = tc_printf("task-%d", i);
        tc_expect_rc(ci_task_get(s, id, 0, 0, &info), CI_ENOENT, id);
        free(id);
    }
    info = get(s, "task-7", 0, 0);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "7\n");
    ci_task_info_free(info);
    info = get(s, "task-70", 0, 0);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "70\n");
    ci_task_info_free(info);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------- end of session */

START_TEST(tasks_end_with_session)
{
    char marker[17];
    tc_random_hex(marker, 16);
    ci_session *s = tc_session_new(NULL);
    char *cmd = tc_printf(CARRIER " %s & echo $! > /workspace/task.pid; exec " CARRIER " %s",
                          marker, marker);
    char *id = start(s, cmd, NULL);
    free(cmd);
    char *quiet = start(s, "sleep 302", NULL);
    /* both carriers are seen from the host, as the session's uid */
    double give_up = tc_now_ms() + 10000;
    pid_t pids[4];
    uid_t uid = (uid_t)-1;
    while (tc_find_marker_procs(marker, pids, 4, &uid) < 2 && tc_now_ms() < give_up)
        usleep(50 * 1000);
    ck_assert_uint_eq(tc_find_marker_procs(marker, pids, 4, &uid), 2);
    ck_assert_int_eq(tc_sandbox_marker_count(s, marker), 2);
    tc_assert_sh(s, "kill -0 $(cat task.pid) && echo alive", "alive\n");
    if (geteuid() == 0)
        ck_assert_msg(uid != 0 && uid != getuid(), "a task runs as host uid %u", (unsigned)uid);

    ci_session_destroy(s);
    ck_assert_msg(tc_wait_marker_gone(marker, 10000) == 0, "a task outlived its session");
    if (geteuid() == 0)
        ck_assert_msg(tc_wait_uid_gone(uid, 10000) == 0,
                      "processes of the session's uid %u remain", (unsigned)uid);
    ci_free(quiet);
    ci_free(id);
}
END_TEST

/* Polling a task is use of the session: it keeps it alive. */
START_TEST(polling_keeps_alive)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_idle_timeout_ms, 1500);
    char *id = start(s, "sleep 300", NULL);
    double until = tc_now_ms() + 4000;
    while (tc_now_ms() < until) {
        ci_task_info *info = get(s, id, 0, 0);
        expect_status(info, CI_TASK_WORKING);
        ci_task_info_free(info);
        usleep(300 * 1000);
    }
    ck_assert_int_eq(ci_task_stop(s, id, NULL), 0);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

START_TEST(calls_after_end)
{
    /* a session whose idle lifetime runs out takes its task along */
    char marker[17];
    tc_random_hex(marker, 16);
    ci_session *s = TC_SESSION_WITH(ci_config_set_idle_timeout_ms, 1500);
    char *cmd = tc_printf("exec " CARRIER " %s", marker);
    char *id = start(s, cmd, NULL);
    free(cmd);
    double give_up = tc_now_ms() + 10000;
    while (tc_find_marker_procs(marker, NULL, 0, NULL) == 0 && tc_now_ms() < give_up)
        usleep(20 * 1000);
    ck_assert_msg(tc_find_marker_procs(marker, NULL, 0, NULL) == 1,
                  "the task's process is not visible from the host");
    /* nothing touches the session: it expires and the task goes with it */
    ck_assert_msg(tc_wait_marker_gone(marker, 15000) == 0,
                  "the task outlived its session's idle lifetime");
    ci_task_info *info = NULL;
    tc_expect_rc(ci_task_get(s, id, 0, 0, &info), CI_EEXPIRED, "get after expiry");
    ck_assert_ptr_null(info);
    ci_free(id);
    id = NULL;
    tc_expect_rc(ci_task_start(s, "true", NULL, &id), CI_EEXPIRED, "start after expiry");
    ci_session_destroy(s);
}
END_TEST

/* -------------------------------------------------------------- metering */

START_TEST(task_charged_to_session)
{
    ci_session *s = tc_session_new(NULL);
    if (ci_session_limits_mode(s) == CI_CGROUP_NONE) {
        ci_session_destroy(s);
        return; /* no CPU metering to charge to */
    }
    ci_usage *u0 = NULL;
    ck_assert_int_eq(ci_session_usage(s, &u0), 0);
    uint64_t cpu0 = ci_usage_cpu_ms(u0);
    ci_usage_free(u0);
    char *id = start(s, "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; echo $i", NULL);
    ci_task_info *info = tc_task_wait(s, id, 60000);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_str_eq(out_of(info, CI_TASK_STDOUT), "400000\n");
    double task_cpu = ci_task_info_cpu_ms(info);
    ck_assert_msg(task_cpu >= 100, "the busy task reports %.0f ms of CPU", task_cpu);
    ci_task_info_free(info);
    ci_usage *u1 = NULL;
    ck_assert_int_eq(ci_session_usage(s, &u1), 0);
    uint64_t cpu1 = ci_usage_cpu_ms(u1);
    ci_usage_free(u1);
    ck_assert_msg((double)(cpu1 - cpu0) >= task_cpu * 0.8,
                  "the session's CPU grew by %llu ms over a task that used %.0f ms",
                  (unsigned long long)(cpu1 - cpu0), task_cpu);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

START_TEST(task_memory_limit)
{
    /* the session's memory limit holds for a task too */
    ci_session *s = tc_session_memory_limited(128u << 20);
    if (!s)
        return;
    char *id = start(s, "python3 -c 'b = bytearray(512 << 20); b[::4096] = b\"x\" * "
                        "len(b[::4096]); print(\"held\")'", NULL);
    ci_task_info *info = tc_task_wait(s, id, 60000);
    expect_status(info, CI_TASK_COMPLETED);
    ck_assert_int_ne(ci_task_info_exit_code(info), 0);
    ck_assert_ptr_null(strstr(out_of(info, CI_TASK_STDOUT), "held"));
    ci_task_info_free(info);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

static Suite *tasks_suite(void)
{
    Suite *s = suite_create("tasks");
    TCase *tc;

    tc = tcase_create("lifecycle");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, poll_to_completion);
    tcase_add_test(tc, failing_task);
    tcase_add_test(tc, env_and_cwd);
    tcase_add_test(tc, read_while_command_runs);
    tcase_add_test(tc, busy_session);
    suite_add_tcase(s, tc);

    tc = tcase_create("output");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, incremental_offsets);
    tcase_add_test(tc, output_cap);
    tcase_add_test(tc, complete_means_all_output);
    suite_add_tcase(s, tc);

    tc = tcase_create("stop");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, stop_kills_group);
    suite_add_tcase(s, tc);

    tc = tcase_create("bounds");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, default_bound);
    tcase_add_test(tc, configured_bound);
    tcase_add_test(tc, ended_tasks_kept);
    suite_add_tcase(s, tc);

    tc = tcase_create("end");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, tasks_end_with_session);
    tcase_add_test(tc, polling_keeps_alive);
    tcase_add_test(tc, calls_after_end);
    suite_add_tcase(s, tc);

    tc = tcase_create("metering");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, task_charged_to_session);
    tcase_add_test(tc, task_memory_limit);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(tasks_suite());
}
