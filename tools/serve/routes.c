/* SPDX-License-Identifier: MIT */
/*
 * Routing on the raw path (a %2F inside the identifier label stays inside
 * it) and the session operations of the model: start, get, list, stop.
 * InvokeCodeInterpreter is in invoke.c; /healthz and /metrics are here.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "serve.h"

#define SMALL_BODY_LIMIT (64u * 1024u)
#define LIST_DEFAULT 10

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* %XX-decodes [s, s+len) into out[size]; -1 for a bad escape, a NUL or no
 * room. */
static int pct_decode(const char *s, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= len)
                return -1;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (c == 0 || o + 1 >= size)
            return -1;
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return 0;
}

/* The value of `name` in the raw query, decoded; 1 found, 0 not, -1 bad. */
static int query_value(const char *query, const char *name, char *out, size_t size)
{
    size_t nlen = strlen(name);
    while (query && *query) {
        const char *amp = strchr(query, '&');
        size_t len = amp ? (size_t)(amp - query) : strlen(query);
        if (len > nlen && strncmp(query, name, nlen) == 0 && query[nlen] == '=')
            return pct_decode(query + nlen + 1, len - nlen - 1, out, size) < 0 ? -1 : 1;
        query = amp ? amp + 1 : NULL;
    }
    return 0;
}

typedef enum route_op {
    OP_NONE, OP_START, OP_GET, OP_LIST, OP_STOP, OP_INVOKE
} route_op;

static const struct {
    const char *suffix, *method;
    route_op op;
} routes[] = {
    {"/sessions/start", "PUT", OP_START},
    {"/sessions/get", "GET", OP_GET},
    {"/sessions/list", "POST", OP_LIST},
    {"/sessions/stop", "PUT", OP_STOP},
    {"/tools/invoke", "POST", OP_INVOKE},
};

/* Splits /code-interpreters/{id}/<rest>; *id_out gets the decoded label.
 * OP_NONE when the path is not one of the model's (or the method differs:
 * *wrong_method set). */
static route_op parse_route(const serve_request *req, char *id_out, size_t size,
                            int *wrong_method)
{
    static const char prefix[] = "/code-interpreters/";
    const char *p = req->raw_path;
    *wrong_method = 0;
    if (strncmp(p, prefix, sizeof prefix - 1) != 0)
        return OP_NONE;
    p += sizeof prefix - 1;
    const char *slash = strchr(p, '/');
    if (!slash || slash == p)
        return OP_NONE;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        if (strcmp(slash, routes[i].suffix) != 0)
            continue;
        if (pct_decode(p, (size_t)(slash - p), id_out, size) < 0)
            return OP_NONE;
        if (strcmp(req->method, routes[i].method) != 0) {
            *wrong_method = 1;
            return OP_NONE;
        }
        return routes[i].op;
    }
    return OP_NONE;
}

uint64_t serve_route_body_limit(serve_request *req)
{
    size_t len = strlen(req->raw_path);
    static const char invoke[] = "/tools/invoke";
    if (strcmp(req->raw_path, "/mcp") == 0)
        return req->srv->opt->max_body_bytes;
    if (len >= sizeof invoke - 1 && strcmp(req->raw_path + len - (sizeof invoke - 1), invoke) == 0)
        return req->srv->opt->max_body_bytes;
    return SMALL_BODY_LIMIT;
}

static int known_identifier(const serve_options *o, const char *id)
{
    if (strcmp(id, SERVE_DEFAULT_IDENTIFIER) == 0)
        return 1;
    for (size_t i = 0; i < o->n_identifiers; i++)
        if (strcmp(o->identifiers[i], id) == 0)
            return 1;
    return 0;
}

/* The JSON object of the body ({} when empty); NULL after replying. */
static cJSON *body_object(serve_request *req, enum MHD_Result *r)
{
    if (req->body_len == 0)
        return cJSON_CreateObject();
    cJSON *root = cJSON_ParseWithLength(req->body, req->body_len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *r = serve_error(req, "ValidationException", "CannotParse",
                         "the request body is not a JSON object");
        return NULL;
    }
    return root;
}

