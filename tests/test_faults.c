/* SPDX-License-Identifier: MIT */
/* Suite 'faults': the sandbox breaks under a session and the library must
 * say so and clean up. The sandbox's init or its runner is SIGKILLed from
 * the host in the middle of an execution, the runner crashes (abort,
 * segfault), the init stops answering, the host runs out of descriptors.
 * Each call returns a clear error, the session reports its true state
 * (usable with a fresh interpreter, or gone with CI_ECLOSED), and nothing
 * is left behind: descriptors, children, processes of the session's uid,
 * its folder, cgroups, loop devices. And the code of a cell breaks its own
 * kernel: forged or huge frames on the control channel, every descriptor
 * taken; the host stays bounded and the session recovers. */
#include "test_common.h"
#include "test_leaks.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------ one watched session */

struct watched {
    ci_session *s;
    char id[64];
    int fds_before;
    pid_t helper, init;
    uid_t uid;
};

static void watch_start(struct watched *w, const ci_config *c)
{
    w->fds_before = tl_count_fds();
    ck_assert_int_eq(tl_count_children(), 0);
    w->s = tc_session_new(c);
    snprintf(w->id, sizeof w->id, "%s", ci_session_id(w->s));
    pid_t helpers[4];
    ck_assert_int_eq(tl_helpers(helpers, 4), 1);
    w->helper = helpers[0];
    w->init = tl_child_of(w->helper, NULL);
    ck_assert_msg(w->init > 0, "the sandbox's init is not visible from the host");
    w->uid = tl_uid_of(w->init);
    ck_assert_int_ne(w->uid, (uid_t)-1);
}

/* The runner's host pid: the init's child whose command line names the
 * kernel. Waits for it to appear. */
static pid_t runner_of(const struct watched *w, const char *kernel)
{
    pid_t pid = 0;
    double give_up = tc_now_ms() + 5000;
    while ((pid = tl_child_of(w->init, kernel)) == 0 && tc_now_ms() < give_up)
        usleep(20000);
    ck_assert_msg(pid > 0, "no runner %s under the init %d", kernel, (int)w->init);
    return pid;
}

/* Destroys the session and proves nothing of it is left. */
static void watch_end(struct watched *w)
{
    ci_session_destroy(w->s);
    w->s = NULL;
    ck_assert_int_eq(tl_count_children(), 0);
    ck_assert_int_eq(tl_count_fds(), w->fds_before);
    if (geteuid() == 0)
        ck_assert_msg(tc_wait_uid_gone(w->uid, 5000) == 0, "processes of uid %u remain",
                      (unsigned)w->uid);
    char *left = tl_session_leftovers(w->id);
    ck_assert_msg(left[0] == '\0', "session %s left:%s", w->id, left);
    free(left);
}

/* --------------------------------------------- an execution on a thread */

struct running {
    ci_session *s;
    const char *code;
    ci_exec_options *o;
    int rc;
    ci_result *r;
    pthread_t thread;
    int started[2]; /* the stdout callback writes one byte here */
    double ms;
};

static int on_stdout(const char *data, size_t len, void *user)
{
    struct running *run = user;
    (void)data;
    if (len > 0 && run->started[1] >= 0) {
        if (write(run->started[1], "s", 1) < 0)
            return 0;
        close(run->started[1]);
        run->started[1] = -1;
    }
    return 0;
}

static void *run_thread(void *arg)
{
    struct running *run = arg;
    double t0 = tc_now_ms();
    run->rc = ci_execute(run->s, run->code, run->o, &run->r);
    run->ms = tc_now_ms() - t0;
    /* the callbacks ran on this thread: an execution that ended before it
     * printed makes run_start()'s read fail instead of wait for ever */
    if (run->started[1] >= 0) {
        close(run->started[1]);
        run->started[1] = -1;
    }
    return NULL;
}

