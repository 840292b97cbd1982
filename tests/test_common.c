/* SPDX-License-Identifier: MIT */
#include "test_common.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#ifndef TC_SOURCE_DIR
#error "TC_SOURCE_DIR must name the tests/ source directory"
#endif

int tc_run_suite(Suite *suite)
{
    SRunner *runner = srunner_create(suite);
    /* CK_FORK_GETENV: fork mode unless CK_FORK=no (valgrind, gdb). */
    srunner_set_fork_status(runner, CK_FORK_GETENV);
    srunner_run_all(runner, CK_ENV);
    int run = srunner_ntests_run(runner);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    if (run == 0) {
        const char *only = getenv("CK_RUN_CASE");
        fprintf(stderr, "no test ran (CK_RUN_CASE=%s): a case name is wrong\n",
                only ? only : "(unset)");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}

const char *tc_runtime_dir(void)
{
    const char *dir = getenv("CODEINTERP_RUNTIME_DIR");
    return dir && *dir ? dir : "/opt/codeinterp";
}

void tc_require_runtime(void)
{
    char *python = tc_printf("%s/python/bin/python3", tc_runtime_dir());
    int ok = access(python, X_OK) == 0;
    if (!ok) {
        printf("SKIP: no runtime environment (%s is missing)\n", python);
        free(python);
        exit(TC_EXIT_SKIP);
    }
    free(python);
}

int tc_case_can_run(const char *name, int can_run, const char *why)
{
    if (can_run)
        return 1;
    const char *only = getenv("CK_RUN_CASE");
    if (only && strcmp(only, name) != 0)
        return 0; /* another case was asked for */
    printf("SKIP: case %s: %s\n", name, why);
    if (only)
        exit(TC_EXIT_SKIP);
    return 0;
}

const char *tc_state_dir(void)
{
    const char *dir = getenv("CODEINTERP_STATE_DIR");
    if (!dir || !*dir)
        return NULL;
    /* The library owns the layout inside; the tests only make sure the
     * directory they point it at exists, like an installer would. */
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        ck_abort_msg("cannot create state dir %s: %s", dir, strerror(errno));
    return dir;
}

ci_config *tc_config_new(void)
{
    ci_config *config = NULL;
    tc_state_dir();
    int rc = ci_config_new(&config);
    ck_assert_msg(rc == 0, "ci_config_new: %s: %s", ci_strerror(rc), ci_last_error());
    ck_assert_ptr_nonnull(config);
    /* A delegated cgroup v2 parent for the sessions (scripts/test-vm: the
     * tests run in a leaf, which cannot enable controllers for children). */
    const char *parent = getenv("CODEINTERP_TEST_CGROUP_PARENT");
    if (parent && *parent)
        ck_assert_int_eq(ci_config_set_cgroup_parent(config, parent), 0);
    return config;
}

ci_session *tc_session_new(const ci_config *config)
{
    ci_config *own = NULL;
    if (!config)
        config = own = tc_config_new();
    ci_session *session = NULL;
    int rc = ci_session_create(config, &session);
    ci_config_free(own);
    ck_assert_msg(rc == 0, "ci_session_create: %s: %s", ci_strerror(rc), ci_last_error());
    ck_assert_ptr_nonnull(session);
    return session;
}

ci_session *tc_session_memory_limited(uint64_t bytes)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_memory_limit, bytes);
    if (ci_session_limits_mode(s) == CI_CGROUP_NONE) {
        ci_session_destroy(s);
        return NULL;
    }
    return s;
}

ci_exec_options *tc_options_new(uint64_t timeout_ms)
{
    ci_exec_options *options = NULL;
    ck_assert_int_eq(ci_exec_options_new(&options), 0);
    ck_assert_int_eq(ci_exec_options_set_language(options, CI_LANGUAGE_PYTHON), 0);
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(options,
                         timeout_ms ? timeout_ms : TC_EXEC_TIMEOUT_MS), 0);
    return options;
}

ci_exec_options *tc_js_options(void)
{
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_JAVASCRIPT), 0);
    return o;
}

/* Runs `text` as a cell (shell 0: ci_execute(), default options
 * tc_options_new(0)) or as a command (shell 1: ci_execute_command(), default
 * options tc_sh_options(0)); fails the test unless the call returned 0. */
