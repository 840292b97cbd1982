/* SPDX-License-Identifier: MIT */
/*
 * Forged reply frames (issue 15): code in the sandbox writes on its
 * kernel's control channel. Whatever it writes, the host's memory stays
 * bounded (VmHWM of this process, the host), a frame without this
 * request's nonce does not decide the result, a display is only an image
 * when it is one, and the session goes on. Python and Node run the cell in
 * the kernel's process (fd 512 and fd 3); the shell kernel's commands run
 * in processes of their own that must not reach its channel at all.
 */
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_common.h"

/* Generous: a forged 32 MiB frame took the host to 1.38 GB before. */
#define GROWTH_BOUND_KIB (64 * 1024)

/* The kernel's current request, found in its frames (the cell runs in the
 * kernel's interpreter), and frames written on the Python channel. */
static const char py_prelude[] =
    "import json, os, struct, sys, time\n"
    "def request():\n"
    "    f = sys._getframe()\n"
    "    while f is not None:\n"
    "        r = f.f_locals.get('request')\n"
    "        if isinstance(r, dict) and 'op' in r:\n"
    "            return r\n"
    "        f = f.f_back\n"
    "    raise RuntimeError('no request in the frames')\n"
    "def frame(data):\n"
    "    return struct.pack('>I', len(data)) + data\n"
    "def send(data):\n"
    "    view = memoryview(data)\n"
    "    while view:\n"
    "        view = view[os.write(512, view):]\n"
    "def reply(**members):\n"
    "    body = {'status': 'ok', 'exit_code': 0, 'value': \"'forged'\", 'error': None}\n"
    "    body.update(members)\n"
    "    return frame(json.dumps(body).encode())\n";

/* Resets this process's VmHWM where the kernel lets us (Linux >= 4.0), so
 * that a peak of an earlier test does not hide this one's. */
static long hwm_reset(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd >= 0) {
        ck_assert_int_eq(write(fd, "5", 1), 1);
        close(fd);
    }
    return tc_self_status_kib("VmHWM:");
}

static void assert_violation(const ci_result *r, const char *what, const char *reason)
{
    ck_assert_msg(ci_result_status(r) == CI_STATUS_SANDBOX_ERROR, "%s: status %s", what,
                  ci_status_name(ci_result_status(r)));
    const char *name = ci_result_error_name(r);
    const char *value = ci_result_error_value(r);
    ck_assert_msg(name && !strcmp(name, "SandboxProtocolViolation"), "%s: error %s", what,
                  name ? name : "(none)");
    ck_assert_msg(value && strstr(value, reason), "%s: \"%s\" does not say \"%s\"", what,
                  value ? value : "", reason);
    ck_assert_msg(!ci_result_value(r), "%s: the forged value came through: %s", what,
                  ci_result_value(r));
    ck_assert_uint_eq(ci_result_display_count(r), 0);
    ck_assert_msg(ci_result_wall_ms(r) < 15000, "%s waited for the time limit", what);
}

/* Runs code that must end in a protocol violation saying `reason`; then
 * the session answers with a fresh interpreter. */
static void expect_violation(ci_session *s, const char *code, const ci_exec_options *o,
                             const char *what, const char *reason)
{
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute(s, code, o, &r), 0);
    assert_violation(r, what, reason);
    ci_result_free(r);
}

static void expect_py_violation(ci_session *s, const char *body, const char *what,
                                const char *reason)
{
    ci_exec_options *o = tc_options_new(30000);
    char *code = tc_printf("%s%stime.sleep(20)\n", py_prelude, body);
    expect_violation(s, code, o, what, reason);
    free(code);
    ci_exec_options_free(o);
    ci_result *r = tc_exec_ok(s, "print('alive')", NULL);
    ck_assert_str_eq(tc_stdout(r), "alive\n");
    ci_result_free(r);
}

/* A cell writing a reply with this request's id and nonce whose "x" is
 * an array of `count` zeros. */
static char *nonce_values_code(size_t count)
{
    return tc_printf("%s"
                     "r = request()\n"
                     "head = '{\"id\":%%d,\"nonce\":\"%%s\",\"status\":\"ok\",\"x\":[' %% "
                     "(r['id'], r['nonce'])\n"
                     "send(frame(head.encode() + b'0,' * %zu + b'0]}'))\n"
                     "time.sleep(20)\n",
                     py_prelude, count);
}

