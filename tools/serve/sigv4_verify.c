/* SPDX-License-Identifier: MIT */
/* SigV4 verification of incoming requests; the rules are in sigv4_verify.h. */
#include "sigv4_verify.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#define ALGORITHM "AWS4-HMAC-SHA256"
#define MAX_SIGNED_HEADERS 64

const char *sigv4_result_name(sigv4_result r)
{
    switch (r) {
    case SIGV4_OK: return "ok";
    case SIGV4_MALFORMED: return "malformed";
    case SIGV4_WRONG_SCOPE: return "wrong-scope";
    case SIGV4_UNSIGNED_HEADER: return "unsigned-header";
    case SIGV4_CLOCK_SKEW: return "clock-skew";
    case SIGV4_UNKNOWN_KEY: return "unknown-key";
    case SIGV4_PAYLOAD_MISMATCH: return "payload-mismatch";
    case SIGV4_BAD_SIGNATURE: return "bad-signature";
    }
    return "unknown";
}

/* ------------------------------------------------------------ buffer -- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int failed;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_chr(sbuf *b, char c) { sb_add(b, &c, 1); }

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static void sb_escape_byte(sbuf *b, unsigned char c, int keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    if (unreserved(c) || (keep_slash && c == '/')) {
        sb_chr(b, (char)c);
    } else {
        char e[3] = { '%', hex[c >> 4], hex[c & 15] };
        sb_add(b, e, 3);
    }
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* ------------------------------------------------------------- state -- */

typedef struct verify_state {
    const sigv4_config *cfg;
    const sigv4_request *req;
    sigv4_info *info;
    /* From Authorization. */
    char key_id[129];
    char date[9];
    char region[64];
    char service[64];
    char terminator[32];
    char signed_headers[1024];
    const char *signed_names[MAX_SIGNED_HEADERS];
    size_t n_signed;
    char names_buf[1024];
    char signature[65];
    /* From the other headers. */
    const char *amz_date;         /* 16 characters */
    const char *content_sha256;   /* NULL when absent */
} verify_state;

static sigv4_result fail(verify_state *st, sigv4_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sigv4_result fail(verify_state *st, sigv4_result r, const char *fmt, ...)
{
    if (st->info) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->info->detail, sizeof st->info->detail, fmt, ap);
        va_end(ap);
    }
    return r;
}

/* The one value of header `name` (lower case), NULL if absent; *count is
 * set to how many times it occurs. */
static const char *header_once(const sigv4_request *req, const char *name,
                               size_t *count)
{
    const char *v = NULL;
    *count = 0;
    for (size_t i = 0; i < req->n_headers; i++) {
        if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0) {
            if (!v)
                v = req->headers[i].value ? req->headers[i].value : "";
            (*count)++;
        }
    }
    return v;
}

static int copy_part(char *dst, size_t size, const char *s, size_t n)
{
    if (n == 0 || n >= size)
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

/* Credential=KEYID/DATE/REGION/SERVICE/TERMINATOR */
static int parse_credential(verify_state *st, const char *v, size_t n)
{
    char *dst[5] = { st->key_id, st->date, st->region, st->service, st->terminator };
    size_t size[5] = { sizeof st->key_id, sizeof st->date, sizeof st->region,
                       sizeof st->service, sizeof st->terminator };
    size_t part = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || v[i] == '/') {
            if (part >= 5 || copy_part(dst[part], size[part], v + start, i - start) < 0)
                return -1;
            part++;
            start = i + 1;
        }
    }
    if (part != 5 || strlen(st->date) != 8 || !is_digits(st->date, 8))
        return -1;
    return 0;
}

/* SignedHeaders=a;b;c: lower-case names, strictly ascending. */
static int parse_signed_headers(verify_state *st, const char *v, size_t n)
{
    if (copy_part(st->signed_headers, sizeof st->signed_headers, v, n) < 0)
        return -1;
    memcpy(st->names_buf, st->signed_headers, n + 1);
    st->n_signed = 0;
    char *save = NULL;
    for (char *tok = strtok_r(st->names_buf, ";", &save); tok;
         tok = strtok_r(NULL, ";", &save)) {
        for (const char *c = tok; *c; c++)
            if (isupper((unsigned char)*c) || !isgraph((unsigned char)*c) || *c == ':')
                return -1;
        if (st->n_signed == MAX_SIGNED_HEADERS)
            return -1;
        if (st->n_signed > 0 && strcmp(st->signed_names[st->n_signed - 1], tok) >= 0)
            return -1;
        st->signed_names[st->n_signed++] = tok;
    }
    /* No empty names: ";;", a leading or a trailing ';'. */
    if (st->n_signed == 0 || v[0] == ';' || v[n - 1] == ';' ||
        memmem(v, n, ";;", 2))
        return -1;
    return 0;
}

