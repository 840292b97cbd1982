/* SPDX-License-Identifier: MIT */
/* Suite 'unit': the API surface that needs no sandbox: errors, versions,
 * names, option validation, NULL handling and failing session creation. */
#include "test_common.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#ifndef TC_PROJECT_VERSION
#error "TC_PROJECT_VERSION must be the meson project version"
#endif

#define HOUR_MS (60ull * 60ull * 1000ull)
#define GIB (1024ull * 1024ull * 1024ull)
#define MIB (1024ull * 1024ull)

static const int all_codes[] = {
    CI_OK,      CI_EINVAL,  CI_ENOMEM, CI_ESANDBOX,  CI_EUNSUPPORTED, CI_EEXPIRED,
    CI_ECLOSED, CI_EBUSY,   CI_ERUNNER, CI_EIO,      CI_ECANCELED,    CI_ETOOBIG,
    CI_EPATH,   CI_ENOENT,  CI_EPROTO, CI_EUNKNOWN,  CI_ELIMIT,       CI_ETRANSFER,
    CI_EFILETYPE, CI_EAUDIT, CI_ENOCREDENTIALS, CI_EACCESS, CI_ENOBUCKET, CI_ENOKEY,
    CI_ENETWORK, CI_ECHECKSUM, CI_ETOOMANY,
};
#define N_CODES (sizeof all_codes / sizeof all_codes[0])

/* ---------------------------------------------------------------- errors */

START_TEST(error_codes_are_stable)
{
    /* The values are ABI: a renumbering must break this test. */
    for (size_t i = 0; i < N_CODES; i++)
        ck_assert_int_eq(all_codes[i], -(int)i);
}
END_TEST

START_TEST(strerror_every_code)
{
    for (size_t i = 0; i < N_CODES; i++) {
        const char *text = ci_strerror(all_codes[i]);
        ck_assert_msg(text != NULL, "code %d has no text", all_codes[i]);
        ck_assert_msg(*text != '\0', "code %d has empty text", all_codes[i]);
        ck_assert_msg(strcmp(text, "unknown error") != 0, "code %d reads as unknown",
                      all_codes[i]);
        ck_assert_ptr_eq(text, ci_strerror(all_codes[i]));
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(text, ci_strerror(all_codes[j])) != 0,
                          "codes %d and %d share the text \"%s\"", all_codes[i],
                          all_codes[j], text);
    }
}
END_TEST

START_TEST(strerror_unknown_codes)
{
    /* the first codes past the last one this header knows */
    const int past = -(int)N_CODES;
    const int unknown[] = {1, 2, 100, past, past - 1, -100, -1000, INT_MIN, INT_MAX};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *text = ci_strerror(unknown[i]);
        ck_assert_msg(text != NULL, "code %d", unknown[i]);
        ck_assert_str_eq(text, "unknown error");
    }
}
END_TEST

static void *fresh_thread_last_error(void *arg)
{
    (void)arg;
    const char *text = ci_last_error();
    return (void *)(text && *text == '\0' ? "ok" : NULL);
}

static void *failing_thread(void *arg)
{
    (void)arg;
    ci_config *config = NULL;
    if (ci_config_new(&config) != 0)
        return NULL;
    ci_config_set_helper_path(config, "/nonexistent/codeinterp-sandbox");
    ci_session *session = NULL;
    int rc = ci_session_create(config, &session);
    ci_config_free(config);
    const char *text = ci_last_error();
    return (void *)(rc < 0 && session == NULL && text && *text ? "ok" : NULL);
}

START_TEST(last_error_is_thread_local)
{
    pthread_t t;
    void *ret = NULL;

    ck_assert_int_eq(pthread_create(&t, NULL, fresh_thread_last_error, NULL), 0);
    ck_assert_int_eq(pthread_join(t, &ret), 0);
    ck_assert_msg(ret != NULL, "a new thread's ci_last_error() is not \"\"");

    ck_assert_int_eq(pthread_create(&t, NULL, failing_thread, NULL), 0);
    ck_assert_int_eq(pthread_join(t, &ret), 0);
    ck_assert_msg(ret != NULL, "failing thread: no error / no message");

    /* The failure above happened on another thread: not visible in a third. */
    ck_assert_int_eq(pthread_create(&t, NULL, fresh_thread_last_error, NULL), 0);
    ck_assert_int_eq(pthread_join(t, &ret), 0);
    ck_assert_msg(ret != NULL, "another thread's failure leaked into ci_last_error()");
}
END_TEST

/* --------------------------------------------------------------- version */

START_TEST(version_matches_macros)
{
    char expect[64];
    snprintf(expect, sizeof expect, "%d.%d.%d", CI_VERSION_MAJOR, CI_VERSION_MINOR,
             CI_VERSION_PATCH);
    ck_assert_ptr_nonnull(ci_version());
    ck_assert_str_eq(ci_version(), expect);
    ck_assert_str_eq(ci_version(), TC_PROJECT_VERSION);
    ck_assert_uint_eq(ci_version_number(), (uint32_t)CI_VERSION_NUMBER);
    ck_assert_uint_eq(ci_version_number(),
                      ((uint32_t)CI_VERSION_MAJOR << 16) | ((uint32_t)CI_VERSION_MINOR << 8) |
                          (uint32_t)CI_VERSION_PATCH);
}
END_TEST

