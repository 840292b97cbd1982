/* SPDX-License-Identifier: MIT */
/* Suite 'commands': shell commands run with ci_execute_command(). Their
 * results (exit codes, streams, callbacks, the output cap, statuses, times
 * and memory), that they run in the sandbox and not on the host, the
 * per-call environment and working directory and what does not leak from
 * them, the files they share with the session's interpreters and uploads,
 * their time limit, and what executions leave running: a forked child that
 * must not hold an execution, a background writer kept out of later
 * results or killed on request, a server that must keep working. */
#include "test_common.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Every test here runs shell commands in a real sandbox. */

/* ---------------------------------------------------------------- basics */

START_TEST(exit_codes)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_cmd(s, "true", NULL);
    tc_assert_status(r, CI_STATUS_OK);
    ck_assert_int_eq(ci_result_exit_code(r), 0);
    ck_assert_str_eq(ci_status_name(ci_result_status(r)), "ok");
    ck_assert_int_eq(ci_result_language(r), CI_LANGUAGE_SHELL);
    ci_result_free(r);

    r = tc_cmd(s, "echo before; (exit 3)", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 3);
    ck_assert_str_eq(ci_status_name(ci_result_status(r)), "error");
    ck_assert_str_eq(tc_stdout(r), "before\n");
    ci_result_free(r);

    r = tc_cmd(s, "exit 42", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 42);
    ci_result_free(r);

    /* a failing command in the middle does not decide: the last one does */
    r = tc_cmd(s, "false; echo after", NULL);
    tc_assert_status(r, CI_STATUS_OK);
    ck_assert_int_eq(ci_result_exit_code(r), 0);
    ci_result_free(r);

    /* a command that is not there: the shell's 127 */
    r = tc_cmd(s, "no_such_command_ci_test", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 127);
    ck_assert_msg(strstr(tc_stderr(r), "no_such_command_ci_test"), "stderr: %s",
                  tc_stderr(r));
    ci_result_free(r);

    /* an empty command is refused up front */
    r = NULL;
    tc_expect_rc(ci_execute_command(s, "", NULL, &r), CI_EINVAL, "empty command");
    ck_assert_ptr_null(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(streams_separated)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_cmd_ok(s, "echo out1; echo err1 >&2; printf 'out2'; printf 'err2' >&2",
                             NULL);
    tc_expect_streams(r, "out1\nout2", "err1\nerr2");
    ci_result_free(r);

    /* binary output with NUL bytes comes back whole */
    r = tc_cmd_ok(s, "printf 'a\\000b\\000c'", NULL);
    tc_expect_stdout_bytes(r, "a\0b\0c", 5);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

struct chunks {
    char buf[4096];
    size_t len;
    int calls;
    double first_ms; /* when the first chunk came */
};

static int collect(const char *data, size_t len, void *user)
{
    struct chunks *c = user;
    if (c->calls++ == 0)
        c->first_ms = tc_now_ms();
    size_t room = sizeof c->buf - 1 - c->len;
    size_t n = len < room ? len : room;
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    c->buf[c->len] = '\0';
    return 0;
}

START_TEST(streaming_callbacks)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = tc_sh_options(0);
    struct chunks out = {0}, err = {0};
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, collect, &out), 0);
    ck_assert_int_eq(ci_exec_options_set_stderr_callback(o, collect, &err), 0);
    double start = tc_now_ms();
    ci_result *r = tc_cmd_ok(s, "echo first; echo warn >&2; sleep 1.5; echo second", o);
    double end = tc_now_ms();
    ck_assert_str_eq(out.buf, "first\nsecond\n");
    ck_assert_str_eq(err.buf, "warn\n");
    ck_assert_str_eq(tc_stdout(r), "first\nsecond\n");
    ck_assert_str_eq(tc_stderr(r), "warn\n");
    /* streamed while the command ran, not handed over at its end */
    ck_assert_msg(out.first_ms - start < (end - start) - 1000,
                  "the first chunk came %.0f ms after the start of a %.0f ms command",
                  out.first_ms - start, end - start);
    ck_assert_int_ge(out.calls, 2);
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

static int stop_at_first(const char *data, size_t len, void *user)
{
    (void)data;
    (void)len;
    (*(int *)user)++;
    return 1;
}

START_TEST(callback_stops)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = tc_sh_options(0);
    int calls = 0;
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, stop_at_first, &calls), 0);
    double start = tc_now_ms();
    ci_result *r = tc_cmd(s, "echo go; sleep 60; echo never", o);
    double took = tc_now_ms() - start;
    tc_assert_status(r, CI_STATUS_KILLED);
    ck_assert_str_eq(ci_status_name(ci_result_status(r)), "killed");
    ck_assert_int_ge(calls, 1);
    ck_assert_msg(took < 15000, "stopping took %.0f ms", took);
    ck_assert_ptr_null(strstr(tc_stdout(r), "never"));
    ci_result_free(r);
    ci_exec_options_free(o);
    tc_assert_sh(s, "echo back", "back\n");
    ci_session_destroy(s);
}
END_TEST