static sigv4_result parse_authorization(verify_state *st)
{
    size_t count;
    const char *auth = header_once(st->req, "authorization", &count);
    if (!auth)
        return fail(st, SIGV4_MALFORMED, "no Authorization header");
    if (count > 1)
        return fail(st, SIGV4_MALFORMED, "Authorization header repeated");
    while (*auth == ' ' || *auth == '\t')
        auth++;
    size_t alen = strlen(ALGORITHM);
    if (strncmp(auth, ALGORITHM, alen) != 0 || (auth[alen] != ' ' && auth[alen] != '\t'))
        return fail(st, SIGV4_MALFORMED, "Authorization is not " ALGORITHM);
    const char *p = auth + alen;
    int seen_cred = 0, seen_sh = 0, seen_sig = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        if (!eq)
            return fail(st, SIGV4_MALFORMED, "Authorization part without '='");
        size_t klen = (size_t)(eq - p);
        const char *v = eq + 1;
        size_t vlen = (size_t)(end - v);
        while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
            vlen--;
        if (klen == 10 && memcmp(p, "Credential", 10) == 0) {
            if (seen_cred++ || parse_credential(st, v, vlen) < 0)
                return fail(st, SIGV4_MALFORMED, "bad or repeated Credential");
        } else if (klen == 13 && memcmp(p, "SignedHeaders", 13) == 0) {
            if (seen_sh++ || parse_signed_headers(st, v, vlen) < 0)
                return fail(st, SIGV4_MALFORMED, "bad or repeated SignedHeaders");
        } else if (klen == 9 && memcmp(p, "Signature", 9) == 0) {
            if (seen_sig++ || vlen != 64)
                return fail(st, SIGV4_MALFORMED, "bad or repeated Signature");
            for (size_t i = 0; i < 64; i++)
                if (!isxdigit((unsigned char)v[i]))
                    return fail(st, SIGV4_MALFORMED, "Signature is not hex");
            for (size_t i = 0; i < 64; i++)
                st->signature[i] = (char)tolower((unsigned char)v[i]);
            st->signature[64] = '\0';
        } else {
            return fail(st, SIGV4_MALFORMED, "unknown Authorization part");
        }
        p = end;
    }
    if (!seen_cred || !seen_sh || !seen_sig)
        return fail(st, SIGV4_MALFORMED, "Authorization lacks Credential, SignedHeaders or Signature");
    if (st->info) {
        snprintf(st->info->key_id, sizeof st->info->key_id, "%s", st->key_id);
        snprintf(st->info->region, sizeof st->info->region, "%s", st->region);
    }
    return SIGV4_OK;
}

/* YYYYMMDDTHHMMSSZ, a real UTC time. */
static int parse_amz_date(const char *s, time_t *out)
{
    if (strlen(s) != 16 || s[8] != 'T' || s[15] != 'Z' ||
        !is_digits(s, 8) || !is_digits(s + 9, 6))
        return -1;
    struct tm tm = { 0 };
    tm.tm_year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') - 1900;
    tm.tm_mon = (s[4] - '0') * 10 + (s[5] - '0') - 1;
    tm.tm_mday = (s[6] - '0') * 10 + (s[7] - '0');
    tm.tm_hour = (s[9] - '0') * 10 + (s[10] - '0');
    tm.tm_min = (s[11] - '0') * 10 + (s[12] - '0');
    tm.tm_sec = (s[13] - '0') * 10 + (s[14] - '0');
    struct tm want = tm;
    time_t t = timegm(&tm);
    /* timegm normalises out-of-range fields: a real date comes back as is. */
    if (t == (time_t)-1 || tm.tm_year != want.tm_year || tm.tm_mon != want.tm_mon ||
        tm.tm_mday != want.tm_mday || tm.tm_hour != want.tm_hour ||
        tm.tm_min != want.tm_min || tm.tm_sec != want.tm_sec)
        return -1;
    *out = t;
    return 0;
}

static int is_signed(const verify_state *st, const char *name)
{
    for (size_t i = 0; i < st->n_signed; i++)
        if (strcasecmp(st->signed_names[i], name) == 0)
            return 1;
    return 0;
}

