/* SPDX-License-Identifier: MIT */
/**
 * @file codeinterp.h
 * @brief libcodeinterp: run untrusted Python, JavaScript and TypeScript in a
 *        sandbox on the same Linux host.
 *
 * Conventions (see doc/ABI.md and doc/guide.md):
 *
 * - Every object is an opaque handle created by a `*_new` or `*_create` call
 *   and released by the matching `*_free` / `ci_session_destroy`, which all
 *   accept NULL.
 * - Fallible calls return `int`: 0 on success or a negative `CI_E*` code.
 *   Output parameters are written only on success.
 * - Inputs (strings, buffers) are copied; the caller keeps ownership.
 *   Strings returned by getters belong to the handle they came from and stay
 *   valid until that handle is freed.
 * - `ci_strerror()` gives static text for a code; `ci_session_last_error()`
 *   and `ci_last_error()` give the detailed message of the last failure.
 *
 * Thread contract: a session is used from one thread at a time; distinct
 * sessions are independent and may be used from different threads at once.
 * `ci_session_cancel()` may be called from any thread while another thread is
 * inside `ci_execute()` on the same session. A `ci_config` may be shared by
 * several threads once it is no longer modified. The library installs no
 * signal handlers, never changes the process's working directory, umask,
 * environment or signal dispositions, and opens every descriptor with
 * close-on-exec.
 */
#ifndef CODEINTERP_CODEINTERP_H
#define CODEINTERP_CODEINTERP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CI_BUILDING_LIBRARY) && defined(__GNUC__)
#define CI_EXPORT __attribute__((visibility("default")))
#else
#define CI_EXPORT
#endif

/** Version of the headers. Compare with ci_version_number() at run time.
 *  @since 0.1 */
#define CI_VERSION_MAJOR 0
#define CI_VERSION_MINOR 1
#define CI_VERSION_PATCH 0
/** (major << 16) | (minor << 8) | patch. @since 0.1 */
#define CI_VERSION_NUMBER \
    ((CI_VERSION_MAJOR << 16) | (CI_VERSION_MINOR << 8) | CI_VERSION_PATCH)

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * Error codes returned by fallible calls. The values are part of the ABI:
 * they are never renumbered or reused; new codes are only appended.
 * @since 0.1
 */
typedef enum ci_error {
    CI_OK = 0,
    CI_EINVAL = -1,        /**< an argument is invalid (NULL, out of range) */
    CI_ENOMEM = -2,        /**< out of memory in the host process */
    CI_ESANDBOX = -3,      /**< a sandbox layer could not be set up; the
                                message names the layer */
    CI_EUNSUPPORTED = -4,  /**< known option or language, not supported here */
    CI_EEXPIRED = -5,      /**< the session's idle lifetime ran out */
    CI_ECLOSED = -6,       /**< the session's sandbox is gone (killed, crashed) */
    CI_EBUSY = -7,         /**< the session is already executing */
    CI_ERUNNER = -8,       /**< the language runner failed or broke protocol */
    CI_EIO = -9,           /**< an I/O error in the host process */
    CI_ECANCELED = -10,    /**< the call was canceled */
    CI_ETOOBIG = -11,      /**< data exceeds a configured size limit */
    CI_EPATH = -12,        /**< a file name is not a valid relative path */
    CI_ENOENT = -13,       /**< no such file */
    CI_EPROTO = -14,       /**< malformed request (e.g. invalid JSON) */
    CI_EUNKNOWN = -15,     /**< unknown name (language, tool, option) */
    CI_ELIMIT = -16,       /**< a resource limit could not be enforced */
    CI_ETRANSFER = -17,    /**< a file transfer failed */
    CI_EFILETYPE = -18,    /**< the file is not of a kind the call accepts
                                (e.g. not a regular file) */
    CI_EAUDIT = -19,       /**< an audit trail does not verify */
    CI_ENOCREDENTIALS = -20, /**< no S3 credentials were set or found */
    CI_EACCESS = -21,      /**< S3 refused the credentials or the access */
    CI_ENOBUCKET = -22,    /**< no such S3 bucket */
    CI_ENOKEY = -23,       /**< no such S3 object (key), or none under a prefix */
    CI_ENETWORK = -24,     /**< S3 could not be reached (connection, timeout,
                                TLS verification) */
    CI_ECHECKSUM = -25,    /**< transferred data did not match its checksum
                                or length */
    CI_ETOOMANY = -26      /**< a per-session bound was reached (e.g. the
                                number of running background tasks) */
} ci_error;

/**
 * Static, English description of an error code. Never NULL; unknown codes
 * give "unknown error".
 * @since 0.1
 */
CI_EXPORT const char *ci_strerror(int code);

/**
 * Detailed message of the last failed call made by the calling thread, or ""
 * if none failed yet. Valid until the next library call on this thread.
 * @since 0.1
 */
CI_EXPORT const char *ci_last_error(void);

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

/** Version of the loaded library as "MAJOR.MINOR.PATCH". @since 0.1 */
CI_EXPORT const char *ci_version(void);
/** Version of the loaded library as CI_VERSION_NUMBER encodes it. @since 0.1 */
CI_EXPORT uint32_t ci_version_number(void);

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

/**
 * Releases memory the library handed to the caller as a plain buffer
 * (the strings of ci_invoke_json() and ci_result_to_json()). NULL is a no-op.
 * @since 0.1
 */
CI_EXPORT void ci_free(void *ptr);

/* ------------------------------------------------------------------------ */
/* Enumerations                                                              */
/* ------------------------------------------------------------------------ */

/** Languages a session can run. Values are part of the ABI. @since 0.1 */
typedef enum ci_language {
    CI_LANGUAGE_PYTHON = 1,
    CI_LANGUAGE_JAVASCRIPT = 2,
    CI_LANGUAGE_TYPESCRIPT = 3,
    /** A command line for /bin/sh -c (see ci_execute_command()). @since 0.2 */
    CI_LANGUAGE_SHELL = 4
} ci_language;

/**
 * Parses "python", "javascript", "typescript" or "shell" (also "js", "ts",
 * "py", "sh"), ignoring ASCII case.
 * @return 0, CI_EINVAL if an argument is NULL, CI_EUNKNOWN for another name.
 * @since 0.1
 */
CI_EXPORT int ci_language_from_name(const char *name, ci_language *out);
/** Canonical lowercase name of a language, or NULL if unknown. @since 0.1 */
CI_EXPORT const char *ci_language_name(ci_language language);

/** Network modes of a sandbox. @since 0.1 */
typedef enum ci_network {
    /** Own network namespace with only loopback: no traffic leaves. Default. */
    CI_NETWORK_NONE = 0,
    /** Share the host's network. Unsafe for untrusted code: it reaches
     *  everything the host reaches, including services on 127.0.0.1. */
    CI_NETWORK_HOST = 1
} ci_network;

/** Canonical name of a network mode ("none", "host"), or NULL if unknown.
 *  @since 0.2 */
CI_EXPORT const char *ci_network_name(ci_network network);
/**
 * Parses a network mode name as ci_network_name() gives it ("none" or
 * "host"), ignoring ASCII case.
 * @return 0, CI_EINVAL if an argument is NULL, CI_EUNKNOWN for another name.
 * @since 0.2
 */
CI_EXPORT int ci_network_from_name(const char *name, ci_network *out);

/** Outcome of one execution. @since 0.1 */
typedef enum ci_status {
    CI_STATUS_OK = 0,              /**< the code ran to the end */
    CI_STATUS_ERROR = 1,           /**< the code raised / threw, or exited non-zero */
    CI_STATUS_TIMEOUT = 2,         /**< the execution time limit fired */
    CI_STATUS_SESSION_EXPIRED = 3, /**< the session's idle lifetime ran out
                                        (reported by ci_invoke_json; ci_execute
                                        returns CI_EEXPIRED instead) */
    CI_STATUS_OOM = 4,             /**< killed for exceeding the memory limit */
    CI_STATUS_KILLED = 5,          /**< killed: canceled, by a signal, or by a
                                        callback's request */
    CI_STATUS_SANDBOX_ERROR = 6    /**< the sandbox or runner failed */
} ci_status;

/** Lowercase name of a status ("ok", "error", "timeout", "session_expired",
 *  "oom", "killed", "sandbox_error"), or NULL if unknown. @since 0.1 */
CI_EXPORT const char *ci_status_name(ci_status status);

/* ------------------------------------------------------------------------ */
/* Configuration (library and host settings, session defaults)               */
/* ------------------------------------------------------------------------ */

typedef struct ci_config ci_config;

/**
 * Creates a configuration with the defaults: network none, execution
 * timeout 15 min, idle lifetime 15 min, output capture 16 MiB per stream,
 * 512 processes, 1024 open files, 1 GiB file size, 1 GiB /tmp.
 * Paths default to the install locations; the environment variables
 * CODEINTERP_HELPER, CODEINTERP_KERNEL_DIR, CODEINTERP_RUNTIME_DIR and
 * CODEINTERP_STATE_DIR override them (useful to run from a build tree).
 * CODEINTERP_WORKSPACE_SIZE, in MiB, overrides the default workspace size
 * (since 0.2; test runs use it, each workspace being reserved on disk).
 * @return 0 or CI_ENOMEM / CI_EINVAL (also for an invalid
 *         CODEINTERP_WORKSPACE_SIZE).
 * @since 0.1
 */
