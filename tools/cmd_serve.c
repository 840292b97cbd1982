/* SPDX-License-Identifier: MIT */
/*
 * codeinterp serve: the AgentCore data plane over HTTP (tools/serve/,
 * doc/serve.md). This file parses the command line, checks that the
 * listening address, authentication and TLS go together, and runs the
 * server until SIGTERM or SIGINT: then it stops accepting, gives running
 * calls the grace period, cancels the rest, destroys every session and
 * exits 0. SIGHUP reloads the key file (the old keys stay when the new
 * file is refused).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "serve/serve.h"

enum {
    OPT_LISTEN = 0x200,
    OPT_PORT,
    OPT_KEYS,
    OPT_INSECURE_NO_AUTH,
    OPT_ALLOW_INSECURE_REMOTE,
    OPT_TLS_CERT,
    OPT_TLS_KEY,
    OPT_REGION,
    OPT_IDENTIFIER,
    OPT_MAX_SESSIONS,
    OPT_MAX_SESSIONS_PER_KEY,
    OPT_MAX_BODY_MIB,
    OPT_GRACE,
    OPT_MAX_CONNECTIONS,
    OPT_QUIET,
};

static int signal_pipe[2] = {-1, -1};

static void forward_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(signal_pipe[1], &b, 1);
    (void)n;
    errno = saved;
}

static int catch_signals(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;
    if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    return 0;
}

static int parse_uint(const char *option, const char *arg, unsigned min, unsigned max,
                      unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || v < min || v > max) {
        fprintf(stderr, "codeinterp serve: %s takes a whole number from %u to %u, not '%s'\n",
                option, min, max, arg);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return 0;
}

static cli_sandbox_flags sandbox_flags = {.network = CI_NETWORK_NONE};

static ci_config *make_config(void *cls)
{
    (void)cls;
    return cli_config_create(&sandbox_flags);
}

static void reload_keys(serve_server *srv)
{
    char err[512];
    keyfile *kf = keyfile_load(srv->opt->keys_path, err, sizeof err);
    if (!kf) {
        fprintf(stderr, "codeinterp serve: SIGHUP: keeping the old keys: %s\n", err);
        return;
    }
    pthread_mutex_lock(&srv->keys_lock);
    keyfile *old = srv->keys;
    srv->keys = kf;
    pthread_mutex_unlock(&srv->keys_lock);
    keyfile_free(old);
    fprintf(stderr, "codeinterp serve: SIGHUP: %zu keys loaded from %s\n", keyfile_count(kf),
            srv->opt->keys_path);
}

/* Until SIGTERM or SIGINT; reaps expired sessions every second. */
static int wait_for_signal(serve_server *srv)
{
    for (;;) {
        struct pollfd p = {.fd = signal_pipe[0], .events = POLLIN};
        int n = poll(&p, 1, 1000);
        serve_sessions_reap(srv->sessions);
        if (n <= 0)
            continue;
        unsigned char sig;
        while (read(signal_pipe[0], &sig, 1) == 1) {
            if (sig == SIGHUP && srv->opt->keys_path)
                reload_keys(srv);
            else if (sig == SIGTERM || sig == SIGINT)
                return sig;
        }
    }
}

static void shut_down(serve_server *srv, int sig)
{
    fprintf(stderr, "codeinterp serve: %s: no new requests; %zu calls running get %u s\n",
            strsignal(sig), serve_inflight_count(srv->inflight), srv->opt->grace_seconds);
    srv->stopping = 1;
    serve_http_quiesce(srv);
    if (serve_inflight_wait(srv->inflight, srv->opt->grace_seconds * 1000u) < 0) {
        fprintf(stderr, "codeinterp serve: canceling %zu calls\n",
                serve_inflight_count(srv->inflight));
        serve_inflight_cancel(srv->inflight, NULL);
        serve_inflight_wait(srv->inflight, 30000);
    }
    serve_http_stop(srv);
    serve_sessions_destroy_all(srv->sessions);
    fprintf(stderr, "codeinterp serve: every session destroyed; exiting\n");
}

