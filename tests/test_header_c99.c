/* SPDX-License-Identifier: MIT */
/* Compiled with -std=c99 -pedantic -Werror: the public header must be usable
 * from strict C99. Running it also checks that linking against the library
 * works and that the header and the library agree on the version. */
#include <codeinterp/codeinterp.h>

#include <stdio.h>
#include <string.h>

int main(void)
{
    ci_error code = CI_ETRANSFER;
    ci_language language = CI_LANGUAGE_TYPESCRIPT;
    ci_status status = CI_STATUS_SANDBOX_ERROR;
    ci_network network = CI_NETWORK_HOST;
    ci_output_callback cb = NULL;

    (void)language;
    (void)status;
    (void)network;
    (void)cb;
    if (ci_version_number() != (uint32_t)CI_VERSION_NUMBER) {
        fprintf(stderr, "header %d.%d.%d, library %s\n", CI_VERSION_MAJOR,
                CI_VERSION_MINOR, CI_VERSION_PATCH, ci_version());
        return 1;
    }
    return strcmp(ci_strerror(code), "unknown error") == 0;
}
