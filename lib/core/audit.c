/* SPDX-License-Identifier: MIT */
/* Writing audit records: formatting, the hash chain, the file and callback
 * sinks. The format is defined in doc/audit.md; keep the two in step. */
#include "core/audit.h"
#include "core/names.h"
#include "util/json_text.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/result.h"
#include "util/sha256.h"

static const char zero_hash[CI_AUDIT_HASH_HEX + 1] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* The longest last line the writer reads back from the file's tail; the
 * writer's own lines are far shorter (no field is unbounded). */
#define TAIL_MAX (1u << 20)

struct ci_audit_chain {
    atomic_int refs;
    pthread_mutex_t lock;
    uint64_t seq;
    char hash[CI_AUDIT_HASH_HEX + 1];
};

struct ci_audit {
    /* A session is used by one thread at a time, but a call refused with
     * CI_EBUSY may still run into a hook: records of one handle never mix. */
    pthread_mutex_t lock;
    int fd;  /* -1: no file sink */
    int fsync_every;
    ci_audit_callback cb;
    void *cb_data;
    struct ci_audit_chain *chain;  /* callback-only sink */
    int expired_logged;
    char session[33];
    char principal[257];           /* "" when the config names none */
    char error[256];
};

struct ci_audit_chain *ci_audit_chain_new(void)
{
    struct ci_audit_chain *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->lock, NULL);
    memcpy(c->hash, zero_hash, sizeof(zero_hash));
    return c;
}

struct ci_audit_chain *ci_audit_chain_ref(struct ci_audit_chain *c)
{
    if (c)
        atomic_fetch_add(&c->refs, 1);
    return c;
}

void ci_audit_chain_unref(struct ci_audit_chain *c)
{
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- JSON text ---------------------------------------------------------- */

static void put(struct ci_audit_params *p, const char *s, size_t len)
{
    if (!p->failed && ci_buf_append(&p->b, s, len) < 0)
        p->failed = 1;
}

static void puts_(struct ci_audit_params *p, const char *s)
{
    put(p, s, strlen(s));
}

static void putf(struct ci_audit_params *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct ci_audit_params *p, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp))
        p->failed = 1;
    else
        put(p, tmp, (size_t)n);
}

/* A JSON string in the spelling doc/audit.md gives (util/json_text.h):
 * always one line, always valid JSON. */
static void put_string(struct ci_audit_params *p, const char *s)
{
    size_t n;
    char *quoted = ci_json_text_quote(s, strlen(s), CI_JSON_TEXT_UNICODE_ESCAPES, &n);
    if (!quoted) {
        p->failed = 1;
        return;
    }
    put(p, quoted, n);
    free(quoted);
}

static void put_key(struct ci_audit_params *p, const char *key)
{
    if (p->b.len)
        put(p, ",", 1);
    put_string(p, key);
    put(p, ":", 1);
}

/* Milliseconds with three decimals, without printf's %f: its decimal point
 * follows the host's locale, JSON's does not. */
static void put_ms(struct ci_audit_params *p, double ms)
{
    if (!(ms >= 0) || ms > 1e15) {
        puts_(p, "null");
        return;
    }
    uint64_t us = (uint64_t)(ms * 1000.0 + 0.5);
    putf(p, "%" PRIu64 ".%03u", us / 1000, (unsigned)(us % 1000));
}

void ci_audit_param_str(struct ci_audit_params *p, const char *key, const char *value)
{
    put_key(p, key);
    if (value)
        put_string(p, value);
    else
        puts_(p, "null");
}

void ci_audit_param_u64(struct ci_audit_params *p, const char *key, uint64_t value)
{
    put_key(p, key);
    putf(p, "%" PRIu64, value);
}

void ci_audit_params_free(struct ci_audit_params *p)
{
    ci_buf_free(&p->b);
    p->failed = 0;
}

/* ---- records ------------------------------------------------------------ */

static void format_time(char out[64])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
}

static int outcome_ok(const struct ci_audit_event *ev)
{
    return ev->error_code == 0 && (!ev->result || ev->result->status == CI_STATUS_OK);
}

/* The complete line (with '\n') for seq and prev into line; its hash into
 * hash. 0 or CI_ENOMEM. */
