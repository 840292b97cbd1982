/* SPDX-License-Identifier: MIT */
/*
 * Multipart upload: initiate, send the parts (several at once on a curl
 * multi handle, each with its Content-MD5, each retried on its own with
 * backoff), complete, and abort the upload when anything fails so that no
 * half-finished upload is left behind on the server. Every part is read
 * from the file with pread while it is sent: nothing is held in memory but
 * the table of parts.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codeinterp/codeinterp.h"
#include "transfer/s3_internal.h"
#include "util/b64.h"
#include "util/clock.h"

#define POLL_MS 100
/* Hashed between two turns of the transfers: a few ms, so that the MD5
 * of the parts to come is ready when a slot frees without holding up the
 * parts in flight. */
#define HASH_SLICE (1u << 20)

enum part_state { WAITING, SENDING, SENT };

struct part {
    uint64_t off, len;
    unsigned char md5[CI_MD5_LEN];
    int hashed;
    char etag[80];
    unsigned attempts;
    uint64_t not_before; /* ms: waiting out a backoff */
    enum part_state state;
};

struct slot {
    CURL *h;
    int part; /* -1: idle */
    struct ci_s3_call call;
    struct ci_s3_request rq;
    struct ci_sigv4_param q[2];
    char number[24];
    char *md5_b64;
};

struct upload {
    struct ci_transfer *t;
    const struct ci_s3_uri *u;
    int fd;
    uint64_t size;
    char *id;
    struct part *parts;
    size_t nparts;
    const struct ci_transfer_progress *p;
    /* the part being hashed ahead of its sending, and how far */
    size_t ahead;
    uint64_t ahead_off;
    ci_md5_ctx ahead_md5;
};

/* Hashes up to `budget` bytes more of the parts, in order. 0, or CI_EIO
 * with *read_errno as ci_s3_hash_range gives it. */
static int hash_ahead(struct upload *up, uint64_t budget, int *read_errno)
{
    while (budget > 0 && up->ahead < up->nparts) {
        struct part *pt = &up->parts[up->ahead];
        uint64_t left = pt->len - up->ahead_off;
        uint64_t take = left < budget ? left : budget;
        int e = ci_s3_hash_range(up->t, up->fd, pt->off + up->ahead_off, take, &up->ahead_md5,
                                 read_errno);
        if (e < 0)
            return e;
        up->ahead_off += take;
        budget -= take;
        if (up->ahead_off == pt->len) {
            ci_md5_final(&up->ahead_md5, pt->md5);
            pt->hashed = 1;
            up->ahead++;
            up->ahead_off = 0;
            ci_md5_init(&up->ahead_md5);
        }
    }
    return CI_OK;
}

/* ------------------------------------------------------ one-off requests */

static int initiate(struct upload *up, struct ci_s3_outcome *o)
{
    struct ci_sigv4_param q[1] = { { "uploads", "" } };
    struct ci_s3_request rq = { .method = "POST", .target = up->u, .query = q, .nquery = 1,
                                .body_fd = -1 };
    struct ci_s3_call c;
    int r = ci_s3_perform(up->t, &rq, &c, up->p, up->size, o);
    if (r == CI_OK) {
        up->id = ci_xml_find_text(c.answer.data, c.answer.len, "UploadId");
        if (!up->id || !*up->id)
            r = ci_s3_fail(o, CI_ETRANSFER, up->u, "the server started a multipart upload "
                           "without giving its UploadId");
    }
    ci_s3_call_clear(&c);
    return r;
}

static void abort_upload(struct upload *up, struct ci_s3_outcome *o)
{
    struct ci_sigv4_param q[1] = { { "uploadId", up->id } };
    struct ci_s3_request rq = { .method = "DELETE", .target = up->u, .query = q, .nquery = 1,
                                .body_fd = -1 };
    struct ci_s3_call c;
    struct ci_s3_outcome ao;
    int r = ci_s3_perform(up->t, &rq, &c, NULL, 0, &ao);
    ci_s3_call_clear(&c);
    /* gone already (completed, or aborted by an earlier attempt) is fine */
    if (r < 0 && strcmp(ao.s3_code, "NoSuchUpload") != 0) {
        size_t len = strlen(o->message);
        snprintf(o->message + len, sizeof(o->message) - len,
                 "; aborting multipart upload %.100s failed too (%.200s), the server may "
                 "keep its parts until a lifecycle rule removes them", up->id, ao.message);
    }
}

