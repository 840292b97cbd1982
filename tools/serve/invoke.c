/* SPDX-License-Identifier: MIT */
/*
 * InvokeCodeInterpreter: the session's call lock, ci_invoke_json, and its
 * CallToolResult sent as `result` events of an application/vnd.amazon.
 * eventstream body (a result over botocore's 24 MiB per message is split
 * over several events by content block).
 *
 * A client that goes away cancels its call. While a call runs its
 * connection thread is inside ci_invoke_json, so MHD cannot see the socket:
 * a watcher thread polls the sockets of the running calls for POLLRDHUP and
 * fires the call's cancel handle for a peer that hung up. The same registry
 * lets SIGTERM cancel what still runs after the grace period. A handle
 * fired before its call reaches the sandbox (it waits for the session's
 * lock) stops it before anything runs.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "eventstream.h"
#include "serve.h"

enum MHD_Result serve_reply_owned(serve_request *req, unsigned status, const char *content_type,
                                  void *body, size_t len, const char *const *extra_headers);

/* ------------------------------------------------------------- registry */

typedef serve_call call;

static void worker_done(serve_inflight *f);

struct serve_inflight {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    call *head;
    size_t n;
    int stop;
    int cancel_all;               /* shutting down: cancel every call */
    size_t workers;               /* threads of streamed calls still running */
    pthread_t watcher;
    int have_watcher;
};

static void *watch(void *arg)
{
    serve_inflight *f = arg;
    struct pollfd *fds = NULL;
    size_t cap = 0;

    pthread_mutex_lock(&f->lock);
    while (!f->stop) {
        size_t n = 0;
        if (f->n > cap) {
            struct pollfd *p = realloc(fds, f->n * sizeof *p);
            if (p) {
                fds = p;
                cap = f->n;
            }
        }
        for (call *c = f->head; c; c = c->next)
            if (c->fd >= 0 && !c->client_gone && n < cap)
                fds[n++] = (struct pollfd){.fd = c->fd, .events = POLLRDHUP};
        pthread_mutex_unlock(&f->lock);
        if (n > 0 && poll(fds, n, 0) > 0) {
            pthread_mutex_lock(&f->lock);
            for (size_t i = 0; i < n; i++) {
                if (!(fds[i].revents & (POLLRDHUP | POLLHUP | POLLERR)))
                    continue;
                for (call *c = f->head; c; c = c->next)
                    if (c->fd == fds[i].fd && !c->client_gone) {
                        c->client_gone = 1;
                        ci_cancel_request(c->cancel);
                    }
            }
            pthread_mutex_unlock(&f->lock);
        }
        struct timespec pause = {0, 100 * 1000 * 1000};
        nanosleep(&pause, NULL);
        pthread_mutex_lock(&f->lock);
    }
    pthread_mutex_unlock(&f->lock);
    free(fds);
    return NULL;
}

serve_inflight *serve_inflight_new(void)
{
    serve_inflight *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->changed, NULL);
    if (pthread_create(&f->watcher, NULL, watch, f) == 0)
        f->have_watcher = 1;
    return f;
}