/* Starts `code` (which prints once it runs) and returns when it printed. */
static void run_start(struct running *run, ci_session *s, const char *code, ci_language lang,
                      uint64_t timeout_ms)
{
    memset(run, 0, sizeof *run);
    run->s = s;
    run->code = code;
    run->o = tc_options_new(timeout_ms);
    ck_assert_int_eq(ci_exec_options_set_language(run->o, lang), 0);
    ck_assert_int_eq(pipe2(run->started, O_CLOEXEC), 0);
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(run->o, on_stdout, run), 0);
    ck_assert_int_eq(pthread_create(&run->thread, NULL, run_thread, run), 0);
    char c;
    ck_assert_msg(read(run->started[0], &c, 1) == 1, "the code never started");
    close(run->started[0]);
}

static void run_join(struct running *run)
{
    pthread_join(run->thread, NULL);
    if (run->started[1] >= 0)
        close(run->started[1]);
    ci_exec_options_free(run->o);
}

static const char sleeper_py[] = "import time\nprint('started', flush=True)\ntime.sleep(60)\n";
static const char sleeper_js[] =
    "console.log('started');\nawait new Promise((ok) => setTimeout(ok, 60000));\n";

/* -------------------------------------------------------- init killed */

START_TEST(init_killed_mid_execution)
{
    struct watched w;
    watch_start(&w, NULL);
    ci_result_free(tc_exec_ok(w.s, "x = 1", NULL));
    struct running run;
    run_start(&run, w.s, sleeper_py, CI_LANGUAGE_PYTHON, 0);
    ck_assert_int_eq(kill(w.init, SIGKILL), 0);
    run_join(&run);
    ck_assert_msg(run.ms < 10000, "ci_execute took %.0f ms to notice", run.ms);
    if (run.rc == 0) {
        ck_assert_int_eq(ci_result_status(run.r), CI_STATUS_SANDBOX_ERROR);
        ck_assert_str_eq(tc_stdout(run.r), "started\n"); /* output kept */
    } else {
        ck_assert_int_eq(run.rc, CI_ECLOSED);
    }
    ci_result_free(run.r);
    /* gone, and every call says so */
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(w.s, "print(1)", NULL, &r), CI_ECLOSED);
    ck_assert_ptr_null(r);
    ck_assert_msg(strstr(ci_session_last_error(w.s), "gone") != NULL, "message: %s",
                  ci_session_last_error(w.s));
    ck_assert_int_eq(ci_upload(w.s, "a.txt", "a", 1), CI_ECLOSED);
    ci_file_list *list = NULL;
    ck_assert_int_eq(ci_list_files(w.s, NULL, &list), CI_ECLOSED);
    watch_end(&w);
}
END_TEST

START_TEST(init_killed_while_idle)
{
    struct watched w;
    watch_start(&w, NULL);
    ci_result_free(tc_exec_ok(w.s, "x = 1", NULL));
    ck_assert_int_eq(kill(w.init, SIGKILL), 0);
    usleep(200 * 1000);
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(w.s, "print(x)", NULL, &r), CI_ECLOSED);
    ck_assert_int_eq(ci_execute(w.s, "print(x)", NULL, &r), CI_ECLOSED);
    char *out = NULL;
    ck_assert_int_eq(ci_invoke_json(w.s, "{\"name\":\"executeCode\",\"arguments\":{\"code\":\"1\"}}",
                                    &out),
                     0);
    ck_assert_msg(strstr(out, "\"isError\":true") && strstr(out, "sandbox_error"),
                  "the tool result hides the dead sandbox: %s", out);
    ci_free(out);
    watch_end(&w);
}
END_TEST

/* The helper (the init's parent, what the library kills to end a sandbox)
 * dies: the init follows (PDEATHSIG) and the session is gone. */
START_TEST(helper_killed)
{
    struct watched w;
    watch_start(&w, NULL);
    struct running run;
    run_start(&run, w.s, sleeper_py, CI_LANGUAGE_PYTHON, 0);
    ck_assert_int_eq(kill(w.helper, SIGKILL), 0);
    run_join(&run);
    ck_assert_msg(run.ms < 10000, "ci_execute took %.0f ms to notice", run.ms);
    ck_assert(run.rc == CI_ECLOSED ||
              (run.rc == 0 && ci_result_status(run.r) == CI_STATUS_SANDBOX_ERROR));
    ci_result_free(run.r);
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(w.s, "print(1)", NULL, &r), CI_ECLOSED);
    watch_end(&w);
}
END_TEST

