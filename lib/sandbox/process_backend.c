/* SPDX-License-Identifier: MIT */
/*
 * The "process" sandbox backend, library side: prepares the session's host
 * directories and uid, spawns the codeinterp-sandbox helper (posix_spawn:
 * nothing but exec happens in the child, so this is safe in a multithreaded
 * host), hands it the configuration, and talks to the sandbox's init.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codeinterp/codeinterp.h"
#include "sandbox/cgroup.h"
#include "sandbox/helper_proto.h"
#include "sandbox/sandbox.h"
#include "sandbox/workspace_disk.h"
#include "util/b64.h"
#include "util/clock.h"
#include "util/fdutil.h"
#include "util/safe_path.h"
#include "util/spawn.h"

#define SETUP_TIMEOUT_MS 30000
#define REPLY_TIMEOUT_MS 10000
#define SHUTDOWN_TIMEOUT_MS 5000

struct ci_sandbox {
    int sock;
    pid_t helper_pid;
    int helper_pidfd;
    int init_pidfd;
    int state;             /* CI_OK, CI_EEXPIRED or CI_ECLOSED */
    struct ci_uid_lease lease;
    struct ci_cgroup cg;
    struct ci_disk_job disk; /* while the volume is being made */
    int sessions_fd;       /* <state>/sessions */
    int lock_fd;           /* <state>/sessions/<id>.lock, held while alive */
    char *sessions_path;   /* <state>/sessions */
    char id[64];
    char *volume;          /* <state>/sessions/<id>/volume: the capped filesystem */
    char *workspace;       /* volume/workspace -> /workspace (rw) */
    char *output;          /* volume/output -> /output (rw) */
    char *data;            /* volume/data -> /data (ro) */
};

static int lock_name(char *buf, size_t cap, const char *id)
{
    int n = snprintf(buf, cap, "%s.lock", id);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void kill_pidfd(int pidfd)
{
    if (pidfd >= 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

static int wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}

static int ensure_dir(int dirfd, const char *name, mode_t mode, uid_t uid, gid_t gid, int chown_it)
{
    if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
        return -errno;
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = 0;
    if ((chown_it && fchown(fd, uid, gid) < 0) || fchmod(fd, mode) < 0)
        r = -errno;
    close(fd);
    return r;
}

static void mark_closed(struct ci_sandbox *sb)
{
    if (sb->state == CI_OK)
        sb->state = CI_ECLOSED;
}

/* Receives the next message, waiting up to timeout_ms. "expired" messages
 * met on the way update the state. 0, -ETIMEDOUT, -EPIPE (helper gone) or
 * another -errno. */
static int recv_msg(struct ci_sandbox *sb, int timeout_ms, cJSON **msg, int *fds, size_t *nfds)
{
    uint64_t deadline = ci_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        size_t cap = nfds ? *nfds : 0;
        size_t got = cap;
        int r = ci_proto_recv(sb->sock, msg, fds, nfds ? &got : NULL);
        if (nfds)
            *nfds = got;
        if (r == -EAGAIN) {
            uint64_t now = ci_now_ms();
            if (now >= deadline)
                return -ETIMEDOUT;
            if (nfds)
                *nfds = cap;
            wait_readable(sb->sock, (int)(deadline - now));
            continue;
        }
        if (r == -EPIPE || r == -ECONNRESET) {
            mark_closed(sb);
            return -EPIPE;
        }
        if (r < 0)
            return r;
        if (!strcmp(ci_proto_op(*msg), "expired")) {
            sb->state = CI_EEXPIRED;
            cJSON_Delete(*msg);
            *msg = NULL;
            if (nfds)
                *nfds = cap;
            continue;
        }
        return 0;
    }
}

static int send_op(struct ci_sandbox *sb, const char *op)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return -ENOMEM;
    cJSON_AddStringToObject(m, "op", op);
    int r = ci_proto_send(sb->sock, m, NULL, 0);
    cJSON_Delete(m);
    return r;
}

