/* SPDX-License-Identifier: MIT */
/*
 * The server's sessions: who started each (a key sees only its own), its
 * identifier, name and lifetime, READY or TERMINATED. Each has a call lock:
 * calls to one session run one after the other, other sessions are not
 * held up (the table lock is never held during a call or a sandbox
 * creation). Ended sessions stay listed (up to KEEP_ENDED of them) so that
 * get and list report them TERMINATED.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve.h"

#define KEEP_ENDED 1000

struct serve_sessions {
    pthread_mutex_t lock;
    serve_session **v;
    size_t n, cap;
    unsigned max_total, max_per_key;
    uint64_t next_seq;
    serve_metrics *metrics;
};

/* Destroys the sandbox (with the session's call lock held, or when no call
 * can run any more), counting what it used. */
static void destroy_sandbox(serve_sessions *t, serve_session *s)
{
    ci_usage *u = NULL;
    if (s->session && t->metrics && ci_session_usage(s->session, &u) == 0) {
        serve_metrics_session_ended(t->metrics, ci_usage_gb_seconds(u));
        ci_usage_free(u);
    }
    ci_session_destroy(s->session);
    __atomic_store_n(&s->session, NULL, __ATOMIC_RELEASE);
}

serve_sessions *serve_sessions_new(unsigned max_total, unsigned max_per_key,
                                   serve_metrics *metrics)
{
    serve_sessions *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->metrics = metrics;
    pthread_mutex_init(&t->lock, NULL);
    t->max_total = max_total;
    t->max_per_key = max_per_key;
    return t;
}

static void entry_free(serve_session *s)
{
    ci_session_destroy(s->session);
    pthread_mutex_destroy(&s->call_lock);
    free(s);
}