/* The init stops answering (SIGSTOP from the host) while code runs past
 * its limit: the library gives up on it within its reply timeout, ends the
 * whole sandbox and says the session is gone. */
START_TEST(init_stops_answering)
{
    struct watched w;
    watch_start(&w, NULL);
    /* the interpreter started first, so that the limit is the cell's own
     * (a slow machine, such as the cgroup v2 guest under TCG, takes
     * seconds to start Python) */
    ci_result_free(tc_exec_ok(w.s, "1", NULL));
    struct running run;
    run_start(&run, w.s, sleeper_py, CI_LANGUAGE_PYTHON, 3000);
    ck_assert_int_eq(kill(w.init, SIGSTOP), 0);
    run_join(&run);
    ck_assert_msg(run.ms < 30000, "ci_execute took %.0f ms", run.ms);
    ck_assert_int_eq(run.rc, 0);
    tc_assert_status(run.r, CI_STATUS_TIMEOUT);
    ci_result_free(run.r);
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(w.s, "print(1)", NULL, &r), CI_ECLOSED);
    watch_end(&w);
}
END_TEST

/* ------------------------------------------------------ runner killed */

static void runner_killed(ci_language lang, const char *kernel, const char *code,
                          const char *set, const char *probe, const char *fresh)
{
    struct watched w;
    watch_start(&w, NULL);
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_language(o, lang), 0);
    ci_result_free(tc_exec_ok(w.s, set, o));
    pid_t runner = runner_of(&w, kernel);
    struct running run;
    run_start(&run, w.s, code, lang, 0);
    ck_assert_int_eq(kill(runner, SIGKILL), 0);
    run_join(&run);
    ck_assert_msg(run.ms < 10000, "ci_execute took %.0f ms to notice", run.ms);
    ck_assert_int_eq(run.rc, 0);
    tc_assert_status(run.r, CI_STATUS_KILLED);
    ck_assert_int_eq(ci_result_exit_code(run.r), 128 + SIGKILL);
    ck_assert_str_eq(tc_stdout(run.r), "started\n");
    ci_result_free(run.r);
    /* usable, with a fresh interpreter */
    ci_result *r = tc_exec_ok(w.s, probe, o);
    ck_assert_str_eq(tc_stdout(r), fresh);
    ci_result_free(r);
    ck_assert_int_ne(runner_of(&w, kernel), runner);
    ci_exec_options_free(o);
    watch_end(&w);
}

START_TEST(python_runner_killed)
{
    runner_killed(CI_LANGUAGE_PYTHON, "python_kernel", sleeper_py, "x = 1",
                  "print('x' in globals())", "False\n");
}
END_TEST

START_TEST(js_runner_killed)
{
    runner_killed(CI_LANGUAGE_JAVASCRIPT, "node/kernel.js", sleeper_js, "globalThis.x = 1",
                  "console.log(typeof x)", "undefined\n");
}
END_TEST

/* ----------------------------------------------------- runner crashes */

START_TEST(runner_crashes)
{
    static const struct {
        ci_language lang;
        const char *code;
        int signal;
    } crashes[] = {
        {CI_LANGUAGE_PYTHON, "import os\nos.abort()\n", SIGABRT},
        {CI_LANGUAGE_PYTHON, "import ctypes\nctypes.string_at(1)\n", SIGSEGV},
        {CI_LANGUAGE_PYTHON, "import os, signal\nos.kill(os.getpid(), signal.SIGBUS)\n", SIGBUS},
        {CI_LANGUAGE_JAVASCRIPT, "process.abort()\n", SIGABRT},
        {CI_LANGUAGE_JAVASCRIPT, "process.kill(process.pid, 'SIGSEGV')\n", SIGSEGV},
    };
    struct watched w;
    watch_start(&w, NULL);
    for (size_t i = 0; i < sizeof crashes / sizeof crashes[0]; i++) {
        ci_exec_options *o = tc_options_new(0);
        ck_assert_int_eq(ci_exec_options_set_language(o, crashes[i].lang), 0);
        const char *set = crashes[i].lang == CI_LANGUAGE_PYTHON ? "kept = 1" : "globalThis.kept = 1";
        ci_result_free(tc_exec_ok(w.s, set, o));
        ci_result *r = tc_exec(w.s, crashes[i].code, o);
        ck_assert_msg(ci_result_status(r) == CI_STATUS_KILLED, "crash %zu: status %s", i,
                      ci_status_name(ci_result_status(r)));
        ck_assert_msg(ci_result_exit_code(r) == 128 + crashes[i].signal,
                      "crash %zu: exit code %d", i, ci_result_exit_code(r));
        ci_result_free(r);
        const char *probe = crashes[i].lang == CI_LANGUAGE_PYTHON ? "print('kept' in globals())"
                                                                  : "console.log(typeof kept)";
        r = tc_exec_ok(w.s, probe, o);
        ck_assert_str_eq(tc_stdout(r),
                         crashes[i].lang == CI_LANGUAGE_PYTHON ? "False\n" : "undefined\n");
        ci_result_free(r);
        ci_exec_options_free(o);
    }
    /* a runner that exits by itself mid-cell: an error with its code */
    ci_result *r = tc_exec(w.s, "import os\nprint('bye', flush=True)\nos._exit(5)\n", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 5);
    ck_assert_str_eq(tc_stdout(r), "bye\n");
    ci_result_free(r);
    watch_end(&w);
}
END_TEST

