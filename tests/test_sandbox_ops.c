/* SPDX-License-Identifier: MIT */
/* Suite 'sandbox': the sandbox backend's process operations on a real
 * sandbox, white-box (the session's ops, no interpreter): a runner's exit
 * seen at once while a child it forked still holds its control socket
 * (ended), and what an execution leaves running killed at its end while
 * older processes and the runners stay (mark, sweep). The runners are
 * /bin/sh scripts; the processes they start carry markers in their argv so
 * the host can find them. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/session.h"
#include "util/fdutil.h"
#include "test_common.h"

struct box {
    ci_session *session;
    const struct ci_sandbox_ops *ops;
    struct ci_sandbox *sb;
    char tag[9]; /* makes this run's markers unique on the host */
};

static void box_open(struct box *b)
{
    b->session = tc_session_new(NULL);
    b->ops = b->session->ops;
    b->sb = b->session->sb;
    ck_assert_ptr_nonnull(b->ops);
    ck_assert_ptr_nonnull(b->sb);
    tc_random_hex(b->tag, 8);
}

static char *marker(const struct box *b, const char *what)
{
    return tc_printf("%s-%s", what, b->tag);
}

/* Starts `/bin/sh -c script name` as a runner. */
static struct ci_spawned spawn_sh(const struct box *b, const char *script, const char *name)
{
    const char *argv[] = { "/bin/sh", "-c", script, name, NULL };
    const char *envp[] = { "PATH=/usr/bin:/bin", NULL };
    struct ci_spawned sp;
    char err[512] = "";
    int r = b->ops->spawn(b->sb, argv, envp, &sp, err, sizeof(err));
    ck_assert_msg(r == CI_OK, "spawn: %s (%s)", ci_strerror(r), err);
    return sp;
}

static void close_spawned(struct ci_spawned *sp)
{
    close(sp->ctl);
    close(sp->out);
    close(sp->err);
}

/* A line to a runner's control socket (the runners read it with `read`). */
static void tell(const struct ci_spawned *sp, const char *line)
{
    size_t len = strlen(line);
    ck_assert_int_eq(write(sp->ctl, line, len), (ssize_t)len);
    ck_assert_int_eq(write(sp->ctl, "\n", 1), 1);
}

/* Host processes whose parent is host pid `parent`. */
static size_t count_children(pid_t parent)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)parent, (int)parent);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = 0;
    int pid;
    while (fscanf(f, "%d", &pid) == 1)
        n++;
    fclose(f);
    return n;
}

/* Waits until exactly one host process carries `mark` and it has
 * `children` children; its host pid. */
static pid_t await_proc(const char *mark, size_t children)
{
    double end = tc_now_ms() + 10000;
    for (;;) {
        pid_t pid = 0;
        size_t n = tc_find_marker_procs(mark, &pid, 1, NULL);
        if (n == 1 && count_children(pid) == children)
            return pid;
        ck_assert_msg(tc_now_ms() < end, "%s: %zu processes (want 1 with %zu children)", mark,
                      n, children);
        usleep(20 * 1000);
    }
}

/* ----------------------------------------------------------------- ended */

START_TEST(ended_while_a_child_holds_the_socket)
{
    struct box b;
    box_open(&b);
    /* the background sleep inherits fd 3, the control socket, and keeps
     * it open for 30 s after the runner is gone */
    struct ci_spawned sp = spawn_sh(&b, "sleep 30 & read x <&3; exit 3", "runner");
    usleep(200 * 1000);
    ck_assert_int_eq(b.ops->ended(b.sb, sp.pid), 0);
    ck_assert_int_eq(b.ops->ended(b.sb, 999999), 0);
    ck_assert_int_eq(b.ops->check(b.sb), CI_OK);
    ck_assert_int_eq(b.ops->ended(b.sb, sp.pid), 0);

    double start = tc_now_ms();
    tell(&sp, "go");
    /* the exit wakes whoever polls the event descriptor, and check()
     * (which reads what is waiting there) keeps the news for ended() */
    ck_assert_msg(ci_wait_readable(b.ops->event_fd(b.sb), 5000), "no event after the runner's exit");
    ck_assert_int_eq(b.ops->check(b.sb), CI_OK);
    ck_assert_int_eq(b.ops->ended(b.sb, sp.pid), 1);
    ck_assert_msg(tc_now_ms() - start < 5000, "ended after %.0f ms", tc_now_ms() - start);
    /* the control socket says nothing: the sleep holds it open */
    ck_assert_int_eq(ci_wait_readable(sp.ctl, 0), 0);

    int exited = 0, code = 0, sig = -1;
    ck_assert_int_eq(b.ops->wait(b.sb, sp.pid, 1000, &exited, &code, &sig), CI_OK);
    ck_assert_int_eq(exited, 1);
    ck_assert_int_eq(code, 3);
    ck_assert_int_eq(sig, 0);
    ck_assert_int_eq(b.ops->ended(b.sb, sp.pid), 1);

    /* a runner started now is not ended, whatever pid it has */
    struct ci_spawned next = spawn_sh(&b, "read x <&3", "next");
    ck_assert_int_eq(b.ops->ended(b.sb, next.pid), 0);
    ck_assert_int_eq(b.ops->kill(b.sb, next.pid), CI_OK);
    ck_assert_int_eq(b.ops->ended(b.sb, next.pid), 1);
    close_spawned(&next);
    close_spawned(&sp);
    ci_session_free(b.session);
}
END_TEST

