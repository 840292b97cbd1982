/* SPDX-License-Identifier: MIT */
/*
 * The HTTP side of `codeinterp serve`: libmicrohttpd with a thread per
 * connection (requests run in parallel; one slow execution holds only its
 * own connection), the raw request-target kept for routing and SigV4 (MHD's
 * `url` is already %-decoded), the body bounded before it is read, hashed
 * as it arrives, the signature checked, then routes.c answers. One access
 * log line per request on stderr when it completes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "serve.h"

uint64_t serve_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t serve_realtime_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void serve_iso8601(int64_t ms, char out[32])
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* ------------------------------------------------------------ requests */

static void *uri_logged(void *cls, const char *uri, struct MHD_Connection *conn)
{
    static unsigned long counter;
    serve_request *req = calloc(1, sizeof *req);
    (void)conn;
    if (!req)
        return NULL;
    req->srv = cls;
    req->start_ns = serve_now_ns();
    req->raw_target = strdup(uri ? uri : "");
    req->raw_path = strdup(req->raw_target ? req->raw_target : "");
    if (!req->raw_target || !req->raw_path) {
        free(req->raw_target);
        free(req->raw_path);
        free(req);
        return NULL;
    }
    char *q = strchr(req->raw_path, '?');
    if (q) {
        *q = '\0';
        req->raw_query = q + 1;
    }
    snprintf(req->request_id, sizeof req->request_id, "%08lx-%012llx",
             __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED),
             (unsigned long long)(serve_realtime_ms() & 0xffffffffffffULL));
    strcpy(req->caller, "-");
    return req;
}

static void request_free(serve_request *req)
{
    if (!req)
        return;
    if (req->sha)
        EVP_MD_CTX_free(req->sha);
    free(req->headers);
    free(req->body);
    free(req->raw_target);
    free(req->raw_path);
    free(req);
}

/* Prints what is not plain printable ASCII as \xNN: targets are the
 * client's bytes. */
static void log_escaped(FILE *to, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
            fprintf(to, "\\x%02x", c);
        else
            fputc(c, to);
    }
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    serve_server *srv = cls;
    serve_request *req = *con_cls;
    (void)conn;
    if (!req)
        return;
    *con_cls = NULL;
    if (req->slot_key[0])
        serve_throttle_leave(srv->throttle, req->slot_key);
    serve_metrics_request(srv->metrics, req->error_kind);
    if (!srv->opt->quiet) {
        char when[32];
        serve_iso8601(serve_realtime_ms(), when);
        double ms = (double)(serve_now_ns() - req->start_ns) / 1e6;
        flockfile(stderr);
        fprintf(stderr, "%s \"%s ", when, req->method ? req->method : "-");
        log_escaped(stderr, req->raw_target ? req->raw_target : "-");
        fprintf(stderr, "\" %u %llu %.1fms key=", req->status,
                (unsigned long long)req->reply_bytes, ms);
        log_escaped(stderr, req->caller);
        fprintf(stderr, " id=%s%s%s%s\n", req->request_id,
                req->error_kind ? " error=" : "", req->error_kind ? req->error_kind : "",
                toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (connection closed early)");
        funlockfile(stderr);
    }
    request_free(req);
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
    serve_request *req = cls;
    (void)kind;
    if (req->n_headers == req->cap_headers) {
        size_t cap = req->cap_headers ? req->cap_headers * 2 : 16;
        sigv4_header *h = realloc(req->headers, cap * sizeof *h);
        if (!h)
            return MHD_NO;
        req->headers = h;
        req->cap_headers = cap;
    }
    req->headers[req->n_headers].name = key;
    req->headers[req->n_headers].value = value ? value : "";
    req->n_headers++;
    return MHD_YES;
}

/* ------------------------------------------------------------- replies */

