/* SPDX-License-Identifier: MIT */
#include <stdlib.h>

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