static ci_result *run_checked(ci_session *session, const char *text,
                              const ci_exec_options *options, int shell)
{
    ci_exec_options *own = NULL;
    if (!options)
        options = own = shell ? tc_sh_options(0) : tc_options_new(0);
    ci_result *result = NULL;
    int rc = shell ? ci_execute_command(session, text, options, &result)
                   : ci_execute(session, text, options, &result);
    ci_exec_options_free(own);
    ck_assert_msg(rc == 0, "%s: %s: %s\n--- %s ---\n%s",
                  shell ? "ci_execute_command" : "ci_execute", ci_strerror(rc),
                  ci_session_last_error(session), shell ? "command" : "code", text);
    ck_assert_ptr_nonnull(result);
    return result;
}

ci_result *tc_exec(ci_session *session, const char *code, const ci_exec_options *options)
{
    return run_checked(session, code, options, 0);
}

const char *tc_stdout(const ci_result *result)
{
    size_t len = 0;
    const char *text = ci_result_stdout(result, &len);
    ck_assert_ptr_nonnull(text);
    return text;
}

const char *tc_stderr(const ci_result *result)
{
    size_t len = 0;
    const char *text = ci_result_stderr(result, &len);
    ck_assert_ptr_nonnull(text);
    return text;
}

void tc_expect_streams(const ci_result *r, const char *out, const char *err)
{
    ck_assert_str_eq(tc_stdout(r), out);
    ck_assert_str_eq(tc_stderr(r), err);
    ck_assert_int_eq(ci_result_stdout_truncated(r), 0);
    ck_assert_int_eq(ci_result_stderr_truncated(r), 0);
}

void tc_expect_stdout_bytes(const ci_result *r, const void *want, size_t len)
{
    size_t got = 0;
    const char *out = ci_result_stdout(r, &got);
    ck_assert_uint_eq(got, len);
    ck_assert_int_eq(memcmp(out, want, len), 0);
}

static const char *or_none(const char *s)
{
    return s ? s : "(null)";
}

void tc_assert_status(const ci_result *result, ci_status want)
{
    ci_status got = ci_result_status(result);
    ck_assert_msg(got == want,
                  "status %s (exit %d), wanted %s\nerror: %s: %s\n%s\n--- stdout ---\n%s"
                  "\n--- stderr ---\n%s",
                  or_none(ci_status_name(got)), ci_result_exit_code(result),
                  or_none(ci_status_name(want)), or_none(ci_result_error_name(result)),
                  or_none(ci_result_error_value(result)),
                  or_none(ci_result_error_traceback(result)), tc_stdout(result),
                  tc_stderr(result));
}

ci_result *tc_exec_ok(ci_session *session, const char *code, const ci_exec_options *options)
{
    ci_result *result = tc_exec(session, code, options);
    tc_assert_status(result, CI_STATUS_OK);
    return result;
}

char *tc_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    int n = vasprintf(&out, fmt, ap);
    va_end(ap);
    if (n < 0)
        abort();
    return out;
}

char *tc_load_probe(const char *name, const char *prelude)
{
    char *path = tc_printf("%s/probes/%s", TC_SOURCE_DIR, name);
    FILE *f = fopen(path, "re");
    ck_assert_msg(f != NULL, "cannot open %s: %s", path, strerror(errno));
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long size = ftell(f);
    ck_assert_int_ge(size, 0);
    rewind(f);
    size_t pre = prelude ? strlen(prelude) : 0;
    char *text = malloc(pre + (size_t)size + 2);
    ck_assert_ptr_nonnull(text);
    if (pre)
        memcpy(text, prelude, pre);
    text[pre] = '\n';
    size_t got = fread(text + pre + 1, 1, (size_t)size, f);
    ck_assert_int_eq(got, (size_t)size);
    text[pre + 1 + got] = '\0';
    fclose(f);
    free(path);
    return text;
}

/* Runs the probe `file` after `prelude` as run_checked() does. */
static ci_result *run_probe(ci_session *s, const char *file, const char *prelude,
                            const ci_exec_options *o, int shell)
{
    char *text = tc_load_probe(file, prelude);
    ci_result *r = run_checked(s, text, o, shell);
    free(text);
    return r;
}

ci_result *tc_run_probe(ci_session *s, const char *file, const char *prelude,
                        const ci_exec_options *o)
{
    return run_probe(s, file, prelude, o, 0);
}

