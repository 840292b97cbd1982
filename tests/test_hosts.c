/* SPDX-License-Identifier: MIT */
/* Suite 'hosts': the library on hosts with less than a root host has. An
 * unprivileged host user (no cgroups, no loop-mounted workspace) still gets
 * the same sandbox; a host whose user namespaces are off gets a refusal that
 * says why, not a half-built sandbox. */
#include "test_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Writes a message for the parent and exits with 1. */
static void child_fail(int fd, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0 && write(fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
        _exit(2);
    _exit(1);
}

static void copy_file(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(in >= 0, "open %s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    ck_assert_msg(out >= 0, "create %s: %s", to, strerror(errno));
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        ck_assert_int_eq(write(out, buf, (size_t)n), n);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(fchmod(out, mode), 0);
    close(in);
    close(out);
}

static void copy_tree(const char *from, const char *to)
{
    ck_assert_int_eq(mkdir(to, 0755), 0);
    DIR *d = opendir(from);
    ck_assert_msg(d != NULL, "opendir %s: %s", from, strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *src = tc_printf("%s/%s", from, e->d_name);
        char *dst = tc_printf("%s/%s", to, e->d_name);
        struct stat st;
        ck_assert_int_eq(stat(src, &st), 0);
        if (S_ISDIR(st.st_mode))
            copy_tree(src, dst);
        else if (S_ISREG(st.st_mode))
            copy_file(src, dst, 0644);
        free(src);
        free(dst);
    }
    closedir(d);
}

static const char *required_env(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v && *v, "%s is not set (run through meson test)", name);
    return v;
}

START_TEST(unprivileged_user)
{
    const uid_t nobody = 65534;
    char *base = tc_make_temp_dir("ci-unpriv");
    ck_assert_int_eq(chmod(base, 0755), 0);
    char *helper = tc_printf("%s/codeinterp-sandbox", base);
    char *kernels = tc_printf("%s/kernels", base);
    char *state = tc_printf("%s/state", base);
    copy_file(required_env("CODEINTERP_HELPER"), helper, 0755);
    copy_tree(required_env("CODEINTERP_KERNEL_DIR"), kernels);
    ck_assert_int_eq(mkdir(state, 0700), 0);
    ck_assert_int_eq(chown(state, nobody, nobody), 0);

    int pipefd[2];
    ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int out = pipefd[1];
        close(pipefd[0]);
        if (chdir(base) != 0)
            child_fail(out, "chdir: %s", strerror(errno));
        if (setgroups(0, NULL) != 0 || setresgid(nobody, nobody, nobody) != 0 ||
            setresuid(nobody, nobody, nobody) != 0)
            child_fail(out, "cannot drop to uid %u: %s", (unsigned)nobody, strerror(errno));
        if (setuid(0) == 0 || getuid() != nobody)
            child_fail(out, "privileges were not dropped");
        char *python = tc_printf("%s/python/bin/python3", tc_runtime_dir());
        if (access(python, X_OK) != 0)
            child_fail(out, "the runtime %s is not usable by uid %u", python,
                       (unsigned)nobody);
        ci_config *c = NULL;
        /* an unprivileged host can neither write cgroups nor loop-mount a
         * capped workspace: rlimits and a plain directory, which the header
         * says the caller must accept explicitly */
        if (ci_config_new(&c) != 0 || ci_config_set_helper_path(c, helper) != 0 ||
            ci_config_set_kernel_dir(c, kernels) != 0 || ci_config_set_state_dir(c, state) != 0 ||
            ci_config_set_cgroup_mode(c, CI_CGROUP_NONE) != 0 ||
            ci_config_set_workspace_size(c, 0) != 0)
            child_fail(out, "config: %s", ci_last_error());
        ci_session *s = NULL;
        int rc = ci_session_create(c, &s);
        if (rc != 0)
            child_fail(out, "ci_session_create as uid %u: %s: %s", (unsigned)nobody,
                       ci_strerror(rc), ci_last_error());
        ci_result *r = NULL;
        rc = ci_execute(s,
                        "import os\nprint(os.getuid())\n"
                        "open('/workspace/unpriv_probe.txt', 'w').write('unpriv')\n"
                        "print(open('unpriv_probe.txt').read())\n"
                        "print([l.split()[1] for l in open('/proc/self/status')"
                        " if l.split(':')[0] in ('CapEff', 'Seccomp', 'NoNewPrivs')])\n",
                        NULL, &r);
        if (rc != 0)
            child_fail(out, "ci_execute: %s: %s", ci_strerror(rc), ci_session_last_error(s));
        size_t len;
        const char *text = ci_result_stdout(r, &len);
        if (ci_result_status(r) != CI_STATUS_OK ||
            strcmp(text, "1000\nunpriv\n['0000000000000000', '1', '2']\n") != 0) {
            const char *err = ci_result_stderr(r, &len);
            child_fail(out, "status %s, stdout:\n%s\nstderr:\n%s",
                       ci_status_name(ci_result_status(r)), text, err);
        }
        char *host_file = tc_find_entry(state, "unpriv_probe.txt");
        struct stat st;
        if (!host_file || stat(host_file, &st) != 0)
            child_fail(out, "the workspace file is not under %s", state);
        if (st.st_uid != nobody)
            child_fail(out, "the workspace file belongs to host uid %u", (unsigned)st.st_uid);
        ci_result_free(r);
        ci_session_destroy(s);
        if (stat(host_file, &st) == 0)
            child_fail(out, "%s survived destroy", host_file);
        ci_config_free(c);
        if (write(out, "OK", 2) != 2)
            _exit(2);
        _exit(0);
    }
    close(pipefd[1]);
    char *msg = tc_read_fd(pipefd[0]);
    close(pipefd[0]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0 && strcmp(msg, "OK") == 0,
                  "unprivileged session: %s", msg);
    free(msg);
    tc_remove_tree(base);
    free(helper);
    free(kernels);
    free(state);
    free(base);
}
END_TEST