static int build_line(const struct ci_audit *a, const struct ci_audit_event *ev, uint64_t seq,
                      const char *prev, struct ci_audit_params *line,
                      char hash[CI_AUDIT_HASH_HEX + 1])
{
    char t[64];
    format_time(t);
    puts_(line, "{\"time\":");
    put_string(line, t);
    putf(line, ",\"seq\":%" PRIu64 ",\"session\":", seq);
    put_string(line, a->session);
    if (a->principal[0]) {
        puts_(line, ",\"principal\":");
        put_string(line, a->principal);
    }
    puts_(line, ",\"op\":");
    put_string(line, ev->op);
    puts_(line, ",\"params\":{");
    if (ev->params) {
        if (ev->params->failed)
            line->failed = 1;
        put(line, ci_buf_cstr(&ev->params->b), ev->params->b.len);
    }
    puts_(line, "},\"outcome\":");
    put_string(line, outcome_ok(ev) ? "ok" : "error");
    const struct ci_result *r = ev->result;
    if (r) {
        const char *status = ci_names_status(r->status);
        puts_(line, ",\"status\":");
        put_string(line, status ? status : "unknown");
        putf(line, ",\"exit_code\":%d", r->exit_code);
    }
    putf(line, ",\"error_code\":%d", ev->error_code);
    if (r) {
        puts_(line, ",\"usage\":{\"wall_ms\":");
        put_ms(line, r->wall_ms);
        puts_(line, ",\"cpu_ms\":");
        put_ms(line, r->cpu_ms);
        if (r->peak_memory)
            putf(line, ",\"peak_memory_bytes\":%" PRIu64 "}", r->peak_memory);
        else
            puts_(line, ",\"peak_memory_bytes\":null}");
    }
    if (ev->message) {
        puts_(line, ",\"message\":");
        put_string(line, ev->message);
    }
    puts_(line, ",\"prev\":");
    put_string(line, prev);
    if (line->failed)
        return CI_ENOMEM;
    /* doc/audit.md: hash = SHA-256 of the line up to and including prev */
    ci_sha256_hex(line->b.data, line->b.len, hash);
    puts_(line, ",\"hash\":");
    put_string(line, hash);
    puts_(line, "}\n");
    return line->failed ? CI_ENOMEM : CI_OK;
}