/* ----------------------------------------------------------------- names */

START_TEST(language_names)
{
    static const struct {
        const char *name;
        ci_language lang;
    } known[] = {
        {"python", CI_LANGUAGE_PYTHON},         {"py", CI_LANGUAGE_PYTHON},
        {"javascript", CI_LANGUAGE_JAVASCRIPT}, {"js", CI_LANGUAGE_JAVASCRIPT},
        {"typescript", CI_LANGUAGE_TYPESCRIPT}, {"ts", CI_LANGUAGE_TYPESCRIPT},
        {"shell", CI_LANGUAGE_SHELL},           {"sh", CI_LANGUAGE_SHELL},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        ci_language out = (ci_language)0;
        ck_assert_msg(ci_language_from_name(known[i].name, &out) == 0, "%s", known[i].name);
        ck_assert_int_eq(out, known[i].lang);
    }
    ck_assert_str_eq(ci_language_name(CI_LANGUAGE_PYTHON), "python");
    ck_assert_str_eq(ci_language_name(CI_LANGUAGE_JAVASCRIPT), "javascript");
    ck_assert_str_eq(ci_language_name(CI_LANGUAGE_TYPESCRIPT), "typescript");
    ck_assert_str_eq(ci_language_name(CI_LANGUAGE_SHELL), "shell");
    ck_assert_int_eq(CI_LANGUAGE_SHELL, 4);
    ck_assert_ptr_null(ci_language_name((ci_language)0));
    ck_assert_ptr_null(ci_language_name((ci_language)5));
    ck_assert_ptr_null(ci_language_name((ci_language)-1));

    /* failures leave the output untouched */
    ci_language out = (ci_language)99;
    ck_assert_int_eq(ci_language_from_name("ruby", &out), CI_EUNKNOWN);
    ck_assert_int_eq(ci_language_from_name("", &out), CI_EUNKNOWN);
    ck_assert_int_eq(ci_language_from_name("python ", &out), CI_EUNKNOWN);
    ck_assert_int_eq(ci_language_from_name(NULL, &out), CI_EINVAL);
    ck_assert_int_eq(out, 99);
    ck_assert_int_eq(ci_language_from_name("python", NULL), CI_EINVAL);
}
END_TEST

START_TEST(language_choices_in_message)
{
    ci_language out;
    ck_assert_int_eq(ci_language_from_name("cobol", &out), CI_EUNKNOWN);
    ck_assert_ptr_nonnull(strstr(ci_last_error(), "cobol"));
    ck_assert_ptr_nonnull(strstr(ci_last_error(), "python, javascript, typescript"));
}
END_TEST

START_TEST(network_names)
{
    ck_assert_str_eq(ci_network_name(CI_NETWORK_NONE), "none");
    ck_assert_str_eq(ci_network_name(CI_NETWORK_HOST), "host");
    ck_assert_ptr_null(ci_network_name((ci_network)2));
    ck_assert_ptr_null(ci_network_name((ci_network)-1));

    static const struct {
        const char *name;
        ci_network network;
    } known[] = {
        {"none", CI_NETWORK_NONE}, {"host", CI_NETWORK_HOST}, {"HOST", CI_NETWORK_HOST},
        {"None", CI_NETWORK_NONE},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        ci_network out = (ci_network)99;
        ck_assert_msg(ci_network_from_name(known[i].name, &out) == 0, "%s", known[i].name);
        ck_assert_int_eq(out, known[i].network);
    }

    /* failures leave the output untouched; the message lists the names */
    ci_network out = (ci_network)99;
    ck_assert_int_eq(ci_network_from_name("wifi", &out), CI_EUNKNOWN);
    ck_assert_ptr_nonnull(strstr(ci_last_error(), "wifi"));
    ck_assert_ptr_nonnull(strstr(ci_last_error(), "none, host"));
    ck_assert_int_eq(ci_network_from_name("", &out), CI_EUNKNOWN);
    ck_assert_int_eq(ci_network_from_name("host ", &out), CI_EUNKNOWN);
    ck_assert_int_eq(ci_network_from_name(NULL, &out), CI_EINVAL);
    ck_assert_int_eq(out, 99);
    ck_assert_int_eq(ci_network_from_name("none", NULL), CI_EINVAL);
}
END_TEST

