/* SPDX-License-Identifier: MIT */
/*
 * codeinterp invoke: one sandbox session for the whole run; each line of
 * stdin is a JSON tool call, answered by one line of CallToolResult JSON.
 *
 * SIGINT, SIGTERM and SIGHUP must not leave the sandbox behind. Their
 * handler only writes to a pipe; a watcher thread reads it, cancels the
 * running call, waits until the main thread is out of the library, destroys
 * the session and then dies of the signal. The state below is what the two
 * threads share.
 *
 * With --stream, the output of executeCode and executeCommand comes as it
 * is written, one line per chunk, before the call's answer:
 *   {"type":"output","stream":"stdout","text":"..."}
 * The answer is the one line with "content".
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "mcp/mcp.h"

typedef struct invoke_state {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    ci_config *config;
    ci_session *session;   /* NULL until needed, and after it expired */
    int busy;              /* the main thread is inside ci_invoke_json() */
    int stopping;          /* a signal came: the watcher ends the process */
    ci_cancel *cancel;     /* the running call's, while busy */
    int stream;            /* --stream */
    unsigned char carry[2][4]; /* a UTF-8 sequence cut between chunks */
    size_t carry_len[2];
} invoke_state;

static int signal_fd = -1; /* cli_signal_pipe() */

static void *watch_signals(void *arg)
{
    invoke_state *st = arg;
    unsigned char sig;
    ssize_t n;

    do
        n = read(signal_fd, &sig, 1);
    while (n < 0 && errno == EINTR);
    if (n != 1)
        return NULL;

    pthread_mutex_lock(&st->lock);
    st->stopping = 1;
    if (st->busy) /* also before its execution started */
        ci_cancel_request(st->cancel);
    while (st->busy)
        pthread_cond_wait(&st->changed, &st->lock);
    ci_session_destroy(st->session);
    st->session = NULL;

    /* die of the signal, so the parent sees how the run ended */
    signal(sig, SIG_DFL);
    raise(sig);
    _exit(128 + sig);
}

static int start_watcher(invoke_state *st)
{
    pthread_t thread;

    signal_fd = cli_signal_pipe();
    if (signal_fd < 0 || pthread_create(&thread, NULL, watch_signals, st) != 0) {
        fprintf(stderr, "codeinterp: cannot watch for signals: %s\n", strerror(errno));
        return -1;
    }
    pthread_detach(thread);
    return 0;
}

/* Whether an answer says the session's idle lifetime ran out: then the
 * session is gone, and the next call gets a new one. */
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

static int blank(const char *s)
{
    return s[strspn(s, " \t\r\n")] == '\0';
}

/* With the lock held: the session, created if there is none. */
static ci_session *ensure_session(invoke_state *st)
{
    while (st->stopping)
        pthread_cond_wait(&st->changed, &st->lock);
    if (!st->session) {
        int rc = ci_session_create(st->config, &st->session);
        if (rc < 0)
            cli_report_error("cannot create the session", rc, ci_last_error());
    }
    return st->session;
}

/* --stream: one output line per chunk (on the calling thread, before the
 * answer). A reader that went away stops the execution. */
static int stream_chunk(invoke_state *st, int which, const char *data, size_t len)
{
    static const char *const prefixes[2] = {
        "{\"type\":\"output\",\"stream\":\"stdout\",\"text\":\"",
        "{\"type\":\"output\",\"stream\":\"stderr\",\"text\":\"",
    };
    size_t n;
    char *line = mcp_json_chunk(prefixes[which], data, len, st->carry[which],
                                &st->carry_len[which], "\"}\n", &n);
    /* none (out of memory, or a cut UTF-8 sequence): the answer has it all */
    int rc = line && cli_write_all(STDOUT_FILENO, line, n) < 0;
    free(line);
    return rc;
}

static int on_stdout(const char *data, size_t len, void *user_data)
{
    return stream_chunk(user_data, 0, data, len);
}

static int on_stderr(const char *data, size_t len, void *user_data)
{
    return stream_chunk(user_data, 1, data, len);
}