void serve_sessions_free(serve_sessions *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        entry_free(t->v[i]);
    free(t->v);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* With t->lock held: the fields the table guards (not the call lock, nor
 * the sandbox, which the call lock guards). */
static void copy_fields(serve_session *dst, const serve_session *src)
{
    memset(dst, 0, sizeof *dst);
    memcpy(dst->id, src->id, sizeof dst->id);
    memcpy(dst->identifier, src->identifier, sizeof dst->identifier);
    memcpy(dst->name, src->name, sizeof dst->name);
    memcpy(dst->owner, src->owner, sizeof dst->owner);
    memcpy(dst->client_token, src->client_token, sizeof dst->client_token);
    memcpy(dst->stop_token, src->stop_token, sizeof dst->stop_token);
    dst->timeout_seconds = src->timeout_seconds;
    dst->created_ms = src->created_ms;
    dst->updated_ms = src->updated_ms;
    dst->deadline_ns = src->deadline_ns;
    dst->status = src->status;
    dst->seq = src->seq;
    dst->creating = src->creating;
    dst->stopping = src->stopping;
}

static int expired(const serve_session *s, uint64_t now)
{
    return now >= s->deadline_ns;
}

/* With t->lock held: a READY session past its lifetime becomes TERMINATED
 * (its sandbox is destroyed by whoever holds its call lock next). */
static void refresh(serve_session *s, uint64_t now)
{
    if (s->status == SERVE_READY && !s->creating && expired(s, now)) {
        s->status = SERVE_TERMINATED;
        s->updated_ms = s->created_ms + (int64_t)s->timeout_seconds * 1000;
    }
}

static void remove_at(serve_sessions *t, size_t i)
{
    memmove(t->v + i, t->v + i + 1, (t->n - i - 1) * sizeof *t->v);
    t->n--;
}

/* With t->lock held: forgets the oldest ended sessions past KEEP_ENDED. */
static void prune(serve_sessions *t)
{
    size_t ended = 0;
    for (size_t i = 0; i < t->n; i++)
        ended += t->v[i]->status == SERVE_TERMINATED;
    for (size_t i = 0; i < t->n && ended > KEEP_ENDED;) {
        serve_session *s = t->v[i];
        if (s->status == SERVE_TERMINATED && s->refs == 0 && !s->session) {
            remove_at(t, i);
            entry_free(s);
            ended--;
        } else {
            i++;
        }
    }
}

int serve_sessions_start(serve_sessions *t, serve_server *srv, const char *identifier,
                         const char *name, unsigned timeout_seconds, const char *owner,
                         const char *client_token, serve_session **out, char *err,
                         size_t errlen)
{
    uint64_t now = serve_now_ns();
    pthread_mutex_lock(&t->lock);
    size_t live = 0, mine = 0;
    for (size_t i = 0; i < t->n; i++) {
        serve_session *s = t->v[i];
        refresh(s, now);
        if (client_token && *client_token && strcmp(s->owner, owner) == 0 &&
            strcmp(s->client_token, client_token) == 0) {
            if (s->creating) {
                /* the same start, still making its sandbox: not a second one */
                pthread_mutex_unlock(&t->lock);
                return -5;
            }
            int same = strcmp(s->identifier, identifier) == 0 && strcmp(s->name, name) == 0 &&
                       s->timeout_seconds == timeout_seconds;
            if (same) {
                s->refs++;
                *out = s;
            }
            pthread_mutex_unlock(&t->lock);
            return same ? 0 : -4;
        }
        if (s->status == SERVE_READY) {
            live++;
            mine += strcmp(s->owner, owner) == 0;
        }
    }
    if (live >= t->max_total || mine >= t->max_per_key) {
        pthread_mutex_unlock(&t->lock);
        return live >= t->max_total ? -1 : -2;
    }
    serve_session *s = calloc(1, sizeof *s);
    if (s && t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        serve_session **v = realloc(t->v, cap * sizeof *v);
        if (v) {
            t->v = v;
            t->cap = cap;
        }
    }
    if (!s || t->n == t->cap) {
        free(s);
        pthread_mutex_unlock(&t->lock);
        snprintf(err, errlen, "out of memory");
        return -3;
    }
    pthread_mutex_init(&s->call_lock, NULL);
    snprintf(s->identifier, sizeof s->identifier, "%s", identifier);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->owner, sizeof s->owner, "%s", owner);
    snprintf(s->client_token, sizeof s->client_token, "%s", client_token ? client_token : "");
    s->timeout_seconds = timeout_seconds;
    s->creating = 1;
    s->status = SERVE_READY;
    s->refs = 1;
    s->seq = ++t->next_seq;
    t->v[t->n++] = s;
    pthread_mutex_unlock(&t->lock);

    /* the sandbox is made without the table lock: other requests go on */
    ci_config *cfg = srv->make_config(srv->make_config_cls, identifier);
    int rc = cfg ? ci_config_set_session_lifetime_ms(cfg, (uint64_t)timeout_seconds * 1000)
                 : CI_ENOMEM;
    if (rc == 0)
        rc = ci_config_set_idle_timeout_ms(cfg, (uint64_t)timeout_seconds * 1000);
    /* the audit trail names the key on whose behalf the session acts */
    if (rc == 0)
        rc = ci_config_set_audit_principal(cfg, owner);
    ci_session *cs = NULL;
    if (rc == 0)
        rc = ci_session_create(cfg, &cs);
    if (rc < 0)
        snprintf(err, errlen, "%s: %s", ci_strerror(rc), ci_last_error());
    ci_config_free(cfg);

    pthread_mutex_lock(&t->lock);
    if (rc < 0) {
        for (size_t i = 0; i < t->n; i++)
            if (t->v[i] == s) {
                remove_at(t, i);
                break;
            }
        pthread_mutex_unlock(&t->lock);
        entry_free(s);
        return -3;
    }
    s->session = cs;
    snprintf(s->id, sizeof s->id, "%s", ci_session_id(cs));
    s->created_ms = s->updated_ms = serve_realtime_ms();
    s->deadline_ns = serve_now_ns() + (uint64_t)timeout_seconds * 1000000000u;
    s->creating = 0;
    *out = s;
    prune(t);
    pthread_mutex_unlock(&t->lock);
    return 0;
}

serve_session *serve_sessions_find(serve_sessions *t, const char *id, const char *owner,
                                   const char *identifier)
{
    serve_session *found = NULL;
    uint64_t now = serve_now_ns();
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        serve_session *s = t->v[i];
        if (!s->creating && strcmp(s->id, id) == 0 && strcmp(s->owner, owner) == 0 &&
            (!identifier || strcmp(s->identifier, identifier) == 0)) {
            refresh(s, now);
            s->refs++;
            found = s;
            break;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return found;
}

void serve_session_snapshot(serve_sessions *t, serve_session *s, serve_session *copy)
{
    pthread_mutex_lock(&t->lock);
    refresh(s, serve_now_ns());
    copy_fields(copy, s);
    pthread_mutex_unlock(&t->lock);
}

void serve_session_unref(serve_sessions *t, serve_session *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&t->lock);
    s->refs--;
    pthread_mutex_unlock(&t->lock);
}

static void mark_ended(serve_sessions *t, serve_session *s)
{
    pthread_mutex_lock(&t->lock);
    if (s->status != SERVE_TERMINATED) {
        s->status = SERVE_TERMINATED;
        s->updated_ms = serve_realtime_ms();
    }
    pthread_mutex_unlock(&t->lock);
}