START_TEST(output_cap)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_output_limit, 1000);
    ci_result *r = tc_cmd_ok(s, "head -c 5000 /dev/zero | tr '\\0' a; echo small >&2", NULL);
    size_t len = 0;
    const char *out = ci_result_stdout(r, &len);
    ck_assert_uint_eq(len, 1000);
    for (size_t i = 0; i < len; i++)
        ck_assert_int_eq(out[i], 'a');
    ck_assert_int_ne(ci_result_stdout_truncated(r), 0);
    ck_assert_int_eq(ci_result_stderr_truncated(r), 0);
    ck_assert_str_eq(tc_stderr(r), "small\n");
    ci_result_free(r);

    r = tc_cmd_ok(s, "head -c 3000 /dev/zero | tr '\\0' b >&2", NULL);
    ci_result_stderr(r, &len);
    ck_assert_uint_eq(len, 1000);
    ck_assert_int_ne(ci_result_stderr_truncated(r), 0);
    ck_assert_int_eq(ci_result_stdout_truncated(r), 0);
    ci_result_free(r);

    /* exactly at the limit is not truncated */
    r = tc_cmd_ok(s, "head -c 1000 /dev/zero | tr '\\0' c", NULL);
    ci_result_stdout(r, &len);
    ck_assert_uint_eq(len, 1000);
    ck_assert_int_eq(ci_result_stdout_truncated(r), 0);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(times_and_memory)
{
    ci_session *s = tc_session_new(NULL);
    /* about a quarter of a second of CPU in the shell itself, and 64 MiB
     * held by a child */
    ci_result *r = tc_cmd_ok(s,
                             "i=0; while [ $i -lt 150000 ]; do i=$((i+1)); done; echo $i\n"
                             "python3 -c 'b = bytearray(64 << 20); b[::4096] = b\"x\" * "
                             "len(b[::4096]); print(len(b))'",
                             NULL);
    ck_assert_str_eq(tc_stdout(r), "150000\n67108864\n");
    double wall = ci_result_wall_ms(r);
    ck_assert_msg(wall > 0 && wall < 60000, "wall %.1f ms", wall);
    if (ci_result_limits_mode(r) != CI_CGROUP_NONE) {
        double cpu = ci_result_cpu_ms(r);
        ck_assert_msg(cpu >= 50, "cpu %.1f ms for a busy loop", cpu);
        ck_assert_msg(cpu <= wall * 2 + 100, "cpu %.1f ms over %.1f ms of wall", cpu, wall);
        uint64_t peak = ci_result_peak_memory_bytes(r);
        ck_assert_msg(peak >= (uint64_t)64 << 20, "peak memory %llu bytes, 64 MiB were held",
                      (unsigned long long)peak);
        ck_assert_msg(peak < (uint64_t)2 << 30, "peak memory %llu bytes",
                      (unsigned long long)peak);
    }
    ci_result_free(r);

    /* a command that only waits has about its duration as wall time */
    r = tc_cmd_ok(s, "sleep 0.5", NULL);
    ck_assert_msg(ci_result_wall_ms(r) >= 450 && ci_result_wall_ms(r) < 30000,
                  "wall %.1f ms for sleep 0.5", ci_result_wall_ms(r));
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(killed_by_signal)
{
    /* The shell itself is killed: the exit code says which signal and the
     * status is the one ci_execute() gives an interpreter killed by a signal
     * (CI_STATUS_KILLED, "killed: canceled, by a signal, ..."). */
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_cmd(s, "echo before; kill -KILL $$; echo never", NULL);
    ck_assert_int_eq(ci_result_exit_code(r), 128 + 9);
    ck_assert_str_eq(tc_stdout(r), "before\n");
    ci_result *py = tc_exec(s, "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", NULL);
    ck_assert_int_eq(ci_result_exit_code(py), 128 + 9);
    tc_assert_status(py, CI_STATUS_KILLED); /* the interpreter's case */
    ci_result_free(py);
    tc_assert_status(r, CI_STATUS_KILLED);
    ci_result_free(r);

    r = tc_cmd(s, "kill -TERM $$", NULL);
    ck_assert_int_eq(ci_result_exit_code(r), 128 + 15);
    tc_assert_status(r, CI_STATUS_KILLED);
    ci_result_free(r);
    tc_assert_sh(s, "echo alive", "alive\n");
    ci_session_destroy(s);
}
END_TEST

START_TEST(command_oom)
{
    /* a command's process past the session's memory limit: status oom */
    ci_session *s = tc_session_memory_limited(128u << 20);
    if (!s)
        return; /* no OOM reporting without a cgroup */
    ci_result *r = tc_cmd(s, "echo start; python3 -c 'b = bytearray(512 << 20); "
                             "b[::4096] = b\"x\" * len(b[::4096]); print(\"held\")'", NULL);
    tc_assert_status(r, CI_STATUS_OOM);
    ck_assert_str_eq(ci_status_name(ci_result_status(r)), "oom");
    ck_assert_int_eq(ci_result_exit_code(r), 137);
    ck_assert_str_eq(tc_stdout(r), "start\n");
    ci_result_free(r);
    /* a command that survives its child's kill has succeeded: ok */
    r = tc_cmd(s, "python3 -c 'b = bytearray(512 << 20); b[::4096] = b\"x\" * "
                  "len(b[::4096])'; echo after $?", NULL);
    tc_assert_status(r, CI_STATUS_OK);
    ck_assert_str_eq(tc_stdout(r), "after 137\n");
    ci_result_free(r);
    tc_assert_sh(s, "echo fine", "fine\n");
    ci_session_destroy(s);
}
END_TEST

START_TEST(stdin_is_empty)
{
    /* a command that reads stdin gets end of file at once */
    ci_session *s = tc_session_new(NULL);
    double start = tc_now_ms();
    tc_assert_sh(s, "cat; read x || echo eof; echo done", "eof\ndone\n");
    ck_assert_msg(tc_now_ms() - start < 10000, "reading stdin blocked");
    ci_session_destroy(s);
}
END_TEST

/* --------------------------------------------------------------- sandbox */

START_TEST(runs_in_sandbox)
{
    char hex[17];
    tc_random_hex(hex, 16);
    char *dir = tc_make_temp_dir("ci-cmd-host");
    char *secret = tc_printf("%s/secret-%s.txt", dir, hex);
    tc_write_file(secret, hex, 0644);
    ck_assert_int_eq(chmod(dir, 0755), 0);
    char host_name[256] = "";
    ck_assert_int_eq(gethostname(host_name, sizeof host_name - 1), 0);

    ci_session *s = tc_session_new(NULL);
    char *cmd = tc_printf("echo HOSTNAME $(cat /etc/hostname)\n"
                          "echo UNAME $(uname -n)\n"
                          "echo UID $(id -u)\n"
                          "echo PWD $(pwd)\n"
                          "echo HOME $HOME\n"
                          "if [ -e '%s' ]; then echo SECRET LEAK; else echo SECRET absent; fi\n"
                          "if [ -e '%s' ]; then echo DIR LEAK; else echo DIR absent; fi\n"
                          "if cat /etc/shadow >/dev/null 2>&1; then echo SHADOW LEAK; "
                          "else echo SHADOW refused; fi\n"
                          "echo CAPEFF $(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)\n"
                          "echo PID1 $(tr '\\0' ' ' < /proc/1/cmdline | cut -c1-40)\n"
                          "echo PIDS $(ls /proc | grep -c '^[0-9]')\n",
                          secret, dir);
    ci_result *r = tc_cmd_ok(s, cmd, NULL);
    free(cmd);
    tc_expect_line(r, "HOSTNAME", "sandbox");
    tc_expect_line(r, "UNAME", "sandbox");
    ck_assert_msg(strcmp(host_name, "sandbox") != 0, "the host is called sandbox too");
    tc_expect_line(r, "UID", "1000");
    tc_expect_line(r, "PWD", "/workspace");
    tc_expect_line(r, "HOME", "/workspace");
    tc_expect_line(r, "SECRET", "absent");
    tc_expect_line(r, "DIR", "absent");
    tc_expect_line(r, "SHADOW", "refused");
    tc_expect_line(r, "CAPEFF", "0000000000000000");
    ck_assert_ptr_null(strstr(tc_stdout(r), hex));
    /* its own process tree, not the host's */
    char *pids = tc_line_value(tc_stdout(r), "PIDS");
    ck_assert_ptr_nonnull(pids);
    ck_assert_msg(atoi(pids) > 0 && atoi(pids) < 30, "%s processes visible", pids);
    free(pids);
    ci_result_free(r);

    /* the host file stays as it was, and the command's file is not on the
     * host where the command thought it wrote it */
    cmd = tc_printf("echo x > /tmp/ci-cmd-%s; echo y > /workspace/ci-cmd-%s", hex, hex);
    ci_result_free(tc_cmd_ok(s, cmd, NULL));
    free(cmd);
    char *host_tmp = tc_printf("/tmp/ci-cmd-%s", hex);
    struct stat st;
    ck_assert_msg(stat(host_tmp, &st) != 0, "the command wrote the host's /tmp");
    char *ws = tc_printf("/workspace/ci-cmd-%s", hex);
    ck_assert_msg(stat(ws, &st) != 0, "the command wrote a host /workspace");
    tc_assert_host_file(secret, hex);

    ci_session_destroy(s);
    free(ws);
    free(host_tmp);
    tc_remove_tree(dir);
    free(secret);
    free(dir);
}
END_TEST

START_TEST(network_off)
{
    struct tc_listeners l;
    tc_listeners_open(&l);
    ci_session *s = tc_session_new(NULL);
    char *cmd = tc_printf(
        "echo IFACES $(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | paste -sd,)\n"
        "echo ROUTES $(tail -n +2 /proc/net/route | wc -l)\n"
        "if curl -s -o /dev/null --max-time 3 http://127.0.0.1:%d/; then echo TCP4 CONNECTED; "
        "else echo TCP4 failed $?; fi\n"
        "if curl -s -o /dev/null --max-time 3 --unix-socket '%s' http://x/; then "
        "echo UNIX CONNECTED; else echo UNIX failed $?; fi\n"
        "if curl -s -o /dev/null --max-time 3 --abstract-unix-socket '%s' http://x/; then "
        "echo ABSTRACT CONNECTED; else echo ABSTRACT failed $?; fi\n",
        l.port4, l.path, l.abstract);
    ci_result *r = tc_cmd_ok(s, cmd, NULL);
    free(cmd);
    tc_expect_line(r, "IFACES", "lo");
    tc_expect_line(r, "ROUTES", "0");
    tc_expect_line_not(r, "TCP4", "CONNECTED");
    tc_expect_line_not(r, "UNIX", "CONNECTED");
    tc_expect_line_not(r, "ABSTRACT", "CONNECTED");
    ck_assert_int_eq(tc_pending(l.tcp4), 0);
    ck_assert_int_eq(tc_pending(l.unix_path), 0);
    ck_assert_int_eq(tc_pending(l.unix_abstract), 0);
    ci_result_free(r);

    /* its own loopback works: a server of a task answers a command */
    ci_result_free(tc_cmd_ok(s, "echo hello > page.txt", NULL));
    char *task = NULL;
    ck_assert_int_eq(ci_task_start(s, "exec python3 -m http.server 18080 --bind 127.0.0.1",
                                   NULL, &task), 0);
    r = tc_cmd_ok(s,
                  "i=0; while [ $i -lt 200 ]; do\n"
                  "  if out=$(curl -s --max-time 2 http://127.0.0.1:18080/page.txt); then\n"
                  "    echo LOOPBACK $out; exit 0; fi\n"
                  "  i=$((i+1)); sleep 0.05\n"
                  "done; echo LOOPBACK none",
                  NULL);
    tc_expect_line(r, "LOOPBACK", "hello");
    ci_result_free(r);
    ck_assert_int_eq(ci_task_stop(s, task, NULL), 0);
    ci_free(task);
    ci_session_destroy(s);
    tc_listeners_close(&l);
}
END_TEST

/* ---------------------------------------------------------- cwd and env */

START_TEST(env_per_call)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_env, "CI_SESSION_VAR", "from-config");

    ci_exec_options *o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "X", "per call value"), 0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "CI_SESSION_VAR", "overridden"), 0);
    ci_result *r = tc_cmd_ok(s, "echo \"X=$X\"; echo \"S=$CI_SESSION_VAR\"", o);
    ck_assert_str_eq(tc_stdout(r), "X=per call value\nS=overridden\n");
    ci_result_free(r);
    ci_exec_options_free(o);

    /* not in the next command, nor in the next Python cell; the session's
     * variable is back to the config's value */
    tc_assert_sh(s, "echo \"X=${X-unset}\"; echo \"S=$CI_SESSION_VAR\"",
                 "X=unset\nS=from-config\n");
    tc_assert_py(s, "import os\nprint(os.environ.get('X'), os.environ.get('CI_SESSION_VAR'))",
                 "None from-config\n");

    /* Python's per-call variable does not reach the next command or cell */
    o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "Y", "py-only"), 0);
    r = tc_exec_ok(s, "import os, subprocess\nprint(os.environ['Y'])\n"
                      "print(subprocess.run(['sh', '-c', 'echo $Y'], capture_output=True,"
                      " text=True).stdout, end='')",
                   o);
    ck_assert_str_eq(tc_stdout(r), "py-only\npy-only\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    tc_assert_sh(s, "echo \"Y=${Y-unset}\"", "Y=unset\n");
    tc_assert_py(s, "import os\nprint(os.environ.get('Y'))", "None\n");

    /* a variable with spaces, quotes and newlines arrives unchanged */
    o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "Z", "a 'b' \"c\"\n$HOME;`id`"), 0);
    r = tc_cmd_ok(s, "printf '%s' \"$Z\"", o);
    ck_assert_str_eq(tc_stdout(r), "a 'b' \"c\"\n$HOME;`id`");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(cwd_option)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_cmd_ok(s, "mkdir -p sub/dir && echo inside > sub/dir/f.txt", NULL));

    ci_exec_options *o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "sub/dir"), 0);
    ci_result *r = tc_cmd_ok(s, "pwd; cat f.txt; echo made > here.txt", o);
    ck_assert_str_eq(tc_stdout(r), "/workspace/sub/dir\ninside\n");
    ci_result_free(r);
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "/workspace/sub"), 0);
    r = tc_cmd_ok(s, "pwd; cat dir/here.txt", o);
    ck_assert_str_eq(tc_stdout(r), "/workspace/sub\nmade\n");
    ci_result_free(r);
    ci_exec_options_free(o);

    /* `cd` does not carry over, nor does the option */
    ci_result_free(tc_cmd_ok(s, "cd sub; pwd", NULL));
    tc_assert_sh(s, "pwd", "/workspace\n");
    tc_assert_py(s, "import os\nprint(os.getcwd())", "/workspace\n");

    /* Python takes the same option */
    o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "sub/dir"), 0);
    tc_assert_exec(s, "import os\nprint(os.getcwd(), open('here.txt').read().strip())", o,
                   "/workspace/sub/dir made\n");
    ci_exec_options_free(o);
    tc_assert_py(s, "import os\nprint(os.getcwd())", "/workspace\n");

    /* a folder that is not there: an error naming it, nothing run */
    o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "no_such_dir_ci"), 0);
    r = tc_cmd(s, "echo ran > ran.txt; echo ran", o);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_msg(strstr(tc_stderr(r), "no_such_dir_ci") != NULL,
                  "stderr does not name the folder: \"%s\"", tc_stderr(r));
    ck_assert_ptr_null(strstr(tc_stdout(r), "ran"));
    ci_result_free(r);
    ci_exec_options_free(o);
    tc_assert_sh(s, "ls ran.txt 2>/dev/null; echo end", "end\n");

    /* paths outside /workspace are refused by the option itself */
    o = tc_sh_options(0);
    tc_expect_rc(ci_exec_options_set_cwd(o, "/etc"), CI_EPATH, "cwd /etc");
    tc_expect_rc(ci_exec_options_set_cwd(o, "../x"), CI_EPATH, "cwd ../x");
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* JavaScript takes the per-call environment and working directory too. */
START_TEST(js_env_cwd)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_cmd_ok(s, "mkdir -p jsdir", NULL));
    ci_exec_options *o = tc_js_options();
    ck_assert_int_eq(ci_exec_options_set_env(o, "JSVAR", "js-value"), 0);
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "jsdir"), 0);
    tc_assert_exec(s, "console.log(process.env.JSVAR, process.cwd())", o,
                   "js-value /workspace/jsdir\n");
    ci_exec_options_free(o);
    o = tc_js_options();
    tc_assert_exec(s, "console.log(process.env.JSVAR, process.cwd())", o,
                   "undefined /workspace\n");
    ci_exec_options_free(o);
    tc_assert_sh(s, "echo \"${JSVAR-unset}\"", "unset\n");
    ci_session_destroy(s);
}
END_TEST

