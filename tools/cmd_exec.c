/* SPDX-License-Identifier: MIT */
/* codeinterp exec: run code once in a fresh sandbox, like an interpreter. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Where a stream of the program goes (shown safely on a terminal, see
 * cli_term.c), and whether its last byte ended a line, so that what the
 * CLI adds after it starts on a line of its own. */
typedef struct stream {
    cli_term term;
    int at_line_start;
} stream;

/* ci_output_callback: a reader that went away stops the execution. */
static int stream_output(const char *data, size_t len, void *user_data)
{
    stream *s = user_data;

    if (len == 0)
        return 0;
    if (cli_term_write(&s->term, data, len) < 0)
        return 1;
    s->at_line_start = data[len - 1] == '\n';
    return 0;
}

static void stream_line(stream *s, const char *text)
{
    size_t len = strlen(text);

    cli_term_finish(&s->term);
    if (!s->at_line_start)
        cli_write_all(s->term.fd, "\n", 1);
    cli_term_write(&s->term, text, len);
    cli_term_finish(&s->term);
    if (len == 0 || text[len - 1] != '\n')
        cli_write_all(s->term.fd, "\n", 1);
    s->at_line_start = 1;
}

/* The code of FILE or stdin; NULL after saying why. The library takes code
 * as a C string, so a NUL byte would silently cut it: refuse those. */
static char *read_code(const char *path)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
    const char *name = f == stdin ? "stdin" : path;
    size_t len = 0, cap = 0;
    char *buf = NULL;

    if (!f) {
        fprintf(stderr, "codeinterp: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (cap - len < 2) {
            size_t ncap = cap ? cap * 2 : 65536;
            char *nbuf = realloc(buf, ncap);
            if (!nbuf) {
                fprintf(stderr, "codeinterp: %s is too large to read\n", name);
                goto fail;
            }
            buf = nbuf;
            cap = ncap;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        fprintf(stderr, "codeinterp: cannot read %s: %s\n", name, strerror(errno));
        goto fail;
    }
    if (memchr(buf, '\0', len)) {
        fprintf(stderr, "codeinterp: %s contains a NUL byte\n", name);
        goto fail;
    }
    buf[len] = '\0';
    if (f != stdin)
        fclose(f);
    return buf;
fail:
    free(buf);
    if (f != stdin)
        fclose(f);
    return NULL;
}

/* The language a file's name suggests; Python when it suggests none. */
static ci_language language_of_file(const char *path)
{
    static const struct { const char *ext; ci_language language; } known[] = {
        {".js", CI_LANGUAGE_JAVASCRIPT}, {".mjs", CI_LANGUAGE_JAVASCRIPT},
        {".cjs", CI_LANGUAGE_JAVASCRIPT}, {".ts", CI_LANGUAGE_TYPESCRIPT},
        {".mts", CI_LANGUAGE_TYPESCRIPT}, {".sh", CI_LANGUAGE_SHELL},
    };
    const char *dot = strrchr(path, '.');

    for (size_t i = 0; dot && i < sizeof known / sizeof known[0]; i++)
        if (strcmp(dot, known[i].ext) == 0)
            return known[i].language;
    return CI_LANGUAGE_PYTHON;
}

/* Whether the program's stderr already holds `text` (trailing newlines
 * aside). */
static int already_shown(const ci_result *r, const char *text)
{
    size_t len, n = strlen(text);
    const char *shown = ci_result_stderr(r, &len);

    while (n > 0 && text[n - 1] == '\n')
        n--;
    return n > 0 && memmem(shown, len, text, n) != NULL;
}

/*
 * After streaming: the value of the last expression, and the error unless
 * the program's stderr already showed it (the kernels print their
 * traceback there themselves; a traceback printed twice reads as two
 * errors). It counts as shown if either the traceback or the "Name: value"
 * line is there, in case a kernel formats what it prints differently.
 */
static void print_outcome(const ci_result *r, stream *out, stream *err)
{
    const char *value = ci_result_value(r);
    const char *name = ci_result_error_name(r);
    const char *tb = ci_result_error_traceback(r);

    if (value)
        stream_line(out, value);
    /* an empty traceback is the runner saying there is nothing to show:
     * an exit such as Python's SystemExit(3) */
    if (!name || (tb && !*tb))
        return;

    const char *evalue = ci_result_error_value(r);
    char *line = NULL;

    if (asprintf(&line, "%s%s%s", name, evalue && *evalue ? ": " : "", evalue ? evalue : "") < 0)
        return;
    if (!(tb && already_shown(r, tb)) && !already_shown(r, line))
        stream_line(err, tb ? tb : line);
    free(line);
}