static enum MHD_Result reply_object(serve_request *req, cJSON *obj)
{
    char *json = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    if (!json)
        return serve_error(req, "InternalServerException", NULL, "out of memory");
    enum MHD_Result r = serve_reply_json(req, 200, json);
    free(json);
    return r;
}

static void add_time(cJSON *obj, const char *name, int64_t ms)
{
    char when[32];
    serve_iso8601(ms, when);
    cJSON_AddStringToObject(obj, name, when);
}

static const char *status_name(serve_session_status s)
{
    return s == SERVE_READY ? "READY" : "TERMINATED";
}

/* ----------------------------------------------------------------- start */

static enum MHD_Result op_start(serve_request *req, const char *identifier)
{
    enum MHD_Result r = MHD_NO;
    cJSON *body = body_object(req, &r);
    if (!body)
        return r;
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(body, "name");
    const cJSON *timeout = cJSON_GetObjectItemCaseSensitive(body, "sessionTimeoutSeconds");
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(body, "clientToken");
    const cJSON *certs = cJSON_GetObjectItemCaseSensitive(body, "certificates");
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(body, "filesystemConfigurations");
    unsigned seconds = 900;

    if (name && (!cJSON_IsString(name) || strlen(name->valuestring) < 1 ||
                 strlen(name->valuestring) > 100)) {
        r = serve_field_error(req, "name", "name must be a string of 1-100 characters");
    } else if (timeout && (!cJSON_IsNumber(timeout) || timeout->valuedouble < 1 ||
                           timeout->valuedouble > 28800 ||
                           timeout->valuedouble != (double)(int)timeout->valuedouble)) {
        r = serve_field_error(req, "sessionTimeoutSeconds",
                              "sessionTimeoutSeconds must be an integer from 1 to 28800");
    } else if (token && (!cJSON_IsString(token) || strlen(token->valuestring) < 33 ||
                         strlen(token->valuestring) > 256)) {
        r = serve_field_error(req, "clientToken",
                              "clientToken must be a string of 33-256 characters");
    } else if (cJSON_IsArray(certs) && cJSON_GetArraySize(certs) > 0) {
        r = serve_field_error(req, "certificates",
                              "certificates are not supported by this server");
    } else if (cJSON_IsArray(fs) && cJSON_GetArraySize(fs) > 0) {
        r = serve_field_error(req, "filesystemConfigurations",
                              "filesystemConfigurations are not supported by this server");
    } else {
        if (timeout)
            seconds = (unsigned)timeout->valuedouble;
        serve_session *s = NULL;
        char err[512] = "";
        int rc = serve_sessions_start(req->srv->sessions, req->srv, identifier,
                                      name ? name->valuestring : "", seconds, req->caller,
                                      token ? token->valuestring : NULL, &s, err, sizeof err);
        if (rc == -1)
            r = serve_error(req, "ServiceQuotaExceededException", NULL,
                            "the server runs its maximum of %u sessions",
                            req->srv->opt->max_sessions);
        else if (rc == -2)
            r = serve_error(req, "ServiceQuotaExceededException", NULL,
                            "this key runs its maximum of %u sessions",
                            req->srv->opt->max_sessions_per_key);
        else if (rc == -4)
            r = serve_error(req, "ValidationException", "IdempotentParameterMismatchException",
                            "clientToken was used before with other parameters");
        else if (rc == -5)
            r = serve_error(req, "ConflictException", NULL,
                            "a start with this clientToken is still in progress");
        else if (rc < 0)
            r = serve_error(req, "InternalServerException", NULL,
                            "the session could not be created: %s", err);
        else {
            serve_metrics_session_started(req->srv->metrics);
            cJSON *out = cJSON_CreateObject();
            cJSON_AddStringToObject(out, "codeInterpreterIdentifier", s->identifier);
            cJSON_AddStringToObject(out, "sessionId", s->id);
            add_time(out, "createdAt", s->created_ms);
            serve_session_unref(req->srv->sessions, s);
            r = reply_object(req, out);
        }
    }
    cJSON_Delete(body);
    return r;
}

/* ------------------------------------------------------------ get, stop */

