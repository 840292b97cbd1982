/* SPDX-License-Identifier: MIT */
/*
 * The shell tools of ci_invoke_json() on real sessions: executeCommand
 * (its answer as executeCode's: content text and structuredContent),
 * startCommandExecution, getTask and stopTask (a task's life through
 * invoke, the task bound), files shared with the file tools and the
 * Python interpreter, the arguments each tool refuses, and host-isolation
 * probes a shell reaches, run through executeCommand.
 */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_common.h"

/* ------------------------------------------------------------- helpers */

/* {"name":tool,"arguments":{key:value}} through ci_invoke_json(). */
static cJSON *call1(ci_session *s, const char *tool, const char *key, const char *value)
{
    cJSON *req = cJSON_CreateObject();
    cJSON *args = cJSON_AddObjectToObject(req, "arguments");
    ck_assert_ptr_nonnull(cJSON_AddStringToObject(req, "name", tool));
    ck_assert_ptr_nonnull(cJSON_AddStringToObject(args, key, value));
    char *text = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    cJSON *answer = tc_invoke(s, text);
    cJSON_free(text);
    return answer;
}

static cJSON *command(ci_session *s, const char *line)
{
    return call1(s, "executeCommand", "command", line);
}

static const cJSON *sc_of(const cJSON *answer)
{
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(answer, "structuredContent");
    ck_assert_msg(cJSON_IsObject(sc), "no structuredContent");
    return sc;
}

/* A string member of the structuredContent (fails the test if absent). */
static const char *sc_str(const cJSON *answer, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sc_of(answer), name);
    ck_assert_msg(cJSON_IsString(v), "structuredContent.%s is not a string", name);
    return v->valuestring;
}

static double sc_num(const cJSON *answer, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(sc_of(answer), name);
    ck_assert_msg(cJSON_IsNumber(v), "structuredContent.%s is not a number", name);
    return v->valuedouble;
}

/* structuredContent.error.name of a problem answer. */
static const char *error_name(const cJSON *answer)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(sc_of(answer), "error");
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(e, "name");
    ck_assert_msg(cJSON_IsString(n), "no structuredContent.error.name: %s",
                  tc_invoke_text(answer));
    return n->valuestring;
}

/* A command that must succeed; its stdout (malloc'd). */
static char *command_ok(ci_session *s, const char *line)
{
    cJSON *a = command(s, line);
    ck_assert_msg(!tc_invoke_is_error(a), "%s: %s (stderr %s)", line, tc_invoke_text(a),
                  sc_str(a, "stderr"));
    ck_assert_str_eq(sc_str(a, "status"), "ok");
    char *out = strdup(sc_str(a, "stdout"));
    cJSON_Delete(a);
    return out;
}

static void expect_problem(ci_session *s, const char *request, const char *kind,
                           const char *needle)
{
    cJSON *a = tc_invoke(s, request);
    ck_assert_msg(tc_invoke_is_error(a), "accepted: %s", request);
    ck_assert_str_eq(error_name(a), kind);
    ck_assert_msg(strstr(tc_invoke_text(a), needle), "%s: the answer \"%s\" does not say \"%s\"",
                  request, tc_invoke_text(a), needle);
    ck_assert_str_eq(sc_str(a, "status"), "error");
    cJSON_Delete(a);
}

/* Starts a task; returns its id (malloc'd). */
static char *start_task(ci_session *s, const char *line)
{
    cJSON *a = call1(s, "startCommandExecution", "command", line);
    ck_assert_msg(!tc_invoke_is_error(a), "startCommandExecution %s: %s", line,
                  tc_invoke_text(a));
    ck_assert_str_eq(sc_str(a, "status"), "ok");
    char *id = strdup(sc_str(a, "taskId"));
    ck_assert_msg(strncmp(id, "task-", 5) == 0, "task id %s", id);
    ck_assert_msg(tc_one_of(sc_str(a, "taskStatus"), "submitted|working|completed"),
                  "taskStatus %s", sc_str(a, "taskStatus"));
    ck_assert_ptr_nonnull(strstr(tc_invoke_text(a), id));
    cJSON_Delete(a);
    return id;
}