static cJSON *build_config(const struct ci_config *cfg, const struct ci_sandbox *sb, gid_t gid,
                           int switch_user, const void *bpf, size_t bpf_len, uint32_t arch)
{
    char path[4096];
    cJSON *m = cJSON_CreateObject();
    char *b64 = ci_b64_encode(bpf, bpf_len);
    if (!m || !b64) {
        cJSON_Delete(m);
        free(b64);
        return NULL;
    }
    cJSON_AddStringToObject(m, "op", "config");
    cJSON_AddNumberToObject(m, "uid", sb->lease.uid);
    cJSON_AddNumberToObject(m, "gid", gid);
    cJSON_AddNumberToObject(m, "switch_user", switch_user);
    cJSON_AddNumberToObject(m, "share_network", cfg->network == CI_NETWORK_HOST);
    cJSON_AddStringToObject(m, "workspace", sb->workspace);
    cJSON_AddStringToObject(m, "output", sb->output);
    cJSON_AddStringToObject(m, "data", sb->data);
    cJSON_AddStringToObject(m, "kernels", cfg->kernel_dir);
    snprintf(path, sizeof(path), "%s/python", cfg->runtime_dir);
    if (access(path, F_OK) == 0)
        cJSON_AddStringToObject(m, "runtime_python", path);
    snprintf(path, sizeof(path), "%s/node/node_modules", cfg->runtime_dir);
    if (access(path, F_OK) == 0)
        cJSON_AddStringToObject(m, "runtime_node", path);
    cJSON_AddNumberToObject(m, "tmp_size", (double)cfg->tmp_size);
    cJSON_AddNumberToObject(m, "nproc", cfg->max_processes);
    cJSON_AddNumberToObject(m, "nofile", cfg->max_open_files);
    cJSON_AddNumberToObject(m, "fsize", (double)cfg->max_file_size);
    cJSON_AddNumberToObject(m, "idle_ms", (double)cfg->idle_timeout_ms);
    /* Without a memory cgroup the data-segment rlimit is the memory cap. */
    cJSON_AddNumberToObject(m, "data_limit",
                            sb->cg.mode == CI_CGROUP_NONE ? (double)cfg->memory_limit : 0);
    cJSON_AddStringToObject(m, "seccomp", b64);
    cJSON_AddNumberToObject(m, "seccomp_arch", arch);
    free(b64);
    return m;
}

static int spawn_helper(struct ci_sandbox *sb, const char *helper, int child_sock, char *err,
                        size_t errlen)
{
    /* Only the control socket, and in its own session: no terminal
     * signals, and none of the host's stdio held by the sandbox's init. */
    char *argv[] = { (char *)"codeinterp-sandbox", NULL };
    char *envp[] = { NULL };
    int r = ci_spawn_clean(&sb->helper_pid, helper, argv, envp, child_sock, CI_PROTO_FD, 1);
    if (r != 0) {
        snprintf(err, errlen, "cannot start the sandbox helper %s: %s", helper, strerror(r));
        return CI_ESANDBOX;
    }
    sb->helper_pidfd = pidfd_open_(sb->helper_pid);
    if (sb->helper_pidfd < 0) {
        int e = errno;
        /* Still our unreaped child, so its pid cannot have been reused:
         * end it here, since the teardown only knows it by its pidfd. */
        kill(sb->helper_pid, SIGKILL);
        while (waitpid(sb->helper_pid, NULL, 0) < 0 && errno == EINTR)
            ;
        sb->helper_pid = 0;
        snprintf(err, errlen, "pidfd_open of the sandbox helper: %s", strerror(e));
        return e == EMFILE || e == ENFILE ? CI_EIO : CI_ESANDBOX;
    }
    return CI_OK;
}

