/* SPDX-License-Identifier: MIT */
/* The codeinterp command: dispatch to a subcommand, help and version. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "mcp/mcp.h"

/* The sandbox options every command that runs code takes. */
static const char sandbox_options[] =
    "Sandbox options:\n"
    "      --timeout SECONDS    execution time limit (default 900, max %u)\n"
    "      --network MODE       none (default: loopback only) or host (shares\n"
    "                           the host's network: unsafe for untrusted code)\n"
    "      --cgroup MODE        auto (default), v1, v2, or none: rlimits only,\n"
    "                           no memory/CPU cgroup (needed without cgroup\n"
    "                           rights, e.g. as a non-root user)\n"
    "      --cgroup-parent DIR  cgroup v2: the delegated, empty cgroup the\n"
    "                           sessions' cgroups go under (default the\n"
    "                           process's own, which v2 allows only at the root)\n"
    "      --memory MIB         memory limit of the sandbox (default 2048)\n"
    "      --workspace-size MIB size cap of /workspace (default 10240; needs\n"
    "                           root); 0: an uncapped directory\n"
    "      --allow-tmpfs-state  let workspace images live in a state dir on\n"
    "                           tmpfs (host memory, outside the memory limit)\n"
    "      --runtime-dir DIR    the language runtimes (python/ virtualenv,\n"
    "                           node/node_modules) the sandbox mounts\n"
    "                           (default /opt/codeinterp)\n"
    "      --cpu CPUS           CPU quota of the sandbox, fractions allowed\n"
    "                           (default 2)\n"
    "      --output-limit MIB   stdout and stderr kept per execution, each\n"
    "                           (default 16; what is cut is flagged)\n"
    "      --upload-limit MIB   largest file uploaded or written by a tool\n"
    "                           (default 100)\n"
    "      --audit-log FILE     append an audit record of every operation to\n"
    "                           FILE (hash-chained JSON lines, mode 0600)\n";

static const char idle_option[] =
    "      --idle-timeout SECONDS  lifetime of an unused session (default 900,\n"
    "                           max %u)\n";

/* One subcommand's help: how to call it, what it does, its own options;
 * `sandbox` says whether the sandbox options (and --idle-timeout) apply. */
