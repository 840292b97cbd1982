/* SPDX-License-Identifier: MIT */
/*
 * A session's interpreters: one context per runner of the registry,
 * started on first use with the runner's argv and environment and kept
 * between executions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.h"
#include "core/names.h"
#include "core/session.h"
#include "runners/runner.h"
#include "util/fdutil.h"

/* Where every runner's programs look first (PATH gets the runners'
 * folders in front), and what any program expects of its environment. */
#define SYSTEM_PATH "/usr/local/bin:/usr/bin:/bin"

static const char *const base_env[] = {
    "HOME=/workspace",
    "LANG=C.UTF-8",
    "TERM=dumb",
    "USER=sandbox",
    "LOGNAME=sandbox",
    "SHELL=/bin/sh",
    "TMPDIR=/tmp",
    "XDG_CACHE_HOME=/tmp/.cache",
    NULL,
};

struct ci_context *ci_session_context(struct ci_session *s, ci_language language)
{
    int i = ci_runner_index(language);
    return i < 0 || (size_t)i >= s->context_count ? NULL : &s->contexts[i];
}

void ci_context_close(struct ci_context *c)
{
    ci_close(&c->ctl);
    ci_close(&c->out);
    ci_close(&c->err);
    ci_frame_reader_free(&c->reader);
    c->active = 0;
    c->pid = 0;
}

void ci_session_forget_contexts(struct ci_session *s)
{
    for (size_t i = 0; i < s->context_count; i++)
        if (s->contexts[i].active)
            ci_context_close(&s->contexts[i]);
}

/* Whether dir is one of the ':'-separated folders after "PATH=". */
static int listed(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    for (const char *p = path; (p = strstr(p, dir)) != NULL; p += n)
        if (p > path && (p[-1] == '=' || p[-1] == ':') && (p[n] == ':' || p[n] == '\0'))
            return 1;
    return 0;
}

/* "PATH=" with every runner's folder first (once each), then the system's. */
static char *build_path(void)
{
    size_t len = sizeof("PATH=" SYSTEM_PATH);
    for (size_t i = 0; i < ci_runner_count(); i++) {
        const struct ci_runner_ops *r = ci_runner_at(i);
        if (r && r->path)
            len += strlen(r->path) + 1;
    }
    char *path = malloc(len);
    if (!path)
        return NULL;
    strcpy(path, "PATH=");
    for (size_t i = 0; i < ci_runner_count(); i++) {
        const struct ci_runner_ops *r = ci_runner_at(i);
        if (r && r->path && !listed(path, r->path)) {
            strcat(path, r->path);
            strcat(path, ":");
        }
    }
    strcat(path, SYSTEM_PATH);
    return path;
}

struct runner_env {
    const char **env;
    char *path;
    char heap[128];
};

/* The runner's environment: the caller's explicit variables first (getenv
 * takes the first match, so they win), then the runner's, then the base. */
static int build_env(const struct ci_session *s, const struct ci_runner_ops *r,
                     struct runner_env *e)
{
    size_t n = s->cfg.env_count + 2;
    for (size_t i = 0; r->env && r->env[i]; i++)
        n++;
    for (size_t i = 0; base_env[i]; i++)
        n++;
    e->env = calloc(n + 1, sizeof(char *));
    e->path = build_path();
    if (!e->env || !e->path)
        return CI_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < s->cfg.env_count; i++)
        e->env[k++] = s->cfg.env[i];
    if (r->heap_limit_env) {
        snprintf(e->heap, sizeof(e->heap), "%s%llu", r->heap_limit_env,
                 (unsigned long long)(s->cfg.memory_limit / 4 * 3 >> 20));
        e->env[k++] = e->heap;
    }
    for (size_t i = 0; r->env && r->env[i]; i++)
        e->env[k++] = r->env[i];
    e->env[k++] = e->path;
    for (size_t i = 0; base_env[i]; i++)
        e->env[k++] = base_env[i];
    return CI_OK;
}

static int start_context(struct ci_session *s, const struct ci_runner_ops *runner,
                         struct ci_context *ctx)
{
    if (runner->runtime_path) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", s->cfg.runtime_dir, runner->runtime_path);
        if (access(path, X_OK) < 0)
            return ci_fail(s, CI_ERUNNER,
                           "the %s runtime environment is missing (%s: %s); install it with "
                           "scripts/setup, or point CODEINTERP_RUNTIME_DIR, "
                           "ci_config_set_runtime_dir() or codeinterp --runtime-dir at one",
                           ci_names_language(runner->language), path, strerror(errno));
    }
    struct runner_env env = { 0 };
    int r = build_env(s, runner, &env);
    struct ci_spawned sp;
    char err[512];
    if (r == CI_OK)
        r = s->ops->spawn(s->sb, runner->argv, env.env, &sp, err, sizeof(err));
    else
        snprintf(err, sizeof(err), "out of memory");
    free(env.env);
    free(env.path);
    if (r < 0)
        return ci_fail(s, r, "%s", err);
    *ctx = (struct ci_context){ .active = 1, .pid = sp.pid, .ctl = sp.ctl, .out = sp.out,
                                .err = sp.err, .next_id = 1, .starts = ctx->starts + 1 };
    ci_fd_set_nonblock(ctx->ctl, 1);
    /* before any request: every later read of the channel says which
     * process wrote its bytes (ci_frame_reader_recv) */
    int one = 1;
    if (setsockopt(ctx->ctl, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0) {
        int e = errno;
        s->ops->kill(s->sb, ctx->pid);
        ci_context_close(ctx);
        return ci_fail(s, CI_ERUNNER, "SO_PASSCRED on the control socket: %s", strerror(e));
    }
    ci_fd_set_nonblock(ctx->out, 1);
    ci_fd_set_nonblock(ctx->err, 1);
    return CI_OK;
}

int ci_context_ready(struct ci_session *s, const struct ci_runner_ops *runner,
                     struct ci_context *ctx, int clear)
{
    if (ctx->active && clear) {
        int r = s->ops->kill(s->sb, ctx->pid);
        ci_context_close(ctx);
        if (r == CI_ECLOSED)
            ci_session_forget_contexts(s);
        if (r < 0)
            return ci_fail(s, r, "the sandbox is gone");
    }
    return ctx->active ? CI_OK : start_context(s, runner, ctx);
}