/* Waits for "started" and "ready" (in either order) or an "error". */
static int await_ready(struct ci_sandbox *sb, char *err, size_t errlen)
{
    int ready = 0;
    pid_t init_pid = 0;
    uint64_t deadline = ci_now_ms() + SETUP_TIMEOUT_MS;
    while (!ready || !init_pid) {
        uint64_t now = ci_now_ms();
        cJSON *m = NULL;
        int r = now < deadline ? recv_msg(sb, (int)(deadline - now), &m, NULL, NULL) : -ETIMEDOUT;
        if (r < 0) {
            snprintf(err, errlen, "sandbox helper %s during setup",
                     r == -ETIMEDOUT ? "did not answer" : "exited");
            return CI_ESANDBOX;
        }
        const char *op = ci_proto_op(m);
        if (!strcmp(op, "ready")) {
            ready = 1;
        } else if (!strcmp(op, "started")) {
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "init_pid");
            init_pid = cJSON_IsNumber(p) ? (pid_t)p->valuedouble : 0;
        } else if (!strcmp(op, "error")) {
            const cJSON *layer = cJSON_GetObjectItemCaseSensitive(m, "layer");
            const cJSON *msg = cJSON_GetObjectItemCaseSensitive(m, "message");
            snprintf(err, errlen, "sandbox setup failed at the %s layer: %s",
                     cJSON_IsString(layer) ? layer->valuestring : "unknown",
                     cJSON_IsString(msg) ? msg->valuestring : "");
            cJSON_Delete(m);
            return CI_ESANDBOX;
        }
        cJSON_Delete(m);
    }
    sb->init_pidfd = pidfd_open_(init_pid);
    if (sb->init_pidfd < 0) {
        snprintf(err, errlen, "pidfd_open of the sandbox init: %s", strerror(errno));
        return CI_ESANDBOX;
    }
    return CI_OK;
}

static void stop_processes(struct ci_sandbox *sb)
{
    if (sb->init_pidfd >= 0) {
        if (send_op(sb, "shutdown") < 0 || !wait_readable(sb->init_pidfd, SHUTDOWN_TIMEOUT_MS)) {
            kill_pidfd(sb->helper_pidfd);
            wait_readable(sb->init_pidfd, SHUTDOWN_TIMEOUT_MS);
        }
    }
    if (sb->helper_pidfd >= 0) {
        kill_pidfd(sb->helper_pidfd);
        siginfo_t si;
        /* ECHILD when the host ignores SIGCHLD (auto-reaped): fine. */
        while (waitid(P_PIDFD, (id_t)sb->helper_pidfd, &si, WEXITED) < 0 && errno == EINTR)
            ;
    }
    ci_close(&sb->init_pidfd);
    ci_close(&sb->helper_pidfd);
    ci_close(&sb->sock);
    sb->state = CI_ECLOSED;
}

static void process_destroy(struct ci_sandbox *sb)
{
    if (!sb)
        return;
    stop_processes(sb);
    ci_disk_abort(&sb->disk);
    if (sb->sessions_fd >= 0 && sb->id[0]) {
        ci_disk_remove(sb->sessions_fd, sb->id, sb->volume);
        ci_safe_rmtree_at(sb->sessions_fd, sb->id);
        char lock[300];
        if (lock_name(lock, sizeof(lock), sb->id) == 0)
            unlinkat(sb->sessions_fd, lock, 0);
    }
    ci_close(&sb->lock_fd);
    ci_close(&sb->sessions_fd);
    ci_cgroup_destroy(&sb->cg);
    ci_uid_lease_release(&sb->lease);
    free(sb->volume);
    free(sb->workspace);
    free(sb->output);
    free(sb->data);
    free(sb->sessions_path);
    free(sb);
}

/* Opens the state dir, creating it if needed, and checks that nobody else
 * can plant anything in it: it must be ours and not writable by others. */