CI_EXPORT int ci_config_new(ci_config **out);
/** Frees a configuration. Sessions created from it keep their own copy.
 *  @since 0.1 */
CI_EXPORT void ci_config_free(ci_config *config);

/** Path of the `codeinterp-sandbox` helper executable. @since 0.1 */
CI_EXPORT int ci_config_set_helper_path(ci_config *config, const char *path);
/** Host directory of the runner kernels (seen as /opt/codeinterp/kernels).
 *  @since 0.1 */
CI_EXPORT int ci_config_set_kernel_dir(ci_config *config, const char *path);
/** Host directory of the runtime environment: `python/` (a virtualenv) and
 *  `node/node_modules/` (seen read-only under /opt/codeinterp). @since 0.1 */
CI_EXPORT int ci_config_set_runtime_dir(ci_config *config, const char *path);
/** Host directory where the library keeps per-session state (the
 *  workspace images). Must not be reachable by other users. Defaults to
 *  /var/lib/codeinterp for a root host (on disk: the images are as big as
 *  the workspace size), else $XDG_RUNTIME_DIR/codeinterp or
 *  /tmp/codeinterp-<uid>. A state dir on tmpfs or ramfs is refused for
 *  size-capped workspaces unless ci_config_set_allow_tmpfs_state() allows
 *  it. @since 0.1 */
CI_EXPORT int ci_config_set_state_dir(ci_config *config, const char *path);

/**
 * When the host process runs as root, each session runs as its own host uid
 * (and gid) taken from [base, base + count). Default base 2000000000, count
 * 65536. Ignored for non-root hosts, whose sandboxes run as the caller's uid.
 * @return 0, or CI_EINVAL if the range is empty, wraps or includes uid 0.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_uid_range(ci_config *config, uint32_t base, uint32_t count);

/** The longest time limit, in milliseconds (8 hours): the most that
 *  ci_config_set_exec_timeout_ms(), ci_config_set_idle_timeout_ms() and
 *  ci_exec_options_set_timeout_ms() accept. @since 0.2 */
#define CI_MAX_TIMEOUT_MS ((uint64_t)8 * 60 * 60 * 1000)

/**
 * Converts a time limit given in seconds (fractions allowed) into the
 * milliseconds the setters take, the one rule of every front end that takes
 * seconds (the codeinterp CLI, the "timeout" of ci_invoke_json(), the
 * Python binding): rounded up to the next whole millisecond, so a limit is
 * never shorter than asked and a sub-millisecond one becomes 1 ms.
 * @param seconds more than 0 and at most CI_MAX_TIMEOUT_MS / 1000 (28800).
 * @param ms receives 1 .. CI_MAX_TIMEOUT_MS.
 * @return 0, or CI_EINVAL if `ms` is NULL or `seconds` is out of range or
 *         NaN.
 * @since 0.2
 */
CI_EXPORT int ci_timeout_ms_from_seconds(double seconds, uint64_t *ms);

/** Default per-execution time limit, 1 ms .. CI_MAX_TIMEOUT_MS (8 h; default
 *  15 min). @return 0 or CI_EINVAL when out of range. @since 0.1 */
CI_EXPORT int ci_config_set_exec_timeout_ms(ci_config *config, uint64_t ms);
/** Session idle lifetime, 1 ms .. CI_MAX_TIMEOUT_MS (8 h; default 15 min): a
 *  session not used for this long is killed and its next call fails with
 *  CI_EEXPIRED.
 *  @since 0.1 */
CI_EXPORT int ci_config_set_idle_timeout_ms(ci_config *config, uint64_t ms);
/**
 * Session lifetime, counted from ci_session_create() whatever the session
 * does, 1 ms .. CI_MAX_TIMEOUT_MS (8 h), or 0 for none (the default): only
 * the idle lifetime applies. When it runs out the sandbox is killed with
 * everything in it (a running execution ends with status
 * CI_STATUS_SESSION_EXPIRED, background tasks die), and every later call
 * fails with CI_EEXPIRED, as after the idle lifetime. It is enforced by the
 * sandbox's own clock too, so a host that stops calling does not keep the
 * sandbox past it. AgentCore's sessionTimeoutSeconds is this lifetime.
 * @return 0 or CI_EINVAL when out of range.
 * @since 0.2
 */
CI_EXPORT int ci_config_set_session_lifetime_ms(ci_config *config, uint64_t ms);
/** Network mode (default CI_NETWORK_NONE). @since 0.1 */
CI_EXPORT int ci_config_set_network(ci_config *config, ci_network mode);
/** Bytes of stdout and of stderr captured per execution (each), 0 .. 1 GiB,
 *  default 16 MiB. Output past it is still read (and streamed to
 *  callbacks), not stored; the result is flagged truncated. @since 0.1 */
CI_EXPORT int ci_config_set_output_limit(ci_config *config, size_t bytes);
/** Maximum number of processes and threads in a sandbox (RLIMIT_NPROC and
 *  the pids cgroup), 1 .. 1048576, default 512. @since 0.1 */
CI_EXPORT int ci_config_set_max_processes(ci_config *config, uint32_t count);
/** Maximum open files per process (RLIMIT_NOFILE), 16 .. 1048576, default
 *  1024. @since 0.1 */
CI_EXPORT int ci_config_set_max_open_files(ci_config *config, uint32_t count);
/** Largest file a sandboxed process may write (RLIMIT_FSIZE), at least
 *  4096 bytes, default 1 GiB. @since 0.1 */
CI_EXPORT int ci_config_set_max_file_size(ci_config *config, uint64_t bytes);
/** Size of the sandbox's /tmp (a tmpfs), 1 MiB .. 1 TiB, default 1 GiB.
 *  @since 0.1 */
CI_EXPORT int ci_config_set_tmp_size(ci_config *config, uint64_t bytes);
/**
 * Adds or replaces an environment variable passed to the sandbox. The
 * sandbox's environment is otherwise built from scratch: no variable of the
 * host process reaches it. A NULL value removes a variable set earlier.
 * @return 0, CI_EINVAL for an empty name or one containing '='.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_env(ci_config *config, const char *name, const char *value);

/** How a sandbox's resources are limited and metered. @since 0.1 */
typedef enum ci_cgroup_mode {
    /** cgroup v2 where a delegated subtree with the memory, pids and cpu
     *  controllers is writable, else cgroup v1; session creation fails if
     *  neither works. Default. */
    CI_CGROUP_AUTO = 0,
    CI_CGROUP_V1 = 1,    /**< cgroup v1 only (memory, pids, cpu, cpuacct, freezer) */
    CI_CGROUP_V2 = 2,    /**< cgroup v2 only */
    /** No cgroup: rlimits only (processes per uid, file size, open files,
     *  data segment for memory). No CPU quota, no CPU/peak-memory metering,
     *  no OOM reporting. Only when the caller accepts that explicitly. */
    CI_CGROUP_NONE = 3
} ci_cgroup_mode;

/** Canonical name of a cgroup mode ("auto", "v1", "v2", "none"), or NULL if
 *  unknown. @since 0.2 */
CI_EXPORT const char *ci_cgroup_mode_name(ci_cgroup_mode mode);
/**
 * Parses a cgroup mode name as ci_cgroup_mode_name() gives it ("auto", "v1",
 * "v2" or "none"), ignoring ASCII case.
 * @return 0, CI_EINVAL if an argument is NULL, CI_EUNKNOWN for another name.
 * @since 0.2
 */
CI_EXPORT int ci_cgroup_mode_from_name(const char *name, ci_cgroup_mode *out);

/** Memory limit of a sandbox, all its processes together, without swap:
 *  16 MiB .. 1 TiB, default 2 GiB. Past it the kernel kills a process and
 *  the execution's status is CI_STATUS_OOM. @since 0.1 */
CI_EXPORT int ci_config_set_memory_limit(ci_config *config, uint64_t bytes);
/** CPU quota in thousandths of a CPU: 10 .. 1024000, default 2000 (two
 *  CPUs). @since 0.1 */
CI_EXPORT int ci_config_set_cpu_limit(ci_config *config, uint32_t millicpus);
/**
 * Size cap of a session's /workspace, 16 MiB .. 16 TiB, default 10 GiB.
 * The workspace is then its own ext4 filesystem in an image file in the
 * state dir, loop-mounted by the library, so writing past the cap fails
 * with ENOSPC inside the sandbox and cannot fill the host's disk. The
 * image's blocks are reserved on the host (fallocate) when the session is
 * created: the host disk holds the full size of every live session's
 * workspace, sessions together never commit more than the state dir's
 * filesystem has, and ci_session_create() fails with CI_ELIMIT, naming the
 * state dir and the sizes, when the next one does not fit. The state dir
 * must be on a filesystem with fallocate (ext4, xfs), not in memory (see
 * ci_config_set_allow_tmpfs_state()). This needs a root host. 0 asks for a
 * plain host directory without a cap and without a reservation: the only
 * way for a non-root host, and only when the caller accepts it explicitly.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_workspace_size(ci_config *config, uint64_t bytes);
/**
 * Allows the workspace images of a state dir on tmpfs or ramfs (nonzero),
 * which session creation refuses by default (0): such an image lives in
 * host memory, outside the sandbox's memory limit, up to the workspace size
 * per session. Plain workspace directories (workspace size 0) are not
 * concerned: their files are charged to the sandbox's memory cgroup.
 * @return 0 or CI_EINVAL.
 * @since 0.2
 */
