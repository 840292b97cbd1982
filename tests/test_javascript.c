/* SPDX-License-Identifier: MIT */
/* Suite 'javascript': the JavaScript and TypeScript runners seen through the
 * public API: state kept between calls, values, TypeScript features, import
 * forms, the pre-installed npm libraries, errors and their stacks, async
 * code, output streaming and the execution time limit. */
#include "test_common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static ci_exec_options *js_options(ci_language language, uint64_t timeout_ms)
{
    ci_exec_options *o = tc_options_new(timeout_ms);
    ck_assert_int_eq(ci_exec_options_set_language(o, language), 0);
    return o;
}

/* Runs code and requires CI_STATUS_OK and the given value (NULL: none). */
static ci_result *expect_value(ci_session *s, const ci_exec_options *o, const char *code,
                               const char *value)
{
    ci_result *r = tc_exec_ok(s, code, o);
    const char *v = ci_result_value(r);
    if (value) {
        ck_assert_msg(v != NULL, "%s: no value", code);
        ck_assert_msg(strcmp(v, value) == 0, "%s: value %s, wanted %s", code, v, value);
    } else {
        ck_assert_msg(v == NULL, "%s: value %s, wanted none", code, v);
    }
    return r;
}

static void check_value(ci_session *s, const ci_exec_options *o, const char *code,
                        const char *value)
{
    ci_result_free(expect_value(s, o, code, value));
}

/* Requires CI_STATUS_ERROR, the error name (NULL: any), and each needle in
 * the traceback. */
static void expect_error(ci_session *s, const ci_exec_options *o, const char *code,
                         const char *name, const char *const *needles)
{
    ci_result *r = tc_exec(s, code, o);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 1);
    ck_assert_ptr_nonnull(ci_result_error_name(r));
    ck_assert_msg(!name || strcmp(ci_result_error_name(r), name) == 0, "%s: error %s, wanted %s",
                  code, ci_result_error_name(r), name);
    const char *tb = ci_result_error_traceback(r);
    ck_assert_ptr_nonnull(tb);
    for (size_t i = 0; needles && needles[i]; i++)
        ck_assert_msg(strstr(tb, needles[i]) != NULL, "%s: traceback lacks \"%s\":\n%s", code,
                      needles[i], tb);
    /* the kernel's own frames are not shown */
    ck_assert_msg(strstr(tb, "/opt/codeinterp/kernels/") == NULL && strstr(tb, "node:vm") == NULL,
                  "kernel frames in the traceback:\n%s", tb);
    ci_result_free(r);
}

/* ----------------------------------------------------------------- state */

