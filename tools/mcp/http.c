/* SPDX-License-Identifier: MIT */
/*
 * MCP's Streamable HTTP transport at /mcp on `codeinterp serve`
 * (doc/mcp.md, "Streamable HTTP"):
 *
 *   POST /mcp     one JSON-RPC message; a request is answered with
 *                 application/json, or with text/event-stream when it is a
 *                 tools/call with a progressToken and the client accepts
 *                 SSE (notifications/progress, then the response);
 *                 notifications and responses get 202
 *   DELETE /mcp   ends the MCP session and destroys its sandbox
 *   GET /mcp      405: no server-initiated stream is offered
 *
 * Each MCP session is a session of the server's table (tools/serve/
 * sessions.c): its Mcp-Session-Id is that session's id, it belongs to the
 * key that initialized it, and it counts against the same quotas. The
 * token is `Authorization: Bearer KEYID:SECRET`, a line of the key file.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "mcp.h"
#include "serve.h"

/* An MCP session's lifetime, from initialize (the most sessions/start
 * allows). */
#define MCP_SESSION_SECONDS 28800

struct mcp_call;

/* The MCP state of a session: its revision and its calls, queued or
 * running (what notifications/cancelled can reach). */
typedef struct mcp_conn {
    char id[64];
    char version[16];
    struct mcp_call *calls;
    struct mcp_conn *next;
} mcp_conn;

static pthread_mutex_t conns_lock = PTHREAD_MUTEX_INITIALIZER;
static mcp_conn *conns;

/* With conns_lock held. */
static mcp_conn *conn_find(const char *id)
{
    for (mcp_conn *c = conns; c; c = c->next)
        if (strcmp(c->id, id) == 0)
            return c;
    return NULL;
}

static void conn_remove(const char *id)
{
    pthread_mutex_lock(&conns_lock);
    for (mcp_conn **p = &conns; *p; p = &(*p)->next)
        if (strcmp((*p)->id, id) == 0) {
            mcp_conn *c = *p;
            *p = c->next;
            free(c);
            break;
        }
    pthread_mutex_unlock(&conns_lock);
}

/* ------------------------------------------------------------- replies */

static enum MHD_Result reply_text(serve_request *req, unsigned status, char *text,
                                  const char *session_id)
{
    const char *extra[] = {"Mcp-Session-Id", session_id, NULL};
    if (!text)
        return serve_reply(req, 500, "text/plain", "out of memory\n", 14, NULL);
    enum MHD_Result r = serve_reply(req, status, "application/json", text, strlen(text),
                                    session_id ? extra : NULL);
    free(text);
    return r;
}

static enum MHD_Result reply_error(serve_request *req, unsigned status, const cJSON *id,
                                   int code, const char *message)
{
    return reply_text(req, status, mcp_error_text(id, code, message, NULL), NULL);
}

/* The response around a CallToolResult the library printed, spliced in. */
static char *raw_result_text(const char *idtext, const char *result)
{
    size_t n = strlen(idtext) + strlen(result) + 64;
    char *msg = malloc(n);
    if (msg)
        snprintf(msg, n, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}", idtext, result);
    return msg;
}

/* -------------------------------------------------------- authentication */

int serve_mcp_authenticate(serve_request *req, enum MHD_Result *reply)
{
    serve_server *srv = req->srv;
    const char *h = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization");
    char key_id[129] = "";
    char secret[300];
    int ok = 0;
    const char *token = NULL, *colon = NULL;

    if (h && strncasecmp(h, "Bearer ", 7) == 0) {
        token = h + 7;
        while (*token == ' ')
            token++;
        colon = strchr(token, ':');
    }
    if (colon && colon > token && (size_t)(colon - token) < sizeof key_id) {
        memcpy(key_id, token, (size_t)(colon - token));
        key_id[colon - token] = '\0';
        pthread_mutex_lock(&srv->keys_lock);
        int known = srv->keys && keyfile_lookup(srv->keys, key_id, secret, sizeof secret) == 0;
        pthread_mutex_unlock(&srv->keys_lock);
        if (!known)
            secret[0] = '\0';
        /* compared as SHA-256 digests: constant time whatever the lengths */
        unsigned char want[SHA256_DIGEST_LENGTH], got[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)secret, strlen(secret), want);
        SHA256((const unsigned char *)(colon + 1), strlen(colon + 1), got);
        ok = (CRYPTO_memcmp(want, got, sizeof want) == 0) & known;
        OPENSSL_cleanse(secret, sizeof secret);
        OPENSSL_cleanse(want, sizeof want);
    }
    if (ok) {
        snprintf(req->caller, sizeof req->caller, "%s", key_id);
        return 0;
    }
    snprintf(req->caller, sizeof req->caller, "%s", key_id[0] ? key_id : "-");
    req->error_kind = "Unauthorized";
    static const char *const extra[] = {"WWW-Authenticate", "Bearer realm=\"codeinterp\"", NULL};
    char *text = mcp_error_text(NULL, -32001, "Unauthorized: send \"Authorization: Bearer "
                            "KEYID:SECRET\" with a key of the server's key file", NULL);
    *reply = text ? serve_reply(req, 401, "application/json", text, strlen(text), extra)
                  : MHD_NO;
    free(text);
    return -1;
}

