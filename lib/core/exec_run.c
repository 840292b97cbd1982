/* SPDX-License-Identifier: MIT */
/*
 * One execution: start the language's interpreter if needed, send the cell,
 * stream stdout/stderr into the capture (and callbacks) while waiting for the
 * reply, and enforce the time limit and cancellation. On a timeout or a
 * cancel every process of the sandbox is killed; the sandbox and its files
 * stay, and the next execution starts fresh interpreters.
 *
 * A kernel that takes per-call pipes (runner call_stdio) gets this
 * execution's own stdout and stderr with the request; what the execution
 * leaves running keeps those, not the next execution's (core/exec_strays.c).
 * The interpreter's own exit is noticed from the sandbox (ops->ended), not
 * only from its control socket, which a forked child may hold open.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/artifacts.h"
#include "core/cancel.h"
#include "core/error.h"
#include "core/exec.h"
#include "core/exec_io.h"
#include "core/exec_s3.h"
#include "core/names.h"
#include "core/result.h"
#include "runners/runner.h"
#include "util/clock.h"
#include "util/fdutil.h"

/* After a kill, how long to wait for the output pipes to reach EOF. */
#define DRAIN_AFTER_KILL_MS 2000
/* After the interpreter exited on its own: what it wrote is in the pipes
 * already; a child it left may hold them open for ever. */
#define DRAIN_AFTER_EXIT_MS 250
#define RUNNER_EXIT_WAIT_MS 2000
#define CTL_CHUNK 65536

enum stop_reason { RUNNING, REPLIED, RUNNER_GONE, TIMED_OUT, CANCELED, CALLBACK_STOP,
                   SANDBOX_GONE, PROTOCOL_ERROR };

/* Everything one execution carries from start to result. */
struct run {
    struct ci_session *s;
    const struct ci_exec_options *o;
    const struct ci_runner_ops *runner;
    struct ci_context *ctx;
    struct ci_result *res;
    ci_buf req;
    size_t sent;
    struct ci_capture out, err;
    uint64_t start_us, deadline_ms;
    enum stop_reason why;
    struct ci_reply_rx rx; /* the reply, taken as its frames come */
    struct ci_artifact_scan scan;
    int metered;
    uint64_t cpu0, oom0;
    /* per-call pipes: our read ends, and the write ends until sent */
    int call_out, call_err;
    int send_fds[2];
    int marked; /* ops->mark() succeeded: sweep at the end */
};

static int encode_request(ci_buf *req, uint64_t id, const char *nonce, const char *code,
                          const struct ci_exec_options *o, int stdio)
{
    cJSON *m = cJSON_CreateObject();
    if (!m || !cJSON_AddStringToObject(m, "op", "execute") ||
        !cJSON_AddNumberToObject(m, "id", (double)id) ||
        !cJSON_AddStringToObject(m, "nonce", nonce) || !cJSON_AddStringToObject(m, "code", code) ||
        ci_frame_add_call_context(m, o) < 0 || (stdio && !cJSON_AddTrueToObject(m, "stdio"))) {
        cJSON_Delete(m);
        return CI_ENOMEM;
    }
    char *text = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    if (!text)
        return CI_ENOMEM;
    int r = ci_frame_encode(req, text, strlen(text));
    free(text);
    return r;
}

/* The interpreter is live and the request ready to send. */
static int prepare(struct run *x, const char *code)
{
    struct ci_session *s = x->s;
    x->runner = ci_runner_for(x->o->language);
    x->ctx = ci_session_context(s, x->o->language);
    if (!x->runner || !x->ctx)
        return ci_fail(s, CI_EUNSUPPORTED, "no runner for %s in this build",
                       ci_names_language(x->o->language));
    int r = ci_context_ready(s, x->runner, x->ctx, x->o->clear_context);
    if (r < 0)
        return r;
    if (x->runner->call_stdio) {
        int po[2], pe[2];
        if (pipe2(po, O_CLOEXEC) < 0)
            return ci_fail(s, CI_EIO, "pipe: %s", strerror(errno));
        if (pipe2(pe, O_CLOEXEC) < 0) {
            int e = errno;
            close(po[0]);
            close(po[1]);
            return ci_fail(s, CI_EIO, "pipe: %s", strerror(e));
        }
        ci_fd_set_nonblock(po[0], 1);
        ci_fd_set_nonblock(pe[0], 1);
        x->call_out = po[0], x->call_err = pe[0];
        x->send_fds[0] = po[1], x->send_fds[1] = pe[1];
    }
    if (ci_nonce_new(x->rx.nonce) < 0)
        return ci_fail(s, CI_EIO, "getrandom: %s", strerror(errno));
    x->res = ci_result_alloc(x->o->language);
    if (!x->res || encode_request(&x->req, x->ctx->next_id, x->rx.nonce, code, x->o,
                                  x->runner->call_stdio) < 0) {
        ci_result_free_internal(x->res);
        ci_buf_free(&x->req);
        return ci_fail(s, CI_ENOMEM, "out of memory");
    }
    x->res->limits_mode = s->ops->limits_mode(s->sb);
    x->rx.id = x->ctx->next_id++;
    x->out = (struct ci_capture){ .limit = s->cfg.output_limit, .cb = x->o->on_stdout,
                                  .cb_data = x->o->stdout_data };
    x->err = (struct ci_capture){ .limit = s->cfg.output_limit, .cb = x->o->on_stderr,
                                  .cb_data = x->o->stderr_data };
    return CI_OK;
}

