/* SPDX-License-Identifier: MIT */
#include "core/runner_frame.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/exec_options.h"
#include "util/utf8.h"

int ci_frame_encode(ci_buf *out, const char *payload, size_t len)
{
    if (len > CI_FRAME_MAX)
        return CI_ETOOBIG;
    unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                             (unsigned char)(len >> 8), (unsigned char)len };
    int r = ci_buf_append(out, hdr, 4);
    return r < 0 ? r : ci_buf_append(out, payload, len);
}

int ci_frame_reader_feed(struct ci_frame_reader *r, const void *data, size_t len)
{
    /* past a large frame's end: grow by what came, not by doubling */
    size_t need = r->pending.len + len + 1;
    if (r->pending.len >= 4 && need > r->pending.cap && need > len) {
        char *p = realloc(r->pending.data, need);
        if (!p)
            return CI_ENOMEM;
        r->pending.data = p;
        r->pending.cap = need;
    }
    return ci_buf_append(&r->pending, data, len);
}

ssize_t ci_frame_reader_recv(struct ci_frame_reader *r, int fd, char *buf, size_t cap)
{
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(16 * sizeof(int))];
    } control;
    struct iovec iov = { .iov_base = buf, .iov_len = cap };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.space,
                          .msg_controllen = sizeof control.space };
    ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0)
        return -1;
    int sender = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET)
            continue;
        if (c->cmsg_type == SCM_CREDENTIALS && c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
            struct ucred cred;
            memcpy(&cred, CMSG_DATA(c), sizeof cred);
            sender = cred.pid;
        } else if (c->cmsg_type == SCM_RIGHTS) {
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < count; i++) {
                int got;
                memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
                close(got);
            }
        }
    }
    if (n == 0)
        return 0;
    if (!r->greeted && !r->kernel && r->pending.len == 0)
        r->kernel = sender;
    else if (r->kernel && sender != r->kernel) {
        r->stranger = sender;
        return CI_FRAME_STRANGER;
    }
    if (ci_frame_reader_feed(r, buf, (size_t)n) < 0) {
        errno = ENOMEM;
        return -1;
    }
    return n;
}

int ci_frame_reader_next(struct ci_frame_reader *r, char **payload, size_t *len)
{
    if (r->pending.len < 4)
        return 0;
    const unsigned char *p = (const unsigned char *)r->pending.data;
    size_t n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (!r->greeted) {
        if (n != 0)
            return CI_EPROTO;
        r->greeted = 1;
        memmove(r->pending.data, r->pending.data + 4, r->pending.len - 4 + 1);
        r->pending.len -= 4;
        return ci_frame_reader_next(r, payload, len);
    }
    if (n > (r->limit ? r->limit : CI_REPLY_JSON_MAX)) {
        r->announced = n;
        return CI_ETOOBIG;
    }
    if (r->pending.len - 4 < n) {
        /* room for the whole frame at once, not doubled past it */
        if (r->pending.cap < 4 + n + 1) {
            char *p2 = realloc(r->pending.data, 4 + n + 1);
            if (!p2)
                return CI_ENOMEM;
            r->pending.data = p2;
            r->pending.cap = 4 + n + 1;
        }
        return 0;
    }
    /* the frame keeps the buffer; what came after it (less than one feed)
     * moves to a new one, so a large frame is never copied */
    size_t rest = r->pending.len - 4 - n;
    ci_buf tail = { 0 };
    if (rest && ci_buf_append(&tail, r->pending.data + 4 + n, rest) < 0)
        return CI_ENOMEM;
    char *out = r->pending.data;
    memmove(out, out + 4, n);
    out[n] = '\0';
    r->pending = tail;
    *payload = out;
    *len = n;
    return 1;
}

void ci_frame_reader_free(struct ci_frame_reader *r)
{
    ci_buf_free(&r->pending);
    *r = (struct ci_frame_reader){ 0 };
}

int ci_nonce_new(char out[CI_NONCE_HEX + 1])
{
    unsigned char raw[CI_NONCE_HEX / 2];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw)
        return CI_EIO;
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
    return CI_OK;
}

int ci_json_items_within(const char *json, size_t len, size_t max)
{
    size_t items = 1;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        if (in_string) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_string = 0;
        } else if (c == '"') {
            in_string = 1;
        } else if ((c == ',' || c == '[' || c == '{' || c == ':') && ++items > max) {
            return 0;
        }
    }
    return 1;
}

/* Copies an optional string member: absent or null leaves *dst NULL,
 * another type is a protocol error. */
static int take_string(const cJSON *obj, const char *key, char **dst)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return CI_EPROTO;
    char *copy = strdup(v->valuestring);
    if (!copy)
        return CI_ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