/* The ETag S3 gives a multipart object: MD5 of the parts' MD5s, "-N". */
static void multipart_etag(const struct upload *up, char out[48])
{
    ci_md5_ctx m;
    unsigned char d[CI_MD5_LEN];
    char hex[33];
    ci_md5_init(&m);
    for (size_t i = 0; i < up->nparts; i++)
        ci_md5_update(&m, up->parts[i].md5, CI_MD5_LEN);
    ci_md5_final(&m, d);
    ci_md5_to_hex(d, hex);
    snprintf(out, 48, "%s-%zu", hex, up->nparts);
}

/* The object as it stands: did an earlier Complete whose answer was lost
 * go through after all? */
static int object_has_etag(struct upload *up, const char *want)
{
    struct ci_s3_request rq = { .method = "HEAD", .target = up->u, .body_fd = -1 };
    struct ci_s3_call c;
    struct ci_s3_outcome ho;
    int r = ci_s3_perform(up->t, &rq, &c, NULL, 0, &ho);
    int same = r == CI_OK && ci_s3_etag_is(c.etag, want);
    ci_s3_call_clear(&c);
    return same;
}

/* One <Part> of the CompleteMultipartUpload body. */
static int append_part(ci_buf *body, size_t number, const char *part_etag)
{
    char line[200];
    /* an ETag is hex in quotes: nothing in it needs escaping but '"' */
    char etag[80];
    size_t k = 0;
    for (const char *s = part_etag; *s && k + 7 < sizeof(etag); s++) {
        if (*s == '"') {
            memcpy(etag + k, "&quot;", 6);
            k += 6;
        } else if (*s != '<' && *s != '>' && *s != '&') {
            etag[k++] = *s;
        }
    }
    etag[k] = '\0';
    int n = snprintf(line, sizeof(line), "<Part><PartNumber>%zu</PartNumber><ETag>%s</ETag>"
                     "</Part>", number, etag);
    return ci_buf_append(body, line, (size_t)n) < 0 ? CI_ENOMEM : CI_OK;
}

static int completion_body(const struct upload *up, ci_buf *body)
{
    static const char head[] = "<CompleteMultipartUpload "
                               "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    static const char tail[] = "</CompleteMultipartUpload>";
    int e = ci_buf_append(body, head, sizeof(head) - 1) < 0 ? CI_ENOMEM : CI_OK;
    for (size_t i = 0; e == CI_OK && i < up->nparts; i++)
        e = append_part(body, i + 1, up->parts[i].etag);
    if (e == CI_OK && ci_buf_append(body, tail, sizeof(tail) - 1) < 0)
        e = CI_ENOMEM;
    return e;
}

/* A 200 answer to Complete: S3 may have put an error in its body, or
 * assembled other parts than were sent. */
static int judge_completion(struct upload *up, const ci_buf *answer, const char *want,
                            struct ci_s3_outcome *o)
{
    int r = CI_OK;
    char *code = ci_xml_find_text(answer->data, answer->len, "Code");
    char *msg = code ? ci_xml_find_text(answer->data, answer->len, "Message") : NULL;
    char *etag = ci_xml_find_text(answer->data, answer->len, "ETag");
    if (code) {
        int again = strcmp(code, "InternalError") == 0 || strcmp(code, "SlowDown") == 0;
        r = ci_s3_fail(o, CI_ETRANSFER, up->u, "completing the multipart upload failed "
                       "(%s%s%.200s)", code, msg ? ": " : "", msg ? msg : "");
        o->retry = again;
    } else if (etag && strchr(etag, '-') && !ci_s3_etag_is(etag, want)) {
        r = ci_s3_fail(o, CI_ECHECKSUM, up->u, "the assembled object's ETag is %s, "
                       "the parts sent make %s", etag, want);
    }
    free(code);
    free(msg);
    free(etag);
    return r;
}

/* Whole but wrong: take the object away rather than leave it to be read. */
static void remove_object(struct upload *up)
{
    struct ci_s3_request del = { .method = "DELETE", .target = up->u, .body_fd = -1 };
    struct ci_s3_call c;
    struct ci_s3_outcome dro;
    ci_s3_perform(up->t, &del, &c, NULL, 0, &dro);
    ci_s3_call_clear(&c);
}

