/* SPDX-License-Identifier: MIT */
/*
 * Framing between the library and an in-sandbox kernel: each message is a
 * 4-byte big-endian length followed by that many bytes of UTF-8 JSON.
 *   request: {"op":"execute","id":N,"code":"...","env":{..},"cwd":"..","stdio":true}
 *            (env, cwd: the call's variables and working directory, when
 *            set; stdio: the call's stdout and stderr pipes travel with
 *            the frame's first byte, see doc/protocol.md)
 *   reply:   {"id":N,"status":"ok"|"error","exit_code":N,"value":"..."|null,
 *             "error":{"name":..,"value":..,"traceback":..},
 *             "displays":[{"mime_type":"image/png","data":"<base64>"}]}
 * The kernel runs the user's code in its own process, so the reply is
 * untrusted input: every field is checked and sizes are bounded.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "core/result.h"
#include "util/buf.h"

#define CI_FRAME_MAX (128u << 20)

struct ci_frame_reader {
    ci_buf pending;
};

/* Appends the frame header and payload to out. 0, CI_ENOMEM or CI_ETOOBIG. */
int ci_frame_encode(ci_buf *out, const char *payload, size_t len);
/* Adds received bytes. */
int ci_frame_reader_feed(struct ci_frame_reader *r, const void *data, size_t len);
/* 1 and a malloc'd NUL-terminated *payload when a whole frame is there,
 * 0 when more bytes are needed, CI_EPROTO for an oversized frame. */
int ci_frame_reader_next(struct ci_frame_reader *r, char **payload, size_t *len);
void ci_frame_reader_free(struct ci_frame_reader *r);

struct ci_exec_options;
struct cJSON;
/* Adds an execution's per-call members to a request: "env" (an object of
 * the options' variables) and "cwd", each only when set. 0 or CI_ENOMEM. */
int ci_frame_add_call_context(struct cJSON *request, const struct ci_exec_options *o);

/* Fills status, exit code, value and error of res from a reply whose id
 * must equal `id`. 0, CI_EPROTO (malformed) or CI_ENOMEM. */
int ci_reply_apply(const char *json, size_t len, uint64_t id, struct ci_result *res);
