/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the check-based test runners: suite runner and skipped
 * cases, sessions from the test environment, the probes of tests/probes/
 * and the verdict lines they print, refused system calls, host-side
 * process, file and listener checks used to prove that something is (or is
 * no longer) there, and checks of a session's file calls.
 */
#ifndef CODEINTERP_TESTS_TEST_COMMON_H
#define CODEINTERP_TESTS_TEST_COMMON_H

#include <codeinterp/codeinterp.h>

#include <check.h>
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit status meson reads as "skipped". */
#define TC_EXIT_SKIP 77

/* Default execution limit of test snippets: long enough for a loaded CI
 * machine, short enough that a hang fails the test instead of meson's. */
#define TC_EXEC_TIMEOUT_MS 60000

/* Runs the suite (fork mode unless CK_FORK=no) and returns the process exit
 * status: 0 if every test passed, 1 otherwise, also 1 when no test ran (a
 * CK_RUN_CASE naming a case that does not exist must not pass vacuously). */
int tc_run_suite(Suite *suite);

/* Exits with TC_EXIT_SKIP, after saying why, if the runtime environment
 * (CODEINTERP_RUNTIME_DIR/python, a virtualenv) is not installed. */
void tc_require_runtime(void);

/* Whether the case `name` is to be added to the suite. A case that cannot
 * run here (`can_run` 0, e.g. it needs root) must not pass: when CK_RUN_CASE
 * names it, this exits with TC_EXIT_SKIP after saying why, so meson reports
 * it skipped; in a run of every case it says why and returns 0. */
int tc_case_can_run(const char *name, int can_run, const char *why);

/* Host path of the runtime directory the tests use. */
const char *tc_runtime_dir(void);

/* A configuration from the test environment (CODEINTERP_* variables; and
 * CODEINTERP_TEST_CGROUP_PARENT, the sessions' cgroup parent if set). */
ci_config *tc_config_new(void);

/* A session from `config` (NULL: tc_config_new()'s defaults); fails the test
 * with the library's message if it cannot be created. */
ci_session *tc_session_new(const ci_config *config);

/* A session from tc_config_new() with one setting changed, e.g.
 * TC_SESSION_WITH(ci_config_set_max_tasks, 2); fails the test if the setter
 * does not return 0 or the session cannot be created. */
#define TC_SESSION_WITH(setter, ...)                                                       \
    __extension__({                                                                       \
        ci_config *tc_config_ = tc_config_new();                                          \
        ck_assert_int_eq(setter(tc_config_, __VA_ARGS__), 0);                             \
        ci_session *tc_session_ = tc_session_new(tc_config_);                             \
        ci_config_free(tc_config_);                                                       \
        tc_session_;                                                                      \
    })

/* A session whose memory limit is `bytes`, or NULL (after destroying it)
 * when it runs without a cgroup, where the limit is not enforced nor OOM
 * reported. */
ci_session *tc_session_memory_limited(uint64_t bytes);

/* Execution options: Python, TC_EXEC_TIMEOUT_MS unless timeout_ms is given. */
ci_exec_options *tc_options_new(uint64_t timeout_ms);

/* Execution options: JavaScript, TC_EXEC_TIMEOUT_MS. */
ci_exec_options *tc_js_options(void);

/* Runs code; fails the test unless ci_execute() returned 0. */
ci_result *tc_exec(ci_session *session, const char *code, const ci_exec_options *options);

/* As tc_exec() and also requires CI_STATUS_OK, reporting the error, stdout
 * and stderr of the cell when it is not. */
ci_result *tc_exec_ok(ci_session *session, const char *code, const ci_exec_options *options);

/* stdout / stderr of a result (NUL-terminated, never NULL). */
const char *tc_stdout(const ci_result *result);
const char *tc_stderr(const ci_result *result);

/* Asserts the result's stdout and stderr are exactly `out` and `err` and
 * neither was truncated. */
void tc_expect_streams(const ci_result *result, const char *out, const char *err);

/* Asserts the result's stdout is exactly the `len` bytes at `want` (which
 * may hold NUL bytes). */
void tc_expect_stdout_bytes(const ci_result *result, const void *want, size_t len);

/* Fails the test with the result's details when its status is not `want`. */
void tc_assert_status(const ci_result *result, ci_status want);

/* printf into a new buffer (abort on ENOMEM). */
char *tc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Contents of the probe tests/probes/<name> (a script run inside the
 * sandbox) from the source tree, prefixed with `prelude` (e.g. assignments
 * of host values); free() the result. */
