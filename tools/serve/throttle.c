/* SPDX-License-Identifier: MIT */
/*
 * ThrottlingException: a bound on the requests of one access key in
 * progress at once (--max-calls-per-key). A slot is taken when the
 * signature's precheck names a known key, before the body is read, and
 * given back when the request completes; a request past the bound is
 * answered 429 at once. The table holds only the keys with requests in
 * progress, so it stays as small as the key file.
 */
#include <stdlib.h>
#include <string.h>

#include "serve.h"

typedef struct slot {
    char key[129];
    unsigned n;
} slot;

struct serve_throttle {
    pthread_mutex_t lock;
    unsigned max_per_key;
    slot *v;
    size_t n, cap;
};

serve_throttle *serve_throttle_new(unsigned max_per_key)
{
    serve_throttle *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    pthread_mutex_init(&t->lock, NULL);
    t->max_per_key = max_per_key;
    return t;
}

void serve_throttle_free(serve_throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t->v);
    free(t);
}

int serve_throttle_enter(serve_throttle *t, const char *key)
{
    int rc = 0;
    pthread_mutex_lock(&t->lock);
    size_t i = 0;
    while (i < t->n && strcmp(t->v[i].key, key) != 0)
        i++;
    if (i == t->n) {
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 8;
            slot *v = realloc(t->v, cap * sizeof *v);
            if (!v) {
                pthread_mutex_unlock(&t->lock);
                return -2;
            }
            t->v = v;
            t->cap = cap;
        }
        memset(&t->v[i], 0, sizeof t->v[i]);
        strncpy(t->v[i].key, key, sizeof t->v[i].key - 1);
        t->n++;
    }
    if (t->v[i].n >= t->max_per_key)
        rc = -1;
    else
        t->v[i].n++;
    pthread_mutex_unlock(&t->lock);
    return rc;
}

void serve_throttle_leave(serve_throttle *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->v[i].key, key) != 0)
            continue;
        if (t->v[i].n > 0)
            t->v[i].n--;
        if (t->v[i].n == 0)
            t->v[i] = t->v[--t->n];
        break;
    }
    pthread_mutex_unlock(&t->lock);
}
