/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/error.h"
#include "core/names.h"

static int set_string(char **slot, const char *value)
{
    if (!value || !*value)
        return ci_fail(NULL, CI_EINVAL, "empty path");
    char *copy = strdup(value);
    if (!copy)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    free(*slot);
    *slot = copy;
    return CI_OK;
}

CI_EXPORT int ci_config_new(ci_config **out)
{
    ci_error_reset();
    if (!out)
        return ci_fail(NULL, CI_EINVAL, "out is NULL");
    struct ci_config *c = malloc(sizeof(*c));
    int r = c ? ci_config_init(c) : CI_ENOMEM;
    if (r < 0) {
        free(c);
        if (r == CI_EINVAL)
            return ci_fail(NULL, r, "CODEINTERP_WORKSPACE_SIZE must be 0 or MiB from 16 to "
                           "16777216");
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    }
    *out = c;
    return CI_OK;
}

CI_EXPORT void ci_config_free(ci_config *config)
{
    if (!config)
        return;
    ci_config_clear(config);
    free(config);
}

#define CHECK_CONFIG(c) \
    do { \
        ci_error_reset(); \
        if (!(c)) \
            return ci_fail(NULL, CI_EINVAL, "config is NULL"); \
    } while (0)

CI_EXPORT int ci_config_set_helper_path(ci_config *c, const char *path)
{
    CHECK_CONFIG(c);
    return set_string(&c->helper_path, path);
}

CI_EXPORT int ci_config_set_kernel_dir(ci_config *c, const char *path)
{
    CHECK_CONFIG(c);
    return set_string(&c->kernel_dir, path);
}

CI_EXPORT int ci_config_set_runtime_dir(ci_config *c, const char *path)
{
    CHECK_CONFIG(c);
    return set_string(&c->runtime_dir, path);
}

CI_EXPORT int ci_config_set_state_dir(ci_config *c, const char *path)
{
    CHECK_CONFIG(c);
    if (path && path[0] != '/')
        return ci_fail(NULL, CI_EINVAL, "state dir must be an absolute path");
    return set_string(&c->state_dir, path);
}

CI_EXPORT int ci_config_set_uid_range(ci_config *c, uint32_t base, uint32_t count)
{
    CHECK_CONFIG(c);
    if (count == 0 || base == 0 || (uint64_t)base + count > 0xFFFFFFFFull)
        return ci_fail(NULL, CI_EINVAL, "uid range must be non-empty, exclude 0 and not wrap");
    c->uid_base = base;
    c->uid_count = count;
    return CI_OK;
}

static int check_duration(uint64_t ms, const char *what)
{
    if (ms == 0 || ms > CI_MAX_TIMEOUT_MS)
        return ci_fail(NULL, CI_EINVAL, "%s must be between 1 ms and 8 hours", what);
    return CI_OK;
}

CI_EXPORT int ci_config_set_exec_timeout_ms(ci_config *c, uint64_t ms)
{
    CHECK_CONFIG(c);
    int r = check_duration(ms, "execution timeout");
    if (r == CI_OK)
        c->exec_timeout_ms = ms;
    return r;
}

CI_EXPORT int ci_config_set_idle_timeout_ms(ci_config *c, uint64_t ms)
{
    CHECK_CONFIG(c);
    int r = check_duration(ms, "idle timeout");
    if (r == CI_OK)
        c->idle_timeout_ms = ms;
    return r;
}

CI_EXPORT int ci_config_set_session_lifetime_ms(ci_config *c, uint64_t ms)
{
    CHECK_CONFIG(c);
    int r = ms == 0 ? CI_OK : check_duration(ms, "session lifetime");
    if (r == CI_OK)
        c->session_lifetime_ms = ms;
    return r;
}

CI_EXPORT int ci_config_set_network(ci_config *c, ci_network mode)
{
    CHECK_CONFIG(c);
    if (!ci_names_network(mode))
        return ci_fail(NULL, CI_EINVAL, "unknown network mode %d", (int)mode);
    c->network = mode;
    return CI_OK;
}

CI_EXPORT int ci_config_set_max_tasks(ci_config *c, uint32_t count)
{
    CHECK_CONFIG(c);
    if (count < 1 || count > 1024)
        return ci_fail(NULL, CI_EINVAL, "the task bound must be 1 .. 1024");
    c->max_tasks = count;
    return CI_OK;
}

CI_EXPORT int ci_config_set_task_output_limit(ci_config *c, size_t bytes)
{
    CHECK_CONFIG(c);
    if (bytes < 4096 || bytes > (256u << 20))
        return ci_fail(NULL, CI_EINVAL, "the task output limit must be 4 KiB .. 256 MiB");
    c->task_output_limit = bytes;
    return CI_OK;
}

CI_EXPORT int ci_config_set_output_limit(ci_config *c, size_t bytes)
{
    CHECK_CONFIG(c);
    if (bytes > (1u << 30))
        return ci_fail(NULL, CI_EINVAL, "output limit must be at most 1 GiB");
    c->output_limit = bytes;
    return CI_OK;
}

