/* SPDX-License-Identifier: MIT */
/*
 * The tools of `codeinterp mcp` as tools/list describes them. The schemas
 * follow what ci_invoke_json() takes and answers (lib/api/invoke_*.c,
 * result_json.c): an MCP client validates structuredContent against the
 * outputSchema, so each one admits every answer of its tool, the error
 * answers ({status, error: {name, value, code}}) included. readFiles
 * answers with resource blocks and no structuredContent: it has none.
 *
 * The JSON is written with ' for " to stay readable in C, and turned into
 * JSON once at first use; the texts hold no apostrophe for that reason.
 * "@T@" is replaced by the server's time limit in seconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"

#define STATUS_ENUM "'enum':['ok','error','timeout','session_expired','oom','killed','sandbox_error']"

/* error of an answer: a failed call ({name, value, code}) or the error an
 * execution raised ({name, value, traceback}) */
#define ERROR_SCHEMA \
    "'error':{'type':'object','description':'Present when the call or the code failed: name " \
    "(e.g. ZeroDivisionError, InvalidRequest, FileNotFound, SessionExpired), value (the " \
    "message), traceback (executions), code (library error code, failed calls).'," \
    "'properties':{'name':{'type':'string'},'value':{'type':['string','null']}," \
    "'traceback':{'type':['string','null']},'code':{'type':'integer'}},'required':['name']}"

/* an answer that ran nothing: {status, error} */
#define PROBLEM_BRANCH "{'required':['status','error']}"

#define EXEC_OUTPUT \
    "{'type':'object','properties':{" \
    "'stdout':{'type':'string','description':'Captured stdout (first 16 MiB).'}," \
    "'stderr':{'type':'string','description':'Captured stderr (first 16 MiB).'}," \
    "'exitCode':{'type':'integer'}," \
    "'executionTime':{'type':'number','description':'Wall-clock milliseconds.'}," \
    "'status':{'type':'string'," STATUS_ENUM "}," \
    "'cpuTimeMs':{'type':['number','null']}," \
    "'peakMemoryBytes':{'type':['number','null']}," \
    "'language':{'type':'string','enum':['python','javascript','typescript','shell']}," \
    "'limits':{'type':'string'}," \
    "'result':{'type':'string','description':'Value of the last expression, when it has one.'}," \
    "'strayOutputBytes':{'type':'integer'}," \
    ERROR_SCHEMA "," \
    "'artifacts':{'type':'array','description':'Files the execution created or changed under " \
    "/workspace and /output.','items':{'type':'object','properties':{'path':{'type':'string'}," \
    "'size':{'type':'integer'},'mimeType':{'type':'string'}},'required':['path','size','mimeType']}}," \
    "'artifactsTruncated':{'type':'boolean'}," \
    "'deniedSyscalls':{'type':'array','items':{'type':'object','properties':{'name':{'type':'string'}," \
    "'count':{'type':'integer'}}}}," \
    "'s3Uploads':{'type':'array','items':{'type':'object','properties':{'uri':{'type':'string'}," \
    "'path':{'type':'string'},'size':{'type':'integer'}}}}," \
    "'s3UploadError':{'type':'object','properties':{'code':{'type':'integer'}," \
    "'message':{'type':['string','null']}}}," \
    "'stdoutTruncated':{'type':'boolean'},'stderrTruncated':{'type':'boolean'}}," \
    "'required':['status'],'anyOf':[{'required':['stdout','stderr','exitCode','executionTime'," \
    "'language']}," PROBLEM_BRANCH "]}"

