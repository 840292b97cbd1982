/* SPDX-License-Identifier: MIT */
/*
 * Sessions: building one over a sandbox backend chosen from the registry,
 * the hold every public call takes, the clocks, usage, and teardown.
 */
#include "core/session.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/error.h"
#include "runners/runner.h"
#include "util/clock.h"

#define KERNEL_TARGET "/opt/codeinterp/kernels"

static int make_id(char out[33])
{
    unsigned char raw[16];
    if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
        return -1;
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* The binds every runner needs: the kernels, and each runner's folders
 * (once each; those beyond cap are left out, which the runners' few never
 * reach); their sources are malloc'd into paths[]. */
static size_t runner_binds(const struct ci_config *cfg, struct ci_sandbox_bind *binds,
                           char **paths, size_t cap)
{
    size_t n = 0;
    binds[n++] = (struct ci_sandbox_bind){ cfg->kernel_dir, KERNEL_TARGET, 1 };
    for (size_t i = 0; i < ci_runner_count(); i++) {
        const struct ci_runner_ops *r = ci_runner_at(i);
        for (size_t k = 0; r && r->binds && r->binds[k].runtime_path; k++) {
            size_t j = 0;
            while (j < n && strcmp(binds[j].target, r->binds[k].target) != 0)
                j++;
            if (j < n || n == cap)
                continue;
            const char *rel = r->binds[k].runtime_path;
            if ((rel[0] == '/' ? asprintf(&paths[n], "%s", rel)
                               : asprintf(&paths[n], "%s/%s", cfg->runtime_dir, rel)) < 0)
                return 0;
            /* judged here, by the host's user: the helper may not see into
             * a folder that is not there for it */
            if (access(paths[n], F_OK) < 0) {
                free(paths[n]);
                paths[n] = NULL;
                continue;
            }
            binds[n] = (struct ci_sandbox_bind){ paths[n], r->binds[k].target, 0 };
            n++;
        }
    }
    return n;
}

static int start_sandbox(struct ci_session *s, char *err, size_t errlen)
{
    const struct ci_config *c = &s->cfg;
    s->ops = ci_sandbox_backend(c->sandbox_backend);
    if (!s->ops) {
        snprintf(err, errlen, "no sandbox backend \"%s\" in this build",
                 c->sandbox_backend ? c->sandbox_backend : "process");
        return CI_EUNSUPPORTED;
    }
    struct stat st;
    int found = stat(c->kernel_dir, &st);
    if (found < 0 || !S_ISDIR(st.st_mode)) {
        /* said here, with its remedy, rather than by the mounts layer */
        snprintf(err, errlen, "the language kernels folder %s is missing (%s); set "
                 "CODEINTERP_KERNEL_DIR or ci_config_set_kernel_dir() to the installed one "
                 "(share/codeinterp/kernels)", c->kernel_dir,
                 found < 0 ? strerror(errno) : "not a folder");
        return CI_ESANDBOX;
    }
    struct ci_sandbox_bind binds[CI_SANDBOX_MAX_BINDS];
    char *paths[CI_SANDBOX_MAX_BINDS] = { NULL };
    size_t nbinds = runner_binds(c, binds, paths, CI_SANDBOX_MAX_BINDS);
    struct ci_sandbox_params p = {
        .id = s->id,
        .helper_path = c->helper_path,
        .state_dir = c->state_dir,
        .uid_base = c->uid_base,
        .uid_count = c->uid_count,
        .idle_timeout_ms = c->idle_timeout_ms,
        .lifetime_ms = c->session_lifetime_ms,
        .network = c->network,
        .max_processes = c->max_processes,
        .max_open_files = c->max_open_files,
        .max_file_size = c->max_file_size,
        .tmp_size = c->tmp_size,
        .workspace_size = c->workspace_size,
        .allow_tmpfs_state = c->allow_tmpfs_state,
        .memory_limit = c->memory_limit,
        .cpu_millis = c->cpu_millis,
        .cgroup_mode = c->cgroup_mode,
        .cgroup_parent = c->cgroup_parent,
        .binds = binds,
        .bind_count = nbinds,
    };
    int r = CI_ENOMEM;
    if (nbinds)
        r = s->ops->start(&p, &s->sb, err, errlen);
    else
        snprintf(err, errlen, "out of memory");
    for (size_t i = 0; i < CI_SANDBOX_MAX_BINDS; i++)
        free(paths[i]);
    return r;
}

static void release_parts(struct ci_session *s)
{
    ci_strays_close_all(s);
    ci_audit_close(s->audit);
    if (s->cancel_fd >= 0)
        close(s->cancel_fd);
    ci_config_clear(&s->cfg);
    free(s->contexts);
    free(s);
}

/* Everything but the sandbox: 0 or a CI_E* with the thread's message. */
static int init_parts(struct ci_session *s, const struct ci_config *config)
{
    int r = config ? ci_config_copy(&s->cfg, config) : ci_config_init(&s->cfg);
    if (r < 0)
        return ci_fail(NULL, r, "cannot copy the configuration");
    s->context_count = ci_runner_count();
    s->contexts = calloc(s->context_count, sizeof(*s->contexts));
    if (!s->contexts)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    for (size_t i = 0; i < s->context_count; i++)
        s->contexts[i].ctl = s->contexts[i].out = s->contexts[i].err = -1;
    if (make_id(s->id) < 0)
        return ci_fail(NULL, CI_EIO, "getrandom failed");
    s->cancel_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->cancel_fd < 0)
        return ci_fail(NULL, CI_EIO, "eventfd: %s", strerror(errno));
    char err[768];
    err[0] = '\0';
    r = ci_audit_open(&s->cfg, s->id, &s->audit, err, sizeof(err));
    return r < 0 ? ci_fail(NULL, r, "%s", err) : CI_OK;
}

