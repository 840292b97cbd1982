/* SPDX-License-Identifier: MIT */
/*
 * The runner reply path: bytes a kernel inside the sandbox writes on its
 * control channel (untrusted: user code can write there too) go through
 * the frame reader in arbitrary pieces, and every whole frame through
 * ci_reply_take(): a control frame of JSON, then the display parts it
 * announced. Checks: the reader never hands out more than its limit, a
 * frame re-encoded reads back the same, a complete reply only holds
 * allowed displays of the announced sizes, and a result that took a reply
 * (or half of one, or a violation) frees cleanly.
 *
 * The nonce the harness expects is NONCE below: seeds that should reach
 * the checks past it carry "nonce":"000...0" (32 zeros).
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "core/runner_frame.h"
#include "fuzz.h"

#define NONCE "00000000000000000000000000000000"

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Whatever got in must be readable through the public getters. */
static void read_back(struct ci_result *res)
{
    (void)ci_result_status(res);
    (void)ci_result_exit_code(res);
    for (size_t i = 0; i < ci_result_display_count(res); i++) {
        size_t n = 0;
        const unsigned char *d = ci_result_display_data(res, i, &n);
        const char *mime = ci_result_display_mime_type(res, i);
        check(d != NULL && n >= 1 && n <= CI_DISPLAY_BYTES_MAX);
        check(mime != NULL && (!strncmp(mime, "image/", 6) || !strcmp(mime, "text/plain")));
    }
    char *json = NULL;
    if (ci_result_to_json(res, &json) == 0)
        ci_free(json);
}

/* encode and read back: the same bytes */
static void roundtrip(const char *payload, size_t len)
{
    ci_buf enc = { 0 };
    check(ci_frame_encode(&enc, payload, len) == 0);
    struct ci_frame_reader again = { .limit = len ? len : 1, .greeted = 1 };
    check(ci_frame_reader_feed(&again, enc.data, enc.len) == 0);
    char *back = NULL;
    size_t back_len = 0;
    check(ci_frame_reader_next(&again, &back, &back_len) == 1);
    check(back_len == len && memcmp(back, payload, len) == 0);
    free(back);
    ci_frame_reader_free(&again);
    ci_buf_free(&enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* first byte: the size of the pieces the bytes arrive in */
    size_t piece = (size_t)data[0] + 1;
    data++;
    size--;

    struct ci_frame_reader reader = { .greeted = 1 }; /* as after the kernel's greeting */
    struct ci_reply_rx rx = { .id = 1, .nonce = NONCE };
    struct ci_result *res = ci_result_alloc(CI_LANGUAGE_PYTHON);
    check(res != NULL);
    int state = 0; /* 1: reply complete, < 0: refused */
    for (size_t off = 0; off < size && state == 0;) {
        size_t n = size - off < piece ? size - off : piece;
        check(ci_frame_reader_feed(&reader, data + off, n) == 0);
        off += n;
        while (state == 0) {
            char *payload = NULL;
            size_t len = 0;
            size_t limit = reader.limit ? reader.limit : CI_REPLY_JSON_MAX;
            int r = ci_frame_reader_next(&reader, &payload, &len);
            if (r < 0) {
                ci_reply_refused(&rx, &reader, r);
                check(reader.announced > limit);
                state = r;
            }
            if (r <= 0)
                break;
            check(len <= limit && payload[len] == '\0');
            roundtrip(payload, len);
            state = ci_reply_take(&rx, &reader, payload, len, res);
            if (state < 0)
                check(rx.why[0] != '\0');
        }
    }
    if (state < 0)
        ci_reply_violation(res, rx.why);
    else if (state == 0)
        ci_reply_discard(res);
    read_back(res);
    ci_reply_rx_free(&rx);
    ci_result_free(res);
    ci_frame_reader_free(&reader);
    return 0;
}