/* ------------------------------------------------------------ tool calls */

/* A tools/call in one session: run on the request's thread (JSON answer)
 * or on a worker whose output a response callback sends (SSE). */
typedef struct mcp_call {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int refs;
    serve_server *srv;
    serve_session *s;
    char sid[64];
    char *body;            /* {"name":..., "arguments":...} */
    char *idtext;          /* the request's id as JSON */
    char *token;           /* progressToken as JSON, or NULL */
    int sse;
    serve_call c;          /* its cancel handle lives as long as the call */
    struct mcp_call *conn_next; /* in its mcp_conn's calls, while listed */
    unsigned long progress;
    unsigned char carry[2][4];
    size_t carry_len[2];
    char *out;             /* SSE bytes not handed to MHD yet */
    size_t out_len, out_cap, out_off;
    int done, response_gone, gone;
    char *answer;          /* the response (JSON) for the JSON reply */
} mcp_call;

static void call_unref(mcp_call *k)
{
    pthread_mutex_lock(&k->lock);
    int last = --k->refs == 0;
    pthread_mutex_unlock(&k->lock);
    if (!last)
        return;
    free(k->body);
    free(k->idtext);
    free(k->token);
    free(k->out);
    free(k->answer);
    serve_call_close(&k->c);
    pthread_cond_destroy(&k->changed);
    pthread_mutex_destroy(&k->lock);
    free(k);
}

/* With k->lock held: appends one SSE event carrying `json`. */
static void sse_event(mcp_call *k, const char *json, size_t len)
{
    size_t need = k->out_len + len + 32;
    if (need > k->out_cap) {
        size_t cap = k->out_cap ? k->out_cap : 4096;
        while (cap < need)
            cap *= 2;
        char *o = realloc(k->out, cap);
        if (!o)
            return;
        k->out = o;
        k->out_cap = cap;
    }
    memcpy(k->out + k->out_len, "event: message\ndata: ", 21);
    k->out_len += 21;
    memcpy(k->out + k->out_len, json, len);
    k->out_len += len;
    memcpy(k->out + k->out_len, "\n\n", 2);
    k->out_len += 2;
    pthread_cond_broadcast(&k->changed);
}

/* notifications/progress for each chunk of output, as over stdio. */
static int on_output(mcp_call *k, int stream, const char *data, size_t len)
{
    pthread_mutex_lock(&k->lock);
    if (k->response_gone || ci_cancel_requested(k->c.cancel)) {
        pthread_mutex_unlock(&k->lock);
        return 0;
    }
    size_t mlen;
    char *msg = mcp_progress_text(k->token, k->progress + 1, stream, data, len,
                                  k->carry[stream], &k->carry_len[stream], &mlen);
    if (msg) {
        k->progress++;
        sse_event(k, msg, mlen);
    }
    pthread_mutex_unlock(&k->lock);
    free(msg);
    return 0;
}

static int on_stdout(const char *data, size_t len, void *user)
{
    return on_output(user, 0, data, len);
}

static int on_stderr(const char *data, size_t len, void *user)
{
    return on_output(user, 1, data, len);
}

/* Whether a CallToolResult says the sandbox is gone. */
static int says_gone(const char *answer)
{
    if (!strstr(answer, "session_expired") && !strstr(answer, "session_closed"))
        return 0;
    cJSON *root = cJSON_Parse(answer);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "structuredContent");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(sc, "status");
    int gone = cJSON_IsString(status) && (strcmp(status->valuestring, "session_expired") == 0 ||
                                          strcmp(status->valuestring, "session_closed") == 0);
    cJSON_Delete(root);
    return gone;
}