/* ----------------------------------------------------------------- files */

START_TEST(files_with_python)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_cmd_ok(s, "printf 'from shell\\n' > shell.txt; mkdir -p d; "
                                "seq 1 5 > d/nums.txt", NULL));
    tc_assert_py(s, "print(open('shell.txt').read(), end='')\n"
                    "print(sum(int(x) for x in open('d/nums.txt')))",
                 "from shell\n15\n");
    ci_result_free(tc_exec_ok(s, "open('py.txt', 'w').write('from python\\n')", NULL));
    tc_assert_sh(s, "cat py.txt", "from python\n");

    static const char data[] = "uploaded \x01\x02 bytes\n";
    ck_assert_int_eq(ci_upload(s, "in/up.bin", data, sizeof data - 1), 0);
    tc_assert_sh(s, "cat in/up.bin | od -An -c | tr -s ' ' | head -c 12; echo; "
                    "wc -c < in/up.bin",
                 " u p l o a d\n18\n");

    /* and what a command writes can be downloaded */
    void *got = NULL;
    size_t len = 0;
    ck_assert_int_eq(ci_download(s, "shell.txt", &got, &len), 0);
    ck_assert_uint_eq(len, 11);
    ck_assert_int_eq(memcmp(got, "from shell\n", 11), 0);
    ci_free(got);

    /* and the command's file is reported as an artifact */
    ci_result *r = tc_cmd_ok(s, "echo art > artifact.csv", NULL);
    int found = 0;
    for (size_t i = 0; i < ci_result_artifact_count(r); i++)
        found |= strcmp(ci_result_artifact_path(r, i), "/workspace/artifact.csv") == 0;
    ck_assert_msg(found, "artifact.csv is not among the command's %zu artifacts",
                  ci_result_artifact_count(r));
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(files_with_javascript)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *js = tc_js_options();
    ci_result_free(tc_exec_ok(s, "require('fs').writeFileSync('js.txt', 'from js\\n')", js));
    tc_assert_sh(s, "cat js.txt", "from js\n");
    ci_result_free(tc_cmd_ok(s, "echo 'from shell' > for_js.txt", NULL));
    tc_assert_exec(s, "console.log(require('fs').readFileSync('for_js.txt', 'utf8').trim())", js,
                   "from shell\n");
    /* the JS interpreter keeps its state across the commands between */
    ci_result_free(tc_exec_ok(s, "globalThis.kept = 41", js));
    tc_assert_sh(s, "echo between", "between\n");
    tc_assert_exec(s, "console.log(kept + 1)", js, "42\n");
    ci_exec_options_free(js);
    ci_session_destroy(s);
}
END_TEST

