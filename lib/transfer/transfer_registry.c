/* SPDX-License-Identifier: MIT */
/*
 * The transfer backends, found by the scheme of a URI. A new scheme is its
 * backend's files and one line in `backends`.
 */
#include <string.h>
#include <strings.h>

#include "transfer/transfer.h"

static const struct ci_transfer_ops *const backends[] = {
    &ci_s3_transfer_ops,
};

/* A backend built against another layout of the struct would be called
 * through the wrong pointers. */
static int usable(const struct ci_transfer_ops *ops)
{
    return ops->version == CI_TRANSFER_OPS_VERSION && ops->scheme && ops->check_uri &&
           ops->open && ops->list && ops->get && ops->put && ops->close;
}

const struct ci_transfer_ops *ci_transfer_find(const struct ci_transfer_ops *const *table,
                                               size_t n, const char *uri)
{
    for (size_t i = 0; uri && i < n; i++)
        if (usable(table[i]) && strncasecmp(uri, table[i]->scheme, strlen(table[i]->scheme)) == 0)
            return table[i];
    return NULL;
}

const struct ci_transfer_ops *ci_transfer_for_uri(const char *uri)
{
    return ci_transfer_find(backends, sizeof(backends) / sizeof(backends[0]), uri);
}