CI_EXPORT int ci_config_set_allow_tmpfs_state(ci_config *config, int allow);
/** Cgroup mode (default CI_CGROUP_AUTO). @since 0.1 */
CI_EXPORT int ci_config_set_cgroup_mode(ci_config *config, ci_cgroup_mode mode);
/** cgroup v2: absolute path of the delegated directory under which session
 *  cgroups are made (default: the calling process's own cgroup). cgroup v1:
 *  a path relative to the process's cgroup in each hierarchy. NULL resets.
 *  @since 0.1 */
CI_EXPORT int ci_config_set_cgroup_parent(ci_config *config, const char *path);

/* ------------------------------------------------------------------------ */
/* Audit                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * Sessions made from a configuration with an audit sink put one JSON line on
 * record per operation: session create, destroy and expiry, sandbox setup
 * failures, execute start and end, file uploads, downloads, listings and
 * removals, S3 transfers. Records are written by the host process, never by
 * the sandbox. They hold a summary of the parameters (language, SHA-256 and
 * length of the code, file names and sizes, S3 URIs), never the code, file
 * contents, environment values or credentials. Each record carries the hash
 * of the one before, so an edited, removed or reordered line is detected by
 * ci_audit_verify_file(). doc/audit.md defines the format.
 *
 * An operation that cannot be put on record is not performed: session
 * creation fails when the audit file cannot be opened or written, and
 * ci_execute() fails with CI_EIO when its start record cannot be written.
 */

/**
 * Receives each audit record: `json_line` is exactly the bytes appended to
 * the audit file (one JSON object and a final '\n', NUL-terminated; `len`
 * counts the '\n', not the NUL), valid only during the call. It is called
 * on the thread doing the operation, one record at a time and in chain
 * order, with the trail's lock held: it must not call back into the library
 * for sessions that write to the same trail.
 * @since 0.1
 */
typedef void (*ci_audit_callback)(const char *json_line, size_t len, void *user_data);

/**
 * Appends the audit records of sessions made from this configuration to
 * the file `path` (created with mode 0600 if missing; a relative path is
 * taken from the working directory when a session is created). Any number
 * of sessions, threads and processes may share one file: each record is
 * appended under an exclusive flock(2) after reading the last record back,
 * so the file holds a single chain. NULL disables the file sink.
 * @return 0; CI_EINVAL for an empty path or a NULL config; CI_ENOMEM.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_audit_file(ci_config *config, const char *path);

/**
 * Whether every audit record is fsync(2)ed to disk before the operation
 * goes on (non-zero), or left to the kernel (0, the default).
 * @return 0, or CI_EINVAL if config is NULL.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_audit_fsync(ci_config *config, int every_record);

/**
 * Hands every audit record to `cb` as well as (or instead of) the file.
 * With a file, the callback sees the file's chain; without one, sessions
 * made from this configuration and its copies share one chain kept in
 * memory. NULL unsets the callback.
 * @return 0, CI_EINVAL if config is NULL, CI_ENOMEM.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_audit_callback(ci_config *config, ci_audit_callback cb,
                                           void *user_data);

/**
 * Names who acts through the sessions made from this configuration, e.g.
 * the access key of a network client on whose behalf a server creates the
 * session: every audit record of those sessions then carries it as
 * "principal", right after "session". NULL (the default) leaves it out.
 * @param principal 1-256 bytes of printable ASCII, or NULL.
 * @return 0; CI_EINVAL if config is NULL or principal is empty, too long
 *         or holds another byte; CI_ENOMEM.
 * @since 0.2
 */
CI_EXPORT int ci_config_set_audit_principal(ci_config *config, const char *principal);

/**
 * Puts on the configuration's audit trail (its file and/or callback) that
 * a caller was refused before reaching any session, e.g. by a server whose
 * signature check failed: one record with op "access_denied", "session"
 * "" (no session), "principal" the identity the caller claimed, params
 * {"reason": reason}, error_code CI_EACCESS and the message. Nothing is
 * written when the configuration has no audit sink.
 * @param principal the claimed identity (an access key id), or NULL; it is
 *        untrusted input: escaped like every string of a record and cut at
 *        256 bytes.
 * @param reason a short word such as "signature" or "unknown_key".
 * @param message NULL, or a detail (the request's method and path).
 * @return 0; CI_EINVAL for a NULL config or an empty reason; CI_EIO when
 *         the record cannot be written; CI_ENOMEM.
 * @since 0.2
 */
CI_EXPORT int ci_audit_access_denied(const ci_config *config, const char *principal,
                                     const char *reason, const char *message);

/**
 * Checks the hash chain of an audit file: every line a complete record whose
 * hash matches its contents, whose "prev" is the hash of the line before (64
 * zeros for the first) and whose "seq" is its line number.
 * @param records if not NULL, set to the number of records that verify (all
 *        of them on success, those before the first bad line otherwise).
 * @param problem if not NULL, set to NULL on success, or to a message naming
 *        the first bad line ("line 7: ...") on CI_EAUDIT; free it with
 *        ci_free().
 * @return 0 when the chain verifies (an empty file does); CI_EAUDIT when it
 *         does not; CI_ENOENT, CI_EIO if the file cannot be read; CI_EINVAL;
 *         CI_ENOMEM.
 * @since 0.1
 */
CI_EXPORT int ci_audit_verify_file(const char *path, uint64_t *records, char **problem);

/* ------------------------------------------------------------------------ */
/* Sessions                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct ci_session ci_session;

/**
 * Creates a session: a sandbox with its own /workspace, started at once so
 * that a missing isolation layer is reported here. Language interpreters are
 * started lazily by the first ci_execute() of each language.
 * @param config settings to copy, or NULL for the defaults.
 * @return 0; CI_ESANDBOX naming the layer that could not be set up (e.g. "user
 *         namespace", "seccomp"); CI_EIO, CI_ENOMEM, CI_EINVAL.
 * @since 0.1
 */
CI_EXPORT int ci_session_create(const ci_config *config, ci_session **out);

/**
 * Kills every process of the session's sandbox, removes its files and frees
 * the handle. Nothing of the session persists. NULL is a no-op.
 * @since 0.1
 */
CI_EXPORT void ci_session_destroy(ci_session *session);

/**
 * Cancels the execution running in `session` on another thread, if any: its
 * sandbox processes are killed and ci_execute() returns a result with status
 * CI_STATUS_KILLED. Safe to call from any thread and from a callback.
 * @return 0, or CI_EINVAL if session is NULL.
 * @since 0.1
 */
CI_EXPORT int ci_session_cancel(ci_session *session);

/**
 * A cancel handle: a request to stop one call that is remembered. Give it
 * to a call (ci_exec_options_set_cancel(), ci_invoke_json_stream()) and
 * fire it with ci_cancel_request() from any thread, at any time: while the
 * call runs, its sandbox processes are killed as by ci_session_cancel();
 * before the call starts (it waits for a lock of the host's, or for the
 * session), the call returns a result with status CI_STATUS_KILLED without
 * running anything or touching the sandbox. ci_session_cancel() cannot do
 * the second: a cancel made while nothing runs is dropped, so that a late
 * one never stops the next call. A fired handle stays fired; use one per
 * call. The handle must outlive the calls it was given to.
 * @since 0.2
 */
typedef struct ci_cancel ci_cancel;

/** A new handle, not fired. Free it with ci_cancel_free().
 *  @return 0; CI_ENOMEM; CI_EIO (no event descriptor); CI_EINVAL.
 *  @since 0.2 */
CI_EXPORT int ci_cancel_create(ci_cancel **out);
/** Fires the handle; firing again is harmless. Safe from any thread, from
 *  callbacks and from a signal handler.
 *  @return 0; CI_EINVAL if cancel is NULL. @since 0.2 */
CI_EXPORT int ci_cancel_request(ci_cancel *cancel);
/** Non-zero once the handle has been fired; 0 for NULL. @since 0.2 */
CI_EXPORT int ci_cancel_requested(const ci_cancel *cancel);
/** Frees a handle no call uses any more. NULL is a no-op. @since 0.2 */
CI_EXPORT void ci_cancel_free(ci_cancel *cancel);

/** Detailed message of the session's last failure, or "". Owned by the
 *  session. @since 0.1 */
CI_EXPORT const char *ci_session_last_error(const ci_session *session);

