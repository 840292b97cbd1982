/* SPDX-License-Identifier: MIT */
/*
 * codeinterp mcp: an MCP server over stdio (JSON-RPC 2.0, one message per
 * line), answering tools/call with ci_invoke_json() in one sandbox session
 * kept for the connection.
 *
 * Two threads. The reader (main thread) reads stdin and answers at once
 * what needs no sandbox: initialize, ping, tools/list, protocol errors; it
 * applies notifications/cancelled and watches the signal pipe. The worker
 * runs what needs the session (tools/call, resources/list, resources/read)
 * one job after the other, in arrival order: a session is used from one
 * thread at a time. Each job has a cancel handle: a cancel fires it, which
 * kills the job's execution, or stops it before it runs if it has not
 * started yet; its answer is not sent, as the spec asks.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "mcp/mcp.h"

/* Largest message: a 100 MiB upload as base64 with room for the JSON. */
#define DEFAULT_MAX_MESSAGE (150u << 20)
/* Jobs waiting for the worker past which requests are refused. */
#define MAX_QUEUED 64

/*
 * The responses of one batch, sent as one array once every request of it
 * has been answered (or cancelled). Each queued job of the batch holds a
 * reference, and so does the reader while it goes through the batch.
 * Guarded by srv.out_lock.
 */
typedef struct sink {
    int refs;
    char **items;
    size_t n, cap;
} sink;

typedef struct job {
    sink *batch;           /* the batch the request came in, or NULL */
    cJSON *id;             /* the request's id (NULL: warm-up job) */
    char *method;
    cJSON *params;
    int has_nul;           /* the message held a \u0000 escape */
    ci_cancel *cancel;     /* fired by notifications/cancelled or a signal */
    int expired;           /* an answer said session_expired */
    struct job *next;
    /* progress */
    cJSON *token;
    unsigned long progress;
    unsigned char carry[2][4];
    size_t carry_len[2];
} job;

static struct server {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_mutex_t out_lock;
    ci_config *config;
    ci_session *session;
    char *session_error;   /* why the last creation failed */
    job *head, *tail;
    size_t queued;
    job *running;
    int eof;               /* no more jobs: the worker ends when idle */
    int out_broken;
    int batches;           /* the negotiated revision has batches */
    unsigned timeout_s;
} srv = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .changed = PTHREAD_COND_INITIALIZER,
    .out_lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ------------------------------------------------------------ output */

/* With srv.out_lock held: writes one message (a line) whole. */
static void write_locked(const char *text, size_t len)
{
    if (!srv.out_broken && (cli_write_all(STDOUT_FILENO, text, len) < 0 ||
                            cli_write_all(STDOUT_FILENO, "\n", 1) < 0)) {
        fprintf(stderr, "codeinterp mcp: cannot write to stdout: %s\n", strerror(errno));
        srv.out_broken = 1;
    }
}

/* Writes one message; messages of both threads never mix. */
static void write_line(const char *text, size_t len)
{
    pthread_mutex_lock(&srv.out_lock);
    write_locked(text, len);
    pthread_mutex_unlock(&srv.out_lock);
}

/* The batch whose responses this thread is producing, if any. */
static __thread sink *current_batch;

static sink *sink_new(void)
{
    sink *b = calloc(1, sizeof *b);
    if (b)
        b->refs = 1;
    return b;
}

static void sink_hold(sink *b)
{
    pthread_mutex_lock(&srv.out_lock);
    b->refs++;
    pthread_mutex_unlock(&srv.out_lock);
}

/* Drops a reference; the last one sends the array (nothing when every
 * message of the batch was a notification or cancelled). */
static void sink_release(sink *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&srv.out_lock);
    if (--b->refs == 0) {
        size_t len = 2;
        for (size_t i = 0; i < b->n; i++)
            len += strlen(b->items[i]) + 1;
        char *all = b->n ? malloc(len + 1) : NULL;
        if (all) {
            size_t o = 0;
            all[o++] = '[';
            for (size_t i = 0; i < b->n; i++) {
                size_t k = strlen(b->items[i]);
                if (i)
                    all[o++] = ',';
                memcpy(all + o, b->items[i], k);
                o += k;
            }
            all[o++] = ']';
            write_locked(all, o);
        } else if (b->n) {
            fputs("codeinterp mcp: out of memory\n", stderr);
        }
        free(all);
        for (size_t i = 0; i < b->n; i++)
            free(b->items[i]);
        free(b->items);
        pthread_mutex_unlock(&srv.out_lock);
        free(b);
        return;
    }
    pthread_mutex_unlock(&srv.out_lock);
}

