/* SPDX-License-Identifier: MIT */
/* Suite 'processes': what sandboxed processes can do and what becomes of
 * them. Fork bombs and kill(-1) from Python and the JS runner stay inside,
 * orphans are reaped; destroy leaves no process and no file (and follows no
 * link planted toward the host); a host process that dies without
 * destroying its sessions takes their sandboxes along, and the next session
 * on the same state dir removes what was left on disk. */
#include "test_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The host uids the sessions of a root host run as: the default uid range of
 * ci_config. */
#define SESSION_UID_BASE 2000000000u
#define SESSION_UID_COUNT 65536u

static void assert_session_uid(uid_t uid)
{
    if (geteuid() == 0)
        ck_assert_msg(uid >= SESSION_UID_BASE && uid - SESSION_UID_BASE < SESSION_UID_COUNT,
                      "sandbox runs as host uid %u, outside the session range",
                      (unsigned)uid);
    else
        ck_assert_msg(uid == getuid(), "sandbox runs as host uid %u", (unsigned)uid);
}

/* ----------------------------------------------------------- containment */

START_TEST(fork_bomb_contained)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_max_processes(c, 64), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ci_result *r = tc_exec_ok(s,
                              "import errno, os, time\n"
                              "pids, err = [], None\n"
                              "try:\n"
                              "    for i in range(100000):\n"
                              "        pid = os.fork()\n"
                              "        if pid == 0:\n"
                              "            time.sleep(60)\n"
                              "            os._exit(0)\n"
                              "        pids.append(pid)\n"
                              "except OSError as e:\n"
                              "    err = errno.errorcode.get(e.errno, str(e.errno))\n"
                              "print('FORKED', len(pids))\nprint('ERROR', err)\n"
                              "for p in pids:\n    os.kill(p, 9)\n"
                              "for p in pids:\n    os.waitpid(p, 0)\n",
                              NULL);
    char *forked = tc_line_value(tc_stdout(r), "FORKED");
    ck_assert_ptr_nonnull(forked);
    ck_assert_msg(atoi(forked) >= 1 && atoi(forked) < 64, "forked %s processes, limit 64",
                  forked);
    free(forked);
    tc_expect_line(r, "ERROR", "EAGAIN");
    ci_result_free(r);

    r = tc_exec_ok(s,
                   "import threading\n"
                   "ev, threads, err = threading.Event(), [], None\n"
                   "try:\n"
                   "    for i in range(100000):\n"
                   "        t = threading.Thread(target=ev.wait)\n"
                   "        t.start()\n"
                   "        threads.append(t)\n"
                   "except RuntimeError as e:\n"
                   "    err = str(e)\n"
                   "print('THREADS', len(threads))\nprint('TERROR', err is not None)\n"
                   "ev.set()\n"
                   "for t in threads:\n    t.join()\n",
                   NULL);
    char *threads = tc_line_value(tc_stdout(r), "THREADS");
    ck_assert_ptr_nonnull(threads);
    ck_assert_msg(atoi(threads) >= 1 && atoi(threads) < 64, "started %s threads, limit 64",
                  threads);
    free(threads);
    tc_expect_line(r, "TERROR", "True");
    ci_result_free(r);

    /* the host and the library are fine */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ci_session *other = tc_session_new(NULL);
    r = tc_exec_ok(other, "print('ok')", NULL);
    ck_assert_str_eq(tc_stdout(r), "ok\n");
    ci_result_free(r);
    ci_session_destroy(other);
    ci_session_destroy(s);
}
END_TEST

START_TEST(kill_all_stays_inside)
{
    pid_t sentinel = fork();
    ck_assert_int_ge(sentinel, 0);
    if (sentinel == 0) {
        for (;;)
            pause();
    }
    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import os, signal\n"
                           "for pid in (-1, %d, %d):\n"
                           "    try:\n"
                           "        os.kill(pid, signal.SIGKILL)\n"
                           "    except OSError:\n"
                           "        pass\n"
                           "print('alive')\n",
                           (int)sentinel, (int)getpid());
    ci_result *r = NULL;
    int rc = ci_execute(s, code, NULL, &r);
    free(code);
    ck_assert_msg(rc == 0 || rc == CI_ECLOSED, "ci_execute: %s", ci_strerror(rc));
    ci_result_free(r);
    int status;
    ck_assert_msg(waitpid(sentinel, &status, WNOHANG) == 0,
                  "a host process was killed from inside the sandbox");
    kill(sentinel, SIGKILL);
    waitpid(sentinel, &status, 0);
    ci_session_destroy(s);
}
END_TEST