/* ----------------------------------------------------------------- sweep */

START_TEST(sweep_kills_what_came_after_the_mark)
{
    struct box b;
    box_open(&b);
    char *r1_name = marker(&b, "R1"), *r2_name = marker(&b, "R2");
    char *old = marker(&b, "OLD"), *new1 = marker(&b, "NEW1"), *new2 = marker(&b, "NEW2");
    char *trans = marker(&b, "TRANS");
    /* R1 runs the lines it is sent: it starts what the "cells" leave */
    struct ci_spawned r1 = spawn_sh(&b, "while read -r line <&3; do eval \"$line\"; done", r1_name);

    /* before the mark: a shell and its sleep */
    char *line = tc_printf("sh -c 'sleep 300; :' %s &", old);
    tell(&r1, line);
    free(line);
    pid_t old_pid = await_proc(old, 1);
    ck_assert_int_eq(b.ops->mark(b.sb), CI_OK);

    /* after it: the same, and one that left R1's session and was orphaned
     * (setsid, then a double fork) */
    line = tc_printf("sh -c 'sleep 300; :' %s &", new1);
    tell(&r1, line);
    free(line);
    line = tc_printf("setsid sh -c '(sh -c \"sleep 300; :\" %s &)' %s &", new2, trans);
    tell(&r1, line);
    free(line);
    /* a runner started after the mark */
    struct ci_spawned r2 = spawn_sh(&b, "read x <&3", r2_name);
    await_proc(new1, 1);
    await_proc(new2, 1);
    ck_assert_uint_eq(tc_wait_marker_gone(trans, 10000), 0);

    unsigned killed = 99;
    ck_assert_int_eq(b.ops->sweep(b.sb, &killed), CI_OK);
    /* the two shells and their sleeps */
    ck_assert_uint_eq(killed, 4);
    ck_assert_uint_eq(tc_wait_marker_gone(new1, 5000), 0);
    ck_assert_uint_eq(tc_wait_marker_gone(new2, 5000), 0);
    ck_assert_int_eq(await_proc(old, 1), old_pid);
    ck_assert_uint_eq(tc_find_marker_procs(r1_name, NULL, 0, NULL), 1);
    ck_assert_uint_eq(tc_find_marker_procs(r2_name, NULL, 0, NULL), 1);
    ck_assert_int_eq(b.ops->ended(b.sb, r1.pid), 0);
    ck_assert_int_eq(b.ops->ended(b.sb, r2.pid), 0);

    /* the sweep used the mark up: another kills nothing */
    line = tc_printf("sh -c 'sleep 300; :' %s &", new1);
    tell(&r1, line);
    free(line);
    await_proc(new1, 1);
    killed = 99;
    ck_assert_int_eq(b.ops->sweep(b.sb, &killed), CI_EINVAL);
    ck_assert_uint_eq(killed, 0);
    ck_assert_uint_eq(tc_find_marker_procs(new1, NULL, 0, NULL), 1);
    ck_assert_int_eq(await_proc(old, 1), old_pid);

    /* a mark with nothing new after it: nothing to kill */
    ck_assert_int_eq(b.ops->mark(b.sb), CI_OK);
    ck_assert_int_eq(b.ops->sweep(b.sb, &killed), CI_OK);
    ck_assert_uint_eq(killed, 0);
    ck_assert_uint_eq(tc_find_marker_procs(new1, NULL, 0, NULL), 1);
    ck_assert_int_eq(b.ops->check(b.sb), CI_OK);

    close_spawned(&r1);
    close_spawned(&r2);
    ci_session_free(b.session);
    ck_assert_uint_eq(tc_wait_marker_gone(old, 5000), 0);
    free(r1_name);
    free(r2_name);
    free(old);
    free(new1);
    free(new2);
    free(trans);
}
END_TEST

static Suite *sandbox_suite(void)
{
    Suite *s = suite_create("sandbox");
    TCase *tc = tcase_create("ended");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ended_while_a_child_holds_the_socket);
    suite_add_tcase(s, tc);
    tc = tcase_create("sweep");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sweep_kills_what_came_after_the_mark);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(sandbox_suite());
}