/* The exit code telling a shell what happened: the program's own, or the
 * CLI's for limits and failures, with a message unless `quiet`. */
static int exit_status(const ci_result *r, const cli_sandbox_flags *flags, int quiet)
{
    int code = ci_result_exit_code(r) & 0xff;
    const char *why = NULL;

    switch (ci_result_status(r)) {
    case CI_STATUS_OK:
        return 0;
    case CI_STATUS_ERROR:
        break;
    case CI_STATUS_TIMEOUT:
        if (!quiet && flags->timeout_ms)
            fprintf(stderr, "codeinterp: execution timed out after %g s\n",
                    (double)flags->timeout_ms / 1000.0);
        else if (!quiet)
            fputs("codeinterp: execution timed out\n", stderr);
        return CLI_EXIT_TIMEOUT;
    case CI_STATUS_OOM:
        why = "execution killed: out of memory";
        break;
    case CI_STATUS_KILLED:
        why = "execution killed";
        break;
    default:
        if (!quiet)
            fprintf(stderr, "codeinterp: the sandbox failed (%s)%s%s\n",
                    ci_status_name(ci_result_status(r)) ? ci_status_name(ci_result_status(r)) : "?",
                    ci_result_error_value(r) ? ": " : "",
                    ci_result_error_value(r) ? ci_result_error_value(r) : "");
        return CLI_EXIT_LIBRARY;
    }
    if (why && !quiet)
        fprintf(stderr, "codeinterp: %s\n", why);
    /* an unsuccessful run must not look like success: exit(256) would */
    return code ? code : 1;
}

static int print_json(const ci_result *r)
{
    char *json;
    int rc = ci_result_to_json(r, &json);

    if (rc < 0) {
        cli_report_error("cannot format the result", rc, ci_last_error());
        return -1;
    }
    puts(json);
    ci_free(json);
    return fflush(stdout) == 0 ? 0 : -1;
}

static int usage_error(void)
{
    fputs("Try 'codeinterp help' for more information.\n", stderr);
    return CLI_EXIT_USAGE;
}

/* What exec passes to the execution besides the code: --env, --cwd and
 * --kill-leftovers (and --raw-output, which is the CLI's). */
typedef struct exec_flags {
    const char **env; /* the NAME=VALUE arguments, in order */
    size_t env_count;
    const char *cwd;
    int kill_leftovers;
    int raw_output;   /* --raw-output: no filter on a terminal */
    const char *input_s3, *output_s3; /* --input-s3, --output-s3 URIs */
    const char *save_dir; /* --save-artifacts DIR */
    int progress_shown; /* the percentage the progress line shows (cli_progress) */
} exec_flags;

/* The execution options of the flags; NULL after saying why (a bad --env
 * name, a --cwd outside /workspace: the library's rules). */
static ci_exec_options *make_options(ci_language language, exec_flags *ef)
{
    ci_exec_options *options;
    int rc = ci_exec_options_new(&options);
    if (rc < 0) {
        cli_report_error("cannot run the code", rc, ci_last_error());
        return NULL;
    }
    rc = ci_exec_options_set_language(options, language);
    for (size_t i = 0; rc == 0 && i < ef->env_count; i++) {
        const char *eq = strchr(ef->env[i], '=');
        char *name = eq ? strndup(ef->env[i], (size_t)(eq - ef->env[i])) : NULL;
        if (!eq) {
            fprintf(stderr, "codeinterp exec: --env wants NAME=VALUE, not '%s'\n", ef->env[i]);
            rc = CI_EINVAL;
            break;
        }
        rc = name ? ci_exec_options_set_env(options, name, eq + 1) : CI_ENOMEM;
        free(name);
        if (rc < 0)
            fprintf(stderr, "codeinterp exec: --env %s: %s\n", ef->env[i], ci_last_error());
    }
    if (rc == 0 && ef->cwd) {
        rc = ci_exec_options_set_cwd(options, ef->cwd);
        if (rc < 0)
            fprintf(stderr, "codeinterp exec: --cwd %s: %s\n", ef->cwd, ci_last_error());
    }
    if (rc == 0 && ef->kill_leftovers)
        rc = ci_exec_options_set_kill_leftovers(options, 1);
    if (rc == 0 && ef->input_s3 && (rc = ci_exec_options_set_input_s3_uri(options, ef->input_s3)))
        fprintf(stderr, "codeinterp exec: --input-s3 %s: %s\n", ef->input_s3, ci_last_error());
    if (rc == 0 && ef->output_s3 &&
        (rc = ci_exec_options_set_output_s3_uri(options, ef->output_s3)))
        fprintf(stderr, "codeinterp exec: --output-s3 %s: %s\n", ef->output_s3, ci_last_error());
    /* a progress line on a terminal; nothing on a pipe or a file */
    if (rc == 0 && (ef->input_s3 || ef->output_s3) && isatty(STDERR_FILENO)) {
        ef->progress_shown = -1;
        rc = ci_exec_options_set_progress_callback(options, cli_progress, &ef->progress_shown);
    }
    if (rc < 0) {
        ci_exec_options_free(options);
        return NULL;
    }
    return options;
}

