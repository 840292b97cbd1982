/* SPDX-License-Identifier: MIT */
/* The exported names of the public enumerations: argument checks and
 * messages around the one table of each in core/names.c. */
#include "core/error.h"
#include "codeinterp/codeinterp.h"
#include "core/names.h"

/* The failure of a ci_*_from_name(): the message lists what is known. */
static int unknown_name(const char *kind, const char *name, void (*choices)(char *, size_t))
{
    char known[CI_NAMES_CHOICES_MAX];

    choices(known, sizeof known);
    return ci_fail(NULL, CI_EUNKNOWN, "unknown %s \"%s\" (%s)", kind, name, known);
}

CI_EXPORT const char *ci_language_name(ci_language language)
{
    return ci_names_language(language);
}

CI_EXPORT int ci_language_from_name(const char *name, ci_language *out)
{
    ci_error_reset();
    if (!name || !out)
        return ci_fail(NULL, CI_EINVAL, "name and out must not be NULL");
    if (ci_names_language_parse(name, out) == CI_OK)
        return CI_OK;
    return unknown_name("language", name, ci_names_language_choices);
}

CI_EXPORT const char *ci_status_name(ci_status status)
{
    return ci_names_status(status);
}

CI_EXPORT const char *ci_task_status_name(ci_task_status status)
{
    return ci_names_task_status(status);
}

CI_EXPORT const char *ci_network_name(ci_network network)
{
    return ci_names_network(network);
}

CI_EXPORT int ci_network_from_name(const char *name, ci_network *out)
{
    ci_error_reset();
    if (!name || !out)
        return ci_fail(NULL, CI_EINVAL, "name and out must not be NULL");
    if (ci_names_network_parse(name, out) == CI_OK)
        return CI_OK;
    return unknown_name("network mode", name, ci_names_network_choices);
}

CI_EXPORT const char *ci_cgroup_mode_name(ci_cgroup_mode mode)
{
    return ci_names_cgroup_mode(mode);
}

CI_EXPORT int ci_cgroup_mode_from_name(const char *name, ci_cgroup_mode *out)
{
    ci_error_reset();
    if (!name || !out)
        return ci_fail(NULL, CI_EINVAL, "name and out must not be NULL");
    if (ci_names_cgroup_mode_parse(name, out) == CI_OK)
        return CI_OK;
    return unknown_name("cgroup mode", name, ci_names_cgroup_mode_choices);
}
