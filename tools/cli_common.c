/* SPDX-License-Identifier: MIT */
/* Helpers shared by the subcommands: sandbox flags, errors, output. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* The library's range for its time limits: 1 ms .. 8 h. */
#define MAX_SECONDS (8 * 3600)

int cli_parse_seconds(const char *option, const char *arg, uint64_t *ms)
{
    char *end;
    double seconds = strtod(arg, &end);

    if (end == arg || *end != '\0' || !(seconds > 0) || seconds > MAX_SECONDS) {
        fprintf(stderr, "codeinterp: %s wants seconds, more than 0 and at most %d: '%s'\n",
                option, MAX_SECONDS, arg);
        return -1;
    }
    /* round up: a limit is never made shorter than asked */
    double exact = seconds * 1000.0;
    *ms = (uint64_t)exact;
    if ((double)*ms < exact)
        (*ms)++;
    return 0;
}

int cli_parse_network(const char *arg, cli_sandbox_flags *flags)
{
    if (strcmp(arg, "none") == 0) {
        flags->network = CI_NETWORK_NONE;
    } else if (strcmp(arg, "host") == 0) {
        flags->network = CI_NETWORK_HOST;
    } else {
        fprintf(stderr, "codeinterp: --network is 'none' or 'host', not '%s'\n", arg);
        return -1;
    }
    return 0;
}

int cli_parse_cgroup(const char *arg, cli_sandbox_flags *flags)
{
    static const struct { const char *name; ci_cgroup_mode mode; } modes[] = {
        { "auto", CI_CGROUP_AUTO }, { "v1", CI_CGROUP_V1 }, { "v2", CI_CGROUP_V2 },
        { "none", CI_CGROUP_NONE },
    };
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
        if (strcmp(arg, modes[i].name) == 0) {
            flags->cgroup_mode = modes[i].mode;
            return 0;
        }
    }
    fprintf(stderr, "codeinterp: --cgroup is auto, v1, v2 or none, not '%s'\n", arg);
    return -1;
}

int cli_parse_memory(const char *arg, cli_sandbox_flags *flags)
{
    char *end;
    errno = 0;
    unsigned long long mib = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || mib < 16 || mib > (1ull << 20)) {
        fprintf(stderr, "codeinterp: --memory takes MiB from 16 to 1048576, not '%s'\n", arg);
        return -1;
    }
    flags->memory_limit = mib << 20;
    return 0;
}

int cli_parse_sandbox_option(int opt, const char *arg, cli_sandbox_flags *flags)
{
    switch (opt) {
    case CLI_OPT_TIMEOUT:
        return cli_parse_seconds("--timeout", arg, &flags->timeout_ms) < 0 ? -1 : 1;
    case CLI_OPT_NETWORK:
        return cli_parse_network(arg, flags) < 0 ? -1 : 1;
    case CLI_OPT_AUDIT_LOG:
        flags->audit_log = arg;
        return 1;
    case CLI_OPT_CGROUP:
        return cli_parse_cgroup(arg, flags) < 0 ? -1 : 1;
    case CLI_OPT_MEMORY:
        return cli_parse_memory(arg, flags) < 0 ? -1 : 1;
    case CLI_OPT_WORKSPACE_SIZE: {
        char *end;
        errno = 0;
        unsigned long long mib = strtoull(arg, &end, 10);
        if (errno || end == arg || *end || (mib != 0 && (mib < 16 || mib > (16ull << 20)))) {
            fprintf(stderr, "codeinterp: --workspace-size takes 0 (uncapped) or MiB from 16 "
                    "to 16777216, not '%s'\n", arg);
            return -1;
        }
        flags->workspace_size_set = 1;
        flags->workspace_size = mib << 20;
        return 1;
    }
    default:
        return 0;
    }
}

void cli_report_error(const char *what, int code, const char *detail)
{
    fprintf(stderr, "codeinterp: %s: %s%s%s\n", what, ci_strerror(code),
            detail && *detail ? ": " : "", detail ? detail : "");
}

ci_config *cli_config_create(const cli_sandbox_flags *flags)
{
    ci_config *config;
    int rc = ci_config_new(&config);

    if (rc < 0) {
        cli_report_error("configuration", rc, ci_last_error());
        return NULL;
    }
    if (flags->timeout_ms)
        rc = ci_config_set_exec_timeout_ms(config, flags->timeout_ms);
    if (rc == 0 && flags->idle_timeout_ms)
        rc = ci_config_set_idle_timeout_ms(config, flags->idle_timeout_ms);
    if (rc == 0)
        rc = ci_config_set_network(config, flags->network);
    if (rc == 0 && flags->audit_log)
        rc = ci_config_set_audit_file(config, flags->audit_log);
    if (rc == 0)
        rc = ci_config_set_cgroup_mode(config, flags->cgroup_mode);
    if (rc == 0 && flags->memory_limit)
        rc = ci_config_set_memory_limit(config, flags->memory_limit);
    if (rc == 0 && flags->workspace_size_set)
        rc = ci_config_set_workspace_size(config, flags->workspace_size);
    if (rc < 0) {
        cli_report_error("configuration", rc, ci_last_error());
        ci_config_free(config);
        return NULL;
    }
    return config;
}

int cli_write_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

static void ignore_signal(int sig)
{
    (void)sig;
}

void cli_survive_sigpipe(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = ignore_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
}
