/* SPDX-License-Identifier: MIT */
/*
 * `codeinterp serve`: the AgentCore data plane (doc/serve-api.md) over
 * libmicrohttpd, on the public API of libcodeinterp. The pieces:
 *
 *   http.c      the daemon, request plumbing (raw target, headers, body and
 *               its SHA-256, SigV4), replies and the access log
 *   errors.c    the modeled error replies
 *   sessions.c  the session table: owners, lifetimes, quotas, per-session
 *               call lock
 *   routes.c    routing and the four session operations
 *   invoke.c    InvokeCodeInterpreter: ci_invoke_json's answer as an event
 *               stream, and the watch that cancels a call whose client left
 *   metrics.c   counters for /metrics
 *   throttle.c  requests in progress per key (ThrottlingException)
 */
#ifndef CI_SERVE_SERVE_H
#define CI_SERVE_SERVE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <codeinterp/codeinterp.h>
#include <microhttpd.h>

#include "keyfile.h"
#include "sigv4_verify.h"

#define SERVE_DEFAULT_IDENTIFIER "aws.codeinterpreter.v1"
#define SERVE_MAX_IDENTIFIERS 16

/* What the command line decides. */
typedef struct serve_options {
    const char *listen_host;      /* numeric address */
    unsigned port;                /* 0: any free port */
    const char *keys_path;        /* NULL only with insecure_no_auth */
    int insecure_no_auth;
    int allow_plain_http;         /* --allow-insecure-remote */
    const char *tls_cert, *tls_key;
    const char *region;           /* NULL: any */
    const char *identifiers[SERVE_MAX_IDENTIFIERS]; /* besides the default */
    size_t n_identifiers;
    unsigned max_sessions;        /* per server */
    unsigned max_sessions_per_key;
    uint64_t max_body_bytes;      /* invoke bodies */
    unsigned grace_seconds;       /* SIGTERM: running calls get this long */
    unsigned max_connections;
    unsigned max_calls_per_key;   /* requests of one key in progress at once */
    int quiet;                    /* no access log */
    int stream_output;            /* executeCode/executeCommand output as it comes */
} serve_options;

typedef struct serve_sessions serve_sessions;
typedef struct serve_metrics serve_metrics;
typedef struct serve_inflight serve_inflight;
typedef struct serve_throttle serve_throttle;

typedef struct serve_server {
    const serve_options *opt;
    /* A new configuration with the settings of an identifier, for one
     * session of it. */
    ci_config *(*make_config)(void *cls, const char *identifier);
    void *make_config_cls;
    pthread_mutex_t keys_lock;
    keyfile *keys;                /* NULL with --insecure-no-auth */
    serve_sessions *sessions;
    serve_metrics *metrics;
    serve_inflight *inflight;
    serve_throttle *throttle;
    struct MHD_Daemon *daemon;
    /* The server's own audit trail (--audit-log): refusals outside any
     * session go there (ci_audit_access_denied). NULL: none. */
    const ci_config *audit_config;
    int stopping;                 /* SIGTERM came: new requests refused (atomic) */
} serve_server;

/* One request, from the URI log callback to the completion callback. */
typedef struct serve_request {
    serve_server *srv;
    char *raw_target;             /* as sent: path?query, %-escapes kept */
    char *raw_path;               /* before '?' */
    char *raw_query;              /* after '?', or NULL */
    const char *method;
    struct MHD_Connection *conn;
    sigv4_header *headers;
    size_t n_headers, cap_headers;
    char *body;
    size_t body_len, body_cap;
    uint64_t body_limit;
    int too_big;                  /* the body went past its limit */
    int started;                  /* the first handler call is done */
    int replied;
    void *sha;                    /* EVP_MD_CTX of the body */
    char caller[129];             /* key id, or "anonymous" */
    char slot_key[129];           /* the throttle slot held, "" for none */
    unsigned status;              /* of the reply, for the log */
    uint64_t reply_bytes;
    uint64_t start_ns;
    const char *error_kind;       /* modeled exception name sent, or NULL */
    char request_id[40];
} serve_request;

