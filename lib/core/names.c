/* SPDX-License-Identifier: MIT */
/* The one table of names per public enumeration; see core/names.h. */
#include "core/names.h"

#include <stdio.h>

struct name {
    int value;
    const char *name;
};

struct table {
    const struct name *names;
    size_t count;
};

#define TABLE(array) { array, sizeof(array) / sizeof((array)[0]) }

/* The first entry of a value is its canonical name; later ones are aliases
 * that parsing accepts. */
static const struct name language_names[] = {
    { CI_LANGUAGE_PYTHON, "python" },
    { CI_LANGUAGE_JAVASCRIPT, "javascript" },
    { CI_LANGUAGE_TYPESCRIPT, "typescript" },
    { CI_LANGUAGE_SHELL, "shell" },
    { CI_LANGUAGE_PYTHON, "py" },
    { CI_LANGUAGE_JAVASCRIPT, "js" },
    { CI_LANGUAGE_TYPESCRIPT, "ts" },
    { CI_LANGUAGE_SHELL, "sh" },
};

static const struct name status_names[] = {
    { CI_STATUS_OK, "ok" },
    { CI_STATUS_ERROR, "error" },
    { CI_STATUS_TIMEOUT, "timeout" },
    { CI_STATUS_SESSION_EXPIRED, "session_expired" },
    { CI_STATUS_OOM, "oom" },
    { CI_STATUS_KILLED, "killed" },
    { CI_STATUS_SANDBOX_ERROR, "sandbox_error" },
};

static const struct name task_status_names[] = {
    { CI_TASK_SUBMITTED, "submitted" },
    { CI_TASK_WORKING, "working" },
    { CI_TASK_COMPLETED, "completed" },
    { CI_TASK_CANCELED, "canceled" },
    { CI_TASK_FAILED, "failed" },
};

static const struct name network_names[] = {
    { CI_NETWORK_NONE, "none" },
    { CI_NETWORK_HOST, "host" },
};

static const struct name cgroup_mode_names[] = {
    { CI_CGROUP_AUTO, "auto" },
    { CI_CGROUP_V1, "v1" },
    { CI_CGROUP_V2, "v2" },
    { CI_CGROUP_NONE, "none" },
};

static const struct name limits_names[] = {
    { CI_CGROUP_AUTO, "cgroup-auto" },
    { CI_CGROUP_V1, "cgroup-v1" },
    { CI_CGROUP_V2, "cgroup-v2" },
    { CI_CGROUP_NONE, "rlimits" },
};

static const struct table languages = TABLE(language_names);
static const struct table statuses = TABLE(status_names);
static const struct table task_statuses = TABLE(task_status_names);
static const struct table networks = TABLE(network_names);
static const struct table cgroup_modes = TABLE(cgroup_mode_names);
static const struct table limits = TABLE(limits_names);

static const char *name_of(const struct table *t, int value)
{
    for (size_t i = 0; i < t->count; i++)
        if (t->names[i].value == value)
            return t->names[i].name;
    return NULL;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c | 0x20) : c;
}

/* The table's names are lowercase, so folding the other side is enough. */
static int same_ignoring_case(const char *given, const char *lower)
{
    while (*given && *lower && ascii_lower(*given) == *lower)
        given++, lower++;
    return !*given && !*lower;
}

static int parse(const struct table *t, const char *name, int *value)
{
    if (!name)
        return CI_EUNKNOWN;
    for (size_t i = 0; i < t->count; i++) {
        if (same_ignoring_case(name, t->names[i].name)) {
            *value = t->names[i].value;
            return CI_OK;
        }
    }
    return CI_EUNKNOWN;
}

static void choices(const struct table *t, char *buf, size_t cap)
{
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < t->count && len < cap; i++) {
        if (name_of(t, t->names[i].value) != t->names[i].name)
            continue; /* an alias */
        int n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", t->names[i].name);
        if (n < 0)
            return;
        len += (size_t)n;
    }
}

const char *ci_names_language(ci_language language)
{
    return name_of(&languages, language);
}

const char *ci_names_status(ci_status status)
{
    return name_of(&statuses, status);
}

const char *ci_names_task_status(ci_task_status status)
{
    return name_of(&task_statuses, status);
}

int ci_names_task_status_parse(const char *name, ci_task_status *out)
{
    int value;
    int rc = parse(&task_statuses, name, &value);
    if (rc == CI_OK)
        *out = (ci_task_status)value;
    return rc;
}

const char *ci_names_network(ci_network network)
{
    return name_of(&networks, network);
}

const char *ci_names_cgroup_mode(ci_cgroup_mode mode)
{
    return name_of(&cgroup_modes, mode);
}

const char *ci_names_limits(ci_cgroup_mode mode)
{
    return name_of(&limits, mode);
}

int ci_names_language_parse(const char *name, ci_language *out)
{
    int value;
    int rc = parse(&languages, name, &value);
    if (rc == CI_OK)
        *out = (ci_language)value;
    return rc;
}

int ci_names_network_parse(const char *name, ci_network *out)
{
    int value;
    int rc = parse(&networks, name, &value);
    if (rc == CI_OK)
        *out = (ci_network)value;
    return rc;
}

int ci_names_cgroup_mode_parse(const char *name, ci_cgroup_mode *out)
{
    int value;
    int rc = parse(&cgroup_modes, name, &value);
    if (rc == CI_OK)
        *out = (ci_cgroup_mode)value;
    return rc;
}

void ci_names_language_choices(char *buf, size_t cap)
{
    choices(&languages, buf, cap);
}

void ci_names_network_choices(char *buf, size_t cap)
{
    choices(&networks, buf, cap);
}

void ci_names_cgroup_mode_choices(char *buf, size_t cap)
{
    choices(&cgroup_modes, buf, cap);
}