CI_EXPORT int ci_config_set_max_processes(ci_config *c, uint32_t count)
{
    CHECK_CONFIG(c);
    if (count < 1 || count > 1048576)
        return ci_fail(NULL, CI_EINVAL, "max processes must be 1 .. 1048576");
    c->max_processes = count;
    return CI_OK;
}

CI_EXPORT int ci_config_set_max_open_files(ci_config *c, uint32_t count)
{
    CHECK_CONFIG(c);
    if (count < 16 || count > 1048576)
        return ci_fail(NULL, CI_EINVAL, "max open files must be 16 .. 1048576");
    c->max_open_files = count;
    return CI_OK;
}

CI_EXPORT int ci_config_set_max_file_size(ci_config *c, uint64_t bytes)
{
    CHECK_CONFIG(c);
    if (bytes < 4096)
        return ci_fail(NULL, CI_EINVAL, "max file size must be at least 4096 bytes");
    c->max_file_size = bytes;
    return CI_OK;
}

CI_EXPORT int ci_config_set_tmp_size(ci_config *c, uint64_t bytes)
{
    CHECK_CONFIG(c);
    if (bytes < (1ull << 20) || bytes > (1ull << 40))
        return ci_fail(NULL, CI_EINVAL, "tmp size must be 1 MiB .. 1 TiB");
    c->tmp_size = bytes;
    return CI_OK;
}

CI_EXPORT int ci_config_set_env(ci_config *c, const char *name, const char *value)
{
    CHECK_CONFIG(c);
    if (!name || !*name || strchr(name, '='))
        return ci_fail(NULL, CI_EINVAL, "invalid environment variable name");
    size_t nlen = strlen(name);
    size_t idx = c->env_count;
    for (size_t i = 0; i < c->env_count; i++)
        if (!strncmp(c->env[i], name, nlen) && c->env[i][nlen] == '=')
            idx = i;
    if (!value) {
        if (idx == c->env_count)
            return CI_OK;
        free(c->env[idx]);
        memmove(&c->env[idx], &c->env[idx + 1], (c->env_count - idx) * sizeof(char *));
        c->env_count--;
        return CI_OK;
    }
    size_t len = nlen + strlen(value) + 2;
    char *entry = malloc(len);
    if (!entry)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    snprintf(entry, len, "%s=%s", name, value);
    if (idx < c->env_count) {
        free(c->env[idx]);
        c->env[idx] = entry;
        return CI_OK;
    }
    char **grown = realloc(c->env, (c->env_count + 2) * sizeof(char *));
    if (!grown) {
        free(entry);
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    }
    c->env = grown;
    c->env[c->env_count++] = entry;
    c->env[c->env_count] = NULL;
    return CI_OK;
}

CI_EXPORT int ci_config_set_memory_limit(ci_config *c, uint64_t bytes)
{
    CHECK_CONFIG(c);
    if (bytes < (16ull << 20) || bytes > (1ull << 40))
        return ci_fail(NULL, CI_EINVAL, "memory limit must be 16 MiB .. 1 TiB");
    c->memory_limit = bytes;
    return CI_OK;
}

CI_EXPORT int ci_config_set_cpu_limit(ci_config *c, uint32_t millicpus)
{
    CHECK_CONFIG(c);
    if (millicpus < 10 || millicpus > 1024000)
        return ci_fail(NULL, CI_EINVAL, "CPU limit must be 10 .. 1024000 millicpus");
    c->cpu_millis = millicpus;
    return CI_OK;
}

CI_EXPORT int ci_config_set_cgroup_mode(ci_config *c, ci_cgroup_mode mode)
{
    CHECK_CONFIG(c);
    if (!ci_names_cgroup_mode(mode))
        return ci_fail(NULL, CI_EINVAL, "unknown cgroup mode %d", (int)mode);
    c->cgroup_mode = mode;
    return CI_OK;
}

CI_EXPORT int ci_config_set_cgroup_parent(ci_config *c, const char *path)
{
    CHECK_CONFIG(c);
    if (!path) {
        free(c->cgroup_parent);
        c->cgroup_parent = NULL;
        return CI_OK;
    }
    return set_string(&c->cgroup_parent, path);
}

CI_EXPORT int ci_config_set_workspace_size(ci_config *c, uint64_t bytes)
{
    CHECK_CONFIG(c);
    if (bytes != 0 && (bytes < (16ull << 20) || bytes > (16ull << 40)))
        return ci_fail(NULL, CI_EINVAL, "workspace size must be 0 (uncapped) or 16 MiB .. 16 TiB");
    c->workspace_size = bytes;
    return CI_OK;
}

CI_EXPORT int ci_config_set_allow_tmpfs_state(ci_config *c, int allow)
{
    CHECK_CONFIG(c);
    c->allow_tmpfs_state = allow != 0;
    return CI_OK;
}