static const struct command_help {
    const char *name;
    const char *usage;
    const char *about;
    const char *options; /* NULL: none of its own */
    int sandbox;         /* 0 none, 1 sandbox options, 2 and --idle-timeout */
} commands[] = {
    {"exec",
     "  codeinterp exec [-l LANGUAGE] [--timeout SECONDS] [--network MODE] [--json]\n"
     "                  [--cgroup MODE] [--memory MIB] [--workspace-size MIB]\n"
     "                  [--env NAME=VALUE]... [--cwd DIR] [--kill-leftovers]\n"
     "                  [--raw-output] [--input-s3 URI] [--output-s3 URI]\n"
     "                  [--save-artifacts DIR] [--cpu CPUS] [--output-limit MIB]\n"
     "                  [--upload-limit MIB] [--runtime-dir DIR] [--audit-log FILE]\n"
     "                  (-c CODE | FILE | -)\n",
     "exec     runs code (or, with -l shell, a command line for /bin/sh) once\n"
     "         in a fresh sandbox. Its stdout and stderr are\n"
     "         streamed as they come, then the value of the last expression is\n"
     "         printed. The exit code is the program's; 124 if it timed out,\n"
     "         125 if the sandbox could not run it. --json prints the result as\n"
     "         an MCP CallToolResult instead (same exit codes).\n",
     "  -l, --language LANGUAGE  python (default), javascript, typescript or\n"
     "                           shell; for FILE, guessed from\n"
     "                           .js/.mjs/.cjs/.ts/.mts/.sh\n"
     "  -c CODE                  the code to run; FILE reads it from a file,\n"
     "                           - from stdin\n"
     "      --env NAME=VALUE     an environment variable for the code\n"
     "                           (repeatable)\n"
     "      --cwd DIR            working directory of the code: a folder under\n"
     "                           /workspace (it must exist)\n"
     "      --kill-leftovers     kill the processes the code leaves running\n"
     "                           when it ends\n"
     "      --raw-output         copy the code's output to a terminal as it is;\n"
     "                           by default escape sequences other than colours\n"
     "                           are shown (^[), not obeyed, on a terminal\n"
     "      --json               print the result as JSON\n"
     "      --input-s3 URI       fetch s3://bucket/key (or every object under\n"
     "                           s3://bucket/prefix/) into /data first\n"
     "      --output-s3 URI      after a successful run, send every file of\n"
     "                           /output to s3://bucket/prefix/ (credentials,\n"
     "                           region, endpoint: the AWS_* variables); a\n"
     "                           progress line on a terminal\n"
     "      --save-artifacts DIR save the charts (DIR/chart-N.png) and the files\n"
     "                           of /output (DIR/PATH) to a host folder\n",
     1},
    {"invoke",
     "  codeinterp invoke [--timeout SECONDS] [--idle-timeout SECONDS] [--network MODE]\n"
     "                    [--cgroup MODE] [--memory MIB] [--workspace-size MIB]\n"
     "                    [--runtime-dir DIR] [--audit-log FILE] [--stream]\n",
     "invoke   keeps one sandbox session for the whole run and answers each\n"
     "         JSON tool call read from stdin, one per line, e.g.\n"
     "           {\"name\":\"executeCode\",\"arguments\":{\"code\":\"x = 1\"}}\n"
     "         with one CallToolResult line on stdout. The tools: executeCode,\n"
     "         executeCommand, startCommandExecution, getTask, stopTask,\n"
     "         writeFiles, readFiles, listFiles, removeFiles. If the session's idle\n"
     "         lifetime runs out, that call is answered with status\n"
     "         \"session_expired\" and the next one starts a new session.\n",
     "      --stream             before each answer, the output of executeCode and\n"
     "                           executeCommand as it is written, one line per\n"
     "                           chunk: {\"type\":\"output\",\"stream\":\"stdout\",\n"
     "                           \"text\":\"...\"}; the answer is the line with\n"
     "                           \"content\"\n",
     2},
    {"mcp",
     "  codeinterp mcp [--max-message-mib MIB] [sandbox options] [--idle-timeout SECONDS]\n",
     "mcp      an MCP server on stdin/stdout (JSON-RPC 2.0, one message per\n"
     "         line) for MCP clients such as desktop agents and IDEs: the tools\n"
     "         of invoke with schemas, /workspace files as resources,\n"
     "         cancellation and progress; one sandbox session per connection,\n"
     "         destroyed at the end of stdin or on SIGINT, SIGTERM, SIGHUP.\n"
     "         See doc/mcp.md.\n",
     "      --max-message-mib MIB  largest JSON-RPC message (default 150)\n",
     2},
    {"serve",
     "  codeinterp serve (--keys FILE | --insecure-no-auth) [--listen ADDRESS]\n"
     "                   [--port PORT] [--tls-cert FILE --tls-key FILE]\n"
     "                   [--allow-insecure-remote] [--region REGION]\n"
     "                   [--identifier NAME]... [--max-sessions N]\n"
     "                   [--max-sessions-per-key N] [--max-calls-per-key N]\n"
     "                   [--max-body-mib MIB]\n"
     "                   [--grace SECONDS] [--max-connections N] [--quiet]\n"
     "                   [--config FILE] [--stream-output]\n"
     "                   [sandbox options] [--idle-timeout SECONDS]\n",
     "serve    answers the AgentCore data plane over HTTP (boto3's\n"
     "         bedrock-agentcore client, the AgentCore SDK with\n"
     "         BEDROCK_AGENTCORE_DP_ENDPOINT): start, get, list and stop\n"
     "         sessions, invoke the tools of invoke; SigV4 with the keys of FILE\n"
     "         (KEYID SECRET [NAME] per line, mode 0600); MCP's Streamable HTTP\n"
     "         at /mcp. SIGTERM or SIGINT: stop accepting, cancel calls after\n"
     "         the grace period, destroy every session, exit 0; SIGHUP reloads\n"
     "         the keys. See doc/serve.md.\n",
     "      --keys FILE          access keys for SigV4 (refused unless 0600/0400)\n"
     "      --insecure-no-auth   no authentication: on a loopback address only\n"
     "      --listen ADDRESS     numeric IPv4 or IPv6 address (default 127.0.0.1)\n"
     "      --port PORT          default 8741; 0 picks a free one (printed)\n"
     "      --tls-cert FILE, --tls-key FILE  serve HTTPS (PEM files)\n"
     "      --allow-insecure-remote  plain HTTP on a non-loopback address\n"
     "      --region REGION      the only region signatures may name (default any)\n"
     "      --identifier NAME    a code interpreter name besides\n"
     "                           aws.codeinterpreter.v1 (repeatable)\n"
     "      --max-sessions N     live sessions of the server (default 64)\n"
     "      --max-sessions-per-key N  live sessions of one key (default 16)\n"
     "      --max-calls-per-key N  requests of one key at once (default 32)\n"
     "      --max-body-mib MIB   largest invoke body (default 140)\n"
     "      --grace SECONDS      SIGTERM: time running calls get (default 10)\n"
     "      --max-connections N  open connections (default 256)\n"
     "      --quiet              no access log line per request on stderr\n"
     "      --stream-output      executeCode and executeCommand send output\n"
     "                           events as it comes, then the result\n"
     "      --config FILE        options as 'name value' lines, and\n"
     "                           'identifier NAME timeout=S network=M cgroup=M\n"
     "                           memory=MIB workspace-size=MIB runtime-dir=DIR'\n"
     "                           lines; the command line wins\n",
     2},
    {"audit-verify",
     "  codeinterp audit-verify FILE\n",
     "audit-verify  checks the hash chain of an audit trail file: prints\n"
     "         \"ok: N records\" and exits 0, or names the first line that does\n"
     "         not verify and exits 1.\n",
     NULL, 0},
};