static int open_state_dir(const struct ci_config *cfg, int is_root, char *err, size_t errlen)
{
    /* The session uids of a root host only need to pass through it. */
    mode_t mode = is_root ? 0711 : 0700;
    if (mkdir(cfg->state_dir, mode) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create state dir %s: %s", cfg->state_dir, strerror(errno));
        return -1;
    }
    int sfd = open(cfg->state_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sfd < 0) {
        snprintf(err, errlen, "cannot open state dir %s: %s", cfg->state_dir, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(sfd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 0022)) {
        snprintf(err, errlen, "state dir %s must be a directory owned by uid %u and not writable "
                 "by others", cfg->state_dir, (unsigned)geteuid());
        close(sfd);
        return -1;
    }
    if (is_root && (st.st_mode & 0011) != 0011 && fchmod(sfd, (st.st_mode & 07777) | 0011) < 0) {
        snprintf(err, errlen, "cannot make state dir %s traversable: %s", cfg->state_dir,
                 strerror(errno));
        close(sfd);
        return -1;
    }
    return sfd;
}

/* Sessions whose host process died (SIGKILL, crash) left their directory
 * behind: its sandbox is gone (the init dies with the control socket), and
 * nobody holds its lock any more. Remove them. */
static void sweep_stale_sessions(int sessions_fd, const char *sessions_path)
{
    int dfd = fcntl(sessions_fd, F_DUPFD_CLOEXEC, 0);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        struct stat st;
        if (de->d_name[0] == '.' ||
            fstatat(sessions_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
            continue;
        char lock[300];
        if (lock_name(lock, sizeof(lock), de->d_name) < 0)
            continue;
        int fd = openat(sessions_fd, lock, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 && errno != ENOENT)
            continue;
        if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0) {
            close(fd);
            continue; /* alive */
        }
        char ws[4096];
        snprintf(ws, sizeof(ws), "%s/%s/volume", sessions_path, de->d_name);
        ci_disk_remove(sessions_fd, de->d_name, ws);
        ci_safe_rmtree_at(sessions_fd, de->d_name);
        if (fd >= 0) {
            unlinkat(sessions_fd, lock, 0);
            close(fd);
        }
    }
    closedir(d);
}

static int prepare_dirs(const struct ci_config *cfg, struct ci_sandbox *sb, gid_t gid, int is_root,
                        char *err, size_t errlen)
{
    int sfd = open_state_dir(cfg, is_root, err, errlen);
    if (sfd < 0)
        return CI_EIO;
    int r = ensure_dir(sfd, "sessions", is_root ? 0711 : 0700, 0, 0, 0);
    if (r == 0)
        sb->sessions_fd = openat(sfd, "sessions", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(sfd);
    if (r < 0 || sb->sessions_fd < 0) {
        snprintf(err, errlen, "cannot prepare %s/sessions: %s", cfg->state_dir,
                 strerror(r < 0 ? -r : errno));
        return CI_EIO;
    }
    size_t plen = strlen(cfg->state_dir) + sizeof("/sessions");
    if (!(sb->sessions_path = malloc(plen)))
        return CI_ENOMEM;
    snprintf(sb->sessions_path, plen, "%s/sessions", cfg->state_dir);
    sweep_stale_sessions(sb->sessions_fd, sb->sessions_path);
    /* The lock is taken before the directory exists, so a sweeper never
     * sees a live session's directory without a held lock. */
    char lock[300];
    lock_name(lock, sizeof(lock), sb->id);
    sb->lock_fd = openat(sb->sessions_fd, lock, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (sb->lock_fd < 0 || flock(sb->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        snprintf(err, errlen, "cannot create the session lock: %s", strerror(errno));
        sb->id[0] = '\0'; /* not ours to remove */
        return CI_EIO;
    }
    if (mkdirat(sb->sessions_fd, sb->id, 0700) < 0) {
        snprintf(err, errlen, "cannot create the session dir: %s", strerror(errno));
        return CI_EIO;
    }
    int dfd = openat(sb->sessions_fd, sb->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    r = dfd < 0 ? -errno : 0;
    if (r == 0 && is_root && fchown(dfd, sb->lease.uid, gid) < 0)
        r = -errno;
    if (r == 0)
        r = ensure_dir(dfd, "volume", 0700, sb->lease.uid, gid, is_root);
    if (dfd >= 0)
        close(dfd);
    if (r < 0) {
        snprintf(err, errlen, "cannot prepare the session's directory: %s", strerror(-r));
        return CI_EIO;
    }
    size_t len = strlen(sb->sessions_path) + strlen(sb->id) + 32;
    if (!(sb->volume = malloc(len)) || !(sb->workspace = malloc(len)) ||
        !(sb->output = malloc(len)) || !(sb->data = malloc(len)))
        return CI_ENOMEM;
    snprintf(sb->volume, len, "%s/%s/volume", sb->sessions_path, sb->id);
    snprintf(sb->workspace, len, "%s/workspace", sb->volume);
    snprintf(sb->output, len, "%s/output", sb->volume);
    snprintf(sb->data, len, "%s/data", sb->volume);
    if (cfg->workspace_size != 0) {
        if (!is_root) {
            snprintf(err, errlen, "a size-capped workspace needs a root host (it is a loop-mounted "
                     "filesystem image); set the workspace size to 0 to accept an uncapped "
                     "directory");
            return CI_ELIMIT;
        }
        /* mke2fs runs while the caller goes on; finish_volume() waits */
        return ci_disk_begin(&sb->disk, sb->sessions_fd, sb->sessions_path, sb->id,
                             cfg->workspace_size, sb->lease.uid, gid, err, errlen);
    }
    return CI_OK;
}

/* Mounts the volume (if one is being made) and creates the three folders:
 * one filesystem, one cap for all of them. /data is filled by the host (S3
 * inputs) and only read by the sandbox. */
static int finish_volume(const struct ci_config *cfg, struct ci_sandbox *sb, gid_t gid,
                         int is_root, char *err, size_t errlen)
{
    int r;
    if (cfg->workspace_size != 0 && (r = ci_disk_finish(&sb->disk, sb->volume, err, errlen)) < 0)
        return r;
    int vfd = open(sb->volume, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    r = vfd < 0 ? -errno : 0;
    if (r == 0)
        r = ensure_dir(vfd, "workspace", 0700, sb->lease.uid, gid, is_root);
    if (r == 0)
        r = ensure_dir(vfd, "output", 0700, sb->lease.uid, gid, is_root);
    if (r == 0)
        r = ensure_dir(vfd, "data", 0755, 0, 0, 0);
    if (vfd >= 0)
        close(vfd);
    if (r < 0) {
        snprintf(err, errlen, "cannot prepare the session's workspace: %s", strerror(-r));
        return CI_EIO;
    }
    return CI_OK;
}

static int process_start(const struct ci_config *cfg, const char *id, struct ci_sandbox **out,
                         char *err, size_t errlen)
{
    const void *bpf;
    size_t bpf_len;
    uint32_t arch;
    int r = ci_seccomp_policy_bpf(&bpf, &bpf_len, &arch, err, errlen);
    if (r < 0)
        return r;
    struct ci_sandbox *sb = calloc(1, sizeof(*sb));
    if (!sb)
        return CI_ENOMEM;
    sb->sock = sb->helper_pidfd = sb->init_pidfd = sb->sessions_fd = sb->lock_fd = sb->lease.fd = -1;
    sb->disk.imgfd = sb->disk.mkfs_pidfd = -1;
    snprintf(sb->id, sizeof(sb->id), "%s", id);
    int is_root = geteuid() == 0;
    gid_t gid;
    if (is_root) {
        int sfd = open_state_dir(cfg, is_root, err, errlen);
        if (sfd < 0) {
            free(sb);
            return CI_EIO;
        }
        close(sfd);
        r = ci_uid_lease_take(CI_UID_LEASE_DIR, cfg->uid_base, cfg->uid_count, &sb->lease, err, errlen);
        if (r < 0) {
            free(sb);
            return r;
        }
        gid = sb->lease.uid;
    } else {
        sb->lease.uid = geteuid();
        gid = getegid();
    }
    r = prepare_dirs(cfg, sb, gid, is_root, err, errlen);
    if (r < 0)
        goto fail;
    r = ci_cgroup_create(&sb->cg, cfg, sb->id, NULL, NULL, err, errlen);
    if (r < 0)
        goto fail;

    int sp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
        snprintf(err, errlen, "socketpair: %s", strerror(errno));
        r = CI_EIO;
        goto fail;
    }
    sb->sock = sp[0];
    r = spawn_helper(sb, cfg->helper_path, sp[1], err, errlen);
    close(sp[1]);
    if (r < 0)
        goto fail;
    ci_fd_set_nonblock(sb->sock, 1);
    /* The helper waits for its config: it runs nothing before it is in the
     * cgroup. (A v1 cgroup move waits for an RCU grace period; mke2fs runs
     * meanwhile.) */
    r = ci_cgroup_attach(&sb->cg, sb->helper_pid, err, errlen);
    if (r < 0)
        goto fail;
    r = finish_volume(cfg, sb, gid, is_root, err, errlen);
    if (r < 0)
        goto fail;
    cJSON *config = build_config(cfg, sb, gid, is_root, bpf, bpf_len, arch);
    if (!config) {
        r = CI_ENOMEM;
        goto fail;
    }
    int sr = ci_proto_send(sb->sock, config, NULL, 0);
    cJSON_Delete(config);
    if (sr < 0) {
        snprintf(err, errlen, "sending the sandbox config: %s", strerror(-sr));
        r = CI_ESANDBOX;
        goto fail;
    }
    r = await_ready(sb, err, errlen);
    if (r < 0)
        goto fail;
    *out = sb;
    return CI_OK;
fail:
    process_destroy(sb);
    return r;
}

static int process_spawn(struct ci_sandbox *sb, const char *const *argv, const char *const *envp,
                         struct ci_spawned *out, char *err, size_t errlen)
{
    if (sb->state != CI_OK) {
        snprintf(err, errlen, "the sandbox is gone");
        return sb->state;
    }
    cJSON *m = cJSON_CreateObject();
    cJSON *a = cJSON_CreateArray();
    cJSON *e = cJSON_CreateArray();
    if (!m || !a || !e) {
        cJSON_Delete(m);
        cJSON_Delete(a);
        cJSON_Delete(e);
        return CI_ENOMEM;
    }
    for (int i = 0; argv[i]; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(argv[i]));
    for (int i = 0; envp[i]; i++)
        cJSON_AddItemToArray(e, cJSON_CreateString(envp[i]));
    cJSON_AddStringToObject(m, "op", "spawn");
    cJSON_AddItemToObject(m, "argv", a);
    cJSON_AddItemToObject(m, "env", e);
    cJSON_AddStringToObject(m, "cwd", "/workspace");
    int r = ci_proto_send(sb->sock, m, NULL, 0);
    cJSON_Delete(m);
    if (r < 0) {
        mark_closed(sb);
        snprintf(err, errlen, "the sandbox is gone");
        return CI_ECLOSED;
    }
    int fds[3];
    size_t nfds = 3;
    cJSON *reply = NULL;
    r = recv_msg(sb, REPLY_TIMEOUT_MS, &reply, fds, &nfds);
    if (r == -EMFILE) {
        /* the runner sees its channel closed and exits */
        snprintf(err, errlen, "cannot receive the runner's channels: the host process is out of "
                 "file descriptors (%s)", strerror(EMFILE));
        return CI_EIO;
    }
    if (r < 0) {
        snprintf(err, errlen, "no answer from the sandbox to a spawn request");
        return sb->state != CI_OK ? sb->state : CI_ESANDBOX;
    }
    int result = CI_OK;
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(reply, "pid");
    if (!strcmp(ci_proto_op(reply), "spawned") && nfds == 3 && cJSON_IsNumber(pid)) {
        *out = (struct ci_spawned){ (int)pid->valuedouble, fds[0], fds[1], fds[2] };
    } else {
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(reply, "message");
        snprintf(err, errlen, "cannot start the runner: %s",
                 cJSON_IsString(msg) ? msg->valuestring : "bad reply");
        for (size_t i = 0; i < nfds; i++)
            close(fds[i]);
        result = CI_ERUNNER;
    }
    cJSON_Delete(reply);
    return result;
}

static int process_kill_all(struct ci_sandbox *sb)
{
    if (sb->state != CI_OK)
        return sb->state;
    cJSON *m = NULL;
    if (send_op(sb, "killall") == 0 && recv_msg(sb, REPLY_TIMEOUT_MS, &m, NULL, NULL) == 0 &&
        !strcmp(ci_proto_op(m), "killed")) {
        cJSON_Delete(m);
        return CI_OK;
    }
    cJSON_Delete(m);
    /* The init did not answer: end the whole sandbox rather than leave
     * processes running. */
    kill_pidfd(sb->helper_pidfd);
    mark_closed(sb);
    return CI_ECLOSED;
}

static int wait_or_kill(struct ci_sandbox *sb, const char *op, int pid, int timeout_ms,
                        int *exited, int *code, int *sig)
{
    *exited = 0;
    if (sb->state != CI_OK)
        return sb->state;
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return CI_ENOMEM;
    cJSON_AddStringToObject(m, "op", op);
    cJSON_AddNumberToObject(m, "pid", pid);
    cJSON_AddNumberToObject(m, "timeout_ms", timeout_ms);
    int r = ci_proto_send(sb->sock, m, NULL, 0);
    cJSON_Delete(m);
    cJSON *reply = NULL;
    if (r < 0 || recv_msg(sb, timeout_ms + REPLY_TIMEOUT_MS, &reply, NULL, NULL) < 0) {
        /* An init that does not answer cannot be trusted to kill anything:
         * end the whole sandbox. */
        kill_pidfd(sb->helper_pidfd);
        mark_closed(sb);
        return sb->state;
    }
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(reply, "exited");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(reply, "code");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(reply, "signal");
    if (cJSON_IsTrue(ex)) {
        *exited = 1;
        *code = cJSON_IsNumber(c) ? (int)c->valuedouble : -1;
        *sig = cJSON_IsNumber(s) ? (int)s->valuedouble : 0;
    }
    cJSON_Delete(reply);
    return CI_OK;
}

static int process_wait(struct ci_sandbox *sb, int pid, int timeout_ms, int *exited, int *code,
                        int *sig)
{
    return wait_or_kill(sb, "wait", pid, timeout_ms, exited, code, sig);
}

static int process_kill(struct ci_sandbox *sb, int pid)
{
    int exited, code, sig;
    int r = wait_or_kill(sb, "kill", pid, REPLY_TIMEOUT_MS, &exited, &code, &sig);
    if (r == CI_OK && !exited)
        return process_kill_all(sb);
    return r;
}

static void process_set_busy(struct ci_sandbox *sb, int busy)
{
    if (sb->state == CI_OK)
        send_op(sb, busy ? "busy" : "idle");
}

static int process_check(struct ci_sandbox *sb)
{
    while (sb->state == CI_OK) {
        cJSON *m = NULL;
        int r = recv_msg(sb, 0, &m, NULL, NULL);
        cJSON_Delete(m);
        if (r == -ETIMEDOUT)
            break;
        if (r < 0 && r != -EPROTO)
            mark_closed(sb);
    }
    if (sb->state == CI_OK && sb->init_pidfd >= 0 && wait_readable(sb->init_pidfd, 0))
        mark_closed(sb);
    return sb->state;
}

static int process_event_fd(struct ci_sandbox *sb)
{
    return sb->sock;
}

static int process_usage(struct ci_sandbox *sb, uint64_t *cpu_ns, uint64_t *peak, uint64_t *ooms)
{
    struct ci_cgroup_usage u;
    int r = ci_cgroup_usage(&sb->cg, &u);
    if (r == CI_OK) {
        *cpu_ns = u.cpu_ns;
        *peak = u.peak_bytes;
        *ooms = u.oom_kills;
    }
    return r;
}

static int process_reset_peak(struct ci_sandbox *sb)
{
    return ci_cgroup_reset_peak(&sb->cg);
}

static ci_cgroup_mode process_limits_mode(struct ci_sandbox *sb)
{
    return sb->cg.mode;
}

/* A name for a refused call: the syscall's name, prefixed with the ABI
 * when it is not the native one. */
static char *denial_name(uint32_t arch, int nr)
{
    const char *abi = NULL;
    uint32_t token = arch;
    if (arch == SCMP_ARCH_X86_64 && ((uint32_t)nr & 0x40000000u)) {
        abi = "x32";
        token = SCMP_ARCH_X32;
    } else if (arch != seccomp_arch_native()) {
        abi = arch == SCMP_ARCH_X86 ? "i386" : "foreign-abi";
    }
    char *sys = seccomp_syscall_resolve_num_arch(token, nr);
    char *name = NULL;
    int n = abi ? (sys ? asprintf(&name, "%s %s", abi, sys) : asprintf(&name, "%s syscall %d", abi, nr))
                : (sys ? asprintf(&name, "%s", sys) : asprintf(&name, "syscall %d", nr));
    free(sys);
    return n < 0 ? NULL : name;
}

static int process_denials(struct ci_sandbox *sb, struct ci_denied_call **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (sb->state != CI_OK)
        return sb->state;
    cJSON *m = NULL;
    if (send_op(sb, "denials") < 0 || recv_msg(sb, REPLY_TIMEOUT_MS, &m, NULL, NULL) < 0 ||
        strcmp(ci_proto_op(m), "denials") != 0) {
        cJSON_Delete(m);
        return sb->state != CI_OK ? sb->state : CI_ESANDBOX;
    }
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "calls");
    const cJSON *more = cJSON_GetObjectItemCaseSensitive(m, "more");
    int count = cJSON_IsArray(calls) ? cJSON_GetArraySize(calls) : 0;
    int extra = cJSON_IsNumber(more) && more->valuedouble >= 1;
    int r = CI_OK;
    if (count + extra > 0 && !(*out = calloc((size_t)(count + extra), sizeof(**out))))
        r = CI_ENOMEM;
    for (int i = 0; r == CI_OK && i < count; i++) {
        const cJSON *c = cJSON_GetArrayItem(calls, i);
        const cJSON *arch = cJSON_GetObjectItemCaseSensitive(c, "arch");
        const cJSON *nr = cJSON_GetObjectItemCaseSensitive(c, "nr");
        const cJSON *times = cJSON_GetObjectItemCaseSensitive(c, "count");
        if (!cJSON_IsNumber(arch) || !cJSON_IsNumber(nr) || !cJSON_IsNumber(times) ||
            !(arch->valuedouble >= 0 && arch->valuedouble <= UINT32_MAX) ||
            !(nr->valuedouble >= INT_MIN && nr->valuedouble <= INT_MAX) ||
            !(times->valuedouble >= 0 && times->valuedouble < 1e18))
            continue;
        struct ci_denied_call *d = &(*out)[*n];
        if (!(d->name = denial_name((uint32_t)arch->valuedouble, (int)nr->valuedouble)))
            r = CI_ENOMEM;
        else {
            d->count = (uint64_t)times->valuedouble;
            (*n)++;
        }
    }
    if (r == CI_OK && extra) {
        struct ci_denied_call *d = &(*out)[*n];
        if (!(d->name = strdup("(other calls)")))
            r = CI_ENOMEM;
        else {
            d->count = more->valuedouble < 1e18 ? (uint64_t)more->valuedouble : 0;
            (*n)++;
        }
    }
    cJSON_Delete(m);
    if (r < 0) {
        for (size_t i = 0; i < *n; i++)
            free((*out)[i].name);
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return r;
}

static const char *process_workspace(struct ci_sandbox *sb)
{
    return sb->workspace;
}

static const char *process_output_dir(struct ci_sandbox *sb)
{
    return sb->output;
}

static const char *process_data_dir(struct ci_sandbox *sb)
{
    return sb->data;
}

const struct ci_sandbox_ops ci_process_sandbox_ops = {
    .version = CI_SANDBOX_OPS_VERSION,
    .name = "process",
    .start = process_start,
    .spawn = process_spawn,
    .kill_all = process_kill_all,
    .wait = process_wait,
    .kill = process_kill,
    .set_busy = process_set_busy,
    .check = process_check,
    .event_fd = process_event_fd,
    .usage = process_usage,
    .reset_peak = process_reset_peak,
    .limits_mode = process_limits_mode,
    .workspace = process_workspace,
    .output_dir = process_output_dir,
    .data_dir = process_data_dir,
    .denials = process_denials,
    .destroy = process_destroy,
};