START_TEST(cgroup_mode_names)
{
    static const char *const names[] = {"auto", "v1", "v2", "none"};
    ck_assert_int_eq(CI_CGROUP_NONE, 3);
    for (int i = 0; i <= CI_CGROUP_NONE; i++) {
        ck_assert_ptr_nonnull(ci_cgroup_mode_name((ci_cgroup_mode)i));
        ck_assert_str_eq(ci_cgroup_mode_name((ci_cgroup_mode)i), names[i]);
        ci_cgroup_mode out = (ci_cgroup_mode)99;
        ck_assert_int_eq(ci_cgroup_mode_from_name(names[i], &out), 0);
        ck_assert_int_eq(out, i);
    }
    ck_assert_ptr_null(ci_cgroup_mode_name((ci_cgroup_mode)4));
    ck_assert_ptr_null(ci_cgroup_mode_name((ci_cgroup_mode)-1));

    ci_cgroup_mode out = (ci_cgroup_mode)99;
    ck_assert_int_eq(ci_cgroup_mode_from_name("V2", &out), 0);
    ck_assert_int_eq(out, CI_CGROUP_V2);
    out = (ci_cgroup_mode)99;
    ck_assert_int_eq(ci_cgroup_mode_from_name("v3", &out), CI_EUNKNOWN);
    ck_assert_ptr_nonnull(strstr(ci_last_error(), "auto, v1, v2, none"));
    /* only ASCII letters fold: "V\x11" is not "v1" */
    ck_assert_int_eq(ci_cgroup_mode_from_name("V\x11", &out), CI_EUNKNOWN);
    ck_assert_int_eq(ci_cgroup_mode_from_name(NULL, &out), CI_EINVAL);
    ck_assert_int_eq(out, 99);
    ck_assert_int_eq(ci_cgroup_mode_from_name("auto", NULL), CI_EINVAL);
}
END_TEST

START_TEST(timeout_from_seconds)
{
    static const struct {
        double seconds;
        uint64_t ms;
    } good[] = {
        {1, 1000}, {0.5, 500}, {1.5, 1500}, {900, 900000},
        /* rounded up, never shorter than asked */
        {0.0001, 1}, {1e-300, 1}, {0.0015, 2}, {1.0001, 1001},
        {8 * 3600, CI_MAX_TIMEOUT_MS},
    };
    ck_assert_uint_eq(CI_MAX_TIMEOUT_MS, 8 * HOUR_MS);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t ms = 0;
        ck_assert_msg(ci_timeout_ms_from_seconds(good[i].seconds, &ms) == 0, "%g",
                      good[i].seconds);
        ck_assert_uint_eq(ms, good[i].ms);
    }

    static const double bad[] = {0, -0.0, -1, 8 * 3600 + 0.001, 8 * 3600 + 1, NAN, INFINITY,
                                 -INFINITY};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ms = 99;
        ck_assert_msg(ci_timeout_ms_from_seconds(bad[i], &ms) == CI_EINVAL, "%g", bad[i]);
        ck_assert_uint_eq(ms, 99);
        ck_assert_str_ne(ci_last_error(), "");
    }
    ck_assert_int_eq(ci_timeout_ms_from_seconds(1, NULL), CI_EINVAL);

    /* the longest limit it gives is one the setters take */
    uint64_t ms = 0;
    ci_config *c = NULL;
    ck_assert_int_eq(ci_timeout_ms_from_seconds(8 * 3600, &ms), 0);
    ck_assert_int_eq(ci_config_new(&c), 0);
    ck_assert_int_eq(ci_config_set_exec_timeout_ms(c, ms), 0);
    ck_assert_int_eq(ci_config_set_idle_timeout_ms(c, ms), 0);
    ci_config_free(c);
}
END_TEST

START_TEST(status_names)
{
    static const char *const names[] = {"ok",  "error",  "timeout",      "session_expired",
                                        "oom", "killed", "sandbox_error"};
    ck_assert_int_eq(CI_STATUS_SANDBOX_ERROR, 6);
    for (int i = 0; i <= CI_STATUS_SANDBOX_ERROR; i++) {
        ck_assert_ptr_nonnull(ci_status_name((ci_status)i));
        ck_assert_str_eq(ci_status_name((ci_status)i), names[i]);
    }
    ck_assert_ptr_null(ci_status_name((ci_status)7));
    ck_assert_ptr_null(ci_status_name((ci_status)-1));

    static const char *const task_names[] = {"submitted", "working", "completed", "canceled",
                                             "failed"};
    ck_assert_int_eq(CI_TASK_FAILED, 4);
    for (int i = 0; i <= CI_TASK_FAILED; i++) {
        ck_assert_ptr_nonnull(ci_task_status_name((ci_task_status)i));
        ck_assert_str_eq(ci_task_status_name((ci_task_status)i), task_names[i]);
    }
    ck_assert_ptr_null(ci_task_status_name((ci_task_status)5));
    ck_assert_ptr_null(ci_task_status_name((ci_task_status)-1));
}
END_TEST

/* ---------------------------------------------------------------- config */

static ci_config *new_config(void)
{
    ci_config *config = NULL;
    ck_assert_int_eq(ci_config_new(&config), 0);
    ck_assert_ptr_nonnull(config);
    return config;
}

START_TEST(config_new_and_free)
{
    ck_assert_int_eq(ci_config_new(NULL), CI_EINVAL);
    ci_config *config = new_config();
    ci_config_free(config);
    ci_config_free(NULL);
    /* a default workspace size from the environment is checked like the
     * setter's argument */
    const char *was = getenv("CODEINTERP_WORKSPACE_SIZE");
    char *saved = was ? strdup(was) : NULL;
    const char *bad[] = {"15", "16777217", "-1", "12x", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        setenv("CODEINTERP_WORKSPACE_SIZE", bad[i], 1);
        config = NULL;
        ck_assert_int_eq(ci_config_new(&config), CI_EINVAL);
        ck_assert_ptr_null(config);
        ck_assert_ptr_nonnull(strstr(ci_last_error(), "CODEINTERP_WORKSPACE_SIZE"));
    }
    setenv("CODEINTERP_WORKSPACE_SIZE", "0", 1);
    ci_config_free(new_config());
    setenv("CODEINTERP_WORKSPACE_SIZE", "16", 1);
    ci_config_free(new_config());
    if (saved)
        setenv("CODEINTERP_WORKSPACE_SIZE", saved, 1);
    else
        unsetenv("CODEINTERP_WORKSPACE_SIZE");
    free(saved);
}
END_TEST