/* getTask until the task is no longer submitted or working (30 s at most). */
static cJSON *wait_task(ci_session *s, const char *id)
{
    double give_up = tc_now_ms() + 30000.0;
    for (;;) {
        cJSON *a = call1(s, "getTask", "taskId", id);
        ck_assert_msg(!tc_invoke_is_error(a), "getTask %s: %s", id, tc_invoke_text(a));
        ck_assert_str_eq(sc_str(a, "taskId"), id);
        const char *state = sc_str(a, "taskStatus");
        if (!tc_one_of(state, "submitted|working"))
            return a;
        ck_assert_msg(tc_now_ms() < give_up, "task %s still %s after 30 s", id, state);
        cJSON_Delete(a);
        usleep(20000);
    }
}

/* getTask until the task's stdout holds `want` while it still runs. */
static void wait_task_output(ci_session *s, const char *id, const char *want)
{
    double give_up = tc_now_ms() + 30000.0;
    for (;;) {
        cJSON *a = call1(s, "getTask", "taskId", id);
        ck_assert_msg(!tc_invoke_is_error(a), "getTask %s: %s", id, tc_invoke_text(a));
        ck_assert_str_eq(sc_str(a, "taskStatus"), "working");
        int there = strstr(sc_str(a, "stdout"), want) != NULL;
        cJSON_Delete(a);
        if (there)
            return;
        ck_assert_msg(tc_now_ms() < give_up, "task %s did not write %s in 30 s", id, want);
        usleep(20000);
    }
}

/* ------------------------------------------------------ executeCommand */

START_TEST(command_outputs_and_exit_codes)
{
    ci_session *s = tc_session_new(NULL);

    cJSON *a = command(s, "echo out; echo err >&2");
    ck_assert_msg(!tc_invoke_is_error(a), "%s", tc_invoke_text(a));
    ck_assert_str_eq(tc_invoke_text(a), "out\nerr\n"); /* no traceback: stderr is shown */
    ck_assert_str_eq(sc_str(a, "stdout"), "out\n");
    ck_assert_str_eq(sc_str(a, "stderr"), "err\n");
    ck_assert_int_eq((int)sc_num(a, "exitCode"), 0);
    ck_assert_str_eq(sc_str(a, "status"), "ok");
    ck_assert_str_eq(sc_str(a, "language"), "shell");
    ck_assert(sc_num(a, "executionTime") > 0);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(sc_of(a), "error"));
    cJSON_Delete(a);

    /* a failed command is an error result with its exit code */
    a = command(s, "echo partial; echo 'no such thing' >&2; exit 3");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_int_eq((int)sc_num(a, "exitCode"), 3);
    ck_assert_str_eq(sc_str(a, "status"), "error");
    ck_assert_str_eq(sc_str(a, "stdout"), "partial\n");
    ck_assert_str_eq(sc_str(a, "stderr"), "no such thing\n");
    ck_assert_msg(strstr(tc_invoke_text(a), "partial\n") == tc_invoke_text(a), "%s",
                  tc_invoke_text(a));
    ck_assert_str_eq(tc_invoke_text(a), "partial\nno such thing\nExited with code 3.");
    cJSON_Delete(a);

    /* the shell's own failures: a missing program is 127 */
    a = command(s, "no-such-program-here");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_int_eq((int)sc_num(a, "exitCode"), 127);
    ck_assert_msg(strstr(sc_str(a, "stderr"), "not found"), "%s", sc_str(a, "stderr"));
    cJSON_Delete(a);

    /* killed by a signal: 128 + n */
    a = command(s, "kill -TERM $$");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_int_eq((int)sc_num(a, "exitCode"), 128 + 15);
    cJSON_Delete(a);

    /* pipelines, quoting and non-ASCII output pass through the JSON */
    char *out = command_ok(s, "printf 'a b\\n\\303\\251t\\303\\251\\n' | sort -r | tr a-z A-Z");
    ck_assert_str_eq(out, "\xc3\xa9T\xc3\xa9\nA B\n");
    free(out);

    /* the sandbox's shell: /workspace, its own user */
    out = command_ok(s, "pwd; echo $HOME; id -un");
    ck_assert_str_eq(out, "/workspace\n/workspace\nsandbox\n");
    free(out);

    /* the timeout argument: a timeout result, and the session goes on */
    a = tc_invoke(s, "{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"echo t; "
                     "sleep 60\",\"timeout\":1}}");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_str_eq(sc_str(a, "status"), "timeout");
    ck_assert(sc_num(a, "executionTime") < 30000);
    cJSON_Delete(a);
    out = command_ok(s, "echo after");
    ck_assert_str_eq(out, "after\n");
    free(out);
    ci_session_destroy(s);
}
END_TEST