static int is_lower_hex64(const char *s)
{
    if (strlen(s) != 64)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static sigv4_result precheck(verify_state *st, time_t now)
{
    const sigv4_config *cfg = st->cfg;
    const sigv4_request *req = st->req;
    if (!cfg || !cfg->service || !cfg->lookup || !req || !req->method || !req->raw_path ||
        (req->n_headers > 0 && !req->headers))
        return fail(st, SIGV4_MALFORMED, "verifier called without service, lookup or request");
    sigv4_result r = parse_authorization(st);
    if (r != SIGV4_OK)
        return r;

    size_t count;
    st->amz_date = header_once(req, "x-amz-date", &count);
    time_t t;
    if (!st->amz_date || count != 1 || parse_amz_date(st->amz_date, &t) < 0)
        return fail(st, SIGV4_MALFORMED, "no single valid x-amz-date (YYYYMMDDTHHMMSSZ)");
    st->content_sha256 = header_once(req, "x-amz-content-sha256", &count);
    if (st->content_sha256) {
        int unsigned_ok = cfg->allow_unsigned_payload &&
                          strcmp(st->content_sha256, "UNSIGNED-PAYLOAD") == 0;
        if (count != 1 || (!unsigned_ok && !is_lower_hex64(st->content_sha256)))
            return fail(st, SIGV4_MALFORMED, "x-amz-content-sha256 is not a SHA-256 in hex");
    }
    for (size_t i = 0; i < st->n_signed; i++) {
        header_once(req, st->signed_names[i], &count);
        if (count == 0)
            return fail(st, SIGV4_MALFORMED, "signed header %s is not in the request",
                        st->signed_names[i]);
    }

    if (strcmp(st->service, cfg->service) != 0)
        return fail(st, SIGV4_WRONG_SCOPE, "credential scope is for service '%s', not '%s'",
                    st->service, cfg->service);
    if (cfg->region && strcmp(st->region, cfg->region) != 0)
        return fail(st, SIGV4_WRONG_SCOPE, "credential scope is for region '%s', not '%s'",
                    st->region, cfg->region);
    if (strcmp(st->terminator, "aws4_request") != 0)
        return fail(st, SIGV4_WRONG_SCOPE, "credential scope does not end in aws4_request");
    if (strncmp(st->date, st->amz_date, 8) != 0)
        return fail(st, SIGV4_WRONG_SCOPE, "credential scope date %s is not x-amz-date's", st->date);

    static const char *const always[] = { "host", "x-amz-date", NULL };
    for (const char *const *n = always; *n; n++)
        if (!is_signed(st, *n))
            return fail(st, SIGV4_UNSIGNED_HEADER, "header %s is not signed", *n);
    for (size_t i = 0; i < req->n_headers; i++) {
        const char *name = req->headers[i].name;
        if (name && strncasecmp(name, "x-amz-", 6) == 0 && !is_signed(st, name))
            return fail(st, SIGV4_UNSIGNED_HEADER, "header %s is not signed", name);
    }
    if (cfg->also_signed)
        for (const char *const *n = cfg->also_signed; *n; n++)
            if (header_once(req, *n, &count) && !is_signed(st, *n))
                return fail(st, SIGV4_UNSIGNED_HEADER, "header %s is not signed", *n);

    long skew = cfg->max_skew_seconds > 0 ? cfg->max_skew_seconds : 300;
    double diff = difftime(now, t);
    if (diff > (double)skew || diff < -(double)skew)
        return fail(st, SIGV4_CLOCK_SKEW, "x-amz-date %s is %.0f s from the server's clock",
                    st->amz_date, diff);
    return SIGV4_OK;
}

sigv4_result sigv4_precheck(const sigv4_config *cfg, const sigv4_request *req,
                            time_t now, sigv4_info *info)
{
    verify_state st = { .cfg = cfg, .req = req, .info = info };
    if (info)
        memset(info, 0, sizeof *info);
    sigv4_result r = precheck(&st, now);
    if (r != SIGV4_OK)
        return r;
    char secret[512];
    int known = cfg->lookup(cfg->lookup_cls, st.key_id, secret, sizeof secret) == 0;
    OPENSSL_cleanse(secret, sizeof secret);
    if (!known)
        return fail(&st, SIGV4_UNKNOWN_KEY, "unknown access key");
    return SIGV4_OK;
}

/* --------------------------------------------------- canonical request -- */

/* The raw path, dot segments and empty segments removed (as botocore's
 * remove_dot_segments), then every byte escaped but unreserved and '/'. */
static void canonical_uri(sbuf *b, const char *path)
{
    size_t n = strlen(path);
    if (n == 0) {
        sb_chr(b, '/');
        return;
    }
    /* Kept segments as (start, length); at most one per byte. */
    size_t *seg = calloc(n + 1, 2 * sizeof *seg);
    if (!seg) {
        b->failed = 1;
        return;
    }
    size_t nseg = 0, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && path[i] != '/')
            continue;
        size_t len = i - start;
        if (len == 0 || (len == 1 && path[start] == '.')) {
            /* dropped */
        } else if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (nseg > 0)
                nseg--;
        } else {
            seg[2 * nseg] = start;
            seg[2 * nseg + 1] = len;
            nseg++;
        }
        start = i + 1;
    }
    if (path[0] == '/')
        sb_chr(b, '/');
    for (size_t s = 0; s < nseg; s++) {
        if (s > 0)
            sb_chr(b, '/');
        for (size_t i = 0; i < seg[2 * s + 1]; i++)
            sb_escape_byte(b, (unsigned char)path[seg[2 * s] + i], 1);
    }
    if (path[n - 1] == '/' && nseg > 0)
        sb_chr(b, '/');
    free(seg);
}