START_TEST(javascript_state_persists)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_JAVASCRIPT, 0);

    check_value(s, o, "const x = 41", NULL);
    ci_result *r = expect_value(s, o, "x + 1", "42");
    ck_assert_int_eq(ci_result_language(r), CI_LANGUAGE_JAVASCRIPT);
    ck_assert_int_eq(ci_result_exit_code(r), 0);
    ck_assert_ptr_null(ci_result_error_name(r));
    ck_assert_str_eq(tc_stdout(r), "");
    ci_result_free(r);

    /* let, function, class, destructuring, require()d modules */
    check_value(s, o,
                "let counter = 1\n"
                "function twice(v) { return 2 * v }\n"
                "class Greeter { hello(n) { return `hi ${n}` } }\n"
                "const { a, b: [c] } = { a: 3, b: [4] }\n"
                "const path = require('path')",
                NULL);
    check_value(s, o, "counter += twice(a + c); counter", "15");
    check_value(s, o, "new Greeter().hello(path.basename('/x/y.txt'))", "'hi y.txt'");
    /* declaring a name again in a later cell is not an error */
    check_value(s, o, "const x = 'again'; x", "'again'");
    check_value(s, o, "class Greeter { hello() { return 'new' } }; new Greeter().hello()", "'new'");

    /* values as node's util.inspect shows them; undefined is no value */
    check_value(s, o, "({ n: 1, s: 'two', l: [1, 2] })", "{ n: 1, s: 'two', l: [ 1, 2 ] }");
    check_value(s, o, "undefined", NULL);
    check_value(s, o, "null", "null");
    check_value(s, o, "console.log('printed')", NULL);
    check_value(s, o, "let unset", NULL);
    check_value(s, o, "new Map([[1, 'a']])", "Map(1) { 1 => 'a' }");

    r = tc_exec_ok(s, "console.log('out'); console.error('err'); 7", o);
    ck_assert_str_eq(tc_stdout(r), "out\n");
    ck_assert_str_eq(tc_stderr(r), "err\n");
    ck_assert_str_eq(ci_result_value(r), "7");
    ci_result_free(r);

    /* the languages have their own contexts in the same session */
    ci_exec_options *py = tc_options_new(0);
    r = tc_exec_ok(s, "x = 'python'\nx", py);
    ck_assert_str_eq(ci_result_value(r), "'python'");
    ci_result_free(r);
    check_value(s, o, "x", "'again'");
    ci_exec_options_free(py);

    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(javascript_clear_context)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_JAVASCRIPT, 0);
    check_value(s, o, "const kept = 1; fs.writeFileSync('keep.txt', 'kept')", NULL);

    ci_exec_options *clear = js_options(CI_LANGUAGE_JAVASCRIPT, 0);
    ck_assert_int_eq(ci_exec_options_set_clear_context(clear, 1), 0);
    static const char *const not_defined[] = {"kept is not defined", NULL};
    expect_error(s, clear, "kept", "ReferenceError", not_defined);
    /* files in /workspace survive the restart */
    check_value(s, o, "fs.readFileSync('keep.txt', 'utf8')", "'kept'");
    ci_exec_options_free(clear);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(process_exit_code)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_JAVASCRIPT, 0);
    check_value(s, o, "const survivor = 'still here'", NULL);

    ci_result *r = tc_exec(s, "console.log('before'); process.exit(3); console.log('after')", o);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 3);
    ck_assert_str_eq(tc_stdout(r), "before\n");
    ci_result_free(r);

    /* the interpreter and its state outlive process.exit() */
    check_value(s, o, "process.exit(0)", NULL);
    check_value(s, o, "survivor", "'still here'");
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(typescript_state_and_features)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_TYPESCRIPT, 0);

    check_value(s, o, "const x: number = 41", NULL);
    ci_result *r = expect_value(s, o, "x + 1", "42");
    ck_assert_int_eq(ci_result_language(r), CI_LANGUAGE_TYPESCRIPT);
    ci_result_free(r);

    check_value(s, o,
                "interface Point { x: number; y: number }\n"
                "type Label = string | number\n"
                "enum Color { Red, Green = 5, Blue }\n"
                "function first<T>(items: T[]): T { return items[0] }\n"
                "class Box<T> {\n"
                "  constructor(private readonly value: T) {}\n"
                "  get(): T { return this.value }\n"
                "}\n"
                "const origin: Point = { x: 0, y: 0 }\n"
                "let label: Label = 'p'",
                NULL);
    check_value(s, o, "[Color.Green, Color[6], first<string>(['a', 'b']), new Box<number>(7).get()]",
                "[ 5, 'Blue', 'a', 7 ]");
    check_value(s, o, "const moved: Point = { ...origin, x: 2 } satisfies Point; moved",
                "{ x: 2, y: 0 }");
    check_value(s, o, "label = 3; label as number", "3");
    /* no type checking: a type error still runs */
    check_value(s, o, "const wrong: number = 'text' as any as number; wrong", "'text'");
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* ------------------------------------------------------------- libraries */

static void library_cells(ci_session *s, const ci_exec_options *o)
{
    /* both import forms, persisting into the next cells */
    check_value(s, o, "import _ from 'lodash'\nimport { parse } from 'csv-parse/sync'", NULL);
    check_value(s, o, "_.chunk([1, 2, 3, 4, 5], 2)", "[ [ 1, 2 ], [ 3, 4 ], [ 5 ] ]");
    check_value(s, o, "import moment from 'moment'", NULL);
    check_value(s, o, "moment.utc('2024-02-29T13:45:00Z').format('dddd, MMMM Do YYYY, HH:mm')",
                "'Thursday, February 29th 2024, 13:45'");
    /* a CSV written by one cell, read by the next */
    check_value(s, o,
                "fs.writeFileSync('/workspace/people.csv', 'name,age\\nada,36\\nalan,41\\n')",
                NULL);
    check_value(s, o,
                "const rows = parse(fs.readFileSync('/workspace/people.csv'), { columns: true })\n"
                "rows.map((r) => `${r.name}:${Number(r.age) + 1}`).join(' ')",
                "'ada:37 alan:42'");
    /* require() and named / namespace imports of the same libraries */
    check_value(s, o,
                "import { sum } from 'lodash'\n"
                "import * as csv from 'csv-parse/sync'\n"
                "const axios = require('axios');\n"
                "[sum([1, 2]), typeof csv.parse, typeof axios.get, typeof require('moment')]",
                "[ 3, 'function', 'function', 'function' ]");
}

