/* SPDX-License-Identifier: MIT */
/*
 * Framing between the library and an in-sandbox kernel: each frame is a
 * 4-byte big-endian length followed by that many bytes (doc/protocol.md §2).
 *   request: {"op":"execute","id":N,"nonce":"<32 hex>","code":"...",
 *             "env":{..},"cwd":"..","stdio":true}
 *            (env, cwd: the call's variables and working directory, when
 *            set; stdio: the call's stdout and stderr pipes travel with
 *            the frame's first byte, see doc/protocol.md)
 *   greeting: an empty frame, the first bytes the kernel writes, before
 *            any user code runs (who wrote it is the kernel)
 *   reply:   one control frame of JSON, at most CI_REPLY_JSON_MAX bytes:
 *            {"id":N,"nonce":"<the request's>","status":"ok"|"error"|"killed",
 *             "exit_code":N,"value":"..."|null,
 *             "error":{"name":..,"value":..,"traceback":..}|null,
 *             "displays":[{"mime_type":"image/png","len":N}]}
 *            then one binary frame per display, of exactly its "len" bytes
 *            (raw, not base64, never through cJSON).
 * The kernel runs the user's code, which can write on the same channel, so
 * a reply is untrusted input: every field is checked, every size bounded
 * before it is buffered, and a reply must echo the request's nonce.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/result.h"
#include "util/buf.h"

/* Requests (host to kernel): the code of a cell can be large. */
#define CI_FRAME_MAX (128u << 20)
/* A reply's control frame, and how many JSON values it may hold: bounds
 * what cJSON allocates for it (about 64 bytes a value, plus its strings). */
#define CI_REPLY_JSON_MAX (1u << 20)
#define CI_REPLY_ITEMS_MAX 4096
/* Display outputs of one reply: how many, each one's and all their bytes. */
#define CI_DISPLAYS_MAX 32
#define CI_DISPLAY_BYTES_MAX (8u << 20)
#define CI_DISPLAYS_TOTAL_MAX (16u << 20)
/* A per-request nonce: 16 random bytes as hex. */
#define CI_NONCE_HEX 32

struct ci_frame_reader {
    ci_buf pending;
    size_t limit;     /* the largest next frame taken; 0: CI_REPLY_JSON_MAX */
    size_t announced; /* the length the last refused frame announced */
    int greeted;      /* the kernel's greeting (an empty frame) was taken */
    int kernel;       /* pid (as the host sees it) that sent the greeting; 0: unknown */
    int stranger;     /* pid of a process other than that which wrote bytes */
};

/* What ci_frame_reader_recv() says of bytes from another process. */
#define CI_FRAME_STRANGER (-1000)

/* Appends the frame header and payload to out. 0, CI_ENOMEM or CI_ETOOBIG. */
int ci_frame_encode(ci_buf *out, const char *payload, size_t len);
/* Adds received bytes. */
int ci_frame_reader_feed(struct ci_frame_reader *r, const void *data, size_t len);
/*
 * One recvmsg() on a control socket whose receiving end has SO_PASSCRED,
 * its bytes fed in (buf, cap: scratch space). Linux never joins bytes of
 * two writers in one such read, and tells the writer's pid: the writer of
 * the greeting (the first bytes ever, written before any user code ran)
 * is the kernel, and bytes of any other process are refused with
 * CI_FRAME_STRANGER (r->stranger set). Descriptors that came along are
 * closed. The bytes read (> 0), 0 at end of file, CI_FRAME_STRANGER, or
 * -1 with errno set (ENOMEM when the bytes could not be kept).
 */
ssize_t ci_frame_reader_recv(struct ci_frame_reader *r, int fd, char *buf, size_t cap);
/* 1 and a malloc'd NUL-terminated *payload when a whole frame is there
 * (the greeting is taken here, never handed out), 0 when more bytes are
 * needed, CI_ETOOBIG as soon as a header announces more than r->limit
 * (r->announced then holds it), CI_EPROTO when the first frame is not the
 * greeting, CI_ENOMEM. The bytes
 * buffered never exceed one frame within the limit plus what one feed
 * brought after it. */
int ci_frame_reader_next(struct ci_frame_reader *r, char **payload, size_t *len);
void ci_frame_reader_free(struct ci_frame_reader *r);

/* A fresh random nonce, NUL-terminated. 0 or CI_EIO. */
int ci_nonce_new(char out[CI_NONCE_HEX + 1]);
/* Whether json (len bytes) holds at most max values: a count of the
 * structural characters outside strings, made before cJSON sees it. */
int ci_json_items_within(const char *json, size_t len, size_t max);

struct ci_exec_options;
struct cJSON;
/* Adds an execution's per-call members to a request: "env" (an object of
 * the options' variables) and "cwd", each only when set. 0 or CI_ENOMEM. */
int ci_frame_add_call_context(struct cJSON *request, const struct ci_exec_options *o);

/* One execution's reply being received: its control frame, then its
 * display parts. */
struct ci_reply_rx {
    uint64_t id;
    char nonce[CI_NONCE_HEX + 1];
    int control_done; /* the control frame was taken */
    struct ci_display *parts; /* announced displays, moved to the result when whole */
    size_t part_count, next_part;
    char why[200];    /* the protocol violation, when one was found */
};

/*
 * Takes one whole frame of the reply (owns payload either way) into res:
 * the control frame fills status, exit code, value, error and the display
 * slots; each following frame is one display's bytes. Sets rd->limit for
 * the next frame. 1 when the reply is complete, 0 when parts are still to
 * come, CI_EPROTO with rx->why set (res may hold half a reply: see
 * ci_reply_violation), CI_ENOMEM.
 */
int ci_reply_take(struct ci_reply_rx *rx, struct ci_frame_reader *rd, char *payload, size_t len,
                  struct ci_result *res);
void ci_reply_rx_free(struct ci_reply_rx *rx);
/* Sets rx->why for a frame the reader refused (rc from ci_frame_reader_next). */
void ci_reply_refused(struct ci_reply_rx *rx, const struct ci_frame_reader *rd, int rc);
/* Drops what a reply put in res: value, error, displays. */
void ci_reply_discard(struct ci_result *res);
/* Makes res the result of a protocol violation: nothing of the reply kept,
 * status sandbox_error, error name SandboxProtocolViolation, value `why`. */
void ci_reply_violation(struct ci_result *res, const char *why);