/* The session named by ?sessionId=, owned by the caller; NULL after
 * replying. */
static serve_session *query_session(serve_request *req, const char *identifier,
                                    enum MHD_Result *r)
{
    char id[128];
    int found = query_value(req->raw_query, "sessionId", id, sizeof id);
    if (found <= 0 || !*id) {
        *r = serve_field_error(req, "sessionId", "the query parameter sessionId is required");
        return NULL;
    }
    if (!serve_session_id_valid(id)) {
        *r = serve_field_error(req, "sessionId",
                               "sessionId must be 1-40 letters and digits ([0-9a-zA-Z]{1,40})");
        return NULL;
    }
    serve_session *s = serve_sessions_find(req->srv->sessions, id, req->caller, identifier);
    if (!s)
        *r = serve_error(req, "ResourceNotFoundException", NULL, "no session %s", id);
    return s;
}

static enum MHD_Result op_get(serve_request *req, const char *identifier)
{
    enum MHD_Result r = MHD_NO;
    serve_session *found = query_session(req, identifier, &r);
    if (!found)
        return r;
    serve_session snap, *s = &snap;
    serve_session_snapshot(req->srv->sessions, found, &snap);
    serve_session_unref(req->srv->sessions, found);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "codeInterpreterIdentifier", s->identifier);
    cJSON_AddStringToObject(out, "sessionId", s->id);
    add_time(out, "createdAt", s->created_ms);
    if (*s->name)
        cJSON_AddStringToObject(out, "name", s->name);
    cJSON_AddNumberToObject(out, "sessionTimeoutSeconds", s->timeout_seconds);
    cJSON_AddStringToObject(out, "status", status_name(s->status));
    return reply_object(req, out);
}

static enum MHD_Result op_stop(serve_request *req, const char *identifier)
{
    enum MHD_Result r = MHD_NO;
    cJSON *body = body_object(req, &r);
    if (!body)
        return r;
    /* the model: a stop repeated with its clientToken is ignored, without
     * an error (boto3 sends the same token when it retries) */
    const cJSON *token = cJSON_GetObjectItemCaseSensitive(body, "clientToken");
    char stop_token[257] = "";
    if (token && (!cJSON_IsString(token) || strlen(token->valuestring) < 33 ||
                  strlen(token->valuestring) > 256)) {
        cJSON_Delete(body);
        return serve_field_error(req, "clientToken",
                                 "clientToken must be a string of 33-256 characters");
    }
    if (token)
        snprintf(stop_token, sizeof stop_token, "%s", token->valuestring);
    cJSON_Delete(body);
    serve_session *found = query_session(req, identifier, &r);
    if (!found)
        return r;
    serve_session snap, *s = &snap;
    int rc = serve_sessions_stop(req->srv->sessions, found, req->srv->inflight, stop_token);
    serve_session_snapshot(req->srv->sessions, found, &snap);
    if (rc == -1) {
        serve_session_unref(req->srv->sessions, found);
        return serve_error(req, "ConflictException", NULL,
                           "session %s is being stopped by another request", s->id);
    }
    if (rc == -2) {
        serve_session_unref(req->srv->sessions, found);
        return serve_error(req, "ResourceNotFoundException", NULL, "session %s has ended", s->id);
    }
    serve_session_unref(req->srv->sessions, found);
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "codeInterpreterIdentifier", s->identifier);
    cJSON_AddStringToObject(out, "sessionId", s->id);
    add_time(out, "lastUpdatedAt", s->updated_ms);
    return reply_object(req, out);
}

/* ------------------------------------------------------------------ list */

static enum MHD_Result op_list(serve_request *req, const char *identifier)
{
    enum MHD_Result r = MHD_NO;
    cJSON *body = body_object(req, &r);
    if (!body)
        return r;
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(body, "maxResults");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(body, "nextToken");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(body, "status");
    int limit = LIST_DEFAULT, filter = -1;
    uint64_t after = 0;
    const char *bad = NULL, *field = NULL;

