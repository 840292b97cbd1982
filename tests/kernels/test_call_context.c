/* SPDX-License-Identifier: MIT */
/* Suite 'kernels': what every kernel does with an execution's own
 * environment and working directory (ci_exec_options_set_env, _set_cwd),
 * for Python, JavaScript and TypeScript alike: they hold for that cell
 * only, are put back after it (also when it throws, and after the work a
 * JavaScript cell awaits), and a working directory that cannot be entered
 * fails the execution with the folder named on stderr. */
#include "test_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The cells of one language; each prints "KEY value" lines. */
struct lang {
    ci_language language;
    const char *env;   /* NEW and OLD: CI_NEW and CI_OLD, "-" when unset */
    const char *write; /* writes out.txt (relative) holding `written`, prints CWD */
    const char *written;
    const char *cwd;   /* prints CWD */
    const char *raise; /* throws */
    const char *late;  /* awaits a timer, then prints NEW and CWD (NULL: none) */
};

static const struct lang python = {
    CI_LANGUAGE_PYTHON,
    "import os\nprint('NEW', os.environ.get('CI_NEW', '-'))\n"
    "print('OLD', os.environ.get('CI_OLD', '-'))",
    "import os\nwith open('out.txt', 'w') as f:\n    f.write('written by python')\n"
    "print('CWD', os.getcwd())",
    "written by python",
    "import os\nprint('CWD', os.getcwd())",
    "raise RuntimeError('boom')",
    NULL,
};

static const struct lang javascript = {
    CI_LANGUAGE_JAVASCRIPT,
    "console.log('NEW ' + (process.env.CI_NEW ?? '-'));\n"
    "console.log('OLD ' + (process.env.CI_OLD ?? '-'));",
    "fs.writeFileSync('out.txt', 'written by javascript');\n"
    "console.log('CWD ' + process.cwd());",
    "written by javascript",
    "console.log('CWD ' + process.cwd());",
    "throw new Error('boom');",
    "await new Promise((resolve) => setTimeout(resolve, 50));\n"
    "console.log('NEW ' + (process.env.CI_NEW ?? '-'));\n"
    "console.log('CWD ' + process.cwd());",
};

static const struct lang typescript = {
    CI_LANGUAGE_TYPESCRIPT,
    "console.log('NEW ' + ((process.env.CI_NEW ?? '-') as string));\n"
    "console.log('OLD ' + (process.env.CI_OLD ?? '-'));",
    "fs.writeFileSync('out.txt', 'written by typescript' as string);\n"
    "console.log('CWD ' + process.cwd());",
    "written by typescript",
    "console.log('CWD ' + (process.cwd() as string));",
    "throw new Error('boom' as string);",
    "await new Promise<void>((resolve) => setTimeout(resolve, 50));\n"
    "console.log('NEW ' + (process.env.CI_NEW ?? '-'));\n"
    "console.log('CWD ' + process.cwd());",
};

/* A session whose environment holds CI_OLD=session, with the folder
 * /workspace/sub/dir. */
static ci_session *session_new(void)
{
    ci_config *c = tc_config_new();
    ck_assert_int_eq(ci_config_set_env(c, "CI_OLD", "session"), 0);
    ci_session *s = tc_session_new(c);
    ci_config_free(c);
    ck_assert_int_eq(ci_upload(s, "sub/dir/keep", "", 0), 0);
    return s;
}

static ci_exec_options *options_new(const struct lang *l)
{
    ci_exec_options *o = tc_options_new(0);
    ck_assert_int_eq(ci_exec_options_set_language(o, l->language), 0);
    return o;
}

/* Options with CI_NEW=fresh, CI_OLD=per-call and the working directory
 * `cwd` (NULL: none). */
static ci_exec_options *call_options(const struct lang *l, const char *cwd)
{
    ci_exec_options *o = options_new(l);
    ck_assert_int_eq(ci_exec_options_set_env(o, "CI_NEW", "fresh"), 0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "CI_OLD", "per-call"), 0);
    if (cwd)
        ck_assert_int_eq(ci_exec_options_set_cwd(o, cwd), 0);
    return o;
}

/* A cell without per-call options sees the session's environment and
 * /workspace. */
static void expect_defaults(ci_session *s, const struct lang *l, const char *after)
{
    ci_exec_options *o = options_new(l);
    ci_result *r = tc_exec_ok(s, l->env, o);
    ck_assert_msg(strstr(tc_stdout(r), "NEW -\n") && strstr(tc_stdout(r), "OLD session\n"),
                  "after %s, the environment is not the session's:\n%s", after, tc_stdout(r));
    ci_result_free(r);
    r = tc_exec_ok(s, l->cwd, o);
    ck_assert_msg(strstr(tc_stdout(r), "CWD /workspace\n"),
                  "after %s, the working directory is not /workspace:\n%s", after, tc_stdout(r));
    ci_result_free(r);
    ci_exec_options_free(o);
}