/* What went wrong with --output-s3, if anything: 0, or the exit code. */
static int output_s3_status(const ci_result *r, const exec_flags *ef)
{
    if (!ef->output_s3 || ci_result_status(r) != CI_STATUS_OK)
        return 0;
    if (ci_result_s3_upload_error(r) != 0) {
        fprintf(stderr, "codeinterp: --output-s3 %s: %s\n", ef->output_s3,
                ci_result_s3_upload_error_message(r) ? ci_result_s3_upload_error_message(r)
                                                      : "the upload failed");
        return CLI_EXIT_LIBRARY;
    }
    size_t n = ci_result_s3_upload_count(r);
    fprintf(stderr, "codeinterp: sent %zu file%s of /output to %s\n", n, n == 1 ? "" : "s",
            ef->output_s3);
    return 0;
}

/* Runs the code: one-shot, or in a session kept until the artifacts are
 * saved. The result, or NULL after saying why. */
static ci_result *execute(const ci_config *config, const char *code, ci_exec_options *options,
                          const exec_flags *ef, int *save_failed)
{
    ci_result *result = NULL;
    int rc;
    if (!ef->save_dir) {
        rc = ci_execute_oneshot(config, code, options, &result);
    } else {
        ci_session *session = NULL;
        rc = ci_session_create(config, &session);
        if (rc == 0)
            rc = ci_execute(session, code, options, &result);
        if (rc < 0 && session)
            cli_report_error("cannot run the code", rc, ci_session_last_error(session));
        if (rc == 0)
            *save_failed = cli_save_artifacts(session, result, ef->save_dir) < 0;
        ci_session_destroy(session);
        if (rc < 0 && session)
            return NULL;
    }
    if (rc < 0)
        cli_report_error("cannot run the code", rc, ci_last_error());
    return result;
}

/* Without --save-artifacts or --json, charts and /output files would go
 * unseen: say they exist and how to keep them. */
static void mention_artifacts(const ci_result *r)
{
    size_t charts = ci_result_display_count(r), files = 0;
    for (size_t i = 0; i < ci_result_artifact_count(r); i++)
        files += strncmp(ci_result_artifact_path(r, i), "/output/", 8) == 0;
    if (charts || files)
        fprintf(stderr, "codeinterp: %zu chart%s and %zu file%s in /output not saved; "
                "--save-artifacts DIR keeps them, --json shows them\n", charts,
                charts == 1 ? "" : "s", files, files == 1 ? "" : "s");
}

/* Runs the code; returns the CLI's exit code. */
static int run(const char *code, ci_exec_options *options, const cli_sandbox_flags *flags,
               int json, const exec_flags *ef)
{
    stream out = {{.fd = STDOUT_FILENO, .filter = !ef->raw_output && isatty(STDOUT_FILENO)}, 1};
    stream err = {{.fd = STDERR_FILENO, .filter = !ef->raw_output && isatty(STDERR_FILENO)}, 1};
    ci_config *config = cli_config_create(flags);
    ci_result *result = NULL;
    int rc = 0, status = CLI_EXIT_LIBRARY, save_failed = 0;

    if (!config)
        return CLI_EXIT_LIBRARY;
    if (!json)
        rc = ci_exec_options_set_stdout_callback(options, stream_output, &out);
    if (rc == 0 && !json)
        rc = ci_exec_options_set_stderr_callback(options, stream_output, &err);
    if (rc == 0)
        result = execute(config, code, options, ef, &save_failed);
    else
        cli_report_error("cannot run the code", rc, ci_last_error());

    if (result && json) {
        if (print_json(result) == 0)
            status = exit_status(result, flags, 1);
    } else if (result) {
        cli_term_finish(&out.term);
        cli_term_finish(&err.term);
        print_outcome(result, &out, &err);
        if (!ef->save_dir)
            mention_artifacts(result);
        status = exit_status(result, flags, 0);
    }
    if (result && status == 0) {
        status = output_s3_status(result, ef);
        if (status == 0 && save_failed)
            status = CLI_EXIT_LIBRARY;
    }
    ci_result_free(result);
    ci_config_free(config);
    return status;
}