static int violation(struct ci_reply_rx *rx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int violation(struct ci_reply_rx *rx, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rx->why, sizeof rx->why, fmt, ap);
    va_end(ap);
    return CI_EPROTO;
}

/* The display types a reply may carry, and how each one's bytes begin:
 * what is not on this list (text/html, image/svg+xml: active content) is
 * refused, and an image must be one. */
static const struct {
    const char *type;
    const char *magic;
    size_t magic_len;
} display_types[] = {
    { "image/png", "\x89PNG\r\n\x1a\n", 8 },
    { "image/jpeg", "\xff\xd8\xff", 3 },
    { "image/gif", "GIF8", 4 },
    { "image/webp", "RIFF", 4 },
    { "text/plain", NULL, 0 },
};

static int display_type(const char *mime)
{
    for (size_t i = 0; i < sizeof display_types / sizeof display_types[0]; i++)
        if (!strcmp(mime, display_types[i].type))
            return (int)i;
    return -1;
}

static int display_bytes_ok(const char *mime, const unsigned char *p, size_t n)
{
    int t = display_type(mime);
    if (t < 0)
        return 0;
    if (!display_types[t].magic)
        return ci_utf8_is_plain(p, n);
    size_t m = display_types[t].magic_len;
    if (n < m || memcmp(p, display_types[t].magic, m))
        return 0;
    return strcmp(mime, "image/webp") || (n >= 12 && !memcmp(p + 8, "WEBP", 4));
}

/* The display slots a control frame announces: types and sizes checked
 * against the allow-list and the bounds before one byte of them is read. */
static int announce_displays(struct ci_reply_rx *rx, const cJSON *arr)
{
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return violation(rx, "\"displays\" is not an array");
    int n = cJSON_GetArraySize(arr);
    if (n > CI_DISPLAYS_MAX)
        return violation(rx, "%d displays, more than the %d a reply may carry", n,
                         CI_DISPLAYS_MAX);
    if (n <= 0)
        return 0;
    if (!(rx->parts = calloc((size_t)n, sizeof(*rx->parts))))
        return CI_ENOMEM;
    double total = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *d = cJSON_GetArrayItem(arr, i);
        const cJSON *mime = cJSON_GetObjectItemCaseSensitive(d, "mime_type");
        const cJSON *len = cJSON_GetObjectItemCaseSensitive(d, "len");
        if (!cJSON_IsString(mime) || !cJSON_IsNumber(len))
            return violation(rx, "display %d lacks a mime_type or a len", i);
        if (display_type(mime->valuestring) < 0)
            return violation(rx, "display %d has the type \"%.40s\", not one of image/png, "
                             "image/jpeg, image/gif, image/webp, text/plain", i,
                             mime->valuestring);
        if (!(len->valuedouble >= 1 && len->valuedouble <= CI_DISPLAY_BYTES_MAX) ||
            len->valuedouble != (double)(size_t)len->valuedouble)
            return violation(rx, "display %d announces %.0f bytes, not 1 .. %u", i,
                             len->valuedouble, CI_DISPLAY_BYTES_MAX);
        if ((total += len->valuedouble) > CI_DISPLAYS_TOTAL_MAX)
            return violation(rx, "the displays announce more than %u bytes in all",
                             CI_DISPLAYS_TOTAL_MAX);
        if (!(rx->parts[i].mime_type = strdup(mime->valuestring)))
            return CI_ENOMEM;
        rx->parts[i].len = (size_t)len->valuedouble;
        rx->part_count++;
    }
    return 0;
}

static int take_control(struct ci_reply_rx *rx, const char *json, size_t len,
                        struct ci_result *res)
{
    if (!ci_json_items_within(json, len, CI_REPLY_ITEMS_MAX))
        return violation(rx, "a control frame of more than %d JSON values", CI_REPLY_ITEMS_MAX);
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return violation(rx, "a control frame that is not a JSON object");
    }
    int r = CI_EPROTO;
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(root, "id");
    const cJSON *nonce = cJSON_GetObjectItemCaseSensitive(root, "nonce");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "exit_code");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsString(nonce) || strcmp(nonce->valuestring, rx->nonce)) {
        r = violation(rx, "a reply without this request's nonce (a forged frame)");
        goto out;
    }
    if (!cJSON_IsNumber(jid) || jid->valuedouble != (double)rx->id || !cJSON_IsString(status)) {
        r = violation(rx, "a reply without this request's id or a status");
        goto out;
    }
    if (!strcmp(status->valuestring, "ok"))
        res->status = CI_STATUS_OK;
    else if (!strcmp(status->valuestring, "error"))
        res->status = CI_STATUS_ERROR;
    else if (!strcmp(status->valuestring, "killed")) /* the code's process died of a signal */
        res->status = CI_STATUS_KILLED;
    else {
        r = violation(rx, "a reply with an unknown status");
        goto out;
    }
    /* the cast below is only defined for values an int holds (NaN fails) */
    if (code && (!cJSON_IsNumber(code) || !(code->valuedouble >= INT_MIN &&
                                            code->valuedouble <= INT_MAX))) {
        r = violation(rx, "a reply whose exit_code is not an int");
        goto out;
    }
    res->exit_code = code ? (int)code->valuedouble : (res->status == CI_STATUS_OK ? 0 : 1);
    if ((r = take_string(root, "value", &res->value)) < 0)
        goto bad_member;
    if (error && !cJSON_IsNull(error)) {
        r = CI_EPROTO;
        if (!cJSON_IsObject(error))
            goto bad_member;
        if ((r = take_string(error, "name", &res->error_name)) < 0 ||
            (r = take_string(error, "value", &res->error_value)) < 0 ||
            (r = take_string(error, "traceback", &res->error_traceback)) < 0)
            goto bad_member;
    }
    r = announce_displays(rx, cJSON_GetObjectItemCaseSensitive(root, "displays"));
    goto out;