/* The whole frames read so far, into the reply: 1 when it is complete,
 * 0 for more, < 0 for a protocol violation (x->rx.why says which). */
static int take_frames(struct run *x)
{
    struct ci_frame_reader *rd = &x->ctx->reader;
    for (;;) {
        char *payload = NULL;
        size_t len = 0;
        int fr = ci_frame_reader_next(rd, &payload, &len);
        if (fr < 0)
            ci_reply_refused(&x->rx, rd, fr);
        if (fr <= 0)
            return fr;
        if ((fr = ci_reply_take(&x->rx, rd, payload, len, x->res)) != 0)
            return fr;
    }
}

/* Reads the control channel: at most a budget per wakeup, and the frames
 * taken after each piece. Code in the sandbox can write on this channel
 * too, and writing without pause must neither keep us from the clock nor
 * grow the buffer past the frame's bound (core/runner_frame.h). */
static void read_control(struct run *x)
{
    char buf[CTL_CHUNK];
    ssize_t rd = -1;
    int fr = 0;
    for (size_t got = 0; fr == 0 && got < CI_EXEC_PUMP_BUDGET; got += (size_t)rd) {
        rd = ci_frame_reader_recv(&x->ctx->reader, x->ctx->ctl, buf, sizeof(buf));
        if (rd == CI_FRAME_STRANGER || (rd < 0 && errno == ENOMEM)) {
            fr = rd == CI_FRAME_STRANGER ? CI_FRAME_STRANGER : CI_ENOMEM;
            ci_reply_refused(&x->rx, &x->ctx->reader, fr);
        }
        if (rd <= 0)
            break;
        fr = take_frames(x);
    }
    if (fr == 1)
        x->why = REPLIED;
    else if (fr < 0)
        x->why = PROTOCOL_ERROR;
    else if (rd == 0 || (rd < 0 && errno != EAGAIN && errno != EINTR))
        x->why = RUNNER_GONE;
}

/* Writes what the control socket takes of the request; the per-call
 * pipes travel with its first byte, and our copies of their write ends
 * are closed once they are on their way. */
static void send_request(struct run *x)
{
    ssize_t w;
    if (x->sent == 0 && x->send_fds[0] >= 0) {
        w = ci_send_fds(x->ctx->ctl, x->req.data, x->req.len, x->send_fds, 2);
        if (w < 0)
            errno = (int)-w;
        else {
            ci_close(&x->send_fds[0]);
            ci_close(&x->send_fds[1]);
        }
    } else {
        w = send(x->ctx->ctl, x->req.data + x->sent, x->req.len - x->sent, MSG_NOSIGNAL);
    }
    if (w > 0)
        x->sent += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR)
        x->why = RUNNER_GONE;
}

