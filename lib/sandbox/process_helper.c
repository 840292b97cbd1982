/* SPDX-License-Identifier: MIT */
/*
 * The process backend's side of the helper protocol: starting the
 * codeinterp-sandbox helper (posix_spawn: nothing but exec happens in the
 * child, so this is safe in a multithreaded host), handing it its
 * configuration, and the requests to the sandbox's init (spawn, wait, kill,
 * busy/idle, mark/sweep) over the control socket, and its unsolicited news
 * (expired, exited).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sandbox/helper_proto.h"
#include "sandbox/process.h"
#include "util/b64.h"
#include "util/clock.h"
#include "util/fdutil.h"
#include "util/spawn.h"

static int pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void kill_pidfd(int pidfd)
{
    if (pidfd >= 0)
        syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
}

void ci_process_mark_closed(struct ci_sandbox *sb)
{
    if (sb->state == CI_OK)
        sb->state = CI_ECLOSED;
}

static void forget_ended(struct ci_sandbox *sb, int pid)
{
    for (size_t i = 0; i < CI_PROCESS_MAX_ENDED; i++)
        if (sb->ended[i] == pid)
            sb->ended[i] = 0;
}

static void note_ended(struct ci_sandbox *sb, const cJSON *m)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(m, "pid");
    if (!cJSON_IsNumber(p) || p->valuedouble < 1 || p->valuedouble > INT32_MAX)
        return;
    int pid = (int)p->valuedouble;
    forget_ended(sb, pid);
    sb->ended[sb->ended_next] = pid;
    sb->ended_next = (sb->ended_next + 1) % CI_PROCESS_MAX_ENDED;
}

/* Receives the next message, waiting up to timeout_ms. The unsolicited
 * ones met on the way are absorbed here, wherever they arrive: "expired"
 * updates the state, "exited" notes a runner's end. 0, -ETIMEDOUT, -EPIPE
 * (helper gone) or another -errno. */
int ci_process_recv(struct ci_sandbox *sb, int timeout_ms, cJSON **msg, int *fds, size_t *nfds)
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
            ci_wait_readable(sb->sock, (int)(deadline - now));
            continue;
        }
        if (r == -EPIPE || r == -ECONNRESET) {
            ci_process_mark_closed(sb);
            return -EPIPE;
        }
        if (r < 0)
            return r;
        const char *op = ci_proto_op(*msg);
        int expired = !strcmp(op, "expired"), exited = !strcmp(op, "exited");
        if (expired)
            sb->state = CI_EEXPIRED;
        if (exited)
            note_ended(sb, *msg);
        if (expired || exited) {
            cJSON_Delete(*msg);
            *msg = NULL;
            for (size_t i = 0; nfds && i < got; i++)
                close(fds[i]); /* none belong to these */
            if (nfds)
                *nfds = cap;
            continue;
        }
        return 0;
    }
}

int ci_process_send_op(struct ci_sandbox *sb, const char *op)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return -ENOMEM;
    cJSON_AddStringToObject(m, "op", op);
    int r = ci_proto_send(sb->sock, m, NULL, 0);
    cJSON_Delete(m);
    return r;
}

static cJSON *build_binds(const struct ci_sandbox_params *p)
{
    cJSON *list = cJSON_CreateArray();
    for (size_t i = 0; list && i < p->bind_count; i++) {
        cJSON *b = cJSON_CreateObject();
        if (!b || !cJSON_AddItemToArray(list, b) ||
            !cJSON_AddStringToObject(b, "source", p->binds[i].source) ||
            !cJSON_AddStringToObject(b, "target", p->binds[i].target) ||
            !cJSON_AddNumberToObject(b, "required", p->binds[i].required)) {
            cJSON_Delete(list);
            return NULL;
        }
    }
    return list;
}

