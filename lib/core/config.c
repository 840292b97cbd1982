/* SPDX-License-Identifier: MIT */
/* The library's settings: defaults (from the environment where the
 * CODEINTERP_* variables say so), deep copies for sessions, release. */
#include "core/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ci_build_config.h"
#include "core/audit.h"
#include "transfer/s3_settings.h"

static char *default_state_dir(void)
{
    char buf[4096];
    if (geteuid() == 0)
        return strdup("/var/lib/codeinterp"); /* on disk: workspace images are big */
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (xdg && *xdg && snprintf(buf, sizeof(buf), "%s/codeinterp", xdg) < (int)sizeof(buf))
        return strdup(buf);
    snprintf(buf, sizeof(buf), "/tmp/codeinterp-%u", (unsigned)geteuid());
    return strdup(buf);
}

/* CODEINTERP_WORKSPACE_SIZE: the default workspace size in MiB, 0 or
 * 16 .. 16 TiB as ci_config_set_workspace_size() takes; CI_EINVAL for
 * anything else. Test runs set it: every workspace is reserved on the
 * host's disk in full. */
static int workspace_size_from_env(uint64_t *bytes)
{
    const char *v = getenv("CODEINTERP_WORKSPACE_SIZE");
    if (!v || !*v)
        return CI_OK;
    char *end;
    errno = 0;
    unsigned long long mib = strtoull(v, &end, 10);
    if (errno || *end || v[0] == '-' || (mib != 0 && (mib < 16 || mib > (16ull << 20))))
        return CI_EINVAL;
    *bytes = (uint64_t)mib << 20;
    return CI_OK;
}

static char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return strdup(v && *v ? v : fallback);
}

int ci_config_init(struct ci_config *c)
{
    memset(c, 0, sizeof(*c));
    c->helper_path = env_or("CODEINTERP_HELPER", CI_HELPER_PATH);
    c->kernel_dir = env_or("CODEINTERP_KERNEL_DIR", CI_KERNEL_DIR);
    c->runtime_dir = env_or("CODEINTERP_RUNTIME_DIR", CI_RUNTIME_DIR);
    const char *sd = getenv("CODEINTERP_STATE_DIR");
    c->state_dir = sd && *sd ? strdup(sd) : default_state_dir();
    c->env = calloc(1, sizeof(char *));
    if (!c->helper_path || !c->kernel_dir || !c->runtime_dir || !c->state_dir || !c->env) {
        ci_config_clear(c);
        return CI_ENOMEM;
    }
    c->uid_base = 2000000000u;
    c->uid_count = 65536;
    c->exec_timeout_ms = CI_DEFAULT_DURATION_MS;
    c->idle_timeout_ms = CI_DEFAULT_DURATION_MS;
    c->network = CI_NETWORK_NONE;
    c->output_limit = 16u << 20;
    c->max_processes = 512;
    c->max_open_files = 1024;
    c->max_file_size = 1ull << 30;
    c->tmp_size = 1ull << 30;
    c->memory_limit = 2ull << 30;
    c->workspace_size = 10ull << 30;
    if (workspace_size_from_env(&c->workspace_size) < 0) {
        ci_config_clear(c);
        return CI_EINVAL;
    }
    c->cpu_millis = 2000;
    c->cgroup_mode = CI_CGROUP_AUTO;
    c->upload_limit = 100ull << 20;
    c->max_tasks = 16;
    c->task_output_limit = 1u << 20;
    return CI_OK;
}

void ci_config_clear(struct ci_config *c)
{
    free(c->sandbox_backend);
    free(c->helper_path);
    free(c->kernel_dir);
    free(c->runtime_dir);
    free(c->state_dir);
    free(c->cgroup_parent);
    free(c->audit_path);
    free(c->audit_principal);
    ci_audit_chain_unref(c->audit_chain);
    ci_s3_settings_free(c->s3);
    if (c->env)
        for (size_t i = 0; i < c->env_count; i++)
            free(c->env[i]);
    free(c->env);
    memset(c, 0, sizeof(*c));
}

int ci_config_copy(struct ci_config *dst, const struct ci_config *src)
{
    *dst = *src;
    dst->helper_path = strdup(src->helper_path);
    dst->kernel_dir = strdup(src->kernel_dir);
    dst->runtime_dir = strdup(src->runtime_dir);
    dst->state_dir = strdup(src->state_dir);
    dst->sandbox_backend = src->sandbox_backend ? strdup(src->sandbox_backend) : NULL;
    dst->cgroup_parent = src->cgroup_parent ? strdup(src->cgroup_parent) : NULL;
    dst->audit_path = src->audit_path ? strdup(src->audit_path) : NULL;
    dst->audit_principal = src->audit_principal ? strdup(src->audit_principal) : NULL;
    ci_audit_chain_ref(dst->audit_chain);
    int s3_ok = 1;
    dst->s3 = ci_s3_settings_dup(src->s3, &s3_ok);
    dst->env = calloc(src->env_count + 1, sizeof(char *));
    dst->env_count = 0;
    int ok = dst->helper_path && dst->kernel_dir && dst->runtime_dir && dst->state_dir && dst->env &&
             (dst->cgroup_parent || !src->cgroup_parent) &&
             (dst->sandbox_backend || !src->sandbox_backend) && (dst->audit_path || !src->audit_path) &&
             (dst->audit_principal || !src->audit_principal) && s3_ok;
    for (size_t i = 0; ok && i < src->env_count; i++) {
        if (!(dst->env[i] = strdup(src->env[i])))
            ok = 0;
        else
            dst->env_count++;
    }
    if (!ok) {
        ci_config_clear(dst);
        return CI_ENOMEM;
    }
    return CI_OK;
}