void tc_expect_probe_done(const ci_result *r)
{
    tc_assert_status(r, CI_STATUS_OK);
    const char *out = tc_stdout(r);
    ck_assert_msg(strncmp(out, "DONE\n", 5) == 0 || strstr(out, "\nDONE\n"),
                  "the probe did not finish:\n%s\n--- stderr ---\n%s", out, tc_stderr(r));
}

void tc_expect_probe_clean(const ci_result *r)
{
    tc_expect_probe_done(r);
    const char *out = tc_stdout(r);
    ck_assert_msg(strncmp(out, "LEAK", 4) != 0 && !strstr(out, "\nLEAK"), "leak:\n%s", out);
}

void tc_random_hex(char *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[64];
    ck_assert_uint_le(len, sizeof raw);
    ck_assert_int_eq(getrandom(raw, len, 0), (ssize_t)len);
    for (size_t i = 0; i < len; i++)
        buf[i] = digits[raw[i] & 15];
    buf[len] = '\0';
}

double tc_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

char *tc_make_temp_dir(const char *prefix)
{
    char *templ = tc_printf("/tmp/%s-XXXXXX", prefix);
    ck_assert_msg(mkdtemp(templ) != NULL, "mkdtemp: %s", strerror(errno));
    return templ;
}

static void remove_at(int parent, const char *name)
{
    if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
        return;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return;
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        remove_at(dirfd(dir), e->d_name);
    }
    closedir(dir);
    unlinkat(parent, name, AT_REMOVEDIR);
}

void tc_remove_tree(const char *path)
{
    if (path)
        remove_at(AT_FDCWD, path);
}

void tc_write_file(const char *path, const char *data, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
    size_t len = strlen(data);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    close(fd);
}

/* Reads a small /proc file into buf; returns the length or -1. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t total = 0;
    while (total < size - 1) {
        ssize_t n = read(fd, buf + total, size - 1 - total);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    close(fd);
    buf[total] = '\0';
    return (ssize_t)total;
}

static int is_pid_name(const char *name)
{
    if (!*name)
        return 0;
    for (const char *p = name; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return 1;
}

/* Real uid and state letter of a host process; 0 on success. */
static int proc_status(const char *pid, uid_t *uid, char *state)
{
    char path[300], buf[4096];
    snprintf(path, sizeof path, "/proc/%s/status", pid);
    if (read_small(path, buf, sizeof buf) < 0)
        return -1;
    const char *u = strstr(buf, "\nUid:");
    const char *s = strstr(buf, "\nState:");
    if (!u || !s)
        return -1;
    *uid = (uid_t)strtoul(u + 5, NULL, 10);
    s += 7;
    while (*s == ' ' || *s == '\t')
        s++;
    *state = *s;
    return 0;
}

size_t tc_find_marker_procs(const char *marker, pid_t *pids, size_t max, uid_t *uid)
{
    DIR *proc = opendir("/proc");
    ck_assert_ptr_nonnull(proc);
    size_t found = 0;
    struct dirent *e;
    static char buf[65536];
    while ((e = readdir(proc)) != NULL) {
        if (!is_pid_name(e->d_name))
            continue;
        char path[300];
        snprintf(path, sizeof path, "/proc/%s/cmdline", e->d_name);
        ssize_t len = read_small(path, buf, sizeof buf);
        if (len <= 0)
            continue;
        for (ssize_t off = 0; off < len; off += (ssize_t)strlen(buf + off) + 1) {
            if (strcmp(buf + off, marker) != 0)
                continue;
            if (found < max && pids)
                pids[found] = (pid_t)strtol(e->d_name, NULL, 10);
            if (found == 0 && uid) {
                char state;
                if (proc_status(e->d_name, uid, &state) != 0)
                    *uid = (uid_t)-1;
            }
            found++;
            break;
        }
    }
    closedir(proc);
    return found;
}

size_t tc_wait_marker_gone(const char *marker, int timeout_ms)
{
    double end = tc_now_ms() + timeout_ms;
    for (;;) {
        size_t n = tc_find_marker_procs(marker, NULL, 0, NULL);
        if (n == 0 || tc_now_ms() > end)
            return n;
        usleep(50 * 1000);
    }
}

size_t tc_count_uid_procs(uid_t uid)
{
    DIR *proc = opendir("/proc");
    ck_assert_ptr_nonnull(proc);
    size_t found = 0;
    struct dirent *e;
    while ((e = readdir(proc)) != NULL) {
        if (!is_pid_name(e->d_name))
            continue;
        uid_t u;
        char state;
        if (proc_status(e->d_name, &u, &state) == 0 && u == uid && state != 'Z' &&
            state != 'X')
            found++;
    }
    closedir(proc);
    return found;
}