/* ---- http.c */
int serve_http_start(serve_server *srv, char *err, size_t errlen);
unsigned serve_http_port(serve_server *srv);
/* Stops accepting new connections (the listening socket is closed). */
void serve_http_quiesce(serve_server *srv);
void serve_http_stop(serve_server *srv);
/* Queues a reply; the body is copied. */
enum MHD_Result serve_reply(serve_request *req, unsigned status, const char *content_type,
                            const void *body, size_t len, const char *const *extra_headers);
enum MHD_Result serve_reply_json(serve_request *req, unsigned status, const char *json);
uint64_t serve_now_ns(void);
/* "2026-12-04T14:44:29.123Z" for a CLOCK_REALTIME time in ms. */
void serve_iso8601(int64_t ms, char out[32]);
int64_t serve_realtime_ms(void);

/* ---- errors.c */
/* A rest-json error: status from the shape, x-amzn-errortype, JSON body with
 * message (and reason for ValidationException). */
enum MHD_Result serve_error(serve_request *req, const char *shape, const char *reason,
                            const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* ValidationException (FieldValidationFailed) naming the field in the
 * model's fieldList: [{"name": field, "message": the message}]. */
enum MHD_Result serve_field_error(serve_request *req, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Whether id has the model's form of a session id, [0-9a-zA-Z]{1,40}. */
int serve_session_id_valid(const char *id);
unsigned serve_error_status(const char *shape);

/* ---- routes.c */
enum MHD_Result serve_route(serve_request *req);
/* The route needs a body of at most this many bytes (0: none expected). */
uint64_t serve_route_body_limit(serve_request *req);

/* ---- sessions.c */
typedef enum serve_session_status { SERVE_READY, SERVE_TERMINATED } serve_session_status;

typedef struct serve_session {
    char id[64];
    char identifier[128];
    char name[128];
    char owner[129];
    char client_token[257];
    char stop_token[257];             /* clientToken of the stop that ended it */
    unsigned timeout_seconds;
    int64_t created_ms, updated_ms;   /* realtime */
    uint64_t deadline_ns;             /* monotonic */
    serve_session_status status;
    uint64_t seq;
    int refs;
    int creating;                     /* reserved, the sandbox not made yet */
    int stopping;                     /* a stop is destroying it now */
    pthread_mutex_t call_lock;        /* one call at a time, and destroy */
    ci_session *session;              /* NULL once destroyed */
} serve_session;

serve_sessions *serve_sessions_new(unsigned max_total, unsigned max_per_key,
                                   serve_metrics *metrics);
void serve_sessions_free(serve_sessions *t);

/* Creates a session; returns 0 and *out (referenced), or a negative code:
 * -1 quota of the server, -2 quota of the key, -3 library failure (message
 * in err), -4 clientToken reused with other parameters, -5 a start with
 * the same clientToken still in progress. An earlier start with the same
 * clientToken returns that session again. */
int serve_sessions_start(serve_sessions *t, serve_server *srv, const char *identifier,
                         const char *name, unsigned timeout_seconds, const char *owner,
                         const char *client_token, serve_session **out, char *err,
                         size_t errlen);
/* The session of that id owned by owner (others' read as missing),
 * referenced, or NULL. Expired ones are reported TERMINATED. */
serve_session *serve_sessions_find(serve_sessions *t, const char *id, const char *owner,
                                   const char *identifier);
void serve_session_unref(serve_sessions *t, serve_session *s);
/* A copy of the session's fields, taken under the table lock. */
void serve_session_snapshot(serve_sessions *t, serve_session *s, serve_session *copy);
/* Marks it TERMINATED and destroys its sandbox once no call runs in it
 * (cancels the running one first). 0; 1 when the stop that ended it had
 * the same client_token (a repeat: nothing done); -1 when another stop of
 * it is in progress (ConflictException); -2 when it had ended already. */
int serve_sessions_stop(serve_sessions *t, serve_session *s, serve_inflight *inflight,
                        const char *client_token);
/* With the session's call_lock held: whether it may still be used; marks
 * it TERMINATED (and destroys it) if its lifetime ran out. */
int serve_session_usable(serve_sessions *t, serve_session *s);
/* After a call that found the sandbox gone: TERMINATED, destroyed. Called
 * with call_lock held. */
void serve_session_ended(serve_sessions *t, serve_session *s);
/* Snapshot for list: fills up to max copies owned by owner for identifier
 * (and status when filter >= 0) with seq > after, in start order; returns
 * how many, *more set when there are further ones. */
size_t serve_sessions_list(serve_sessions *t, const char *owner, const char *identifier,
                           int status_filter, uint64_t after, serve_session *out, size_t max,
                           int *more);
size_t serve_sessions_live(serve_sessions *t);
/* Destroys the sandboxes whose lifetime ran out (call it now and then). */
void serve_sessions_reap(serve_sessions *t);
/* SIGTERM: every session TERMINATED and destroyed (waits for each call). */
void serve_sessions_destroy_all(serve_sessions *t);

/* ---- invoke.c */
/* A call in progress: cancelled at shutdown, when asked, or when the
 * client behind fd (-1: none watched) hangs up. */
typedef struct serve_call {
    int fd;
    ci_session *session;
    int client_gone;              /* its client hung up */
    ci_cancel *cancel;            /* fired to cancel it, before or while it runs */
    struct serve_call *next;
} serve_call;
/* Sets a call up with its own cancel handle (fd -1 for none): 0, or -1
 * out of memory. serve_call_close() frees the handle. */
int serve_call_open(serve_call *c, int fd, ci_session *session);
void serve_call_close(serve_call *c);
/* Registers a running call (one added while shutting down is cancelled
 * at once), and removes it. */
void serve_inflight_add(serve_inflight *f, serve_call *c);
void serve_inflight_remove(serve_inflight *f, serve_call *c);
/* Cancels that call: whether it runs yet or not, it ends as "killed". */
void serve_inflight_cancel_call(serve_inflight *f, serve_call *c);
/* A thread that runs a call and answers through a response callback
 * starts and ends: serve_inflight_wait_workers() waits for it. */
void serve_inflight_worker_begin(serve_inflight *f);
void serve_inflight_worker_end(serve_inflight *f);
enum MHD_Result serve_invoke(serve_request *req, const char *identifier);
serve_inflight *serve_inflight_new(void);
void serve_inflight_free(serve_inflight *f);
/* Cancels every running call, and every later one, until the end (or
 * only the running calls of one ci_session when not NULL). */
void serve_inflight_cancel(serve_inflight *f, ci_session *only);
size_t serve_inflight_count(serve_inflight *f);
/* Blocks until the worker threads of streamed calls have all ended. */
void serve_inflight_wait_workers(serve_inflight *f);
/* Blocks until no call runs or timeout_ms passed; 0 if none runs. */
int serve_inflight_wait(serve_inflight *f, unsigned timeout_ms);

/* ---- tools/mcp/http.c (linked into the codeinterp binary) */
/* POST/GET/DELETE /mcp: MCP's Streamable HTTP transport (doc/mcp.md). */
enum MHD_Result serve_mcp(serve_request *req);
/* Bearer authentication of /mcp at the first call: 0 with req->caller
 * set, or -1 after queueing the 401 reply. */
int serve_mcp_authenticate(serve_request *req, enum MHD_Result *reply);

/* ---- throttle.c */
serve_throttle *serve_throttle_new(unsigned max_per_key);
void serve_throttle_free(serve_throttle *t);
/* Takes one of key's slots: 0, or -1 when it has max_per_key in use
 * (-2 out of memory). */
int serve_throttle_enter(serve_throttle *t, const char *key);
void serve_throttle_leave(serve_throttle *t, const char *key);

/* ---- metrics.c */
serve_metrics *serve_metrics_new(void);
void serve_metrics_free(serve_metrics *m);
void serve_metrics_request(serve_metrics *m, const char *error_kind);
void serve_metrics_execution(serve_metrics *m, const char *tool, double seconds, int is_error,
                             double cpu_seconds, uint64_t denied_syscalls);
void serve_metrics_session_started(serve_metrics *m);
/* A sandbox was destroyed, having used this many GiB-seconds of memory. */
void serve_metrics_session_ended(serve_metrics *m, double gb_seconds);
/* The Prometheus text; free() it. */
char *serve_metrics_render(serve_metrics *m, size_t live_sessions, size_t running_calls);

#endif
