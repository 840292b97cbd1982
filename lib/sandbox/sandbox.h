/* SPDX-License-Identifier: MIT */
/*
 * The sandbox backend interface. The core drives a sandbox only through
 * these operations, so another isolation technology (a microVM, a pre-forked
 * pool) can replace the process backend without touching sessions. A
 * backend gets its own parameters (struct ci_sandbox_params), never the
 * library's whole configuration, and serves the session's files itself:
 * no layer above opens a host path of a session.
 * Bump CI_SANDBOX_OPS_VERSION when the struct changes; the registry
 * (sandbox_registry.c) refuses a backend built for another version.
 *
 * Every operation returns 0 or a negative CI_E* code (never an errno) and,
 * where it takes `err`, writes a message saying what failed into it.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "codeinterp/codeinterp.h"
#include "util/safe_path.h"

#define CI_SANDBOX_OPS_VERSION 6

struct ci_sandbox;

/* A host path bound read-only into the sandbox (the runners' kernels and
 * runtime environments; the backend knows no language). */
struct ci_sandbox_bind {
    const char *source; /* host path */
    const char *target; /* absolute path inside the sandbox */
    int required;       /* 0: left out when the source does not exist */
};

#define CI_SANDBOX_MAX_BINDS 16

/* What a backend needs to build one sandbox. */
struct ci_sandbox_params {
    const char *id;            /* the session's id: [0-9a-f]{32} */
    const char *helper_path;   /* process backend: the codeinterp-sandbox helper */
    const char *state_dir;     /* host folder for per-session state */
    uint32_t uid_base, uid_count; /* root host: the range sandbox uids are leased from */
    uint64_t idle_timeout_ms;  /* the sandbox's own idle clock */
    uint64_t lifetime_ms;      /* its absolute lifetime from start; 0: none */
    ci_network network;
    uint32_t max_processes;
    uint32_t max_open_files;
    uint64_t max_file_size;
    uint64_t tmp_size;
    uint64_t workspace_size;   /* 0: plain uncapped directory */
    int allow_tmpfs_state;     /* workspace images may live in a tmpfs state dir */
    uint64_t memory_limit;
    uint32_t cpu_millis;
    ci_cgroup_mode cgroup_mode;
    const char *cgroup_parent; /* NULL: default */
    const struct ci_sandbox_bind *binds;
    size_t bind_count;
};

struct ci_spawned {
    int pid;  /* in the sandbox's pid namespace */
    int ctl;  /* bidirectional control stream to the runner */
    int out;  /* read end of the runner's stdout */
    int err;  /* read end of the runner's stderr */
};

/* A system call the sandbox refused, and how many times. */
struct ci_denied_call {
    char *name;      /* e.g. "mount"; "i386 getpid" / "x32 getpid" for
                        another ABI; "syscall 999" when it has no name */
    uint64_t count;
};

/* The session's file areas, as the sandbox sees them. */
enum ci_area {
    CI_AREA_WORKSPACE, /* /workspace: rw for the sandbox */
    CI_AREA_OUTPUT,    /* /output: rw, sent to S3 after an execution */
    CI_AREA_DATA,      /* /data: ro for the sandbox, S3 inputs written by the host */
};

/* A file being written (see write_begin). */
struct ci_sb_write;

