/* SPDX-License-Identifier: MIT */
#include <stddef.h>

#include "runners/runner.h"


static const struct ci_runner_ops *const runners[] = {
    &ci_python_runner,
    &ci_javascript_runner,
    &ci_typescript_runner,
};

const struct ci_runner_ops *ci_runner_for(ci_language language)
{
    for (size_t i = 0; i < sizeof(runners) / sizeof(runners[0]); i++)
        if (runners[i]->language == language)
            return runners[i];
    return NULL;
}