/* Sends a response: on its own line, or into the batch it answers. */
static void send_text(const char *text, size_t len)
{
    sink *b = current_batch;
    if (!b) {
        write_line(text, len);
        return;
    }
    char *copy = strndup(text, len);
    pthread_mutex_lock(&srv.out_lock);
    if (copy && b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 8;
        char **items = realloc(b->items, ncap * sizeof *items);
        if (items) {
            b->items = items;
            b->cap = ncap;
        }
    }
    if (copy && b->n < b->cap)
        b->items[b->n++] = copy;
    else
        free(copy);
    pthread_mutex_unlock(&srv.out_lock);
}

/* Sends a response message made by core.c; takes it (NULL: out of memory). */
static void send_message(char *text)
{
    if (!text) {
        fputs("codeinterp mcp: out of memory\n", stderr);
        return;
    }
    send_text(text, strlen(text));
    free(text);
}

/* {"jsonrpc":"2.0","id":id,"result":result}; takes result. */
static void send_result(const cJSON *id, cJSON *result)
{
    send_message(mcp_result_text(id, result));
}

/* An error response; id NULL for null. `data` (taken) may be NULL. */
static void send_error(const cJSON *id, int code, const char *message, cJSON *data)
{
    send_message(mcp_error_text(id, code, message, data));
}

/* The response around a CallToolResult the library printed, spliced in as
 * text: an answer may be 100 MiB of base64, parsing it again is waste. */
static void send_raw_result(const cJSON *id, const char *result)
{
    char *idtext = cJSON_PrintUnformatted(id);
    size_t n = idtext ? strlen(idtext) + strlen(result) + 64 : 0;
    char *msg = n ? malloc(n) : NULL;
    if (msg) {
        int len = snprintf(msg, n, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":%s}", idtext, result);
        send_text(msg, (size_t)len);
    } else {
        fputs("codeinterp mcp: out of memory\n", stderr);
    }
    free(msg);
    cJSON_free(idtext);
}

/* A tool failure the library never saw, as text. */
static char *tool_problem(const char *name, const char *message)
{
    cJSON *r = mcp_tool_problem(name, message);
    char *text = cJSON_PrintUnformatted(r);
    cJSON_Delete(r);
    return text;
}

/* ------------------------------------------------------------ session */

/* With the lock held: the session, created if there is none (the lock is
 * dropped while creating). NULL with srv.session_error set on failure. */
static ci_session *get_session(void)
{
    if (srv.session)
        return srv.session;
    pthread_mutex_unlock(&srv.lock);
    ci_session *s = NULL;
    int rc = ci_session_create(srv.config, &s);
    char *why = NULL;
    if (rc < 0) {
        cli_report_error("cannot create the sandbox session", rc, ci_last_error());
        if (asprintf(&why, "the sandbox session could not be created: %s: %s",
                     ci_strerror(rc), ci_last_error()) < 0)
            why = NULL;
    }
    pthread_mutex_lock(&srv.lock);
    srv.session = s;
    free(srv.session_error);
    srv.session_error = why;
    return s;
}

/* Whether a CallToolResult says the session's idle lifetime ran out. */
static int says_expired(const char *answer)
{
    if (!strstr(answer, "session_expired"))
        return 0;
    cJSON *root = cJSON_Parse(answer);
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(root, "structuredContent");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(sc, "status");
    int expired = cJSON_IsString(status) && strcmp(status->valuestring, "session_expired") == 0;
    cJSON_Delete(root);
    return expired;
}

/* ------------------------------------------------------------ progress */

/* notifications/progress for each output chunk of a call that asked for
 * progress: the counter goes up by one per chunk, the chunk is the
 * message, its stream is in _meta. */
