/* SPDX-License-Identifier: MIT */
/* The sandbox backends built into the library, by name. */
#include <stddef.h>
#include <string.h>

#include "sandbox/sandbox.h"

static const struct ci_sandbox_ops *const backends[] = {
    &ci_process_sandbox_ops,
};

int ci_sandbox_ops_check(const struct ci_sandbox_ops *o)
{
    if (!o || o->version != CI_SANDBOX_OPS_VERSION || !o->name)
        return -1;
    /* every operation is required: a backend that cannot meter says so
     * through its answer (CI_EUNSUPPORTED), not with a hole */
    return o->start && o->spawn && o->kill_all && o->wait && o->kill && o->set_busy &&
                   o->check && o->event_fd && o->ended && o->mark && o->sweep && o->usage && o->reset_peak && o->limits_mode &&
                   o->denials && o->file_open && o->write_begin && o->write_commit &&
                   o->write_end && o->list && o->remove && o->walk && o->destroy
               ? 0
               : -1;
}

const struct ci_sandbox_ops *ci_sandbox_backend(const char *name)
{
    if (!name)
        name = "process";
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (!strcmp(backends[i]->name, name))
            return ci_sandbox_ops_check(backends[i]) == 0 ? backends[i] : NULL;
    return NULL;
}