size_t tc_wait_uid_gone(uid_t uid, int timeout_ms)
{
    double end = tc_now_ms() + timeout_ms;
    for (;;) {
        size_t n = tc_count_uid_procs(uid);
        if (n == 0 || tc_now_ms() > end)
            return n;
        usleep(50 * 1000);
    }
}

static char *find_at(int parent, const char *path, const char *name, int depth)
{
    if (depth > 32)
        return NULL;
    int fd = openat(parent, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *dir = fdopendir(fd);
    if (!dir) {
        close(fd);
        return NULL;
    }
    char *hit = NULL;
    struct dirent *e;
    while (!hit && (e = readdir(dir)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (strcmp(e->d_name, name) == 0) {
            hit = tc_printf("%s/%s", path, e->d_name);
            break;
        }
        if (e->d_type == DT_DIR || e->d_type == DT_UNKNOWN) {
            char *sub = tc_printf("%s/%s", path, e->d_name);
            hit = find_at(parent, sub, name, depth + 1);
            free(sub);
        }
    }
    closedir(dir);
    return hit;
}

char *tc_find_entry(const char *root, const char *name)
{
    return find_at(AT_FDCWD, root, name, 0);
}

char *tc_spawn_marker_code(const char *marker)
{
    return tc_printf(
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True: time.sleep(1)',"
        " '%s'], start_new_session=True, stdin=subprocess.DEVNULL,"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(p.pid)\n",
        marker);
}

/* The rest of the first stdout line starting with "key " (malloc'd), or
 * NULL. */
char *tc_line_value(const char *text, const char *key)
{
    size_t klen = strlen(key);
    for (const char *line = text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len >= klen + 1 && strncmp(line, key, klen) == 0 && line[klen] == ' ')
            return strndup(line + klen + 1, len - klen - 1);
        if (len == klen && strncmp(line, key, klen) == 0)
            return strdup("");
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

/* Asserts the line "key value" is in the output. */
void tc_expect_line(const ci_result *r, const char *key, const char *value)
{
    char *got = tc_line_value(tc_stdout(r), key);
    ck_assert_msg(got != NULL, "no \"%s\" line in:\n%s\n--- stderr ---\n%s", key,
                  tc_stdout(r), tc_stderr(r));
    ck_assert_msg(strcmp(got, value) == 0, "%s: got \"%s\", wanted \"%s\"", key, got, value);
    free(got);
}

void tc_expect_line_not(const ci_result *r, const char *key, const char *bad)
{
    char *got = tc_line_value(tc_stdout(r), key);
    ck_assert_msg(got != NULL, "no \"%s\" line in:\n%s\n--- stderr ---\n%s", key,
                  tc_stdout(r), tc_stderr(r));
    ck_assert_msg(strncmp(got, bad, strlen(bad)) != 0, "%s: %s", key, got);
    free(got);
}

/* tc_expect_line() (negate 0) or tc_expect_line_not() (negate 1) of the
 * line "<prefix> <name>" ("<name>" for prefix NULL) of each name. */
static void expect_each(const ci_result *r, const char *prefix, const char *const *names,
                        size_t n, const char *value, int negate)
{
    for (size_t i = 0; i < n; i++) {
        char *key = prefix ? tc_printf("%s %s", prefix, names[i]) : strdup(names[i]);
        ck_assert_ptr_nonnull(key);
        if (negate)
            tc_expect_line_not(r, key, value);
        else
            tc_expect_line(r, key, value);
        free(key);
    }
}

void tc_expect_lines(const ci_result *r, const char *prefix, const char *const *names, size_t n,
                     const char *value)
{
    expect_each(r, prefix, names, n, value, 0);
}

void tc_expect_lines_not(const ci_result *r, const char *prefix, const char *const *names,
                         size_t n, const char *bad)
{
    expect_each(r, prefix, names, n, bad, 1);
}

int tc_one_of(const char *value, const char *words)
{
    size_t n = strlen(value);
    for (const char *w = words; w;) {
        const char *bar = strchr(w, '|');
        size_t len = bar ? (size_t)(bar - w) : strlen(w);
        if (len == n && strncmp(w, value, n) == 0)
            return 1;
        w = bar ? bar + 1 : NULL;
    }
    return 0;
}

void tc_expect_one_of(const ci_result *r, const char *key, const char *words)
{
    char *got = tc_line_value(tc_stdout(r), key);
    ck_assert_msg(got != NULL, "no \"%s\" line in:\n%s\n--- stderr ---\n%s", key, tc_stdout(r),
                  tc_stderr(r));
    ck_assert_msg(tc_one_of(got, words), "%s: got \"%s\", wanted one of %s", key, got, words);
    free(got);
}

/* ------------------------------------------------------ refused calls */

uint64_t tc_denied_times(const ci_result *r, const char *name)
{
    for (size_t i = 0; i < ci_result_denied_syscall_count(r); i++)
        if (strcmp(ci_result_denied_syscall_name(r, i), name) == 0)
            return ci_result_denied_syscall_times(r, i);
    return 0;
}

/* " name(xN)" for every refused call of the result (free()). */
static char *denied_list(const ci_result *r)
{
    char *all = strdup("");
    for (size_t i = 0; i < ci_result_denied_syscall_count(r); i++) {
        char *next = tc_printf("%s %s(x%llu)", all, ci_result_denied_syscall_name(r, i),
                               (unsigned long long)ci_result_denied_syscall_times(r, i));
        free(all);
        all = next;
    }
    return all;
}

void tc_expect_denied(const ci_result *r, const char *name)
{
    if (tc_denied_times(r, name) == 0) {
        char *all = denied_list(r);
        ck_abort_msg("the result does not report %s as refused; it reports:%s", name, all);
    }
}

void tc_expect_no_denials(const ci_result *r)
{
    char *all = denied_list(r);
    ck_assert_msg(ci_result_denied_syscall_count(r) == 0, "refused calls reported:%s", all);
    free(all);
}

/* ------------------------------------------------------- host process */

long tc_self_status_kib(const char *field)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    ck_assert_int_gt(n, 0);
    buf[n] = '\0';
    const char *at = strstr(buf, field);
    ck_assert_ptr_nonnull(at);
    return strtol(at + strlen(field), NULL, 10);
}

uid_t tc_wait_marked(const char *marker)
{
    uid_t uid = (uid_t)-1;
    double give_up = tc_now_ms() + 5000.0;
    while (tc_find_marker_procs(marker, NULL, 0, &uid) == 0 && tc_now_ms() < give_up)
        usleep(50000);
    ck_assert_msg(tc_find_marker_procs(marker, NULL, 0, &uid) == 1,
                  "marked process %s not visible from the host", marker);
    return uid;
}

uid_t tc_spawn_marked(ci_session *s, const char *marker)
{
    char *code = tc_spawn_marker_code(marker);
    ci_result_free(tc_exec_ok(s, code, NULL));
    free(code);
    return tc_wait_marked(marker);
}

/* ---------------------------------------------------------- listeners */

static int listen_inet(int family, int *port)
{
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_storage ss = {0};
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    }
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 8) != 0) {
        close(fd);
        return -1;
    }
    len = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &len);
    *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
    return fd;
}

