/* SPDX-License-Identifier: MIT */
#include "core/kernel_call.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/error.h"
#include "core/runner_frame.h"
#include "util/clock.h"
#include "util/fdutil.h"

/* The kernel failed this call: it is not trusted with the next one. */
static int kernel_failed(struct ci_session *s, struct ci_context *ctx, const char *why)
{
    s->ops->kill(s->sb, ctx->pid);
    ci_context_close(ctx);
    return ci_fail(s, CI_ERUNNER, "the interpreter %s", why);
}

static void discard_output(int *fd)
{
    char buf[4096];
    if (*fd < 0)
        return;
    ssize_t n;
    while ((n = read(*fd, buf, sizeof buf)) != 0)
        if (n < 0 && errno != EINTR)
            break;
    if (n == 0)
        ci_close(fd);
}

/* A call's reply: its own JSON (which may carry a task's output, twice
 * the task output limit as base64) checked before it is parsed, with this
 * call's id and nonce. NULL and *why set otherwise. */
static cJSON *parse_reply(const char *payload, size_t len, uint64_t id, const char *nonce,
                          const char **why)
{
    if (!ci_json_items_within(payload, len, CI_REPLY_ITEMS_MAX)) {
        *why = "sent a reply of too many JSON values (a sandbox protocol violation)";
        return NULL;
    }
    cJSON *m = cJSON_ParseWithLength(payload, len);
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(m, "id");
    const cJSON *jnonce = cJSON_GetObjectItemCaseSensitive(m, "nonce");
    if (!cJSON_IsString(jnonce) || strcmp(jnonce->valuestring, nonce))
        *why = "sent a reply without this call's nonce (a sandbox protocol violation)";
    else if (!cJSON_IsNumber(jid) || jid->valuedouble != (double)id)
        *why = "sent a malformed reply";
    else
        return m;
    cJSON_Delete(m);
    return NULL;
}

static size_t reply_limit(const struct ci_session *s)
{
    return CI_REPLY_JSON_MAX + 2 * ((s->cfg.task_output_limit + 2) / 3 * 4);
}

int ci_context_call(struct ci_session *s, struct ci_context *ctx, cJSON *request, cJSON **reply)
{
    *reply = NULL;
    uint64_t id = ctx->next_id++;
    char nonce[CI_NONCE_HEX + 1];
    if (ci_nonce_new(nonce) < 0)
        return ci_fail(s, CI_EIO, "getrandom: %s", strerror(errno));
    cJSON_DeleteItemFromObjectCaseSensitive(request, "id");
    cJSON_DeleteItemFromObjectCaseSensitive(request, "nonce");
    if (!cJSON_AddNumberToObject(request, "id", (double)id) ||
        !cJSON_AddStringToObject(request, "nonce", nonce))
        return ci_fail(s, CI_ENOMEM, "out of memory");
    char *text = cJSON_PrintUnformatted(request);
    ci_buf req = { 0 };
    int r = text ? ci_frame_encode(&req, text, strlen(text)) : CI_ENOMEM;
    free(text);
    if (r < 0) {
        ci_buf_free(&req);
        return ci_fail(s, r, "cannot encode the request");
    }
    size_t sent = 0;
    uint64_t deadline = ci_now_ms() + CI_KERNEL_CALL_TIMEOUT_MS;
    char *payload = NULL;
    size_t len = 0;
    const char *failure = NULL;
    while (!payload && !failure) {
        uint64_t now = ci_now_ms();
        if (now >= deadline) {
            failure = "did not answer in time";
            break;
        }
        struct pollfd p[4] = {
            { .fd = ctx->ctl, .events = POLLIN | (sent < req.len ? POLLOUT : 0) },
            { .fd = ctx->out, .events = POLLIN },
            { .fd = ctx->err, .events = POLLIN },
            { .fd = s->ops->event_fd(s->sb), .events = POLLIN },
        };
        if (poll(p, 4, (int)(deadline - now)) < 0) {
            if (errno == EINTR)
                continue;
            failure = "could not be waited for";
            break;
        }
        if (p[1].revents)
            discard_output(&ctx->out);
        if (p[2].revents)
            discard_output(&ctx->err);
        if ((p[3].revents & (POLLIN | POLLHUP | POLLERR)) && s->ops->check(s->sb) != CI_OK) {
            ci_buf_free(&req);
            ci_session_forget_contexts(s);
            return ci_fail(s, s->ops->check(s->sb), "the sandbox is gone");
        }
        if (p[0].revents & POLLOUT) {
            ssize_t w = send(ctx->ctl, req.data + sent, req.len - sent, MSG_NOSIGNAL);
            if (w > 0)
                sent += (size_t)w;
            else if (w < 0 && errno != EAGAIN && errno != EINTR)
                failure = "is gone";
        }
        if (!failure && (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            char buf[65536];
            ssize_t n = ci_frame_reader_recv(&ctx->reader, ctx->ctl, buf, sizeof buf);
            if (n == CI_FRAME_STRANGER)
                failure = "let another process write on its channel (a sandbox protocol "
                          "violation)";
            else if (n < 0 && errno == ENOMEM)
                failure = "sent more than memory holds";
            else if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                failure = "is gone";
            ctx->reader.limit = reply_limit(s);
            int fr = failure ? 0 : ci_frame_reader_next(&ctx->reader, &payload, &len);
            ctx->reader.limit = 0;
            if (fr == CI_ETOOBIG)
                failure = "sent a frame over its size bound (a sandbox protocol violation)";
            else if (fr == CI_EPROTO)
                failure = "did not greet first (a sandbox protocol violation)";
            else if (fr < 0)
                failure = "sent a frame the host could not hold";
            else if (fr == 1)
                *reply = parse_reply(payload, len, id, nonce, &failure);
        }
    }
    ci_buf_free(&req);
    free(payload);
    if (failure) {
        cJSON_Delete(*reply);
        *reply = NULL;
        return kernel_failed(s, ctx, failure);
    }
    return CI_OK;
}