START_TEST(config_timeouts_range)
{
    ci_config *c = new_config();
    int (*const setters[])(ci_config *, uint64_t) = {ci_config_set_exec_timeout_ms,
                                                    ci_config_set_idle_timeout_ms};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(setters[i](c, 0), CI_EINVAL);
        ck_assert_int_eq(setters[i](c, 1), 0);
        ck_assert_int_eq(setters[i](c, 1000), 0);
        ck_assert_int_eq(setters[i](c, 8 * HOUR_MS), 0);
        ck_assert_int_eq(setters[i](c, 8 * HOUR_MS + 1), CI_EINVAL);
        ck_assert_int_eq(setters[i](c, CI_MAX_TIMEOUT_MS), 0);
        ck_assert_int_eq(setters[i](c, CI_MAX_TIMEOUT_MS + 1), CI_EINVAL);
        ck_assert_int_eq(setters[i](c, UINT64_MAX), CI_EINVAL);
        ck_assert_int_eq(setters[i](NULL, 1000), CI_EINVAL);
    }
    /* the absolute lifetime: the same range, and 0 for none */
    ck_assert_int_eq(ci_config_set_session_lifetime_ms(c, 0), 0);
    ck_assert_int_eq(ci_config_set_session_lifetime_ms(c, 1), 0);
    ck_assert_int_eq(ci_config_set_session_lifetime_ms(c, CI_MAX_TIMEOUT_MS), 0);
    ck_assert_int_eq(ci_config_set_session_lifetime_ms(c, CI_MAX_TIMEOUT_MS + 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_session_lifetime_ms(c, UINT64_MAX), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_session_lifetime_ms(NULL, 1000), CI_EINVAL);
    ci_config_free(c);
}
END_TEST

