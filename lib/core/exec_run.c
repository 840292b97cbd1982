/* SPDX-License-Identifier: MIT */
/*
 * One execution: start the language's interpreter if needed, send the cell,
 * stream stdout/stderr into the capture (and callbacks) while waiting for the
 * reply, and enforce the time limit and cancellation. On a timeout or a
 * cancel every process of the sandbox is killed; the sandbox and its files
 * stay, and the next execution starts fresh interpreters.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/errors.h"
#include "core/artifacts.h"
#include "core/capture.h"
#include "core/exec_options_internal.h"
#include "core/exec_s3.h"
#include "core/session_internal.h"
#include "runners/runner.h"
#include "util/clock.h"
#include "util/fdutil.h"

#define READ_CHUNK 65536
/* After a kill, how long to wait for the output pipes to reach EOF. */
#define DRAIN_AFTER_KILL_MS 2000
#define RUNNER_EXIT_WAIT_MS 2000

static const char *const base_env[] = {
    "PATH=/opt/codeinterp/python/bin:/usr/local/bin:/usr/bin:/bin",
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
    for (int i = 0; i < CI_CONTEXT_SLOTS; i++)
        if (s->contexts[i].active)
            ci_context_close(&s->contexts[i]);
}

/* The runner's environment: the caller's explicit variables first (getenv
 * takes the first match, so they win), then the runner's, then the base. */
static const char **build_env(const struct ci_session *s, const struct ci_runner_ops *r,
                              char *heap, size_t heap_cap)
{
    size_t n = s->cfg.env_count + 1;
    for (size_t i = 0; r->env && r->env[i]; i++)
        n++;
    for (size_t i = 0; base_env[i]; i++)
        n++;
    const char **env = calloc(n + 1, sizeof(char *));
    if (!env)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < s->cfg.env_count; i++)
        env[k++] = s->cfg.env[i];
    if (r->heap_limit_env) {
        snprintf(heap, heap_cap, "%s%llu", r->heap_limit_env,
                 (unsigned long long)(s->cfg.memory_limit / 4 * 3 >> 20));
        env[k++] = heap;
    }
    for (size_t i = 0; r->env && r->env[i]; i++)
        env[k++] = r->env[i];
    for (size_t i = 0; base_env[i]; i++)
        env[k++] = base_env[i];
    return env;
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
                           "scripts/setup or point ci_config_set_runtime_dir at one",
                           ci_language_name(runner->language), path, strerror(errno));
    }
    char heap[128];
    const char **env = build_env(s, runner, heap, sizeof(heap));
    if (!env)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    struct ci_spawned sp;
    char err[512];
    int r = s->ops->spawn(s->sb, runner->argv, env, &sp, err, sizeof(err));
    free(env);
    if (r < 0)
        return ci_fail(s, r, "%s", err);
    *ctx = (struct ci_context){ .active = 1, .pid = sp.pid, .ctl = sp.ctl, .out = sp.out,
                                .err = sp.err, .next_id = 1 };
    ci_fd_set_nonblock(ctx->ctl, 1);
    ci_fd_set_nonblock(ctx->out, 1);
    ci_fd_set_nonblock(ctx->err, 1);
    return CI_OK;
}

static int encode_request(ci_buf *req, uint64_t id, const char *code)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return -ENOMEM;
    cJSON_AddStringToObject(m, "op", "execute");
    cJSON_AddNumberToObject(m, "id", (double)id);
    if (!cJSON_AddStringToObject(m, "code", code)) {
        cJSON_Delete(m);
        return -ENOMEM;
    }
    char *text = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    if (!text)
        return -ENOMEM;
    int r = ci_frame_encode(req, text, strlen(text));
    free(text);
    return r;
}

enum stop_reason { RUNNING, REPLIED, RUNNER_GONE, TIMED_OUT, CANCELED, CALLBACK_STOP,
                   SANDBOX_GONE, PROTOCOL_ERROR };

/* Reads what is available from an output pipe, at most PUMP_BUDGET bytes
 * so that a process writing without pause cannot keep us here. Returns 1 on
 * EOF, 0 when it would block or the budget is spent, 2 when a callback asked
 * to stop, -errno. */
