/* SPDX-License-Identifier: MIT */
/*
 * The audit trail: one hash-chained JSON line per operation, written by the
 * host side to a file and/or handed to a callback. doc/audit.md defines the
 * record format and the chain; this header is what the hooks call.
 *
 * A session holds one `struct ci_audit` (NULL when no sink is configured;
 * every function here accepts NULL and then does nothing). The chain of a
 * file sink lives in the file itself: each record is appended under
 * flock(LOCK_EX) after reading the last record's seq and hash from the
 * file's tail, so sessions of any thread or process share one chain. With
 * only a callback, the chain lives in memory, shared by every copy of the
 * ci_config that set the callback.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "codeinterp/codeinterp.h"
#include "util/buf.h"

struct ci_config;
struct ci_result;
struct ci_audit;

/* The in-memory chain of a callback-only sink, shared by copies of a
 * config (reference counted; NULL-safe). */
struct ci_audit_chain;
struct ci_audit_chain *ci_audit_chain_new(void);
struct ci_audit_chain *ci_audit_chain_ref(struct ci_audit_chain *c);
void ci_audit_chain_unref(struct ci_audit_chain *c);

/* Opens the sinks the config names for session `session_id`. *out is NULL
 * when the config has none. 0, or CI_EIO / CI_EINVAL / CI_ENOMEM with a
 * message in err. */
int ci_audit_open(const struct ci_config *cfg, const char *session_id, struct ci_audit **out,
                  char *err, size_t errcap);
void ci_audit_close(struct ci_audit *a);
/* Why the last write failed ("" if none). */
const char *ci_audit_error(const struct ci_audit *a);

/* Summary of the parameters of one operation: JSON members built with the
 * setters below (values are escaped; allocation failure is remembered and
 * reported by ci_audit_emit). */
struct ci_audit_params {
    ci_buf b;     /* "key":value,... without braces */
    int failed;
};
void ci_audit_param_str(struct ci_audit_params *p, const char *key, const char *value);
void ci_audit_param_u64(struct ci_audit_params *p, const char *key, uint64_t value);
void ci_audit_params_free(struct ci_audit_params *p);

/* One record. Only op is required. */
struct ci_audit_event {
    const char *op;                        /* "execute_start", "upload", ... */
    const struct ci_audit_params *params;  /* NULL: {} */
    int error_code;                        /* 0 unless the call failed */
    const struct ci_result *result;        /* its status, exit code and
                                              usage, or NULL */
    const char *message;                   /* error text, or NULL */
};

/* Appends one record to every sink. 0, or CI_EIO / CI_ENOMEM (see
 * ci_audit_error); on failure the file is left as it was. */
int ci_audit_emit(struct ci_audit *a, const struct ci_audit_event *ev);

/* The hooks. Those returning int must succeed for the operation to go on
 * (an operation that cannot be put on record is not performed); the others
 * report what already happened and cannot undo it. */
int ci_audit_session_created(struct ci_audit *a, const struct ci_config *cfg);
void ci_audit_setup_failed(struct ci_audit *a, const struct ci_config *cfg, int code,
                           const char *message);
void ci_audit_session_destroyed(struct ci_audit *a, uint64_t lifetime_ms);
/* Written once per session, however many calls find it expired. */
void ci_audit_session_expired(struct ci_audit *a, uint64_t idle_timeout_ms);
int ci_audit_execute_start(struct ci_audit *a, ci_language language, const char *code);
/* rc: ci_execute()'s return; result: its result when rc is 0. */
void ci_audit_execute_end(struct ci_audit *a, ci_language language, int rc,
                          const struct ci_result *result);
/* upload, download, remove: one file of the workspace, the host file it came
 * from or went to (NULL: none), its size when known (-1: unknown). */
void ci_audit_file_op(struct ci_audit *a, const char *op, const char *name, const char *host_path,
                      int64_t size, int rc);
/* task_start (must succeed before the task starts: the command's digest
 * and length, never the command), then task_started with its id or the
 * failure; task_get, task_stop: the id and the state seen (NULL on
 * failure). */
int ci_audit_task_start(struct ci_audit *a, const char *command);
void ci_audit_task_op(struct ci_audit *a, const char *op, const char *task_id, const char *state,
                      int rc);
/* access_denied: a record of the host, outside any session ("session" is
 * ""): `principal` the identity the caller claimed (NULL: none; cut at 256
 * bytes), `reason` a short word, `message` the detail. Opens and closes
 * the config's sinks itself. 0, or what opening or writing them failed
 * with (message in err). */
int ci_audit_host_denied(const struct ci_config *cfg, const char *principal, const char *reason,
                         const char *message, char *err, size_t errcap);
/* list: the directory listed ("" for the workspace root) and the count. */
void ci_audit_list(struct ci_audit *a, const char *dir, uint64_t count, int rc);
/* s3_transfer: direction "download" (S3 to /data) or "upload" (/output to
 * S3), the s3:// URI (never credentials), the file and its size. */
void ci_audit_s3_transfer(struct ci_audit *a, const char *direction, const char *uri,
                          const char *name, int64_t size, int rc);

/* Record parsing shared by the writer (reading the tail) and the verifier. */
#define CI_AUDIT_HASH_HEX 64
struct ci_audit_parsed {
    uint64_t seq;
    char prev[CI_AUDIT_HASH_HEX + 1];
    char hash[CI_AUDIT_HASH_HEX + 1];
    int hash_ok;  /* the hash matches the record's bytes */
};
/* Parses one line (without its '\n'). 0, or -1 with a reason in why. */
int ci_audit_parse_line(const char *line, size_t len, struct ci_audit_parsed *out,
                        const char **why);

/* Verifies a trail file; see ci_audit_verify_file(). */
int ci_audit_verify_path(const char *path, uint64_t *records, char **problem);