/* ------------------------------------------------ host out of descriptors */

/* In a child whose descriptor limit is low: a session made before the
 * descriptors run out, then every descriptor taken. Starting an interpreter
 * or a session fails with a clear error; once descriptors are free again
 * the session works; nothing leaks. The child reports on a pipe. */
static void fd_child(int out)
{
    char msg[2048];
#define FAIL(...)                                            \
    do {                                                     \
        snprintf(msg, sizeof msg, __VA_ARGS__);              \
        if (write(out, msg, strlen(msg)) < 0)                \
            _exit(3);                                        \
        _exit(1);                                            \
    } while (0)
    ci_session *s = NULL;
    ci_result *r = NULL;
    ci_config *cfg = tc_config_new(); /* the test environment's (cgroup parent) */
    int rc = ci_session_create(cfg, &s);
    if (rc != 0)
        FAIL("setup: ci_session_create: %s", ci_last_error());
    if (ci_execute(s, "x = 1", NULL, &r) != 0 || ci_result_status(r) != CI_STATUS_OK)
        FAIL("setup: first execution failed");
    ci_result_free(r);
    int base = tl_count_fds();
    /* the soft limit only: the sandbox's own limit (1024) must stay under
     * the hard one */
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = (rlim_t)base + 64;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        FAIL("setup: setrlimit: %s", strerror(errno));
    int held[128], n = 0;
    while (n < 128 && (held[n] = dup(0)) >= 0)
        n++;
    if (n == 128 || errno != EMFILE)
        FAIL("setup: descriptors did not run out (%d, %s)", n, strerror(errno));

    /* a new interpreter needs descriptors: refused, with a message */
    ci_exec_options *js = NULL;
    ci_exec_options_new(&js);
    ci_exec_options_set_language(js, CI_LANGUAGE_JAVASCRIPT);
    r = NULL;
    rc = ci_execute(s, "1 + 1", js, &r);
    if (rc == 0)
        FAIL("a JS interpreter started without descriptors: %s",
             ci_status_name(ci_result_status(r)));
    if (!*ci_session_last_error(s))
        FAIL("ci_execute failed (%s) without a message", ci_strerror(rc));
    if (!strstr(ci_session_last_error(s), "descriptors"))
        FAIL("ci_execute without descriptors: %s: %s", ci_strerror(rc),
             ci_session_last_error(s));
    char exec_err[512];
    snprintf(exec_err, sizeof exec_err, "%s: %s", ci_strerror(rc), ci_session_last_error(s));
    /* so is a new session */
    ci_session *s2 = NULL;
    rc = ci_session_create(cfg, &s2);
    if (rc == 0)
        FAIL("a session was created without descriptors");
    char create_err[512];
    snprintf(create_err, sizeof create_err, "%s: %s", ci_strerror(rc), ci_last_error());
    if (!strstr(ci_last_error(), strerror(EMFILE)) && !strstr(ci_last_error(), "descriptors"))
        FAIL("ci_session_create without descriptors: %s: %s", ci_strerror(rc),
             ci_last_error());

    /* descriptors back: the same session works, old and new interpreters */
    for (int i = 0; i < n; i++)
        close(held[i]);
    r = NULL;
    rc = ci_execute(s, "print(x)", NULL, &r);
    if (rc != 0 || ci_result_status(r) != CI_STATUS_OK || strcmp(ci_result_stdout(r, NULL), "1\n"))
        FAIL("python after the shortage: %s %s", ci_strerror(rc),
             rc == 0 ? ci_result_stdout(r, NULL) : ci_session_last_error(s));
    ci_result_free(r);
    r = NULL;
    rc = ci_execute(s, "console.log(1 + 1)", js, &r);
    if (rc != 0 || ci_result_status(r) != CI_STATUS_OK || strcmp(ci_result_stdout(r, NULL), "2\n"))
        FAIL("JS after the shortage: %s %s", ci_strerror(rc),
             rc == 0 ? ci_result_stderr(r, NULL) : ci_session_last_error(s));
    ci_result_free(r);
    ci_exec_options_free(js);
    ci_session_destroy(s);
    if (tl_count_fds() > base)
        FAIL("%d descriptors more than before", tl_count_fds() - base);

    /* every point of session creation and a first execution meets the
     * shortage once: k descriptors free, k = 0, 1, 2, ... */
    int created = 0;
    base = tl_count_fds();
    rl.rlim_cur = (rlim_t)base + 64;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        FAIL("setup: setrlimit: %s", strerror(errno));
    for (int k = 0; k <= 40; k++) {
        int hold[128], h = 0;
        while (h < 128 && tl_count_fds() < base + 64 - k && (hold[h] = dup(0)) >= 0)
            h++;
        ci_session *t = NULL;
        rc = ci_session_create(cfg, &t);
        if (rc == 0) {
            created++;
            r = NULL;
            int er = ci_execute(t, "print(1)", NULL, &r);
            if (er != 0 && !*ci_session_last_error(t))
                FAIL("k=%d: ci_execute failed (%s) without a message", k, ci_strerror(er));
            ci_result_free(r);
            ci_session_destroy(t);
        } else if (!*ci_last_error()) {
            FAIL("k=%d: ci_session_create failed (%s) without a message", k, ci_strerror(rc));
        }
        for (int i = 0; i < h; i++)
            close(hold[i]);
        if (tl_count_fds() != base)
            FAIL("k=%d: %d descriptors left over", k, tl_count_fds() - base);
        if (tl_count_children() != 0)
            FAIL("k=%d: %d children left over", k, tl_count_children());
    }
    if (created == 0)
        FAIL("no session could be created even with 40 descriptors free: %s", ci_last_error());
    ci_config_free(cfg);
    snprintf(msg, sizeof msg, "OK\nexecute: %s\ncreate: %s\n", exec_err, create_err);
    if (write(out, msg, strlen(msg)) < 0)
        _exit(3);
    _exit(0);
#undef FAIL
}

