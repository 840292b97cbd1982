/* SPDX-License-Identifier: MIT */
#include "transfer/s3_settings.h"

#include <stdlib.h>
#include <string.h>

static char *dup_or_null(const char *s, int *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = 0;
    return d;
}

struct ci_s3_settings *ci_s3_settings_dup(const struct ci_s3_settings *s, int *ok)
{
    if (!s)
        return NULL;
    struct ci_s3_settings *d = calloc(1, sizeof(*d));
    if (!d) {
        *ok = 0;
        return NULL;
    }
    int good = 1;
    *d = *s;
    d->access_key = dup_or_null(s->access_key, &good);
    d->secret_key = dup_or_null(s->secret_key, &good);
    d->session_token = dup_or_null(s->session_token, &good);
    d->region = dup_or_null(s->region, &good);
    d->endpoint = dup_or_null(s->endpoint, &good);
    d->ca_file = dup_or_null(s->ca_file, &good);
    if (!good) {
        ci_s3_settings_free(d);
        *ok = 0;
        return NULL;
    }
    return d;
}

static void wipe(char *s)
{
    if (s) {
        explicit_bzero(s, strlen(s));
        free(s);
    }
}

void ci_s3_settings_free(struct ci_s3_settings *s)
{
    if (!s)
        return;
    wipe(s->access_key);
    wipe(s->secret_key);
    wipe(s->session_token);
    free(s->region);
    free(s->endpoint);
    free(s->ca_file);
    free(s);
}