/* Decodes %XX in s[0..n) and escapes again into b. -1 on a bad escape. */
static int reencode(sbuf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        sb_escape_byte(b, c, 0);
    }
    return 0;
}

typedef struct qpair {
    char *key;
    char *value;
} qpair;

static int qpair_cmp(const void *a, const void *b)
{
    const qpair *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : strcmp(x->value, y->value);
}

static int canonical_query(sbuf *b, const char *query)
{
    if (!query || !*query)
        return 0;
    size_t n = 1;
    for (const char *p = query; *p; p++)
        n += *p == '&';
    qpair *pairs = calloc(n, sizeof *pairs);
    if (!pairs) {
        b->failed = 1;
        return 0;
    }
    int rc = 0;
    size_t i = 0;
    const char *p = query;
    while (i < n) {
        const char *end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        const char *eq = memchr(p, '=', (size_t)(end - p));
        const char *kend = eq ? eq : end;
        sbuf k = { 0 }, v = { 0 };
        sb_str(&k, "");
        sb_str(&v, "");
        if (reencode(&k, p, (size_t)(kend - p)) < 0 ||
            (eq && reencode(&v, eq + 1, (size_t)(end - eq - 1)) < 0))
            rc = -1;
        if (k.failed || v.failed)
            b->failed = 1;
        pairs[i].key = k.p;
        pairs[i].value = v.p;
        i++;
        if (rc < 0 || b->failed || !*end)
            break;
        p = end + 1;
    }
    if (rc == 0 && !b->failed) {
        qsort(pairs, i, sizeof *pairs, qpair_cmp);
        for (size_t j = 0; j < i; j++) {
            if (j > 0)
                sb_chr(b, '&');
            sb_str(b, pairs[j].key);
            sb_chr(b, '=');
            sb_str(b, pairs[j].value);
        }
    }
    for (size_t j = 0; j < i; j++) {
        free(pairs[j].key);
        free(pairs[j].value);
    }
    free(pairs);
    return rc;
}

/* A header value trimmed, inner runs of whitespace made one space. */
static void trimmed_value(sbuf *b, const char *v)
{
    int pending_space = 0, any = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\v' || *p == '\f') {
            pending_space = any;
            continue;
        }
        if (pending_space)
            sb_chr(b, ' ');
        pending_space = 0;
        any = 1;
        sb_chr(b, (char)*p);
    }
}

static void canonical_headers(sbuf *b, const verify_state *st)
{
    for (size_t s = 0; s < st->n_signed; s++) {
        sb_str(b, st->signed_names[s]);
        sb_chr(b, ':');
        int first = 1;
        for (size_t i = 0; i < st->req->n_headers; i++) {
            const sigv4_header *h = &st->req->headers[i];
            if (!h->name || strcasecmp(h->name, st->signed_names[s]) != 0)
                continue;
            if (!first)
                sb_chr(b, ',');
            first = 0;
            trimmed_value(b, h->value ? h->value : "");
        }
        sb_chr(b, '\n');
    }
}

static void to_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hmac(const void *key, size_t key_len, const char *msg,
                unsigned char out[32])
{
    unsigned int len = 32;
    return HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)msg,
                strlen(msg), out, &len) && len == 32 ? 0 : -1;
}