static int complete(struct upload *up, struct ci_s3_outcome *o)
{
    ci_buf body = { 0 };
    if (completion_body(up, &body) < 0) {
        ci_buf_free(&body);
        return ci_s3_fail(o, CI_ENOMEM, up->u, "out of memory");
    }
    char want[48];
    multipart_etag(up, want);
    struct ci_sigv4_param q[1] = { { "uploadId", up->id } };
    struct ci_s3_request rq = { .method = "POST", .target = up->u, .query = q, .nquery = 1,
                                .body = body.data, .body_len = body.len, .body_fd = -1,
                                .content_type = "application/xml" };
    int r;
    for (unsigned attempt = 1;; attempt++) {
        struct ci_s3_call c;
        r = ci_s3_perform(up->t, &rq, &c, up->p, up->size, o);
        if (r == CI_OK)
            r = judge_completion(up, &c.answer, want, o);
        else if (strcmp(o->s3_code, "NoSuchUpload") == 0 && object_has_etag(up, want))
            r = CI_OK; /* the lost answer of an earlier attempt had succeeded */
        ci_s3_call_clear(&c);
        if (r == CI_OK || !o->retry || attempt >= up->t->settings->max_attempts)
            break;
        if (ci_s3_backoff(attempt, up->p, up->size, up->size) < 0) {
            r = ci_s3_fail(o, CI_ECANCELED, up->u, "stopped on request");
            break;
        }
    }
    ci_buf_free(&body);
    if (r == CI_ECHECKSUM)
        remove_object(up);
    return r;
}

/* ----------------------------------------------------------------- parts */

static int start_part(struct upload *up, struct slot *s, size_t i, CURLM *m,
                      struct ci_s3_outcome *o)
{
    struct part *pt = &up->parts[i];
    /* parts start in order, so this one is next in line to be hashed */
    while (!pt->hashed) {
        int read_errno;
        if (hash_ahead(up, pt->len, &read_errno) < 0)
            return ci_s3_fail(o, CI_EIO, up->u, "cannot read part %zu of the file: %s", i + 1,
                              read_errno ? strerror(read_errno) : "the file became shorter");
    }
    free(s->md5_b64);
    s->md5_b64 = ci_b64_encode(pt->md5, CI_MD5_LEN);
    if (!s->md5_b64)
        return ci_s3_fail(o, CI_ENOMEM, up->u, "out of memory");
    snprintf(s->number, sizeof(s->number), "%zu", i + 1);
    s->q[0] = (struct ci_sigv4_param){ "partNumber", s->number };
    s->q[1] = (struct ci_sigv4_param){ "uploadId", up->id };
    s->rq = (struct ci_s3_request){ .method = "PUT", .target = up->u, .query = s->q,
                                    .nquery = 2, .content_md5 = s->md5_b64, .body_fd = up->fd,
                                    .body_off = pt->off, .body_size = pt->len };
    int r = ci_s3_call_setup(up->t, s->h, &s->rq, &s->call, o);
    if (r < 0)
        return r;
    if (curl_multi_add_handle(m, s->h) != CURLM_OK) {
        ci_s3_call_clear(&s->call);
        return ci_s3_fail(o, CI_ENOMEM, up->u, "cannot add part %zu to the transfer", i + 1);
    }
    s->part = (int)i;
    pt->state = SENDING;
    pt->attempts++;
    return CI_OK;
}

/* A part's exchange ended. 0 (sent, or waiting for another try) or CI_E*. */
static int finish_part(struct upload *up, struct slot *s, CURLcode cc, CURLM *m,
                       struct ci_s3_outcome *o)
{
    struct part *pt = &up->parts[s->part];
    size_t number = (size_t)s->part + 1;
    curl_multi_remove_handle(m, s->h);
    struct ci_s3_outcome po;
    ci_s3_judge(up->t, &s->call, cc, &po);
    char want[33], got[33];
    ci_md5_to_hex(pt->md5, want);
    if (po.code == 0 && ci_s3_etag_contradicts(s->call.etag, s->call.sse_kms, want, got))
        ci_s3_fail(&po, CI_ECHECKSUM, up->u, "the server stored part %zu with MD5 %s, the "
                   "file's is %s", number, got, want);
    if (po.code == 0)
        snprintf(pt->etag, sizeof(pt->etag), "%s", s->call.etag);
    ci_s3_call_clear(&s->call);
    s->part = -1;
    if (po.code == 0 && !pt->etag[0]) {
        *o = po;
        return ci_s3_fail(o, CI_ETRANSFER, up->u, "the server took part %zu without an ETag",
                          number);
    }
    if (po.code == 0) {
        pt->state = SENT;
        return CI_OK;
    }
    if (po.retry && pt->attempts < up->t->settings->max_attempts) {
        pt->state = WAITING;
        pt->not_before = ci_now_ms() + ci_s3_backoff_ms(pt->attempts);
        return CI_OK;
    }
    *o = po;
    size_t len = strlen(o->message);
    snprintf(o->message + len, sizeof(o->message) - len, " (part %zu of %zu, after %u "
             "attempts)", number, up->nparts, pt->attempts);
    return o->code;
}