START_TEST(command_fresh_shell_per_call)
{
    ci_session *s = tc_session_new(NULL);
    /* variables, exports and cd do not carry over: each call is a new sh -c */
    free(command_ok(s, "export CI_LEAK=1; CI_LOCAL=2; mkdir -p sub; cd sub"));
    char *out = command_ok(s, "echo \"[${CI_LEAK-unset}][${CI_LOCAL-unset}]\"; pwd");
    ck_assert_str_eq(out, "[unset][unset]\n/workspace\n");
    free(out);
    /* nor into the Python interpreter of the same session */
    tc_assert_py(s, "import os; print(os.environ.get('CI_LEAK', 'unset'))", "unset\n");

    /* executeCommand takes no env or cwd: refused by name, not ignored */
    expect_problem(s, "{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"env\","
                      "\"env\":{\"CI_LEAK\":\"1\"}}}", "UnknownArgument", "\"env\"");
    expect_problem(s, "{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"pwd\","
                      "\"cwd\":\"sub\"}}", "UnknownArgument", "\"cwd\"");
    /* a null member counts as absent */
    cJSON *a = tc_invoke(s, "{\"name\":\"executeCommand\",\"arguments\":{\"command\":"
                            "\"echo ${CI_LEAK-unset}\",\"env\":null,\"timeout\":null}}");
    ck_assert_msg(!tc_invoke_is_error(a), "%s", tc_invoke_text(a));
    ck_assert_str_eq(sc_str(a, "stdout"), "unset\n");
    cJSON_Delete(a);
    ci_session_destroy(s);
}
END_TEST