/* --------------------------------------------------------------- timeout */

START_TEST(command_timeout)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "kept = 1", NULL));
    ci_exec_options *o = tc_sh_options(2000);
    double start = tc_now_ms();
    ci_result *r = tc_cmd(s, "echo started; sleep 60; echo never", o);
    double took = tc_now_ms() - start;
    tc_assert_status(r, CI_STATUS_TIMEOUT);
    ck_assert_str_eq(ci_status_name(ci_result_status(r)), "timeout");
    ck_assert_int_eq(ci_result_exit_code(r), 137);
    ck_assert_str_eq(tc_stdout(r), "started\n");
    ck_assert_msg(took >= 1900 && took < 10000, "a 2 s limit ended after %.0f ms", took);
    ck_assert_msg(ci_result_wall_ms(r) >= 1900 && ci_result_wall_ms(r) < 10000,
                  "wall %.0f ms", ci_result_wall_ms(r));
    ci_result_free(r);
    ci_exec_options_free(o);

    /* no sleep is left, and the session works: commands and Python (whose
     * interpreter was killed with every process of the sandbox) */
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, "sleep\n60", 5000), 0);
    tc_assert_sh(s, "echo back", "back\n");
    tc_assert_py(s, "print('kept' in globals())", "False\n");

    /* the config's default limit applies to commands too */
    ci_session_destroy(s);
    s = TC_SESSION_WITH(ci_config_set_exec_timeout_ms, 1500);
    ci_exec_options *plain = NULL;
    ck_assert_int_eq(ci_exec_options_new(&plain), 0);
    start = tc_now_ms();
    r = tc_cmd(s, "sleep 60", plain);
    took = tc_now_ms() - start;
    tc_assert_status(r, CI_STATUS_TIMEOUT);
    ck_assert_msg(took >= 1400 && took < 10000, "a 1.5 s default ended after %.0f ms", took);
    ci_result_free(r);
    ci_exec_options_free(plain);
    ci_session_destroy(s);
}
END_TEST