static int listen_unix(const char *name, int abstract)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(name);
    ck_assert_uint_lt(n + 1, sizeof a.sun_path);
    memcpy(a.sun_path + (abstract ? 1 : 0), name, n);
    /* path: name + NUL; abstract: leading NUL + name */
    socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, len), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    if (!abstract)
        chmod(name, 0777);
    return fd;
}

void tc_listeners_open(struct tc_listeners *l)
{
    char hex[17];
    tc_random_hex(hex, 16);
    l->tcp4 = listen_inet(AF_INET, &l->port4);
    ck_assert_int_ge(l->tcp4, 0);
    l->tcp6 = listen_inet(AF_INET6, &l->port6);
    if (l->tcp6 < 0)
        l->port6 = 0;
    snprintf(l->path, sizeof l->path, "/tmp/ci-unix-%s.sock", hex);
    snprintf(l->abstract, sizeof l->abstract, "ci-abstract-%s", hex);
    l->unix_path = listen_unix(l->path, 0);
    l->unix_abstract = listen_unix(l->abstract, 1);

    /* control: the host itself reaches the TCP listener */
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)l->port4),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    int accepted = accept4(l->tcp4, NULL, NULL, SOCK_CLOEXEC);
    ck_assert_int_ge(accepted, 0);
    close(accepted);
    close(c);
}