bad_member:
    if (r == CI_EPROTO)
        violation(rx, "a reply whose value or error is not a string");
out:
    cJSON_Delete(root);
    return r;
}

int ci_reply_take(struct ci_reply_rx *rx, struct ci_frame_reader *rd, char *payload, size_t len,
                  struct ci_result *res)
{
    int r;
    if (!rx->control_done) {
        r = take_control(rx, payload, len, res);
        free(payload);
        rx->control_done = 1;
    } else {
        struct ci_display *d = &rx->parts[rx->next_part];
        if (len != d->len || !display_bytes_ok(d->mime_type, (unsigned char *)payload, len)) {
            free(payload);
            return violation(rx, "display %zu is not the %zu bytes of %s it announced",
                             rx->next_part, d->len, d->mime_type);
        }
        d->data = (unsigned char *)payload;
        rx->next_part++;
        r = 0;
    }
    if (r < 0)
        return r;
    if (rx->next_part < rx->part_count) {
        rd->limit = rx->parts[rx->next_part].len;
        return 0;
    }
    rd->limit = 0;
    res->displays = rx->parts;
    res->display_count = rx->part_count;
    rx->parts = NULL;
    rx->part_count = 0;
    return 1;
}

void ci_reply_rx_free(struct ci_reply_rx *rx)
{
    ci_displays_free(rx->parts, rx->part_count);
    rx->parts = NULL;
    rx->part_count = rx->next_part = 0;
}

void ci_reply_refused(struct ci_reply_rx *rx, const struct ci_frame_reader *rd, int rc)
{
    if (rc == CI_FRAME_STRANGER)
        violation(rx, "bytes written by process %d, not the kernel (%d)", rd->stranger,
                  rd->kernel);
    else if (rc == CI_EPROTO)
        violation(rx, "a first frame that is not the kernel's greeting");
    else if (rc == CI_ETOOBIG)
        violation(rx, "a frame of %zu bytes, over the %zu bytes allowed there", rd->announced,
                  rd->limit ? rd->limit : (size_t)CI_REPLY_JSON_MAX);
    else
        violation(rx, "a frame the host could not hold (out of memory)");
}

void ci_reply_discard(struct ci_result *res)
{
    free(res->value);
    free(res->error_name);
    free(res->error_value);
    free(res->error_traceback);
    ci_displays_free(res->displays, res->display_count);
    res->displays = NULL;
    res->display_count = 0;
    res->value = res->error_name = res->error_value = res->error_traceback = NULL;
}

void ci_reply_violation(struct ci_result *res, const char *why)
{
    ci_reply_discard(res);
    res->error_name = strdup("SandboxProtocolViolation");
    char text[sizeof(((struct ci_reply_rx *)0)->why) + 64];
    snprintf(text, sizeof text, "sandbox protocol violation on the control channel: %s",
             why && *why ? why : "the kernel broke the protocol");
    res->error_value = strdup(text);
    res->status = CI_STATUS_SANDBOX_ERROR;
}

int ci_frame_add_call_context(cJSON *m, const struct ci_exec_options *o)
{
    if (o->env_count) {
        cJSON *env = cJSON_AddObjectToObject(m, "env");
        if (!env)
            return CI_ENOMEM;
        for (size_t i = 0; i < o->env_count; i++)
            if (!cJSON_AddStringToObject(env, o->env_names[i], o->env_values[i]))
                return CI_ENOMEM;
    }
    if (o->cwd && !cJSON_AddStringToObject(m, "cwd", o->cwd))
        return CI_ENOMEM;
    return CI_OK;
}