/* cli_exec() with the array for --env ready. */
static int exec_main(int argc, char **argv, exec_flags *ef)
{
    static const struct option longopts[] = {
        {"language", required_argument, NULL, 'l'},
        CLI_SANDBOX_LONGOPTS,
        {"json", no_argument, NULL, CLI_OPT_JSON},
        {"env", required_argument, NULL, CLI_OPT_ENV},
        {"cwd", required_argument, NULL, CLI_OPT_CWD},
        {"kill-leftovers", no_argument, NULL, CLI_OPT_KILL_LEFTOVERS},
        {"raw-output", no_argument, NULL, CLI_OPT_RAW_OUTPUT},
        {"input-s3", required_argument, NULL, CLI_OPT_INPUT_S3},
        {"output-s3", required_argument, NULL, CLI_OPT_OUTPUT_S3},
        {"save-artifacts", required_argument, NULL, CLI_OPT_SAVE_ARTIFACTS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    cli_sandbox_flags flags = {.network = CI_NETWORK_NONE};
    const char *code_arg = NULL, *language_arg = NULL;
    int json = 0, opt;

    while ((opt = getopt_long(argc, argv, "l:c:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'l':
            language_arg = optarg;
            break;
        case 'c':
            code_arg = optarg;
            break;
        case CLI_OPT_ENV:
            ef->env[ef->env_count++] = optarg;
            break;
        case CLI_OPT_CWD:
            ef->cwd = optarg;
            break;
        case CLI_OPT_RAW_OUTPUT:
            ef->raw_output = 1;
            break;
        case CLI_OPT_INPUT_S3:
            ef->input_s3 = optarg;
            break;
        case CLI_OPT_OUTPUT_S3:
            ef->output_s3 = optarg;
            break;
        case CLI_OPT_SAVE_ARTIFACTS:
            ef->save_dir = optarg;
            break;
        case CLI_OPT_KILL_LEFTOVERS:
            ef->kill_leftovers = 1;
            break;
        case CLI_OPT_JSON:
            json = 1;
            break;
        case 'h':
            cli_command_usage(stdout, "exec");
            return 0;
        default:
            if (cli_take_sandbox_option(opt, optarg, &flags))
                break;
            return CLI_EXIT_USAGE;
        }
    }
    int operands = argc - optind;
    if (code_arg ? operands != 0 : operands != 1) {
        fputs(code_arg ? "codeinterp exec: -c CODE takes no FILE as well\n"
                       : "codeinterp exec: give the code with -c CODE, a FILE, or - for stdin\n",
              stderr);
        return usage_error();
    }
    const char *path = code_arg ? NULL : argv[optind];

    ci_language language = path ? language_of_file(path) : CI_LANGUAGE_PYTHON;
    if (language_arg && ci_language_from_name(language_arg, &language) < 0) {
        fprintf(stderr, "codeinterp exec: %s\n", ci_last_error());
        return usage_error();
    }
    ci_exec_options *options = make_options(language, ef);
    if (!options)
        return usage_error();

    char *code = path ? read_code(path) : NULL;
    int status = CLI_EXIT_USAGE;
    if (!path || code) {
        cli_survive_sigpipe();
        status = run(code ? code : code_arg, options, &flags, json, ef);
    }
    free(code);
    ci_exec_options_free(options);
    return status;
}

int cli_exec(int argc, char **argv)
{
    /* room for every argument to be an --env */
    exec_flags ef = {.env = calloc((size_t)argc + 1, sizeof(char *))};

    if (!ef.env) {
        fputs("codeinterp exec: out of memory\n", stderr);
        return CLI_EXIT_LIBRARY;
    }
    int status = exec_main(argc, argv, &ef);
    free(ef.env);
    return status;
}