int tc_pending(int fd)
{
    if (fd < 0)
        return 0;
    ck_assert_int_eq(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    int n = 0, c;
    while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
        close(c);
        n++;
    }
    return n;
}

void tc_listeners_close(struct tc_listeners *l)
{
    close(l->tcp4);
    if (l->tcp6 >= 0)
        close(l->tcp6);
    close(l->unix_path);
    close(l->unix_abstract);
    unlink(l->path);
}

/* ------------------------------------------------- files of a session */

char *tc_read_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ck_assert_ptr_nonnull(buf);
    for (;;) {
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            ck_assert_ptr_nonnull(buf);
        }
        ssize_t n = read(fd, buf + len, cap - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

char *tc_read_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *text = tc_read_fd(fd);
    close(fd);
    return text;
}

void tc_assert_host_file(const char *path, const char *want)
{
    char *got = tc_read_file(path);
    ck_assert_msg(got != NULL, "host file %s is gone: %s", path, strerror(errno));
    ck_assert_msg(strcmp(got, want) == 0, "host file %s changed: \"%s\"", path, got);
    free(got);
}

void tc_expect_rc(int rc, int want, const char *what)
{
    ck_assert_msg(rc == want, "%s: got %d (%s: %s), want %d (%s)", what, rc, ci_strerror(rc),
                  ci_last_error(), want, ci_strerror(want));
}

/* The names listed in `dir`, as "a,b,c" (free()). */
static char *names_in(ci_session *s, const char *dir)
{
    ci_file_list *list = NULL;
    int rc = ci_list_files(s, dir, &list);
    ck_assert_msg(rc == 0, "ci_list_files(%s): %s", dir ? dir : "(null)", ci_last_error());
    char *out = strdup("");
    for (size_t i = 0; i < ci_file_list_count(list); i++) {
        char *next = tc_printf("%s%s%s", out, i ? "," : "", ci_file_list_name(list, i));
        free(out);
        out = next;
    }
    ci_file_list_free(list);
    return out;
}

void tc_assert_names(ci_session *s, const char *dir, const char *want)
{
    char *got = names_in(s, dir);
    ck_assert_msg(strcmp(got, want) == 0, "listing %s: got \"%s\", want \"%s\"",
                  dir ? dir : "/workspace", got, want);
    free(got);
}

/* Runs `text` as run_checked() does, requires CI_STATUS_OK and asserts its
 * stdout is `want`. */
static void assert_output(ci_session *s, const char *text, const ci_exec_options *options,
                          const char *want, int shell)
{
    ci_result *r = run_checked(s, text, options, shell);
    tc_assert_status(r, CI_STATUS_OK);
    char *out = strdup(tc_stdout(r));
    ci_result_free(r);
    ck_assert_msg(strcmp(out, want) == 0, "%s printed \"%s\", want \"%s\"\n--- %s ---\n%s",
                  shell ? "the command" : "the cell", out, want, shell ? "command" : "code",
                  text);
    free(out);
}

void tc_assert_py(ci_session *s, const char *code, const char *want)
{
    assert_output(s, code, NULL, want, 0);
}

void tc_assert_exec(ci_session *s, const char *code, const ci_exec_options *options,
                    const char *want)
{
    assert_output(s, code, options, want, 0);
}

void tc_assert_cmd(ci_session *s, const char *command, const ci_exec_options *options,
                   const char *want)
{
    assert_output(s, command, options, want, 1);
}

cJSON *tc_invoke(ci_session *s, const char *request)
{
    char *out = NULL;
    int rc = ci_invoke_json(s, request, &out);
    ck_assert_msg(rc == 0, "ci_invoke_json: %s", ci_last_error());
    cJSON *answer = cJSON_Parse(out);
    ck_assert_msg(answer != NULL, "invoke answered invalid JSON: %.300s", out);
    ci_free(out);
    return answer;
}

int tc_invoke_is_error(const cJSON *answer)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "isError"));
}

const char *tc_invoke_text(const cJSON *answer)
{
    const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(answer, "content"), 0);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "text");
    return cJSON_IsString(t) ? t->valuestring : "(no text)";
}

/* ------------------------------------------------------ shell commands */

ci_exec_options *tc_sh_options(uint64_t timeout_ms)
{
    ci_exec_options *o = tc_options_new(timeout_ms);
    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_SHELL), 0);
    return o;
}

