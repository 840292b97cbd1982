/* SPDX-License-Identifier: MIT */
/* Pieces shared by the subcommands of the codeinterp CLI. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <codeinterp/codeinterp.h>

/* Exit codes of the CLI itself; a program's own exit code passes through. */
#define CLI_EXIT_USAGE 2
#define CLI_EXIT_TIMEOUT 124   /* as timeout(1) */
#define CLI_EXIT_LIBRARY 125   /* the sandbox could not run the code */

/* Sandbox settings common to every subcommand that runs code. */
typedef struct cli_sandbox_flags {
    uint64_t timeout_ms;   /* 0: the library's default */
    uint64_t idle_timeout_ms; /* 0: the library's default */
    ci_network network;
    const char *audit_log; /* --audit-log FILE, or NULL */
    ci_cgroup_mode cgroup_mode;
    uint64_t memory_limit; /* 0: the library's default */
    int workspace_size_set;
    uint64_t workspace_size; /* 0: uncapped directory */
    int allow_tmpfs_state;   /* --allow-tmpfs-state */
    const char *cgroup_parent; /* --cgroup-parent, or NULL: the library's */
    const char *runtime_dir; /* --runtime-dir DIR, or NULL: the library's */
    int output_limit_set;
    uint64_t output_limit;   /* --output-limit, bytes of stdout and of stderr */
    uint64_t upload_limit;   /* --upload-limit; 0: the library's default */
    uint32_t cpu_millis;     /* --cpu; 0: the library's default */
} cli_sandbox_flags;

/* getopt_long() values of the long-only options the subcommands share. */
enum {
    CLI_OPT_TIMEOUT = 0x100,
    CLI_OPT_NETWORK,
    CLI_OPT_JSON,
    CLI_OPT_AUDIT_LOG,
    CLI_OPT_IDLE_TIMEOUT,
    CLI_OPT_CGROUP,
    CLI_OPT_MEMORY,
    CLI_OPT_WORKSPACE_SIZE,
    CLI_OPT_ENV,
    CLI_OPT_CWD,
    CLI_OPT_KILL_LEFTOVERS,
    CLI_OPT_RUNTIME_DIR,
    CLI_OPT_RAW_OUTPUT,
    CLI_OPT_OUTPUT_LIMIT,
    CLI_OPT_UPLOAD_LIMIT,
    CLI_OPT_CPU,
    CLI_OPT_INPUT_S3,
    CLI_OPT_OUTPUT_S3,
    CLI_OPT_SAVE_ARTIFACTS,
    CLI_OPT_STREAM,
    CLI_OPT_ALLOW_TMPFS_STATE,
    CLI_OPT_CGROUP_PARENT,
};

/* --idle-timeout, for the commands that keep a session between calls
 * (invoke, mcp); parsed by cli_parse_sandbox_option() too. */
#define CLI_IDLE_TIMEOUT_LONGOPT {"idle-timeout", required_argument, NULL, CLI_OPT_IDLE_TIMEOUT}

/* The getopt_long() entries of the sandbox options above that every
 * subcommand running code takes; cli_parse_sandbox_option() reads them. */