/* Lists a call in its MCP session, where notifications/cancelled finds
 * it by id, from its arrival until it is answered. */
static void conn_list(mcp_call *k)
{
    pthread_mutex_lock(&conns_lock);
    mcp_conn *cn = conn_find(k->sid);
    if (cn) {
        k->conn_next = cn->calls;
        cn->calls = k;
    }
    pthread_mutex_unlock(&conns_lock);
}

static void conn_unlist(mcp_call *k)
{
    pthread_mutex_lock(&conns_lock);
    mcp_conn *cn = conn_find(k->sid);
    for (mcp_call **p = cn ? &cn->calls : NULL; p && *p; p = &(*p)->conn_next)
        if (*p == k) {
            *p = k->conn_next;
            break;
        }
    pthread_mutex_unlock(&conns_lock);
}

/* Runs the call in its session; sets k->answer (the response) or k->gone. */
static void run_call(mcp_call *k)
{
    serve_server *srv = k->srv;
    serve_session *s = k->s;
    char *answer = NULL;
    int rc = -1, ran = 0;

    pthread_mutex_lock(&s->call_lock);
    if (!__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE) &&
        serve_session_usable(srv->sessions, s)) {
        /* a call cancelled while it waited its turn stops at once */
        serve_inflight_add(srv->inflight, &k->c);
        rc = ci_invoke_json_stream(s->session, k->body, k->sse ? on_stdout : NULL,
                                   k->sse ? on_stderr : NULL, k, k->c.cancel, &answer);
        serve_inflight_remove(srv->inflight, &k->c);
        ran = 1;
        if (rc == 0 && says_gone(answer)) {
            serve_session_ended(srv->sessions, s);
            k->gone = 1;
        }
    }
    pthread_mutex_unlock(&s->call_lock);
    conn_unlist(k);
    if (!ran)
        k->gone = 1;
    /* the response: the result spliced in, or an error */
    const char *err = ci_cancel_requested(k->c.cancel) ? "{\"code\":-32800,\"message\":\"Request cancelled\"}"
                      : k->gone   ? "{\"code\":-32603,\"message\":\"the sandbox session has "
                                    "ended\"}"
                      : rc != 0   ? "{\"code\":-32603,\"message\":\"the call failed\"}"
                                  : NULL;
    char *text = NULL;
    if (err) {
        size_t n = strlen(k->idtext) + strlen(err) + 48;
        text = malloc(n);
        if (text)
            snprintf(text, n, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":%s}", k->idtext, err);
    } else {
        text = raw_result_text(k->idtext, answer);
    }
    if (rc == 0)
        ci_free(answer);
    k->answer = text;
}

static void *call_worker(void *arg)
{
    mcp_call *k = arg;
    serve_server *srv = k->srv;
    run_call(k);
    serve_session_unref(srv->sessions, k->s);
    pthread_mutex_lock(&k->lock);
    if (k->answer)
        sse_event(k, k->answer, strlen(k->answer));
    k->done = 1;
    pthread_cond_broadcast(&k->changed);
    pthread_mutex_unlock(&k->lock);
    call_unref(k);
    serve_inflight_worker_end(srv->inflight);
    return NULL;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    mcp_call *k = cls;
    (void)pos;
    pthread_mutex_lock(&k->lock);
    for (;;) {
        if (k->out_off < k->out_len) {
            size_t n = k->out_len - k->out_off;
            if (n > max)
                n = max;
            memcpy(buf, k->out + k->out_off, n);
            k->out_off += n;
            if (k->out_off == k->out_len)
                k->out_off = k->out_len = 0;
            pthread_mutex_unlock(&k->lock);
            return (ssize_t)n;
        }
        if (k->done) {
            pthread_mutex_unlock(&k->lock);
            return MHD_CONTENT_READER_END_OF_STREAM;
        }
        pthread_cond_wait(&k->changed, &k->lock);
    }
}

/* The response is gone (sent, or its client left): a call still running
 * has nobody to answer. */
static void sse_free(void *cls)
{
    mcp_call *k = cls;
    pthread_mutex_lock(&k->lock);
    k->response_gone = 1;
    int running = !k->done;
    pthread_mutex_unlock(&k->lock);
    if (running) /* also while it waits for the session: it stops there */
        ci_cancel_request(k->c.cancel);
    call_unref(k);
}