sigv4_result sigv4_verify(const sigv4_config *cfg, const sigv4_request *req,
                          time_t now, sigv4_info *info)
{
    verify_state st = { .cfg = cfg, .req = req, .info = info };
    if (info)
        memset(info, 0, sizeof *info);
    sigv4_result r = precheck(&st, now);
    if (r != SIGV4_OK)
        return r;

    const char *payload_hash = st.content_sha256 ? st.content_sha256 : req->body_sha256_hex;
    if (!payload_hash || (!st.content_sha256 && !is_lower_hex64(payload_hash)))
        return fail(&st, SIGV4_MALFORMED, "no SHA-256 of the body was given to the verifier");

    char secret[512];
    if (cfg->lookup(cfg->lookup_cls, st.key_id, secret, sizeof secret) != 0) {
        OPENSSL_cleanse(secret, sizeof secret);
        return fail(&st, SIGV4_UNKNOWN_KEY, "unknown access key");
    }

    if (st.content_sha256 && strcmp(st.content_sha256, "UNSIGNED-PAYLOAD") != 0 &&
        (!req->body_sha256_hex ||
         CRYPTO_memcmp(st.content_sha256, req->body_sha256_hex, 64) != 0)) {
        OPENSSL_cleanse(secret, sizeof secret);
        return fail(&st, SIGV4_PAYLOAD_MISMATCH, "x-amz-content-sha256 is not the body's SHA-256");
    }

    sbuf cr = { 0 };
    sb_str(&cr, req->method);
    sb_chr(&cr, '\n');
    canonical_uri(&cr, req->raw_path);
    sb_chr(&cr, '\n');
    if (canonical_query(&cr, req->raw_query) < 0) {
        free(cr.p);
        OPENSSL_cleanse(secret, sizeof secret);
        return fail(&st, SIGV4_MALFORMED, "bad %%-escape in the query string");
    }
    sb_chr(&cr, '\n');
    canonical_headers(&cr, &st);
    sb_chr(&cr, '\n');
    sb_str(&cr, st.signed_headers);
    sb_chr(&cr, '\n');
    sb_str(&cr, payload_hash);

    unsigned char digest[32];
    char cr_hash[65];
    sbuf sts = { 0 };
    if (!cr.failed) {
        SHA256((const unsigned char *)cr.p, cr.len, digest);
        to_hex(digest, 32, cr_hash);
        sb_str(&sts, ALGORITHM "\n");
        sb_str(&sts, st.amz_date);
        sb_chr(&sts, '\n');
        sb_str(&sts, st.date);
        sb_chr(&sts, '/');
        sb_str(&sts, st.region);
        sb_chr(&sts, '/');
        sb_str(&sts, st.service);
        sb_str(&sts, "/aws4_request\n");
        sb_str(&sts, cr_hash);
    }
    free(cr.p);
    if (cr.failed || sts.failed) {
        free(sts.p);
        OPENSSL_cleanse(secret, sizeof secret);
        return fail(&st, SIGV4_MALFORMED, "out of memory building the canonical request");
    }

    /* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" secret, date), region), service), "aws4_request") */
    char k_secret[4 + sizeof secret];
    size_t secret_len = strlen(secret);
    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, secret_len);
    unsigned char k1[32], k2[32], k3[32], k4[32], sig[32];
    int ok = hmac(k_secret, 4 + secret_len, st.date, k1) == 0 &&
             hmac(k1, 32, st.region, k2) == 0 &&
             hmac(k2, 32, st.service, k3) == 0 &&
             hmac(k3, 32, "aws4_request", k4) == 0 &&
             hmac(k4, 32, sts.p, sig) == 0;
    OPENSSL_cleanse(secret, sizeof secret);
    OPENSSL_cleanse(k_secret, sizeof k_secret);
    OPENSSL_cleanse(k1, 32);
    OPENSSL_cleanse(k2, 32);
    OPENSSL_cleanse(k3, 32);
    OPENSSL_cleanse(k4, 32);
    free(sts.p);
    if (!ok)
        return fail(&st, SIGV4_MALFORMED, "HMAC-SHA256 failed");
    char sig_hex[65];
    to_hex(sig, 32, sig_hex);
    if (CRYPTO_memcmp(sig_hex, st.signature, 64) != 0)
        return fail(&st, SIGV4_BAD_SIGNATURE, "signature does not match");
    return SIGV4_OK;
}