START_TEST(javascript_libraries)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_JAVASCRIPT, 0);
    library_cells(s, o);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(typescript_libraries)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_TYPESCRIPT, 0);
    library_cells(s, o);
    /* a typed use and an import only types use (TypeScript drops those) */
    check_value(s, o,
                "import type { Moment } from 'moment'\n"
                "import { NoSuchType } from './not-a-module'\n"
                "const when: Moment = moment.utc(0)\n"
                "const n: NoSuchType | number = 1\n"
                "when.year() + n",
                "1971");
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* A TCP listener on the host's 127.0.0.1: the sandbox has its own network
 * namespace, so a request to it must fail at once, not reach it. */
START_TEST(axios_without_network)
{
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ck_assert_int_ge(lfd, 0);
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(listen(lfd, 8), 0);
    socklen_t alen = sizeof addr;
    ck_assert_int_eq(getsockname(lfd, (struct sockaddr *)&addr, &alen), 0);
    unsigned port = ntohs(addr.sin_port);

    ci_session *s = tc_session_new(NULL);
    static const ci_language langs[] = { CI_LANGUAGE_JAVASCRIPT, CI_LANGUAGE_TYPESCRIPT };
    for (size_t i = 0; i < 2; i++) {
        ci_exec_options *o = js_options(langs[i], 30000);
        char *code = tc_printf(
            "import axios from 'axios'\n"
            "let outcome = 'reached'\n"
            "try {\n"
            "  await axios.get('http://127.0.0.1:%u/', { timeout: 20000 })\n"
            "} catch (e) {\n"
            "  outcome = e.code\n"
            "}\n"
            "outcome",
            port);
        double t0 = tc_now_ms();
        ci_result *r = expect_value(s, o, code, "'ECONNREFUSED'");
        double took = tc_now_ms() - t0;
        ck_assert_msg(took < 10000.0, "the refused request took %.0f ms", took);
        ci_result_free(r);
        free(code);

        /* uncaught, it is the cell's error (axios names it after the
         * socket's error: "Error") */
        code = tc_printf("\nawait axios.get('http://127.0.0.1:%u/')", port);
        static const char *const refused[] = {"ECONNREFUSED", "<cell", ">:2:", NULL};
        expect_error(s, o, code, NULL, refused);
        free(code);
        ci_exec_options_free(o);
    }
    ci_session_destroy(s);

    /* nothing reached the host's listener */
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 0), 0);
    close(lfd);
}
END_TEST

/* ---------------------------------------------------------------- errors */

START_TEST(errors_name_user_lines)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *js = js_options(CI_LANGUAGE_JAVASCRIPT, 0);
    ci_exec_options *ts = js_options(CI_LANGUAGE_TYPESCRIPT, 0);

    ci_result *r = tc_exec(s,
                           "console.log('before')\n"
                           "function inner() {\n"
                           "  return null.field\n"
                           "}\n"
                           "inner()",
                           js);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_int_eq(ci_result_exit_code(r), 1);
    ck_assert_str_eq(ci_result_error_name(r), "TypeError");
    ck_assert_msg(strstr(ci_result_error_value(r), "reading 'field'") != NULL, "value: %s",
                  ci_result_error_value(r));
    ck_assert_str_eq(tc_stdout(r), "before\n");
    ck_assert_msg(strstr(tc_stderr(r), "at inner (<cell") != NULL, "stderr: %s", tc_stderr(r));
    ci_result_free(r);

    static const char *const js_lines[] = {"at inner (<cell", ">:3:", ">:5:1", NULL};
    expect_error(s, js, "\n\nfunction inner() {\n  throw new RangeError('deep')\n}\ninner()",
                 "RangeError", (const char *const[]){">:4:", ">:6:1", "RangeError: deep", NULL});
    expect_error(s, js, "console.log(1)\nfunction inner() {\n  return null.field\n}\ninner()",
                 "TypeError", js_lines);

    /* TypeScript: esbuild drops the types, comments and blank lines; the
     * stack still names the lines of the TypeScript source */
    static const char *const ts_lines[] = {"at check (<cell", ">:7:", ">:10:1",
                                           "Error: negative: -1", NULL};
    expect_error(s, ts,
                 "// a comment\n"
                 "\n"
                 "interface Options { strict: boolean }\n"
                 "type N = number\n"
                 "function check(n: N, o: Options): N {\n"
                 "  if (o.strict && n < 0)\n"
                 "    throw new Error(`negative: ${n}`)\n"
                 "  return n\n"
                 "}\n"
                 "check(-1, { strict: true })",
                 "Error", ts_lines);

    /* syntax errors, in each language */
    expect_error(s, js, "const ok = 1\nconst = 2", "SyntaxError", (const char *const[]){">:2", NULL});
    expect_error(s, ts, "let a: number = 1\nlet b: = 2", "SyntaxError", (const char *const[]){">:2", NULL});

    /* a failed import passes through the kernel's own import helper, whose
     * frame is not shown either (expect_error checks) */
    expect_error(s, js, "import missing from './no-such-module'", "Error",
                 (const char *const[]){"Cannot find module './no-such-module'", ">:1:", NULL});

    /* thrown non-errors */
    r = tc_exec(s, "throw 'plain string'", js);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_str_eq(ci_result_error_value(r), "plain string");
    ci_result_free(r);

    /* the context survives errors */
    check_value(s, js, "const after = 'fine'; after", "'fine'");
    ci_exec_options_free(js);
    ci_exec_options_free(ts);
    ci_session_destroy(s);
}
END_TEST