START_TEST(command_arguments_refused)
{
    ci_session *s = tc_session_new(NULL);
    static const struct { const char *request, *kind, *needle; } bad[] = {
        {"{\"name\":\"executeCommand\"}", "InvalidRequest", "\"arguments\" must be an object"},
        {"{\"name\":\"executeCommand\",\"arguments\":[]}", "InvalidRequest", "object"},
        {"{\"name\":\"executeCommand\",\"arguments\":{}}", "InvalidRequest",
         "\"arguments.command\" must be a non-empty string"},
        {"{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"\"}}", "InvalidRequest",
         "\"arguments.command\""},
        {"{\"name\":\"executeCommand\",\"arguments\":{\"command\":42}}", "InvalidRequest",
         "\"arguments.command\""},
        {"{\"name\":\"executeCommand\",\"arguments\":{\"command\":[\"ls\"]}}", "InvalidRequest",
         "\"arguments.command\""},
        {"{\"name\":\"executeCommand\",\"arguments\":{\"code\":\"ls\"}}", "UnknownArgument",
         "\"code\""},
        {"{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"echo a\\u0000rm x\"}}",
         "InvalidRequest", "NUL"},
        {"{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"true\",\"timeout\":0}}",
         "InvalidRequest", "\"arguments.timeout\""},
        {"{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"true\",\"timeout\":\"1\"}}",
         "InvalidRequest", "\"arguments.timeout\""},
        {"{\"name\":\"startCommandExecution\",\"arguments\":{}}", "InvalidRequest",
         "\"arguments.command\""},
        {"{\"name\":\"startCommandExecution\",\"arguments\":{\"command\":true}}",
         "InvalidRequest", "\"arguments.command\""},
        {"{\"name\":\"startCommandExecution\",\"arguments\":{\"command\":\"sleep 1\","
         "\"timeout\":5}}", "UnknownArgument", "\"timeout\""},
        {"{\"name\":\"getTask\",\"arguments\":{}}", "InvalidRequest", "\"arguments.taskId\""},
        {"{\"name\":\"getTask\",\"arguments\":{\"taskId\":1}}", "InvalidRequest",
         "\"arguments.taskId\""},
        {"{\"name\":\"getTask\",\"arguments\":{\"task_id\":\"task-1\"}}", "UnknownArgument",
         "\"task_id\""},
        {"{\"name\":\"stopTask\",\"arguments\":{\"taskId\":\"\"}}", "InvalidRequest",
         "\"arguments.taskId\""},
        {"{\"name\":\"stopTask\",\"arguments\":{\"taskId\":\"task-1\\u0000x\"}}",
         "InvalidRequest", "NUL"},
        {"{\"name\":\"executecommand\",\"arguments\":{\"command\":\"ls\"}}", "UnknownTool",
         "executeCommand, startCommandExecution, getTask, stopTask"},
        /* shell commands have their own tool, not a language of executeCode */
        {"{\"name\":\"executeCode\",\"arguments\":{\"code\":\"ls\",\"language\":\"shell\"}}",
         "UnknownLanguage", "executeCommand"},
        /* the file tools' pages and caps */
        {"{\"name\":\"listFiles\",\"arguments\":{\"cursor\":\"x\"}}", "UnknownArgument",
         "directoryPath, limit, nextToken"},
        {"{\"name\":\"listFiles\",\"arguments\":{\"limit\":-1}}", "InvalidRequest",
         "from 1 to 10000"},
        {"{\"name\":\"listFiles\",\"arguments\":{\"nextToken\":\"not base64\"}}",
         "InvalidRequest", "\"arguments.nextToken\""},
        {"{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"a\",\"/workspace/a\"]}}",
         "InvalidRequest", "same file"},
        {"{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"/etc/passwd\"]}}",
         "InvalidPath", "/output/"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_problem(s, bad[i].request, bad[i].kind, bad[i].needle);
    /* nothing of the refused calls ran, and the session still works */
    char *out = command_ok(s, "ls -A | wc -l");
    ck_assert_str_eq(out, "0\n");
    free(out);
    ci_session_destroy(s);
}
END_TEST

START_TEST(command_files_shared)
{
    ci_session *s = tc_session_new(NULL);
    free(command_ok(s, "mkdir -p out && printf 'made by sh\\n' > out/sh.txt && "
                       "seq 1 5 > out/n.csv && head -c 300 /dev/zero > out/zero.bin"));

    /* readFiles: the bytes the command wrote */
    cJSON *a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":"
                            "[\"out/sh.txt\",\"out/n.csv\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "readFiles: %s", tc_invoke_text(a));
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(a, "content");
    ck_assert_int_eq(cJSON_GetArraySize(content), 2);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(content, 0),
                                                        "resource");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "uri")->valuestring,
                     "file:///workspace/out/sh.txt");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "text")->valuestring, "made by sh\n");
    res = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(content, 1), "resource");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "text")->valuestring,
                     "1\n2\n3\n4\n5\n");
    cJSON_Delete(a);

    /* listFiles: names, types and sizes */
    a = tc_invoke(s, "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"out\"}}");
    ck_assert_msg(!tc_invoke_is_error(a), "listFiles: %s", tc_invoke_text(a));
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(sc_of(a), "files");
    ck_assert_int_eq(cJSON_GetArraySize(files), 3);
    int seen = 0;
    const cJSON *f;
    cJSON_ArrayForEach(f, files) {
        const char *name = cJSON_GetObjectItemCaseSensitive(f, "name")->valuestring;
        double size = cJSON_GetObjectItemCaseSensitive(f, "size")->valuedouble;
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(f, "type")->valuestring, "file");
        if (strcmp(name, "zero.bin") == 0 && size == 300)
            seen |= 1;
        else if (strcmp(name, "sh.txt") == 0 && size == 11)
            seen |= 2;
        else if (strcmp(name, "n.csv") == 0 && size == 10)
            seen |= 4;
    }
    ck_assert_int_eq(seen, 7);
    cJSON_Delete(a);

    /* the session's Python sees them, and what Python writes the shell reads */
    a = tc_invoke(s, "{\"name\":\"executeCode\",\"arguments\":{\"code\":\"import csv\\n"
                     "print(sum(int(r[0]) for r in csv.reader(open('out/n.csv'))))\\n"
                     "open('py.txt', 'w').write('from python')\",\"language\":\"python\"}}");
    ck_assert_msg(!tc_invoke_is_error(a), "executeCode: %s", tc_invoke_text(a));
    ck_assert_str_eq(sc_str(a, "stdout"), "15\n");
    cJSON_Delete(a);
    char *out = command_ok(s, "cat py.txt; echo; wc -c < out/zero.bin");
    ck_assert_str_eq(out, "from python\n300\n");
    free(out);

    /* writeFiles, then the shell; removeFiles, then the shell */
    a = tc_invoke(s, "{\"name\":\"writeFiles\",\"arguments\":{\"content\":[{\"path\":"
                     "\"in/w.txt\",\"text\":\"written\"}]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "writeFiles: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    out = command_ok(s, "cat in/w.txt");
    ck_assert_str_eq(out, "written");
    free(out);
    a = tc_invoke(s, "{\"name\":\"removeFiles\",\"arguments\":{\"paths\":[\"out/sh.txt\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "removeFiles: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    out = command_ok(s, "ls out");
    ck_assert_str_eq(out, "n.csv\nzero.bin\n");
    free(out);

    /* /output: what a command leaves there is read and listed by its
     * absolute name, and what the tools write there the shell sees */
    free(command_ok(s, "mkdir -p /output/rep && printf 'r1' > /output/rep/r.txt"));
    a = tc_invoke(s, "{\"name\":\"readFiles\",\"arguments\":{\"paths\":[\"/output/rep/r.txt\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "readFiles: %s", tc_invoke_text(a));
    res = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "content"), 0), "resource");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "uri")->valuestring,
                     "file:///output/rep/r.txt");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "text")->valuestring, "r1");
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"writeFiles\",\"arguments\":{\"content\":[{\"path\":"
                     "\"/output/rep/w.txt\",\"text\":\"w1\"}]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "writeFiles: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    out = command_ok(s, "cat /output/rep/w.txt");
    ck_assert_str_eq(out, "w1");
    free(out);
    a = tc_invoke(s, "{\"name\":\"listFiles\",\"arguments\":{\"directoryPath\":\"/output/rep\"}}");
    files = cJSON_GetObjectItemCaseSensitive(sc_of(a), "files");
    ck_assert_int_eq(cJSON_GetArraySize(files), 2);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(files, 0), "name")
                         ->valuestring, "r.txt");
    cJSON_Delete(a);
    a = tc_invoke(s, "{\"name\":\"removeFiles\",\"arguments\":{\"paths\":[\"/output/rep\"]}}");
    ck_assert_msg(!tc_invoke_is_error(a), "removeFiles: %s", tc_invoke_text(a));
    cJSON_Delete(a);
    out = command_ok(s, "ls -A /output | wc -l");
    ck_assert_str_eq(out, "0\n");
    free(out);
    ci_session_destroy(s);
}
END_TEST