void serve_inflight_free(serve_inflight *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    f->stop = 1;
    pthread_mutex_unlock(&f->lock);
    if (f->have_watcher)
        pthread_join(f->watcher, NULL);
    pthread_cond_destroy(&f->changed);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

int serve_call_open(serve_call *c, int fd, ci_session *session)
{
    *c = (serve_call){.fd = fd, .session = session};
    return ci_cancel_create(&c->cancel) == 0 ? 0 : -1;
}

void serve_call_close(serve_call *c)
{
    ci_cancel_free(c->cancel);
    c->cancel = NULL;
}

static void add_call(serve_inflight *f, call *c)
{
    pthread_mutex_lock(&f->lock);
    if (f->cancel_all)
        ci_cancel_request(c->cancel);
    c->next = f->head;
    f->head = c;
    f->n++;
    pthread_mutex_unlock(&f->lock);
}

static void remove_call(serve_inflight *f, call *c)
{
    pthread_mutex_lock(&f->lock);
    for (call **p = &f->head; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            f->n--;
            break;
        }
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

void serve_inflight_add(serve_inflight *f, serve_call *c)
{
    add_call(f, c);
}

void serve_inflight_remove(serve_inflight *f, serve_call *c)
{
    remove_call(f, c);
}

void serve_inflight_worker_begin(serve_inflight *f)
{
    pthread_mutex_lock(&f->lock);
    f->workers++;
    pthread_mutex_unlock(&f->lock);
}

void serve_inflight_worker_end(serve_inflight *f)
{
    worker_done(f);
}

void serve_inflight_cancel_call(serve_inflight *f, serve_call *c)
{
    pthread_mutex_lock(&f->lock);
    for (call *p = f->head; p; p = p->next)
        if (p == c)
            ci_cancel_request(c->cancel);
    pthread_mutex_unlock(&f->lock);
}

void serve_inflight_cancel(serve_inflight *f, ci_session *only)
{
    pthread_mutex_lock(&f->lock);
    if (!only)
        f->cancel_all = 1;
    for (call *c = f->head; c; c = c->next)
        if (!only || c->session == only)
            ci_cancel_request(c->cancel);
    pthread_mutex_unlock(&f->lock);
}

void serve_inflight_wait_workers(serve_inflight *f)
{
    pthread_mutex_lock(&f->lock);
    while (f->workers > 0)
        pthread_cond_wait(&f->changed, &f->lock);
    pthread_mutex_unlock(&f->lock);
}

static void worker_done(serve_inflight *f)
{
    pthread_mutex_lock(&f->lock);
    f->workers--;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

size_t serve_inflight_count(serve_inflight *f)
{
    pthread_mutex_lock(&f->lock);
    size_t n = f->n;
    pthread_mutex_unlock(&f->lock);
    return n;
}

int serve_inflight_wait(serve_inflight *f, unsigned timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&f->lock);
    while (f->n > 0 && pthread_cond_timedwait(&f->changed, &f->lock, &until) != ETIMEDOUT)
        ;
    int busy = f->n > 0;
    pthread_mutex_unlock(&f->lock);
    return busy ? -1 : 0;
}

/* ------------------------------------------------------ result to events */

/* The model's ResourceContent requires "type": text or blob. */
static void type_resources(cJSON *content)
{
    cJSON *block;
    cJSON_ArrayForEach(block, content) {
        cJSON *res = cJSON_GetObjectItemCaseSensitive(block, "resource");
        if (!cJSON_IsObject(res) || cJSON_GetObjectItemCaseSensitive(res, "type"))
            continue;
        cJSON_AddStringToObject(res, "type",
                                cJSON_GetObjectItemCaseSensitive(res, "blob") ? "blob" : "text");
    }
}

typedef struct out_buf {
    unsigned char *data;
    size_t len, cap;
} out_buf;

static int append_event(out_buf *o, const char *json)
{
    unsigned char *msg;
    size_t len;
    if (es_encode_event("result", "application/json", json, strlen(json), &msg, &len) < 0)
        return -1;
    if (o->len + len > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + len)
            cap *= 2;
        unsigned char *d = realloc(o->data, cap);
        if (!d) {
            free(msg);
            return -1;
        }
        o->data = d;
        o->cap = cap;
    }
    memcpy(o->data + o->len, msg, len);
    o->len += len;
    free(msg);
    return 0;
}

/* Room left for the rest of an event beside its content blocks. */
#define EVENT_BUDGET (ES_MAX_PAYLOAD_LEN - 64 * 1024)

/* One event with `content` (taken over) and the rest of the result. */
static int emit(out_buf *o, cJSON *content, const cJSON *structured, int is_error)
{
    cJSON *ev = cJSON_CreateObject();
    cJSON_AddItemToObject(ev, "content", content);
    if (structured)
        cJSON_AddItemToObject(ev, "structuredContent", cJSON_Duplicate(structured, 1));
    cJSON_AddBoolToObject(ev, "isError", is_error);
    char *json = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    int rc = json ? append_event(o, json) : -1;
    free(json);
    return rc;
}

/* The answer as one or more events; -1 when out of memory. */
static int to_events(cJSON *answer, out_buf *o)
{
    cJSON *content = cJSON_GetObjectItemCaseSensitive(answer, "content");
    const cJSON *structured = cJSON_GetObjectItemCaseSensitive(answer, "structuredContent");
    int is_error = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "isError"));
    if (!cJSON_IsArray(content))
        return -1;
    type_resources(content);

    char *whole = cJSON_PrintUnformatted(answer);
    if (!whole)
        return -1;
    size_t whole_len = strlen(whole);
    if (whole_len <= ES_MAX_PAYLOAD_LEN) {
        int rc = append_event(o, whole);
        free(whole);
        return rc;
    }
    free(whole);

    /* too big for one message: blocks spread over several events, the
     * structuredContent on the first */
    cJSON *batch = cJSON_CreateArray();
    size_t batch_size = 0;
    int first = 1;
    cJSON *block;
    cJSON_ArrayForEach(block, content) {
        char *text = cJSON_PrintUnformatted(block);
        size_t size = text ? strlen(text) : 0;
        free(text);
        cJSON *item = cJSON_Duplicate(block, 1);
        if (size > EVENT_BUDGET) {
            char msg[200];
            snprintf(msg, sizeof msg, "this content block is %zu bytes of JSON, more than one "
                     "event of the stream carries (24 MiB): read the file in smaller parts",
                     size);
            cJSON_Delete(item);
            item = cJSON_CreateObject();
            cJSON_AddStringToObject(item, "type", "text");
            cJSON_AddStringToObject(item, "text", msg);
            is_error = 1;
            size = strlen(msg) + 32;
        }
        if (batch_size + size > EVENT_BUDGET && cJSON_GetArraySize(batch) > 0) {
            if (emit(o, batch, first ? structured : NULL, is_error) < 0)
                return -1;
            first = 0;
            batch = cJSON_CreateArray();
            batch_size = 0;
        }
        cJSON_AddItemToArray(batch, item);
        batch_size += size;
    }
    return emit(o, batch, first ? structured : NULL, is_error);
}

