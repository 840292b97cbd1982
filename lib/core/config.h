/* SPDX-License-Identifier: MIT */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "codeinterp/codeinterp.h"

#define CI_DEFAULT_DURATION_MS (15ull * 60 * 1000)

struct ci_config {
    char *sandbox_backend;  /* NULL: "process" (sandbox/sandbox.h registry) */
    char *helper_path;
    char *kernel_dir;
    char *runtime_dir;
    char *state_dir;
    uint32_t uid_base;
    uint32_t uid_count;
    uint64_t exec_timeout_ms;
    uint64_t idle_timeout_ms;
    uint64_t session_lifetime_ms; /* 0: none */
    ci_network network;
    size_t output_limit;
    uint32_t max_processes;
    uint32_t max_open_files;
    uint64_t max_file_size;
    uint64_t tmp_size;
    uint64_t workspace_size;  /* 0: plain uncapped directory */
    int allow_tmpfs_state;    /* workspace images may live in host memory */
    uint64_t memory_limit;
    uint32_t cpu_millis;
    ci_cgroup_mode cgroup_mode;
    char *cgroup_parent;  /* NULL: default */
    char **env;      /* "NAME=VALUE", NULL-terminated */
    size_t env_count;
    uint64_t upload_limit;  /* largest ci_upload, bytes */
    uint32_t max_tasks;     /* background tasks running at once */
    size_t task_output_limit; /* bytes buffered per task and stream */
    char *audit_path;       /* NULL: no audit file */
    int audit_fsync;        /* fsync every audit record */
    ci_audit_callback audit_cb;
    void *audit_cb_data;
    char *audit_principal;  /* NULL: records name no principal */
    struct ci_audit_chain *audit_chain;  /* shared by copies; core/audit.h */
    struct ci_s3_settings *s3;  /* NULL: defaults; transfer/s3_settings.h */
};

/* The defaults into c (its old contents are not freed). 0, CI_ENOMEM, or
 * CI_EINVAL when CODEINTERP_WORKSPACE_SIZE is not a valid size. */
int ci_config_init(struct ci_config *c);
/* Deep copy into dst (zeroed); 0 or CI_ENOMEM. */
int ci_config_copy(struct ci_config *dst, const struct ci_config *src);
/* Releases what ci_config_copy allocated. */
void ci_config_clear(struct ci_config *c);