    if (max && (!cJSON_IsNumber(max) || max->valuedouble < 1 || max->valuedouble > 100))
        bad = "maxResults must be from 1 to 100", field = "maxResults";
    else if (max)
        limit = (int)max->valuedouble;
    if (!bad && next) {
        char *end = NULL;
        if (cJSON_IsString(next) && *next->valuestring)
            after = strtoull(next->valuestring, &end, 10);
        if (!end || *end)
            bad = "nextToken is not one this server gave", field = "nextToken";
    }
    if (!bad && status) {
        if (cJSON_IsString(status) && strcmp(status->valuestring, "READY") == 0)
            filter = SERVE_READY;
        else if (cJSON_IsString(status) && strcmp(status->valuestring, "TERMINATED") == 0)
            filter = SERVE_TERMINATED;
        else
            bad = "status must be READY or TERMINATED", field = "status";
    }
    cJSON_Delete(body);
    if (bad)
        return serve_field_error(req, field, "%s", bad);

    serve_session *v = calloc((size_t)limit, sizeof *v);
    if (!v)
        return serve_error(req, "InternalServerException", NULL, "out of memory");
    int more = 0;
    size_t n = serve_sessions_list(req->srv->sessions, req->caller, identifier, filter, after, v,
                                   (size_t)limit, &more);
    cJSON *out = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(out, "items");
    for (size_t i = 0; i < n; i++) {
        cJSON *it = cJSON_CreateObject();
        cJSON_AddStringToObject(it, "codeInterpreterIdentifier", v[i].identifier);
        cJSON_AddStringToObject(it, "sessionId", v[i].id);
        if (*v[i].name)
            cJSON_AddStringToObject(it, "name", v[i].name);
        cJSON_AddStringToObject(it, "status", status_name(v[i].status));
        add_time(it, "createdAt", v[i].created_ms);
        add_time(it, "lastUpdatedAt", v[i].updated_ms);
        cJSON_AddItemToArray(items, it);
    }
    if (more && n > 0) {
        char tok[32];
        snprintf(tok, sizeof tok, "%llu", (unsigned long long)v[n - 1].seq);
        cJSON_AddStringToObject(out, "nextToken", tok);
    }
    free(v);
    return reply_object(req, out);
}

/* ----------------------------------------------------------------- route */

enum MHD_Result serve_route(serve_request *req)
{
    serve_server *srv = req->srv;
    if (strcmp(req->raw_path, "/healthz") == 0 && strcmp(req->method, "GET") == 0)
        return serve_reply(req, 200, "text/plain", "ok\n", 3, NULL);
    if (strcmp(req->raw_path, "/metrics") == 0 && strcmp(req->method, "GET") == 0) {
        char *text = serve_metrics_render(srv->metrics, serve_sessions_live(srv->sessions),
                                          serve_inflight_count(srv->inflight));
        if (!text)
            return serve_error(req, "InternalServerException", NULL, "out of memory");
        enum MHD_Result r = serve_reply(req, 200, "text/plain; version=0.0.4", text,
                                        strlen(text), NULL);
        free(text);
        return r;
    }

    if (strcmp(req->raw_path, "/mcp") == 0)
        return serve_mcp(req);

    char identifier[256];
    int wrong_method;
    route_op op = parse_route(req, identifier, sizeof identifier, &wrong_method);
    if (op == OP_NONE && wrong_method)
        return serve_error(req, "UnknownOperationException", NULL,
                           "no operation answers %s on this path", req->method);
    if (op == OP_NONE)
        return serve_error(req, "UnknownOperationException", NULL,
                           "no such operation: the paths are /code-interpreters/{id}/"
                           "sessions/{start,get,list,stop} and /code-interpreters/{id}/"
                           "tools/invoke");
    if (!known_identifier(srv->opt, identifier))
        return serve_error(req, "ResourceNotFoundException", NULL,
                           "no code interpreter '%.100s' on this server", identifier);
    switch (op) {
    case OP_START:
        return op_start(req, identifier);
    case OP_GET:
        return op_get(req, identifier);
    case OP_LIST:
        return op_list(req, identifier);
    case OP_STOP:
        return op_stop(req, identifier);
    case OP_INVOKE:
        return serve_invoke(req, identifier);
    default:
        return MHD_NO;
    }
}