/* kill(-1) and a fork bomb from the JS runner stay inside */
START_TEST(js_processes_contained)
{
    pid_t sentinel = fork();
    ck_assert_int_ge(sentinel, 0);
    if (sentinel == 0) {
        for (;;)
            pause();
    }
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_max_processes(c, 64), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ci_exec_options *o = tc_js_options();
    ci_result *r = tc_exec_ok(s,
                              "const cp = require('child_process'); const kids = []; let err;\n"
                              "try { for (let i = 0; i < 500; i++) {\n"
                              "  const k = cp.spawn('sleep', ['60']);\n"
                              "  kids.push(k);\n"
                              "  await new Promise((ok, no) => { k.on('spawn', ok); k.on('error', no); });\n"
                              "} } catch (e) { err = e.code; }\n"
                              "console.log('SPAWNED', kids.length < 64);\n"
                              "console.log('ERROR', err);\n"
                              "for (const k of kids) k.kill('SIGKILL');\n",
                              o);
    tc_expect_line(r, "SPAWNED", "true");
    tc_expect_line(r, "ERROR", "EAGAIN");
    ci_result_free(r);

    char *code = tc_printf("for (const pid of [-1, %d, %d]) {\n"
                           "  try { process.kill(pid, 'SIGKILL'); } catch (e) {}\n"
                           "}\nconsole.log('alive');\n",
                           (int)sentinel, (int)getpid());
    r = NULL;
    int rc = ci_execute(s, code, o, &r);
    free(code);
    ck_assert_msg(rc == 0 || rc == CI_ECLOSED, "ci_execute: %s", ci_strerror(rc));
    ci_result_free(r);
    int status;
    ck_assert_msg(waitpid(sentinel, &status, WNOHANG) == 0,
                  "a host process was killed from the JS runner");
    kill(sentinel, SIGKILL);
    waitpid(sentinel, &status, 0);
    /* the session is usable again (kill -1 took its runner, not its init) */
    r = tc_exec_ok(s, "console.log('back')", o);
    ck_assert_str_eq(tc_stdout(r), "back\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(orphans_are_reaped)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s,
                              "import os, time\n"
                              "for i in range(50):\n"
                              "    if os.fork() == 0:\n"
                              "        if os.fork() == 0:\n"
                              "            os._exit(0)\n"
                              "        os._exit(0)\n"
                              "    os.wait()\n"
                              "time.sleep(1)\n"
                              "z = 0\n"
                              "for p in os.listdir('/proc'):\n"
                              "    if p.isdigit():\n"
                              "        try:\n"
                              "            z += open('/proc/%s/stat' % p).read().rsplit(')', 1)[1]"
                              ".split()[0] == 'Z'\n"
                              "        except OSError:\n"
                              "            pass\n"
                              "print('ZOMBIES', z)\n",
                              NULL);
    tc_expect_line(r, "ZOMBIES", "0");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------------ end of life */

START_TEST(nothing_survives_destroy)
{
    char hex[33];
    tc_random_hex(hex, 32);
    char *file = tc_printf("ws_%s.txt", hex);
    char *victim = tc_make_temp_dir("ci-victim");
    char *precious = tc_printf("%s/precious.txt", victim);
    tc_write_file(precious, "precious", 0644);
    chmod(victim, 0755);

    ci_session *s = tc_session_new(NULL);
    char *code = tc_printf("import os\n"
                           "os.makedirs('sub/deeper', exist_ok=True)\n"
                           "open('%s', 'w').write('x')\n"
                           "open('sub/deeper/f.txt', 'w').write('y')\n"
                           "os.symlink('%s', 'victim_dir_link')\n"
                           "os.symlink('%s', 'sub/victim_file_link')\n"
                           "os.symlink('/', 'sub/deeper/rootlink')\n"
                           "os.mkfifo('fifo')\n"
                           "os.chmod('sub', 0o500)\n"
                           "open('/tmp/%s', 'w').write('t')\n"
                           "for d in ('/dev/shm', '/var/tmp'):\n"
                           "    try:\n"
                           "        open(d + '/%s', 'w').write('s')\n"
                           "    except OSError:\n"
                           "        pass\n",
                           file, victim, precious, file, file);
    ci_result_free(tc_exec_ok(s, code, NULL));
    free(code);
    uid_t uid = tc_spawn_marked(s, hex);
    assert_session_uid(uid);

    const char *state = tc_state_dir();
    ck_assert_ptr_nonnull(state);
    char *host_path = tc_find_entry(state, file);
    ck_assert_msg(host_path != NULL, "the workspace file is not under the state dir %s", state);
    char *workspace = strdup(host_path);
    *strrchr(workspace, '/') = '\0';
    char *link = tc_printf("%s/victim_dir_link", workspace);
    struct stat st;
    ck_assert_msg(lstat(link, &st) == 0 && S_ISLNK(st.st_mode),
                  "the planted symlink is not in the host workspace %s", workspace);

    ci_session_destroy(s);
    ck_assert_msg(lstat(host_path, &st) != 0 && errno == ENOENT, "%s survived", host_path);
    ck_assert_msg(lstat(workspace, &st) != 0 && errno == ENOENT, "%s survived", workspace);
    ck_assert_msg(stat(precious, &st) == 0 && st.st_size == 8,
                  "cleanup followed a symlink into the host");
    ck_assert_msg(stat(victim, &st) == 0, "cleanup removed the host directory a link named");
    ck_assert_msg(tc_wait_marker_gone(hex, 5000) == 0, "a process survived destroy");
    ck_assert_msg(tc_wait_uid_gone(uid, 5000) == 0, "processes of uid %u remain",
                  (unsigned)uid);

    /* a new session starts clean */
    s = tc_session_new(NULL);
    code = tc_printf("import os\nprint('TMP', os.path.exists('/tmp/%s'))\n"
                     "print('SHM', os.path.exists('/dev/shm/%s'))\n"
                     "print('VARTMP', os.path.exists('/var/tmp/%s'))\n"
                     "print('WS', os.path.exists('/workspace/%s'))\n",
                     file, file, file, file);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    tc_expect_line(r, "TMP", "False");
    tc_expect_line(r, "SHM", "False");
    tc_expect_line(r, "VARTMP", "False");
    tc_expect_line(r, "WS", "False");
    ci_result_free(r);
    ci_session_destroy(s);

    tc_remove_tree(victim);
    free(link);
    free(workspace);
    free(host_path);
    free(precious);
    free(victim);
    free(file);
}
END_TEST

START_TEST(host_killed_takes_sandboxes_along)
{
    char marker[33];
    tc_random_hex(marker, 32);
    int ready[2];
    ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
    tc_state_dir();
    pid_t host = fork();
    ck_assert_int_ge(host, 0);
    if (host == 0) {
        /* a library user that dies without cleaning up */
        close(ready[0]);
        ci_session *sess = NULL;
        ci_result *res = NULL;
        char *code = tc_spawn_marker_code(marker);
        if (ci_session_create(NULL, &sess) != 0 || ci_execute(sess, code, NULL, &res) != 0 ||
            ci_result_status(res) != CI_STATUS_OK)
            _exit(1);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(ready[1]);
    char go = 0;
    ck_assert_msg(read(ready[0], &go, 1) == 1, "the host child could not start a session");
    close(ready[0]);
    uid_t uid = tc_wait_marked(marker);
    ck_assert_int_eq(kill(host, SIGKILL), 0);
    int status;
    ck_assert_int_eq(waitpid(host, &status, 0), host);
    ck_assert_msg(tc_wait_marker_gone(marker, 10000) == 0,
                  "a sandbox outlived the process that made it");
    if (geteuid() == 0)
        ck_assert_msg(tc_wait_uid_gone(uid, 10000) == 0, "processes of uid %u remain",
                      (unsigned)uid);
}
END_TEST

static int pid_alive(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char state = '?';
    int n = fscanf(f, "%*d %*s %c", &state);
    fclose(f);
    return n == 1 && state != 'Z' && state != 'X';
}

/* Host pid of a sandboxed process that carries `marker` in its argv. */
static pid_t find_by_cmdline(const char *marker)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    pid_t found = 0;
    while (d && (de = readdir(d)) != NULL) {
        char path[300];
        snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        char buf[512] = "";
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        for (size_t i = 0; i < n; i++)
            if (!buf[i])
                buf[i] = ' ';
        if (strstr(buf, marker))
            found = (pid_t)atoi(de->d_name);
    }
    if (d)
        closedir(d);
    return found;
}

START_TEST(host_sigkill_ends_sandbox_and_leftovers_are_swept)
{
    char marker[17];
    tc_random_hex(marker, 16);
    int pipefd[2];
    ck_assert_int_eq(pipe(pipefd), 0);
    pid_t host = fork();
    ck_assert_int_ge(host, 0);
    if (host == 0) {
        close(pipefd[0]);
        ci_session *s = NULL;
        ci_config *cfg = tc_config_new();
        if (ci_session_create(cfg, &s) != CI_OK)
            _exit(2);
        char *code = tc_printf("import subprocess, sys\n"
                               "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(1000)',"
                               " '%s'], start_new_session=True)\n", marker);
        ci_result *r = NULL;
        if (ci_execute(s, code, NULL, &r) != CI_OK || ci_result_status(r) != CI_STATUS_OK)
            _exit(3);
        dprintf(pipefd[1], "%s\n", ci_session_id(s));
        close(pipefd[1]);
        pause();
        _exit(0);
    }
    close(pipefd[1]);
    char id[64] = "";
    FILE *f = fdopen(pipefd[0], "r");
    ck_assert_msg(fgets(id, sizeof(id), f) != NULL, "the host child did not start its session");
    fclose(f);
    id[strcspn(id, "\n")] = '\0';

    pid_t sleeper = 0;
    for (int i = 0; i < 100 && !sleeper; i++, usleep(20000))
        sleeper = find_by_cmdline(marker);
    ck_assert_msg(sleeper > 0, "the sandboxed sleep is not visible from the host");
    const char *state = getenv("CODEINTERP_STATE_DIR");
    ck_assert(state != NULL);
    char *dir = tc_printf("%s/sessions/%s", state, id);
    struct stat st;
    ck_assert_int_eq(stat(dir, &st), 0);

    kill(host, SIGKILL);
    waitpid(host, NULL, 0);
    int alive = 1;
    for (int i = 0; i < 250 && alive; i++, usleep(20000))
        alive = pid_alive(sleeper);
    ck_assert_msg(!alive, "a sandbox process survived its host's SIGKILL");

    /* the directory is still there until someone sweeps it */
    ck_assert_int_eq(stat(dir, &st), 0);
    ci_session *s = tc_session_new(NULL);
    ck_assert_msg(stat(dir, &st) < 0, "the dead host's session dir %s was not swept", dir);
    ci_session_destroy(s);
    free(dir);
}
END_TEST

static Suite *processes_suite(void)
{
    Suite *s = suite_create("processes");
    TCase *tc;

    tc = tcase_create("containment");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, fork_bomb_contained);
    tcase_add_test(tc, kill_all_stays_inside);
    tcase_add_test(tc, js_processes_contained);
    tcase_add_test(tc, orphans_are_reaped);
    suite_add_tcase(s, tc);

    tc = tcase_create("destroy");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, nothing_survives_destroy);
    suite_add_tcase(s, tc);

    tc = tcase_create("host_crash");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, host_killed_takes_sandboxes_along);
    tcase_add_test(tc, host_sigkill_ends_sandbox_and_leftovers_are_swept);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(processes_suite());
}