/* ---------------------------------------------------------------- tasks */

START_TEST(task_runs_to_completion)
{
    ci_session *s = tc_session_new(NULL);
    char *id = start_task(s, "echo begin; sleep 0.3; echo done; echo warn >&2; exit 4");
    cJSON *a = wait_task(s, id);
    ck_assert_str_eq(sc_str(a, "taskStatus"), "completed");
    ck_assert_int_eq((int)sc_num(a, "exitCode"), 4);
    ck_assert_str_eq(sc_str(a, "stdout"), "begin\ndone\n");
    ck_assert_str_eq(sc_str(a, "stderr"), "warn\n");
    ck_assert_str_eq(sc_str(a, "status"), "ok");
    ck_assert_int_eq((int)sc_num(a, "stdoutEnd"), 11);
    ck_assert_int_eq((int)sc_num(a, "stdoutDropped"), 0);
    ck_assert(sc_num(a, "wallMs") >= 250);
    /* the text holds both streams and the end */
    char *want = tc_printf("begin\ndone\nwarn\nTask %s completed with exit code 4.", id);
    ck_assert_str_eq(tc_invoke_text(a), want);
    free(want);
    /* a task that ended is not an error of the call */
    ck_assert(!tc_invoke_is_error(a));
    cJSON_Delete(a);

    /* executions go on while a task runs, and the task sees the same files */
    char *id2 = start_task(s, "while [ ! -e go ]; do sleep 0.02; done; cat go");
    ck_assert_str_ne(id2, id);
    free(command_ok(s, "echo green > go"));
    a = wait_task(s, id2);
    ck_assert_str_eq(sc_str(a, "taskStatus"), "completed");
    ck_assert_int_eq((int)sc_num(a, "exitCode"), 0);
    ck_assert_str_eq(sc_str(a, "stdout"), "green\n");
    cJSON_Delete(a);

    /* a task's working directory is /workspace and it writes files there */
    char *id3 = start_task(s, "pwd > where.txt");
    cJSON_Delete(wait_task(s, id3));
    tc_assert_py(s, "print(open('where.txt').read(), end='')", "/workspace\n");

    /* stopping a task that had already ended keeps its state */
    a = call1(s, "stopTask", "taskId", id);
    ck_assert_msg(!tc_invoke_is_error(a), "%s", tc_invoke_text(a));
    ck_assert_str_eq(sc_str(a, "taskStatus"), "completed");
    ck_assert_int_eq((int)sc_num(a, "exitCode"), 4);
    cJSON_Delete(a);
    free(id);
    free(id2);
    free(id3);
    ci_session_destroy(s);
}
END_TEST