#define CLI_SANDBOX_LONGOPTS                                                   \
    {"timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                     \
    {"network", required_argument, NULL, CLI_OPT_NETWORK},                     \
    {"audit-log", required_argument, NULL, CLI_OPT_AUDIT_LOG},                 \
    {"cgroup", required_argument, NULL, CLI_OPT_CGROUP},                       \
    {"memory", required_argument, NULL, CLI_OPT_MEMORY},                       \
    {"workspace-size", required_argument, NULL, CLI_OPT_WORKSPACE_SIZE},       \
    {"runtime-dir", required_argument, NULL, CLI_OPT_RUNTIME_DIR},            \
    {"output-limit", required_argument, NULL, CLI_OPT_OUTPUT_LIMIT},          \
    {"upload-limit", required_argument, NULL, CLI_OPT_UPLOAD_LIMIT},          \
    {"cpu", required_argument, NULL, CLI_OPT_CPU},                             \
    {"allow-tmpfs-state", no_argument, NULL, CLI_OPT_ALLOW_TMPFS_STATE},      \
    {"cgroup-parent", required_argument, NULL, CLI_OPT_CGROUP_PARENT}

/* Parses the seconds (fractions allowed, 8 h at most) of the time limit
 * `option` into *ms, or --network into `flags`; prints why and returns -1
 * if the argument is invalid. */
int cli_parse_seconds(const char *option, const char *arg, uint64_t *ms);
int cli_parse_network(const char *arg, cli_sandbox_flags *flags);
/* --cgroup auto|v1|v2|none and --memory MIB into `flags`; -1 after printing
 * why. */
int cli_parse_cgroup(const char *arg, cli_sandbox_flags *flags);
int cli_parse_memory(const char *arg, cli_sandbox_flags *flags);

/* Handles the option shared by exec and invoke; 1 if `opt` is one of them
 * (and was valid), 0 if not ours, -1 if invalid. */
int cli_parse_sandbox_option(int opt, const char *arg, cli_sandbox_flags *flags);
/* The default case of a command's getopt loop: 1 when `opt` was a valid
 * sandbox option; 0 after saying what was wrong (with a hint for an
 * unknown option), for a usage error. */
int cli_take_sandbox_option(int opt, const char *arg, cli_sandbox_flags *flags);

/* A configuration from the environment (ci_config_new()) and the flags;
 * NULL after printing why. */
ci_config *cli_config_create(const cli_sandbox_flags *flags);

/* Prints "codeinterp: <what>: <ci_strerror(code)>: <detail>" on stderr. */
void cli_report_error(const char *what, int code, const char *detail);

/* Writes all of data, retrying short writes; 0 or -1 with errno set. */
int cli_write_all(int fd, const char *data, size_t len);

/*
 * Sandbox output on its way to the host's terminal (cli_term.c): with
 * `filter` set, control characters and escape sequences other than SGR
 * colours are shown in caret notation instead of being obeyed (so code in
 * the sandbox cannot write the clipboard with OSC 52, retitle the window
 * or repaint the screen); without it, bytes pass as they are. A sequence
 * cut between two writes is held until the next; cli_term_finish() writes
 * what is still held. Both return 0 or -1 with errno set.
 */
typedef struct cli_term {
    int fd;
    int filter;
    char held[32];
    size_t held_len;
} cli_term;
int cli_term_write(cli_term *t, const char *data, size_t len);
int cli_term_finish(cli_term *t);

/*
 * Makes a reader that went away (EPIPE) an error the caller handles, so
 * the CLI can stop its sandbox and exit cleanly instead of dying of
 * SIGPIPE. A handler rather than SIG_IGN: an ignored SIGPIPE would be
 * inherited by the programs run in the sandbox, a handler is reset by exec.
 */
void cli_survive_sigpipe(void);

/*
 * Turns SIGINT, SIGTERM and SIGHUP into bytes (the signal's number) on a
 * close-on-exec pipe, whose read end it returns (-1 with errno set): a
 * thread or poll loop then acts on them outside the signal handler. The
 * write end is non-blocking, so a flood of signals cannot hang the handler.
 */
int cli_signal_pipe(void);

/* cli_artifacts.c: saves the charts of r as DIR/chart-N.EXT and the files
 * it left under /output as DIR/PATH (folders made, links never followed),
 * saying each on stderr: how many, or -1 if any failed (after saying
 * why). */
int cli_save_artifacts(ci_session *session, const ci_result *r, const char *dir);
/* A ci_progress_callback drawing one line on stderr (a terminal); its
 * user_data is an int, -1 at first. */
int cli_progress(const char *uri, uint64_t done, uint64_t total, void *user_data);

void cli_usage(FILE *to);
/* The help of one subcommand ("exec", "invoke", ...). */
void cli_command_usage(FILE *to, const char *name);

int cli_exec(int argc, char **argv);
int cli_invoke(int argc, char **argv);
int cli_audit_verify(int argc, char **argv);
int cli_serve(int argc, char **argv);
int cli_mcp(int argc, char **argv);
