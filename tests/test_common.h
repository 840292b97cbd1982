/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the check-based test runners: suite runner, sessions
 * from the test environment, Python snippets, and host-side process and file
 * probes used to prove that something is (or is no longer) there.
 */
#ifndef CODEINTERP_TESTS_TEST_COMMON_H
#define CODEINTERP_TESTS_TEST_COMMON_H

#include <codeinterp/codeinterp.h>

#include <check.h>
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

/* Host path of the runtime directory the tests use. */
const char *tc_runtime_dir(void);

/* A configuration from the test environment (CODEINTERP_* variables). */
ci_config *tc_config_new(void);

/* A session from `config` (NULL: tc_config_new()'s defaults); fails the test
 * with the library's message if it cannot be created. */
ci_session *tc_session_new(const ci_config *config);

/* Execution options: Python, TC_EXEC_TIMEOUT_MS unless timeout_ms is given. */
ci_exec_options *tc_options_new(uint64_t timeout_ms);

/* Runs code; fails the test unless ci_execute() returned 0. */
ci_result *tc_exec(ci_session *session, const char *code, const ci_exec_options *options);

/* As tc_exec() and also requires CI_STATUS_OK, reporting the error, stdout
 * and stderr of the cell when it is not. */
ci_result *tc_exec_ok(ci_session *session, const char *code, const ci_exec_options *options);

/* stdout / stderr of a result (NUL-terminated, never NULL). */
const char *tc_stdout(const ci_result *result);
const char *tc_stderr(const ci_result *result);

/* Fails the test with the result's details when its status is not `want`. */
void tc_assert_status(const ci_result *result, ci_status want);

/* printf into a new buffer (abort on ENOMEM). */
char *tc_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Contents of the probe tests/probes/<name> (a script run inside the
 * sandbox) from the source tree, prefixed with `prelude` (e.g. assignments
 * of host values); free() the result. */
char *tc_load_probe(const char *name, const char *prelude);

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

#endif