START_TEST(task_stopped_and_unknown)
{
    ci_session *s = tc_session_new(NULL);
    char *id = start_task(s, "echo up; exec sleep 300");
    wait_task_output(s, id, "up\n");
    double t0 = tc_now_ms();
    cJSON *a = call1(s, "stopTask", "taskId", id);
    ck_assert_msg(!tc_invoke_is_error(a), "stopTask: %s", tc_invoke_text(a));
    ck_assert_msg(tc_now_ms() - t0 < 10000, "stopTask took %.0f ms", tc_now_ms() - t0);
    ck_assert_str_eq(sc_str(a, "taskStatus"), "canceled");
    ck_assert_int_eq((int)sc_num(a, "exitCode"), 128 + 9);
    ck_assert_str_eq(sc_str(a, "stdout"), "up\n");
    ck_assert_msg(strstr(tc_invoke_text(a), "canceled"), "%s", tc_invoke_text(a));
    cJSON_Delete(a);
    /* and it stays canceled */
    a = call1(s, "getTask", "taskId", id);
    ck_assert_str_eq(sc_str(a, "taskStatus"), "canceled");
    cJSON_Delete(a);

    /* unknown ids: an error naming the problem, for get and stop alike */
    static const char *const unknown[] = { "task-999", "task-0", "nope", "task-1x", "TASK-1" };
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        for (int stop = 0; stop < 2; stop++) {
            a = call1(s, stop ? "stopTask" : "getTask", "taskId", unknown[i]);
            ck_assert_msg(tc_invoke_is_error(a), "%s accepted", unknown[i]);
            ck_assert_str_eq(error_name(a), "NoSuchTask");
            ck_assert_str_eq(sc_str(a, "status"), "error");
            ck_assert_msg(strstr(tc_invoke_text(a), unknown[i]), "%s", tc_invoke_text(a));
            cJSON_Delete(a);
        }
    }
    /* the session's task ids go on: the next one is new */
    char *next = start_task(s, "true");
    ck_assert_str_ne(next, id);
    cJSON_Delete(wait_task(s, next));
    free(next);
    free(id);
    ci_session_destroy(s);
}
END_TEST

START_TEST(task_bound_through_invoke)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_max_tasks, 2);

    char *t1 = start_task(s, "exec sleep 300");
    char *t2 = start_task(s, "exec sleep 300");
    cJSON *a = call1(s, "startCommandExecution", "command", "echo third");
    ck_assert_msg(tc_invoke_is_error(a), "a third task started: %s", tc_invoke_text(a));
    ck_assert_str_eq(error_name(a), "TooManyTasks");
    ck_assert_msg(strstr(tc_invoke_text(a), "limit 2"), "%s", tc_invoke_text(a));
    cJSON_Delete(a);

    /* commands are not tasks: executeCommand still runs */
    char *out = command_ok(s, "echo still");
    ck_assert_str_eq(out, "still\n");
    free(out);

    /* a stopped task frees its place */
    a = call1(s, "stopTask", "taskId", t1);
    ck_assert_str_eq(sc_str(a, "taskStatus"), "canceled");
    cJSON_Delete(a);
    char *t3 = start_task(s, "echo third");
    a = wait_task(s, t3);
    ck_assert_str_eq(sc_str(a, "stdout"), "third\n");
    cJSON_Delete(a);
    /* an ended one too: t3 completed, so one more fits beside t2 */
    char *t4 = start_task(s, "exec sleep 300");
    a = call1(s, "startCommandExecution", "command", "true");
    ck_assert_str_eq(error_name(a), "TooManyTasks");
    cJSON_Delete(a);
    cJSON_Delete(call1(s, "stopTask", "taskId", t2));
    cJSON_Delete(call1(s, "stopTask", "taskId", t4));
    free(t1);
    free(t2);
    free(t3);
    free(t4);
    ci_session_destroy(s);
}
END_TEST