char *tc_load_probe(const char *name, const char *prelude);

/* Runs the probe `name` after `prelude` (options NULL: Python). */
ci_result *tc_run_probe(ci_session *session, const char *name, const char *prelude,
                        const ci_exec_options *options);

/* The probe ran to its end: status OK and a line "DONE". */
void tc_expect_probe_done(const ci_result *result);

/* As tc_expect_probe_done() and no line starts with "LEAK". */
void tc_expect_probe_clean(const ci_result *result);

/* `len` random lowercase hex characters + NUL into buf (len + 1 bytes). */
void tc_random_hex(char *buf, size_t len);

/* Monotonic clock in milliseconds. */
double tc_now_ms(void);

/* A fresh directory under /tmp (mode 0700); free() the path. */
char *tc_make_temp_dir(const char *prefix);

/* Removes a tree without following symlinks; missing paths are fine. */
void tc_remove_tree(const char *path);

/* Writes `data` into a new file `path` with `mode`. */
void tc_write_file(const char *path, const char *data, mode_t mode);

/* Host processes one of whose argv elements equals `marker`. Stores up to
 * `max` pids (and the real uid of the first one in *uid if non-NULL);
 * returns how many there are. Zombies (empty cmdline) are not counted. */
size_t tc_find_marker_procs(const char *marker, pid_t *pids, size_t max, uid_t *uid);

/* Polls until no process carries `marker` or `timeout_ms` passed; returns
 * the number still there. */
size_t tc_wait_marker_gone(const char *marker, int timeout_ms);

/* Number of live (non-zombie) host processes whose real uid is `uid`. */
size_t tc_count_uid_procs(uid_t uid);

/* Polls until tc_count_uid_procs(uid) is 0 or timeout_ms passed. */
size_t tc_wait_uid_gone(uid_t uid, int timeout_ms);

/* Searches `root` recursively (no symlink following) for an entry named
 * `name`; returns its path (free()) or NULL. */
char *tc_find_entry(const char *root, const char *name);

/* The state directory the tests' sessions use (CODEINTERP_STATE_DIR). */
const char *tc_state_dir(void);

/* Python snippet that starts a detached background process (its own
 * session, stdout/stderr to /dev/null) carrying `marker` in its argv and
 * prints its pid. free() the result. */
char *tc_spawn_marker_code(const char *marker);

/* The rest of the output line that starts with "key " (or "" for a line
 * that is just "key"), malloc'd, or NULL when there is none. */
char *tc_line_value(const char *text, const char *key);
/* Asserts the line "key value" is in the result's stdout. */
void tc_expect_line(const ci_result *result, const char *key, const char *value);

/* Asserts the line "key ..." is there and its value does not start with
 * `bad` (e.g. "ALLOWED"). */
void tc_expect_line_not(const ci_result *result, const char *key, const char *bad);

/* tc_expect_line() / tc_expect_line_not() of the line "<prefix> <name>"
 * (just "<name>" for prefix NULL) of each of the n names. */
void tc_expect_lines(const ci_result *result, const char *prefix, const char *const *names,
                     size_t n, const char *value);
void tc_expect_lines_not(const ci_result *result, const char *prefix, const char *const *names,
                         size_t n, const char *bad);

/* Number of elements of an array. */
#define TC_LEN(array) (sizeof(array) / sizeof((array)[0]))

/* Whether `value` is one of the '|'-separated words of `words`. */
int tc_one_of(const char *value, const char *words);

/* Asserts the value of the line "key" is one of the '|'-separated words. */
void tc_expect_one_of(const ci_result *result, const char *key, const char *words);

/* How often the result says the system call `name` was refused (0: not
 * listed). */
uint64_t tc_denied_times(const ci_result *result, const char *name);

/* Asserts the result reports `name` as refused. */
void tc_expect_denied(const ci_result *result, const char *name);

/* Asserts the result reports no refused call. */
void tc_expect_no_denials(const ci_result *result);

/* A "<field> <n> kB" value of this process's /proc/self/status, e.g.
 * "VmHWM:" (peak resident memory), in KiB. */
long tc_self_status_kib(const char *field);

/* Waits (5 s at most) until the host sees the one process carrying `marker`
 * in its argv; returns its real uid. */
uid_t tc_wait_marked(const char *marker);

/* Starts tc_spawn_marker_code(marker) in the session and returns
 * tc_wait_marked(marker). */
uid_t tc_spawn_marked(ci_session *session, const char *marker);