/* One wait for something to happen; sets x->why when the run is over. */
static void step(struct run *x)
{
    struct ci_session *s = x->s;
    struct ci_context *ctx = x->ctx;
    uint64_t now = ci_now_ms();
    if (now >= x->deadline_ms) {
        x->why = TIMED_OUT;
        return;
    }
    struct pollfd p[8 + CI_MAX_STRAY_PIPES] = {
        { .fd = ctx->ctl, .events = POLLIN | (x->sent < x->req.len ? POLLOUT : 0) },
        { .fd = ctx->out, .events = POLLIN },
        { .fd = ctx->err, .events = POLLIN },
        { .fd = x->call_out, .events = POLLIN },
        { .fd = x->call_err, .events = POLLIN },
        { .fd = s->cancel_fd, .events = POLLIN },
        { .fd = s->ops->event_fd(s->sb), .events = POLLIN },
        { .fd = ci_cancel_fd(x->o->cancel), .events = POLLIN },
    };
    nfds_t np = 8;
    for (size_t i = 0; i < s->stray_count; i++)
        p[np++] = (struct pollfd){ .fd = s->strays[i], .events = POLLIN };
    uint64_t wait = x->deadline_ms - now;
    int n = poll(p, np, wait > 60000 ? 60000 : (int)wait);
    if (n < 0) {
        if (errno != EINTR)
            x->why = SANDBOX_GONE;
        return;
    }
    if ((p[5].revents | p[7].revents) & POLLIN) {
        x->why = CANCELED;
        return;
    }
    int *fds[4] = { &ctx->out, &ctx->err, &x->call_out, &x->call_err };
    for (int k = 1; k <= 4; k++)
        if ((p[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
            ci_exec_pump(fds[k - 1], k % 2 ? &x->out : &x->err) == 2)
            x->why = CALLBACK_STOP;
    if (np > 8)
        ci_strays_pump(s, &x->res->stray_bytes);
    if (x->why != RUNNING)
        return;
    if (p[0].revents & POLLOUT)
        send_request(x);
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR))
        read_control(x);
    if (x->why == RUNNING && (p[6].revents & (POLLIN | POLLHUP | POLLERR))) {
        if (s->ops->check(s->sb) != CI_OK) {
            x->why = SANDBOX_GONE;
        } else if (s->ops->ended(s->sb, ctx->pid)) {
            /* a reply written just before the exit still counts */
            read_control(x);
            if (x->why == RUNNING)
                x->why = RUNNER_GONE;
        }
    }
}

static void set_status(struct ci_result *res, ci_status status, int exit_code)
{
    res->status = status;
    res->exit_code = exit_code;
}

/* Reads what the execution's pipes hold (see ci_exec_drain). */
static void drain(struct run *x, int wait_eof_ms)
{
    int *const fds[4] = { &x->ctx->out, &x->ctx->err, &x->call_out, &x->call_err };
    struct ci_capture *const caps[4] = { &x->out, &x->err, &x->out, &x->err };
    ci_exec_drain(fds, caps, 4, wait_eof_ms);
}

/* The runner's process ended before it replied: how. */
static void judge_runner_gone(struct run *x)
{
    struct ci_session *s = x->s;
    int exited = 0, code = -1, sig = 0;
    int wr = s->ops->wait(s->sb, x->ctx->pid, RUNNER_EXIT_WAIT_MS, &exited, &code, &sig);
    drain(x, DRAIN_AFTER_EXIT_MS);
    if (wr != CI_OK) {
        /* the runner went with its whole sandbox (its init died): say
         * so, not that the code failed */
        x->why = SANDBOX_GONE;
        ci_session_forget_contexts(s);
        set_status(x->res, CI_STATUS_SANDBOX_ERROR, -1);
    } else if (exited && sig) {
        const char *marker = x->runner->oom_marker;
        int oom = marker && x->err.kept.len && strstr(ci_buf_cstr(&x->err.kept), marker);
        set_status(x->res, oom ? CI_STATUS_OOM : CI_STATUS_KILLED, 128 + sig);
    } else {
        set_status(x->res, CI_STATUS_ERROR, exited ? code : -1);
    }
    ci_context_close(x->ctx);
}

/* Turns why the wait stopped into the result's status and exit code. */
static void judge(struct run *x)
{
    struct ci_session *s = x->s;
    if (x->why != REPLIED && x->rx.control_done)
        ci_reply_discard(x->res); /* half a reply: none of it */
    switch (x->why) {
    case REPLIED:
        drain(x, 0);
        break;
    case RUNNER_GONE:
        judge_runner_gone(x);
        break;
    case TIMED_OUT:
    case CANCELED:
    case CALLBACK_STOP:
    case PROTOCOL_ERROR:
        drain(x, s->ops->kill_all(s->sb) == CI_OK ? DRAIN_AFTER_KILL_MS : 0);
        ci_session_forget_contexts(s);
        set_status(x->res, x->why == TIMED_OUT ? CI_STATUS_TIMEOUT
                           : x->why == PROTOCOL_ERROR ? CI_STATUS_SANDBOX_ERROR : CI_STATUS_KILLED,
                   128 + SIGKILL);
        /* nothing of a reply that broke the protocol is kept: a forged
         * frame does not choose the result */
        if (x->why == PROTOCOL_ERROR)
            ci_reply_violation(x->res, x->rx.why);
        break;
    case SANDBOX_GONE:
    case RUNNING:
        drain(x, 0);
        ci_session_forget_contexts(s);
        set_status(x->res, CI_STATUS_SANDBOX_ERROR, -1);
        break;
    }
}