#define PUMP_BUDGET (16 * READ_CHUNK)
static int pump(int *fd, struct ci_capture *cap)
{
    char buf[READ_CHUNK];
    for (size_t done = 0; done < PUMP_BUDGET;) {
        ssize_t n = read(*fd, buf, sizeof(buf));
        if (n > 0) {
            done += (size_t)n;
            int r = ci_capture_feed(cap, buf, (size_t)n);
            if (r < 0)
                return r;
            if (r == 1)
                return 2;
            continue;
        }
        if (n == 0) {
            ci_close(fd);
            return 1;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return 0;
        ci_close(fd);
        return -errno;
    }
    return 0;
}

/* Reads what the pipes hold. With wait_eof_ms 0: one pass, enough for
 * what the kernel flushed before replying (at most a pipe buffer each).
 * Otherwise, after the writers were killed: up to EOF, within that bound so
 * a descendant holding the pipes open cannot hang us. */
static void drain(struct ci_context *ctx, struct ci_capture *out, struct ci_capture *err,
                  int wait_eof_ms)
{
    uint64_t deadline = ci_now_ms() + (uint64_t)wait_eof_ms;
    for (;;) {
        if (ctx->out >= 0)
            pump(&ctx->out, out);
        if (ctx->err >= 0)
            pump(&ctx->err, err);
        uint64_t now = ci_now_ms();
        if ((ctx->out < 0 && ctx->err < 0) || now >= deadline)
            return;
        struct pollfd p[2] = { { .fd = ctx->out, .events = POLLIN }, { .fd = ctx->err, .events = POLLIN } };
        poll(p, 2, (int)(deadline - now));
    }
}

static void consume_cancel(int fd)
{
    uint64_t v;
    while (read(fd, &v, sizeof(v)) > 0)
        ;
}

int ci_exec_run(struct ci_session *s, const char *code, const struct ci_exec_options *o,
                struct ci_result **out)
{
    const struct ci_runner_ops *runner = ci_runner_for(o->language);
    if (!runner)
        return ci_fail(s, CI_EUNSUPPORTED, "no runner for %s in this build",
                       ci_language_name(o->language));
    struct ci_context *ctx = &s->contexts[o->language];
    int r = ci_exec_s3_fetch(s, o); /* S3 inputs into /data first */
    if (r < 0)
        return r;
    if (ctx->active && o->clear_context) {
        r = s->ops->kill(s->sb, ctx->pid);
        ci_context_close(ctx);
        if (r == CI_ECLOSED)
            ci_session_forget_contexts(s);
        if (r < 0)
            return ci_fail(s, r, "the sandbox is gone");
    }
    if (!ctx->active && (r = start_context(s, runner, ctx)) < 0)
        return r;

    struct ci_result *res = ci_result_alloc(o->language);
    if (res)
        res->limits_mode = s->ops->limits_mode(s->sb);
    ci_buf req = { 0 };
    if (!res || encode_request(&req, ctx->next_id, code) < 0) {
        ci_result_free(res);
        ci_buf_free(&req);
        return ci_fail(s, CI_ENOMEM, "out of memory");
    }
    uint64_t id = ctx->next_id++;
    struct ci_capture cout = { .limit = s->cfg.output_limit, .cb = o->on_stdout, .cb_data = o->stdout_data };
    struct ci_capture cerr = { .limit = s->cfg.output_limit, .cb = o->on_stderr, .cb_data = o->stderr_data };
    uint64_t timeout = o->timeout_ms ? o->timeout_ms : s->cfg.exec_timeout_ms;
    uint64_t start = ci_now_us();
    uint64_t deadline = start / 1000 + timeout;
    size_t sent = 0;
    enum stop_reason why = RUNNING;
    char *reply = NULL;
    size_t reply_len = 0;

    /* what the execution creates or changes in these becomes artifacts */
    const char *art_dirs[2] = { s->ops->workspace(s->sb), s->ops->output_dir(s->sb) };
    static const char *const art_prefix[2] = { "/workspace/", "/output/" };
    struct ci_ws_snapshot art_before[2];
    int have_before[2];
    for (int i = 0; i < 2; i++)
        have_before[i] = ci_ws_snapshot_take(art_dirs[i], &art_before[i]) == 0;
    consume_cancel(s->cancel_fd);
    s->ops->set_busy(s->sb, 1);
    uint64_t cpu0 = 0, peak0 = 0, oom0 = 0;
    s->ops->reset_peak(s->sb);
    int metered = s->ops->usage(s->sb, &cpu0, &peak0, &oom0) == CI_OK;
    while (why == RUNNING) {
        uint64_t now = ci_now_ms();
        if (now >= deadline) {
            why = TIMED_OUT;
            break;
        }
        struct pollfd p[5] = {
            { .fd = ctx->ctl, .events = POLLIN | (sent < req.len ? POLLOUT : 0) },
            { .fd = ctx->out, .events = POLLIN },
            { .fd = ctx->err, .events = POLLIN },
            { .fd = s->cancel_fd, .events = POLLIN },
            { .fd = s->ops->event_fd(s->sb), .events = POLLIN },
        };
        uint64_t wait = deadline - now;
        int n = poll(p, 5, wait > 60000 ? 60000 : (int)wait);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            why = SANDBOX_GONE;
            break;
        }
        if (p[3].revents & POLLIN) {
            why = CANCELED;
            break;
        }
        for (int k = 1; k <= 2; k++) {
            if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            int pr = pump(k == 1 ? &ctx->out : &ctx->err, k == 1 ? &cout : &cerr);
            if (pr == 2)
                why = CALLBACK_STOP;
        }
        if (why != RUNNING)
            break;
        if (p[0].revents & POLLOUT) {
            ssize_t w = write(ctx->ctl, req.data + sent, req.len - sent);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                why = RUNNER_GONE;
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            char buf[READ_CHUNK];
            ssize_t rd = -1;
            int fr = 0;
            /* At most a budget per wakeup, and the frame looked at after
             * each piece: code in the sandbox can write on this channel
             * too, and writing without pause must neither keep us from the
             * clock nor grow the buffer past one frame. */
            for (size_t got = 0; fr == 0 && got < PUMP_BUDGET; got += (size_t)rd) {
                if ((rd = read(ctx->ctl, buf, sizeof(buf))) <= 0)
                    break;
                if (ci_frame_reader_feed(&ctx->reader, buf, (size_t)rd) < 0)
                    fr = -ENOMEM;
                else
                    fr = ci_frame_reader_next(&ctx->reader, &reply, &reply_len);
            }
            if (fr == 1)
                why = REPLIED;
            else if (fr < 0)
                why = PROTOCOL_ERROR;
            else if (rd == 0 || (rd < 0 && errno != EAGAIN && errno != EINTR))
                why = RUNNER_GONE;
        }
        if (why == RUNNING && (p[4].revents & (POLLIN | POLLHUP | POLLERR)) &&
            s->ops->check(s->sb) != CI_OK)
            why = SANDBOX_GONE;
    }
    res->wall_ms = (double)(ci_now_us() - start) / 1000.0;
    ci_buf_free(&req);

    switch (why) {
    case REPLIED:
        drain(ctx, &cout, &cerr, 0);
        if (ci_reply_apply(reply, reply_len, id, res) < 0) {
            res->status = CI_STATUS_SANDBOX_ERROR;
            res->exit_code = -1;
            s->ops->kill(s->sb, ctx->pid);
            ci_context_close(ctx);
        }
        break;
    case RUNNER_GONE: {
        int exited = 0, ecode = -1, sig = 0;
        int wr = s->ops->wait(s->sb, ctx->pid, RUNNER_EXIT_WAIT_MS, &exited, &ecode, &sig);
        drain(ctx, &cout, &cerr, DRAIN_AFTER_KILL_MS);
        if (wr != CI_OK) {
            /* the runner went with its whole sandbox (its init died): say
             * so, not that the code failed */
            why = SANDBOX_GONE;
            ci_session_forget_contexts(s);
            res->status = CI_STATUS_SANDBOX_ERROR;
            res->exit_code = -1;
        } else if (exited && sig) {
            res->status = CI_STATUS_KILLED;
            res->exit_code = 128 + sig;
            if (runner->oom_marker && cerr.kept.len && strstr(ci_buf_cstr(&cerr.kept), runner->oom_marker))
                res->status = CI_STATUS_OOM;
        } else {
            res->status = CI_STATUS_ERROR;
            res->exit_code = exited ? ecode : -1;
        }
        ci_context_close(ctx);
        break;
    }
    case TIMED_OUT:
    case CANCELED:
    case CALLBACK_STOP:
    case PROTOCOL_ERROR:
        if (s->ops->kill_all(s->sb) == CI_OK)
            drain(ctx, &cout, &cerr, DRAIN_AFTER_KILL_MS);
        else
            drain(ctx, &cout, &cerr, 0);
        ci_session_forget_contexts(s);
        res->status = why == TIMED_OUT ? CI_STATUS_TIMEOUT
                    : why == PROTOCOL_ERROR ? CI_STATUS_SANDBOX_ERROR : CI_STATUS_KILLED;
        res->exit_code = 128 + SIGKILL;
        break;
    case SANDBOX_GONE:
    case RUNNING:
        drain(ctx, &cout, &cerr, 0);
        ci_session_forget_contexts(s);
        res->status = CI_STATUS_SANDBOX_ERROR;
        res->exit_code = -1;
        break;
    }
    free(reply);
    consume_cancel(s->cancel_fd);
    s->ops->set_busy(s->sb, 0);
    /* which calls the sandbox refused: a failure on EPERM gets its reason */
    if (why != SANDBOX_GONE && s->ops->denials)
        s->ops->denials(s->sb, &res->denied, &res->denied_count);

    uint64_t cpu1, peak1, oom1;
    if (metered && s->ops->usage(s->sb, &cpu1, &peak1, &oom1) == CI_OK) {
        res->cpu_ms = (double)(cpu1 - cpu0) / 1e6;
        res->peak_memory = peak1;
        if (peak1 > s->peak_memory)
            s->peak_memory = peak1;
        if (oom1 > oom0 && res->status != CI_STATUS_OK)
            res->status = CI_STATUS_OOM;
    }
    for (int i = 0; i < 2; i++) {
        struct ci_ws_snapshot after;
        if (have_before[i] && ci_ws_snapshot_take(art_dirs[i], &after) == 0) {
            ci_ws_snapshot_diff(&art_before[i], &after, art_prefix[i], res);
            ci_ws_snapshot_free(&after);
        }
        if (have_before[i])
            ci_ws_snapshot_free(&art_before[i]);
    }
    res->out = cout.kept;
    res->err = cerr.kept;
    res->out_truncated = cout.truncated;
    res->err_truncated = cerr.truncated;
    if (why == SANDBOX_GONE && s->ops->check(s->sb) == CI_EEXPIRED)
        res->status = CI_STATUS_SESSION_EXPIRED;
    ci_exec_s3_send(s, o, res); /* /output to S3 */
    *out = res;
    return CI_OK;
}