/* ------------------------------------------------------------- metrics */

static void count_execution(serve_server *srv, const char *tool, double seconds,
                            const cJSON *answer)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(answer, "structuredContent");
    const cJSON *cpu = cJSON_GetObjectItemCaseSensitive(sc, "cpuTimeMs");
    const cJSON *denied = cJSON_GetObjectItemCaseSensitive(sc, "deniedSyscalls");
    uint64_t n_denied = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, denied) {
        const cJSON *times = cJSON_GetObjectItemCaseSensitive(d, "times");
        n_denied += cJSON_IsNumber(times) ? (uint64_t)times->valuedouble : 1;
    }
    serve_metrics_execution(srv->metrics, tool, seconds,
                            cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(answer, "isError")),
                            cJSON_IsNumber(cpu) ? cpu->valuedouble / 1000.0 : 0.0, n_denied);
}

/* --------------------------------------------------------------- invoke */

static int session_gone(const cJSON *answer)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(answer, "structuredContent");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(sc, "status");
    const cJSON *err = cJSON_GetObjectItemCaseSensitive(sc, "error");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(err, "name");
    if (cJSON_IsString(status) && strcmp(status->valuestring, "session_expired") == 0)
        return 1;
    return cJSON_IsString(name) && strcmp(name->valuestring, "SandboxGone") == 0;
}

/* ------------------------------------------------------ streamed calls */

/*
 * --stream-output: executeCode and executeCommand answer with a `result`
 * event for the output that came so far, as it comes
 * ({"content":[{"type":"text","text":...}],"structuredContent":{"stdout"|
 * "stderr":...},"isError":false}), then the whole CallToolResult as the
 * last event(s). The call runs on a worker thread; MHD's content reader,
 * on the connection's thread, waits for what it produces.
 */
typedef struct stream_state {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int refs;                     /* the worker and the response */
    serve_server *srv;
    serve_session *s;
    char *body;
    char sid[64];
    char tool[32];
    call c;
    out_buf pending[2];           /* raw stdout, stderr not sent yet */
    out_buf cur;                  /* encoded bytes being handed to MHD */
    size_t cur_off;
    out_buf final;                /* the last event(s), once done */
    int done;
    int response_gone;
} stream_state;