static enum MHD_Result tools_call(serve_request *req, serve_session *s, const cJSON *id,
                                  const cJSON *params)
{
    serve_server *srv = req->srv;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(params, "name");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(params, "arguments");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(params, "_meta");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(meta, "progressToken");
    char text[160];
    int code;

    if (!mcp_tool_call_check(params, &code, text, sizeof text)) {
        serve_session_unref(srv->sessions, s);
        return reply_error(req, 200, id, code, text);
    }
    if (mcp_has_nul_escape(req->body, req->body_len)) {
        serve_session_unref(srv->sessions, s);
        cJSON *r = mcp_tool_problem("InvalidRequest", "invalid request: a string holds a NUL "
                                    "character (\\u0000); code, commands and paths cannot "
                                    "contain one, and binary file content must be sent "
                                    "base64-encoded as \"blob\"");
        return reply_text(req, 200, mcp_result_text(id, r), NULL);
    }

    mcp_call *k = calloc(1, sizeof *k);
    cJSON *call = cJSON_CreateObject();
    cJSON_AddStringToObject(call, "name", name->valuestring);
    if (args)
        cJSON_AddItemToObject(call, "arguments", cJSON_Duplicate(args, 1));
    if (k) {
        k->body = cJSON_PrintUnformatted(call);
        k->idtext = cJSON_PrintUnformatted(id);
        k->token = token && (cJSON_IsString(token) || cJSON_IsNumber(token))
                       ? cJSON_PrintUnformatted(token) : NULL;
    }
    cJSON_Delete(call);
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!k || !k->body || !k->idtext ||
        serve_call_open(&k->c, ci ? ci->connect_fd : -1, s->session) < 0) {
        if (k) {
            serve_call_close(&k->c);
            free(k->body);
            free(k->idtext);
            free(k->token);
        }
        free(k);
        serve_session_unref(srv->sessions, s);
        return reply_error(req, 500, id, RPC_INTERNAL_ERROR, "out of memory");
    }
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->changed, NULL);
    k->srv = srv;
    k->s = s;
    snprintf(k->sid, sizeof k->sid, "%s", s->id);
    const char *accept = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Accept");
    k->sse = k->token && accept && strstr(accept, "text/event-stream");
    conn_list(k);

    if (!k->sse) {
        k->refs = 1;
        run_call(k);
        serve_session_unref(srv->sessions, s);
        char *answer = k->answer;
        k->answer = NULL;
        int gone = k->gone;
        call_unref(k);
        if (gone) {
            free(answer);
            return reply_error(req, 404, id, RPC_INVALID_REQUEST,
                               "the MCP session has ended; initialize a new one");
        }
        return reply_text(req, 200, answer, NULL);
    }

    /* streamed: the worker runs the call, the response sends its events */
    k->c.fd = -1; /* the response's end is watched by sse_free instead */
    k->refs = 2;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_read, k, sse_free);
    if (!resp) {
        k->refs = 1;
        call_unref(k);
        serve_session_unref(srv->sessions, s);
        return reply_error(req, 500, id, RPC_INTERNAL_ERROR, "out of memory");
    }
    serve_inflight_worker_begin(srv->inflight);
    pthread_attr_t attr;
    pthread_t thread;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int started = pthread_create(&thread, &attr, call_worker, k) == 0;
    pthread_attr_destroy(&attr);
    if (!started) {
        serve_inflight_worker_end(srv->inflight);
        serve_session_unref(srv->sessions, s);
        pthread_mutex_lock(&k->lock);
        k->refs--;
        char *t = mcp_error_text(id, RPC_INTERNAL_ERROR, "no thread for the call", NULL);
        if (t)
            sse_event(k, t, strlen(t));
        free(t);
        k->done = 1;
        pthread_mutex_unlock(&k->lock);
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    MHD_add_response_header(resp, "Cache-Control", "no-cache");
    MHD_add_response_header(resp, "Mcp-Session-Id", k->sid);
    enum MHD_Result r = MHD_queue_response(req->conn, 200, resp);
    MHD_destroy_response(resp);
    req->status = 200;
    req->replied = 1;
    return r;
}

/* ------------------------------------------------------------ resources */

static char *resource_call(const char *name, const cJSON *arguments, void *cls)
{
    serve_session *s = cls;
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "name", name);
    if (arguments)
        cJSON_AddItemToObject(req, "arguments", cJSON_Duplicate(arguments, 1));
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    char *answer = NULL, *copy = NULL;
    if (text && ci_invoke_json(s->session, text, &answer) == 0) {
        copy = strdup(answer);
        ci_free(answer);
    }
    free(text);
    return copy;
}