/* Host listeners a sandbox must not reach: TCP on 127.0.0.1 and ::1 (tcp6
 * -1 and port6 0 without IPv6), a unix socket at a path under /tmp and an
 * abstract one. tc_listeners_open() also proves the host reaches the TCP
 * one (a positive control). */
struct tc_listeners {
    int tcp4, tcp6, unix_path, unix_abstract;
    int port4, port6;
    char path[108], abstract[64];
};
void tc_listeners_open(struct tc_listeners *listeners);
void tc_listeners_close(struct tc_listeners *listeners);

/* Number of connections waiting on a listener (accepts them; fd -1: 0). */
int tc_pending(int fd);

/* Everything left to read from fd, NUL-terminated (free()). */
char *tc_read_fd(int fd);

/* Contents of a host file (free()), or NULL if it cannot be opened. */
char *tc_read_file(const char *path);

/* Asserts the host file `path` is there and holds exactly `want`. */
void tc_assert_host_file(const char *path, const char *want);

/* Asserts a library call returned `want`, naming `what` otherwise. */
void tc_expect_rc(int rc, int want, const char *what);

/* Asserts the names ci_list_files() lists in `dir` (NULL: /workspace) are
 * `want`, as "a,b,c". */
void tc_assert_names(ci_session *session, const char *dir, const char *want);

/* Runs Python that must succeed and asserts its stdout is `want`. */
void tc_assert_py(ci_session *session, const char *code, const char *want);

/* tc_assert_py() for any language, with `options` (NULL: tc_options_new(0)). */
void tc_assert_exec(ci_session *session, const char *code, const ci_exec_options *options,
                    const char *want);

/* tc_assert_sh() with `options` (NULL: tc_sh_options(0)). */
void tc_assert_cmd(ci_session *session, const char *command, const ci_exec_options *options,
                   const char *want);

/* The answer of one ci_invoke_json() call, parsed (cJSON_Delete()); fails
 * the test on a bad answer. */
cJSON *tc_invoke(ci_session *session, const char *request);

/* Whether an invoke answer is an error, and its first text. */
int tc_invoke_is_error(const cJSON *answer);
const char *tc_invoke_text(const cJSON *answer);

/* Execution options for shell commands (ci_execute_command() ignores the
 * language; set anyway so the options read for what they are):
 * TC_EXEC_TIMEOUT_MS unless timeout_ms is given. */
ci_exec_options *tc_sh_options(uint64_t timeout_ms);

/* Runs a shell command with ci_execute_command(); fails the test unless it
 * returned 0 (options NULL: tc_sh_options(0)). */
ci_result *tc_cmd(ci_session *session, const char *command, const ci_exec_options *options);

/* As tc_cmd() and also requires CI_STATUS_OK. */
ci_result *tc_cmd_ok(ci_session *session, const char *command, const ci_exec_options *options);

/* Runs a command that must succeed and asserts its stdout is `want`. */
void tc_assert_sh(ci_session *session, const char *command, const char *want);

/* Number of the sandbox's processes, other than the asking shell, one of
 * whose argv elements contains `marker`, counted from inside the sandbox by
 * a shell command that never carries the marker in its own argv. */
int tc_sandbox_marker_count(ci_session *session, const char *marker);

/* Runs the shell probe tests/probes/<name> after `prelude` (shell
 * assignments) with ci_execute_command() (options NULL: tc_sh_options(0)). */
ci_result *tc_run_sh_probe(ci_session *session, const char *name, const char *prelude,
                           const ci_exec_options *options);

/* tc_run_sh_probe() of a probe that uses attempt() from
 * tests/probes/attempt.sh, which runs first (no prelude, default options). */
ci_result *tc_run_sh_attempt_probe(ci_session *session, const char *name);

/* Polls tc_sandbox_marker_count() until it is 0 or timeout_ms passed (a
 * process SIGKILLed a moment ago may still be on its way out); returns the
 * last count. */
int tc_wait_sandbox_marker_gone(ci_session *session, const char *marker, int timeout_ms);

/* Polls ci_task_get() (from offsets 0) until the task is no longer
 * submitted or working, or timeout_ms passed; returns the last snapshot
 * (ci_task_info_free()). */
ci_task_info *tc_task_wait(ci_session *session, const char *task_id, int timeout_ms);

/* Polls the task until its stdout holds `text` or timeout_ms passed; fails
 * the test in the second case. */
void tc_task_wait_output(ci_session *session, const char *task_id, const char *text,
                         int timeout_ms);

#endif
