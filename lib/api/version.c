/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

#include "api/errors.h"
#include "ci_build_config.h"
#include "codeinterp/codeinterp.h"

CI_EXPORT const char *ci_version(void)
{
    return CI_VERSION_STRING;
}

CI_EXPORT uint32_t ci_version_number(void)
{
    return CI_VERSION_NUMBER;
}

CI_EXPORT void ci_free(void *ptr)
{
    free(ptr);
}

CI_EXPORT int ci_language_from_name(const char *name, ci_language *out)
{
    static const struct { const char *name; ci_language lang; } names[] = {
        { "python", CI_LANGUAGE_PYTHON }, { "py", CI_LANGUAGE_PYTHON },
        { "javascript", CI_LANGUAGE_JAVASCRIPT }, { "js", CI_LANGUAGE_JAVASCRIPT },
        { "typescript", CI_LANGUAGE_TYPESCRIPT }, { "ts", CI_LANGUAGE_TYPESCRIPT },
    };
    ci_error_reset();
    if (!name || !out)
        return ci_fail(NULL, CI_EINVAL, "name and out must not be NULL");
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const char *a = name, *b = names[i].name;
        while (*a && *b && (*a | 0x20) == *b)
            a++, b++;
        if (!*a && !*b) {
            *out = names[i].lang;
            return CI_OK;
        }
    }
    return ci_fail(NULL, CI_EUNKNOWN, "unknown language \"%s\" (python, javascript, typescript)",
                   name);
}

CI_EXPORT const char *ci_language_name(ci_language language)
{
    switch (language) {
    case CI_LANGUAGE_PYTHON: return "python";
    case CI_LANGUAGE_JAVASCRIPT: return "javascript";
    case CI_LANGUAGE_TYPESCRIPT: return "typescript";
    }
    return NULL;
}

CI_EXPORT const char *ci_status_name(ci_status status)
{
    switch (status) {
    case CI_STATUS_OK: return "ok";
    case CI_STATUS_ERROR: return "error";
    case CI_STATUS_TIMEOUT: return "timeout";
    case CI_STATUS_SESSION_EXPIRED: return "session_expired";
    case CI_STATUS_OOM: return "oom";
    case CI_STATUS_KILLED: return "killed";
    case CI_STATUS_SANDBOX_ERROR: return "sandbox_error";
    }
    return NULL;
}