struct ci_sandbox_ops {
    unsigned version;
    const char *name;
    /* Builds the sandbox. On failure a negative CI_E* and a message naming
     * the failed layer in err. */
    int (*start)(const struct ci_sandbox_params *p, struct ci_sandbox **out, char *err,
                 size_t errlen);
    /* Starts a program in the sandbox with cwd /workspace. */
    int (*spawn)(struct ci_sandbox *sb, const char *const *argv, const char *const *envp,
                 struct ci_spawned *out, char *err, size_t errlen);
    /* Kills every process of the sandbox (the sandbox itself stays). */
    int (*kill_all)(struct ci_sandbox *sb);
    /* Waits up to timeout_ms for a spawned program to end; *exited tells
     * whether it did, then *code (-1 if signaled) and *sig. */
    int (*wait)(struct ci_sandbox *sb, int pid, int timeout_ms, int *exited, int *code, int *sig);
    /* Kills one spawned program and waits for it. */
    int (*kill)(struct ci_sandbox *sb, int pid);
    /* Stops (busy) or restarts (idle) the idle-lifetime clock. */
    void (*set_busy)(struct ci_sandbox *sb, int busy);
    /* 0 while usable; CI_EEXPIRED once the idle lifetime ran out; CI_ECLOSED
     * if the sandbox died. Never blocks. */
    int (*check)(struct ci_sandbox *sb);
    /* A descriptor that becomes readable when check() or ended() may have
     * changed. */
    int (*event_fd)(struct ci_sandbox *sb);
    /* 1 once the program `pid` that spawn started has exited, 0 while it
     * runs or when the pid is not one of spawn's. Never blocks. Unlike
     * the end of its control stream this does not wait for the program's
     * children, which may hold that stream open. */
    int (*ended)(struct ci_sandbox *sb, int pid);
    /* What an execution leaves running: mark records every process of the
     * sandbox alive now (replacing an earlier mark); sweep then kills every
     * process started since, but the programs spawn started that still
     * run, and sets *killed to how many it killed (also on failure). A
     * sweep uses the mark up. It fails closed: a process it cannot tell
     * to be newer than the mark is spared. mark: CI_ETOOMANY when the
     * sandbox holds more processes than a mark can (its process limit),
     * CI_ESANDBOX when they cannot be listed; then no mark holds. sweep:
     * CI_EINVAL, killing nothing, when no mark holds (none was made, it
     * failed, or a sweep used it); CI_ESANDBOX when some process could not
     * be judged (and was spared). Both: CI_ECLOSED (or CI_EEXPIRED) when
     * the sandbox is gone or did not answer (then it is ended). */
    int (*mark)(struct ci_sandbox *sb);
    int (*sweep)(struct ci_sandbox *sb, unsigned *killed);
    /* Resource use so far (CI_EUNSUPPORTED when not metered). */
    int (*usage)(struct ci_sandbox *sb, uint64_t *cpu_ns, uint64_t *peak_bytes, uint64_t *oom_kills);
    /* Restarts the peak-memory watermark; 1 if the kernel allows it. */
    int (*reset_peak)(struct ci_sandbox *sb);
    ci_cgroup_mode (*limits_mode)(struct ci_sandbox *sb);
    /* The system calls refused since the last call (malloc'd array of
     * *n entries, NULL when none; names malloc'd too). 0, or a negative
     * CI_E* (CI_EUNSUPPORTED: this backend cannot tell). */
    int (*denials)(struct ci_sandbox *sb, struct ci_denied_call **out, size_t *n);

    /*
     * The session's files. Names are relative to the area's root and have
     * passed ci_path_check() (util/safe_path.h) or are "." for the root.
     * Sandboxed code writes these trees while the host works in them: no
     * symbolic link is ever followed, only regular files with one name are
     * read, and what is written appears whole or not at all. On failure err
     * holds a phrase for the user about the name (e.g. "it is a FIFO").
     */
    /* Opens a regular file for reading: *fd reads it from the start, *size
     * is its size when opened. CI_EFILETYPE for anything else. */
    int (*file_open)(struct ci_sandbox *sb, enum ci_area area, const char *name, int *fd,
                     uint64_t *size, char *err, size_t errlen);
    /* Starts writing `name`: missing folders are made, and *fd takes the
     * contents of a file nobody sees yet. Then write_commit puts it in
     * place (replacing a file of that name), and write_end ends it. */
    int (*write_begin)(struct ci_sandbox *sb, enum ci_area area, const char *name,
                       struct ci_sb_write **w, int *fd, char *err, size_t errlen);
    int (*write_commit)(struct ci_sandbox *sb, struct ci_sb_write *w, char *err, size_t errlen);
    /* Frees w. With keep 0 what it made is removed again: the file (if it
     * was committed and is still a file) and the folders made for it. */
    void (*write_end)(struct ci_sandbox *sb, struct ci_sb_write *w, int keep);
    /* One page of a folder's entries, sorted by name: those whose names
     * sort after page->after, at most page->limit of them (see
     * ci_safe_list); the memory it takes is bounded by the page, never by
     * the folder, which sandboxed code can fill with millions. */
    int (*list)(struct ci_sandbox *sb, enum ci_area area, const char *dir,
                struct ci_safe_page *page, char *err, size_t errlen);
    /* Removes a file, a link or a folder tree. */
    int (*remove)(struct ci_sandbox *sb, enum ci_area area, const char *name, char *err,
                  size_t errlen);
    /* The regular files of an area, looking at most at max_entries
     * entries and max_depth folders deep (truncated says it stopped early:
     * see ci_safe_walk). */
    int (*walk)(struct ci_sandbox *sb, enum ci_area area, size_t max_entries, int max_depth,
                struct ci_safe_walk *out, char *err, size_t errlen);

    /* Kills everything, removes the session's files, frees sb. */
    void (*destroy)(struct ci_sandbox *sb);
};

/* sandbox_registry.c: the backend of that name (NULL: the default,
 * "process"), or NULL when none is built in or it was built for another
 * version of this interface. */
const struct ci_sandbox_ops *ci_sandbox_backend(const char *name);
/* 0 when ops is complete and of this interface's version. */
int ci_sandbox_ops_check(const struct ci_sandbox_ops *ops);

extern const struct ci_sandbox_ops ci_process_sandbox_ops;