static void stream_unref(stream_state *st)
{
    pthread_mutex_lock(&st->lock);
    int last = --st->refs == 0;
    pthread_mutex_unlock(&st->lock);
    if (!last)
        return;
    for (int i = 0; i < 2; i++)
        free(st->pending[i].data);
    free(st->cur.data);
    free(st->final.data);
    free(st->body);
    serve_call_close(&st->c);
    pthread_cond_destroy(&st->changed);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static int buf_append(out_buf *o, const void *data, size_t len)
{
    if (o->len + len > o->cap) {
        size_t cap = o->cap ? o->cap : 4096;
        while (cap < o->len + len)
            cap *= 2;
        unsigned char *d = realloc(o->data, cap);
        if (!d)
            return -1;
        o->data = d;
        o->cap = cap;
    }
    memcpy(o->data + o->len, data, len);
    o->len += len;
    return 0;
}

static int on_output(stream_state *st, int which, const char *data, size_t len)
{
    pthread_mutex_lock(&st->lock);
    /* a client that reads slower than the code writes: keep at most 16 MiB
     * waiting, the rest is in the final result anyway */
    if (st->pending[which].len + len <= (16u << 20))
        buf_append(&st->pending[which], data, len);
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

static int on_stdout(const char *data, size_t len, void *cls)
{
    return on_output(cls, 0, data, len);
}

static int on_stderr(const char *data, size_t len, void *cls)
{
    return on_output(cls, 1, data, len);
}

/* Length of the longest prefix of p[0..len) that does not end inside a
 * UTF-8 sequence (at most 3 bytes are held back). */
static size_t utf8_complete(const unsigned char *p, size_t len)
{
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = p[len - back];
        if ((c & 0xc0) == 0x80)
            continue;
        size_t need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
        return need > back ? len - back : len;
    }
    return len;
}

/* With st->lock held: one event for the pending output of stream `which`
 * into st->cur; 0 when there was none (or only part of a character). */
static int take_pending(stream_state *st, int which)
{
    out_buf *p = &st->pending[which];
    size_t n = utf8_complete(p->data, p->len);
    if (n == 0)
        return 0;
    cJSON *ev = cJSON_CreateObject();
    cJSON *content = cJSON_AddArrayToObject(ev, "content");
    cJSON *block = cJSON_CreateObject();
    cJSON_AddItemToArray(content, block);
    cJSON_AddStringToObject(block, "type", "text");
    /* cJSON copies the bytes as they are: invalid UTF-8 is replaced first */
    char *text = malloc(n * 3 + 1);
    size_t t = 0;
    for (size_t i = 0; text && i < n;) {
        unsigned char c = p->data[i];
        size_t need = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
                    : (c & 0xf8) == 0xf0 ? 4 : 0;
        int ok = need > 0 && i + need <= n && (need != 2 || c >= 0xc2);
        for (size_t k = 1; ok && k < need; k++)
            ok = (p->data[i + k] & 0xc0) == 0x80;
        if (ok && c != 0) {
            memcpy(text + t, p->data + i, need);
            t += need;
            i += need;
        } else {
            memcpy(text + t, "\xef\xbf\xbd", 3);
            t += 3;
            i++;
        }
    }
    if (text)
        text[t] = '\0';
    cJSON_AddStringToObject(block, "text", text ? text : "");
    cJSON *sc = cJSON_AddObjectToObject(ev, "structuredContent");
    cJSON_AddStringToObject(sc, which ? "stderr" : "stdout", text ? text : "");
    cJSON_AddBoolToObject(ev, "isError", 0);
    free(text);
    char *json = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    memmove(p->data, p->data + n, p->len - n);
    p->len -= n;
    int rc = json ? append_event(&st->cur, json) : -1;
    free(json);
    return rc == 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_state *st = cls;
    (void)pos;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        if (st->cur_off < st->cur.len) {
            size_t n = st->cur.len - st->cur_off;
            if (n > max)
                n = max;
            memcpy(buf, st->cur.data + st->cur_off, n);
            st->cur_off += n;
            pthread_mutex_unlock(&st->lock);
            return (ssize_t)n;
        }
        st->cur.len = st->cur_off = 0;
        if (take_pending(st, 0) || take_pending(st, 1))
            continue;
        if (st->done) {
            if (st->final.len) {
                free(st->cur.data);
                st->cur = st->final;
                st->final = (out_buf){0};
                continue;
            }
            pthread_mutex_unlock(&st->lock);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        pthread_cond_wait(&st->changed, &st->lock);
    }
}

/* The response is gone (sent, or its client left): a call still running
 * has nobody to answer any more. */
static void stream_free(void *cls)
{
    stream_state *st = cls;
    pthread_mutex_lock(&st->lock);
    st->response_gone = 1;
    int running = !st->done;
    pthread_mutex_unlock(&st->lock);
    if (running) {
        /* also when the call still waits for the session: it stops there */
        ci_cancel_request(st->c.cancel);
        serve_inflight *f = st->srv->inflight;
        pthread_mutex_lock(&f->lock);
        st->c.fd = -1; /* the descriptor is MHD's to reuse now */
        st->c.client_gone = 1;
        pthread_mutex_unlock(&f->lock);
    }
    stream_unref(st);
}

static void stream_exception(out_buf *o, const char *member, const char *message)
{
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "message", message);
    char *json = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    unsigned char *msg;
    size_t len;
    if (json && es_encode_exception(member, "application/json", json, strlen(json), &msg,
                                    &len) == 0) {
        buf_append(o, msg, len);
        free(msg);
    }
    free(json);
}