static int on_output(job *j, int stream, const char *data, size_t len)
{
    if (ci_cancel_requested(j->cancel))
        return 1; /* no progress after a cancel; stop at this output */
    char *token = cJSON_PrintUnformatted(j->token);
    size_t mlen;
    char *msg = token ? mcp_progress_text(token, j->progress + 1, stream, data, len,
                                          j->carry[stream], &j->carry_len[stream], &mlen)
                      : NULL;
    if (msg) {
        j->progress++;
        write_line(msg, mlen); /* never part of a batch response */
    }
    free(msg);
    cJSON_free(token);
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

/* ------------------------------------------------------------ the jobs */

/* Runs one tool call; the CallToolResult text (malloc'd), or NULL. */
static char *call_tool(ci_session *s, job *j, const char *name, const cJSON *arguments)
{
    if (j->has_nul)
        return tool_problem("InvalidRequest", "invalid request: a string holds a NUL character "
                            "(\\u0000); code, commands and paths cannot contain one, and binary "
                            "file content must be sent base64-encoded as \"blob\"");
    cJSON *req = cJSON_CreateObject();
    cJSON_AddStringToObject(req, "name", name);
    if (arguments)
        cJSON_AddItemToObject(req, "arguments", cJSON_Duplicate(arguments, 1));
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    if (!text)
        return NULL;
    char *answer = NULL, *copy = NULL;
    int rc = ci_invoke_json_stream(s, text, j->token ? on_stdout : NULL,
                                   j->token ? on_stderr : NULL, j, j->cancel, &answer);
    cJSON_free(text);
    if (rc == 0) {
        copy = strdup(answer);
        ci_free(answer);
    }
    if (copy && says_expired(copy))
        j->expired = 1;
    return copy;
}

/* The tool calls of resources/list and resources/read (core.c). */
typedef struct resource_ctx {
    ci_session *s;
    job *j;
} resource_ctx;

static char *resource_call(const char *name, const cJSON *arguments, void *cls)
{
    resource_ctx *c = cls;
    return call_tool(c->s, c->j, name, arguments);
}

static void answer_resources(ci_session *s, job *j)
{
    resource_ctx c = {s, j};
    char *text = mcp_resources_answer(j->method, j->id, j->params, j->has_nul, resource_call, &c);
    if (text)
        send_text(text, strlen(text));
    else
        fputs("codeinterp mcp: out of memory\n", stderr);
    free(text);
}

/* Runs one job with the session; the answer is not sent if the job was
 * cancelled meanwhile. */
static void run_job(job *j)
{
    pthread_mutex_lock(&srv.lock);
    ci_session *s = get_session();
    char *why = srv.session_error ? strdup(srv.session_error) : NULL;
    pthread_mutex_unlock(&srv.lock);
    if (!j->method) {
        free(why);
        return; /* the warm-up after initialize */
    }
    int is_call = strcmp(j->method, "tools/call") == 0;
    if (!s) {
        const char *msg = why ? why : "the sandbox session could not be created";
        if (is_call) {
            char *answer = tool_problem("SessionUnavailable", msg);
            if (answer)
                send_raw_result(j->id, answer);
            free(answer);
        } else {
            send_error(j->id, RPC_INTERNAL_ERROR, msg, NULL);
        }
        free(why);
        return;
    }
    free(why);
    char *answer = NULL;
    if (!is_call) {
        answer_resources(s, j);
    } else {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(j->params, "name");
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(j->params, "arguments");
        answer = call_tool(s, j, name->valuestring, args);
    }

    int cancelled = ci_cancel_requested(j->cancel);
    pthread_mutex_lock(&srv.lock);
    if (j->expired) {
        /* the session's idle lifetime ran out: the next call gets a new one */
        ci_session_destroy(srv.session);
        srv.session = NULL;
    }
    pthread_mutex_unlock(&srv.lock);
    if (is_call && !cancelled) {
        if (answer)
            send_raw_result(j->id, answer);
        else
            send_error(j->id, RPC_INTERNAL_ERROR, "out of memory", NULL);
    }
    free(answer);
}

static void job_free(job *j)
{
    if (!j)
        return;
    sink_release(j->batch);
    cJSON_Delete(j->id);
    cJSON_Delete(j->params);
    cJSON_Delete(j->token);
    free(j->method);
    ci_cancel_free(j->cancel);
    free(j);
}

static void *worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&srv.lock);
    for (;;) {
        while (!srv.head && !srv.eof)
            pthread_cond_wait(&srv.changed, &srv.lock);
        if (!srv.head)
            break;
        job *j = srv.head;
        srv.head = j->next;
        if (!srv.head)
            srv.tail = NULL;
        srv.queued--;
        srv.running = j;
        pthread_mutex_unlock(&srv.lock);
        current_batch = j->batch;
        run_job(j);
        current_batch = NULL;
        pthread_mutex_lock(&srv.lock);
        srv.running = NULL;
        pthread_cond_broadcast(&srv.changed);
        pthread_mutex_unlock(&srv.lock);
        job_free(j);
        pthread_mutex_lock(&srv.lock);
    }
    ci_session_destroy(srv.session);
    srv.session = NULL;
    pthread_mutex_unlock(&srv.lock);
    return NULL;
}