static int set_error(struct ci_audit *a, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int set_error(struct ci_audit *a, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->error, sizeof(a->error), fmt, ap);
    va_end(ap);
    return code;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_at(int fd, char *buf, size_t len, off_t off)
{
    while (len > 0) {
        ssize_t n = pread(fd, buf, len, off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
        off += n;
    }
    return 0;
}

/* The seq and hash of the file's last record. The caller holds the lock. */
static int read_tail(struct ci_audit *a, off_t size, uint64_t *seq, char hash[CI_AUDIT_HASH_HEX + 1])
{
    size_t want = 4096;
    for (;;) {
        size_t n = (off_t)want < size ? want : (size_t)size;
        char *buf = malloc(n);
        if (!buf)
            return set_error(a, CI_ENOMEM, "out of memory");
        if (read_at(a->fd, buf, n, size - (off_t)n) < 0) {
            free(buf);
            return set_error(a, CI_EIO, "cannot read the audit file's tail: %s", strerror(errno));
        }
        if (buf[n - 1] != '\n') {
            free(buf);
            return set_error(a, CI_EIO, "the audit file does not end with a complete record");
        }
        size_t start = n - 1;
        while (start > 0 && buf[start - 1] != '\n')
            start--;
        if (start == 0 && (off_t)n < size) {
            free(buf);
            if (want >= TAIL_MAX)
                return set_error(a, CI_EIO, "the audit file's last line is too long");
            want *= 2;
            continue;
        }
        struct ci_audit_parsed rec;
        const char *why;
        int r = ci_audit_parse_line(buf + start, n - 1 - start, &rec, &why);
        free(buf);
        if (r < 0)
            return set_error(a, CI_EIO, "the audit file's last line is not a record (%s)", why);
        *seq = rec.seq;
        memcpy(hash, rec.hash, sizeof(rec.hash));
        return CI_OK;
    }
}

static int emit_file(struct ci_audit *a, const struct ci_audit_event *ev)
{
    while (flock(a->fd, LOCK_EX) < 0)
        if (errno != EINTR)
            return set_error(a, CI_EIO, "cannot lock the audit file: %s", strerror(errno));
    struct ci_audit_params line = {0};
    char prev[CI_AUDIT_HASH_HEX + 1], hash[CI_AUDIT_HASH_HEX + 1];
    uint64_t seq = 0;
    struct stat st;
    int r = CI_OK;
    memcpy(prev, zero_hash, sizeof(prev));
    if (fstat(a->fd, &st) < 0)
        r = set_error(a, CI_EIO, "cannot stat the audit file: %s", strerror(errno));
    else if (st.st_size > 0)
        r = read_tail(a, st.st_size, &seq, prev);
    if (r == CI_OK && build_line(a, ev, seq + 1, prev, &line, hash) < 0)
        r = set_error(a, CI_ENOMEM, "out of memory");
    if (r == CI_OK && write_all(a->fd, line.b.data, line.b.len) < 0) {
        r = set_error(a, CI_EIO, "cannot append to the audit file: %s", strerror(errno));
        /* a torn line would break the chain for every later writer */
        if (ftruncate(a->fd, st.st_size) < 0)
            snprintf(a->error, sizeof(a->error), "cannot append to the audit file, which now "
                     "ends with a partial line: %s", strerror(errno));
    }
    if (r == CI_OK && a->fsync_every && fsync(a->fd) < 0)
        r = set_error(a, CI_EIO, "cannot fsync the audit file: %s", strerror(errno));
    /* under the lock, so the callback sees the records in chain order */
    if (r == CI_OK && a->cb)
        a->cb(line.b.data, line.b.len, a->cb_data);
    flock(a->fd, LOCK_UN);
    ci_audit_params_free(&line);
    return r;
}

static int emit_callback(struct ci_audit *a, const struct ci_audit_event *ev)
{
    struct ci_audit_params line = {0};
    char hash[CI_AUDIT_HASH_HEX + 1];
    pthread_mutex_lock(&a->chain->lock);
    int r = build_line(a, ev, a->chain->seq + 1, a->chain->hash, &line, hash);
    if (r == CI_OK) {
        a->chain->seq++;
        memcpy(a->chain->hash, hash, sizeof(hash));
        a->cb(line.b.data, line.b.len, a->cb_data);
    } else {
        set_error(a, r, "out of memory");
    }
    pthread_mutex_unlock(&a->chain->lock);
    ci_audit_params_free(&line);
    return r;
}

int ci_audit_emit(struct ci_audit *a, const struct ci_audit_event *ev)
{
    if (!a)
        return CI_OK;
    pthread_mutex_lock(&a->lock);
    a->error[0] = '\0';
    int r = a->fd >= 0 ? emit_file(a, ev) : emit_callback(a, ev);
    pthread_mutex_unlock(&a->lock);
    return r;
}

/* ---- sinks -------------------------------------------------------------- */

int ci_audit_open(const struct ci_config *cfg, const char *session_id, struct ci_audit **out,
                  char *err, size_t errcap)
{
    *out = NULL;
    if (!cfg->audit_path && !cfg->audit_cb)
        return CI_OK;
    struct ci_audit *a = calloc(1, sizeof(*a));
    if (!a) {
        snprintf(err, errcap, "out of memory");
        return CI_ENOMEM;
    }
    pthread_mutex_init(&a->lock, NULL);
    a->fd = -1;
    a->fsync_every = cfg->audit_fsync;
    a->cb = cfg->audit_cb;
    a->cb_data = cfg->audit_cb_data;
    snprintf(a->session, sizeof(a->session), "%s", session_id);
    snprintf(a->principal, sizeof(a->principal), "%s",
             cfg->audit_principal ? cfg->audit_principal : "");
    if (cfg->audit_path) {
        /* O_RDWR rather than O_WRONLY: the chain's last hash is read back
         * from the file's tail under the lock */
        a->fd = open(cfg->audit_path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
        struct stat st;
        if (a->fd < 0 || fstat(a->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
            int e = a->fd < 0 ? errno : 0;
            snprintf(err, errcap, "cannot open the audit file %s: %s", cfg->audit_path,
                     e ? strerror(e) : "not a regular file");
            ci_audit_close(a);
            return e ? CI_EIO : CI_EINVAL;
        }
    } else {
        a->chain = cfg->audit_chain ? ci_audit_chain_ref(cfg->audit_chain) : ci_audit_chain_new();
        if (!a->chain) {
            snprintf(err, errcap, "out of memory");
            ci_audit_close(a);
            return CI_ENOMEM;
        }
    }
    *out = a;
    return CI_OK;
}

void ci_audit_close(struct ci_audit *a)
{
    if (!a)
        return;
    if (a->fd >= 0)
        close(a->fd);
    ci_audit_chain_unref(a->chain);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

const char *ci_audit_error(const struct ci_audit *a)
{
    return a ? a->error : "";
}

/* ---- hooks -------------------------------------------------------------- */

static void session_params(struct ci_audit_params *p, const struct ci_config *cfg)
{
    const char *network = ci_names_network(cfg->network);
    const char *cgroup_mode = ci_names_cgroup_mode(cfg->cgroup_mode);
    ci_audit_param_str(p, "network", network ? network : "unknown");
    ci_audit_param_u64(p, "exec_timeout_ms", cfg->exec_timeout_ms);
    ci_audit_param_u64(p, "idle_timeout_ms", cfg->idle_timeout_ms);
    if (cfg->session_lifetime_ms)
        ci_audit_param_u64(p, "session_lifetime_ms", cfg->session_lifetime_ms);
    ci_audit_param_u64(p, "memory_limit_bytes", cfg->memory_limit);
    ci_audit_param_u64(p, "cpu_millis", cfg->cpu_millis);
    ci_audit_param_u64(p, "max_processes", cfg->max_processes);
    ci_audit_param_str(p, "cgroup_mode", cgroup_mode ? cgroup_mode : "unknown");
    /* how many variables, never their names or values: they carry secrets */
    ci_audit_param_u64(p, "env_count", cfg->env_count);
}

int ci_audit_session_created(struct ci_audit *a, const struct ci_config *cfg)
{
    if (!a)
        return CI_OK;
    struct ci_audit_params p = {0};
    session_params(&p, cfg);
    struct ci_audit_event ev = {.op = "session_create", .params = &p};
    int r = ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
    return r;
}

void ci_audit_setup_failed(struct ci_audit *a, const struct ci_config *cfg, int code,
                           const char *message)
{
    if (!a)
        return;
    struct ci_audit_params p = {0};
    session_params(&p, cfg);
    struct ci_audit_event ev = {
        .op = "sandbox_setup_failure", .params = &p, .error_code = code, .message = message,
    };
    ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
}

void ci_audit_session_destroyed(struct ci_audit *a, uint64_t lifetime_ms)
{
    if (!a)
        return;
    struct ci_audit_params p = {0};
    ci_audit_param_u64(&p, "lifetime_ms", lifetime_ms);
    struct ci_audit_event ev = {.op = "session_destroy", .params = &p};
    ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
}

int ci_audit_host_denied(const struct ci_config *cfg, const char *principal, const char *reason,
                         const char *message, char *err, size_t errcap)
{
    struct ci_audit *a = NULL;
    int r = ci_audit_open(cfg, "", &a, err, errcap);
    if (r < 0 || !a)
        return r;
    /* the identity claimed, not the config's: the caller was not let in */
    snprintf(a->principal, sizeof(a->principal), "%s", principal ? principal : "");
    struct ci_audit_params p = {0};
    ci_audit_param_str(&p, "reason", reason);
    struct ci_audit_event ev = {
        .op = "access_denied", .params = &p, .error_code = CI_EACCESS, .message = message,
    };
    r = ci_audit_emit(a, &ev);
    if (r < 0)
        snprintf(err, errcap, "%s", ci_audit_error(a));
    ci_audit_params_free(&p);
    ci_audit_close(a);
    return r;
}

void ci_audit_session_expired(struct ci_audit *a, uint64_t idle_timeout_ms)
{
    if (!a || a->expired_logged)
        return;
    struct ci_audit_params p = {0};
    ci_audit_param_u64(&p, "idle_timeout_ms", idle_timeout_ms);
    struct ci_audit_event ev = {.op = "session_expire", .params = &p, .error_code = CI_EEXPIRED};
    if (ci_audit_emit(a, &ev) == CI_OK)
        a->expired_logged = 1;
    ci_audit_params_free(&p);
}

static void language_param(struct ci_audit_params *p, ci_language language)
{
    const char *name = ci_names_language(language);
    ci_audit_param_str(p, "language", name ? name : "unknown");
}

int ci_audit_execute_start(struct ci_audit *a, ci_language language, const char *code)
{
    if (!a)
        return CI_OK;
    struct ci_audit_params p = {0};
    char digest[CI_SHA256_HEX_LEN + 1];
    size_t len = strlen(code);
    ci_sha256_hex(code, len, digest);
    language_param(&p, language);
    /* the digest and length identify the code; the code itself may hold
     * secrets and is never written */
    ci_audit_param_str(&p, "code_sha256", digest);
    ci_audit_param_u64(&p, "code_length", len);
    struct ci_audit_event ev = {.op = "execute_start", .params = &p};
    int r = ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
    return r;
}

void ci_audit_execute_end(struct ci_audit *a, ci_language language, int rc,
                          const struct ci_result *result)
{
    if (!a)
        return;
    struct ci_audit_params p = {0};
    language_param(&p, language);
    struct ci_audit_event ev = {
        .op = "execute_end", .params = &p, .error_code = rc, .result = rc == 0 ? result : NULL,
    };
    ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
}

void ci_audit_file_op(struct ci_audit *a, const char *op, const char *name, const char *host_path,
                      int64_t size, int rc)
{
    if (!a)
        return;
    struct ci_audit_params p = {0};
    ci_audit_param_str(&p, "name", name);
    if (host_path)
        ci_audit_param_str(&p, "host_path", host_path);
    if (size >= 0)
        ci_audit_param_u64(&p, "size", (uint64_t)size);
    struct ci_audit_event ev = {.op = op, .params = &p, .error_code = rc};
    ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
}

int ci_audit_task_start(struct ci_audit *a, const char *command)
{
    if (!a)
        return CI_OK;
    struct ci_audit_params p = {0};
    char digest[CI_SHA256_HEX_LEN + 1];
    size_t len = strlen(command);
    ci_sha256_hex(command, len, digest);
    ci_audit_param_str(&p, "command_sha256", digest);
    ci_audit_param_u64(&p, "command_length", len);
    struct ci_audit_event ev = {.op = "task_start", .params = &p};
    int r = ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
    return r;
}

void ci_audit_task_op(struct ci_audit *a, const char *op, const char *task_id, const char *state,
                      int rc)
{
    if (!a)
        return;
    struct ci_audit_params p = {0};
    if (task_id)
        ci_audit_param_str(&p, "task", task_id);
    if (state)
        ci_audit_param_str(&p, "state", state);
    struct ci_audit_event ev = {.op = op, .params = &p, .error_code = rc};
    ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
}

void ci_audit_list(struct ci_audit *a, const char *dir, uint64_t count, int rc)
{
    if (!a)
        return;
    struct ci_audit_params p = {0};
    ci_audit_param_str(&p, "dir", dir ? dir : "");
    if (rc == 0)
        ci_audit_param_u64(&p, "count", count);
    struct ci_audit_event ev = {.op = "list", .params = &p, .error_code = rc};
    ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
}

/* A URI without what may authenticate it: user info ("key:secret@") and
 * the query (a presigned URL's signature). */
static char *uri_without_credentials(const char *uri)
{
    char *copy = strdup(uri ? uri : "");
    if (!copy)
        return NULL;
    copy[strcspn(copy, "?#")] = '\0';
    char *host = strstr(copy, "://");
    host = host ? host + 3 : copy;
    char *at = strchr(host, '@');
    if (at && at < host + strcspn(host, "/"))
        memmove(host, at + 1, strlen(at + 1) + 1);
    return copy;
}

void ci_audit_s3_transfer(struct ci_audit *a, const char *direction, const char *uri,
                          const char *name, int64_t size, int rc)
{
    if (!a)
        return;
    struct ci_audit_params p = {0};
    char *clean = uri_without_credentials(uri);
    ci_audit_param_str(&p, "direction", direction);
    if (clean)
        ci_audit_param_str(&p, "uri", clean);
    else
        p.failed = 1;
    free(clean);
    if (name)
        ci_audit_param_str(&p, "name", name);
    if (size >= 0)
        ci_audit_param_u64(&p, "size", (uint64_t)size);
    struct ci_audit_event ev = {.op = "s3_transfer", .params = &p, .error_code = rc};
    ci_audit_emit(a, &ev);
    ci_audit_params_free(&p);
}