/* Leftovers that left the command's process group and session are still
 * its leftovers. */
START_TEST(kill_leftovers_detached)
{
    char a[17], b[17];
    tc_random_hex(a, 16);
    tc_random_hex(b, 16);
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_kill_leftovers(o, 1), 0);
    char *cmd = tc_printf("setsid python3 -c 'import time; time.sleep(300)' %s "
                          "</dev/null >/dev/null 2>&1 &\n"
                          "nohup python3 -c 'import os, time\nif os.fork(): os._exit(0)\n"
                          "os.setsid()\ntime.sleep(300)' %s >/dev/null 2>&1 &\n"
                          "sleep 0.5; echo started", a, b);
    ci_result *r = tc_cmd_ok(s, cmd, o);
    free(cmd);
    ck_assert_str_eq(tc_stdout(r), "started\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, a, 5000), 0);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, b, 5000), 0);
    ck_assert_int_eq(tc_wait_marker_gone(a, 5000), 0);
    ck_assert_int_eq(tc_wait_marker_gone(b, 5000), 0);
    ci_session_destroy(s);
}
END_TEST

/* A command that kills the shell interpreter that runs it: the session
 * recovers with a new one, and the tasks the old one kept are lost. */
START_TEST(interpreter_killed)
{
    ci_session *s = tc_session_new(NULL);
    char *id = NULL;
    ck_assert_int_eq(ci_task_start(s, "sleep 300", NULL, &id), 0);
    ci_result *r = tc_cmd(s, "kill -KILL $PPID; sleep 5", NULL);
    ck_assert_msg(ci_result_status(r) != CI_STATUS_OK && ci_result_status(r) != CI_STATUS_TIMEOUT,
                  "status %s", ci_status_name(ci_result_status(r)));
    ci_result_free(r);
    tc_assert_sh(s, "echo recovered", "recovered\n");
    ci_task_info *info = NULL;
    ck_assert_int_eq(ci_task_get(s, id, 0, 0, &info), 0);
    ck_assert_int_eq(ci_task_info_status(info), CI_TASK_FAILED);
    ck_assert_ptr_nonnull(ci_task_info_error(info));
    ci_task_info_free(info);
    ci_free(id);
    ci_session_destroy(s);
}
END_TEST

