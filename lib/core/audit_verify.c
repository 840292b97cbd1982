/* SPDX-License-Identifier: MIT */
/* Reading audit records back: one line's structure and hash, and a whole
 * trail's chain (doc/audit.md, "Verification"). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/audit.h"
#include "util/sha256.h"

/* Every record ends with ,"prev":"<64 hex>","hash":"<64 hex>"} */
#define PREV_KEY ",\"prev\":\""
#define HASH_KEY "\",\"hash\":\""
#define TAIL_LEN (sizeof(PREV_KEY) - 1 + CI_AUDIT_HASH_HEX + sizeof(HASH_KEY) - 1 + \
                  CI_AUDIT_HASH_HEX + 2)

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int string_is(const cJSON *o, const char *key, const char *want)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) && (!want || strcmp(v->valuestring, want) == 0);
}

int ci_audit_parse_line(const char *line, size_t len, struct ci_audit_parsed *out,
                        const char **why)
{
    *why = "not an audit record";
    if (len <= TAIL_LEN || memchr(line, '\0', len))
        return -1;
    const char *t = line + len - TAIL_LEN;
    const char *prev = t + sizeof(PREV_KEY) - 1;
    const char *hkey = prev + CI_AUDIT_HASH_HEX;
    const char *hash = hkey + sizeof(HASH_KEY) - 1;
    if (memcmp(t, PREV_KEY, sizeof(PREV_KEY) - 1) || !is_hex(prev, CI_AUDIT_HASH_HEX) ||
        memcmp(hkey, HASH_KEY, sizeof(HASH_KEY) - 1) || !is_hex(hash, CI_AUDIT_HASH_HEX) ||
        memcmp(hash + CI_AUDIT_HASH_HEX, "\"}", 2)) {
        *why = "the record does not end with its \"prev\" and \"hash\" members";
        return -1;
    }
    memcpy(out->prev, prev, CI_AUDIT_HASH_HEX);
    out->prev[CI_AUDIT_HASH_HEX] = '\0';
    memcpy(out->hash, hash, CI_AUDIT_HASH_HEX);
    out->hash[CI_AUDIT_HASH_HEX] = '\0';

    const char *end = NULL;
    cJSON *o = cJSON_ParseWithLengthOpts(line, len, &end, 0);
    const cJSON *seq = cJSON_GetObjectItemCaseSensitive(o, "seq");
    int ok = cJSON_IsObject(o) && end == line + len;
    if (!ok)
        *why = "the line is not a JSON object";
    else if (!cJSON_IsNumber(seq) || seq->valuedouble < 1 || seq->valuedouble > 9007199254740992.0 ||
             seq->valuedouble != (double)(uint64_t)seq->valuedouble)
        ok = 0, *why = "\"seq\" is not a positive integer";
    else if (!string_is(o, "time", NULL) || !string_is(o, "session", NULL) || !string_is(o, "op", NULL))
        ok = 0, *why = "\"time\", \"session\" or \"op\" is missing";
    else if (!string_is(o, "prev", out->prev) || !string_is(o, "hash", out->hash))
        ok = 0, *why = "\"prev\" or \"hash\" appears twice";
    if (ok)
        out->seq = (uint64_t)seq->valuedouble;
    cJSON_Delete(o);
    if (!ok)
        return -1;

    /* the hash covers the line up to and including prev's closing quote */
    char computed[CI_SHA256_HEX_LEN + 1];
    ci_sha256_hex(line, (size_t)(hkey + 1 - line), computed);
    out->hash_ok = memcmp(computed, out->hash, CI_AUDIT_HASH_HEX) == 0;
    return 0;
}

int ci_audit_verify_path(const char *path, uint64_t *records, char **problem)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return ci_fail(NULL, errno == ENOENT ? CI_ENOENT : CI_EIO, "cannot open %s: %s", path,
                       strerror(errno));
    char prev[CI_AUDIT_HASH_HEX + 1];
    memset(prev, '0', CI_AUDIT_HASH_HEX);
    prev[CI_AUDIT_HASH_HEX] = '\0';
    char *line = NULL;
    const char *why = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t good = 0;
    while (!why && (n = getline(&line, &cap, f)) > 0) {
        struct ci_audit_parsed rec;
        const char *parse_error;
        if (line[n - 1] != '\n')
            why = "incomplete record (no newline at the end of the file)";
        else if (ci_audit_parse_line(line, (size_t)n - 1, &rec, &parse_error) < 0)
            why = parse_error;
        else if (!rec.hash_ok)
            why = "the hash does not match the record (the line was altered)";
        else if (strcmp(rec.prev, prev) != 0)
            why = good == 0 ? "\"prev\" is not 64 zeros (the trail does not start here: lines "
                              "were removed before it)"
                            : "\"prev\" is not the hash of the line before (a line was "
                              "removed, inserted or moved)";
        else if (rec.seq != good + 1)
            why = "\"seq\" does not follow the line before (records were removed or reordered)";
        else
            memcpy(prev, rec.hash, sizeof(prev)), good++;
    }
    int read_error = ferror(f);
    free(line);
    fclose(f);
    if (read_error)
        return ci_fail(NULL, CI_EIO, "cannot read %s", path);
    if (!why) {
        if (records)
            *records = good;
        if (problem)
            *problem = NULL;
        return CI_OK;
    }
    char *text = NULL;
    if (asprintf(&text, "line %llu: %s", (unsigned long long)good + 1, why) < 0)
        return ci_fail(NULL, CI_ENOMEM, "out of memory");
    ci_fail(NULL, CI_EAUDIT, "%s: %s", path, text);
    if (records)
        *records = good;
    if (problem)
        *problem = text;
    else
        free(text);
    return CI_EAUDIT;
}