int ci_session_new(const struct ci_config *config, struct ci_session **out)
{
    struct ci_session *s = calloc(1, sizeof(*s));
    if (!s)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    s->cancel_fd = -1;
    int r = init_parts(s, config);
    if (r < 0) {
        release_parts(s);
        return r;
    }
    char err[768];
    err[0] = '\0';
    s->lifetime_from_ms = ci_now_ms();
    r = start_sandbox(s, err, sizeof(err));
    if (r < 0) {
        ci_fail(NULL, r, "%s", err[0] ? err : "the sandbox could not be built");
        ci_audit_setup_failed(s->audit, &s->cfg, r, ci_error_last());
        release_parts(s);
        return r;
    }
    r = ci_audit_session_created(s->audit, &s->cfg);
    if (r < 0) {
        ci_fail(NULL, r, "cannot write the audit trail: %s", ci_audit_error(s->audit));
        s->ops->destroy(s->sb);
        release_parts(s);
        return r;
    }
    s->created_ms = s->last_used_ms = ci_now_ms();
    *out = s;
    return CI_OK;
}

void ci_session_free(struct ci_session *s)
{
    if (!s)
        return;
    ci_session_forget_contexts(s);
    if (s->sb)
        s->ops->destroy(s->sb);
    ci_audit_session_destroyed(s->audit, ci_now_ms() - s->created_ms);
    release_parts(s);
}

int ci_session_signal_cancel(struct ci_session *s)
{
    /* Only the eventfd is touched: safe from any thread and from callbacks. */
    uint64_t one = 1;
    return write(s->cancel_fd, &one, sizeof(one)) < 0 ? CI_EIO : CI_OK;
}

void ci_session_clear_cancel(struct ci_session *s)
{
    uint64_t v;
    while (read(s->cancel_fd, &v, sizeof(v)) > 0)
        ;
}

int ci_session_cancel_pending(struct ci_session *s)
{
    struct pollfd p = { .fd = s->cancel_fd, .events = POLLIN };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int lifetime_over(const struct ci_session *s, uint64_t now)
{
    return s->cfg.session_lifetime_ms &&
           now - s->lifetime_from_ms >= s->cfg.session_lifetime_ms;
}

/* The one place where expiry is decided. */
int ci_session_check_alive(struct ci_session *s)
{
    if (!s->expired) {
        int state = s->ops->check(s->sb);
        uint64_t now = ci_now_ms();
        /* a sandbox gone once the lifetime is over went for that reason,
         * even if its last word ("expired") was not read */
        if (state == CI_EEXPIRED || lifetime_over(s, now) ||
            (state == CI_OK && !s->busy_sent &&
             now - s->last_used_ms >= s->cfg.idle_timeout_ms)) {
            /* whichever clock got there first, the verdict is the same */
            s->expired = 1;
            ci_session_forget_contexts(s);
            if (state == CI_OK)
                s->ops->kill_all(s->sb);
            ci_audit_session_expired(s->audit, s->cfg.idle_timeout_ms);
        } else if (state != CI_OK) {
            return ci_fail(s, state, "session %s: its sandbox is gone", s->id);
        }
    }
    if (s->expired && lifetime_over(s, ci_now_ms()))
        return ci_fail(s, CI_EEXPIRED, "session %s expired: its lifetime of %llu ms ran out; "
                       "create a new session", s->id,
                       (unsigned long long)s->cfg.session_lifetime_ms);
    if (s->expired)
        return ci_fail(s, CI_EEXPIRED, "session %s expired after %llu ms idle; create a new session",
                       s->id, (unsigned long long)s->cfg.idle_timeout_ms);
    return CI_OK;
}

int ci_session_take(struct ci_session *s)
{
    int expected = 0;
    if (!atomic_compare_exchange_strong(&s->held, &expected, 1))
        return ci_fail(NULL, CI_EBUSY, "the session is executing on another thread");
    return CI_OK;
}

int ci_session_enter(struct ci_session *s)
{
    int r = ci_session_check_alive(s);
    if (r == CI_OK) {
        s->ops->set_busy(s->sb, 1);
        s->busy_sent = 1;
    }
    return r;
}

int ci_session_hold(struct ci_session *s)
{
    int r = ci_session_take(s);
    return r < 0 ? r : ci_session_enter(s);
}

void ci_session_release(struct ci_session *s)
{
    if (s->busy_sent) {
        s->last_used_ms = ci_now_ms();
        s->ops->set_busy(s->sb, 0);
        s->busy_sent = 0;
    }
    atomic_store(&s->held, 0);
}

void ci_session_read_usage(struct ci_session *s, uint64_t *cpu_ms, uint64_t *peak_bytes,
                           uint64_t *lifetime_ms)
{
    uint64_t cpu_ns = 0, peak = 0, ooms = 0;
    *cpu_ms = 0;
    if (s->ops->usage(s->sb, &cpu_ns, &peak, &ooms) == CI_OK) {
        *cpu_ms = cpu_ns / 1000000u;
        /* v2's memory.peak covers the whole session already */
        if (peak > s->peak_memory)
            s->peak_memory = peak;
    }
    *peak_bytes = s->peak_memory;
    *lifetime_ms = ci_now_ms() - s->created_ms;
}

ci_cgroup_mode ci_session_limits(const struct ci_session *s)
{
    return s->ops->limits_mode(s->sb);
}
