/* SPDX-License-Identifier: MIT */
/* The codeinterp command: dispatch to a subcommand, help and version. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cli_usage(FILE *to)
{
    const unsigned max_seconds = (unsigned)(CI_MAX_TIMEOUT_MS / 1000);

    fprintf(to, "Usage:\n"
          "  codeinterp exec [-l LANGUAGE] [--timeout SECONDS] [--network MODE] [--json]\n"
          "                  [--cgroup MODE] [--memory MIB] [--workspace-size MIB]\n"
          "                  [--env NAME=VALUE]... [--cwd DIR] [--kill-leftovers]\n"
          "                  [--raw-output] [--runtime-dir DIR] [--audit-log FILE]\n"
          "                  (-c CODE | FILE | -)\n"
          "  codeinterp invoke [--timeout SECONDS] [--idle-timeout SECONDS] [--network MODE]\n"
          "                    [--cgroup MODE] [--memory MIB] [--workspace-size MIB]\n"
          "                    [--runtime-dir DIR] [--audit-log FILE]\n"
          "  codeinterp mcp [--max-message-mib MIB] [sandbox options of invoke]\n"
          "  codeinterp audit-verify FILE\n"
          "  codeinterp serve (--keys FILE | --insecure-no-auth) [--listen ADDRESS]\n"
          "                   [--port PORT] [--tls-cert FILE --tls-key FILE]\n"
          "                   [--allow-insecure-remote] [--region REGION]\n"
          "                   [--identifier NAME]... [--max-sessions N]\n"
          "                   [--max-sessions-per-key N] [--max-calls-per-key N]\n"
          "                   [--max-body-mib MIB]\n"
          "                   [--grace SECONDS] [--max-connections N] [--quiet]\n"
          "                   [--config FILE] [--stream-output]\n"
          "                   [sandbox options of invoke]\n"
          "  codeinterp help | --version\n"
          "\n"
          "exec     runs code (or, with -l shell, a command line for /bin/sh) once\n"
          "         in a fresh sandbox. Its stdout and stderr are\n"
          "         streamed as they come, then the value of the last expression is\n"
          "         printed. The exit code is the program's; 124 if it timed out,\n"
          "         125 if the sandbox could not run it. --json prints the result as\n"
          "         an MCP CallToolResult instead (same exit codes).\n"
          "invoke   keeps one sandbox session for the whole run and answers each\n"
          "         JSON tool call read from stdin, one per line, e.g.\n"
          "           {\"name\":\"executeCode\",\"arguments\":{\"code\":\"x = 1\"}}\n"
          "         with one CallToolResult line on stdout. The tools: executeCode,\n"
          "         executeCommand, startCommandExecution, getTask, stopTask,\n"
          "         writeFiles, readFiles, listFiles, removeFiles. If the session's idle\n"
          "         lifetime runs out, that call is answered with status\n"
          "         \"session_expired\" and the next one starts a new session.\n"
          "serve    answers the AgentCore data plane over HTTP (boto3's\n"
          "         bedrock-agentcore client, the AgentCore SDK with\n"
          "         BEDROCK_AGENTCORE_DP_ENDPOINT): start, get, list and stop\n"
          "         sessions, invoke the tools above; SigV4 with the keys of FILE\n"
          "         (KEYID SECRET [NAME] per line, mode 0600). SIGTERM or SIGINT:\n"
          "         stop accepting, cancel calls after the grace period, destroy\n"
          "         every session, exit 0; SIGHUP reloads the keys. See doc/serve.md.\n"
          "mcp      an MCP server on stdin/stdout (JSON-RPC 2.0, one message per\n"
          "         line) for MCP clients such as desktop agents and IDEs: the tools\n"
          "         above with schemas, /workspace files as resources, cancellation\n"
          "         and progress; one sandbox session per connection, destroyed at\n"
          "         the end of stdin or on SIGINT, SIGTERM, SIGHUP. See doc/mcp.md.\n"
          "audit-verify  checks the hash chain of an audit trail file: prints\n"
          "         \"ok: N records\" and exits 0, or names the first line that does\n"
          "         not verify and exits 1.\n"
          "\n"
          "Options:\n"
          "  -l, --language LANGUAGE  python (default), javascript, typescript or\n"
          "                           shell; for FILE, guessed from\n"
          "                           .js/.mjs/.cjs/.ts/.mts/.sh\n"
          "  -c CODE                  the code to run; FILE reads it from a file,\n"
          "                           - from stdin\n"
          "      --timeout SECONDS    execution time limit (default 900, max %u)\n"
          "      --idle-timeout SECONDS  lifetime of an unused session (invoke;\n"
          "                           default 900, max %u)\n"
          "      --network MODE       none (default: loopback only) or host (shares\n"
          "                           the host's network: unsafe for untrusted code)\n"
          "      --cgroup MODE        auto (default), v1, v2, or none: rlimits only,\n"
          "                           no memory/CPU cgroup (needed without cgroup\n"
          "                           rights, e.g. as a non-root user)\n"
          "      --memory MIB         memory limit of the sandbox (default 2048)\n"
          "      --workspace-size MIB size cap of /workspace (default 10240; needs\n"
          "                           root); 0: an uncapped directory\n"
          "      --runtime-dir DIR    the language runtimes (python/ virtualenv,\n"
          "                           node/node_modules) the sandbox mounts\n"
          "                           (default /opt/codeinterp)\n"
          "      --env NAME=VALUE     an environment variable for the code (exec;\n"
          "                           repeatable)\n"
          "      --cwd DIR            working directory of the code: a folder under\n"
          "                           /workspace (exec; it must exist)\n"
          "      --kill-leftovers     kill the processes the code leaves running\n"
          "                           when it ends (exec)\n"
          "      --raw-output         copy the code's output to a terminal as it is;\n"
          "                           by default escape sequences other than colours\n"
          "                           are shown (^[), not obeyed, on a terminal (exec)\n"
          "      --json               print the result as JSON (exec)\n"
          "      --audit-log FILE     append an audit record of every operation to\n"
          "                           FILE (hash-chained JSON lines, mode 0600)\n"
          "\n"
          "Options of mcp:\n"
          "      --max-message-mib MIB  largest JSON-RPC message (default 150)\n"
          "\n"
          "Options of serve:\n"
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
          "                           lines; the command line wins\n"
          "\n"
          "Environment: CODEINTERP_HELPER, CODEINTERP_KERNEL_DIR,\n"
          "CODEINTERP_RUNTIME_DIR and CODEINTERP_STATE_DIR override where the\n"
          "library finds its sandbox helper, kernels, runtime and state.\n",
          max_seconds, max_seconds);
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
