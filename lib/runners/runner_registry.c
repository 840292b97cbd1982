/* SPDX-License-Identifier: MIT */
/* The language runners built into the library: adding a language is one
 * line here (and its adapter and kernel). */
#include <stddef.h>

#include "runners/runner.h"

static const struct ci_runner_ops *const runners[] = {
    &ci_python_runner,
    &ci_javascript_runner,
    &ci_typescript_runner,
    &ci_shell_runner,
};

#define RUNNER_COUNT (sizeof(runners) / sizeof(runners[0]))

size_t ci_runner_count(void)
{
    return RUNNER_COUNT;
}

const struct ci_runner_ops *ci_runner_at(size_t i)
{
    return i < RUNNER_COUNT && runners[i]->version == CI_RUNNER_OPS_VERSION ? runners[i] : NULL;
}

int ci_runner_index(ci_language language)
{
    for (size_t i = 0; i < RUNNER_COUNT; i++)
        if (runners[i]->language == language && runners[i]->version == CI_RUNNER_OPS_VERSION)
            return (int)i;
    return -1;
}

const struct ci_runner_ops *ci_runner_for(ci_language language)
{
    int i = ci_runner_index(language);
    return i < 0 ? NULL : runners[i];
}