/* ------------------------------------------------------------ the reader */

static int same_id(const cJSON *a, const cJSON *b)
{
    if (!a || !b)
        return 0;
    if (cJSON_IsString(a) && cJSON_IsString(b))
        return strcmp(a->valuestring, b->valuestring) == 0;
    return cJSON_IsNumber(a) && cJSON_IsNumber(b) && a->valuedouble == b->valuedouble;
}

/* notifications/cancelled: a queued job is dropped, the running one
 * cancelled (and its answer withheld). */
static void cancel_request(const cJSON *params)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(params, "requestId");
    pthread_mutex_lock(&srv.lock);
    if (srv.running && same_id(srv.running->id, id)) {
        ci_cancel_request(srv.running->cancel);
    } else {
        for (job **p = &srv.head; *p; p = &(*p)->next) {
            if (!same_id((*p)->id, id))
                continue;
            job *j = *p;
            *p = j->next;
            if (srv.tail == j) {
                srv.tail = NULL;
                for (job *k = srv.head; k; k = k->next)
                    srv.tail = k;
            }
            srv.queued--;
            job_free(j);
            break;
        }
    }
    pthread_mutex_unlock(&srv.lock);
}

/* Queues a job for the worker; takes method and params. */
static void enqueue(const cJSON *id, const char *method, cJSON *params, int has_nul)
{
    pthread_mutex_lock(&srv.lock);
    if (srv.queued >= MAX_QUEUED) {
        pthread_mutex_unlock(&srv.lock);
        cJSON_Delete(params);
        send_error(id, RPC_INTERNAL_ERROR, "too many requests waiting; wait for answers first",
                   NULL);
        return;
    }
    job *j = calloc(1, sizeof *j);
    if (j && ci_cancel_create(&j->cancel) < 0) {
        free(j);
        j = NULL;
    }
    if (j) {
        j->id = id ? cJSON_Duplicate(id, 1) : NULL;
        j->method = method ? strdup(method) : NULL;
        j->params = params;
        j->has_nul = has_nul;
        if (method && current_batch) {
            j->batch = current_batch;
            sink_hold(j->batch);
        }
        const cJSON *meta = cJSON_GetObjectItemCaseSensitive(params, "_meta");
        const cJSON *token = cJSON_GetObjectItemCaseSensitive(meta, "progressToken");
        if (cJSON_IsString(token) || cJSON_IsNumber(token))
            j->token = cJSON_Duplicate(token, 1);
        if (srv.tail)
            srv.tail->next = j;
        else
            srv.head = j;
        srv.tail = j;
        srv.queued++;
        pthread_cond_broadcast(&srv.changed);
    } else {
        cJSON_Delete(params);
    }
    pthread_mutex_unlock(&srv.lock);
}

static cJSON *initialize_result(const char *requested)
{
    const char *version = mcp_protocol_version(requested);
    srv.batches = version && strcmp(version, MCP_BATCH_VERSION) == 0;
    return mcp_initialize_result(requested, NULL);
}

static void handle(cJSON *msg, int has_nul);

/* A batch (2025-03-26): each message handled as if alone, the responses
 * sent together as one array. */
