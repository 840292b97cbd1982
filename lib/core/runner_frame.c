/* SPDX-License-Identifier: MIT */
#include "core/runner_frame.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/exec_options.h"
#include "util/b64.h"

/* More figures than a notebook would show in one cell is a runaway loop. */
#define MAX_DISPLAYS 64

int ci_frame_encode(ci_buf *out, const char *payload, size_t len)
{
    if (len > CI_FRAME_MAX)
        return CI_ETOOBIG;
    unsigned char hdr[4] = { (unsigned char)(len >> 24), (unsigned char)(len >> 16),
                             (unsigned char)(len >> 8), (unsigned char)len };
    int r = ci_buf_append(out, hdr, 4);
    return r < 0 ? r : ci_buf_append(out, payload, len);
}

int ci_frame_reader_feed(struct ci_frame_reader *r, const void *data, size_t len)
{
    return ci_buf_append(&r->pending, data, len);
}

int ci_frame_reader_next(struct ci_frame_reader *r, char **payload, size_t *len)
{
    if (r->pending.len < 4)
        return 0;
    const unsigned char *p = (const unsigned char *)r->pending.data;
    size_t n = (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
    if (n > CI_FRAME_MAX)
        return CI_EPROTO;
    if (r->pending.len - 4 < n)
        return 0;
    char *out = malloc(n + 1);
    if (!out)
        return CI_ENOMEM;
    memcpy(out, p + 4, n);
    out[n] = '\0';
    size_t rest = r->pending.len - 4 - n;
    memmove(r->pending.data, r->pending.data + 4 + n, rest);
    r->pending.len = rest;
    r->pending.data[rest] = '\0';
    *payload = out;
    *len = n;
    return 1;
}

void ci_frame_reader_free(struct ci_frame_reader *r)
{
    ci_buf_free(&r->pending);
}

/* Copies an optional string member: absent or null leaves *dst NULL,
 * another type is a protocol error. */
static int take_string(const cJSON *obj, const char *key, char **dst)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v || cJSON_IsNull(v))
        return 0;
    if (!cJSON_IsString(v))
        return CI_EPROTO;
    char *copy = strdup(v->valuestring);
    if (!copy)
        return CI_ENOMEM;
    free(*dst);
    *dst = copy;
    return 0;
}

static int take_displays(const cJSON *arr, struct ci_result *res)
{
    if (!arr || cJSON_IsNull(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return CI_EPROTO;
    int n = cJSON_GetArraySize(arr);
    if (n > MAX_DISPLAYS)
        n = MAX_DISPLAYS;
    if (n <= 0)
        return 0;
    res->displays = calloc((size_t)n, sizeof(*res->displays));
    if (!res->displays)
        return CI_ENOMEM;
    for (int i = 0; i < n; i++) {
        const cJSON *d = cJSON_GetArrayItem(arr, i);
        const cJSON *mime = cJSON_GetObjectItemCaseSensitive(d, "mime_type");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(d, "data");
        if (!cJSON_IsString(mime) || !cJSON_IsString(data))
            return CI_EPROTO;
        struct ci_display *out = &res->displays[res->display_count];
        out->data = ci_b64_decode(data->valuestring, strlen(data->valuestring), &out->len);
        if (!out->data)
            return CI_EPROTO;
        if (!(out->mime_type = strdup(mime->valuestring))) {
            free(out->data);
            out->data = NULL;
            return CI_ENOMEM;
        }
        res->display_count++;
    }
    return 0;
}

int ci_reply_apply(const char *json, size_t len, uint64_t id, struct ci_result *res)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return CI_EPROTO;
    }
    int r = CI_EPROTO;
    const cJSON *jid = cJSON_GetObjectItemCaseSensitive(root, "id");
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(root, "status");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "exit_code");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (!cJSON_IsNumber(jid) || jid->valuedouble != (double)id || !cJSON_IsString(status))
        goto out;
    if (!strcmp(status->valuestring, "ok"))
        res->status = CI_STATUS_OK;
    else if (!strcmp(status->valuestring, "error"))
        res->status = CI_STATUS_ERROR;
    else if (!strcmp(status->valuestring, "killed")) /* the code's process died of a signal */
        res->status = CI_STATUS_KILLED;
    else
        goto out;
    /* the cast below is only defined for values an int holds (NaN fails) */
    if (code && (!cJSON_IsNumber(code) || !(code->valuedouble >= INT_MIN &&
                                            code->valuedouble <= INT_MAX)))
        goto out;
    res->exit_code = code ? (int)code->valuedouble : (res->status == CI_STATUS_OK ? 0 : 1);
    if ((r = take_string(root, "value", &res->value)) < 0)
        goto out;
    if (error && !cJSON_IsNull(error)) {
        r = CI_EPROTO;
        if (!cJSON_IsObject(error))
            goto out;
        if ((r = take_string(error, "name", &res->error_name)) < 0 ||
            (r = take_string(error, "value", &res->error_value)) < 0 ||
            (r = take_string(error, "traceback", &res->error_traceback)) < 0)
            goto out;
    }
    if ((r = take_displays(cJSON_GetObjectItemCaseSensitive(root, "displays"), res)) < 0)
        goto out;
    r = 0;
out:
    cJSON_Delete(root);
    return r;
}

int ci_frame_add_call_context(cJSON *m, const struct ci_exec_options *o)
{
    if (o->env_count) {
        cJSON *env = cJSON_AddObjectToObject(m, "env");
        if (!env)
            return CI_ENOMEM;
        for (size_t i = 0; i < o->env_count; i++)
            if (!cJSON_AddStringToObject(env, o->env_names[i], o->env_values[i]))
                return CI_ENOMEM;
    }
    if (o->cwd && !cJSON_AddStringToObject(m, "cwd", o->cwd))
        return CI_ENOMEM;
    return CI_OK;
}