static const char environment[] =
    "Environment: CODEINTERP_HELPER, CODEINTERP_KERNEL_DIR,\n"
    "CODEINTERP_RUNTIME_DIR and CODEINTERP_STATE_DIR override where the\n"
    "library finds its sandbox helper, kernels, runtime and state (a\n"
    "codeinterp run from its build tree finds that tree's helper and kernels).\n";

/* The tools of invoke (and mcp, serve) with their arguments, from the MCP
 * catalog: "name  arg, arg?, ..." and the first sentence of the tool's
 * description. */
static void print_tools(FILE *to)
{
    const cJSON *tools = mcp_tool_catalog(900) /* the default time limit */;
    const cJSON *tool;
    fputs("\nTools (arguments; ? marks an optional one):\n", to);
    cJSON_ArrayForEach(tool, tools) {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(tool, "name");
        const cJSON *schema = cJSON_GetObjectItemCaseSensitive(tool, "inputSchema");
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
        const cJSON *required = cJSON_GetObjectItemCaseSensitive(schema, "required");
        const cJSON *desc = cJSON_GetObjectItemCaseSensitive(tool, "description");
        const cJSON *prop;
        int first = 1;
        fprintf(to, "  %s {", cJSON_IsString(name) ? name->valuestring : "?");
        cJSON_ArrayForEach(prop, props) {
            int needed = 0;
            const cJSON *r;
            cJSON_ArrayForEach(r, required)
                needed |= cJSON_IsString(r) && strcmp(r->valuestring, prop->string) == 0;
            fprintf(to, "%s%s%s", first ? "" : ", ", prop->string, needed ? "" : "?");
            first = 0;
        }
        fputs("}\n", to);
        if (cJSON_IsString(desc)) {
            /* the first sentence: up to ". " before a capital */
            const char *d = desc->valuestring, *stop = d;
            while ((stop = strstr(stop, ". ")) && !(stop[2] >= 'A' && stop[2] <= 'Z'))
                stop += 2;
            int len = stop ? (int)(stop - d) + 1 : (int)strlen(d);
            fprintf(to, "      %.*s\n", len > 300 ? 300 : len, d);
        }
    }
}