#define TASK_OUTPUT \
    "{'type':'object','properties':{'status':{'type':'string'," STATUS_ENUM "}," \
    "'taskId':{'type':'string'}," \
    "'taskStatus':{'type':'string','enum':['submitted','working','completed','canceled','failed']}," \
    "'exitCode':{'type':['integer','null']},'error':{}," \
    "'stdout':{'type':'string'},'stdoutOffset':{'type':'integer'},'stdoutEnd':{'type':'integer'}," \
    "'stdoutDropped':{'type':'integer'},'stderr':{'type':'string'}," \
    "'stderrOffset':{'type':'integer'},'stderrEnd':{'type':'integer'}," \
    "'stderrDropped':{'type':'integer'},'wallMs':{'type':'number'}," \
    "'cpuMs':{'type':['number','null']},'peakMemoryBytes':{'type':'number'}}," \
    "'required':['status'],'anyOf':[{'required':['taskId','taskStatus','exitCode','stdout'," \
    "'stderr']}," PROBLEM_BRANCH "]}"

#define TIMEOUT_ARG \
    "'timeout':{'type':'number','exclusiveMinimum':0,'maximum':28800,'description':'Time " \
    "limit of this call in seconds (default @T@, at most 28800 = 8 h). When it fires every " \
    "process of the sandbox is killed and the status is timeout.'}"