/* Names in the state dir's sessions/ folder, one string. */
static char *session_entries(void)
{
    char *dir = tc_printf("%s/sessions", tc_state_dir());
    char *all = strdup("");
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *more = tc_printf("%s %s", all, e->d_name);
        free(all);
        all = more;
    }
    if (d)
        closedir(d);
    free(dir);
    return all;
}

START_TEST(host_out_of_descriptors)
{
    int before = tl_count_fds();
    /* the child's sessions have ids unknown here: the folder's listing
     * before and after tells whether one was left */
    char *entries = session_entries();
    int p[2];
    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(p[0]);
        fd_child(p[1]);
    }
    close(p[1]);
    char msg[4096];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof msg - 1 && (n = read(p[0], msg + len, sizeof msg - 1 - len)) > 0)
        len += (size_t)n;
    msg[len] = '\0';
    close(p[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strncmp(msg, "OK", 2) == 0,
                  "out of descriptors: %s", msg);
    printf("%s", msg);
    ck_assert_int_eq(tl_count_fds(), before);
    ck_assert_int_eq(tl_count_children(), 0);
    char *after = session_entries();
    ck_assert_msg(strcmp(entries, after) == 0, "sessions/ was%s\nand is%s", entries, after);
    free(after);
    free(entries);
}
END_TEST