static void *cancel_later(void *arg)
{
    usleep(500 * 1000);
    ci_session_cancel(arg);
    return NULL;
}

START_TEST(command_cancel)
{
    ci_session *s = tc_session_new(NULL);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, cancel_later, s), 0);
    double start = tc_now_ms();
    ci_result *r = tc_cmd(s, "echo waiting; sleep 60", NULL);
    double took = tc_now_ms() - start;
    ck_assert_int_eq(pthread_join(th, NULL), 0);
    tc_assert_status(r, CI_STATUS_KILLED);
    ck_assert_str_eq(tc_stdout(r), "waiting\n");
    ck_assert_msg(took < 10000, "the cancel took %.0f ms", took);
    ci_result_free(r);
    tc_assert_sh(s, "echo back", "back\n");
    ci_session_destroy(s);
}
END_TEST

/* --------------------------------------------------------------- hygiene */

/* The interpreter exits while a child it forked sleeps on, holding what
 * the interpreter held: the execution ends with the interpreter. */
START_TEST(fork_child_does_not_hold)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = tc_options_new(15000);
    double start = tc_now_ms();
    ci_result *r = tc_exec(s, "import os,time\nif os.fork()==0: time.sleep(120); os._exit(0)\n"
                              "os._exit(3)", o);
    double took = tc_now_ms() - start;
    ck_assert_msg(ci_result_status(r) != CI_STATUS_TIMEOUT, "it waited for the child: %s",
                  ci_status_name(ci_result_status(r)));
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 3);
    ck_assert_msg(took < 5000, "the cell took %.0f ms to end, with a 15 s limit", took);
    ci_result_free(r);
    ci_exec_options_free(o);
    tc_assert_py(s, "print('next')", "next\n");

    /* the same from a command whose shell leaves a sleeping child holding
     * its stdout */
    start = tc_now_ms();
    r = tc_cmd(s, "sleep 120 & exit 4", NULL);
    took = tc_now_ms() - start;
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 4);
    ck_assert_msg(took < 5000, "the command took %.0f ms to end", took);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* Polls until the sandbox runs at least one process carrying `marker` (a
 * background job of a command that has returned may not have started
 * yet); returns the last count. */