/** Session id: 32 lowercase hex characters, unique per session. @since 0.1 */
CI_EXPORT const char *ci_session_id(const ci_session *session);

/** Resource use of a session so far. @since 0.1 */
typedef struct ci_usage ci_usage;

/**
 * Takes a snapshot of the session's resource use: total CPU time of every
 * process of the sandbox, the highest peak memory seen, the lifetime, and
 * the billing figures at one-second granularity. Free it with
 * ci_usage_free(). CPU and memory figures are 0 in CI_CGROUP_NONE mode.
 * @return 0, CI_EINVAL, CI_ENOMEM.
 * @since 0.1
 */
CI_EXPORT int ci_session_usage(ci_session *session, ci_usage **out);
/** Frees a usage snapshot. NULL is a no-op. @since 0.1 */
CI_EXPORT void ci_usage_free(ci_usage *usage);
/** CPU time (user + system) in milliseconds. @since 0.1 */
CI_EXPORT uint64_t ci_usage_cpu_ms(const ci_usage *usage);
/** Highest peak memory of any execution, in bytes. @since 0.1 */
CI_EXPORT uint64_t ci_usage_peak_memory_bytes(const ci_usage *usage);
/** Time since the session was created, in milliseconds. @since 0.1 */
CI_EXPORT uint64_t ci_usage_lifetime_ms(const ci_usage *usage);
/** Billed CPU: CPU time rounded up to whole seconds. @since 0.1 */
CI_EXPORT uint64_t ci_usage_cpu_seconds(const ci_usage *usage);
/** Billed memory: peak memory in GiB (2^30 bytes) times the lifetime
 *  rounded up to whole seconds. @since 0.1 */
CI_EXPORT double ci_usage_gb_seconds(const ci_usage *usage);

/** The mode that limits and meters this session: CI_CGROUP_V1, CI_CGROUP_V2
 *  or CI_CGROUP_NONE (rlimits only). @since 0.1 */
CI_EXPORT ci_cgroup_mode ci_session_limits_mode(const ci_session *session);

/* ------------------------------------------------------------------------ */
/* Execution options                                                         */
/* ------------------------------------------------------------------------ */

typedef struct ci_exec_options ci_exec_options;

/**
 * Receives output while the code runs. `data` is not NUL-terminated and is
 * valid only during the call. Return 0 to continue, non-zero to stop the
 * execution (its result then has status CI_STATUS_KILLED).
 * @since 0.1
 */
typedef int (*ci_output_callback)(const char *data, size_t len, void *user_data);

/** Creates options with the defaults: Python, the session's timeout, keep
 *  context, no callbacks. @since 0.1 */
CI_EXPORT int ci_exec_options_new(ci_exec_options **out);
/** Frees options. NULL is a no-op. @since 0.1 */
CI_EXPORT void ci_exec_options_free(ci_exec_options *options);
/** Language of the code (default CI_LANGUAGE_PYTHON). @return 0 or CI_EINVAL.
 *  @since 0.1 */
CI_EXPORT int ci_exec_options_set_language(ci_exec_options *options, ci_language language);
/** Time limit of this execution, 1 ms .. CI_MAX_TIMEOUT_MS (8 h); 0 means
 *  the config's default.
 *  @since 0.1 */
CI_EXPORT int ci_exec_options_set_timeout_ms(ci_exec_options *options, uint64_t ms);
/** If non-zero, restart the language's interpreter before running, so no
 *  variable of earlier calls remains (files in /workspace stay). @since 0.1 */
CI_EXPORT int ci_exec_options_set_clear_context(ci_exec_options *options, int clear);
/** Streams stdout to `cb` while the code runs (NULL to unset). @since 0.1 */
CI_EXPORT int ci_exec_options_set_stdout_callback(ci_exec_options *options,
                                                  ci_output_callback cb, void *user_data);
/** Streams stderr to `cb` while the code runs (NULL to unset). @since 0.1 */
CI_EXPORT int ci_exec_options_set_stderr_callback(ci_exec_options *options,
                                                  ci_output_callback cb, void *user_data);

/**
 * Sets an environment variable for this execution only, on top of the
 * session's environment; a later execution without it does not see it.
 * For Python and JavaScript/TypeScript the interpreter's environment holds
 * it while the code runs (os.environ, process.env) and is put back after;
 * a shell command gets it in its environment. Setting a name again
 * replaces its value; a NULL value removes it from the options.
 * @param name [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes.
 * @param value any string; one variable ("name=value") takes at most
 *        128 KiB less one byte (Linux's limit for one environment string),
 *        the variables of one execution at most 1 MiB in all.
 * @return 0, CI_EINVAL for a bad name, a NULL options, a variable over
 *         128 KiB, or when the total would pass 1 MiB (the options keep
 *         the value they had); CI_ENOMEM.
 * @since 0.2
 */
CI_EXPORT int ci_exec_options_set_env(ci_exec_options *options, const char *name,
                                      const char *value);
/**
 * Working directory of this execution: a folder under /workspace, given
 * relative to it ("data/in") or as an absolute path beneath it
 * ("/workspace/data/in"); "/workspace", "." or NULL mean /workspace itself
 * (the default). The interpreter works there while the code runs and
 * returns to /workspace after. A folder that does not exist when the
 * execution starts makes it fail (status CI_STATUS_ERROR, the reason on
 * stderr).
 * @return 0; CI_EPATH for a path outside /workspace or not valid as a file
 *         name of the file calls ("..", "a//b"); CI_EINVAL.
 * @since 0.2
 */
CI_EXPORT int ci_exec_options_set_cwd(ci_exec_options *options, const char *dir);
/**
 * If non-zero, every process the execution started that is still running
 * when it ends (a background job of a shell command, a subprocess a cell
 * left behind) is killed then. Processes running before the execution
 * started (a server of an earlier cell, background tasks) are left alone,
 * and so is the interpreter itself. Default 0: such processes keep
 * running, and what they write afterwards is kept out of later results
 * (see ci_result_stray_output_bytes()).
 * @since 0.2
 */
CI_EXPORT int ci_exec_options_set_kill_leftovers(ci_exec_options *options, int kill);
/**
 * Gives the execution a cancel handle (see ci_cancel_create()); NULL, the
 * default, gives none. The handle is not copied: it must live until the
 * call returns.
 * @return 0; CI_EINVAL if options is NULL.
 * @since 0.2
 */
CI_EXPORT int ci_exec_options_set_cancel(ci_exec_options *options, ci_cancel *cancel);

/* ------------------------------------------------------------------------ */
/* Execution                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct ci_result ci_result;

/**
 * Runs `code` in the session's interpreter for the options' language, which
 * keeps its variables, imports and functions between calls.
 *
 * A result is produced whenever the code could be run, whatever its outcome
 * (an exception, a timeout, a kill): check ci_result_status(). On an execution
 * timeout every process of the sandbox is killed; the session stays usable
 * and the next call starts a fresh interpreter.
 *
 * @param options NULL for the defaults.
 * @return 0 and *out set; CI_EEXPIRED if the idle lifetime ran out (the
 *         session is gone; destroy it); CI_ECLOSED if the sandbox died;
 *         CI_EBUSY if the session is executing on another thread;
 *         CI_ERUNNER if the interpreter could not be started; CI_EUNSUPPORTED
 *         for a language this build has no runner for; CI_EIO if the audit
 *         record could not be written; an S3 error (see "S3") when the input
 *         URI could not be fetched, the code then not run; CI_ENOMEM;
 *         CI_EINVAL. A result whose
 *         status is CI_STATUS_SESSION_EXPIRED or CI_STATUS_SANDBOX_ERROR means
 *         the sandbox ended during the call.
 * @since 0.1
 */
CI_EXPORT int ci_execute(ci_session *session, const char *code,
                         const ci_exec_options *options, ci_result **out);

/**
 * Runs one shell command line with /bin/sh -c inside the session's sandbox
 * (never on the host): the same files as the session's interpreters, the
 * working directory /workspace (or the options' one), the session's
 * environment plus the options' variables. Its stdout, stderr, exit code,
 * times, peak memory, callbacks, output limits and statuses are those of
 * ci_execute(), whose time limits apply too. The options' language is
 * ignored. Each command runs in a fresh shell: `cd` and variables do not
 * carry over to the next command (files do). The command runs in its own
 * process group; processes it leaves running in the background keep
 * running (see ci_exec_options_set_kill_leftovers()). The exit code is the
 * shell's; 128+n when it was killed by signal n.
 * @return as ci_execute(); CI_EINVAL for a NULL or empty command.
 * @since 0.2
 */
CI_EXPORT int ci_execute_command(ci_session *session, const char *command,
                                 const ci_exec_options *options, ci_result **out);

/**
 * Runs `code` once in a fresh sandbox that is destroyed before returning.
 * @return as ci_session_create() and ci_execute().
 * @since 0.1
 */
CI_EXPORT int ci_execute_oneshot(const ci_config *config, const char *code,
                                 const ci_exec_options *options, ci_result **out);

/** Frees a result. NULL is a no-op. @since 0.1 */
CI_EXPORT void ci_result_free(ci_result *result);

