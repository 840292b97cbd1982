/* SPDX-License-Identifier: MIT */
/* The public audit calls: where records go, and checking a trail file. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/audit.h"
#include "core/config.h"

CI_EXPORT int ci_config_set_audit_file(ci_config *c, const char *path)
{
    ci_error_reset();
    if (!c)
        return ci_fail(NULL, CI_EINVAL, "config is NULL");
    if (path && !*path)
        return ci_fail(NULL, CI_EINVAL, "empty audit file path");
    char *copy = NULL;
    if (path && !(copy = strdup(path)))
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    free(c->audit_path);
    c->audit_path = copy;
    return CI_OK;
}

CI_EXPORT int ci_config_set_audit_fsync(ci_config *c, int every_record)
{
    ci_error_reset();
    if (!c)
        return ci_fail(NULL, CI_EINVAL, "config is NULL");
    c->audit_fsync = every_record != 0;
    return CI_OK;
}

CI_EXPORT int ci_config_set_audit_callback(ci_config *c, ci_audit_callback cb, void *user_data)
{
    ci_error_reset();
    if (!c)
        return ci_fail(NULL, CI_EINVAL, "config is NULL");
    /* One chain per config and its copies: sessions made from it append to
     * the same sequence, as they would to the same file. */
    if (cb && !c->audit_chain && !(c->audit_chain = ci_audit_chain_new()))
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    c->audit_cb = cb;
    c->audit_cb_data = cb ? user_data : NULL;
    return CI_OK;
}

CI_EXPORT int ci_config_set_audit_principal(ci_config *c, const char *principal)
{
    ci_error_reset();
    if (!c)
        return ci_fail(NULL, CI_EINVAL, "config is NULL");
    if (principal) {
        size_t n = strlen(principal);
        if (n == 0 || n > 256)
            return ci_fail(NULL, CI_EINVAL, "an audit principal has 1 to 256 bytes");
        for (size_t i = 0; i < n; i++)
            if (principal[i] < 0x20 || principal[i] > 0x7e)
                return ci_fail(NULL, CI_EINVAL, "an audit principal is printable ASCII");
    }
    char *copy = NULL;
    if (principal && !(copy = strdup(principal)))
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    free(c->audit_principal);
    c->audit_principal = copy;
    return CI_OK;
}

CI_EXPORT int ci_audit_access_denied(const ci_config *c, const char *principal,
                                     const char *reason, const char *message)
{
    ci_error_reset();
    if (!c || !reason || !*reason)
        return ci_fail(NULL, CI_EINVAL, "a config and a reason are required");
    char err[512] = "";
    int r = ci_audit_host_denied(c, principal, reason, message, err, sizeof err);
    return r < 0 ? ci_fail(NULL, r, "%s", err[0] ? err : "cannot write the audit record") : CI_OK;
}

CI_EXPORT int ci_audit_verify_file(const char *path, uint64_t *records, char **problem)
{
    ci_error_reset();
    if (!path)
        return ci_fail(NULL, CI_EINVAL, "path is NULL");
    return ci_audit_verify_path(path, records, problem);
}