void cli_command_usage(FILE *to, const char *name)
{
    const unsigned max_seconds = (unsigned)(CI_MAX_TIMEOUT_MS / 1000);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        const struct command_help *c = &commands[i];
        if (name && strcmp(name, c->name) != 0)
            continue;
        fprintf(to, "Usage:\n%s\n%s", c->usage, c->about);
        if (c->options)
            fprintf(to, "\nOptions:\n%s", c->options);
        if (c->sandbox) {
            fputc('\n', to);
            fprintf(to, sandbox_options, max_seconds);
        }
        if (c->sandbox == 2)
            fprintf(to, idle_option, max_seconds);
        if (strcmp(c->name, "invoke") == 0 || strcmp(c->name, "mcp") == 0)
            print_tools(to);
        if (c->sandbox)
            fprintf(to, "\n%s", environment);
        return;
    }
}

void cli_usage(FILE *to)
{
    const unsigned max_seconds = (unsigned)(CI_MAX_TIMEOUT_MS / 1000);
    size_t n = sizeof commands / sizeof commands[0];
    fputs("Usage:\n", to);
    for (size_t i = 0; i < n; i++)
        fputs(commands[i].usage, to);
    fputs("  codeinterp help [COMMAND] | COMMAND --help | --version\n\n", to);
    for (size_t i = 0; i < n; i++)
        fputs(commands[i].about, to);
    fputs("\nOptions of exec:\n", to);
    fputs(commands[0].options, to);
    fputc('\n', to);
    fprintf(to, sandbox_options, max_seconds);
    fprintf(to, idle_option, max_seconds);
    for (size_t i = 1; i < n; i++)
        if (commands[i].options)
            fprintf(to, "\nOptions of %s:\n%s", commands[i].name, commands[i].options);
    print_tools(to);
    fprintf(to, "\n%s", environment);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cli_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    /* the subcommands parse their options as if they were the program, and
     * getopt names argv[0] in its messages */
    static char exec_name[] = "codeinterp exec", invoke_name[] = "codeinterp invoke";
    static char audit_name[] = "codeinterp audit-verify", serve_name[] = "codeinterp serve";
    static char mcp_name[] = "codeinterp mcp";

    if (strcmp(cmd, "exec") == 0) {
        argv[1] = exec_name;
        return cli_exec(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "invoke") == 0) {
        argv[1] = invoke_name;
        return cli_invoke(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "audit-verify") == 0) {
        argv[1] = audit_name;
        return cli_audit_verify(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "serve") == 0) {
        argv[1] = serve_name;
        return cli_serve(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "mcp") == 0) {
        argv[1] = mcp_name;
        return cli_mcp(argc - 1, argv + 1);
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        if (argc > 2) {
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (strcmp(argv[2], commands[i].name) == 0) {
                    cli_command_usage(stdout, argv[2]);
                    return 0;
                }
            fprintf(stderr, "codeinterp: no command '%s'; try 'codeinterp help'\n", argv[2]);
            return CLI_EXIT_USAGE;
        }
        cli_usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("codeinterp %s\n", ci_version());
        return 0;
    }
    fprintf(stderr, "codeinterp: unknown command '%s'; try 'codeinterp help'\n", cmd);
    return CLI_EXIT_USAGE;
}