static cJSON *build_config(const struct ci_sandbox_params *cfg, const struct ci_sandbox *sb,
                           const void *bpf, size_t bpf_len, uint32_t arch)
{
    cJSON *m = cJSON_CreateObject();
    cJSON *binds = build_binds(cfg);
    char *b64 = ci_b64_encode(bpf, bpf_len);
    if (!m || !binds || !b64 || !cJSON_AddItemToObject(m, "binds", binds)) {
        cJSON_Delete(m);
        cJSON_Delete(binds);
        free(b64);
        return NULL;
    }
    cJSON_AddStringToObject(m, "op", "config");
    cJSON_AddNumberToObject(m, "uid", sb->lease.uid);
    cJSON_AddNumberToObject(m, "gid", sb->gid);
    cJSON_AddNumberToObject(m, "switch_user", sb->is_root);
    cJSON_AddNumberToObject(m, "share_network", cfg->network == CI_NETWORK_HOST);
    cJSON_AddStringToObject(m, "workspace", sb->workspace);
    cJSON_AddStringToObject(m, "output", sb->output);
    cJSON_AddStringToObject(m, "data", sb->data);
    cJSON_AddNumberToObject(m, "tmp_size", (double)cfg->tmp_size);
    cJSON_AddNumberToObject(m, "nproc", cfg->max_processes);
    cJSON_AddNumberToObject(m, "nofile", cfg->max_open_files);
    cJSON_AddNumberToObject(m, "fsize", (double)cfg->max_file_size);
    cJSON_AddNumberToObject(m, "idle_ms", (double)cfg->idle_timeout_ms);
    cJSON_AddNumberToObject(m, "lifetime_ms", (double)cfg->lifetime_ms);
    /* Without a memory cgroup the data-segment rlimit is the memory cap. */
    cJSON_AddNumberToObject(m, "data_limit",
                            sb->cg.mode == CI_CGROUP_NONE ? (double)cfg->memory_limit : 0);
    /* what the sandbox's /proc says of its memory and CPUs */
    cJSON_AddNumberToObject(m, "memory_limit", (double)cfg->memory_limit);
    cJSON_AddNumberToObject(m, "cpu_millis",
                            sb->cg.mode == CI_CGROUP_NONE ? 0 : (double)cfg->cpu_millis);
    cJSON_AddStringToObject(m, "seccomp", b64);
    cJSON_AddNumberToObject(m, "seccomp_arch", arch);
    free(b64);
    return m;
}

int ci_process_send_config(struct ci_sandbox *sb, const struct ci_sandbox_params *p,
                           const void *bpf, size_t bpf_len, uint32_t arch, char *err,
                           size_t errlen)
{
    cJSON *config = build_config(p, sb, bpf, bpf_len, arch);
    if (!config)
        return CI_ENOMEM;
    int r = ci_proto_send(sb->sock, config, NULL, 0);
    cJSON_Delete(config);
    if (r < 0) {
        snprintf(err, errlen, "sending the sandbox config: %s", strerror(-r));
        return CI_ESANDBOX;
    }
    return CI_OK;
}