/** Outcome of the execution. @since 0.1 */
CI_EXPORT ci_status ci_result_status(const ci_result *result);
/** Exit code: 0 for success, 1 for an uncaught exception, n for an explicit
 *  exit(n), 128+signal when the interpreter was killed (137 on timeout).
 *  @since 0.1 */
CI_EXPORT int ci_result_exit_code(const ci_result *result);
/** Captured stdout, NUL-terminated (it may contain other NUL bytes: use
 *  the length). Never NULL. @since 0.1 */
CI_EXPORT const char *ci_result_stdout(const ci_result *result, size_t *len);
/** Captured stderr, as ci_result_stdout(). @since 0.1 */
CI_EXPORT const char *ci_result_stderr(const ci_result *result, size_t *len);
/** Non-zero if stdout produced more than the output limit. @since 0.1 */
CI_EXPORT int ci_result_stdout_truncated(const ci_result *result);
/** Non-zero if stderr produced more than the output limit. @since 0.1 */
CI_EXPORT int ci_result_stderr_truncated(const ci_result *result);
/** Text of the value of the code's last expression, as the REPL shows it
 *  (Python: repr), or NULL if there was none. @since 0.1 */
CI_EXPORT const char *ci_result_value(const ci_result *result);
/** Error class name (e.g. "ZeroDivisionError"), or NULL if no error.
 *  @since 0.1 */
CI_EXPORT const char *ci_result_error_name(const ci_result *result);
/** Error message (e.g. "division by zero"), or NULL. @since 0.1 */
CI_EXPORT const char *ci_result_error_value(const ci_result *result);
/** Formatted traceback / stack, or NULL. @since 0.1 */
CI_EXPORT const char *ci_result_error_traceback(const ci_result *result);
/** Wall-clock time of the execution in milliseconds. @since 0.1 */
CI_EXPORT double ci_result_wall_ms(const ci_result *result);
/** CPU time of the execution (user + system, every process of the
 *  sandbox, from the cgroup) in milliseconds, or -1 when it could not be
 *  measured (CI_CGROUP_NONE). @since 0.1 */
CI_EXPORT double ci_result_cpu_ms(const ci_result *result);
/** Peak memory of the sandbox in bytes during the execution (cgroup v1:
 *  reset before each execution; cgroup v2: since the session started), or 0
 *  when it could not be measured. @since 0.1 */
CI_EXPORT uint64_t ci_result_peak_memory_bytes(const ci_result *result);
/** How the execution was limited and metered: CI_CGROUP_V1 or CI_CGROUP_V2,
 *  or CI_CGROUP_NONE for rlimits only (then CPU time is -1 and peak memory
 *  0). @since 0.1 */
CI_EXPORT ci_cgroup_mode ci_result_limits_mode(const ci_result *result);
/** The language that ran. @since 0.1 */
CI_EXPORT ci_language ci_result_language(const ci_result *result);

/** Number of display outputs (charts) of the execution: for Python, each
 *  matplotlib figure left open by the code, rendered as PNG and closed.
 *  At most 32, each at most 8 MiB and 16 MiB in all (doc/security.md,
 *  "Reply frames"). @since 0.1 */
CI_EXPORT size_t ci_result_display_count(const ci_result *result);
/** Media type of display output `index` ("image/png"), or NULL when out of
 *  range: one of image/png, image/jpeg, image/gif, image/webp, text/plain,
 *  with bytes that match it; the library refuses any other type (text/html,
 *  image/svg+xml) as a protocol violation. @since 0.1 */
CI_EXPORT const char *ci_result_display_mime_type(const ci_result *result, size_t index);
/** Bytes of display output `index` (*len set), or NULL when out of range.
 *  Owned by the result. @since 0.1 */
CI_EXPORT const void *ci_result_display_data(const ci_result *result, size_t index, size_t *len);
/** Number of regular files the execution created or changed under
 *  /workspace and /output (found by comparing size, mtime and inode before
 *  and after; at most 10000 files per folder are examined). @since 0.1 */
CI_EXPORT size_t ci_result_artifact_count(const ci_result *result);
/** Path inside the sandbox of artifact `index` (e.g. "/workspace/out.csv"),
 *  or NULL when out of range. @since 0.1 */
CI_EXPORT const char *ci_result_artifact_path(const ci_result *result, size_t index);
/** Size in bytes of artifact `index` when the execution ended. @since 0.1 */
CI_EXPORT uint64_t ci_result_artifact_size(const ci_result *result, size_t index);
/** Media type of artifact `index`, guessed from its extension. @since 0.1 */
CI_EXPORT const char *ci_result_artifact_mime_type(const ci_result *result, size_t index);
/** Non-zero when the workspace held more files than were examined, so the
 *  artifact list may be incomplete. @since 0.1 */
CI_EXPORT int ci_result_artifacts_truncated(const ci_result *result);

/** Number of distinct system calls the sandbox refused during the
 *  execution (and since the one before ended, e.g. from a background
 *  process): its seccomp policy is an allow-list and refuses the rest, such
 *  as mount, ptrace, bpf, keyctl or modify_ldt, and every call of a foreign
 *  ABI (32-bit, x32). The code sees them fail (EPERM; ENOSYS for a foreign
 *  ABI or a call newer than the kernels the list was reviewed for); this
 *  says which they were, so such a failure is explained rather than a
 *  mystery. @since 0.1 */
CI_EXPORT size_t ci_result_denied_syscall_count(const ci_result *result);
/** Name of refused call `index`, e.g. "mount", "i386 getpid" for another
 *  ABI, or "syscall 1234" when it has none; NULL when out of range. Owned
 *  by the result. @since 0.1 */
CI_EXPORT const char *ci_result_denied_syscall_name(const ci_result *result, size_t index);
/** How many times call `index` was refused; 0 when out of range.
 *  @since 0.1 */
CI_EXPORT uint64_t ci_result_denied_syscall_times(const ci_result *result, size_t index);

/** Bytes that processes left running by earlier executions (a background
 *  job, a subprocess of an earlier cell) wrote to their stdout or stderr
 *  while this execution ran. They are kept out of this result's stdout and
 *  stderr, which hold only what this execution's own processes wrote, and
 *  are discarded; this count says that there were some. Python and shell
 *  commands only: JavaScript/TypeScript interpreters share their output
 *  streams with what they leave running. @since 0.2 */
CI_EXPORT uint64_t ci_result_stray_output_bytes(const ci_result *result);

/**
 * Serializes a result as one JSON object in the MCP CallToolResult shape
 * used by ci_invoke_json(). Free *out with ci_free().
 * @since 0.1
 */
CI_EXPORT int ci_result_to_json(const ci_result *result, char **out);

/* ------------------------------------------------------------------------ */
/* Background tasks                                                          */
/* ------------------------------------------------------------------------ */

/*
 * A task is a shell command that outlives the call that starts it: a long
 * job, a server, a build. It runs in the session's sandbox like
 * ci_execute_command() (same files, environment, working directory rules),
 * in its own process group and session, charged to the session's cgroup
 * (its CPU time and memory count in ci_session_usage() and the session's
 * limits). The calls that start, poll and stop it return at once; its
 * stdout and stderr are buffered in the sandbox, up to the task output
 * limit per stream (the newest bytes are kept, the oldest dropped and the
 * cut counted), and read by offsets, so a caller can follow the output
 * incrementally.
 *
 * A task ends when its command exits (CI_TASK_COMPLETED), is stopped
 * (CI_TASK_CANCELED) or is lost (CI_TASK_FAILED: it could not start, or
 * the sandbox's shell interpreter that keeps the tasks was killed, as
 * happens to every process of the sandbox on an execution's timeout or
 * cancel). Tasks end with their session: ci_session_destroy() kills them
 * and nothing of them remains. At most the config's task bound run at once
 * per session; ended tasks stay readable (the 64 most recent). Task calls
 * are audited (task_start, task_get, task_stop) and fail like the file
 * calls with CI_EBUSY while the session executes on another thread, and
 * with CI_EEXPIRED / CI_ECLOSED once its sandbox is gone. A running task
 * does not hold the session's idle lifetime: a session used by nothing but
 * a task expires (and kills it) after its idle lifetime, unless the task
 * is polled.
 */

/** States of a task. Values are part of the ABI. @since 0.2 */
typedef enum ci_task_status {
    CI_TASK_SUBMITTED = 0, /**< accepted, not yet started */
    CI_TASK_WORKING = 1,   /**< running */
    CI_TASK_COMPLETED = 2, /**< its command exited (any exit code) */
    CI_TASK_CANCELED = 3,  /**< stopped with ci_task_stop() */
    CI_TASK_FAILED = 4     /**< it could not start, or was lost */
} ci_task_status;

/** Lowercase name of a task status ("submitted", "working", "completed",
 *  "canceled", "failed"), or NULL if unknown. @since 0.2 */
CI_EXPORT const char *ci_task_status_name(ci_task_status status);

/** Maximum number of tasks running at once per session, 1 .. 1024, default
 *  16. @return 0 or CI_EINVAL. @since 0.2 */