static void handle_batch(cJSON *batch, int has_nul)
{
    if (!srv.batches || cJSON_GetArraySize(batch) == 0) {
        send_error(NULL, RPC_INVALID_REQUEST, srv.batches ? "Invalid Request: an empty batch"
                   : "Invalid Request: JSON-RPC batches are not supported by the negotiated "
                     "protocol version; send one message per line", NULL);
        return;
    }
    sink *b = sink_new();
    if (!b)
        return;
    current_batch = b;
    cJSON *item;
    cJSON_ArrayForEach(item, batch) {
        const cJSON *method = cJSON_GetObjectItemCaseSensitive(item, "method");
        if (cJSON_IsString(method) && strcmp(method->valuestring, "initialize") == 0) {
            send_error(cJSON_GetObjectItemCaseSensitive(item, "id"), RPC_INVALID_REQUEST,
                       "Invalid Request: initialize cannot be part of a batch", NULL);
            continue;
        }
        if (cJSON_IsArray(item))
            send_error(NULL, RPC_INVALID_REQUEST, "Invalid Request: a batch inside a batch",
                       NULL);
        else
            handle(item, has_nul);
    }
    current_batch = NULL;
    sink_release(b);
}

/* Handles one message (a parsed JSON value) of the client. */
static void handle(cJSON *msg, int has_nul)
{
    if (cJSON_IsArray(msg)) {
        handle_batch(msg, has_nul);
        return;
    }
    mcp_message mm;
    mcp_message_classify(msg, &mm);
    const cJSON *id = mm.id;
    const char *m = mm.method;
    switch (mm.kind) {
    case MCP_MSG_INVALID:
        send_error(mm.id, mm.code, mm.error, NULL);
        return;
    case MCP_MSG_RESPONSE:
        return; /* to a request of ours: this server sends none */
    case MCP_MSG_NOTIFICATION:
        if (strcmp(m, "notifications/cancelled") == 0)
            cancel_request(mm.params);
        return;
    case MCP_MSG_REQUEST:
        break;
    }
    char text[160];
    int code;
    if (strcmp(m, "initialize") == 0) {
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(mm.params, "protocolVersion");
        if (!cJSON_IsString(pv)) {
            send_error(id, RPC_INVALID_PARAMS, "initialize needs params.protocolVersion", NULL);
            return;
        }
        send_result(id, initialize_result(pv->valuestring));
        /* build the sandbox now, while the client lists the tools */
        pthread_mutex_lock(&srv.lock);
        int warm = !srv.session && !srv.running && !srv.head;
        pthread_mutex_unlock(&srv.lock);
        if (warm)
            enqueue(NULL, NULL, NULL, 0);
    } else if (strcmp(m, "tools/call") == 0) {
        if (!mcp_tool_call_check(mm.params, &code, text, sizeof text))
            send_error(id, code, text, NULL);
        else
            enqueue(id, m, cJSON_DetachItemFromObjectCaseSensitive(msg, "params"), has_nul);
    } else if (strcmp(m, "resources/list") == 0 || strcmp(m, "resources/read") == 0) {
        enqueue(id, m, mm.params ? cJSON_DetachItemFromObjectCaseSensitive(msg, "params")
                                 : cJSON_CreateObject(), has_nul);
    } else {
        send_message(mcp_local_answer(id, m, srv.timeout_s));
    }
}

static void handle_line(const char *line, size_t len)
{
    size_t skip = strspn(line, " \t\r");
    if (skip == len)
        return; /* blank */
    const char *end = NULL;
    cJSON *msg = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    if (msg && end && (size_t)(end - line) < len && line[(end - line) + strspn(end, " \t\r")]) {
        cJSON_Delete(msg); /* trailing garbage */
        msg = NULL;
    }
    if (!msg) {
        send_error(NULL, RPC_PARSE_ERROR, "Parse error: the line is not valid JSON", NULL);
        return;
    }
    handle(msg, mcp_has_nul_escape(line, len));
    cJSON_Delete(msg);
}

/*
 * Reads stdin until EOF or a signal, one message per line, with at most
 * `max` bytes per message: a longer line is skipped as it comes (never
 * held) and answered with an error. Returns the signal, or 0 at EOF.
 */