static void *stream_worker(void *arg)
{
    stream_state *st = arg;
    serve_server *srv = st->srv;
    serve_session *s = st->s;
    out_buf final = {0};
    char *answer_text = NULL;
    int rc = -1, gone = 0, ran = 0;
    cJSON *answer = NULL;
    double seconds = 0;

    pthread_mutex_lock(&s->call_lock);
    if (!__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE) &&
        serve_session_usable(srv->sessions, s)) {
        add_call(srv->inflight, &st->c);
        uint64_t t0 = serve_now_ns();
        rc = ci_invoke_json_stream(s->session, st->body, on_stdout, on_stderr, st, st->c.cancel,
                                   &answer_text);
        seconds = (double)(serve_now_ns() - t0) / 1e9;
        remove_call(srv->inflight, &st->c);
        ran = 1;
        answer = rc == 0 ? cJSON_Parse(answer_text) : NULL;
        ci_free(answer_text);
        gone = answer && session_gone(answer);
        if (gone)
            serve_session_ended(srv->sessions, s);
    }
    pthread_mutex_unlock(&s->call_lock);
    serve_session_unref(srv->sessions, s);

    if (answer)
        count_execution(srv, st->tool, seconds, answer);
    if (!ran || gone)
        stream_exception(&final, "resourceNotFoundException", "the session has ended");
    else if (!answer || to_events(answer, &final) < 0)
        stream_exception(&final, "internalServerException", "the call failed");
    cJSON_Delete(answer);

    pthread_mutex_lock(&st->lock);
    st->final = final;
    st->done = 1;
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
    stream_unref(st);
    worker_done(srv->inflight);
    return NULL;
}

static enum MHD_Result invoke_streamed(serve_request *req, serve_session *s, const char *sid,
                                       const char *tool)
{
    serve_server *srv = req->srv;
    stream_state *st = calloc(1, sizeof *st);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!st || serve_call_open(&st->c, ci ? ci->connect_fd : -1, s->session) < 0 ||
        !(st->body = strdup(req->body))) {
        if (st)
            serve_call_close(&st->c);
        free(st);
        serve_session_unref(srv->sessions, s);
        return serve_error(req, "InternalServerException", NULL, "out of memory");
    }
    pthread_mutex_init(&st->lock, NULL);
    pthread_cond_init(&st->changed, NULL);
    st->refs = 2;
    st->srv = srv;
    st->s = s;
    snprintf(st->sid, sizeof st->sid, "%s", sid);
    snprintf(st->tool, sizeof st->tool, "%s", tool);

    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 64 * 1024, stream_read, st, stream_free);
    if (!resp) {
        st->refs = 1;
        stream_unref(st);
        serve_session_unref(srv->sessions, s);
        return serve_error(req, "InternalServerException", NULL, "out of memory");
    }
    pthread_mutex_lock(&srv->inflight->lock);
    srv->inflight->workers++;
    pthread_mutex_unlock(&srv->inflight->lock);
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&thread, &attr, stream_worker, st) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
        worker_done(srv->inflight);
        serve_session_unref(srv->sessions, s);
        /* the response holds the other reference: finished at once */
        pthread_mutex_lock(&st->lock);
        st->refs--;
        stream_exception(&st->final, "internalServerException", "no thread for the call");
        st->done = 1;
        pthread_mutex_unlock(&st->lock);
    }
    MHD_add_response_header(resp, "Content-Type", "application/vnd.amazon.eventstream");
    MHD_add_response_header(resp, "x-amzn-RequestId", req->request_id);
    MHD_add_response_header(resp, "x-amzn-code-interpreter-session-id", sid);
    enum MHD_Result r = MHD_queue_response(req->conn, 200, resp);
    MHD_destroy_response(resp);
    req->status = 200;
    req->replied = 1;
    return r;
}