static enum MHD_Result queue(serve_request *req, unsigned status, struct MHD_Response *resp,
                             const char *content_type, size_t len,
                             const char *const *extra_headers)
{
    if (!resp)
        return MHD_NO;
    if (content_type)
        MHD_add_response_header(resp, "Content-Type", content_type);
    MHD_add_response_header(resp, "x-amzn-RequestId", req->request_id);
    for (size_t i = 0; extra_headers && extra_headers[i]; i += 2)
        MHD_add_response_header(resp, extra_headers[i], extra_headers[i + 1]);
    enum MHD_Result r = MHD_queue_response(req->conn, status, resp);
    MHD_destroy_response(resp);
    req->status = status;
    req->reply_bytes = len;
    req->replied = 1;
    return r;
}

enum MHD_Result serve_reply(serve_request *req, unsigned status, const char *content_type,
                            const void *body, size_t len, const char *const *extra_headers)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    return queue(req, status, resp, content_type, len, extra_headers);
}

/* As serve_reply, taking body (malloc'd) over. */
enum MHD_Result serve_reply_owned(serve_request *req, unsigned status, const char *content_type,
                                  void *body, size_t len, const char *const *extra_headers);
enum MHD_Result serve_reply_owned(serve_request *req, unsigned status, const char *content_type,
                                  void *body, size_t len, const char *const *extra_headers)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!resp)
        free(body);
    return queue(req, status, resp, content_type, len, extra_headers);
}

enum MHD_Result serve_reply_json(serve_request *req, unsigned status, const char *json)
{
    return serve_reply(req, status, "application/json", json, strlen(json), NULL);
}

/* -------------------------------------------------------------- access */

static int lookup_key(void *cls, const char *key_id, char *secret, size_t size)
{
    serve_server *srv = cls;
    pthread_mutex_lock(&srv->keys_lock);
    int rc = srv->keys ? keyfile_lookup(srv->keys, key_id, secret, size) : -1;
    pthread_mutex_unlock(&srv->keys_lock);
    return rc;
}

static void sigv4_setup(serve_request *req, sigv4_config *cfg, sigv4_request *sr,
                        const char *body_hex)
{
    static const char *const also[] = {"content-type", "x-amzn-code-interpreter-session-id",
                                       NULL};
    memset(cfg, 0, sizeof *cfg);
    cfg->service = "bedrock-agentcore";
    cfg->region = req->srv->opt->region;
    cfg->max_skew_seconds = 300;
    cfg->also_signed = also;
    cfg->lookup = lookup_key;
    cfg->lookup_cls = req->srv;
    memset(sr, 0, sizeof *sr);
    sr->method = req->method;
    sr->raw_path = req->raw_path;
    sr->raw_query = req->raw_query;
    sr->headers = req->headers;
    sr->n_headers = req->n_headers;
    sr->body_sha256_hex = body_hex;
}

/* The reason word of an access_denied audit record. */
static const char *denied_reason(const serve_request *req, sigv4_result r)
{
    switch (r) {
    case SIGV4_MALFORMED:
        return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Authorization")
                   ? "malformed" : "missing_auth";
    case SIGV4_WRONG_SCOPE: return "wrong_scope";
    case SIGV4_UNSIGNED_HEADER: return "unsigned_header";
    case SIGV4_CLOCK_SKEW: return "clock_skew";
    case SIGV4_UNKNOWN_KEY: return "unknown_key";
    case SIGV4_PAYLOAD_MISMATCH: return "payload_mismatch";
    case SIGV4_BAD_SIGNATURE: return "bad_signature";
    default: return "denied";
    }
}

/* Every refusal goes on the server's audit trail: the key id claimed (not
 * trusted: the library escapes it), why, and the method and path. */
static void audit_denied(serve_request *req, sigv4_result r, const sigv4_info *info)
{
    static int warned;
    const ci_config *cfg = req->srv->audit_config;
    if (!cfg)
        return;
    char message[400];
    snprintf(message, sizeof message, "%s %.300s", req->method ? req->method : "-",
             req->raw_path);
    if (ci_audit_access_denied(cfg, info->key_id[0] ? info->key_id : NULL,
                               denied_reason(req, r), message) < 0 &&
        !__atomic_exchange_n(&warned, 1, __ATOMIC_RELAXED))
        fprintf(stderr, "codeinterp serve: cannot write the audit record of a refusal: %s\n",
                ci_last_error());
}