static void check_env(const struct lang *l)
{
    ci_session *s = session_new();
    expect_defaults(s, l, "the session's start");
    ci_exec_options *o = call_options(l, NULL);
    ci_result *r = tc_exec_ok(s, l->env, o);
    tc_expect_line(r, "NEW", "fresh");
    tc_expect_line(r, "OLD", "per-call");
    ci_result_free(r);
    ci_exec_options_free(o);
    expect_defaults(s, l, "a cell with its own environment");
    ci_session_destroy(s);
}

static void check_cwd(const struct lang *l)
{
    ci_session *s = session_new();
    ci_exec_options *o = call_options(l, "sub/dir");
    ci_result *r = tc_exec_ok(s, l->write, o);
    tc_expect_line(r, "CWD", "/workspace/sub/dir");
    ci_result_free(r);

    void *data = NULL;
    size_t len = 0;
    int rc = ci_download(s, "sub/dir/out.txt", &data, &len);
    ck_assert_msg(rc == 0, "sub/dir/out.txt: %s", ci_strerror(rc));
    ck_assert_str_eq(data, l->written);
    ci_free(data);
    ck_assert_int_eq(ci_download(s, "out.txt", &data, &len), CI_ENOENT);
    expect_defaults(s, l, "a cell with its own working directory");

    /* the same folder named as an absolute path */
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "/workspace/sub"), 0);
    r = tc_exec_ok(s, l->cwd, o);
    tc_expect_line(r, "CWD", "/workspace/sub");
    ci_result_free(r);
    ci_exec_options_free(o);
    expect_defaults(s, l, "a cell in /workspace/sub");
    ci_session_destroy(s);
}

static void check_throw(const struct lang *l)
{
    ci_session *s = session_new();
    ci_exec_options *o = call_options(l, "sub/dir");
    ci_result *r = tc_exec(s, l->raise, o);
    tc_assert_status(r, CI_STATUS_ERROR);
    ci_result_free(r);
    ci_exec_options_free(o);
    expect_defaults(s, l, "a cell that threw");
    ci_session_destroy(s);
}

static void check_late(const struct lang *l)
{
    ci_session *s = session_new();
    ci_exec_options *o = call_options(l, "sub/dir");
    ci_result *r = tc_exec_ok(s, l->late, o);
    tc_expect_line(r, "NEW", "fresh");
    tc_expect_line(r, "CWD", "/workspace/sub/dir");
    ci_result_free(r);
    ci_exec_options_free(o);
    expect_defaults(s, l, "a cell that awaited a timer");
    ci_session_destroy(s);
}

static void check_missing_cwd(const struct lang *l)
{
    ci_session *s = session_new();
    ci_exec_options *o = call_options(l, "sub/missing");
    ci_result *r = tc_exec(s, l->cwd, o);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 1);
    ck_assert_msg(strstr(tc_stdout(r), "CWD") == NULL, "the cell ran:\n%s", tc_stdout(r));
    ck_assert_msg(strstr(tc_stderr(r),
                         "cannot enter /workspace/sub/missing: No such file or directory"),
                  "stderr does not name the folder:\n%s", tc_stderr(r));
    ck_assert_ptr_nonnull(ci_result_error_name(r));
    ck_assert_str_eq(ci_result_error_name(r), "WorkingDirectoryError");
    ci_result_free(r);

    /* a file is no folder to enter either */
    ck_assert_int_eq(ci_exec_options_set_cwd(o, "sub/dir/keep"), 0);
    r = tc_exec(s, l->cwd, o);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_msg(strstr(tc_stderr(r), "cannot enter /workspace/sub/dir/keep: Not a directory"),
                  "stderr does not name the file:\n%s", tc_stderr(r));
    ci_result_free(r);
    ci_exec_options_free(o);
    expect_defaults(s, l, "a working directory that could not be entered");
    ci_session_destroy(s);
}

static void check_all(const struct lang *l)
{
    check_env(l);
    check_cwd(l);
    check_throw(l);
    if (l->late)
        check_late(l);
    check_missing_cwd(l);
}

START_TEST(python_call_context)
{
    check_all(&python);
}
END_TEST

START_TEST(javascript_call_context)
{
    check_all(&javascript);
}
END_TEST

START_TEST(typescript_call_context)
{
    check_all(&typescript);
}
END_TEST

static int have_node(void)
{
    char *esbuild = tc_printf("%s/node/node_modules/esbuild", tc_runtime_dir());
    int have = access("/usr/bin/node", X_OK) == 0 && access(esbuild, F_OK) == 0;
    free(esbuild);
    return have;
}

static Suite *kernels_suite(void)
{
    Suite *s = suite_create("kernels");
    TCase *tc;
    int node = have_node();

    tc = tcase_create("python");
    tcase_set_timeout(tc, 240);
    tcase_add_test(tc, python_call_context);
    suite_add_tcase(s, tc);

    if (tc_case_can_run("javascript", node, "no node runtime (/usr/bin/node, esbuild)")) {
        tc = tcase_create("javascript");
        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, javascript_call_context);
        suite_add_tcase(s, tc);
    }

    if (tc_case_can_run("typescript", node, "no node runtime (/usr/bin/node, esbuild)")) {
        tc = tcase_create("typescript");
        tcase_set_timeout(tc, 240);
        tcase_add_test(tc, typescript_call_context);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(kernels_suite());
}