static const char catalog_text[] =
    "["
    /* ------------------------------------------------------ executeCode */
    "{'name':'executeCode','title':'Run code',"
    "'description':'Runs Python (default), JavaScript or TypeScript code in the sandbox of this "
    "connection and returns its stdout, stderr, the value of the last expression and any error "
    "with its traceback. Each language keeps one interpreter for the whole connection, so "
    "variables, imports and functions persist between calls (clearContext: true restarts it). "
    "The working directory is /workspace, shared by all tools and languages; files persist "
    "until the connection ends. Matplotlib figures still open at the end of a Python call come "
    "back as PNG image blocks. Time limit @T@ s by default (timeout argument, at most 28800 s = "
    "8 h); a timeout or a cancel kills every process of the sandbox and the next call starts "
    "fresh interpreters (files stay). Output is capped at 16 MiB per stream; memory, CPU and "
    "processes are limited; the network is loopback only unless the server allows more. "
    "Python has numpy, pandas, matplotlib and the like preinstalled; JavaScript and TypeScript "
    "run on node with top-level await. isError is true when the code raised, exited non-zero, "
    "timed out or was killed.',"
    "'inputSchema':{'type':'object','properties':{"
    "'code':{'type':'string','description':'The code to run.'},"
    "'language':{'type':'string','enum':['python','javascript','typescript'],"
    "'description':'Default python.'},"
    "'runtime':{'type':'string','enum':['python','nodejs'],'description':'AgentCore runtime "
    "name: python, or nodejs for JavaScript and TypeScript.'},"
    "'clearContext':{'type':'boolean','description':'Restart this language interpreter "
    "first, forgetting its variables (files stay).'},"
    TIMEOUT_ARG ","
    "'inputS3Uri':{'type':'string','description':'s3:// URI of objects fetched into /data "
    "(read-only) before the code runs; needs S3 credentials on the server.'},"
    "'outputS3Uri':{'type':'string','description':'s3:// URI prefix that the files under "
    "/output are sent to after a successful run.'}},"
    "'required':['code'],'additionalProperties':false},"
    "'outputSchema':" EXEC_OUTPUT "},"
    /* --------------------------------------------------- executeCommand */
    "{'name':'executeCommand','title':'Run a shell command',"
    "'description':'Runs one command line with /bin/sh -c inside the sandbox (never on the "
    "host), in /workspace, and waits for it: stdout, stderr and exit code. Each call gets a "
    "fresh shell, so cd and exported variables do not carry over; files do. isError is true "
    "when the command exits non-zero. Time limit @T@ s by default (timeout argument, at most "
    "28800 s); for longer jobs use startCommandExecution. Output capped at 16 MiB per stream.',"
    "'inputSchema':{'type':'object','properties':{"
    "'command':{'type':'string','minLength':1,'description':'Command line for /bin/sh -c.'},"
    TIMEOUT_ARG "},'required':['command'],'additionalProperties':false},"
    "'outputSchema':" EXEC_OUTPUT "},"
    /* -------------------------------------------- startCommandExecution */
    "{'name':'startCommandExecution','title':'Start a background command',"
    "'description':'Starts a command line (/bin/sh -c, in /workspace) as a background task "
    "and returns at once with its taskId (task-1, task-2, ...). Poll it with getTask, stop it "
    "with stopTask. At most 16 tasks run at once; each keeps its latest output (older bytes "
    "are dropped past the task output limit). A task dies with the connection, and with a "
    "timeout or cancel of executeCode or executeCommand, which kill every process of the "
    "sandbox.',"
    "'inputSchema':{'type':'object','properties':{"
    "'command':{'type':'string','minLength':1,'description':'Command line for /bin/sh -c.'}},"
    "'required':['command'],'additionalProperties':false},"
    "'outputSchema':{'type':'object','properties':{'status':{'type':'string'," STATUS_ENUM "},"
    "'taskId':{'type':'string'},'taskStatus':{'type':'string'}," ERROR_SCHEMA "},"
    "'required':['status'],'anyOf':[{'required':['taskId','taskStatus']}," PROBLEM_BRANCH "]}},"
    /* ---------------------------------------------------------- getTask */
    "{'name':'getTask','title':'Poll a background command',"
    "'description':'State of a task started by startCommandExecution: taskStatus "
    "(submitted, working, completed, canceled, failed), exitCode once it ended (null before), "
    "and the stdout and stderr it has buffered so far, with wall time, CPU time and peak "
    "memory.',"
    "'inputSchema':{'type':'object','properties':{"
    "'taskId':{'type':'string','minLength':1,'description':'The taskId startCommandExecution "
    "returned.'}},'required':['taskId'],'additionalProperties':false},"
    "'outputSchema':" TASK_OUTPUT "},"
    /* --------------------------------------------------------- stopTask */
    "{'name':'stopTask','title':'Stop a background command',"
    "'description':'Kills the process group of a running task (taskStatus canceled, exit code "
    "137) and returns its final state; an ended task keeps its state.',"
    "'inputSchema':{'type':'object','properties':{"
    "'taskId':{'type':'string','minLength':1,'description':'The taskId startCommandExecution "
    "returned.'}},'required':['taskId'],'additionalProperties':false},"
    "'outputSchema':" TASK_OUTPUT "},"
    /* ------------------------------------------------------- writeFiles */
    "{'name':'writeFiles','title':'Write files',"
    "'description':'Writes files into /workspace (paths relative to it, such as data.csv or "
    "in/2024/a.txt, or absolute under /workspace/ or /output/; no .. components), creating "
    "folders and replacing "
    "existing files: every file or none. Each item has text (UTF-8) or blob (base64, for "
    "binary). At most 100 MiB per file. The files persist for the connection and every tool "
    "and language sees them.',"
    "'inputSchema':{'type':'object','properties':{'content':{'type':'array','items':{"
    "'type':'object','properties':{'path':{'type':'string','description':'Relative to "
    "/workspace, or /workspace/... or /output/....'},'text':{'type':'string'},'blob':{'type':'string','contentEncoding':'base64'}},"
    "'required':['path'],'oneOf':[{'required':['text']},{'required':['blob']}],"
    "'additionalProperties':false}}},'required':['content'],'additionalProperties':false},"
    "'outputSchema':{'type':'object','properties':{'status':{'type':'string'," STATUS_ENUM "},"
    "'files':{'type':'array','items':{'type':'object','properties':{'path':{'type':'string'},"
    "'size':{'type':'integer'}},'required':['path','size']}}," ERROR_SCHEMA "},"
    "'required':['status'],'anyOf':[{'required':['files']}," PROBLEM_BRANCH "]}},"
    /* -------------------------------------------------------- readFiles */
    "{'name':'readFiles','title':'Read files',"
    "'description':'Reads files of /workspace (paths relative to it) or /output (paths "
    "/output/...) and returns one resource block per file, uri file:///workspace/PATH or "
    "file:///output/PATH: text for UTF-8 content, base64 blob otherwise. Only regular files "
    "are read; symbolic links are never followed. At most 16 MiB of files in all and 1000 "
    "paths per call, each path once: read a large file in several calls or process it with "
    "code instead.',"
    "'inputSchema':{'type':'object','properties':{'paths':{'type':'array','maxItems':1000,"
    "'items':{'type':'string'},'description':'Paths relative to /workspace, or "
    "/workspace/... or /output/....'}},"
    "'required':['paths'],'additionalProperties':false}},"
    /* -------------------------------------------------------- listFiles */
    "{'name':'listFiles','title':'List a folder',"
    "'description':'Lists one folder of /workspace or /output (not recursive; directoryPath "
    "relative to /workspace, empty for /workspace itself, or /output/...): name, type (file, "
    "directory, symlink, other), size and mtime of each entry in name order, and a "
    "resource_link block per entry. A page holds at most limit entries (default 1000); when "
    "more follow, nextToken is set: call again with it for the next page.',"
    "'inputSchema':{'type':'object','properties':{'directoryPath':{'type':'string',"
    "'description':'Folder relative to /workspace; empty or . for /workspace; /output for "
    "the output folder.'},'limit':{'type':'integer','minimum':1,'maximum':10000,"
    "'description':'Entries per page (default 1000).'},'nextToken':{'type':'string',"
    "'description':'The nextToken of the previous page.'}},"
    "'additionalProperties':false},"
    "'outputSchema':{'type':'object','properties':{'status':{'type':'string'," STATUS_ENUM "},"
    "'directoryPath':{'type':'string'},'files':{'type':'array','items':{'type':'object',"
    "'properties':{'name':{'type':'string'},'type':{'type':'string','enum':['file','directory',"
    "'symlink','other']},'size':{'type':'integer'},'mtime':{'type':'integer'}},"
    "'required':['name','type','size','mtime']}},'nextToken':{'type':'string'}," ERROR_SCHEMA
    "},'required':['status'],'anyOf':[{'required':['directoryPath','files']},"
    PROBLEM_BRANCH "]}},"
    /* ------------------------------------------------------ removeFiles */
    "{'name':'removeFiles','title':'Remove files',"
    "'description':'Removes files or whole folders of /workspace (paths relative to it) or "
    "/output (paths /output/...; a symbolic link is removed, not its target). All paths are checked first; removal stops "
    "at the first failure, whose message names what was already removed.',"
    "'inputSchema':{'type':'object','properties':{'paths':{'type':'array','items':{"
    "'type':'string'},'description':'Paths relative to /workspace, or /workspace/... or "
    "/output/....'}},"
    "'required':['paths'],'additionalProperties':false},"
    "'outputSchema':{'type':'object','properties':{'status':{'type':'string'," STATUS_ENUM "},"
    "'removed':{'type':'array','items':{'type':'string'}}," ERROR_SCHEMA "},"
    "'required':['status'],'anyOf':[{'required':['removed']}," PROBLEM_BRANCH "]}}"
    "]";

static cJSON *catalog;

const cJSON *mcp_tool_catalog(unsigned timeout_s)
{
    if (catalog)
        return catalog;
    char seconds[16];
    int n = snprintf(seconds, sizeof seconds, "%u", timeout_s);
    /* every "@T@" (3 bytes) becomes at most 10 digits */
    char *text = malloc(sizeof catalog_text * 4);
    if (!text)
        return NULL;
    size_t o = 0;
    for (const char *p = catalog_text; *p; p++) {
        if (strncmp(p, "@T@", 3) == 0) {
            memcpy(text + o, seconds, (size_t)n);
            o += (size_t)n;
            p += 2;
        } else {
            text[o++] = *p == '\'' ? '"' : *p;
        }
    }
    text[o] = '\0';
    catalog = cJSON_Parse(text);
    free(text);
    return catalog;
}

int mcp_tool_known(const char *name)
{
    const cJSON *tool;
    cJSON_ArrayForEach(tool, catalog) {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(tool, "name");
        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return 1;
    }
    return 0;
}