/* The parts in flight: one slot, with its own easy handle, a part, on one
 * multi handle. */
struct sender {
    struct upload *up;
    CURLM *m;
    struct slot *slots;
    unsigned nslots;
    size_t sent;          /* parts sent */
    uint64_t sent_bytes;  /* their bytes */
    size_t first_unsent;  /* every part before it is sent */
};

static void sender_close(struct sender *sd)
{
    for (unsigned k = 0; sd->slots && k < sd->nslots; k++) {
        struct slot *s = &sd->slots[k];
        if (s->part >= 0) {
            curl_multi_remove_handle(sd->m, s->h);
            ci_s3_call_clear(&s->call);
        }
        if (s->h)
            curl_easy_cleanup(s->h);
        free(s->md5_b64);
    }
    free(sd->slots);
    if (sd->m)
        curl_multi_cleanup(sd->m);
}

/* As many slots as parts may be in flight. sender_close frees it, also
 * on failure. */
static int sender_open(struct sender *sd, struct upload *up, struct ci_s3_outcome *o)
{
    unsigned parallel = up->t->settings->parallel;
    *sd = (struct sender){ .up = up };
    sd->nslots = parallel < up->nparts ? parallel : (unsigned)up->nparts;
    sd->slots = calloc(sd->nslots, sizeof(*sd->slots));
    sd->m = curl_multi_init();
    int ok = sd->slots && sd->m;
    for (unsigned i = 0; sd->slots && i < sd->nslots; i++) {
        sd->slots[i].part = -1;
        if (!(sd->slots[i].h = curl_easy_init()))
            ok = 0;
    }
    return ok ? CI_OK : ci_s3_fail(o, CI_ENOMEM, up->u, "out of memory");
}

/* The first part waiting whose backoff is over, or nparts when none is;
 * *wake becomes the earliest end of a backoff passed over. */
static size_t next_part(struct sender *sd, uint64_t now, uint64_t *wake)
{
    struct upload *up = sd->up;
    /* a part being sent may fail and wait again: skip only the sent */
    while (sd->first_unsent < up->nparts && up->parts[sd->first_unsent].state == SENT)
        sd->first_unsent++;
    for (size_t i = sd->first_unsent; i < up->nparts; i++) {
        const struct part *pt = &up->parts[i];
        if (pt->state != WAITING)
            continue;
        if (pt->not_before <= now)
            return i;
        if (pt->not_before < *wake)
            *wake = pt->not_before;
    }
    return up->nparts;
}

/* Starts due parts in the idle slots; *busy counts the slots in flight. */
static int fill_slots(struct sender *sd, uint64_t now, uint64_t *wake, unsigned *busy,
                      struct ci_s3_outcome *o)
{
    int more = 1;
    *busy = 0;
    for (unsigned k = 0; k < sd->nslots; k++) {
        if (sd->slots[k].part < 0 && more) {
            size_t pick = next_part(sd, now, wake);
            if (pick == sd->up->nparts) {
                more = 0; /* nothing to start now; keep counting the busy */
                continue;
            }
            int r = start_part(sd->up, &sd->slots[k], pick, sd->m, o);
            if (r < 0)
                return r;
        }
        if (sd->slots[k].part >= 0)
            (*busy)++;
    }
    return CI_OK;
}

static struct slot *slot_of(struct sender *sd, CURL *h)
{
    for (unsigned k = 0; k < sd->nslots; k++)
        if (sd->slots[k].h == h && sd->slots[k].part >= 0)
            return &sd->slots[k];
    return NULL;
}