static int read_loop(int sigfd, size_t max)
{
    size_t cap = 1 << 16, len = 0, scanned = 0;
    char *buf = malloc(cap + 1);
    int discarding = 0;
    if (!buf)
        return 0;
    for (;;) {
        struct pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {sigfd, POLLIN, 0}};
        int n = poll(fds, 2, -1);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (fds[1].revents) {
            unsigned char sig = 0;
            if (read(sigfd, &sig, 1) == 1) {
                free(buf);
                return sig;
            }
        }
        if (!fds[0].revents)
            continue;
        if (cap - len < 65536) {
            size_t ncap = cap * 2 > max + 65536 ? max + 65536 : cap * 2;
            char *nb = ncap > cap ? realloc(buf, ncap + 1) : NULL;
            if (nb) {
                buf = nb;
                cap = ncap;
            }
        }
        ssize_t got = read(STDIN_FILENO, buf + len, cap - len);
        if (got < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (got <= 0) {
            /* a last line without its newline still counts */
            if (len && !discarding) {
                buf[len] = '\0';
                handle_line(buf, len);
            }
            break;
        }
        len += (size_t)got;
        for (;;) {
            char *nl = memchr(buf + scanned, '\n', len - scanned);
            if (!nl) {
                scanned = len;
                break;
            }
            size_t line_len = (size_t)(nl - buf);
            if (discarding) {
                discarding = 0;
            } else {
                buf[line_len] = '\0';
                handle_line(buf, line_len);
            }
            memmove(buf, nl + 1, len - line_len - 1);
            len -= line_len + 1;
            scanned = 0;
        }
        if (len > max) {
            if (!discarding) {
                char text[128];
                snprintf(text, sizeof text, "Invalid Request: message larger than %zu bytes",
                         max);
                send_error(NULL, RPC_INVALID_REQUEST, text, NULL);
            }
            discarding = 1;
            len = scanned = 0;
        }
    }
    free(buf);
    return 0;
}

int cli_mcp(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_SANDBOX_LONGOPTS,
        CLI_IDLE_TIMEOUT_LONGOPT,
        {"max-message-mib", required_argument, NULL, 'm'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_sandbox_flags flags = {.network = CI_NETWORK_NONE};
    size_t max_message = DEFAULT_MAX_MESSAGE;
    int opt;

    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'm': {
            char *end;
            errno = 0;
            unsigned long mib = strtoul(optarg, &end, 10);
            if (errno || end == optarg || *end || mib < 1 || mib > 4096) {
                fprintf(stderr, "codeinterp mcp: --max-message-mib takes 1 to 4096, not '%s'\n",
                        optarg);
                return CLI_EXIT_USAGE;
            }
            max_message = (size_t)mib << 20;
            break;
        }
        case 'h':
            cli_command_usage(stdout, "mcp");
            return 0;
        default:
            if (cli_take_sandbox_option(opt, optarg, &flags))
                break;
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs("codeinterp mcp: takes no operands; JSON-RPC messages are read from stdin\n",
              stderr);
        return CLI_EXIT_USAGE;
    }
    srv.timeout_s = (unsigned)((flags.timeout_ms ? flags.timeout_ms : 900000) + 999) / 1000;
    if (!mcp_tool_catalog(srv.timeout_s)) {
        fputs("codeinterp mcp: out of memory\n", stderr);
        return CLI_EXIT_LIBRARY;
    }
    srv.config = cli_config_create(&flags);
    if (!srv.config)
        return CLI_EXIT_LIBRARY;
    cli_survive_sigpipe();
    int sigfd = cli_signal_pipe();
    pthread_t thread;
    if (sigfd < 0 || pthread_create(&thread, NULL, worker, NULL) != 0) {
        fprintf(stderr, "codeinterp mcp: cannot start: %s\n", strerror(errno));
        ci_config_free(srv.config);
        return CLI_EXIT_LIBRARY;
    }

    int sig = read_loop(sigfd, max_message);

    /* EOF: the queued calls are answered, then the session goes. A signal:
     * the queue is dropped and the running call cancelled first. */
    pthread_mutex_lock(&srv.lock);
    srv.eof = 1;
    if (sig) {
        while (srv.head) {
            job *j = srv.head;
            srv.head = j->next;
            job_free(j);
        }
        srv.tail = NULL;
        srv.queued = 0;
        if (srv.running)
            ci_cancel_request(srv.running->cancel);
    }
    pthread_cond_broadcast(&srv.changed);
    pthread_mutex_unlock(&srv.lock);
    pthread_join(thread, NULL);
    ci_config_free(srv.config);
    free(srv.session_error);
    if (sig) {
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
    }
    return 0;
}