static int wait_running(ci_session *s, const char *marker)
{
    double end = tc_now_ms() + 10000;
    for (;;) {
        int n = tc_sandbox_marker_count(s, marker);
        if (n >= 1 || tc_now_ms() > end)
            return n;
        usleep(50 * 1000);
    }
}

#define WRITER "(exec sh -c 'while :; do echo tick; echo tock >&2; sleep 0.05; done' %s) &"

/* What a background job writes after its command ended goes to no later
 * result; the results say there was some. */
START_TEST(background_output_kept_out)
{
    char marker[17];
    tc_random_hex(marker, 16);
    ci_session *s = tc_session_new(NULL);
    char *cmd = tc_printf(WRITER " echo started", marker);
    ci_result *r = tc_cmd_ok(s, cmd, NULL);
    free(cmd);
    /* what it wrote before the command ended may be there; nothing else */
    ck_assert_msg(strstr(tc_stdout(r), "started\n") != NULL, "stdout %s", tc_stdout(r));
    ci_result_free(r);
    ck_assert_int_ge(wait_running(s, marker), 1);

    r = tc_cmd_ok(s, "sleep 0.5; echo mine", NULL);
    ck_assert_str_eq(tc_stdout(r), "mine\n");
    ck_assert_str_eq(tc_stderr(r), "");
    ck_assert_msg(ci_result_stray_output_bytes(r) > 0,
                  "a command that ran 0.5 s while the writer ticked saw no stray output");
    ci_result_free(r);

    r = tc_exec_ok(s, "import time\ntime.sleep(0.5)\nprint('cell')", NULL);
    ck_assert_str_eq(tc_stdout(r), "cell\n");
    ck_assert_str_eq(tc_stderr(r), "");
    ck_assert_msg(ci_result_stray_output_bytes(r) > 0,
                  "a cell that ran 0.5 s while the writer ticked saw no stray output");
    ci_result_free(r);

    /* the writer still runs: kept out, not stopped (>= 1: its loop forks
     * short-lived copies of itself for each sleep) */
    ck_assert_int_ge(tc_sandbox_marker_count(s, marker), 1);

    /* the count is in the result's JSON too */
    r = tc_cmd_ok(s, "sleep 0.3", NULL);
    char *json = NULL;
    ck_assert_int_eq(ci_result_to_json(r, &json), 0);
    ck_assert_msg(ci_result_stray_output_bytes(r) > 0 && strstr(json, "\"strayOutputBytes\":"),
                  "%s", json);
    ck_assert_ptr_null(strstr(json, "tick"));
    ci_free(json);
    ci_result_free(r);
    ci_session_destroy(s);

    /* the same for a writer a Python cell leaves on its stdout */
    s = tc_session_new(NULL);
    tc_random_hex(marker, 16);
    char *code = tc_printf("import subprocess\n"
                           "subprocess.Popen(['sh', '-c', 'while :; do echo tick; sleep 0.05; "
                           "done', '%s'])\nprint('started')", marker);
    r = tc_exec_ok(s, code, NULL);
    free(code);
    /* what the writer wrote while its cell ran is that cell's */
    ck_assert_msg(strstr(tc_stdout(r), "started\n") != NULL, "stdout %s", tc_stdout(r));
    ci_result_free(r);
    ck_assert_int_ge(wait_running(s, marker), 1);
    r = tc_exec_ok(s, "import time\ntime.sleep(0.5)\nprint('cell')", NULL);
    ck_assert_str_eq(tc_stdout(r), "cell\n");
    ck_assert_msg(ci_result_stray_output_bytes(r) > 0, "no stray output counted in the cell");
    ci_result_free(r);
    r = tc_cmd_ok(s, "sleep 0.5; echo mine", NULL);
    ck_assert_str_eq(tc_stdout(r), "mine\n");
    ck_assert_msg(ci_result_stray_output_bytes(r) > 0, "no stray output counted in the command");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

START_TEST(kill_leftovers_option)
{
    char marker[17], old[17];
    tc_random_hex(marker, 16);
    tc_random_hex(old, 16);
    ci_session *s = tc_session_new(NULL);
    /* a process from before: it must survive the kill of leftovers */
    char *cmd = tc_printf("(exec python3 -c 'import time; time.sleep(300)' %s) & echo started",
                          old);
    ci_result_free(tc_cmd_ok(s, cmd, NULL));
    free(cmd);
    uid_t uid = tc_wait_marked(old);
    (void)uid;

    ci_exec_options *o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_kill_leftovers(o, 1), 0);
    cmd = tc_printf(WRITER " sleep 300 & echo started", marker);
    ci_result *r = tc_cmd_ok(s, cmd, o);
    free(cmd);
    ci_result_free(r);
    ci_exec_options_free(o);
    ck_assert_msg(tc_wait_marker_gone(marker, 5000) == 0, "the writer outlived its command");
    ck_assert_int_eq(tc_sandbox_marker_count(s, marker), 0);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, "sleep\n300", 5000), 0);
    ck_assert_int_eq(tc_sandbox_marker_count(s, old), 1);
    r = tc_cmd_ok(s, "sleep 0.3; echo quiet", NULL);
    ck_assert_str_eq(tc_stdout(r), "quiet\n");
    ck_assert_int_eq(ci_result_stray_output_bytes(r), 0);
    ci_result_free(r);

    /* Python: a subprocess the cell leaves is killed; the interpreter is not */
    o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_kill_leftovers(o, 1), 0);
    char hex[17];
    tc_random_hex(hex, 16);
    char *code = tc_printf("import subprocess\nkept = 7\n"
                           "p = subprocess.Popen(['sh', '-c', 'sleep 300; true', '%s'])\n", hex);
    ci_result_free(tc_exec_ok(s, code, o));
    free(code);
    ci_exec_options_free(o);
    ck_assert_int_eq(tc_wait_sandbox_marker_gone(s, hex, 5000), 0);
    tc_assert_py(s, "print(kept, p.wait())", "7 -9\n");
    ck_assert_int_eq(tc_sandbox_marker_count(s, old), 1);
    ci_session_destroy(s);
    ck_assert_int_eq(tc_wait_marker_gone(old, 5000), 0);
}
END_TEST

