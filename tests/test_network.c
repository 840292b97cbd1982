/* SPDX-License-Identifier: MIT */
/* Suite 'network': a sandbox without network reaches none of the host's
 * listeners (TCP on loopback, unix sockets by path and abstract name) while
 * its own loopback works; with the host's network the same probe connects
 * (the control); and what listens inside cannot be reached from the host. */
#include "test_common.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The probe's prelude: the listeners' addresses, as Python or as shell
 * assignments. */
static char *network_prelude(const struct tc_listeners *l, int shell)
{
    if (shell)
        return tc_printf("PORT=%d\nPORT6=%d\nUNIX_PATH='%s'\nABSTRACT='%s'\n", l->port4,
                         l->port6, l->path, l->abstract);
    return tc_printf("PORT = %d\nPORT6 = %d\nUNIX_PATH = '%s'\nABSTRACT = '%s'\n", l->port4,
                     l->port6, l->path, l->abstract);
}

/* Runs the network probe (shell 0: network.py, 1: network.sh, curl) against
 * `l` in a fresh session with the host's network (host 1) or none, and
 * requires that it ran to its end without a leak. The caller frees the
 * result and destroys *session. */
static ci_result *run_network_probe(const struct tc_listeners *l, int host, int shell,
                                    ci_session **session)
{
    ci_config *c = tc_config_new();
    if (host)
        ck_assert_int_eq(ci_config_set_network(c, CI_NETWORK_HOST), 0);
    *session = tc_session_new(c);
    ci_config_free(c);
    char *prelude = network_prelude(l, shell);
    ci_result *r = shell ? tc_run_sh_probe(*session, "network.sh", prelude, NULL)
                         : tc_run_probe(*session, "network.py", prelude, NULL);
    free(prelude);
    tc_expect_probe_clean(r);
    return r;
}

/* Without network: only lo, no route, none of the host's listeners reached
 * (as the probe says and as the listeners see); `loopback` is what the
 * probe's own loopback server answered, which must work. */
static void expect_no_network(int shell, const char *loopback)
{
    struct tc_listeners l;
    tc_listeners_open(&l);
    ci_session *s = NULL;
    ci_result *r = run_network_probe(&l, 0, shell, &s);
    tc_expect_line(r, "IFACES", "lo");
    tc_expect_line(r, "ROUTES", "0");
    if (shell) {
        tc_expect_line(r, "ROUTES6", "0");
        tc_expect_line(r, "PING", "FAILED");
    }
    tc_expect_line_not(r, "TCP4", "CONNECTED");
    if (l.port6)
        tc_expect_line_not(r, "TCP6", "CONNECTED");
    tc_expect_line_not(r, "UNIX_PATH", "CONNECTED");
    tc_expect_line_not(r, "UNIX_ABSTRACT", "CONNECTED");
    tc_expect_line(r, "LOOPBACK", loopback); /* its own loopback works */
    ck_assert_int_eq(tc_pending(l.tcp4), 0);
    ck_assert_int_eq(tc_pending(l.tcp6), 0);
    ck_assert_int_eq(tc_pending(l.unix_path), 0);
    ck_assert_int_eq(tc_pending(l.unix_abstract), 0);
    ci_result_free(r);
    ci_session_destroy(s);
    tc_listeners_close(&l);
}

/* Control: the same probe with the host's network must connect, so the
 * tests without network would notice a connection. */
static void expect_host_network(int shell)
{
    struct tc_listeners l;
    tc_listeners_open(&l);
    ci_session *s = NULL;
    ci_result *r = run_network_probe(&l, 1, shell, &s);
    tc_expect_line(r, "TCP4", "CONNECTED");
    ck_assert_int_eq(tc_pending(l.tcp4), 1);
    tc_expect_line_not(r, "UNIX_PATH", "CONNECTED"); /* the filesystem is still private */
    ci_result_free(r);
    ci_session_destroy(s);
    tc_listeners_close(&l);
}

START_TEST(network_none)
{
    expect_no_network(0, "ping");
}
END_TEST

START_TEST(network_host_control)
{
    expect_host_network(0);
}
END_TEST

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    socklen_t len = sizeof a;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static int host_connects(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int r = connect(fd, (struct sockaddr *)&a, sizeof a);
    close(fd);
    return r == 0;
}

/* A listener inside binds only in the sandbox's own network namespace: the
 * host cannot reach it on its loopback, the sandbox can. */
START_TEST(sandbox_listener_unreachable)
{
    ci_session *s = tc_session_new(NULL);
    int port = free_port();
    char *code = tc_printf("import socket\n"
                           "srv = socket.socket()\n"
                           "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                           "srv.bind(('127.0.0.1', %d))\nsrv.listen(8)\nprint('listening')\n",
                           port);
    ci_result *r = tc_exec_ok(s, code, NULL);
    free(code);
    ck_assert_str_eq(tc_stdout(r), "listening\n");
    ci_result_free(r);
    ck_assert_msg(!host_connects(port), "the host reached the sandbox's listener on %d", port);
    r = tc_exec_ok(s, "c = socket.create_connection(('127.0.0.1', srv.getsockname()[1]), 3)\n"
                      "print('inside', srv.accept()[0] is not None)",
                   NULL);
    ck_assert_str_eq(tc_stdout(r), "inside True\n");
    ci_result_free(r);

    int jsport = free_port();
    ci_exec_options *o = tc_js_options();
    code = tc_printf("globalThis.srv = require('net').createServer((c) => c.end('hi'));\n"
                     "await new Promise((ok) => srv.listen(%d, '127.0.0.1', ok));\n"
                     "console.log('listening');\n",
                     jsport);
    r = tc_exec_ok(s, code, o);
    free(code);
    ck_assert_str_eq(tc_stdout(r), "listening\n");
    ci_result_free(r);
    ck_assert_msg(!host_connects(jsport), "the host reached the JS listener on %d", jsport);
    code = tc_printf("const c = require('net').connect(%d, '127.0.0.1');\n"
                     "console.log(await new Promise((ok) => c.on('data', (d) => ok(String(d)))));\n",
                     jsport);
    r = tc_exec_ok(s, code, o);
    free(code);
    ck_assert_str_eq(tc_stdout(r), "hi\n");
    ci_result_free(r);
    ci_exec_options_free(o);
    ci_session_destroy(s);
}
END_TEST

/* ----------------------------------------------------------------- shell */

/* The same walls from a shell command: curl to the host's listeners. */
START_TEST(shell_network_none)
{
    expect_no_network(1, "pong");
}
END_TEST

START_TEST(shell_network_host_control)
{
    expect_host_network(1);
}
END_TEST

static Suite *network_suite(void)
{
    Suite *s = suite_create("network");
    TCase *tc;

    tc = tcase_create("none");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, network_none);
    tcase_add_test(tc, network_host_control);
    suite_add_tcase(s, tc);

    tc = tcase_create("listener");
    tcase_set_timeout(tc, 180);
    tcase_add_test(tc, sandbox_listener_unreachable);
    suite_add_tcase(s, tc);

    tc = tcase_create("shell");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, shell_network_none);
    tcase_add_test(tc, shell_network_host_control);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    tc_require_runtime();
    return tc_run_suite(network_suite());
}
