/* SPDX-License-Identifier: MIT */
/*
 * The reply path without a sandbox (core/runner_frame.c, white-box): the
 * greeting, the size bounds at the header, the value count before cJSON,
 * display parts and their checks, and the writer check on a socketpair.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/result.h"
#include "core/runner_frame.h"
#include "test_common.h"

static void feed_frame(struct ci_frame_reader *r, const char *payload, size_t len)
{
    ci_buf b = { 0 };
    ck_assert_int_eq(ci_frame_encode(&b, payload, len), 0);
    ck_assert_int_eq(ci_frame_reader_feed(r, b.data, b.len), 0);
    ci_buf_free(&b);
}

START_TEST(greeting_and_bounds)
{
    char *p = NULL;
    size_t n = 0;
    /* a first frame that is not the empty greeting */
    struct ci_frame_reader r = { 0 };
    feed_frame(&r, "{}", 2);
    ck_assert_int_eq(ci_frame_reader_next(&r, &p, &n), CI_EPROTO);
    ci_frame_reader_free(&r);

    /* the greeting is taken, never handed out */
    feed_frame(&r, "", 0);
    ck_assert_int_eq(ci_frame_reader_next(&r, &p, &n), 0);
    ck_assert(r.greeted);
    feed_frame(&r, "{\"a\":1}", 7);
    ck_assert_int_eq(ci_frame_reader_next(&r, &p, &n), 1);
    ck_assert_uint_eq(n, 7);
    ck_assert_str_eq(p, "{\"a\":1}");
    free(p);

    /* a header over the bound is refused before its bytes come */
    const unsigned char big[4] = { 0x02, 0x00, 0x00, 0x01 }; /* 32 MiB + 1 */
    ck_assert_int_eq(ci_frame_reader_feed(&r, big, 4), 0);
    ck_assert_int_eq(ci_frame_reader_next(&r, &p, &n), CI_ETOOBIG);
    ck_assert_uint_eq(r.announced, (32u << 20) + 1);
    ck_assert_uint_lt(r.pending.cap, 4096);
    ci_frame_reader_free(&r);

    /* a frame within the bound gets a buffer of its size, not doubled */
    r.greeted = 1;
    r.limit = 3u << 20;
    const unsigned char hdr[4] = { 0x00, 0x30, 0x00, 0x00 }; /* 3 MiB */
    ck_assert_int_eq(ci_frame_reader_feed(&r, hdr, 4), 0);
    ck_assert_int_eq(ci_frame_reader_next(&r, &p, &n), 0);
    ck_assert_uint_eq(r.pending.cap, 4 + (3u << 20) + 1);
    ci_frame_reader_free(&r);

    /* values are counted outside strings only */
    ck_assert(ci_json_items_within("[0,0]", 5, 3));
    ck_assert(!ci_json_items_within("[0,0]", 5, 2));
    ck_assert(ci_json_items_within("\"a,b,c,\\\",d\"", 12, 1));
}
END_TEST

/* Takes whole frames of bytes into a reply: its last return. */
static int take_all(struct ci_reply_rx *rx, struct ci_frame_reader *rd, const char *bytes,
                    size_t len, struct ci_result *res)
{
    ck_assert_int_eq(ci_frame_reader_feed(rd, bytes, len), 0);
    for (;;) {
        char *p = NULL;
        size_t n = 0;
        int fr = ci_frame_reader_next(rd, &p, &n);
        if (fr <= 0)
            return fr;
        if ((fr = ci_reply_take(rx, rd, p, n, res)) != 0)
            return fr;
    }
}

START_TEST(reply_parts)
{
    static const char png[] = "\x89PNG\r\n\x1a\nIHDR";
    const char *control = "{\"id\":1,\"nonce\":\"00000000000000000000000000000000\","
                          "\"status\":\"ok\",\"value\":\"1\","
                          "\"displays\":[{\"mime_type\":\"image/png\",\"len\":12}]}";
    for (int good = 0; good <= 1; good++) {
        struct ci_frame_reader rd = { .greeted = 1 };
        struct ci_reply_rx rx = { .id = 1, .nonce = "00000000000000000000000000000000" };
        struct ci_result *res = ci_result_alloc(CI_LANGUAGE_PYTHON);
        ci_buf b = { 0 };
        ck_assert_int_eq(ci_frame_encode(&b, control, strlen(control)), 0);
        ck_assert_int_eq(ci_frame_encode(&b, good ? png : "<html>xxxxxx", 12), 0);
        int r = take_all(&rx, &rd, b.data, b.len, res);
        if (good) {
            ck_assert_int_eq(r, 1);
            ck_assert_uint_eq(res->display_count, 1);
            ck_assert_uint_eq(res->displays[0].len, 12);
            ck_assert_int_eq(memcmp(res->displays[0].data, png, 12), 0);
            ck_assert_uint_eq(rd.limit, 0); /* the next frame is a control frame again */
        } else {
            ck_assert_int_eq(r, CI_EPROTO);
            ck_assert_msg(strstr(rx.why, "not the 12 bytes of image/png"), "%s", rx.why);
            ci_reply_violation(res, rx.why);
            ck_assert_uint_eq(res->display_count, 0);
            ck_assert_ptr_null(res->value);
            ck_assert_str_eq(res->error_name, "SandboxProtocolViolation");
        }
        ci_buf_free(&b);
        ci_reply_rx_free(&rx);
        ci_frame_reader_free(&rd);
        ci_result_free_internal(res);
    }
}
END_TEST

/* Bytes of another process on the channel are refused once the greeting's
 * writer is known. */
START_TEST(writer_pinned)
{
    int sv[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    int one = 1;
    ck_assert_int_eq(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one), 0);
    ck_assert_int_eq(write(sv[1], "\0\0\0\0", 4), 4); /* our greeting */
    struct ci_frame_reader rd = { 0 };
    char buf[256];
    ck_assert_int_eq(ci_frame_reader_recv(&rd, sv[0], buf, sizeof buf), 4);
    ck_assert_int_eq(rd.kernel, getpid());
    pid_t child = fork();
    if (child == 0)
        _exit(write(sv[1], "\0\0\0\2{}", 6) == 6 ? 0 : 1);
    int status;
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert_int_eq(ci_frame_reader_recv(&rd, sv[0], buf, sizeof buf), CI_FRAME_STRANGER);
    ck_assert_int_eq(rd.stranger, child);
    /* ours still pass */
    ck_assert_int_eq(write(sv[1], "\0\0\0\2{}", 6), 6);
    ck_assert_int_eq(ci_frame_reader_recv(&rd, sv[0], buf, sizeof buf), 6);
    ci_frame_reader_free(&rd);
    close(sv[0]);
    close(sv[1]);
}
END_TEST

static Suite *reader_suite(void)
{
    Suite *s = suite_create("frame_reader");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, greeting_and_bounds);
    tcase_add_test(tc, reply_parts);
    tcase_add_test(tc, writer_pinned);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return tc_run_suite(reader_suite());
}