static void usage_hint(void)
{
    fputs("Try 'codeinterp help' for more information.\n", stderr);
}

int cli_serve(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"port", required_argument, NULL, OPT_PORT},
        {"keys", required_argument, NULL, OPT_KEYS},
        {"insecure-no-auth", no_argument, NULL, OPT_INSECURE_NO_AUTH},
        {"allow-insecure-remote", no_argument, NULL, OPT_ALLOW_INSECURE_REMOTE},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"region", required_argument, NULL, OPT_REGION},
        {"identifier", required_argument, NULL, OPT_IDENTIFIER},
        {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
        {"max-sessions-per-key", required_argument, NULL, OPT_MAX_SESSIONS_PER_KEY},
        {"max-body-mib", required_argument, NULL, OPT_MAX_BODY_MIB},
        {"grace", required_argument, NULL, OPT_GRACE},
        {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},
        {"network", required_argument, NULL, CLI_OPT_NETWORK},
        {"audit-log", required_argument, NULL, CLI_OPT_AUDIT_LOG},
        {"cgroup", required_argument, NULL, CLI_OPT_CGROUP},
        {"memory", required_argument, NULL, CLI_OPT_MEMORY},
        {"workspace-size", required_argument, NULL, CLI_OPT_WORKSPACE_SIZE},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static serve_options o = {
        .listen_host = "127.0.0.1",
        .port = 8741,
        .max_sessions = 64,
        .max_sessions_per_key = 16,
        .max_body_bytes = 140ull << 20,
        .grace_seconds = 10,
        .max_connections = 256,
    };
    unsigned v;
    int opt;

    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_LISTEN:
            o.listen_host = optarg;
            break;
        case OPT_PORT:
            if (parse_uint("--port", optarg, 0, 65535, &o.port) < 0)
                return CLI_EXIT_USAGE;
            break;
        case OPT_KEYS:
            o.keys_path = optarg;
            break;
        case OPT_INSECURE_NO_AUTH:
            o.insecure_no_auth = 1;
            break;
        case OPT_ALLOW_INSECURE_REMOTE:
            o.allow_plain_http = 1;
            break;
        case OPT_TLS_CERT:
            o.tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            o.tls_key = optarg;
            break;
        case OPT_REGION:
            o.region = optarg;
            break;
        case OPT_IDENTIFIER:
            if (o.n_identifiers == SERVE_MAX_IDENTIFIERS || !*optarg || strlen(optarg) > 100) {
                fprintf(stderr, "codeinterp serve: --identifier: at most %d names of 1-100 "
                        "characters\n", SERVE_MAX_IDENTIFIERS);
                return CLI_EXIT_USAGE;
            }
            o.identifiers[o.n_identifiers++] = optarg;
            break;
        case OPT_MAX_SESSIONS:
            if (parse_uint("--max-sessions", optarg, 1, 100000, &o.max_sessions) < 0)
                return CLI_EXIT_USAGE;
            break;
        case OPT_MAX_SESSIONS_PER_KEY:
            if (parse_uint("--max-sessions-per-key", optarg, 1, 100000,
                           &o.max_sessions_per_key) < 0)
                return CLI_EXIT_USAGE;
            break;
        case OPT_MAX_BODY_MIB:
            if (parse_uint("--max-body-mib", optarg, 1, 4096, &v) < 0)
                return CLI_EXIT_USAGE;
            o.max_body_bytes = (uint64_t)v << 20;
            break;
        case OPT_GRACE:
            if (parse_uint("--grace", optarg, 0, 3600, &o.grace_seconds) < 0)
                return CLI_EXIT_USAGE;
            break;
        case OPT_MAX_CONNECTIONS:
            if (parse_uint("--max-connections", optarg, 1, 65536, &o.max_connections) < 0)
                return CLI_EXIT_USAGE;
            break;
        case OPT_QUIET:
            o.quiet = 1;
            break;
        case 'h':
            cli_usage(stdout);
            return 0;
        default: {
            int r = cli_parse_sandbox_option(opt, optarg, &sandbox_flags);
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (r == 0) {
                usage_hint();
                return CLI_EXIT_USAGE;
            }
        }
        }
    }
    if (optind != argc) {
        fputs("codeinterp serve: takes no operands\n", stderr);
        return CLI_EXIT_USAGE;
    }

    int loopback = is_loopback(o.listen_host);
    if (o.insecure_no_auth && o.keys_path) {
        fputs("codeinterp serve: --keys and --insecure-no-auth exclude each other\n", stderr);
        return CLI_EXIT_USAGE;
    }
    if (!o.insecure_no_auth && !o.keys_path) {
        fputs("codeinterp serve: --keys FILE is required (or --insecure-no-auth, on a "
              "loopback address only)\n", stderr);
        return CLI_EXIT_USAGE;
    }
    if (o.insecure_no_auth && !loopback) {
        fprintf(stderr, "codeinterp serve: --insecure-no-auth is refused on %s: only on a "
                "loopback address (127.0.0.0/8, ::1)\n", o.listen_host);
        return CLI_EXIT_USAGE;
    }
    if (!o.tls_cert != !o.tls_key) {
        fputs("codeinterp serve: --tls-cert and --tls-key go together\n", stderr);
        return CLI_EXIT_USAGE;
    }
    if (!loopback && !o.tls_cert && !o.allow_plain_http) {
        fprintf(stderr, "codeinterp serve: listening on %s (not loopback) needs TLS "
                "(--tls-cert, --tls-key) or --allow-insecure-remote\n", o.listen_host);
        return CLI_EXIT_USAGE;
    }

    static serve_server srv = {.keys_lock = PTHREAD_MUTEX_INITIALIZER};
    char err[512];
    srv.opt = &o;
    srv.make_config = make_config;
    if (o.keys_path) {
        srv.keys = keyfile_load(o.keys_path, err, sizeof err);
        if (!srv.keys) {
            fprintf(stderr, "codeinterp serve: %s\n", err);
            return 1;
        }
    }
    /* the sandbox settings are checked once now, not at the first start */
    ci_config *probe = make_config(NULL);
    if (!probe)
        return CLI_EXIT_USAGE;
    ci_config_free(probe);

    srv.metrics = serve_metrics_new();
    srv.sessions = srv.metrics ? serve_sessions_new(o.max_sessions, o.max_sessions_per_key,
                                                    srv.metrics) : NULL;
    srv.inflight = serve_inflight_new();
    if (!srv.sessions || !srv.metrics || !srv.inflight || catch_signals() < 0) {
        fprintf(stderr, "codeinterp serve: cannot start: %s\n", strerror(errno));
        return 1;
    }
    cli_survive_sigpipe();
    if (serve_http_start(&srv, err, sizeof err) < 0) {
        fprintf(stderr, "codeinterp serve: %s\n", err);
        return 1;
    }
    int v6 = strchr(o.listen_host, ':') != NULL;
    fprintf(stderr, "codeinterp serve: listening on %s://%s%s%s:%u (%s)\n",
            o.tls_cert ? "https" : "http", v6 ? "[" : "", o.listen_host, v6 ? "]" : "",
            serve_http_port(&srv),
            o.keys_path ? "SigV4 with the key file" : "NO AUTHENTICATION");
    fflush(stderr);

    int sig = wait_for_signal(&srv);
    shut_down(&srv, sig);
    serve_inflight_free(srv.inflight);
    serve_sessions_free(srv.sessions);
    serve_metrics_free(srv.metrics);
    keyfile_free(srv.keys);
    return 0;
}