START_TEST(unhandled_rejections_and_callbacks)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_JAVASCRIPT, 0);

    static const char *const rejected[] = {"Error: nobody caught me", ">:2:", NULL};
    expect_error(s, o, "async function fails() {\n  throw new Error('nobody caught me')\n}\nfails()\n'done'",
                 "Error", rejected);
    static const char *const in_timer[] = {"TypeError: from a timer", ">:1:", NULL};
    expect_error(s, o, "setTimeout(() => { throw new TypeError('from a timer') }, 20)", "TypeError",
                 in_timer);
    expect_error(s, o, "Promise.reject(new SyntaxError('not really'))", "SyntaxError", NULL);
    /* handled rejections are fine */
    check_value(s, o, "Promise.reject(new Error('x')).catch(() => {}); 'ok'", "'ok'");
    check_value(s, o, "1 + 1", "2");
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* ----------------------------------------------------------------- async */

START_TEST(async_code)
{
    ci_session *s = tc_session_new(NULL);
    static const ci_language langs[] = { CI_LANGUAGE_JAVASCRIPT, CI_LANGUAGE_TYPESCRIPT };
    for (size_t i = 0; i < 2; i++) {
        ci_exec_options *o = js_options(langs[i], 0);
        check_value(s, o,
                    "const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))\n"
                    "async function double(v) { await sleep(10); return 2 * v }\n"
                    "const got = await double(21)\n"
                    "got",
                    "42");
        check_value(s, o, "got + (await Promise.all([double(1), double(2)])).length", "44");
        check_value(s, o, "for await (const v of [double(1)]) console.log(v)", NULL);
        check_value(s, o, "double(4)", "Promise { 8 }");
        /* a cell waits for the timers it started, as node would */
        ci_result *r = tc_exec_ok(s, "setTimeout(() => console.log('later'), 100); 'now'", o);
        ck_assert_str_eq(tc_stdout(r), "later\n");
        ck_assert_str_eq(ci_result_value(r), "'now'");
        ci_result_free(r);
        ci_exec_options_free(o);
    }
    ci_session_destroy(s);
}
END_TEST

/* What a cell waits for: the requests and timers it started, not the
 * servers and intervals that keep running for later cells. */
START_TEST(pending_work)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_JAVASCRIPT, 0);
    double t0 = tc_now_ms();
    check_value(s, o,
                "const http = require('http')\n"
                "const server = http.createServer((req, res) => setTimeout(() => res.end('up'), 100))\n"
                "server.listen(8080, '127.0.0.1')\n"
                "const ticker = setInterval(() => {}, 1000)\n"
                "'listening'",
                "'listening'");
    ck_assert_msg(tc_now_ms() - t0 < 10000.0, "a listening server held the cell");

    ci_result *r = tc_exec_ok(s,
                              "fetch('http://127.0.0.1:8080/').then((res) => res.text())\n"
                              "  .then((text) => console.log('fetched', text))\n"
                              "require('axios').get('http://127.0.0.1:8080/')\n"
                              "  .then((res) => console.error('axios', res.data))\n"
                              "undefined",
                              o);
    ck_assert_str_eq(tc_stdout(r), "fetched up\n");
    ck_assert_str_eq(tc_stderr(r), "axios up\n");
    ci_result_free(r);
    check_value(s, o, "clearInterval(ticker); server.close(); 'closed'", "'closed'");
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