int serve_sessions_stop(serve_sessions *t, serve_session *s, serve_inflight *inflight,
                        const char *client_token)
{
    pthread_mutex_lock(&t->lock);
    refresh(s, serve_now_ns());
    int rc = client_token && *client_token && strcmp(s->stop_token, client_token) == 0 ? 1
             : s->stopping                                                        ? -1
             : s->status == SERVE_TERMINATED                                      ? -2
                                                                                  : 0;
    if (rc == 0) {
        s->status = SERVE_TERMINATED;
        s->updated_ms = serve_realtime_ms();
        s->stopping = 1;
        snprintf(s->stop_token, sizeof s->stop_token, "%s", client_token ? client_token : "");
    }
    pthread_mutex_unlock(&t->lock);
    if (rc != 0)
        return rc;
    ci_session *cs = __atomic_load_n(&s->session, __ATOMIC_ACQUIRE);
    if (cs)
        serve_inflight_cancel(inflight, cs);
    pthread_mutex_lock(&s->call_lock);
    destroy_sandbox(t, s);
    pthread_mutex_unlock(&s->call_lock);
    pthread_mutex_lock(&t->lock);
    s->stopping = 0;
    pthread_mutex_unlock(&t->lock);
    return 0;
}

int serve_session_usable(serve_sessions *t, serve_session *s)
{
    pthread_mutex_lock(&t->lock);
    refresh(s, serve_now_ns());
    int ok = s->status == SERVE_READY && s->session;
    pthread_mutex_unlock(&t->lock);
    if (!ok && s->session)
        destroy_sandbox(t, s);
    return ok;
}

void serve_session_ended(serve_sessions *t, serve_session *s)
{
    mark_ended(t, s);
    destroy_sandbox(t, s);
}

size_t serve_sessions_list(serve_sessions *t, const char *owner, const char *identifier,
                           int status_filter, uint64_t after, serve_session *out, size_t max,
                           int *more)
{
    size_t n = 0;
    uint64_t now = serve_now_ns();
    *more = 0;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        serve_session *s = t->v[i];
        if (s->creating || s->seq <= after || strcmp(s->owner, owner) != 0 ||
            strcmp(s->identifier, identifier) != 0)
            continue;
        refresh(s, now);
        if (status_filter >= 0 && (int)s->status != status_filter)
            continue;
        if (n == max) {
            *more = 1;
            break;
        }
        copy_fields(&out[n], s);
        n++;
    }
    pthread_mutex_unlock(&t->lock);
    return n;
}

size_t serve_sessions_live(serve_sessions *t)
{
    size_t live = 0;
    uint64_t now = serve_now_ns();
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        refresh(t->v[i], now);
        live += t->v[i]->status == SERVE_READY && !t->v[i]->creating;
    }
    pthread_mutex_unlock(&t->lock);
    return live;
}

/* The ended sessions whose sandbox still exists, referenced. */
static size_t collect_ended(serve_sessions *t, serve_session ***out, int all)
{
    uint64_t now = serve_now_ns();
    pthread_mutex_lock(&t->lock);
    serve_session **v = calloc(t->n + 1, sizeof *v);
    size_t n = 0;
    for (size_t i = 0; v && i < t->n; i++) {
        serve_session *s = t->v[i];
        if (s->creating)
            continue;
        if (all && s->status == SERVE_READY) {
            s->status = SERVE_TERMINATED;
            s->updated_ms = serve_realtime_ms();
        }
        refresh(s, now);
        if (s->status == SERVE_TERMINATED && __atomic_load_n(&s->session, __ATOMIC_ACQUIRE)) {
            s->refs++;
            v[n++] = s;
        }
    }
    pthread_mutex_unlock(&t->lock);
    *out = v;
    return n;
}

void serve_sessions_reap(serve_sessions *t)
{
    serve_session **v;
    size_t n = collect_ended(t, &v, 0);
    for (size_t i = 0; i < n; i++) {
        /* a call still running in it ends by itself: the library kills the
         * sandbox at the end of its lifetime; the next round gets it */
        if (pthread_mutex_trylock(&v[i]->call_lock) == 0) {
            destroy_sandbox(t, v[i]);
            pthread_mutex_unlock(&v[i]->call_lock);
        }
        serve_session_unref(t, v[i]);
    }
    free(v);
    pthread_mutex_lock(&t->lock);
    prune(t);
    pthread_mutex_unlock(&t->lock);
}

void serve_sessions_destroy_all(serve_sessions *t)
{
    serve_session **v;
    size_t n = collect_ended(t, &v, 1);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&v[i]->call_lock);
        destroy_sandbox(t, v[i]);
        pthread_mutex_unlock(&v[i]->call_lock);
        serve_session_unref(t, v[i]);
    }
    free(v);
}