START_TEST(python_huge_frame_bounded)
{
    ci_session *s = tc_session_new(NULL);
    ci_result_free(tc_exec_ok(s, "1", NULL)); /* the interpreter is up */
    long before = hwm_reset();
    /* the frame of the report: 32 MiB of [0,0,0,...] */
    ci_exec_options *o = tc_options_new(60000);
    char *code = tc_printf("%s"
                           "send(frame(b'[' + b'0,' * ((16 << 20) - 1) + b'0]'))\n"
                           "time.sleep(20)\n",
                           py_prelude);
    expect_violation(s, code, o, "32 MiB frame", "over the 1048576 bytes allowed");
    free(code);
    /* the same size with this request's id and nonce: refused by its size */
    code = nonce_values_code(16 << 20);
    expect_violation(s, code, o, "32 MiB frame with the nonce", "over the 1048576 bytes");
    free(code);
    /* within the size bound, with the nonce: too many values for cJSON */
    code = nonce_values_code((1 << 19) - 64);
    expect_violation(s, code, o, "1 MiB of values", "more than 4096 JSON values");
    free(code);
    long grew = tc_self_status_kib("VmHWM:") - before;
    ck_assert_msg(grew < GROWTH_BOUND_KIB, "the host grew by %ld KiB for forged frames", grew);
    ci_result *r = tc_exec_ok(s, "print('alive')", NULL);
    ck_assert_str_eq(tc_stdout(r), "alive\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(python_nonce_decides)
{
    ci_session *s = tc_session_new(NULL);
    /* this request's id, no nonce: before issue 15 this one won */
    expect_py_violation(s, "send(reply(id=request()['id']))\n", "no nonce", "nonce");
    expect_py_violation(s, "send(reply(id=request()['id'], nonce='0' * 32))\n", "a wrong nonce",
                        "nonce");
    /* the nonce of an earlier execution, kept by the cell */
    ci_result *r = tc_exec_ok(s, "import sys\n"
                                 "def _req():\n"
                                 "    f = sys._getframe()\n"
                                 "    while 'request' not in f.f_locals:\n"
                                 "        f = f.f_back\n"
                                 "    return f.f_locals['request']\n"
                                 "old = dict(_req())\n"
                                 "print(len(old['nonce']))\n",
                              NULL);
    ck_assert_str_eq(tc_stdout(r), "32\n");
    ci_result_free(r);
    r = tc_exec_ok(s, "print(old['nonce'] != _req()['nonce'])", NULL);
    ck_assert_str_eq(tc_stdout(r), "True\n"); /* a new one every request */
    ci_result_free(r);
    ci_exec_options *o = tc_options_new(30000);
    char *code = tc_printf("%ssend(reply(id=request()['id'], nonce=old['nonce']))\n"
                           "time.sleep(20)\n",
                           py_prelude);
    expect_violation(s, code, o, "a stale nonce", "nonce");
    free(code);
    ci_exec_options_free(o);
    /* a child the cell forked keeps the socket and knows this request's
     * nonce: its bytes are refused, they are not the kernel's */
    expect_py_violation(s,
                        "r = request()\n"
                        "if os.fork() == 0:\n"
                        "    send(reply(id=r['id'], nonce=r['nonce']))\n"
                        "    os._exit(0)\n",
                        "a forked child", "not the kernel");
    /* a thread that writes after the reply went: the next execution fails
     * on it, never takes it as its own */
    ci_result_free(tc_exec_ok(s, "import threading, time, os, struct, json\n"
                                 "def late():\n"
                                 "    time.sleep(1)\n"
                                 "    d = json.dumps({'id': 99, 'status': 'ok', "
                                 "'value': \"'late'\"}).encode()\n"
                                 "    os.write(512, struct.pack('>I', len(d)) + d)\n"
                                 "threading.Thread(target=late).start()\n",
                              NULL));
    usleep(1500 * 1000);
    r = NULL;
    ck_assert_int_eq(ci_execute(s, "'mine'", NULL, &r), 0);
    ck_assert_msg(!ci_result_value(r) || strcmp(ci_result_value(r), "'late'"),
                  "a late frame decided the result");
    ci_result_free(r);
    r = tc_exec_ok(s, "'mine'", NULL);
    ck_assert_str_eq(ci_result_value(r), "'mine'");
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* A value or an error past the control frame's bound is cut by the kernel,
 * not refused: the execution keeps its result. */
START_TEST(python_large_texts_cut)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = tc_exec_ok(s, "'v' * (3 << 20)", NULL);
    const char *v = ci_result_value(r);
    ck_assert_ptr_nonnull(v);
    ck_assert_msg(strlen(v) > 30000 && strlen(v) < 40000, "value of %zu bytes", strlen(v));
    ck_assert_msg(strstr(v, "[... cut: the reply's bound is 1048576 bytes]"), "no cut note");
    ci_result_free(r);
    r = tc_exec(s, "raise ValueError('e' * (2 << 20))", NULL);
    tc_assert_status(r, CI_STATUS_ERROR);
    ck_assert_str_eq(ci_result_error_name(r), "ValueError");
    ck_assert_uint_lt(strlen(ci_result_error_value(r)), 40000);
    ck_assert_uint_lt(strlen(ci_result_error_traceback(r)), 40000);
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

/* The content block a display became in the result's JSON: its "type". */
static char *first_display_block_type(const ci_result *r)
{
    char *json = NULL;
    ck_assert_int_eq(ci_result_to_json(r, &json), 0);
    cJSON *root = cJSON_Parse(json);
    ci_free(json);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(root, "content");
    const cJSON *block = cJSON_GetArrayItem(content, 1);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(block, "type");
    char *out = strdup(cJSON_IsString(type) ? type->valuestring : "");
    cJSON_Delete(root);
    return out;
}

/* A reply with this request's id and nonce announcing one display. */
static char *display_reply(const char *mime, const char *bytes)
{
    return tc_printf("r = request()\n"
                     "data = %s\n"
                     "send(reply(id=r['id'], nonce=r['nonce'], "
                     "displays=[{'mime_type': '%s', 'len': len(data)}]) + frame(data))\n",
                     bytes, mime);
}

START_TEST(python_displays_checked)
{
    ci_session *s = tc_session_new(NULL);
    static const struct {
        const char *mime, *bytes, *reason;
    } refused[] = {
        { "text/html", "b'<script>alert(1)</script>'", "text/html" },
        { "image/svg+xml", "b'<svg onload=\"alert(1)\"/>'", "image/svg+xml" },
        { "image/png", "b'<html>not a png</html>'", "bytes of image/png" },
        { "text/plain", "b'\\xff\\xfe'", "bytes of text/plain" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char *body = display_reply(refused[i].mime, refused[i].bytes);
        expect_py_violation(s, body, refused[i].mime, refused[i].reason);
        free(body);
    }
    /* more than announced bytes, or more displays than allowed */
    expect_py_violation(s,
                        "r = request()\n"
                        "send(reply(id=r['id'], nonce=r['nonce'], displays=[{'mime_type': "
                        "'image/png', 'len': 9 << 20}]))\n",
                        "a 9 MiB display", "not 1 .. 8388608");
    expect_py_violation(s,
                        "r = request()\n"
                        "send(reply(id=r['id'], nonce=r['nonce'], displays=[{'mime_type': "
                        "'image/png', 'len': 8}] * 33))\n",
                        "33 displays", "33 displays");

    /* a real figure is an image block */
    ci_result *r = tc_exec_ok(s, "import matplotlib.pyplot as plt\n"
                                 "plt.figure(figsize=(2, 2), dpi=40)\nplt.plot([1, 2])\n", NULL);
    ck_assert_uint_eq(ci_result_display_count(r), 1);
    ck_assert_str_eq(ci_result_display_mime_type(r, 0), "image/png");
    char *type = first_display_block_type(r);
    ck_assert_str_eq(type, "image");
    free(type);
    ci_result_free(r);

    /* text/plain is taken, and is text, not an image (the cell ends the
     * kernel after its reply: the kernel's own would be stale) */
    ci_exec_options *o = tc_options_new(30000);
    char *body = display_reply("text/plain", "b'hello'");
    char *code = tc_printf("%s%sos._exit(0)\n", py_prelude, body);
    r = tc_exec(s, code, o);
    free(code);
    free(body);
    tc_assert_status(r, CI_STATUS_OK);
    ck_assert_uint_eq(ci_result_display_count(r), 1);
    ck_assert_str_eq(ci_result_display_mime_type(r, 0), "text/plain");
    type = first_display_block_type(r);
    ck_assert_str_eq(type, "text");
    free(type);
    ci_result_free(r);
    /* the next call may pay for the kernel's end, then a fresh one answers */
    ci_result_free(tc_exec(s, "1", NULL));
    r = tc_exec_ok(s, "print('alive')", NULL);
    ck_assert_str_eq(tc_stdout(r), "alive\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

START_TEST(javascript_frames)
{
    ci_session *s = tc_session_new(NULL);
    ci_exec_options *js = tc_js_options();
    ci_result_free(tc_exec_ok(s, "1", js));
    long before = hwm_reset();
    expect_violation(s,
                     "const fs = require('fs');\n"
                     "const n = 32 << 20;\n"
                     "const b = Buffer.alloc(4 + n, '0,');\n"
                     "b.writeUInt32BE(n, 0); b[4] = 0x5b; b[4 + n - 2] = 0x30; b[4 + n - 1] = 0x5d;\n"
                     "for (let off = 0; off < b.length;) {\n"
                     "  try { off += fs.writeSync(3, b, off); }\n"
                     "  catch (e) { if (e.code !== 'EAGAIN') throw e; }\n"
                     "}\n"
                     "await new Promise((ok) => setTimeout(ok, 20000));\n",
                     js, "JS 32 MiB frame", "over the 1048576 bytes allowed");
    long grew = tc_self_status_kib("VmHWM:") - before;
    ck_assert_msg(grew < GROWTH_BOUND_KIB, "the host grew by %ld KiB for a JS frame", grew);
    ci_result *r = tc_exec_ok(s, "console.log('js alive')", js);
    ck_assert_str_eq(tc_stdout(r), "js alive\n");
    ci_result_free(r);
    /* this request's id (the fresh interpreter's second), no nonce */
    expect_violation(s,
                     "const body = Buffer.from(JSON.stringify({id: 2, status: 'ok', "
                     "exit_code: 0, value: \"'forged'\", error: null}));\n"
                     "const head = Buffer.alloc(4); head.writeUInt32BE(body.length, 0);\n"
                     "require('fs').writeSync(3, Buffer.concat([head, body]));\n"
                     "await new Promise((ok) => setTimeout(ok, 20000));\n",
                     js, "JS frame without the nonce", "nonce");
    r = tc_exec_ok(s, "'js ' + 'again'", js);
    ck_assert_str_eq(ci_result_value(r), "'js again'");
    ci_result_free(r);
    ci_exec_options_free(js);
    ci_session_destroy(s);
}
END_TEST

/* A shell command runs in a process of its own: the kernel's channel is not
 * among its descriptors, and the kernel's /proc entries are closed to it. */
START_TEST(shell_channel_out_of_reach)
{
    ci_session *s = tc_session_new(NULL);
    ci_result *r = NULL;
    ck_assert_int_eq(ci_execute_command(s,
        "python3 -I -S -c '\n"
        "import os, stat\n"
        "fds = [int(fd) for fd in os.listdir(\"/proc/self/fd\")]\n"
        "def sock(fd):\n"
        "    try:\n"
        "        return stat.S_ISSOCK(os.fstat(fd).st_mode)\n"
        "    except OSError:\n"
        "        return False\n"
        "socks = [fd for fd in fds if fd > 2 and sock(fd)]\n"
        "print(\"SOCKETS\", len(socks))\n"
        "sh = os.getppid()\n"
        "k = int(open(\"/proc/%d/stat\" % sh).read().rsplit(\")\", 1)[1].split()[1])\n"
        "print(\"KERNEL\", open(\"/proc/%d/cmdline\" % k).read().split(\"\\0\")[-2])\n"
        "for what in (\"fd\", \"mem\", \"environ\"):\n"
        "    try:\n"
        "        p = \"/proc/%d/%s\" % (k, what)\n"
        "        os.listdir(p) if what == \"fd\" else open(p, \"rb\").read(1)\n"
        "        print(what.upper(), \"open\")\n"
        "    except OSError as e:\n"
        "        print(what.upper(), type(e).__name__)\n"
        "'; exit 7",
        NULL, &r), 0);
    /* no socket among its descriptors: the channel would be one */
    tc_expect_line(r, "SOCKETS", "0");
    tc_expect_line(r, "KERNEL", "/opt/codeinterp/kernels/shell_kernel.py");
    tc_expect_line(r, "FD", "PermissionError");
    tc_expect_line(r, "MEM", "PermissionError");
    tc_expect_line(r, "ENVIRON", "PermissionError");
    ck_assert_int_eq(ci_result_exit_code(r), 7); /* decided by the kernel */
    ci_result_free(r);
    ci_session_destroy(s);
}
END_TEST

static Suite *frames_suite(void)
{
    Suite *s = suite_create("frames");
    TCase *tc = tcase_create("python");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, python_huge_frame_bounded);
    tcase_add_test(tc, python_nonce_decides);
    tcase_add_test(tc, python_large_texts_cut);
    suite_add_tcase(s, tc);

    tc = tcase_create("displays");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, python_displays_checked);
    suite_add_tcase(s, tc);

    tc = tcase_create("javascript");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, javascript_frames);
    suite_add_tcase(s, tc);

    tc = tcase_create("shell");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, shell_channel_out_of_reach);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(frames_suite());
}