/* Metering and the artifacts, both measured against the start. */
static void begin_measures(struct run *x)
{
    struct ci_session *s = x->s;
    uint64_t peak0;
    ci_artifacts_before(s, &x->scan);
    s->ops->reset_peak(s->sb);
    x->metered = s->ops->usage(s->sb, &x->cpu0, &peak0, &x->oom0) == CI_OK;
}

static void end_measures(struct run *x)
{
    struct ci_session *s = x->s;
    struct ci_result *res = x->res;
    /* which calls the sandbox refused: a failure on EPERM gets its reason */
    if (x->why != SANDBOX_GONE)
        s->ops->denials(s->sb, &res->denied, &res->denied_count);
    uint64_t cpu1, peak1, oom1;
    if (x->metered && s->ops->usage(s->sb, &cpu1, &peak1, &oom1) == CI_OK) {
        res->cpu_ms = (double)(cpu1 - x->cpu0) / 1e6;
        res->peak_memory = peak1;
        if (peak1 > s->peak_memory)
            s->peak_memory = peak1;
        if (oom1 > x->oom0 && res->status != CI_STATUS_OK)
            res->status = CI_STATUS_OOM;
    }
    ci_artifacts_after(s, &x->scan, res);
}

/* What the execution leaves: with kill_leftovers its processes still
 * running are killed; pipes some process still holds become strays. */
static void leave(struct run *x)
{
    struct ci_session *s = x->s;
    ci_close(&x->send_fds[0]);
    ci_close(&x->send_fds[1]);
    if (x->marked && s->ops->check(s->sb) == CI_OK) {
        unsigned killed = 0;
        if (s->ops->sweep(s->sb, &killed) == CI_OK && killed)
            drain(x, DRAIN_AFTER_EXIT_MS);
    }
    ci_strays_add(s, &x->call_out);
    ci_strays_add(s, &x->call_err);
}

/* The result of an execution cancelled before it started: nothing ran and
 * the sandbox was not touched. */
static int cancelled_before(struct ci_session *s, const struct ci_exec_options *o,
                            struct ci_result **out)
{
    struct ci_result *res = ci_result_alloc(o->language);
    if (!res)
        return ci_fail(s, CI_ENOMEM, "out of memory");
    res->limits_mode = s->ops->limits_mode(s->sb);
    set_status(res, CI_STATUS_KILLED, -1);
    *out = res;
    return CI_OK;
}

int ci_exec_run(struct ci_session *s, const char *code, const struct ci_exec_options *o,
                struct ci_result **out)
{
    struct run x = { .s = s, .o = o, .why = RUNNING, .call_out = -1, .call_err = -1,
                     .send_fds = { -1, -1 } };
    if (ci_cancel_fired(o->cancel))
        return cancelled_before(s, o, out);
    int r = ci_exec_s3_fetch(s, o); /* S3 inputs into /data first */
    if (r == CI_OK)
        r = prepare(&x, code);
    if (r == CI_OK && o->kill_leftovers) {
        /* fail closed: without a mark the sweep could not tell new from old */
        r = s->ops->mark(s->sb);
        if (r < 0) {
            ci_result_free_internal(x.res);
            ci_buf_free(&x.req);
            r = ci_fail(s, r, "cannot record the sandbox's processes for kill_leftovers");
        }
        x.marked = r == CI_OK;
    }
    if (r < 0) {
        ci_close(&x.call_out);
        ci_close(&x.call_err);
        leave(&x);
        return r;
    }
    uint64_t timeout = o->timeout_ms ? o->timeout_ms : s->cfg.exec_timeout_ms;
    x.start_us = ci_now_us();
    x.deadline_ms = x.start_us / 1000 + timeout;
    begin_measures(&x);
    ci_session_clear_cancel(s);
    while (x.why == RUNNING)
        step(&x);
    x.res->wall_ms = (double)(ci_now_us() - x.start_us) / 1000.0;
    ci_buf_free(&x.req);
    judge(&x);
    leave(&x);
    ci_reply_rx_free(&x.rx);
    ci_session_clear_cancel(s);
    end_measures(&x);
    struct ci_result *res = x.res;
    res->out = x.out.kept;
    res->err = x.err.kept;
    res->out_truncated = x.out.truncated;
    res->err_truncated = x.err.truncated;
    if (x.why == SANDBOX_GONE && ci_session_check_alive(s) == CI_EEXPIRED)
        res->status = CI_STATUS_SESSION_EXPIRED;
    ci_exec_s3_send(s, o, res); /* /output to S3 */
    *out = res;
    return CI_OK;
}