/* ------------------------------------------------------ control channel */

/* The Python kernel keeps its control channel on fd 512 and runs the cell
 * in the same process, so the cell can write there. Whatever it writes, the
 * host stays bounded and the session recovers with a fresh interpreter. */
static const char forge_prelude[] =
    "import json, os, struct, time\n"
    "def frame(data):\n"
    "    return struct.pack('>I', len(data)) + data\n";

START_TEST(forged_replies)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "import fcntl\nprint(fcntl.fcntl(512, fcntl.F_GETFD) >= 0)",
                              NULL);
    ck_assert_str_eq(tc_stdout(r), "True\n"); /* the channel is where we aim */
    ci_result_free(r);

    /* a well-formed reply for this request (id 2) without its nonce does
     * not decide the result: a protocol violation, and a fresh interpreter
     * answers the next call */
    char *code = tc_printf("%s"
                           "reply = {'id': 2, 'status': 'ok', 'exit_code': 0, 'value': "
                           "\"'forged'\"}\n"
                           "os.write(512, frame(json.dumps(reply).encode()))\n"
                           "time.sleep(0.5)\n",
                           forge_prelude);
    r = tc_exec(s, code, NULL);
    free(code);
    tc_assert_status(r, CI_STATUS_SANDBOX_ERROR);
    ck_assert_str_eq(ci_result_error_name(r), "SandboxProtocolViolation");
    ck_assert_ptr_null(ci_result_value(r));
    ci_result_free(r);
    r = tc_exec_ok(s, "print('after')", NULL);
    ck_assert_str_eq(tc_stdout(r), "after\n");
    ci_result_free(r);

    /* garbage, a reply for another id, an impossible length: a protocol
     * violation each, found at once (not at the time limit), and the
     * session goes on with a fresh interpreter that lost the old variables */
    static const char *const bad[] = {
        "os.write(512, frame(b'{not json'))\n",
        "os.write(512, frame(json.dumps({'id': 99, 'status': 'ok'}).encode()))\n",
        "os.write(512, frame(json.dumps({'id': 0, 'status': 'ok', 'exit_code': 1e300})"
        ".encode()))\n",
        "os.write(512, b'\\xff\\xff\\xff\\xff')\n",
        "os.write(512, frame(b'[1, 2, 3]'))\n",
    };
    ci_exec_options *o = tc_options_new(30000);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ci_result_free(tc_exec_ok(s, "marker = 42", NULL));
        code = tc_printf("%s%stime.sleep(20)\n", forge_prelude, bad[i]);
        double t0 = tc_now_ms();
        r = tc_exec(s, code, o);
        free(code);
        ck_assert_msg(ci_result_status(r) == CI_STATUS_SANDBOX_ERROR,
                      "forgery %zu: status %s", i, ci_status_name(ci_result_status(r)));
        ck_assert_str_eq(ci_result_error_name(r), "SandboxProtocolViolation");
        ck_assert_msg(tc_now_ms() - t0 < 15000, "forgery %zu waited for the time limit", i);
        ci_result_free(r);
        r = tc_exec_ok(s, "print('marker' in globals())", NULL);
        ck_assert_msg(strcmp(tc_stdout(r), "False\n") == 0,
                      "after forgery %zu the old interpreter answers: %s", i, tc_stdout(r));
        ci_result_free(r);
    }
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* A frame header announcing almost the largest request frame, then that
 * many bytes written as fast as the cell can: the host refuses it at its
 * header (a reply is at most 1 MiB) and its memory stays bounded. */