CI_EXPORT int ci_config_set_max_tasks(ci_config *config, uint32_t count);
/** Bytes of stdout and of stderr buffered per task (each), 4 KiB .. 256
 *  MiB, default 1 MiB: past it the oldest bytes are dropped (and counted,
 *  see ci_task_info_output_dropped()). @return 0 or CI_EINVAL.
 *  @since 0.2 */
CI_EXPORT int ci_config_set_task_output_limit(ci_config *config, size_t bytes);

/**
 * Starts `command` as a background task (/bin/sh -c in the sandbox).
 * @param options NULL, or options whose environment and working directory
 *        apply (ci_exec_options_set_env(), _set_cwd()); the rest is
 *        ignored.
 * @param task_id receives the task's id ("task-1", "task-2", ... in the
 *        session), freed with ci_free().
 * @return 0; CI_ETOOMANY when the session already runs its bound of tasks;
 *         CI_ENOENT when the options' working directory does not exist;
 *         CI_ERUNNER if the shell interpreter could not be started;
 *         CI_EINVAL for a NULL or empty command; CI_EBUSY, CI_EEXPIRED,
 *         CI_ECLOSED, CI_EIO (audit), CI_ENOMEM.
 * @since 0.2
 */
CI_EXPORT int ci_task_start(ci_session *session, const char *command,
                            const ci_exec_options *options, char **task_id);

/** A snapshot of one task. @since 0.2 */
typedef struct ci_task_info ci_task_info;

/**
 * Looks at a task: its state, exit code and the output it wrote from the
 * given offsets on. An offset counts the bytes the task wrote to the stream
 * since it started; pass 0 for everything still buffered, or the previous
 * snapshot's ci_task_info_output_end() for what came since.
 * @return 0; CI_ENOENT for a task id the session does not know (or no
 *         longer keeps); CI_EINVAL; CI_EBUSY, CI_EEXPIRED, CI_ECLOSED,
 *         CI_EIO, CI_ENOMEM.
 * @since 0.2
 */
CI_EXPORT int ci_task_get(ci_session *session, const char *task_id, uint64_t stdout_from,
                          uint64_t stderr_from, ci_task_info **out);

/**
 * Stops a task: its whole process group is killed (SIGKILL) and its state
 * becomes CI_TASK_CANCELED. A task that had already ended keeps its state.
 * @param out NULL, or receives a snapshot taken after the stop (with all
 *        of its buffered output).
 * @return as ci_task_get().
 * @since 0.2
 */
CI_EXPORT int ci_task_stop(ci_session *session, const char *task_id, ci_task_info **out);

/** Frees a snapshot. NULL is a no-op. @since 0.2 */
CI_EXPORT void ci_task_info_free(ci_task_info *info);
/** The task's id. Owned by the snapshot. @since 0.2 */
CI_EXPORT const char *ci_task_info_id(const ci_task_info *info);
/** The task's state. @since 0.2 */
CI_EXPORT ci_task_status ci_task_info_status(const ci_task_info *info);
/** Exit code once the task ended: the shell's, 128+n when killed by signal
 *  n (137 once stopped); -1 while it runs or when it never started.
 *  @since 0.2 */
CI_EXPORT int ci_task_info_exit_code(const ci_task_info *info);
/** Why a CI_TASK_FAILED task failed, or NULL. @since 0.2 */
CI_EXPORT const char *ci_task_info_error(const ci_task_info *info);
/** Identifies an output stream of a task. @since 0.2 */
#define CI_TASK_STDOUT 1
#define CI_TASK_STDERR 2
/** The output of `stream` (CI_TASK_STDOUT or CI_TASK_STDERR) from the
 *  snapshot's offset on, NUL-terminated (it may hold other NUL bytes: use
 *  *len); "" when none; NULL for another stream. Owned by the snapshot.
 *  @since 0.2 */
CI_EXPORT const char *ci_task_info_output(const ci_task_info *info, int stream, size_t *len);
/** Offset of the first byte ci_task_info_output() returns: the offset asked
 *  for, or more when the bytes before were dropped. @since 0.2 */
CI_EXPORT uint64_t ci_task_info_output_offset(const ci_task_info *info, int stream);
/** Bytes the task wrote to the stream so far: the offset to ask for next.
 *  @since 0.2 */
CI_EXPORT uint64_t ci_task_info_output_end(const ci_task_info *info, int stream);
/** Bytes between the offset asked for and ci_task_info_output_offset() that
 *  were dropped because the task wrote more than the task output limit
 *  since; 0 when nothing asked for was lost. @since 0.2 */
CI_EXPORT uint64_t ci_task_info_output_dropped(const ci_task_info *info, int stream);
/** Wall-clock time since the task started, up to its end, in ms.
 *  @since 0.2 */
CI_EXPORT double ci_task_info_wall_ms(const ci_task_info *info);
/** CPU time (user + system) of the task's processes that its shell waited
 *  for, in ms, once it ended; -1 while it runs. @since 0.2 */
CI_EXPORT double ci_task_info_cpu_ms(const ci_task_info *info);
/** Largest resident set of one of the task's processes, in bytes, once it
 *  ended; 0 while it runs. @since 0.2 */
CI_EXPORT uint64_t ci_task_info_peak_memory_bytes(const ci_task_info *info);
/**
 * Serializes a snapshot as one JSON object:
 * {"taskId","taskStatus","exitCode" (null while running),"error" (only
 * when failed),"stdout","stderr" (the output from the offsets, as text with
 * invalid UTF-8 replaced),"stdoutOffset","stderrOffset","stdoutEnd",
 * "stderrEnd","stdoutDropped","stderrDropped","wallMs","cpuMs" (null while
 * running),"peakMemoryBytes"}. Free *out with ci_free().
 * @return 0, CI_EINVAL, CI_ENOMEM.
 * @since 0.2
 */
CI_EXPORT int ci_task_info_to_json(const ci_task_info *info, char **out);

/* ------------------------------------------------------------------------ */
/* Files                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * A session's files live in its /workspace, the working directory of every
 * execution, and in /output, where code leaves files to be sent to S3
 * after an execution. File calls name them with paths relative to
 * /workspace, such as "data.csv" or "in/2024/data.csv", or with the
 * absolute names the sandbox and the artifacts use (ci_result_artifact_path()):
 * "/workspace/data.csv", "/output/chart.png" (since 0.2). Any other
 * absolute name ("/etc/passwd", "/tmp/x", "/data/in.csv"), a "." or ".."
 * component, an empty component ("a//b", "a/"), a name longer than 4095
 * bytes or a component longer than 255 bytes (not counting the
 * "/workspace/" or "/output/" in front) is refused with CI_EPATH. The
 * listing calls also take "/workspace" and "/output" (with or without a
 * trailing '/') for the folders themselves.
 *
 * Sandboxed code can put anything in /workspace, including symbolic links,
 * hard links and FIFOs. The file calls never follow a symbolic link (a name
 * that goes through one fails with CI_EPATH) and never read anything but a
 * regular file, so what the sandbox plants cannot make them touch a host
 * file. Like ci_execute(), they fail with CI_EBUSY while the session is
 * executing, CI_EEXPIRED / CI_ECLOSED once its sandbox is gone, and they
 * count as use of the session for its idle lifetime.
 */

/**
 * Largest file ci_upload() and ci_upload_file() accept, in bytes (default
 * 100 MiB). A larger upload fails with CI_ETOOBIG and writes nothing.
 * @return 0, or CI_EINVAL if config is NULL.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_upload_limit(ci_config *config, uint64_t bytes);

/**
 * Writes `len` bytes as the file `name` (e.g. /workspace/`name` for a
 * relative name, or "/output/report.csv"), creating missing folders on the
 * way and replacing an existing file. The file appears whole or not at all:
 * it is written under a temporary name and renamed into place, and a
 * failed upload leaves nothing behind. On a root host the file (and any
 * folder created) belongs to the session's sandbox user, which may change
 * or delete it.
 * @param data may be NULL when len is 0.
 * @return 0; CI_EPATH for an invalid name, one that goes through a symbolic
 *         link or a file, or one naming a directory; CI_ETOOBIG when len is
 *         over the upload limit; CI_EIO (e.g. disk full); CI_EINVAL,
 *         CI_EBUSY, CI_EEXPIRED, CI_ECLOSED.
 * @since 0.1 (names under /workspace/ and /output/ since 0.2)
 */
CI_EXPORT int ci_upload(ci_session *session, const char *name, const void *data, size_t len);

/**
 * As ci_upload(), with the contents read from the host file `host_path`
 * (streamed: never held in memory whole). The size is checked before
 * anything is written and counted again while copying, so a file that
 * grows past the upload limit is refused too.
 * @return as ci_upload(); CI_ENOENT if host_path does not exist, CI_EIO if
 *         it cannot be read.
 * @since 0.1
 */
CI_EXPORT int ci_upload_file(ci_session *session, const char *host_path, const char *name);