static enum MHD_Result denied(serve_request *req, sigv4_result r, const sigv4_info *info)
{
    /* the key id the client claimed, for the log line */
    snprintf(req->caller, sizeof req->caller, "%s", info->key_id[0] ? info->key_id : "-");
    audit_denied(req, r, info);
    return serve_error(req, "AccessDeniedException", NULL,
                       "the request signature does not verify (%s)", sigv4_result_name(r));
}

static int is_public(const serve_request *req)
{
    return strcmp(req->raw_path, "/healthz") == 0 || strcmp(req->raw_path, "/metrics") == 0;
}

static enum MHD_Result first_call(serve_request *req)
{
    serve_server *srv = req->srv;

    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, add_header, req);
    if (__atomic_load_n(&srv->stopping, __ATOMIC_ACQUIRE))
        return serve_error(req, "InternalServerException", NULL, "the server is shutting down");
    if (is_public(req))
        return MHD_YES;

    req->body_limit = serve_route_body_limit(req);
    const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl || *end || n > req->body_limit) {
            req->too_big = 2;
            return serve_error(req, "ValidationException", "FieldValidationFailed",
                               "the request body (Content-Length %s) is over this "
                               "operation's limit of %llu bytes", cl,
                               (unsigned long long)req->body_limit);
        }
    }
    int mcp = strcmp(req->raw_path, "/mcp") == 0;
    if (mcp && !srv->opt->insecure_no_auth) {
        enum MHD_Result reply;
        if (serve_mcp_authenticate(req, &reply) < 0)
            return reply;
    } else if (!srv->opt->insecure_no_auth) {
        sigv4_config cfg;
        sigv4_request sr;
        sigv4_info info;
        sigv4_setup(req, &cfg, &sr, NULL);
        sigv4_result r = sigv4_precheck(&cfg, &sr, time(NULL), &info);
        if (r != SIGV4_OK)
            return denied(req, r, &info);
        snprintf(req->caller, sizeof req->caller, "%s", info.key_id);
    } else {
        strcpy(req->caller, "anonymous");
    }
    /* the key's bound on requests in progress, before the body is read:
     * the key is the one claimed (known to the key file, the signature not
     * checked yet), so a refusal here costs no more than the precheck */
    int slot = srv->throttle ? serve_throttle_enter(srv->throttle, req->caller) : 0;
    if (slot == -1)
        return serve_error(req, "ThrottlingException", NULL,
                           "key %s has its maximum of %u requests in progress; retry later",
                           req->caller, srv->opt->max_calls_per_key);
    if (slot < 0)
        return serve_error(req, "InternalServerException", NULL, "out of memory");
    if (srv->throttle)
        snprintf(req->slot_key, sizeof req->slot_key, "%s", req->caller);
    if (mcp)
        return MHD_YES; /* no signature: the bearer token was the proof */
    req->sha = EVP_MD_CTX_new();
    if (!req->sha || !EVP_DigestInit_ex(req->sha, EVP_sha256(), NULL))
        return serve_error(req, "InternalServerException", NULL, "out of memory");
    return MHD_YES;
}

