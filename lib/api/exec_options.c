/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/config.h"
#include "core/exec_options.h"
#include "core/names.h"
#include "util/safe_path.h"

CI_EXPORT int ci_exec_options_new(ci_exec_options **out)
{
    ci_error_reset();
    if (!out)
        return ci_fail(NULL, CI_EINVAL, "out is NULL");
    struct ci_exec_options *o = calloc(1, sizeof(*o));
    if (!o)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    o->language = CI_LANGUAGE_PYTHON;
    *out = o;
    return CI_OK;
}

CI_EXPORT void ci_exec_options_free(ci_exec_options *options)
{
    if (options) {
        free(options->input_s3_uri);
        free(options->output_s3_uri);
        for (size_t i = 0; i < options->env_count; i++) {
            free(options->env_names[i]);
            free(options->env_values[i]);
        }
        free(options->env_names);
        free(options->env_values);
        free(options->cwd);
    }
    free(options);
}

CI_EXPORT int ci_exec_options_set_language(ci_exec_options *o, ci_language language)
{
    ci_error_reset();
    if (!o || !ci_names_language(language))
        return ci_fail(NULL, CI_EINVAL, "invalid options or language");
    o->language = language;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_timeout_ms(ci_exec_options *o, uint64_t ms)
{
    ci_error_reset();
    if (!o || ms > CI_MAX_TIMEOUT_MS)
        return ci_fail(NULL, CI_EINVAL, "timeout must be at most 8 hours");
    o->timeout_ms = ms;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_clear_context(ci_exec_options *o, int clear)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->clear_context = clear != 0;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_stdout_callback(ci_exec_options *o, ci_output_callback cb,
                                                  void *user_data)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->on_stdout = cb;
    o->stdout_data = cb ? user_data : NULL;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_stderr_callback(ci_exec_options *o, ci_output_callback cb,
                                                  void *user_data)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->on_stderr = cb;
    o->stderr_data = cb ? user_data : NULL;
    return CI_OK;
}

/* [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes: what a shell can name. */
static int env_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255 || (name[0] >= '0' && name[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}

static void env_remove(struct ci_exec_options *o, size_t i)
{
    o->env_bytes -= strlen(o->env_names[i]) + strlen(o->env_values[i]) + 2;
    free(o->env_names[i]);
    free(o->env_values[i]);
    o->env_count--;
    o->env_names[i] = o->env_names[o->env_count];
    o->env_values[i] = o->env_values[o->env_count];
}

CI_EXPORT int ci_exec_options_set_env(ci_exec_options *o, const char *name, const char *value)
{
    ci_error_reset();
    if (!o || !name || !env_name_ok(name))
        return ci_fail(NULL, CI_EINVAL, "a variable name is [A-Za-z_][A-Za-z0-9_]*, at most "
                       "255 bytes");
    size_t old = o->env_count; /* index of the variable this replaces, if any */
    for (size_t i = 0; i < o->env_count; i++)
        if (!strcmp(o->env_names[i], name)) {
            old = i;
            break;
        }
    if (!value) {
        if (old < o->env_count)
            env_remove(o, old);
        return CI_OK;
    }
    /* Checked before the old value goes, so that a refusal loses nothing. */
    size_t need = strlen(name) + strlen(value) + 2;
    if (need - 1 > CI_EXEC_ENV_ONE_MAX)
        return ci_fail(NULL, CI_EINVAL, "one variable (name=value) takes at most 128 KiB, "
                       "the kernel's limit for one environment string");
    size_t freed = old < o->env_count
                       ? strlen(o->env_names[old]) + strlen(o->env_values[old]) + 2
                       : 0;
    if (o->env_bytes - freed + need > CI_EXEC_ENV_MAX)
        return ci_fail(NULL, CI_EINVAL, "the variables of one execution take at most 1 MiB");
    if (old < o->env_count) {
        char *v = strdup(value);
        if (!v)
            return ci_fail(NULL, CI_ENOMEM, "out of memory");
        free(o->env_values[old]);
        o->env_values[old] = v;
        o->env_bytes = o->env_bytes - freed + need;
        return CI_OK;
    }
    char **names = realloc(o->env_names, (o->env_count + 1) * sizeof(char *));
    if (names)
        o->env_names = names;
    char **values = names ? realloc(o->env_values, (o->env_count + 1) * sizeof(char *)) : NULL;
    if (values)
        o->env_values = values;
    char *n = values ? strdup(name) : NULL;
    char *v = n ? strdup(value) : NULL;
    if (!v) {
        free(n);
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    }
    o->env_names[o->env_count] = n;
    o->env_values[o->env_count] = v;
    o->env_count++;
    o->env_bytes += need;
    return CI_OK;
}

#define WORKSPACE "/workspace"

CI_EXPORT int ci_exec_options_set_cwd(ci_exec_options *o, const char *dir)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    const char *rel = dir;
    if (rel && !strncmp(rel, WORKSPACE, sizeof(WORKSPACE) - 1) &&
        (rel[sizeof(WORKSPACE) - 1] == '/' || rel[sizeof(WORKSPACE) - 1] == '\0')) {
        rel += sizeof(WORKSPACE) - 1;
        rel += *rel == '/';
    }
    char *abs = NULL;
    if (rel && *rel && strcmp(rel, ".") && strcmp(rel, "./")) {
        size_t n = strlen(rel);
        char *copy = strdup(rel);
        if (!copy)
            return ci_fail(NULL, CI_ENOMEM, "out of memory");
        if (n > 1 && copy[n - 1] == '/')
            copy[n - 1] = '\0'; /* "data/" names the folder data */
        char why[256];
        if (ci_path_check(copy, why, sizeof why) < 0) {
            ci_fail(NULL, CI_EPATH, "working directory \"%s\" is not a folder under /workspace: %s",
                    dir, why);
            free(copy);
            return CI_EPATH;
        }
        abs = malloc(sizeof(WORKSPACE) + strlen(copy) + 1);
        if (abs)
            sprintf(abs, WORKSPACE "/%s", copy);
        free(copy);
        if (!abs)
            return ci_fail(NULL, CI_ENOMEM, "out of memory");
    }
    free(o->cwd);
    o->cwd = abs;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_kill_leftovers(ci_exec_options *o, int kill)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->kill_leftovers = kill != 0;
    return CI_OK;
}

CI_EXPORT int ci_exec_options_set_cancel(ci_exec_options *o, ci_cancel *cancel)
{
    ci_error_reset();
    if (!o)
        return ci_fail(NULL, CI_EINVAL, "options is NULL");
    o->cancel = cancel;
    return CI_OK;
}