enum MHD_Result serve_invoke(serve_request *req, const char *identifier)
{
    serve_server *srv = req->srv;
    const char *sid = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                  "x-amzn-code-interpreter-session-id");
    if (!sid || !*sid)
        return serve_field_error(req, "sessionId",
                                 "the header x-amzn-code-interpreter-session-id is required");
    if (!serve_session_id_valid(sid))
        return serve_field_error(req, "sessionId",
                                 "sessionId must be 1-40 letters and digits ([0-9a-zA-Z]{1,40})");
    cJSON *body = cJSON_ParseWithLength(req->body, req->body_len);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(body, "arguments");
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        return serve_error(req, "ValidationException", "CannotParse",
                           "the request body is not a JSON object");
    }
    if (!cJSON_IsString(name) || (args && !cJSON_IsObject(args) && !cJSON_IsNull(args))) {
        cJSON_Delete(body);
        return serve_field_error(req, cJSON_IsString(name) ? "arguments" : "name",
                                 "the body must be {\"name\": TOOL, \"arguments\": {...}}");
    }
    char tool[32];
    snprintf(tool, sizeof tool, "%s", name->valuestring);
    cJSON_Delete(body);

    serve_session *s = serve_sessions_find(srv->sessions, sid, req->caller, identifier);
    if (!s)
        return serve_error(req, "ResourceNotFoundException", NULL, "no session %.64s", sid);
    serve_session snap;
    serve_session_snapshot(srv->sessions, s, &snap);
    if (snap.stopping) {
        serve_session_unref(srv->sessions, s);
        return serve_error(req, "ConflictException", NULL,
                           "session %.64s is being stopped by another request", sid);
    }
    if (srv->opt->stream_output &&
        (strcmp(tool, "executeCode") == 0 || strcmp(tool, "executeCommand") == 0)) {
        if (snap.status != SERVE_READY) {
            serve_session_unref(srv->sessions, s);
            return serve_error(req, "ResourceNotFoundException", NULL,
                               "session %.64s has ended", sid);
        }
        return invoke_streamed(req, s, sid, tool);
    }

    pthread_mutex_lock(&s->call_lock);
    if (!serve_session_usable(srv->sessions, s)) {
        pthread_mutex_unlock(&s->call_lock);
        /* queued behind a call when a stop came: the stop may still be
         * finishing */
        serve_session_snapshot(srv->sessions, s, &snap);
        serve_session_unref(srv->sessions, s);
        if (snap.stopping)
            return serve_error(req, "ConflictException", NULL,
                               "session %.64s is being stopped by another request", sid);
        return serve_error(req, "ResourceNotFoundException", NULL, "session %.64s has ended",
                           sid);
    }
    if (__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE)) {
        /* queued behind a call when SIGTERM came: not started any more */
        pthread_mutex_unlock(&s->call_lock);
        serve_session_unref(srv->sessions, s);
        return serve_error(req, "InternalServerException", NULL, "the server is shutting down");
    }
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    call c;
    char *answer_text = NULL;
    int rc = CI_ENOMEM;
    uint64_t t0 = serve_now_ns();
    if (serve_call_open(&c, ci ? ci->connect_fd : -1, s->session) == 0) {
        add_call(srv->inflight, &c);
        rc = ci_invoke_json_stream(s->session, req->body, NULL, NULL, NULL, c.cancel,
                                   &answer_text);
        remove_call(srv->inflight, &c);
    }
    serve_call_close(&c);
    double seconds = (double)(serve_now_ns() - t0) / 1e9;

    cJSON *answer = rc == 0 ? cJSON_Parse(answer_text) : NULL;
    ci_free(answer_text);
    int gone = answer && session_gone(answer);
    if (gone)
        serve_session_ended(srv->sessions, s);
    pthread_mutex_unlock(&s->call_lock);
    serve_session_unref(srv->sessions, s);

    if (answer)
        count_execution(srv, tool, seconds, answer);
    if (c.client_gone) {
        /* nobody to answer: close the connection */
        cJSON_Delete(answer);
        req->status = 499;
        req->error_kind = "ClientClosed";
        return MHD_NO;
    }
    if (!answer)
        return serve_error(req, "InternalServerException", NULL, "the call failed: %s",
                           rc < 0 ? ci_strerror(rc) : "unreadable answer");
    if (gone) {
        cJSON_Delete(answer);
        return serve_error(req, "ResourceNotFoundException", NULL, "session %.64s has ended",
                           sid);
    }
    out_buf o = {0};
    int erc = to_events(answer, &o);
    cJSON_Delete(answer);
    if (erc < 0) {
        free(o.data);
        return serve_error(req, "InternalServerException", NULL, "out of memory");
    }
    const char *headers[] = {"x-amzn-code-interpreter-session-id", sid, NULL};
    return serve_reply_owned(req, 200, "application/vnd.amazon.eventstream", o.data, o.len,
                             headers);
}