START_TEST(huge_reply_frame)
{
    ci_session *s = tc_session_new(NULL);
    long before = tc_self_status_kib("VmHWM:");
    char *code = tc_printf("%s"
                           "n = (128 << 20) - 16\n"
                           "os.write(512, struct.pack('>I', n))\n"
                           "chunk = b'x' * (1 << 20)\n"
                           "sent = 0\n"
                           "while sent < n + (64 << 20):\n"
                           "    sent += os.write(512, chunk)\n",
                           forge_prelude);
    ci_exec_options *o = tc_options_new(60000);
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(s, code, o, &r), 0);
    free(code);
    ck_assert_msg(ci_result_status(r) == CI_STATUS_SANDBOX_ERROR, "status %s",
                  ci_status_name(ci_result_status(r)));
    ci_result_free(r);
    long grew = tc_self_status_kib("VmHWM:") - before;
    ck_assert_msg(grew < 64 * 1024, "the host grew by %ld KiB for one forged frame", grew);
    r = tc_exec_ok(s, "print('alive')", NULL);
    ck_assert_str_eq(tc_stdout(r), "alive\n");
    ci_result_free(r);

    /* JS: its kernel's channel is fd 3 */
    ci_exec_options *js = tc_js_options();
    r = NULL;
    ck_assert_int_eq(ci_execute(s,
                                "require('fs').writeSync(3, Buffer.from([0, 0, 0, 5, 0x7b, 0x7b,"
                                " 0x7b, 0x7b, 0x7b]));\n"
                                "await new Promise((ok) => setTimeout(ok, 20000));\n",
                                js, &r),
                     0);
    ck_assert_msg(ci_result_status(r) == CI_STATUS_SANDBOX_ERROR, "JS forgery: status %s",
                  ci_status_name(ci_result_status(r)));
    ck_assert_msg(ci_result_wall_ms(r) < 15000, "JS forgery waited for the time limit");
    ci_result_free(r);
    r = tc_exec_ok(s, "console.log('js alive')", js);
    ck_assert_str_eq(tc_stdout(r), "js alive\n");
    ci_result_free(r);
    ci_exec_options_free(js);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* Every descriptor the runner may have is taken: the cell still finishes,
 * its reply comes back, and the next cell runs. */
START_TEST(fd_exhaustion_inside)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s,
                              "import errno, os\n"
                              "held = []\n"
                              "try:\n"
                              "    while True:\n"
                              "        held.append(os.open('/dev/null', os.O_RDONLY))\n"
                              "except OSError as e:\n"
                              "    print('STOP', errno.errorcode[e.errno])\n"
                              "print('HELD', len(held) > 900)\n"
                              "'value'\n",
                              NULL);
    tc_expect_line(r, "STOP", "EMFILE");
    tc_expect_line(r, "HELD", "True");
    ck_assert_str_eq(ci_result_value(r), "'value'");
    ci_result_free(r);
    r = tc_exec_ok(s, "for fd in held:\n    os.close(fd)\nprint(len(held) > 900)", NULL);
    ck_assert_str_eq(tc_stdout(r), "True\n");
    ci_result_free(r);

    ci_exec_options *o = tc_js_options();
    r = tc_exec(s,
                "const fs = require('fs'); globalThis.held = [];\n"
                "try { for (;;) held.push(fs.openSync('/dev/null', 'r')); }\n"
                "catch (e) { console.log('STOP', e.code); }\n"
                "console.log('HELD', held.length > 900);\n",
                o);
    ck_assert_msg(ci_result_status(r) == CI_STATUS_OK, "JS with every fd taken: %s\n%s\n%s",
                  ci_status_name(ci_result_status(r)), tc_stdout(r), tc_stderr(r));
    tc_expect_line(r, "STOP", "EMFILE");
    tc_expect_line(r, "HELD", "true");
    ci_result_free(r);
    r = tc_exec_ok(s, "for (const fd of held) require('fs').closeSync(fd); 'ok'", o);
    ck_assert_str_eq(ci_result_value(r), "'ok'");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

static Suite *faults_suite(void)
{
    Suite *s = suite_create("faults");
    TCase *tc = tcase_create("init");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, init_killed_mid_execution);
    tcase_add_test(tc, init_killed_while_idle);
    tcase_add_test(tc, helper_killed);
    tcase_add_test(tc, init_stops_answering);
    suite_add_tcase(s, tc);

    tc = tcase_create("runner");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, python_runner_killed);
    tcase_add_test(tc, js_runner_killed);
    tcase_add_test(tc, runner_crashes);
    suite_add_tcase(s, tc);

    tc = tcase_create("host_fds");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, host_out_of_descriptors);
    suite_add_tcase(s, tc);

    tc = tcase_create("channel");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, forged_replies);
    tcase_add_test(tc, huge_reply_frame);
    tcase_add_test(tc, fd_exhaustion_inside);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(faults_suite());
}