ci_result *tc_cmd(ci_session *s, const char *command, const ci_exec_options *options)
{
    return run_checked(s, command, options, 1);
}

ci_result *tc_cmd_ok(ci_session *s, const char *command, const ci_exec_options *options)
{
    ci_result *result = tc_cmd(s, command, options);
    tc_assert_status(result, CI_STATUS_OK);
    return result;
}

void tc_assert_sh(ci_session *s, const char *command, const char *want)
{
    assert_output(s, command, NULL, want, 1);
}

int tc_sandbox_marker_count(ci_session *s, const char *marker)
{
    /* the marker travels in the environment, never in an argv: only the
     * shell's own comparisons see it */
    ci_exec_options *o = tc_sh_options(0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "TC_MARKER", marker), 0);
    ci_result *r = tc_cmd_ok(s,
                             "n=0\n"
                             "for f in /proc/[0-9]*/cmdline; do\n"
                             "  [ \"$f\" = /proc/$$/cmdline ] && continue\n"
                             "  c=$(tr '\\0' '\\n' < \"$f\" 2>/dev/null) || continue\n"
                             "  case \"$c\" in *\"$TC_MARKER\"*) n=$((n+1)) ;; esac\n"
                             "done\n"
                             "echo COUNT $n\n",
                             o);
    ci_exec_options_free(o);
    char *count = tc_line_value(tc_stdout(r), "COUNT");
    ck_assert_msg(count != NULL, "no COUNT line: %s / %s", tc_stdout(r), tc_stderr(r));
    int n = atoi(count);
    free(count);
    ci_result_free(r);
    return n;
}

int tc_wait_sandbox_marker_gone(ci_session *s, const char *marker, int timeout_ms)
{
    double end = tc_now_ms() + timeout_ms;
    for (;;) {
        int n = tc_sandbox_marker_count(s, marker);
        if (n == 0 || tc_now_ms() > end)
            return n;
        usleep(50 * 1000);
    }
}

/* A snapshot of the task from offsets 0; fails the test if ci_task_get()
 * does not return 0. */
static ci_task_info *task_get(ci_session *s, const char *task_id)
{
    ci_task_info *info = NULL;
    int rc = ci_task_get(s, task_id, 0, 0, &info);
    ck_assert_msg(rc == 0, "ci_task_get(%s): %s: %s", task_id, ci_strerror(rc),
                  ci_session_last_error(s));
    return info;
}

ci_task_info *tc_task_wait(ci_session *s, const char *task_id, int timeout_ms)
{
    double end = tc_now_ms() + timeout_ms;
    for (;;) {
        ci_task_info *info = task_get(s, task_id);
        ci_task_status st = ci_task_info_status(info);
        if ((st != CI_TASK_SUBMITTED && st != CI_TASK_WORKING) || tc_now_ms() > end)
            return info;
        ci_task_info_free(info);
        usleep(20 * 1000);
    }
}

void tc_task_wait_output(ci_session *s, const char *task_id, const char *text, int timeout_ms)
{
    double end = tc_now_ms() + timeout_ms;
    for (;;) {
        ci_task_info *info = task_get(s, task_id);
        size_t len = 0;
        const char *out = ci_task_info_output(info, CI_TASK_STDOUT, &len);
        int found = out && strstr(out, text) != NULL;
        if (found) {
            ci_task_info_free(info);
            return;
        }
        if (tc_now_ms() > end) {
            size_t elen = 0;
            const char *err = ci_task_info_output(info, CI_TASK_STDERR, &elen);
            ck_abort_msg("task %s (%s) did not print \"%s\" in %d ms; stdout \"%s\", "
                         "stderr \"%s\"", task_id,
                         ci_task_status_name(ci_task_info_status(info)), text, timeout_ms,
                         out ? out : "(null)", err ? err : "(null)");
        }
        ci_task_info_free(info);
        usleep(20 * 1000);
    }
}

ci_result *tc_run_sh_probe(ci_session *s, const char *file, const char *prelude,
                           const ci_exec_options *o)
{
    return run_probe(s, file, prelude, o, 1);
}

ci_result *tc_run_sh_attempt_probe(ci_session *s, const char *file)
{
    char *attempt = tc_load_probe("attempt.sh", NULL);
    ci_result *r = run_probe(s, file, attempt, NULL, 1);
    free(attempt);
    return r;
}
