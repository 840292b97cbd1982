/* SPDX-License-Identifier: MIT */
/* The system calls the sandbox refused, as the init counted them. */
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox/helper_proto.h"
#include "sandbox/process.h"
#include "sandbox/seccomp_policy.h"

/* The calls of the unified table (the same numbers on x86_64 and aarch64)
 * that came after the oldest libseccomp we build with, up to the reviewed
 * maximum (seccomp_policy.h): named even when libseccomp cannot. */
#define NEWER_FIRST 451
static const char *const newer_calls[] = {
    "cachestat", "fchmodat2", "map_shadow_stack", "futex_wake", "futex_wait",
    "futex_requeue", "statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr",
    "lsm_list_modules", "mseal", "setxattrat", "getxattrat", "listxattrat",
    "removexattrat", "open_tree_attr", "file_getattr", "file_setattr",
};
_Static_assert(NEWER_FIRST + sizeof(newer_calls) / sizeof(newer_calls[0]) ==
                   CI_SECCOMP_REVIEWED_MAX + 1,
               "name the calls up to the reviewed maximum");

static char *syscall_name(uint32_t token, int nr)
{
    char *sys = seccomp_syscall_resolve_num_arch(token, nr);
    if (!sys && (token == SCMP_ARCH_X86_64 || token == SCMP_ARCH_AARCH64) &&
        nr >= NEWER_FIRST && nr <= CI_SECCOMP_REVIEWED_MAX)
        sys = strdup(newer_calls[nr - NEWER_FIRST]);
    return sys;
}

/* A name for a refused call: the syscall's name, prefixed with the ABI
 * when it is not the native one. */
static char *denial_name(uint32_t arch, int nr)
{
    const char *abi = NULL;
    uint32_t token = arch;
    if (arch == SCMP_ARCH_X86_64 && ((uint32_t)nr & 0x40000000u)) {
        abi = "x32";
        token = SCMP_ARCH_X32;
    } else if (arch != seccomp_arch_native()) {
        abi = arch == SCMP_ARCH_X86 ? "i386" : "foreign-abi";
    }
    char *sys = syscall_name(token, nr);
    char *name = NULL;
    int n = abi ? (sys ? asprintf(&name, "%s %s", abi, sys) : asprintf(&name, "%s syscall %d", abi, nr))
                : (sys ? asprintf(&name, "%s", sys) : asprintf(&name, "syscall %d", nr));
    free(sys);
    return n < 0 ? NULL : name;
}

int ci_process_denials(struct ci_sandbox *sb, struct ci_denied_call **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (sb->state != CI_OK)
        return sb->state;
    cJSON *m = NULL;
    if (ci_process_send_op(sb, "denials") < 0 || ci_process_recv(sb, CI_PROCESS_REPLY_TIMEOUT_MS, &m, NULL, NULL) < 0 ||
        strcmp(ci_proto_op(m), "denials") != 0) {
        cJSON_Delete(m);
        return sb->state != CI_OK ? sb->state : CI_ESANDBOX;
    }
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "calls");
    const cJSON *more = cJSON_GetObjectItemCaseSensitive(m, "more");
    int count = cJSON_IsArray(calls) ? cJSON_GetArraySize(calls) : 0;
    int extra = cJSON_IsNumber(more) && more->valuedouble >= 1;
    int r = CI_OK;
    if (count + extra > 0 && !(*out = calloc((size_t)(count + extra), sizeof(**out))))
        r = CI_ENOMEM;
    for (int i = 0; r == CI_OK && i < count; i++) {
        const cJSON *c = cJSON_GetArrayItem(calls, i);
        const cJSON *arch = cJSON_GetObjectItemCaseSensitive(c, "arch");
        const cJSON *nr = cJSON_GetObjectItemCaseSensitive(c, "nr");
        const cJSON *times = cJSON_GetObjectItemCaseSensitive(c, "count");
        if (!cJSON_IsNumber(arch) || !cJSON_IsNumber(nr) || !cJSON_IsNumber(times) ||
            !(arch->valuedouble >= 0 && arch->valuedouble <= UINT32_MAX) ||
            !(nr->valuedouble >= INT_MIN && nr->valuedouble <= INT_MAX) ||
            !(times->valuedouble >= 0 && times->valuedouble < 1e18))
            continue;
        struct ci_denied_call *d = &(*out)[*n];
        if (!(d->name = denial_name((uint32_t)arch->valuedouble, (int)nr->valuedouble)))
            r = CI_ENOMEM;
        else {
            d->count = (uint64_t)times->valuedouble;
            (*n)++;
        }
    }
    if (r == CI_OK && extra) {
        struct ci_denied_call *d = &(*out)[*n];
        if (!(d->name = strdup("(other calls)")))
            r = CI_ENOMEM;
        else {
            d->count = more->valuedouble < 1e18 ? (uint64_t)more->valuedouble : 0;
            (*n)++;
        }
    }
    cJSON_Delete(m);
    if (r < 0) {
        for (size_t i = 0; i < *n; i++)
            free((*out)[i].name);
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return r;
}