struct stream_probe {
    double start_ms;
    double first_ms;
    char seen[256];
};

static int stream_cb(const char *data, size_t len, void *user_data)
{
    struct stream_probe *p = user_data;
    if (p->first_ms == 0.0)
        p->first_ms = tc_now_ms();
    size_t have = strlen(p->seen);
    if (have + len < sizeof p->seen) {
        memcpy(p->seen + have, data, len);
        p->seen[have + len] = '\0';
    }
    return 0;
}

START_TEST(output_streams_while_running)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *o = js_options(CI_LANGUAGE_JAVASCRIPT, 0);
    struct stream_probe out = { 0 };
    ck_assert_int_eq(ci_exec_options_set_stdout_callback(o, stream_cb, &out), 0);
    out.start_ms = tc_now_ms();
    ci_result *r = tc_exec_ok(s,
                              "console.log('a')\n"
                              "await new Promise((resolve) => setTimeout(resolve, 1500))\n"
                              "process.stdout.write('b\\n')",
                              o);
    double end = tc_now_ms();
    ck_assert_str_eq(out.seen, "a\nb\n");
    ck_assert_str_eq(tc_stdout(r), "a\nb\n");
    ck_assert_msg(end - out.first_ms > 1000.0, "'a' arrived only %.0f ms before the end",
                  end - out.first_ms);
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* --------------------------------------------------------------- timeout */

START_TEST(infinite_loop_times_out)
{
    ci_session *s = tc_session_new(NULL);
    static const ci_language langs[] = { CI_LANGUAGE_JAVASCRIPT, CI_LANGUAGE_TYPESCRIPT };
    static const char *const loops[] = { "while (true) {}", "await new Promise(() => {})" };
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < 2; k++) {
            ci_exec_options *o = js_options(langs[i], 60000);
            check_value(s, o, "const before = 1", NULL);
            ci_exec_options *quick = js_options(langs[i], 1500);
            double t0 = tc_now_ms();
            ci_result *r = tc_exec(s, loops[k], quick);
            double took = tc_now_ms() - t0;
            tc_assert_status(r, CI_STATUS_TIMEOUT);
            ck_assert_int_eq(ci_result_exit_code(r), 137);
            ck_assert_msg(took >= 1400.0 && took < 15000.0, "timeout after %.0f ms", took);
            ci_result_free(r);
            ci_exec_options_free(quick);

            /* the session is usable; the interpreter started afresh */
            check_value(s, o, "typeof before", "'undefined'");
            check_value(s, o, "6 * 7", "42");
            ci_exec_options_free(o);
        }
    }
    ci_session_destroy(s);
}
END_TEST

static Suite *javascript_suite(void)
{
    Suite *s = suite_create("javascript");
    TCase *tc;

    tc = tcase_create("state");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, javascript_state_persists);
    tcase_add_test(tc, javascript_clear_context);
    tcase_add_test(tc, process_exit_code);
    tcase_add_test(tc, typescript_state_and_features);
    suite_add_tcase(s, tc);

    tc = tcase_create("libraries");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, javascript_libraries);
    tcase_add_test(tc, typescript_libraries);
    tcase_add_test(tc, axios_without_network);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, errors_name_user_lines);
    tcase_add_test(tc, unhandled_rejections_and_callbacks);
    suite_add_tcase(s, tc);

    tc = tcase_create("async");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, async_code);
    tcase_add_test(tc, pending_work);
    tcase_add_test(tc, output_streams_while_running);
    suite_add_tcase(s, tc);

    tc = tcase_create("timeout");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, infinite_loop_times_out);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    if (access("/usr/bin/node", X_OK) != 0) {
        printf("SKIP: /usr/bin/node is not installed\n");
        return TC_EXIT_SKIP;
    }
    char *esbuild = tc_printf("%s/node/node_modules/esbuild", tc_runtime_dir());
    int have = access(esbuild, F_OK) == 0;
    if (!have)
        printf("SKIP: no node runtime environment (%s is missing)\n", esbuild);
    free(esbuild);
    if (!have)
        return TC_EXIT_SKIP;
    return tc_run_suite(javascript_suite());
}
