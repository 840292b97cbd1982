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
#include "mcp/mcp.h"
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
    OPT_CONFIG,
    OPT_STREAM_OUTPUT,
    OPT_MAX_CALLS_PER_KEY,
};

static int signal_fd = -1; /* cli_signal_pipe() */

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

/* An identifier's own sandbox settings (config file: identifier NAME
 * OPTION=VALUE...), applied over the server's when a session starts. */
typedef struct identifier_settings {
    const char *name;
    int opts[8];
    const char *values[8];
    size_t n;
} identifier_settings;

static identifier_settings id_settings[SERVE_MAX_IDENTIFIERS];
static size_t n_id_settings;

static ci_config *make_config(void *cls, const char *identifier)
{
    cli_sandbox_flags flags = sandbox_flags;
    (void)cls;
    for (size_t i = 0; identifier && i < n_id_settings; i++) {
        if (strcmp(id_settings[i].name, identifier) != 0)
            continue;
        for (size_t k = 0; k < id_settings[i].n; k++)
            if (cli_parse_sandbox_option(id_settings[i].opts[k], id_settings[i].values[k],
                                         &flags) < 0)
                return NULL;
    }
    return cli_config_create(&flags);
}

/* ------------------------------------------------------------ config file */

static const struct {
    const char *name;
    int opt;
} sandbox_keys[] = {
    {"timeout", CLI_OPT_TIMEOUT},     {"network", CLI_OPT_NETWORK},
    {"cgroup", CLI_OPT_CGROUP},       {"memory", CLI_OPT_MEMORY},
    {"workspace-size", CLI_OPT_WORKSPACE_SIZE}, {"runtime-dir", CLI_OPT_RUNTIME_DIR},
};

/* "identifier NAME key=value..." of the config file; tokens are kept. */
static int config_identifier(const char *path, unsigned line, char **tok, size_t n,
                             serve_options *o)
{
    if (n < 2 || strlen(tok[1]) > 100) {
        fprintf(stderr, "codeinterp serve: %s:%u: identifier NAME [OPTION=VALUE]...\n", path,
                line);
        return -1;
    }
    if (o->n_identifiers == SERVE_MAX_IDENTIFIERS || n - 2 > 8) {
        fprintf(stderr, "codeinterp serve: %s:%u: at most %d identifiers of at most 8 "
                "settings\n", path, line, SERVE_MAX_IDENTIFIERS);
        return -1;
    }
    identifier_settings *is = &id_settings[n_id_settings];
    if (!(is->name = strdup(tok[1])))
        return -1;
    for (size_t i = 2; i < n; i++) {
        char *eq = strchr(tok[i], '=');
        size_t k = 0;
        if (eq) {
            *eq = '\0';
            for (; k < sizeof sandbox_keys / sizeof sandbox_keys[0]; k++)
                if (strcmp(sandbox_keys[k].name, tok[i]) == 0)
                    break;
        }
        if (!eq || k == sizeof sandbox_keys / sizeof sandbox_keys[0]) {
            fprintf(stderr, "codeinterp serve: %s:%u: '%s': an identifier takes timeout=, "
                    "network=, cgroup=, memory=, workspace-size= and runtime-dir=\n", path, line, tok[i]);
            return -1;
        }
        cli_sandbox_flags scratch = sandbox_flags;
        if (cli_parse_sandbox_option(sandbox_keys[k].opt, eq + 1, &scratch) < 0)
            return -1;
        is->opts[is->n] = sandbox_keys[k].opt;
        if (!(is->values[is->n] = strdup(eq + 1)))
            return -1;
        is->n++;
    }
    n_id_settings++;
    o->identifiers[o->n_identifiers++] = is->name;
    return 0;
}

/* The config file as command-line arguments ("key value" lines become
 * "--key value"; "identifier" lines are taken here); NULL after printing
 * why. The strings live until the process ends. */
/* The command line with the config file's lines before it; kept until the
 * process ends. */
static char **config_argv;