/**
 * Reads the regular file `name` (relative to /workspace, or under
 * /workspace/ or /output/) into a new buffer holding the whole file (for
 * large files ci_download_to_file() streams instead). *data is followed by
 * a NUL byte not counted in *len, so text can be used as a C string (it
 * may hold other NUL bytes). Free *data with ci_free().
 *
 * Only a plain regular file is read: a directory, a FIFO, a device or a
 * socket is refused with CI_EFILETYPE, and so is a regular file with more
 * than one hard link, because a link made by sandboxed code could name a
 * file the caller never meant to hand out; a name that is or goes through a
 * symbolic link fails with CI_EPATH.
 * @return 0; CI_ENOENT; CI_EPATH; CI_EFILETYPE; CI_ETOOBIG if the file is
 *         larger than both the sandbox's maximum file size and the upload
 *         limit (it can only have grown while being read); CI_ENOMEM;
 *         CI_EIO; CI_EINVAL, CI_EBUSY, CI_EEXPIRED, CI_ECLOSED.
 * @since 0.1
 */
CI_EXPORT int ci_download(ci_session *session, const char *name, void **data, size_t *len);

/**
 * Copies the regular file `name` (as for ci_download()) to the host file
 * `host_path`, streamed (never held in memory whole). host_path is
 * replaced in one step (written under a temporary name in its folder, then
 * renamed; created with mode 0666 less the umask). The same files as
 * ci_download() are refused.
 * @return as ci_download(); CI_EIO when host_path cannot be written.
 * @since 0.1
 */
CI_EXPORT int ci_download_to_file(ci_session *session, const char *name, const char *host_path);

/** Kinds of directory entries. Values are part of the ABI. @since 0.1 */
typedef enum ci_file_type {
    CI_FILE_REGULAR = 1,
    CI_FILE_DIRECTORY = 2,
    CI_FILE_SYMLINK = 3,   /**< listed, never followed */
    CI_FILE_OTHER = 4      /**< FIFO, socket, device */
} ci_file_type;

typedef struct ci_file_list ci_file_list;

/** Most entries one listing holds: ci_list_files() stops there and flags
 *  the list truncated; ci_list_files_page() takes at most this limit.
 *  @since 0.2 */
#define CI_FILE_LIST_MAX 10000

/**
 * Lists the entries of the folder `dir` (not recursive), sorted by name
 * (byte order, as strcmp), without following symbolic links: the first
 * CI_FILE_LIST_MAX of them. A folder with more is listed that far and the
 * list says so (ci_file_list_truncated()); ci_list_files_page() goes on
 * from there. Sandboxed code can fill a folder with millions of entries:
 * the memory a listing takes is bounded by the entries it holds, never by
 * the folder. Free the list with ci_file_list_free().
 * @param dir a folder name as for ci_download(), or "/workspace" or
 *        "/output"; NULL, "" or "." for /workspace itself.
 * @return 0; CI_ENOENT; CI_EPATH (also when dir is not a directory);
 *         CI_ENOMEM; CI_EIO; CI_EINVAL, CI_EBUSY, CI_EEXPIRED, CI_ECLOSED.
 * @since 0.1 (the cap, /workspace/ and /output/ names since 0.2)
 */
CI_EXPORT int ci_list_files(ci_session *session, const char *dir, ci_file_list **out);
/**
 * One page of a listing: the entries of `dir` whose names sort after
 * `after` (all of them for NULL or ""), at most `limit` of them, sorted by
 * name. Pass ci_file_list_next_token() of a page as `after` to get the next
 * one, until it is NULL. Paging by name needs no state in the session and
 * stays correct while the folder changes: an entry present from the first
 * page to the last is listed exactly once; one created or removed
 * meanwhile may or may not be. Each page reads the whole folder (its
 * entries are in no order on disk) but holds only `limit` names.
 * @param limit 1 .. CI_FILE_LIST_MAX, else CI_EINVAL.
 * @return as ci_list_files().
 * @since 0.2
 */
CI_EXPORT int ci_list_files_page(ci_session *session, const char *dir, const char *after,
                                 size_t limit, ci_file_list **out);
/** 1 when the folder has entries after the last one of this list (ask for
 *  them with ci_list_files_page()), 0 when the list ends the folder or is
 *  NULL. @since 0.2 */
CI_EXPORT int ci_file_list_truncated(const ci_file_list *list);
/** The `after` of the next page, owned by the list: NULL when the list
 *  ends the folder. It is the last name the page took, which an entry
 *  removed meanwhile may leave out of the list itself. @since 0.2 */
CI_EXPORT const char *ci_file_list_next_token(const ci_file_list *list);
/** Number of entries; 0 for NULL. @since 0.1 */
CI_EXPORT size_t ci_file_list_count(const ci_file_list *list);
/** Name of entry i inside the listed folder (one component), or NULL when i
 *  is out of range. Owned by the list. @since 0.1 */
CI_EXPORT const char *ci_file_list_name(const ci_file_list *list, size_t i);
/** Kind of entry i; CI_FILE_OTHER when i is out of range. @since 0.1 */
CI_EXPORT ci_file_type ci_file_list_type(const ci_file_list *list, size_t i);
/** Size of entry i in bytes (for a symbolic link, the length of its
 *  target); 0 when i is out of range. @since 0.1 */
CI_EXPORT uint64_t ci_file_list_size(const ci_file_list *list, size_t i);
/** Last modification of entry i, in seconds since the Unix epoch; 0 when i
 *  is out of range. @since 0.1 */
CI_EXPORT int64_t ci_file_list_mtime(const ci_file_list *list, size_t i);
/** Frees a list. NULL is a no-op. @since 0.1 */
CI_EXPORT void ci_file_list_free(ci_file_list *list);

/**
 * Removes the session file `name` (as for ci_download(); never the area
 * folders themselves): a file, a symbolic link (not its target) or a
 * whole directory tree, never following a link inside it.
 * @return 0; CI_ENOENT; CI_EPATH; CI_EIO; CI_EINVAL, CI_EBUSY, CI_EEXPIRED,
 *         CI_ECLOSED.
 * @since 0.1
 */
CI_EXPORT int ci_remove_file(ci_session *session, const char *name);

/* ------------------------------------------------------------------------ */
/* S3                                                                        */
/* ------------------------------------------------------------------------ */

/*
 * Objects move between S3 (or an S3-compatible store) and a session's
 * folders: inputs named by ci_exec_options_set_input_s3_uri() are fetched
 * into /data (read-only inside the sandbox) before the code runs, and after
 * a successful execution every regular file under /output is sent to the
 * prefix named by ci_exec_options_set_output_s3_uri(). ci_s3_download() and
 * ci_s3_upload() move one object between S3 and /workspace.
 *
 * URIs are "s3://bucket/key" for one object and "s3://bucket/prefix/" (or
 * "s3://bucket") for every object under a prefix. Keys have at most 1024
 * bytes and no control characters.
 *
 * The host process does the transfers: credentials never enter the sandbox,
 * which keeps its network mode, and they never appear in messages or in the
 * audit trail (whose s3_transfer records name the URI, file and size). The
 * requests are signed with AWS Signature Version 4; TLS certificates are
 * always verified. Objects of up to 5 GiB are streamed between disk and
 * network, never held in memory; above the multipart threshold they are
 * uploaded in parts, several at once, and a failed multipart upload is
 * aborted. Each request (each part) is retried with exponential backoff
 * after a network failure, a timeout or a 5xx answer. Every upload carries
 * a Content-MD5; every download is checked against the object's length and,
 * when the ETag is an MD5, its digest. A download is written under a
 * temporary name and renamed into place, so nothing partial is ever seen.
 *
 * Settings not made on the configuration come from the environment when a
 * transfer starts: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN; AWS_REGION, then AWS_DEFAULT_REGION (else us-east-1);
 * AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL (else AWS itself); AWS_CA_BUNDLE.
 * The S3 errors name the bucket and key in the session's message:
 * CI_ENOCREDENTIALS, CI_EACCESS, CI_ENOBUCKET, CI_ENOKEY, CI_ENETWORK,
 * CI_ECHECKSUM, and CI_ETRANSFER for any other refusal. doc/s3.md has more.
 */

/**
 * Credentials for S3. Once set, the AWS_* credential variables are not
 * looked at; access_key_id NULL goes back to them.
 * @param session_token NULL for long-term credentials.
 * @return 0; CI_EINVAL if the key or secret is empty or only one is given.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_s3_credentials(ci_config *config, const char *access_key_id,
                                           const char *secret_access_key,
                                           const char *session_token);
/** Region requests are signed for (e.g. "eu-west-1"); NULL resets.
 *  @since 0.1 */
CI_EXPORT int ci_config_set_s3_region(ci_config *config, const char *region);
/**
 * Endpoint of an S3-compatible store, "https://host[:port][/path]" (or
 * "http://...", sent in clear: only for a store on the host itself). Buckets
 * are then addressed path-style (https://host/bucket/key). NULL resets to
 * the environment, then AWS.
 * @return 0, CI_EINVAL for another scheme or a URL with user information.
 * @since 0.1
 */
