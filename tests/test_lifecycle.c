/* SPDX-License-Identifier: MIT */
/*
 * What happens to sandboxes when their host process dies without
 * destroying them: every sandbox process dies with it, and the next session
 * created on the same state dir removes what was left on disk.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_common.h"

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

int main(void)
{
    Suite *suite = suite_create("lifecycle");
    TCase *tc = tcase_create("host_crash");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, host_sigkill_ends_sandbox_and_leftovers_are_swept);
    suite_add_tcase(suite, tc);
    tc_require_runtime();
    return tc_run_suite(suite);
}