static int read_int_file(const char *path)
{
    char buf[64] = "";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_gt(read(fd, buf, sizeof buf - 1), 0);
    close(fd);
    return atoi(buf);
}

static int write_file_at(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    close(fd);
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

START_TEST(userns_disabled_is_reported)
{
    /* A child in its own user namespace (mapped to the same ids, so it keeps
     * its powers over host files) sets that namespace's max_user_namespaces
     * to 0: nothing it starts can create a user namespace, the host's limit
     * is untouched. Then the library must refuse to create a session and
     * say why. */
    const char *host_limit_path = "/proc/sys/user/max_user_namespaces";
    int host_limit = read_int_file(host_limit_path);
    ck_assert_msg(host_limit > 0, "user namespaces are already off on this host");
    char *state = tc_make_temp_dir("ci-nouserns");

    int up[2], down[2];
    ck_assert_int_eq(pipe2(up, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(down, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        int out = up[1];
        if (unshare(CLONE_NEWUSER) != 0)
            child_fail(out, "SETUP unshare(CLONE_NEWUSER): %s", strerror(errno));
        char go;
        if (write(out, "u", 1) != 1 || read(down[0], &go, 1) != 1 || go != 'm')
            child_fail(out, "SETUP the parent did not map the namespace");
        if (write_file_at("/proc/sys/user/max_user_namespaces", "0\n") != 0)
            child_fail(out, "SETUP cannot lower max_user_namespaces: %s", strerror(errno));
        pid_t probe = fork();
        if (probe == 0)
            _exit(unshare(CLONE_NEWUSER) == 0 ? 1 : errno == ENOSPC ? 0 : 2);
        int st;
        if (probe < 0 || waitpid(probe, &st, 0) != probe || !WIFEXITED(st) ||
            WEXITSTATUS(st) != 0)
            child_fail(out, "SETUP user namespaces are still possible after the limit");

        ci_config *c = NULL;
        /* This child is root only inside its own user namespace, so the
         * layers a real root host has (cgroups, the loop-mounted workspace)
         * cannot work here either: leave them out, so the user namespace is
         * the first layer to fail, as it would be on a real host. */
        if (ci_config_new(&c) != 0 || ci_config_set_state_dir(c, state) != 0 ||
            ci_config_set_cgroup_mode(c, CI_CGROUP_NONE) != 0 ||
            ci_config_set_workspace_size(c, 0) != 0)
            child_fail(out, "config: %s", ci_last_error());
        ci_session *s = NULL;
        int rc = ci_session_create(c, &s);
        char msg[1024];
        snprintf(msg, sizeof msg, "%d %s", rc, ci_last_error());
        if (rc == 0)
            ci_session_destroy(s);
        ci_config_free(c);
        if (write(out, msg, strlen(msg)) < 0)
            _exit(2);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    char ready = 0;
    ck_assert_int_eq(read(up[0], &ready, 1), 1);
    ck_assert_msg(ready == 'u', "child could not unshare");
    char path[64], map[64];
    if (geteuid() == 0) {
        snprintf(map, sizeof map, "0 0 4294967295\n");
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        ck_assert_int_eq(write_file_at(path, map), 0);
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        ck_assert_int_eq(write_file_at(path, map), 0);
    } else {
        snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
        ck_assert_int_eq(write_file_at(path, "deny"), 0);
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getuid());
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        ck_assert_int_eq(write_file_at(path, map), 0);
        snprintf(map, sizeof map, "0 %u 1\n", (unsigned)getgid());
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        ck_assert_int_eq(write_file_at(path, map), 0);
    }
    ck_assert_int_eq(write(down[1], "m", 1), 1);
    char *msg = tc_read_fd(up[0]);
    close(up[0]);
    close(down[1]);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert_int_eq(read_int_file(host_limit_path), host_limit);
    ck_assert_msg(strncmp(msg, "SETUP", 5) != 0, "cannot build the test situation: %s", msg);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child: %s", msg);
    int rc = atoi(msg);
    ck_assert_msg(rc == CI_ESANDBOX, "without user namespaces: %s", msg);
    ck_assert_msg(strcasestr(msg, "user namespace") != NULL,
                  "the message does not name the user namespace: %s", msg);
    free(msg);
    tc_remove_tree(state);
    free(state);
}
END_TEST

static Suite *hosts_suite(void)
{
    Suite *s = suite_create("hosts");
    TCase *tc;

    tc = tcase_create("unprivileged");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, unprivileged_user);
    suite_add_tcase(s, tc);

    tc = tcase_create("no_userns");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, userns_disabled_is_reported);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(hosts_suite());
}