START_TEST(config_uid_range)
{
    ci_config *c = new_config();
    ck_assert_int_eq(ci_config_set_uid_range(c, 2000000000u, 65536), 0);
    ck_assert_int_eq(ci_config_set_uid_range(c, 100000, 1), 0);
    ck_assert_int_eq(ci_config_set_uid_range(c, 0, 10), CI_EINVAL);       /* has uid 0 */
    ck_assert_int_eq(ci_config_set_uid_range(c, 0, 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_uid_range(c, 100000, 0), CI_EINVAL);   /* empty */
    ck_assert_int_eq(ci_config_set_uid_range(c, UINT32_MAX - 5, 10), CI_EINVAL); /* wraps */
    ck_assert_int_eq(ci_config_set_uid_range(c, UINT32_MAX, 2), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_uid_range(NULL, 100000, 1), CI_EINVAL);
    ci_config_free(c);
}
END_TEST

START_TEST(config_limits_range)
{
    ci_config *c = new_config();

    ck_assert_int_eq(ci_config_set_output_limit(c, 0), 0);
    ck_assert_int_eq(ci_config_set_output_limit(c, 4096), 0);
    ck_assert_int_eq(ci_config_set_output_limit(c, (size_t)GIB), 0);
    ck_assert_int_eq(ci_config_set_output_limit(c, (size_t)GIB + 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_output_limit(c, SIZE_MAX), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_output_limit(NULL, 4096), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_max_tasks(c, 0), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_max_tasks(c, 1), 0);
    ck_assert_int_eq(ci_config_set_max_tasks(c, 1024), 0);
    ck_assert_int_eq(ci_config_set_max_tasks(c, 1025), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_max_tasks(NULL, 16), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_task_output_limit(c, 4095), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_task_output_limit(c, 4096), 0);
    ck_assert_int_eq(ci_config_set_task_output_limit(c, 256 * MIB), 0);
    ck_assert_int_eq(ci_config_set_task_output_limit(c, 256 * MIB + 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_task_output_limit(NULL, 4096), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_max_processes(c, 0), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_max_processes(c, 1), 0);
    ck_assert_int_eq(ci_config_set_max_processes(c, 1048576), 0);
    ck_assert_int_eq(ci_config_set_max_processes(c, 1048577), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_max_processes(NULL, 64), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_max_open_files(c, 0), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_max_open_files(c, 15), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_max_open_files(c, 16), 0);
    ck_assert_int_eq(ci_config_set_max_open_files(c, 1048576), 0);
    ck_assert_int_eq(ci_config_set_max_open_files(c, 1048577), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_max_open_files(NULL, 64), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_max_file_size(c, MIB), 0);
    ck_assert_int_eq(ci_config_set_max_file_size(c, GIB), 0);
    ck_assert_int_eq(ci_config_set_max_file_size(NULL, GIB), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_tmp_size(c, 0), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_tmp_size(c, MIB - 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_tmp_size(c, MIB), 0);
    ck_assert_int_eq(ci_config_set_tmp_size(c, 1024 * GIB), 0);
    ck_assert_int_eq(ci_config_set_tmp_size(c, 1024 * GIB + 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_tmp_size(NULL, MIB), CI_EINVAL);

    ci_config_free(c);
}
END_TEST

START_TEST(config_network_and_paths)
{
    ci_config *c = new_config();
    ck_assert_int_eq(ci_config_set_network(c, CI_NETWORK_HOST), 0);
    ck_assert_int_eq(ci_config_set_network(c, CI_NETWORK_NONE), 0);
    int rc = ci_config_set_network(c, (ci_network)2);
    ck_assert_msg(rc == CI_EINVAL || rc == CI_EUNKNOWN, "network 2 -> %d", rc);
    rc = ci_config_set_network(c, (ci_network)-1);
    ck_assert_msg(rc == CI_EINVAL || rc == CI_EUNKNOWN, "network -1 -> %d", rc);
    ck_assert_int_eq(ci_config_set_network(NULL, CI_NETWORK_NONE), CI_EINVAL);

    int (*const setters[])(ci_config *, const char *) = {
        ci_config_set_helper_path, ci_config_set_kernel_dir, ci_config_set_runtime_dir,
        ci_config_set_state_dir};
    for (size_t i = 0; i < sizeof setters / sizeof setters[0]; i++) {
        ck_assert_int_eq(setters[i](c, "/some/where"), 0);
        ck_assert_int_eq(setters[i](c, NULL), CI_EINVAL);
        ck_assert_int_eq(setters[i](NULL, "/some/where"), CI_EINVAL);
    }
    ci_config_free(c);
}
END_TEST

START_TEST(config_env)
{
    ci_config *c = new_config();
    ck_assert_int_eq(ci_config_set_env(c, "FOO", "bar"), 0);
    ck_assert_int_eq(ci_config_set_env(c, "FOO", "baz"), 0);
    ck_assert_int_eq(ci_config_set_env(c, "FOO", ""), 0);
    ck_assert_int_eq(ci_config_set_env(c, "FOO", "a=b"), 0);
    ck_assert_int_eq(ci_config_set_env(c, "FOO", NULL), 0);
    ck_assert_int_eq(ci_config_set_env(c, "NEVER_SET", NULL), 0);
    ck_assert_int_eq(ci_config_set_env(c, "", "x"), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_env(c, "A=B", "x"), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_env(c, "=", "x"), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_env(c, NULL, "x"), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_env(NULL, "FOO", "x"), CI_EINVAL);
    ci_config_free(c);
}
END_TEST

START_TEST(config_cgroups_range)
{
    ci_config *c = new_config();
    ck_assert_int_eq(ci_config_set_memory_limit(c, 16 * MIB - 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_memory_limit(c, 16 * MIB), 0);
    ck_assert_int_eq(ci_config_set_memory_limit(c, 2 * GIB), 0);
    ck_assert_int_eq(ci_config_set_memory_limit(c, 1024 * GIB), 0);
    ck_assert_int_eq(ci_config_set_memory_limit(c, 1024 * GIB + 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_memory_limit(NULL, GIB), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_cpu_limit(c, 0), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_cpu_limit(c, 9), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_cpu_limit(c, 10), 0);
    ck_assert_int_eq(ci_config_set_cpu_limit(c, 1024000), 0);
    ck_assert_int_eq(ci_config_set_cpu_limit(c, 1024001), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_cpu_limit(NULL, 1000), CI_EINVAL);

    const ci_cgroup_mode modes[] = {CI_CGROUP_AUTO, CI_CGROUP_V1, CI_CGROUP_V2, CI_CGROUP_NONE};
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(ci_config_set_cgroup_mode(c, modes[i]), 0);
    ck_assert_int_eq(ci_config_set_cgroup_mode(c, (ci_cgroup_mode)4), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_cgroup_mode(c, (ci_cgroup_mode)-1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_cgroup_mode(NULL, CI_CGROUP_AUTO), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_workspace_size(c, 0), 0); /* uncapped */
    ck_assert_int_eq(ci_config_set_workspace_size(c, 16 * MIB - 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_workspace_size(c, 16 * MIB), 0);
    ck_assert_int_eq(ci_config_set_workspace_size(c, 16 * 1024 * GIB), 0);
    ck_assert_int_eq(ci_config_set_workspace_size(c, 16 * 1024 * GIB + 1), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_workspace_size(NULL, GIB), CI_EINVAL);
    ck_assert_int_eq(ci_config_set_allow_tmpfs_state(c, 1), 0);
    ck_assert_int_eq(ci_config_set_allow_tmpfs_state(c, 0), 0);
    ck_assert_int_eq(ci_config_set_allow_tmpfs_state(NULL, 1), CI_EINVAL);

    ck_assert_int_eq(ci_config_set_cgroup_parent(c, "/sys/fs/cgroup/some/where"), 0);
    ck_assert_int_eq(ci_config_set_cgroup_parent(c, NULL), 0); /* reset */
    ck_assert_int_eq(ci_config_set_cgroup_parent(NULL, "x"), CI_EINVAL);
    ci_config_free(c);
}
END_TEST

/* --------------------------------------------------------- exec options */

static int dummy_cb(const char *data, size_t len, void *user_data)
{
    (void)data;
    (void)len;
    (void)user_data;
    return 0;
}

START_TEST(exec_options)
{
    ck_assert_int_eq(ci_exec_options_new(NULL), CI_EINVAL);
    ci_exec_options *o = NULL;
    ck_assert_int_eq(ci_exec_options_new(&o), 0);
    ck_assert_ptr_nonnull(o);

    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_PYTHON), 0);
    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_JAVASCRIPT), 0);
    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_TYPESCRIPT), 0);
    ck_assert_int_eq(ci_exec_options_set_language(o, (ci_language)0), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_language(o, CI_LANGUAGE_SHELL), 0);
    ck_assert_int_eq(ci_exec_options_set_language(o, (ci_language)5), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_language(NULL, CI_LANGUAGE_PYTHON), CI_EINVAL);

    ck_assert_int_eq(ci_exec_options_set_timeout_ms(o, 0), 0); /* the config's default */
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(o, 1), 0);
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(o, 8 * HOUR_MS), 0);
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(o, 8 * HOUR_MS + 1), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(o, CI_MAX_TIMEOUT_MS), 0);
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(o, CI_MAX_TIMEOUT_MS + 1), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(o, UINT64_MAX), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_timeout_ms(NULL, 1000), CI_EINVAL);

    ck_assert_int_eq(ci_exec_options_set_clear_context(o, 1), 0);
    ck_assert_int_eq(ci_exec_options_set_clear_context(o, 0), 0);
    ck_assert_int_eq(ci_exec_options_set_clear_context(NULL, 1), CI_EINVAL);

    int token = 0;
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, dummy_cb, &token), 0);
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, NULL, NULL), 0);
    ck_assert_int_eq(ci_exec_options_set_stderr_callback(o, dummy_cb, &token), 0);
    ck_assert_int_eq(ci_exec_options_set_stderr_callback(o, NULL, NULL), 0);
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(NULL, dummy_cb, NULL), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_stderr_callback(NULL, dummy_cb, NULL), CI_EINVAL);

    /* per-call environment: names as a shell takes them, 1 MiB in all */
    ck_assert_int_eq(ci_exec_options_set_env(o, "A_1", "x"), 0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "_b", ""), 0);
    ck_assert_int_eq(ci_exec_options_set_env(o, "A_1", "y"), 0); /* replaces */
    ck_assert_int_eq(ci_exec_options_set_env(o, "A_1", NULL), 0); /* removes */
    ck_assert_int_eq(ci_exec_options_set_env(o, "NOT_SET", NULL), 0);
    const char *bad_names[] = {"", "1A", "A-B", "A=B", "A B", "é"};
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++)
        ck_assert_msg(ci_exec_options_set_env(o, bad_names[i], "v") == CI_EINVAL, "%s",
                      bad_names[i]);
    char long_name[257];
    memset(long_name, 'N', sizeof long_name - 1);
    long_name[256] = '\0';
    ck_assert_int_eq(ci_exec_options_set_env(o, long_name, "v"), CI_EINVAL);
    long_name[255] = '\0';
    ck_assert_int_eq(ci_exec_options_set_env(o, long_name, "v"), 0);
    /* one variable: "name=value" at most 128 KiB - 1 bytes, what execve takes */
    enum { ONE_MAX = 128 * 1024 - 1 };
    char *big = malloc(ONE_MAX + 1);
    ck_assert_ptr_nonnull(big);
    memset(big, 'v', ONE_MAX);
    big[ONE_MAX - 2] = '\0'; /* "B=" + value: exactly the limit */
    ck_assert_int_eq(ci_exec_options_set_env(o, "B", big), 0);
    big[ONE_MAX - 2] = 'v';
    big[ONE_MAX - 1] = '\0'; /* one byte over */
    ck_assert_int_eq(ci_exec_options_set_env(o, "B", big), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_env(o, "B", NULL), 0);
    /* 1 MiB in all: ten variables of 100 KiB fit, an eleventh does not */
    big[100 * 1024] = '\0';
    char name[8];
    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof name, "V%d", i);
        ck_assert_int_eq(ci_exec_options_set_env(o, name, big), 0);
    }
    ck_assert_int_eq(ci_exec_options_set_env(o, "V10", big), CI_EINVAL); /* total */
    /* a refused replacement keeps the old value, and its share counts once */
    ck_assert_int_eq(ci_exec_options_set_env(o, "V0", big), 0);
    big[100 * 1024] = 'v';
    big[127 * 1024] = '\0';
    ck_assert_int_eq(ci_exec_options_set_env(o, "V0", big), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_env(o, "V9", NULL), 0); /* frees its share */
    ck_assert_int_eq(ci_exec_options_set_env(o, "V0", big), 0);
    for (int i = 0; i < 9; i++) {
        snprintf(name, sizeof name, "V%d", i);
        ck_assert_int_eq(ci_exec_options_set_env(o, name, NULL), 0);
    }
    free(big);
    ck_assert_int_eq(ci_exec_options_set_env(NULL, "A", "v"), CI_EINVAL);
    ck_assert_int_eq(ci_exec_options_set_env(o, NULL, "v"), CI_EINVAL);

    /* working directory beneath /workspace */
    const char *good_dirs[] = {"data", "data/in", "/workspace", "/workspace/data", ".", NULL};
    for (size_t i = 0; i < sizeof good_dirs / sizeof good_dirs[0]; i++)
        ck_assert_msg(ci_exec_options_set_cwd(o, good_dirs[i]) == 0, "%s",
                      good_dirs[i] ? good_dirs[i] : "NULL");
    const char *bad_dirs[] = {"..", "../etc", "/etc", "/workspacex", "a//b", "a/../..",
                              "/workspace/../etc"};
    for (size_t i = 0; i < sizeof bad_dirs / sizeof bad_dirs[0]; i++)
        ck_assert_msg(ci_exec_options_set_cwd(o, bad_dirs[i]) == CI_EPATH, "%s", bad_dirs[i]);
    ck_assert_int_eq(ci_exec_options_set_cwd(NULL, "data"), CI_EINVAL);

    ck_assert_int_eq(ci_exec_options_set_kill_leftovers(o, 1), 0);
    ck_assert_int_eq(ci_exec_options_set_kill_leftovers(o, 0), 0);
    ck_assert_int_eq(ci_exec_options_set_kill_leftovers(NULL, 1), CI_EINVAL);

    ci_exec_options_free(o);
    ci_exec_options_free(NULL);
}
END_TEST