/* Answers one call; 0, or the CLI's exit code when it must stop. */
static int answer(invoke_state *st, const char *request)
{
    /* one answer per call even when the library ran out of memory */
    static const char out_of_memory[] =
        "{\"content\":[{\"type\":\"text\",\"text\":\"out of memory\"}],"
        "\"structuredContent\":{\"status\":\"sandbox_error\"},\"isError\":true}";
    char *reply = NULL;
    int rc, status = 0;

    ci_cancel *cancel;
    if (ci_cancel_create(&cancel) < 0) {
        cli_report_error("cannot answer", CI_ENOMEM, ci_last_error());
        return CLI_EXIT_LIBRARY;
    }
    pthread_mutex_lock(&st->lock);
    ci_session *session = ensure_session(st);
    st->busy = session != NULL;
    st->cancel = cancel;
    pthread_mutex_unlock(&st->lock);
    if (!session) {
        ci_cancel_free(cancel);
        return CLI_EXIT_LIBRARY;
    }

    memset(st->carry_len, 0, sizeof st->carry_len);
    rc = ci_invoke_json_stream(session, request, st->stream ? on_stdout : NULL,
                               st->stream ? on_stderr : NULL, st, cancel, &reply);

    pthread_mutex_lock(&st->lock);
    st->busy = 0;
    st->cancel = NULL;
    ci_cancel_free(cancel);
    if (fputs(rc == 0 ? reply : out_of_memory, stdout) == EOF || putchar('\n') == EOF ||
        fflush(stdout) == EOF) {
        fprintf(stderr, "codeinterp: cannot write the answer: %s\n", strerror(errno));
        status = 1;
    }
    if (rc == 0 && says_expired(reply)) {
        ci_session_destroy(st->session);
        st->session = NULL;
    }
    pthread_cond_broadcast(&st->changed);
    pthread_mutex_unlock(&st->lock);
    ci_free(reply);
    return status;
}

static int serve(invoke_state *st)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int status = 0;

    while (status == 0 && (n = getline(&line, &cap, stdin)) >= 0) {
        if (!blank(line))
            status = answer(st, line);
    }
    free(line);

    pthread_mutex_lock(&st->lock);
    while (st->stopping)
        pthread_cond_wait(&st->changed, &st->lock);
    ci_session_destroy(st->session);
    st->session = NULL;
    pthread_mutex_unlock(&st->lock);
    return status;
}

int cli_invoke(int argc, char **argv)
{
    static const struct option longopts[] = {
        CLI_SANDBOX_LONGOPTS,
        CLI_IDLE_TIMEOUT_LONGOPT,
        {"stream", no_argument, NULL, CLI_OPT_STREAM},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_sandbox_flags flags = {.network = CI_NETWORK_NONE};
    int opt, stream = 0;

    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case CLI_OPT_STREAM:
            stream = 1;
            break;
        case 'h':
            cli_command_usage(stdout, "invoke");
            return 0;
        default:
            if (cli_take_sandbox_option(opt, optarg, &flags))
                break;
            return CLI_EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fputs("codeinterp invoke: takes no operands; calls are read from stdin\n", stderr);
        return CLI_EXIT_USAGE;
    }

    /* static: the watcher thread may use it until the process ends */
    static invoke_state st = {
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .changed = PTHREAD_COND_INITIALIZER,
    };
    int status = CLI_EXIT_LIBRARY;

    st.stream = stream;
    st.config = cli_config_create(&flags);
    if (!st.config)
        return CLI_EXIT_LIBRARY;
    cli_survive_sigpipe();
    if (start_watcher(&st) == 0) {
        /* created now rather than at the first call, so that a sandbox
         * that cannot be built is reported at once */
        pthread_mutex_lock(&st.lock);
        ci_session *session = ensure_session(&st);
        pthread_mutex_unlock(&st.lock);
        if (session)
            status = serve(&st);
    }
    ci_config_free(st.config);
    return status;
}
