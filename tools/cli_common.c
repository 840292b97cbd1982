/* SPDX-License-Identifier: MIT */
/* Helpers shared by the subcommands: sandbox flags, errors, output. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_parse_seconds(const char *option, const char *arg, uint64_t *ms)
{
    char *end;
    double seconds = strtod(arg, &end);

    if (end == arg || *end != '\0' || ci_timeout_ms_from_seconds(seconds, ms) < 0) {
        fprintf(stderr, "codeinterp: %s wants seconds, more than 0 and at most %u: '%s'\n",
                option, (unsigned)(CI_MAX_TIMEOUT_MS / 1000), arg);
        return -1;
    }
    return 0;
}

int cli_parse_network(const char *arg, cli_sandbox_flags *flags)
{
    if (ci_network_from_name(arg, &flags->network) < 0) {
        fprintf(stderr, "codeinterp: --network: %s\n", ci_last_error());
        return -1;
    }
    return 0;
}

int cli_parse_cgroup(const char *arg, cli_sandbox_flags *flags)
{
    if (ci_cgroup_mode_from_name(arg, &flags->cgroup_mode) < 0) {
        fprintf(stderr, "codeinterp: --cgroup: %s\n", ci_last_error());
        return -1;
    }
    return 0;
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

/* A count of MiB for `option`, min .. max, into *bytes; -1 after saying
 * why. */
static int parse_mib(const char *option, const char *arg, uint64_t min, uint64_t max,
                     uint64_t *bytes)
{
    char *end;
    errno = 0;
    unsigned long long mib = strtoull(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || mib < min || mib > max) {
        fprintf(stderr, "codeinterp: %s takes MiB from %llu to %llu, not '%s'\n", option,
                (unsigned long long)min, (unsigned long long)max, arg);
        return -1;
    }
    *bytes = (uint64_t)mib << 20;
    return 0;
}

/* --cpu: CPUs, fractions allowed (0.5), as thousandths; -1 after saying
 * why (the library checks the range). */
static int parse_cpus(const char *arg, uint32_t *millis)
{
    char *end;
    double cpus = strtod(arg, &end);
    if (end == arg || *end || !(cpus > 0) || cpus > 1024.0) {
        fprintf(stderr, "codeinterp: --cpu takes a number of CPUs such as 0.5 or 2 "
                "(at most 1024), not '%s'\n", arg);
        return -1;
    }
    *millis = (uint32_t)(cpus * 1000.0 + 0.5);
    return 0;
}

int cli_parse_sandbox_option(int opt, const char *arg, cli_sandbox_flags *flags)
{
    switch (opt) {
    case CLI_OPT_TIMEOUT:
        return cli_parse_seconds("--timeout", arg, &flags->timeout_ms) < 0 ? -1 : 1;
    case CLI_OPT_IDLE_TIMEOUT:
        return cli_parse_seconds("--idle-timeout", arg, &flags->idle_timeout_ms) < 0 ? -1 : 1;
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
    case CLI_OPT_OUTPUT_LIMIT:
        flags->output_limit_set = 1;
        return parse_mib("--output-limit", arg, 0, 1024, &flags->output_limit) < 0 ? -1 : 1;
    case CLI_OPT_UPLOAD_LIMIT:
        return parse_mib("--upload-limit", arg, 1, 5u << 10, &flags->upload_limit) < 0 ? -1 : 1;
    case CLI_OPT_CPU:
        return parse_cpus(arg, &flags->cpu_millis) < 0 ? -1 : 1;
    case CLI_OPT_RUNTIME_DIR:
        if (arg[0] != '/') {
            fprintf(stderr, "codeinterp: --runtime-dir takes an absolute path, not '%s'\n", arg);
            return -1;
        }
        flags->runtime_dir = arg;
        return 1;
    case CLI_OPT_CGROUP_PARENT:
        flags->cgroup_parent = arg;
        return 1;
    case CLI_OPT_ALLOW_TMPFS_STATE:
        flags->allow_tmpfs_state = 1;
        return 1;
    default:
        return 0;
    }
}

int cli_take_sandbox_option(int opt, const char *arg, cli_sandbox_flags *flags)
{
    int r = cli_parse_sandbox_option(opt, arg, flags);
    if (r == 0)
        fputs("Try 'codeinterp help' for more information.\n", stderr);
    return r > 0;
}

void cli_report_error(const char *what, int code, const char *detail)
{
    fprintf(stderr, "codeinterp: %s: %s%s%s\n", what, ci_strerror(code),
            detail && *detail ? ": " : "", detail ? detail : "");
}

/*
 * A codeinterp run from its own build tree (the very file the build made,
 * /proc/self/exe) uses the sandbox helper and the kernels of that tree, so
 * that build/tools/codeinterp works as built, with no variable to set. An
 * installed binary is another file and never looks there. The variables
 * CODEINTERP_HELPER and CODEINTERP_KERNEL_DIR still win (ci_config_new()
 * read them).
 */
static int use_build_tree(ci_config *config)
{
#if defined(CLI_BUILD_EXE) && defined(CLI_BUILD_HELPER) && defined(CLI_BUILD_KERNEL_DIR)
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 0;
    self[n] = '\0';
    if (strcmp(self, CLI_BUILD_EXE) != 0)
        return 0;
    int rc = 0;
    if (!getenv("CODEINTERP_HELPER"))
        rc = ci_config_set_helper_path(config, CLI_BUILD_HELPER);
    if (rc == 0 && !getenv("CODEINTERP_KERNEL_DIR"))
        rc = ci_config_set_kernel_dir(config, CLI_BUILD_KERNEL_DIR);
    return rc;
#else
    (void)config;
    return 0;
#endif
}

ci_config *cli_config_create(const cli_sandbox_flags *flags)
{
    ci_config *config;
    int rc = ci_config_new(&config);

    if (rc < 0) {
        cli_report_error("configuration", rc, ci_last_error());
        return NULL;
    }
    rc = use_build_tree(config);
    if (rc == 0 && flags->timeout_ms)
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
    if (rc == 0 && flags->cgroup_parent)
        rc = ci_config_set_cgroup_parent(config, flags->cgroup_parent);
    if (rc == 0 && flags->allow_tmpfs_state)
        rc = ci_config_set_allow_tmpfs_state(config, 1);
    if (rc == 0 && flags->runtime_dir)
        rc = ci_config_set_runtime_dir(config, flags->runtime_dir);
    if (rc == 0 && flags->output_limit_set)
        rc = ci_config_set_output_limit(config, (size_t)flags->output_limit);
    if (rc == 0 && flags->upload_limit)
        rc = ci_config_set_upload_limit(config, flags->upload_limit);
    if (rc == 0 && flags->cpu_millis)
        rc = ci_config_set_cpu_limit(config, flags->cpu_millis);
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

static int signal_pipe[2] = {-1, -1};

static void forward_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(signal_pipe[1], &b, 1);

    (void)n; /* a full pipe already holds enough news */
    errno = saved;
}

int cli_signal_pipe(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    struct sigaction sa;

    if (signal_pipe[0] < 0 && pipe2(signal_pipe, O_CLOEXEC) < 0)
        return -1;
    if (fcntl(signal_pipe[1], F_SETFL, O_NONBLOCK) < 0)
        return -1;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    return signal_pipe[0];
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
