/* SPDX-License-Identifier: MIT */
/*
 * The runner reply path: bytes a kernel inside the sandbox writes on its
 * control channel (untrusted: user code can write there too) go through
 * the frame reader in arbitrary pieces, and every whole frame through
 * ci_reply_apply(). Checks: the reader never hands out more than
 * CI_FRAME_MAX, a frame re-encoded reads back the same, and a result that
 * took a reply (or half of one) frees cleanly.
 */
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/result.h"
#include "core/runner_frame.h"
#include "fuzz.h"

static void check(int ok)
{
    if (!ok)
        abort();
}

/* Whether the reply carries an exit code no int can hold (a cast of it
 * would be undefined behaviour, which only clang's UBSan reports). */
static int exit_code_out_of_range(const char *payload, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(payload, len);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "exit_code");
    int bad = cJSON_IsNumber(code) &&
              !(code->valuedouble >= INT_MIN && code->valuedouble <= INT_MAX);
    cJSON_Delete(root);
    return bad;
}

static void apply(const char *payload, size_t len)
{
    int bad_code = exit_code_out_of_range(payload, len);
    for (uint64_t id = 1; id <= 2; id++) {
        struct ci_result *res = ci_result_alloc(CI_LANGUAGE_PYTHON);
        check(res != NULL);
        int r = ci_reply_apply(payload, len, id, res);
        check(!(r == 0 && bad_code));
        /* whatever got in must be readable through the public getters */
        (void)ci_result_status(res);
        (void)ci_result_exit_code(res);
        for (size_t i = 0; i < ci_result_display_count(res); i++) {
            size_t n = 0;
            const unsigned char *d = ci_result_display_data(res, i, &n);
            check(d != NULL || n == 0);
            check(ci_result_display_mime_type(res, i) != NULL);
        }
        char *json = NULL;
        if (ci_result_to_json(res, &json) == 0)
            ci_free(json);
        ci_result_free(res);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    /* first byte: the size of the pieces the bytes arrive in */
    size_t piece = (size_t)data[0] + 1;
    data++;
    size--;

    struct ci_frame_reader reader = { 0 };
    size_t frames = 0;
    for (size_t off = 0; off < size;) {
        size_t n = size - off < piece ? size - off : piece;
        check(ci_frame_reader_feed(&reader, data + off, n) == 0);
        off += n;
        for (;;) {
            char *payload = NULL;
            size_t len = 0;
            int r = ci_frame_reader_next(&reader, &payload, &len);
            if (r <= 0)
                break;
            check(len <= CI_FRAME_MAX && payload[len] == '\0');
            frames++;
            apply(payload, len);

            /* encode and read back: the same bytes */
            ci_buf enc = { 0 };
            check(ci_frame_encode(&enc, payload, len) == 0);
            struct ci_frame_reader again = { 0 };
            check(ci_frame_reader_feed(&again, enc.data, enc.len) == 0);
            char *back = NULL;
            size_t back_len = 0;
            check(ci_frame_reader_next(&again, &back, &back_len) == 1);
            check(back_len == len && memcmp(back, payload, len) == 0);
            free(back);
            ci_frame_reader_free(&again);
            ci_buf_free(&enc);
            free(payload);
        }
    }
    ci_frame_reader_free(&reader);
    /* the whole input as one reply, too: most of the interesting JSON */
    if (frames == 0) {
        char *copy = malloc(size + 1);
        check(copy != NULL);
        memcpy(copy, data, size);
        copy[size] = '\0';
        apply(copy, size);
        free(copy);
    }
    return 0;
}