static char **read_config(const char *path, serve_options *o, int *argc_out)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        fprintf(stderr, "codeinterp serve: --config %s: %s\n", path, strerror(errno));
        return NULL;
    }
    char **args = NULL;
    size_t n_args = 0;
    char *buf = NULL;
    size_t cap = 0;
    unsigned line = 0;
    int ok = 1;
    while (ok && getline(&buf, &cap, f) >= 0) {
        line++;
        char *tok[16];
        size_t n = 0;
        char *save = NULL;
        char *copy = strdup(buf);
        if (!copy) {
            ok = 0;
            break;
        }
        for (char *t = strtok_r(copy, " \t\r\n", &save); t && n < 16;
             t = strtok_r(NULL, " \t\r\n", &save))
            tok[n++] = t;
        if (n == 0 || tok[0][0] == '#') {
            free(copy);
            continue;
        }
        if (strcmp(tok[0], "identifier") == 0) {
            ok = config_identifier(path, line, tok, n, o) == 0;
            free(copy);
            continue;
        }
        if (n > 2 || strcmp(tok[0], "config") == 0) {
            fprintf(stderr, "codeinterp serve: %s:%u: a line is 'option [value]'\n", path, line);
            ok = 0;
            free(copy);
            break;
        }
        char **grown = realloc(args, (n_args + 3) * sizeof *args);
        if (grown)
            args = grown;
        char *opt = malloc(strlen(tok[0]) + 3);
        char *value = n == 2 ? strdup(tok[1]) : NULL;
        if (opt)
            sprintf(opt, "--%s", tok[0]);
        free(copy);
        if (!grown || !opt || (n == 2 && !value)) {
            free(opt);
            free(value);
            ok = 0;
            break;
        }
        args[n_args++] = opt;
        if (value)
            args[n_args++] = value;
    }
    free(buf);
    fclose(f);
    if (!ok) {
        for (size_t i = 0; i < n_args; i++)
            free(args[i]);
        free(args);
        return NULL;
    }
    *argc_out = (int)n_args;
    return args ? args : calloc(1, sizeof *args);
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
        struct pollfd p = {.fd = signal_fd, .events = POLLIN};
        int n = poll(&p, 1, 1000);
        serve_sessions_reap(srv->sessions);
        if (n <= 0)
            continue;
        unsigned char sig;
        while (read(signal_fd, &sig, 1) == 1) {
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
    __atomic_store_n(&srv->stopping, 1, __ATOMIC_RELEASE);
    serve_http_quiesce(srv);
    if (serve_inflight_wait(srv->inflight, srv->opt->grace_seconds * 1000u) < 0) {
        fprintf(stderr, "codeinterp serve: canceling %zu calls\n",
                serve_inflight_count(srv->inflight));
        serve_inflight_cancel(srv->inflight, NULL);
        serve_inflight_wait(srv->inflight, 30000);
    }
    serve_http_stop(srv);
    serve_inflight_wait_workers(srv->inflight);
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
        {"max-calls-per-key", required_argument, NULL, OPT_MAX_CALLS_PER_KEY},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"stream-output", no_argument, NULL, OPT_STREAM_OUTPUT},
        CLI_SANDBOX_LONGOPTS,
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
        .max_calls_per_key = 32,
    };
    unsigned v;
    int opt;

    /* --config FILE: its lines come first, the command line after (and
     * wins for a setting given in both) */
    const char *config_path = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            config_path = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0)
            config_path = argv[i] + 9;
    }
    if (config_path) {
        int n_conf = 0;
        char **conf = read_config(config_path, &o, &n_conf);
        if (!conf)
            return CLI_EXIT_USAGE;
        config_argv = calloc((size_t)argc + (size_t)n_conf + 1, sizeof *config_argv);
        if (!config_argv)
            return CLI_EXIT_USAGE;
        config_argv[0] = argv[0];
        memcpy(config_argv + 1, conf, (size_t)n_conf * sizeof *config_argv);
        memcpy(config_argv + 1 + n_conf, argv + 1, (size_t)(argc - 1) * sizeof *config_argv);
        free(conf);
        argc += n_conf;
        argv = config_argv;
    }

    while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_CONFIG:
            break;
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
        case OPT_MAX_CALLS_PER_KEY:
            if (parse_uint("--max-calls-per-key", optarg, 1, 65536, &o.max_calls_per_key) < 0)
                return CLI_EXIT_USAGE;
            break;
        case OPT_QUIET:
            o.quiet = 1;
            break;
        case OPT_STREAM_OUTPUT:
            o.stream_output = 1;
            break;
        case 'h':
            cli_command_usage(stdout, "serve");
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
    /* the tool catalog of /mcp names the execution time limit: parsed once,
     * here */
    if (!mcp_tool_catalog((unsigned)((sandbox_flags.timeout_ms ? sandbox_flags.timeout_ms
                                                               : 900000) + 999) / 1000)) {
        fputs("codeinterp serve: out of memory\n", stderr);
        return CLI_EXIT_LIBRARY;
    }
    if (o.keys_path) {
        srv.keys = keyfile_load(o.keys_path, err, sizeof err);
        if (!srv.keys) {
            fprintf(stderr, "codeinterp serve: %s\n", err);
            return 1;
        }
    }
    /* the sandbox settings are checked once now, not at the first start */
    for (size_t i = 0; i <= o.n_identifiers; i++) {
        ci_config *probe = make_config(NULL, i ? o.identifiers[i - 1] : NULL);
        if (!probe)
            return CLI_EXIT_USAGE;
        ci_config_free(probe);
    }

    /* the server's own audit trail, for refusals outside any session */
    ci_config *audit_config = make_config(NULL, NULL);
    if (!audit_config)
        return CLI_EXIT_USAGE;
    srv.audit_config = audit_config;

    srv.metrics = serve_metrics_new();
    srv.sessions = srv.metrics ? serve_sessions_new(o.max_sessions, o.max_sessions_per_key,
                                                    srv.metrics) : NULL;
    srv.inflight = serve_inflight_new();
    srv.throttle = serve_throttle_new(o.max_calls_per_key);
    if (!srv.sessions || !srv.metrics || !srv.inflight || !srv.throttle ||
        (signal_fd = cli_signal_pipe()) < 0 ||
        fcntl(signal_fd, F_SETFL, O_NONBLOCK) < 0 /* wait_for_signal() drains it */) {
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
    serve_throttle_free(srv.throttle);
    keyfile_free(srv.keys);
    ci_config_free(audit_config);
    return 0;
}