CI_EXPORT int ci_config_set_s3_endpoint(ci_config *config, const char *url);
/** A PEM file of certificate authorities trusted for the endpoint's TLS
 *  certificate instead of the system's (for a private CA). Verification
 *  itself cannot be turned off. NULL resets. @since 0.1 */
CI_EXPORT int ci_config_set_s3_ca_file(ci_config *config, const char *path);
/** Objects larger than this are uploaded in parts: 5 MiB .. 5 GiB, default
 *  16 MiB. @since 0.1 */
CI_EXPORT int ci_config_set_s3_multipart_threshold(ci_config *config, uint64_t bytes);
/** Size of each part of a multipart upload: 5 MiB .. 5 GiB, default 8 MiB
 *  (raised when an object would need more than 10000 parts). @since 0.1 */
CI_EXPORT int ci_config_set_s3_part_size(ci_config *config, uint64_t bytes);
/** Parts of one upload sent at the same time: 1 .. 64, default 4.
 *  @since 0.1 */
CI_EXPORT int ci_config_set_s3_parallel_parts(ci_config *config, uint32_t count);
/** Attempts per request (per part) before a transfer fails: 1 .. 100,
 *  default 6, with pauses doubling from 250 ms up to 8 s. @since 0.1 */
CI_EXPORT int ci_config_set_s3_max_attempts(ci_config *config, uint32_t attempts);

/**
 * Reports a transfer's progress: the object's s3:// URI, bytes moved so far
 * and its size (UINT64_MAX while unknown). Called from the thread doing the
 * transfer, several times a second while bytes move and at least every
 * half second while it waits to retry. Return 0 to continue, non-zero to
 * stop: the transfer then fails with CI_ECANCELED.
 * @since 0.1
 */
typedef int (*ci_progress_callback)(const char *uri, uint64_t bytes_done, uint64_t bytes_total,
                                    void *user_data);

/**
 * Fetches an object ("s3://bucket/key", as /data/<last component of the
 * key>) or every object under a prefix ("s3://bucket/prefix/", as
 * /data/<key less the prefix>, folders created) into /data before the code
 * runs. If a fetch fails, the code does not run: ci_execute() returns the
 * S3 error (the files fetched by this call are removed again). Files stay in
 * /data for the session's later executions; a new fetch replaces files of
 * the same name. NULL unsets.
 * @return 0, CI_EINVAL for a URI that is not s3://bucket[/key].
 * @since 0.1
 */
CI_EXPORT int ci_exec_options_set_input_s3_uri(ci_exec_options *options, const char *uri);
/**
 * After an execution whose status is CI_STATUS_OK, sends every regular file
 * under /output (symbolic links, FIFOs and files with several hard links
 * are left out) to "s3://bucket/prefix/" + its path below /output; a URI
 * without a trailing '/' is taken as a prefix all the same. The result
 * lists what was sent and says whether it all was (ci_result_s3_upload_*);
 * ci_execute() still returns the result when an upload fails. NULL unsets.
 * @return 0, CI_EINVAL for a URI that is not s3://bucket[/prefix].
 * @since 0.1
 */
CI_EXPORT int ci_exec_options_set_output_s3_uri(ci_exec_options *options, const char *uri);
/** Reports the progress of the S3 transfers of an execution (NULL unsets).
 *  @since 0.1 */
CI_EXPORT int ci_exec_options_set_progress_callback(ci_exec_options *options,
                                                    ci_progress_callback cb, void *user_data);

/** Number of files the execution sent to S3 (0 without an output URI).
 *  @since 0.1 */
CI_EXPORT size_t ci_result_s3_upload_count(const ci_result *result);
/** s3:// URI of uploaded file `index`, or NULL when out of range.
 *  @since 0.1 */
CI_EXPORT const char *ci_result_s3_upload_uri(const ci_result *result, size_t index);
/** Path inside the sandbox of uploaded file `index` (e.g. "/output/a.csv"),
 *  or NULL when out of range. @since 0.1 */
CI_EXPORT const char *ci_result_s3_upload_path(const ci_result *result, size_t index);
/** Size in bytes of uploaded file `index` (0 when out of range).
 *  @since 0.1 */
CI_EXPORT uint64_t ci_result_s3_upload_size(const ci_result *result, size_t index);
/** 0 when every file under /output was sent, else the CI_E* code of the
 *  failure that stopped the uploads (files listed before it were sent
 *  whole; none after it was). @since 0.1 */
CI_EXPORT int ci_result_s3_upload_error(const ci_result *result);
/** Message of that failure, naming the bucket and key, or NULL.
 *  @since 0.1 */
CI_EXPORT const char *ci_result_s3_upload_error_message(const ci_result *result);

/**
 * Fetches one object into /workspace/`name` (folders created), which
 * appears whole or not at all, as ci_upload() writes files.
 * @param name NULL for the last component of the key.
 * @return 0; CI_EINVAL for a URI that names a prefix; CI_EPATH for an
 *         invalid name; the S3 errors; CI_EIO (e.g. disk full); CI_ECANCELED
 *         by ci_session_cancel(); CI_EBUSY, CI_EEXPIRED, CI_ECLOSED.
 * @since 0.1
 */
CI_EXPORT int ci_s3_download(ci_session *session, const char *uri, const char *name);
/**
 * Sends the regular file /workspace/`name` to S3 as `uri`, or, when uri
 * ends with '/', as uri + name. The same files as ci_download() are
 * refused.
 * @return 0; CI_ENOENT; CI_EPATH; CI_EFILETYPE; the S3 errors; CI_EIO;
 *         CI_ECANCELED; CI_EINVAL, CI_EBUSY, CI_EEXPIRED, CI_ECLOSED.
 * @since 0.1
 */
CI_EXPORT int ci_s3_upload(ci_session *session, const char *name, const char *uri);

/* ------------------------------------------------------------------------ */
/* JSON tool calls                                                           */
/* ------------------------------------------------------------------------ */

/**
 * Performs one AgentCore-style tool call given as JSON, e.g.
 * {"name":"executeCode","arguments":{"code":"print(1)","language":"python",
 * "clearContext":false}}, and returns the MCP CallToolResult as JSON:
 * {"content":[{"type":"text","text":"..."}],"structuredContent":{...},
 * "isError":false}. The file tools take AgentCore's arguments too:
 * writeFiles {"content":[{"path":"a.txt","text":"..."},{"path":"b.bin",
 * "blob":"<base64>"}]} (every file or none), readFiles {"paths":[...]}
 * (answered with "resource" blocks: "text" for UTF-8 content, base64 "blob"
 * otherwise; at most 1000 paths, each file named once, and 16 MiB of files
 * in all per call, else an error naming the limit), listFiles
 * {"directoryPath":"","limit":1000,"nextToken":"..."} (one page, default
 * 1000 and at most CI_FILE_LIST_MAX entries, of "resource_link" blocks with
 * mime type and size; structuredContent.nextToken, when more follow, asks
 * for the next) and removeFiles {"paths":[...]}; paths are named as for
 * ci_upload() (relative to /workspace, or under /workspace/ or /output/).
 * executeCode also takes AgentCore's
 * "runtime" ("python", "nodejs"; "deno" is refused as not installed). The
 * shell tools: executeCommand {"command":"ls -l"} (text: stdout, then
 * stderr, then "Exited with code N." when it failed; structuredContent
 * {stdout, stderr, exitCode, executionTime, status, ...} as executeCode),
 * startCommandExecution {"command":...} ({taskId, taskStatus}), getTask
 * {"taskId":...} ({taskId, taskStatus, stdout, stderr: everything still
 * buffered; exitCode once ended; ...}) and stopTask {"taskId":...}
 * ({taskId, taskStatus:"canceled"}). An argument a tool does not take is an
 * error naming it. Malformed requests and unknown tools
 * are answered with a result whose isError is true and whose text names the
 * problem, and the call still returns 0: only a NULL argument (CI_EINVAL)
 * or memory exhaustion (CI_ENOMEM) fail. Free *out with ci_free().
 * @since 0.1 (the shell tools, "runtime" and the refusal of unknown
 * arguments since 0.2)
 */
CI_EXPORT int ci_invoke_json(ci_session *session, const char *request, char **out);

/**
 * As ci_invoke_json(), and while the code of executeCode or the command of
 * executeCommand runs, its stdout and stderr are handed to the callbacks as
 * they come (see ci_exec_options_set_stdout_callback(); a callback that
 * returns non-zero stops the execution). The other tools run no code and
 * call neither. The answer in *out is the same as ci_invoke_json()'s.
 * When `cancel` is fired (before the call reaches its execution or while
 * it runs), executeCode and executeCommand end with status "killed"; the
 * other tools are short and finish.
 * @param on_stdout, on_stderr NULL for none.
 * @param cancel NULL for none; see ci_cancel_create().
 * @since 0.2
 */
CI_EXPORT int ci_invoke_json_stream(ci_session *session, const char *request,
                                    ci_output_callback on_stdout, ci_output_callback on_stderr,
                                    void *user_data, ci_cancel *cancel, char **out);

#ifdef __cplusplus
}
#endif

#endif /* CODEINTERP_CODEINTERP_H */