START_TEST(server_survives_cells)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_cmd_ok(s, "echo served > page.txt", NULL));
    ci_result *r = tc_exec_ok(
        s,
        "import socket, subprocess, sys, time\n"
        "srv = subprocess.Popen([sys.executable, '-m', 'http.server', '18081', '--bind',"
        " '127.0.0.1'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "deadline = time.monotonic() + 30\n"
        "while True:\n"
        "    try:\n"
        "        socket.create_connection(('127.0.0.1', 18081), 1).close()\n"
        "        break\n"
        "    except OSError:\n"
        "        if time.monotonic() > deadline: raise\n"
        "        time.sleep(0.05)\n"
        "print('up')\n",
        NULL);
    ck_assert_str_eq(tc_stdout(r), "up\n");
    ci_result_free(r);
    tc_assert_py(s, "import urllib.request\n"
                    "print(urllib.request.urlopen('http://127.0.0.1:18081/page.txt', timeout=10)"
                    ".read().decode(), end='')\nprint(srv.poll())",
                 "served\nNone\n");
    /* a command reaches it too, and a later kill_leftovers spares it */
    ci_exec_options *o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_kill_leftovers(o, 1), 0);
    tc_assert_cmd(s, "curl -s --max-time 10 http://127.0.0.1:18081/page.txt", o, "served\n");
    ci_exec_options_free(o);
    tc_assert_py(s, "print(srv.poll())", "None\n");
    ci_session_destroy(s);
}
END_TEST

static Suite *commands_suite(void)
{
    Suite *s = suite_create("commands");
    TCase *tc;

    tc = tcase_create("basics");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, exit_codes);
    tcase_add_test(tc, streams_separated);
    tcase_add_test(tc, streaming_callbacks);
    tcase_add_test(tc, callback_stops);
    tcase_add_test(tc, output_cap);
    tcase_add_test(tc, times_and_memory);
    tcase_add_test(tc, killed_by_signal);
    tcase_add_test(tc, command_oom);
    tcase_add_test(tc, stdin_is_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("sandbox");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, runs_in_sandbox);
    tcase_add_test(tc, network_off);
    suite_add_tcase(s, tc);

    tc = tcase_create("cwd_env");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, env_per_call);
    tcase_add_test(tc, cwd_option);
    suite_add_tcase(s, tc);

    tc = tcase_create("js_cwd_env");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, js_env_cwd);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, files_with_python);
    tcase_add_test(tc, files_with_javascript);
    suite_add_tcase(s, tc);

    tc = tcase_create("timeout");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, command_timeout);
    tcase_add_test(tc, command_cancel);
    tcase_add_test(tc, interpreter_killed);
    suite_add_tcase(s, tc);

    tc = tcase_create("hygiene");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, fork_child_does_not_hold);
    tcase_add_test(tc, background_output_kept_out);
    tcase_add_test(tc, kill_leftovers_option);
    tcase_add_test(tc, kill_leftovers_detached);
    tcase_add_test(tc, server_survives_cells);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(commands_suite());
}