/* Ends the exchanges curl has finished, counting the parts sent. */
static int take_finished(struct sender *sd, struct ci_s3_outcome *o)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(sd->m, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        /* msg dies with the handle's removal in finish_part */
        CURLcode cc = msg->data.result;
        struct slot *s = slot_of(sd, msg->easy_handle);
        if (!s)
            continue;
        const struct part *pt = &sd->up->parts[s->part];
        int r = finish_part(sd->up, s, cc, sd->m, o);
        if (r < 0)
            return r;
        if (pt->state == SENT) {
            sd->sent++;
            sd->sent_bytes += pt->len;
        }
    }
    return CI_OK;
}

/* One turn of the parts in flight: curl moves them, the finished are
 * taken, the next ones hashed, then a wait for the network. */
static int advance(struct sender *sd, struct ci_s3_outcome *o)
{
    struct upload *up = sd->up;
    int running;
    if (curl_multi_perform(sd->m, &running) != CURLM_OK)
        return ci_s3_fail(o, CI_ETRANSFER, up->u, "libcurl's multi interface failed");
    int r = take_finished(sd, o);
    if (r < 0)
        return r;
    /* while parts are in flight, hash the next ones in between */
    int hashing = up->ahead < up->nparts;
    int read_errno;
    if (hashing && hash_ahead(up, HASH_SLICE, &read_errno) < 0)
        return ci_s3_fail(o, CI_EIO, up->u, "cannot read the file: %s",
                          read_errno ? strerror(read_errno) : "it became shorter");
    if (sd->sent < up->nparts)
        curl_multi_poll(sd->m, NULL, 0, hashing ? 0 : POLL_MS, NULL);
    return CI_OK;
}

/* Every part left is waiting out a backoff: nothing for curl to watch (its
 * cache may hold connections the server closed). */
static void wait_backoff(uint64_t now, uint64_t wake)
{
    uint64_t pause = wake > now ? wake - now : 0;
    if (pause > POLL_MS)
        pause = POLL_MS;
    poll(NULL, 0, (int)pause);
}

static int report_progress(const struct sender *sd, struct ci_s3_outcome *o)
{
    const struct ci_transfer_progress *p = sd->up->p;
    if (!p || !p->fn)
        return CI_OK;
    uint64_t moving = 0;
    for (unsigned k = 0; k < sd->nslots; k++)
        if (sd->slots[k].part >= 0)
            moving += sd->slots[k].call.sent;
    if (p->fn(sd->sent_bytes + moving, sd->up->size, p->data) != 0)
        return ci_s3_fail(o, CI_ECANCELED, sd->up->u, "stopped on request");
    return CI_OK;
}

static int send_parts(struct upload *up, struct ci_s3_outcome *o)
{
    struct sender sd;
    int r = sender_open(&sd, up, o);
    while (r == CI_OK && sd.sent < up->nparts) {
        uint64_t now = ci_now_ms(), wake = UINT64_MAX;
        unsigned busy;
        r = fill_slots(&sd, now, &wake, &busy, o);
        if (r == CI_OK && busy == 0)
            wait_backoff(now, wake);
        else if (r == CI_OK)
            r = advance(&sd, o);
        if (r == CI_OK)
            r = report_progress(&sd, o);
    }
    sender_close(&sd);
    return r;
}

int ci_s3_put_multipart(struct ci_transfer *t, int fd, uint64_t size,
                        const struct ci_s3_uri *u, const struct ci_transfer_progress *p,
                        struct ci_s3_outcome *o)
{
    uint64_t part = t->settings->part_size;
    /* at most 10000 parts: grow the part size in whole MiB if needed */
    if ((size + part - 1) / part > 10000)
        part = ((size + 9999) / 10000 + (1u << 20) - 1) & ~(uint64_t)((1u << 20) - 1);
    struct upload up = { .t = t, .u = u, .fd = fd, .size = size, .p = p,
                         .nparts = (size_t)((size + part - 1) / part) };
    ci_md5_init(&up.ahead_md5);
    up.parts = calloc(up.nparts, sizeof(*up.parts));
    if (!up.parts)
        return ci_s3_fail(o, CI_ENOMEM, u, "out of memory");
    for (size_t i = 0; i < up.nparts; i++) {
        up.parts[i].off = i * part;
        up.parts[i].len = i + 1 < up.nparts ? part : size - i * part;
    }
    int r = initiate(&up, o);
    if (r == CI_OK) {
        r = send_parts(&up, o);
        if (r == CI_OK)
            r = complete(&up, o);
        if (r < 0)
            abort_upload(&up, o);
    }
    if (r == CI_OK && p && p->fn)
        p->fn(size, size, p->data);
    free(up.id);
    free(up.parts);
    return r;
}