/* ---------------------------------------------------------- NULL safety */

START_TEST(null_frees_and_getters)
{
    ci_config_free(NULL);
    ci_exec_options_free(NULL);
    ci_result_free(NULL);
    ci_session_destroy(NULL);
    ci_free(NULL);

    size_t len = 12345;
    const char *text = ci_result_stdout(NULL, &len);
    ck_assert_msg(text != NULL && *text == '\0' && len == 0, "stdout(NULL)");
    len = 12345;
    text = ci_result_stderr(NULL, &len);
    ck_assert_msg(text != NULL && *text == '\0' && len == 0, "stderr(NULL)");
    ck_assert_int_eq(ci_result_stdout_truncated(NULL), 0);
    ck_assert_int_eq(ci_result_stderr_truncated(NULL), 0);
    ck_assert_ptr_null(ci_result_value(NULL));
    ck_assert_ptr_null(ci_result_error_name(NULL));
    ck_assert_ptr_null(ci_result_error_value(NULL));
    ck_assert_ptr_null(ci_result_error_traceback(NULL));
    (void)ci_result_status(NULL);
    (void)ci_result_exit_code(NULL);
    (void)ci_result_wall_ms(NULL);
    (void)ci_result_cpu_ms(NULL);
    ck_assert_uint_eq(ci_result_peak_memory_bytes(NULL), 0);
    (void)ci_result_language(NULL);

    char *json = (char *)"untouched";
    ck_assert_int_eq(ci_result_to_json(NULL, &json), CI_EINVAL);
    ck_assert_str_eq(json, "untouched");

    ci_usage *usage = (ci_usage *)&usage;
    ck_assert_int_eq(ci_session_usage(NULL, &usage), CI_EINVAL);
    ck_assert_ptr_eq(usage, (ci_usage *)&usage);
    ci_usage_free(NULL);
    ck_assert_uint_eq(ci_usage_cpu_ms(NULL), 0);
    ck_assert_uint_eq(ci_usage_peak_memory_bytes(NULL), 0);
    ck_assert_uint_eq(ci_usage_lifetime_ms(NULL), 0);
    ck_assert_uint_eq(ci_usage_cpu_seconds(NULL), 0);
    ck_assert(ci_usage_gb_seconds(NULL) == 0.0);
    (void)ci_session_limits_mode(NULL);

    ck_assert_ptr_null(ci_session_id(NULL));
    text = ci_session_last_error(NULL);
    ck_assert_msg(text == NULL || *text == '\0', "last_error(NULL) = %s", text);
    ck_assert_int_eq(ci_session_cancel(NULL), CI_EINVAL);

    ck_assert_uint_eq(ci_result_stray_output_bytes(NULL), 0);
    ci_task_info_free(NULL);
    ck_assert_ptr_null(ci_task_info_id(NULL));
    ck_assert_ptr_null(ci_task_info_error(NULL));
    len = 12345;
    ck_assert_ptr_null(ci_task_info_output(NULL, CI_TASK_STDOUT, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(ci_task_info_output_dropped(NULL, CI_TASK_STDERR), 0);
    ck_assert_uint_eq(ci_task_info_output_end(NULL, CI_TASK_STDOUT), 0);
    ck_assert_uint_eq(ci_task_info_peak_memory_bytes(NULL), 0);
    (void)ci_task_info_status(NULL);
    (void)ci_task_info_exit_code(NULL);
    json = (char *)"untouched";
    ck_assert_int_eq(ci_task_info_to_json(NULL, &json), CI_EINVAL);
    ck_assert_str_eq(json, "untouched");
}
END_TEST

START_TEST(null_arguments_of_calls)
{
    ci_result *result = (ci_result *)&result; /* sentinel: must stay */
    ck_assert_int_eq(ci_execute(NULL, "print(1)", NULL, &result), CI_EINVAL);
    ck_assert_ptr_eq(result, (ci_result *)&result);
    ck_assert_int_eq(ci_execute_oneshot(NULL, NULL, NULL, &result), CI_EINVAL);
    ck_assert_ptr_eq(result, (ci_result *)&result);
    ck_assert_int_eq(ci_execute_oneshot(NULL, "print(1)", NULL, NULL), CI_EINVAL);
    ck_assert_int_eq(ci_execute_command(NULL, "true", NULL, &result), CI_EINVAL);
    ck_assert_ptr_eq(result, (ci_result *)&result);

    char *task_id = (char *)"untouched";
    ck_assert_int_eq(ci_task_start(NULL, "true", NULL, &task_id), CI_EINVAL);
    ck_assert_str_eq(task_id, "untouched");
    ci_task_info *info = (ci_task_info *)&info;
    ck_assert_int_eq(ci_task_get(NULL, "task-1", 0, 0, &info), CI_EINVAL);
    ck_assert_ptr_eq(info, (ci_task_info *)&info);
    ck_assert_int_eq(ci_task_stop(NULL, "task-1", &info), CI_EINVAL);
    ck_assert_ptr_eq(info, (ci_task_info *)&info);

    char *out = (char *)"untouched";
    ck_assert_int_eq(ci_invoke_json(NULL, "{}", &out), CI_EINVAL);
    ck_assert_str_eq(out, "untouched");

    ci_config *config = new_config();
    ck_assert_int_eq(ci_session_create(config, NULL), CI_EINVAL);
    ci_config_free(config);
}
END_TEST

/* ----------------------------------------------- failing session creation */

START_TEST(create_with_missing_helper)
{
    char marker[17];
    tc_random_hex(marker, 16);
    char *path = tc_printf("/nonexistent-%s/codeinterp-sandbox", marker);
    ci_config *config = new_config();
    ck_assert_int_eq(ci_config_set_helper_path(config, path), 0);

    ci_session *session = (ci_session *)&session;
    int rc = ci_session_create(config, &session);
    ck_assert_msg(rc < 0, "session created with a helper that does not exist");
    ck_assert_msg(rc == CI_ESANDBOX || rc == CI_EIO, "rc %d (%s)", rc, ci_strerror(rc));
    ck_assert_ptr_eq(session, (ci_session *)&session);
    const char *msg = ci_last_error();
    ck_assert_ptr_nonnull(msg);
    ck_assert_msg(*msg != '\0', "no detailed message");

    ci_result *result = (ci_result *)&result;
    rc = ci_execute_oneshot(config, "print(1)", NULL, &result);
    ck_assert_msg(rc < 0, "oneshot ran with a helper that does not exist");
    ck_assert_ptr_eq(result, (ci_result *)&result);

    /* A second attempt fails the same way: no half-initialised global state. */
    session = NULL;
    ck_assert_int_lt(ci_session_create(config, &session), 0);
    ck_assert_ptr_null(session);

    ci_config_free(config);
    free(path);
}
END_TEST

START_TEST(create_with_non_executable_helper)
{
    char *dir = tc_make_temp_dir("ci-api");
    char *path = tc_printf("%s/codeinterp-sandbox", dir);
    tc_write_file(path, "not a program\n", 0644);
    ci_config *config = new_config();
    ck_assert_int_eq(ci_config_set_helper_path(config, path), 0);
    ci_session *session = NULL;
    int rc = ci_session_create(config, &session);
    ck_assert_msg(rc < 0, "session created with a non-executable helper");
    ck_assert_ptr_null(session);
    ck_assert_msg(*ci_last_error() != '\0', "no detailed message");
    ci_config_free(config);
    tc_remove_tree(dir);
    free(path);
    free(dir);
}
END_TEST

static Suite *api_suite(void)
{
    Suite *s = suite_create("unit");
    TCase *tc;

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, error_codes_are_stable);
    tcase_add_test(tc, strerror_every_code);
    tcase_add_test(tc, strerror_unknown_codes);
    tcase_add_test(tc, last_error_is_thread_local);
    suite_add_tcase(s, tc);

    tc = tcase_create("names");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, version_matches_macros);
    tcase_add_test(tc, language_names);
    tcase_add_test(tc, status_names);
    tcase_add_test(tc, language_choices_in_message);
    tcase_add_test(tc, network_names);
    tcase_add_test(tc, cgroup_mode_names);
    tcase_add_test(tc, timeout_from_seconds);
    suite_add_tcase(s, tc);

    tc = tcase_create("options");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, config_new_and_free);
    tcase_add_test(tc, config_timeouts_range);
    tcase_add_test(tc, config_uid_range);
    tcase_add_test(tc, config_limits_range);
    tcase_add_test(tc, config_network_and_paths);
    tcase_add_test(tc, config_env);
    tcase_add_test(tc, config_cgroups_range);
    tcase_add_test(tc, exec_options);
    suite_add_tcase(s, tc);

    tc = tcase_create("null");
    tcase_set_timeout(tc, 10);
    tcase_add_test(tc, null_frees_and_getters);
    tcase_add_test(tc, null_arguments_of_calls);
    suite_add_tcase(s, tc);

    tc = tcase_create("create_errors");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, create_with_missing_helper);
    tcase_add_test(tc, create_with_non_executable_helper);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    return tc_run_suite(api_suite());
}
