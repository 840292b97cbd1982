/* SPDX-License-Identifier: MIT */
#include "test_common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
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

ci_exec_options *tc_options_new(uint64_t timeout_ms)
{
    ci_exec_options *options = NULL;
    ck_assert_int_eq(ci_exec_options_new(&options), 0);
    ck_assert_int_eq(ci_exec_options_set_language(options, CI_LANGUAGE_PYTHON), 0);
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(options,
                         timeout_ms ? timeout_ms : TC_EXEC_TIMEOUT_MS), 0);
    return options;
}

ci_result *tc_exec(ci_session *session, const char *code, const ci_exec_options *options)
{
    ci_exec_options *own = NULL;
    if (!options)
        options = own = tc_options_new(0);
    ci_result *result = NULL;
    int rc = ci_execute(session, code, options, &result);
    ci_exec_options_free(own);
    ck_assert_msg(rc == 0, "ci_execute: %s: %s\n--- code ---\n%s", ci_strerror(rc),
                  ci_session_last_error(session), code);
    ck_assert_ptr_nonnull(result);
    return result;
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