START_TEST(task_output_limit_and_lost)
{
    ci_session *s = TC_SESSION_WITH(ci_config_set_task_output_limit, 4096);

    /* past the limit the oldest bytes go, counted, and the text says so */
    char *id = start_task(s, "head -c 10000 /dev/zero | tr '\\0' x; echo; echo end");
    cJSON *a = wait_task(s, id);
    ck_assert_str_eq(sc_str(a, "taskStatus"), "completed");
    const char *out = sc_str(a, "stdout");
    ck_assert_uint_eq(strlen(out), 4096);
    ck_assert_str_eq(out + 4096 - 5, "\nend\n");
    ck_assert_int_eq((int)sc_num(a, "stdoutEnd"), 10005);
    ck_assert_int_eq((int)sc_num(a, "stdoutDropped"), 10005 - 4096);
    ck_assert_int_eq((int)sc_num(a, "stdoutOffset"), 10005 - 4096);
    ck_assert_msg(strstr(tc_invoke_text(a), "The first 5909 bytes of its stdout were dropped"),
                  "%.200s", tc_invoke_text(a) + strlen(tc_invoke_text(a)) - 200);
    cJSON_Delete(a);
    free(id);

    /* an execution's timeout kills every process of the sandbox, the
     * tasks' shell interpreter too: the task is reported lost */
    id = start_task(s, "echo a; exec sleep 300");
    wait_task_output(s, id, "a\n");
    a = tc_invoke(s, "{\"name\":\"executeCommand\",\"arguments\":{\"command\":\"sleep 60\","
                     "\"timeout\":0.5}}");
    ck_assert_str_eq(sc_str(a, "status"), "timeout");
    cJSON_Delete(a);
    for (int stop = 0; stop < 2; stop++) {
        a = call1(s, stop ? "stopTask" : "getTask", "taskId", id);
        ck_assert_msg(!tc_invoke_is_error(a), "%s", tc_invoke_text(a));
        ck_assert_str_eq(sc_str(a, "taskStatus"), "failed");
        ck_assert_msg(strstr(sc_str(a, "error"), "lost"), "%s", sc_str(a, "error"));
        ck_assert_ptr_nonnull(strstr(tc_invoke_text(a), "failed: lost"));
        cJSON_Delete(a);
    }
    /* and the next task gets a new interpreter */
    char *next = start_task(s, "echo again");
    a = wait_task(s, next);
    ck_assert_str_eq(sc_str(a, "taskStatus"), "completed");
    ck_assert_str_eq(sc_str(a, "stdout"), "again\n");
    cJSON_Delete(a);
    free(next);
    free(id);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------------ isolation */

/*
 * The shell-reachable probes of the security suites, through
 * executeCommand: the host's secrets, its users, its root's home, services
 * on its loopback, and where the sandbox's processes stand on the host.
 */
START_TEST(command_isolation_probes)
{
    char secret[33];
    tc_random_hex(secret, 32);
    char *dir = tc_make_temp_dir("ci-invoke-secret");
    char *path = tc_printf("%s/secret", dir);
    tc_write_file(path, secret, 0644);

    struct tc_listeners l;
    tc_listeners_open(&l);
    ci_session *s = tc_session_new(NULL);

    /* host files: a world-readable file of the host's /tmp, /etc/shadow */
    char *line = tc_printf("cat %s", path);
    cJSON *a = command(s, line);
    ck_assert_msg(tc_invoke_is_error(a), "the host's /tmp file was readable");
    ck_assert_ptr_null(strstr(sc_str(a, "stdout"), secret));
    cJSON_Delete(a);
    free(line);
    a = command(s, "cat /etc/shadow");
    ck_assert(tc_invoke_is_error(a));
    ck_assert_ptr_null(strstr(sc_str(a, "stdout"), "root:"));
    cJSON_Delete(a);
    a = command(s, "ls -A /root");
    ck_assert_msg(tc_invoke_is_error(a) || !*sc_str(a, "stdout"), "/root lists: %s",
                  sc_str(a, "stdout"));
    cJSON_Delete(a);

    /* the user: not root inside, and mapped to an unprivileged host uid */
    char *out = command_ok(s, "id -u; cat /proc/self/uid_map");
    unsigned uid_in = 0, inside = 0, outside = 0, count = 0;
    ck_assert_msg(sscanf(out, "%u %u %u %u", &uid_in, &inside, &outside, &count) == 4,
                  "id -u and uid_map: %s", out);
    ck_assert_msg(uid_in != 0 && uid_in == inside && outside != 0 && count == 1, "uid map: %s", out);
    free(out);

    /* the host's loopback services: nothing reaches them (bash's /dev/tcp,
     * the shell's way to open a socket; loopback only) */
    line = tc_printf("bash -c 'exec 3<>/dev/tcp/127.0.0.1/%d && echo CONNECTED'", l.port4);
    a = command(s, line);
    ck_assert_msg(tc_invoke_is_error(a), "connected to the host's 127.0.0.1:%d", l.port4);
    ck_assert_ptr_null(strstr(sc_str(a, "stdout"), "CONNECTED"));
    ck_assert_msg(strstr(sc_str(a, "stderr"), "refused") || strstr(sc_str(a, "stderr"),
                  "unreachable"), "bash said: %s", sc_str(a, "stderr"));
    cJSON_Delete(a);
    ck_assert_int_eq(tc_pending(l.tcp4), 0);
    free(line);
    if (l.port6) {
        line = tc_printf("bash -c 'exec 3<>/dev/tcp/::1/%d && echo CONNECTED'", l.port6);
        a = command(s, line);
        ck_assert(tc_invoke_is_error(a));
        ck_assert_int_eq(tc_pending(l.tcp6), 0);
        cJSON_Delete(a);
        free(line);
    }
    /* the host's unix socket under /tmp is not in the sandbox's /tmp */
    line = tc_printf("test -e %s && echo THERE || echo absent", l.path);
    out = command_ok(s, line);
    ck_assert_str_eq(out, "absent\n");
    free(out);
    free(line);

    /* a task's processes run on the host under an unprivileged uid, and
     * stopTask leaves none of them behind */
    char marker[40] = "ci-invoke-";
    tc_random_hex(marker + 10, 16);
    line = tc_printf("exec python3 -c 'import time; time.sleep(300)' %s", marker);
    char *id = start_task(s, line);
    free(line);
    uid_t uid = tc_wait_marked(marker);
    ck_assert_msg(uid != 0 && uid != getuid(), "the task runs as host uid %u", (unsigned)uid);
    a = call1(s, "stopTask", "taskId", id);
    ck_assert_str_eq(sc_str(a, "taskStatus"), "canceled");
    cJSON_Delete(a);
    ck_assert_uint_eq(tc_wait_marker_gone(marker, 5000), 0);
    free(id);

    ci_session_destroy(s);
    tc_listeners_close(&l);
    tc_remove_tree(dir);
    free(dir);
    free(path);
}
END_TEST

static Suite *invoke_suite(void)
{
    Suite *s = suite_create("invoke");
    TCase *tc = tcase_create("command");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, command_outputs_and_exit_codes);
    tcase_add_test(tc, command_fresh_shell_per_call);
    tcase_add_test(tc, command_arguments_refused);
    tcase_add_test(tc, command_files_shared);
    suite_add_tcase(s, tc);

    tc = tcase_create("tasks");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, task_runs_to_completion);
    tcase_add_test(tc, task_stopped_and_unknown);
    tcase_add_test(tc, task_bound_through_invoke);
    tcase_add_test(tc, task_output_limit_and_lost);
    suite_add_tcase(s, tc);

    tc = tcase_create("isolation");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, command_isolation_probes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(invoke_suite());
}