/* resources/list and resources/read, as over stdio (tools/mcp/core.c),
 * in the session's turn; takes s. */
static enum MHD_Result resources(serve_request *req, serve_session *s, const char *m,
                                 const cJSON *id, const cJSON *params)
{
    serve_server *srv = req->srv;
    char *text = NULL;
    int usable;
    pthread_mutex_lock(&s->call_lock);
    usable = !__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE) &&
             serve_session_usable(srv->sessions, s);
    if (usable)
        text = mcp_resources_answer(m, id, params, mcp_has_nul_escape(req->body, req->body_len),
                                    resource_call, s);
    pthread_mutex_unlock(&s->call_lock);
    serve_session_unref(srv->sessions, s);
    if (!usable)
        return reply_error(req, 404, id, RPC_INVALID_REQUEST,
                           "the MCP session has ended; initialize a new one");
    return reply_text(req, 200, text, NULL);
}

/* ------------------------------------------------------------ messages */

static enum MHD_Result initialize(serve_request *req, const cJSON *id, const cJSON *params)
{
    serve_server *srv = req->srv;
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(params, "protocolVersion");
    if (!cJSON_IsString(pv))
        return reply_error(req, 200, id, RPC_INVALID_PARAMS,
                           "initialize needs params.protocolVersion");
    serve_session *s = NULL;
    char err[512] = "", text[600];
    int rc = serve_sessions_start(srv->sessions, srv, SERVE_DEFAULT_IDENTIFIER, "mcp",
                                  MCP_SESSION_SECONDS, req->caller, NULL, &s, err, sizeof err);
    if (rc == -1 || rc == -2) {
        snprintf(text, sizeof text, "%s runs its maximum of %u sessions; end one (DELETE /mcp) "
                 "first", rc == -1 ? "the server" : "this key",
                 rc == -1 ? srv->opt->max_sessions : srv->opt->max_sessions_per_key);
        req->error_kind = "ServiceQuotaExceededException";
        return reply_error(req, 429, id, RPC_INTERNAL_ERROR, text);
    }
    if (rc < 0) {
        snprintf(text, sizeof text, "the sandbox session could not be created: %s", err);
        return reply_error(req, 500, id, RPC_INTERNAL_ERROR, text);
    }
    serve_metrics_session_started(srv->metrics);
    mcp_conn *c = calloc(1, sizeof *c);
    if (c) {
        snprintf(c->id, sizeof c->id, "%s", s->id);
        const char *v = mcp_protocol_version(pv->valuestring);
        snprintf(c->version, sizeof c->version, "%s", v ? v : MCP_LATEST_VERSION);
        pthread_mutex_lock(&conns_lock);
        c->next = conns;
        conns = c;
        pthread_mutex_unlock(&conns_lock);
    }
    char sid[64];
    snprintf(sid, sizeof sid, "%s", s->id);
    serve_session_unref(srv->sessions, s);
    cJSON *r = mcp_initialize_result(pv->valuestring,
                                     "the client ends the MCP session (DELETE /mcp)");
    return reply_text(req, 200, mcp_result_text(id, r), sid);
}

/* notifications/cancelled of a call of that session, queued or running:
 * a running one is killed, a queued one ends before it runs. */
static void cancel(const char *sid, const cJSON *params)
{
    const cJSON *rid = cJSON_GetObjectItemCaseSensitive(params, "requestId");
    char *idtext = rid ? cJSON_PrintUnformatted(rid) : NULL;
    if (!idtext)
        return;
    pthread_mutex_lock(&conns_lock);
    mcp_conn *c = conn_find(sid);
    for (mcp_call *k = c ? c->calls : NULL; k; k = k->conn_next)
        if (strcmp(k->idtext, idtext) == 0)
            ci_cancel_request(k->c.cancel);
    pthread_mutex_unlock(&conns_lock);
    free(idtext);
}

/* The session named by Mcp-Session-Id, of the caller, referenced; NULL
 * after replying (400 without the header, 404 for an unknown or ended
 * one). */