static int take_body(serve_request *req, const char *data, size_t len)
{
    if (req->too_big)
        return 0;
    if (req->body_len + len > req->body_limit) {
        req->too_big = 1;
        free(req->body);
        req->body = NULL;
        return 0;
    }
    if (req->body_len + len + 1 > req->body_cap) {
        size_t cap = req->body_cap ? req->body_cap : 4096;
        while (cap < req->body_len + len + 1)
            cap *= 2;
        char *b = realloc(req->body, cap);
        if (!b)
            return -1;
        req->body = b;
        req->body_cap = cap;
    }
    memcpy(req->body + req->body_len, data, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
    if (req->sha)
        EVP_DigestUpdate(req->sha, data, len);
    return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    serve_request *req = *con_cls;
    (void)url;
    (void)version;
    if (!req)
        return MHD_NO;
    (void)cls;
    if (!req->started) {
        req->started = 1;
        req->method = method;
        req->conn = conn;
        return first_call(req);
    }
    if (*upload_data_size) {
        if (!req->replied && take_body(req, upload_data, *upload_data_size) < 0)
            return MHD_NO;
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (req->replied)
        return MHD_YES;
    if (req->too_big)
        return serve_error(req, "ValidationException", "FieldValidationFailed",
                           "the request body is over this operation's limit of %llu bytes",
                           (unsigned long long)req->body_limit);
    if (req->sha) {
        unsigned char md[32];
        unsigned mdlen = 0;
        char hex[65];
        EVP_DigestFinal_ex(req->sha, md, &mdlen);
        for (unsigned i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", md[i]);
        if (!req->srv->opt->insecure_no_auth) {
            sigv4_config cfg;
            sigv4_request sr;
            sigv4_info info;
            sigv4_setup(req, &cfg, &sr, hex);
            sigv4_result r = sigv4_verify(&cfg, &sr, time(NULL), &info);
            if (r != SIGV4_OK)
                return denied(req, r, &info);
            snprintf(req->caller, sizeof req->caller, "%s", info.key_id);
        }
    }
    if (!req->body) {
        req->body = strdup("");
        if (!req->body)
            return MHD_NO;
    }
    return serve_route(req);
}

/* -------------------------------------------------------------- daemon */

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (len + 1 < cap)
            break;
        cap *= 2;
        char *b = realloc(buf, cap);
        if (!b) {
            free(buf);
            buf = NULL;
        }
        buf = b;
    }
    fclose(f);
    if (!buf)
        snprintf(err, errlen, "%s: out of memory", path);
    else
        buf[len] = '\0';
    return buf;
}

int serve_http_start(serve_server *srv, char *err, size_t errlen)
{
    const serve_options *o = srv->opt;
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_PASSIVE,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%u", o->port);
    int rc = getaddrinfo(o->listen_host, port, &hints, &ai);
    if (rc != 0) {
        snprintf(err, errlen, "--listen %s: not a numeric IPv4 or IPv6 address (%s)",
                 o->listen_host, gai_strerror(rc));
        return -1;
    }
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (ai->ai_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    char *cert = NULL, *key = NULL;
    if (o->tls_cert) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "this libmicrohttpd was built without TLS");
            freeaddrinfo(ai);
            return -1;
        }
        cert = read_file(o->tls_cert, err, errlen);
        key = cert ? read_file(o->tls_key, err, errlen) : NULL;
        if (!key) {
            free(cert);
            freeaddrinfo(ai);
            return -1;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, key},
        {MHD_OPTION_END, 0, NULL},
    };
    srv->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, srv,
        MHD_OPTION_SOCK_ADDR, ai->ai_addr,
        MHD_OPTION_URI_LOG_CALLBACK, uri_logged, srv,
        MHD_OPTION_NOTIFY_COMPLETED, completed, srv,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
        MHD_OPTION_ARRAY, cert ? tls_opts : tls_opts + 2,
        MHD_OPTION_END);
    int saved = errno;
    freeaddrinfo(ai);
    if (cert) {
        OPENSSL_cleanse(key, strlen(key));
        free(key);
        free(cert);
    }
    if (!srv->daemon) {
        snprintf(err, errlen, "cannot listen on %s port %u: %s", o->listen_host, o->port,
                 strerror(saved));
        return -1;
    }
    return 0;
}

unsigned serve_http_port(serve_server *srv)
{
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    return info ? info->port : 0;
}

void serve_http_quiesce(serve_server *srv)
{
    if (!srv->daemon)
        return;
    MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
}

void serve_http_stop(serve_server *srv)
{
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    srv->daemon = NULL;
}