int ci_process_spawn_helper(struct ci_sandbox *sb, const char *helper, int child_sock, char *err,
                        size_t errlen)
{
    /* Only the control socket, and in its own session: no terminal
     * signals, and none of the host's stdio held by the sandbox's init. */
    char *argv[] = { (char *)"codeinterp-sandbox", NULL };
    char *envp[] = { NULL };
    int r = ci_spawn_clean(&sb->helper_pid, helper, argv, envp, child_sock, CI_PROTO_FD, 1);
    if (r != 0) {
        snprintf(err, errlen, "cannot start the sandbox helper %s: %s; set CODEINTERP_HELPER "
                 "or ci_config_set_helper_path() to the installed codeinterp-sandbox "
                 "(libexec)", helper, strerror(r));
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
int ci_process_await_ready(struct ci_sandbox *sb, char *err, size_t errlen)
{
    int ready = 0;
    pid_t init_pid = 0;
    uint64_t deadline = ci_now_ms() + CI_PROCESS_SETUP_TIMEOUT_MS;
    while (!ready || !init_pid) {
        uint64_t now = ci_now_ms();
        cJSON *m = NULL;
        int r = now < deadline ? ci_process_recv(sb, (int)(deadline - now), &m, NULL, NULL) : -ETIMEDOUT;
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

void ci_process_stop(struct ci_sandbox *sb)
{
    if (sb->init_pidfd >= 0) {
        if (ci_process_send_op(sb, "shutdown") < 0 || !ci_wait_readable(sb->init_pidfd, CI_PROCESS_SHUTDOWN_TIMEOUT_MS)) {
            kill_pidfd(sb->helper_pidfd);
            ci_wait_readable(sb->init_pidfd, CI_PROCESS_SHUTDOWN_TIMEOUT_MS);
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

int ci_process_spawn(struct ci_sandbox *sb, const char *const *argv, const char *const *envp,
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
        ci_process_mark_closed(sb);
        snprintf(err, errlen, "the sandbox is gone");
        return CI_ECLOSED;
    }
    int fds[3];
    size_t nfds = 3;
    cJSON *reply = NULL;
    r = ci_process_recv(sb, CI_PROCESS_REPLY_TIMEOUT_MS, &reply, fds, &nfds);
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
        /* a reused pid: the end noted was its earlier runner's (the init
         * tells of an end before it can reuse the pid) */
        forget_ended(sb, out->pid);
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

/* Sends `op` and takes its answer `want` into *reply. An init that does
 * not answer (or answers something else) cannot be trusted to kill
 * anything: the whole sandbox is ended rather than left with processes
 * running, and the state (CI_ECLOSED, or CI_EEXPIRED) returned. */
static int request(struct ci_sandbox *sb, const char *op, const char *want, cJSON **reply)
{
    if (sb->state != CI_OK)
        return sb->state;
    cJSON *m = NULL;
    if (ci_process_send_op(sb, op) == 0 &&
        ci_process_recv(sb, CI_PROCESS_REPLY_TIMEOUT_MS, &m, NULL, NULL) == 0 &&
        !strcmp(ci_proto_op(m), want)) {
        *reply = m;
        return CI_OK;
    }
    cJSON_Delete(m);
    kill_pidfd(sb->helper_pidfd);
    ci_process_mark_closed(sb);
    return sb->state;
}

int ci_process_kill_all(struct ci_sandbox *sb)
{
    cJSON *m = NULL;
    int r = request(sb, "killall", "killed", &m);
    cJSON_Delete(m);
    return r;
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
    if (r < 0 || ci_process_recv(sb, timeout_ms + CI_PROCESS_REPLY_TIMEOUT_MS, &reply, NULL, NULL) < 0) {
        /* An init that does not answer cannot be trusted to kill anything:
         * end the whole sandbox. */
        kill_pidfd(sb->helper_pidfd);
        ci_process_mark_closed(sb);
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

int ci_process_wait(struct ci_sandbox *sb, int pid, int timeout_ms, int *exited, int *code,
                        int *sig)
{
    return wait_or_kill(sb, "wait", pid, timeout_ms, exited, code, sig);
}

int ci_process_kill(struct ci_sandbox *sb, int pid)
{
    int exited, code, sig;
    int r = wait_or_kill(sb, "kill", pid, CI_PROCESS_REPLY_TIMEOUT_MS, &exited, &code, &sig);
    if (r == CI_OK && !exited)
        return ci_process_kill_all(sb);
    return r;
}

void ci_process_set_busy(struct ci_sandbox *sb, int busy)
{
    if (sb->state == CI_OK)
        ci_process_send_op(sb, busy ? "busy" : "idle");
}

int ci_process_check(struct ci_sandbox *sb)
{
    while (sb->state == CI_OK) {
        cJSON *m = NULL;
        int r = ci_process_recv(sb, 0, &m, NULL, NULL);
        cJSON_Delete(m);
        if (r == -ETIMEDOUT)
            break;
        if (r < 0 && r != -EPROTO)
            ci_process_mark_closed(sb);
    }
    if (sb->state == CI_OK && sb->init_pidfd >= 0 && ci_wait_readable(sb->init_pidfd, 0))
        ci_process_mark_closed(sb);
    return sb->state;
}

int ci_process_event_fd(struct ci_sandbox *sb)
{
    return sb->sock;
}

int ci_process_ended(struct ci_sandbox *sb, int pid)
{
    ci_process_check(sb); /* takes in the "exited" messages waiting */
    for (size_t i = 0; pid > 0 && i < CI_PROCESS_MAX_ENDED; i++)
        if (sb->ended[i] == pid)
            return 1;
    return 0;
}

/* The init's errno member of a reply: 0 when there is none. */
static int reply_errno(const cJSON *m)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "errno");
    return cJSON_IsNumber(e) ? (int)e->valuedouble : 0;
}

int ci_process_mark(struct ci_sandbox *sb)
{
    cJSON *m = NULL;
    int r = request(sb, "mark", "marked", &m);
    if (r == CI_OK && reply_errno(m))
        r = reply_errno(m) == E2BIG ? CI_ETOOMANY : CI_ESANDBOX;
    cJSON_Delete(m);
    return r;
}

int ci_process_sweep(struct ci_sandbox *sb, unsigned *killed)
{
    *killed = 0;
    cJSON *m = NULL;
    int r = request(sb, "sweep", "swept", &m);
    if (r == CI_OK) {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(m, "killed");
        if (cJSON_IsNumber(k) && k->valuedouble >= 0 && k->valuedouble <= UINT_MAX)
            *killed = (unsigned)k->valuedouble;
        if (reply_errno(m))
            r = reply_errno(m) == ENOENT ? CI_EINVAL : CI_ESANDBOX;
    }
    cJSON_Delete(m);
    return r;
}