static serve_session *session_of(serve_request *req, enum MHD_Result *r)
{
    const char *sid = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Mcp-Session-Id");
    if (!sid || !*sid) {
        *r = reply_error(req, 400, NULL, RPC_INVALID_REQUEST,
                         "Bad Request: no Mcp-Session-Id header; initialize first");
        return NULL;
    }
    serve_session *s = serve_session_id_valid(sid)
                           ? serve_sessions_find(req->srv->sessions, sid, req->caller,
                                                 SERVE_DEFAULT_IDENTIFIER)
                           : NULL;
    if (s && s->status != SERVE_READY) {
        serve_session_unref(req->srv->sessions, s);
        s = NULL;
        conn_remove(sid);
    }
    if (!s) {
        *r = reply_error(req, 404, NULL, RPC_INVALID_REQUEST,
                         "Not Found: no such MCP session (it ended, or is another key's)");
        return NULL;
    }
    pthread_mutex_lock(&conns_lock);
    int known = conn_find(s->id) != NULL;
    pthread_mutex_unlock(&conns_lock);
    if (!known) { /* a data-plane session, not an MCP one */
        serve_session_unref(req->srv->sessions, s);
        *r = reply_error(req, 404, NULL, RPC_INVALID_REQUEST,
                         "Not Found: no such MCP session");
        return NULL;
    }
    return s;
}

static enum MHD_Result delete_session(serve_request *req)
{
    enum MHD_Result r;
    serve_session *s = session_of(req, &r);
    if (!s)
        return r;
    char sid[64];
    snprintf(sid, sizeof sid, "%s", s->id);
    serve_sessions_stop(req->srv->sessions, s, req->srv->inflight, NULL);
    serve_session_unref(req->srv->sessions, s);
    conn_remove(sid);
    return serve_reply(req, 200, NULL, "", 0, NULL);
}

static enum MHD_Result post(serve_request *req)
{
    serve_server *srv = req->srv;
    const char *pvh = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                                  "MCP-Protocol-Version");
    if (pvh && !mcp_protocol_version(pvh)) {
        char text[160];
        snprintf(text, sizeof text, "Bad Request: unsupported MCP-Protocol-Version %.*s",
                 mcp_utf8_prefix(pvh, 40), pvh);
        return reply_error(req, 400, NULL, RPC_INVALID_REQUEST, text);
    }
    cJSON *msg = cJSON_ParseWithLength(req->body, req->body_len);
    if (!msg)
        return reply_error(req, 400, NULL, RPC_PARSE_ERROR, "Parse error: the body is not JSON");
    enum MHD_Result r;
    if (!cJSON_IsObject(msg)) {
        r = reply_error(req, 400, NULL, RPC_INVALID_REQUEST,
                        cJSON_IsArray(msg) ? "Invalid Request: JSON-RPC batches are not "
                                             "supported over HTTP; POST one message"
                                           : "Invalid Request: a message is a JSON object");
        cJSON_Delete(msg);
        return r;
    }
    mcp_message mm;
    mcp_message_classify(msg, &mm);
    const cJSON *id = mm.id;
    const char *m = mm.method;
    if (mm.kind == MCP_MSG_INVALID) {
        r = reply_error(req, 400, mm.id, mm.code, mm.error);
    } else if (mm.kind == MCP_MSG_RESPONSE) {
        r = serve_reply(req, 202, NULL, "", 0, NULL); /* none expected */
    } else if (mm.kind == MCP_MSG_REQUEST && strcmp(m, "initialize") == 0) {
        r = initialize(req, id, mm.params);
    } else {
        serve_session *s = session_of(req, &r);
        char *local;
        if (!s) {
            /* replied */
        } else if (mm.kind == MCP_MSG_NOTIFICATION) {
            if (strcmp(m, "notifications/cancelled") == 0)
                cancel(s->id, mm.params);
            serve_session_unref(srv->sessions, s);
            r = serve_reply(req, 202, NULL, "", 0, NULL);
        } else if (strcmp(m, "tools/call") == 0) {
            r = tools_call(req, s, id, mm.params); /* takes s */
        } else if (strcmp(m, "resources/list") == 0 || strcmp(m, "resources/read") == 0) {
            r = resources(req, s, m, id, mm.params); /* takes s */
        } else {
            serve_session_unref(srv->sessions, s);
            local = mcp_local_answer(id, m, 0);
            r = reply_text(req, 200, local, NULL);
        }
    }
    cJSON_Delete(msg);
    return r;
}

enum MHD_Result serve_mcp(serve_request *req)
{
    if (strcmp(req->method, "POST") == 0)
        return post(req);
    if (strcmp(req->method, "DELETE") == 0)
        return delete_session(req);
    static const char *const allow[] = {"Allow", "POST, DELETE", NULL};
    static const char text[] = "405: no server-initiated stream; POST JSON-RPC messages to /mcp\n";
    return serve_reply(req, 405, "text/plain", text, sizeof text - 1, allow);
}
