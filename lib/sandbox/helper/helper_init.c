/* SPDX-License-Identifier: MIT */
/*
 * Stage two of the helper: pid 1 of the sandbox. Finishes the isolation
 * (filesystem, hostname, loopback, rlimits, capabilities, no_new_privs,
 * seccomp last), then serves the library: spawns runners with their pipes,
 * tells it when one of them exits, kills everything on request or what an
 * execution left running (helper_sweep.c), reaps every process of the
 * sandbox, and enforces the session's idle lifetime even when the library
 * never calls again.
 */
#include "sandbox/helper/helper.h"

#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/helper_proto.h"
#include "util/clock.h"
#include "util/fdutil.h"

/* Exit code of the init when the idle lifetime ran out. */
#define INIT_EXIT_EXPIRED 75

static int loopback_up(struct helper_error *e)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return helper_fail(e, "network namespace", errno, "socket");
    struct ifreq ifr = { 0 };
    strcpy(ifr.ifr_name, "lo");
    int r = ioctl(s, SIOCGIFFLAGS, &ifr);
    if (r == 0) {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        r = ioctl(s, SIOCSIFFLAGS, &ifr);
    }
    int err = errno;
    close(s);
    return r < 0 ? helper_fail(e, "network namespace", err, "bringing up lo") : 0;
}

static int set_limit(int res, uint64_t v, const char *name, struct helper_error *e)
{
    struct rlimit rl = { (rlim_t)v, (rlim_t)v };
    if (setrlimit(res, &rl) < 0)
        return helper_fail(e, "rlimits", errno, "%s", name);
    return 0;
}

/* The seccomp listener (helper_notify.c), -1 until the filter is loaded. */
static int notify_fd = -1;

static int drop_privileges(const struct helper_config *c, struct helper_error *e)
{
    capng_clear(CAPNG_SELECT_ALL);
    if (capng_apply(CAPNG_SELECT_ALL) != 0)
        return helper_fail(e, "capabilities", errno, "capng_apply");
    if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
        return helper_fail(e, "capabilities", EPERM, "capabilities remain after dropping");
    if (setsid() < 0)
        return helper_fail(e, "setsid", errno, "setsid");
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return helper_fail(e, "no_new_privs", errno, "PR_SET_NO_NEW_PRIVS");
    if ((notify_fd = helper_seccomp_load(c, e)) < 0)
        return -1;
    /* Sandboxed code runs as our uid: keep it from reading our memory or
     * descriptors through /proc/1. */
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
        return helper_fail(e, "setup", errno, "PR_SET_DUMPABLE");
    return 0;
}

static int finish_isolation(const struct helper_config *c, struct helper_error *e)
{
    if (helper_setup_filesystem(c, e) < 0)
        return -1;
    if (sethostname("sandbox", 7) < 0)
        return helper_fail(e, "uts namespace", errno, "sethostname");
    if (!c->share_network && loopback_up(e) < 0)
        return -1;
    if (set_limit(RLIMIT_NPROC, c->nproc, "RLIMIT_NPROC", e) < 0 ||
        set_limit(RLIMIT_NOFILE, c->nofile, "RLIMIT_NOFILE", e) < 0 ||
        set_limit(RLIMIT_FSIZE, c->fsize, "RLIMIT_FSIZE", e) < 0 ||
        set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE", e) < 0)
        return -1;

    return drop_privileges(c, e);
}

/* Runners we started and their exit statuses once reaped. */
#define MAX_TRACKED 16
struct tracked {
    pid_t pid;
    int done;
    int status;
};
static struct tracked tracked[MAX_TRACKED];

/* The library's end, for the unsolicited "exited". */
static int lib_sock = -1;

static void track(pid_t pid)
{
    /* a pid reused since an earlier runner's exit: that runner is over */
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (tracked[i].pid == pid) {
            tracked[i] = (struct tracked){ pid, 0, 0 };
            return;
        }
    }
    for (int i = 0; i < MAX_TRACKED; i++) {
        if (tracked[i].pid == 0 || tracked[i].done) {
            tracked[i] = (struct tracked){ pid, 0, 0 };
            return;
        }
    }
}

static struct tracked *find_tracked(pid_t pid)
{
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i].pid == pid)
            return &tracked[i];
    return NULL;
}

static void send_exited(pid_t pid)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return;
    cJSON_AddStringToObject(m, "op", "exited");
    cJSON_AddNumberToObject(m, "pid", pid);
    ci_proto_send(lib_sock, m, NULL, 0);
    cJSON_Delete(m);
}

/* Reaps what has ended. A runner's end is told to the library at once: a
 * child the runner forked may hold the runner's control socket open, so
 * the library would not see it close. */
static void reap(int block)
{
    int status;
    pid_t p;
    while ((p = waitpid(-1, &status, block ? 0 : WNOHANG)) > 0 || (p < 0 && errno == EINTR)) {
        if (p < 0)
            continue;
        struct tracked *t = find_tracked(p);
        if (t && !t->done) {
            t->done = 1;
            t->status = status;
            send_exited(p);
        }
    }
}

static void kill_everything(void)
{
    /* From pid 1, -1 reaches every other process of the namespace. */
    kill(-1, SIGKILL);
    reap(1);
}

static void send_simple(int sock, const char *op)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return;
    cJSON_AddStringToObject(m, "op", op);
    ci_proto_send(sock, m, NULL, 0);
    cJSON_Delete(m);
}

static char **string_array(const cJSON *arr)
{
    int n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n <= 0 || n > 4096)
        return NULL;
    char **v = calloc((size_t)n + 1, sizeof(char *));
    if (!v)
        return NULL;
    for (int i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(arr, i);
        if (!cJSON_IsString(s)) {
            free(v);
            return NULL;
        }
        v[i] = s->valuestring;
    }
    return v;
}

/* Without a memory cgroup the data-segment rlimit is the memory cap; set
 * in the runner only, so the init itself never runs short. */
static uint64_t data_limit;

static void exec_runner(char **argv, char **envp, const char *cwd, int ctl, int out, int err,
                        const sigset_t *oldmask) __attribute__((noreturn));
static void exec_runner(char **argv, char **envp, const char *cwd, int ctl, int out, int err,
                        const sigset_t *oldmask)
{
    sigprocmask(SIG_SETMASK, oldmask, NULL);
    struct rlimit rl = { (rlim_t)data_limit, (rlim_t)data_limit };
    if (data_limit && setrlimit(RLIMIT_DATA, &rl) < 0)
        _exit(126);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
        dup2(ctl, 3) < 0)
        _exit(126);
    syscall(SYS_close_range, 4, ~0u, 0);
    if (chdir(cwd) < 0) {
        dprintf(2, "codeinterp: cannot enter %s: %s\n", cwd, strerror(errno));
        _exit(126);
    }
    execve(argv[0], argv, envp);
    dprintf(2, "codeinterp: cannot start %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

static void handle_spawn(int sock, const cJSON *m, const sigset_t *oldmask)
{
    char **argv = string_array(cJSON_GetObjectItemCaseSensitive(m, "argv"));
    char **envp = string_array(cJSON_GetObjectItemCaseSensitive(m, "env"));
    const cJSON *cwd = cJSON_GetObjectItemCaseSensitive(m, "cwd");
    int ctl[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
    cJSON *reply = cJSON_CreateObject();
    const char *problem = NULL;
    int saved = 0;

    if (!argv || !envp || !cJSON_IsString(cwd))
        problem = "bad spawn request";
    else if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctl) < 0 ||
             pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0)
        problem = "creating the runner's channels", saved = errno;
    pid_t pid = -1;
    if (!problem) {
        pid = fork();
        if (pid == 0)
            exec_runner(argv, envp, cwd->valuestring, ctl[1], out[1], err[1], oldmask);
        if (pid < 0)
            problem = "fork of the runner", saved = errno;
    }
    if (problem) {
        cJSON_AddStringToObject(reply, "op", "error");
        cJSON_AddStringToObject(reply, "layer", "runner");
        cJSON_AddNumberToObject(reply, "errno", saved);
        char msg[256];
        snprintf(msg, sizeof(msg), "%s%s%s", problem, saved ? ": " : "", saved ? strerror(saved) : "");
        cJSON_AddStringToObject(reply, "message", msg);
        ci_proto_send(sock, reply, NULL, 0);
    } else {
        track(pid);
        cJSON_AddStringToObject(reply, "op", "spawned");
        cJSON_AddNumberToObject(reply, "pid", pid);
        int fds[3] = { ctl[0], out[0], err[0] };
        ci_proto_send(sock, reply, fds, 3);
    }
    cJSON_Delete(reply);
    for (int i = 0; i < 2; i++) {
        ci_close(&ctl[i]);
        ci_close(&out[i]);
        ci_close(&err[i]);
    }
    free(argv);
    free(envp);
}

static void handle_wait(int sock, const cJSON *m, int sigfd)
{
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(m, "pid");
    const cJSON *jt = cJSON_GetObjectItemCaseSensitive(m, "timeout_ms");
    pid_t pid = cJSON_IsNumber(jp) ? (pid_t)jp->valuedouble : -1;
    uint64_t deadline = ci_now_ms() + (cJSON_IsNumber(jt) ? (uint64_t)jt->valuedouble : 0);
    struct tracked *t = find_tracked(pid);
    while (t && !t->done) {
        reap(0);
        if (t->done)
            break;
        uint64_t now = ci_now_ms();
        if (now >= deadline)
            break;
        /* denied calls keep being answered: a process parked in one
         * would otherwise wait for us as long as we wait */
        struct pollfd p[2] = { { .fd = sigfd, .events = POLLIN },
                               { .fd = notify_fd, .events = POLLIN } };
        if (poll(p, 2, (int)(deadline - now)) > 0) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof(si)) > 0)
                ;
            if (p[1].revents & POLLIN)
                helper_notify_handle(notify_fd);
        }
    }
    cJSON *reply = cJSON_CreateObject();
    cJSON_AddStringToObject(reply, "op", "waited");
    cJSON_AddNumberToObject(reply, "pid", pid);
    cJSON_AddBoolToObject(reply, "exited", t && t->done);
    if (t && t->done) {
        cJSON_AddNumberToObject(reply, "code", WIFEXITED(t->status) ? WEXITSTATUS(t->status) : -1);
        cJSON_AddNumberToObject(reply, "signal", WIFSIGNALED(t->status) ? WTERMSIG(t->status) : 0);
    }
    ci_proto_send(sock, reply, NULL, 0);
    cJSON_Delete(reply);
}

/* Answers "mark": records the processes alive now. The process limit
 * bounds how many there can be; a little more for the init and those
 * counted against the user elsewhere. */
static void handle_mark(int sock, const struct helper_config *cfg)
{
    uint64_t cap = cfg->nproc + 16;
    long n = helper_mark(cap > HELPER_MAX_MARKS ? HELPER_MAX_MARKS : (size_t)cap);
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return;
    cJSON_AddStringToObject(m, "op", "marked");
    if (n >= 0)
        cJSON_AddNumberToObject(m, "count", (double)n);
    else
        cJSON_AddNumberToObject(m, "errno", (double)-n);
    ci_proto_send(sock, m, NULL, 0);
    cJSON_Delete(m);
}

/* Answers "sweep": kills what was started since the mark, sparing the
 * runners that still run. */
static void handle_sweep(int sock)
{
    reap(0);
    pid_t keep[MAX_TRACKED];
    size_t nkeep = 0;
    for (int i = 0; i < MAX_TRACKED; i++)
        if (tracked[i].pid > 0 && !tracked[i].done)
            keep[nkeep++] = tracked[i].pid;
    unsigned killed = 0;
    int r = helper_sweep(keep, nkeep, &killed);
    reap(0);
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return;
    cJSON_AddStringToObject(m, "op", "swept");
    cJSON_AddNumberToObject(m, "killed", killed);
    if (r < 0)
        cJSON_AddNumberToObject(m, "errno", -r);
    ci_proto_send(sock, m, NULL, 0);
    cJSON_Delete(m);
}

/* Answers "denials": the system calls the filter refused since the last
 * time, by ABI and number (the library names them). */
static void send_denials(int sock)
{
    struct helper_denial d[32];
    uint64_t more = 0;
    size_t n = helper_notify_take(d, sizeof(d) / sizeof(d[0]), &more);
    cJSON *m = cJSON_CreateObject();
    cJSON *calls = cJSON_CreateArray();
    if (!m || !calls) {
        cJSON_Delete(m);
        cJSON_Delete(calls);
        return;
    }
    cJSON_AddStringToObject(m, "op", "denials");
    for (size_t i = 0; i < n; i++) {
        cJSON *c = cJSON_CreateObject();
        if (!c)
            break;
        cJSON_AddNumberToObject(c, "arch", d[i].arch);
        cJSON_AddNumberToObject(c, "nr", d[i].nr);
        cJSON_AddNumberToObject(c, "count", (double)d[i].count);
        cJSON_AddItemToArray(calls, c);
    }
    cJSON_AddItemToObject(m, "calls", calls);
    cJSON_AddNumberToObject(m, "more", (double)more);
    ci_proto_send(sock, m, NULL, 0);
    cJSON_Delete(m);
}

void helper_run_init(const struct helper_config *cfg, int sock)
{
    struct helper_error err = { 0 };
    /* Our parent (stage one) is what the library kills to end the sandbox. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
        helper_fail(&err, "setup", errno, "PR_SET_PDEATHSIG");
        helper_send_error(sock, &err);
        _exit(1);
    }
    sigset_t chld, oldmask;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, &oldmask);
    int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0) {
        helper_fail(&err, "setup", errno, "signalfd");
        helper_send_error(sock, &err);
        _exit(1);
    }
    if (finish_isolation(cfg, &err) < 0) {
        helper_send_error(sock, &err);
        _exit(1);
    }
    data_limit = cfg->data_limit;
    lib_sock = sock;
    cJSON *ready = cJSON_CreateObject();
    cJSON_AddStringToObject(ready, "op", "ready");
    ci_proto_send(sock, ready, NULL, 0);
    cJSON_Delete(ready);

    int busy = 0;
    uint64_t idle_since = ci_now_ms();
    /* The absolute lifetime counts from here, busy or not. */
    uint64_t life_end = cfg->lifetime_ms ? ci_now_ms() + cfg->lifetime_ms : UINT64_MAX;
    for (;;) {
        uint64_t now = ci_now_ms(), end = life_end;
        if (!busy && idle_since + cfg->idle_ms < end)
            end = idle_since + cfg->idle_ms;
        if (now >= end) {
            send_simple(sock, "expired");
            kill_everything();
            _exit(INIT_EXIT_EXPIRED);
        }
        int timeout = end - now > 60000 ? 60000 : (int)(end - now);
        struct pollfd p[3] = { { .fd = sock, .events = POLLIN }, { .fd = sigfd, .events = POLLIN },
                               { .fd = notify_fd, .events = POLLIN } };
        int n = poll(p, 3, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (p[2].revents & POLLIN)
            helper_notify_handle(notify_fd);
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof(si)) > 0)
                ;
            reap(0);
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        cJSON *m = NULL;
        if (ci_proto_recv(sock, &m, NULL, NULL) < 0)
            break; /* the library is gone: so is the sandbox */
        const char *op = ci_proto_op(m);
        if (!strcmp(op, "spawn"))
            handle_spawn(sock, m, &oldmask);
        else if (!strcmp(op, "killall")) {
            kill_everything();
            send_simple(sock, "killed");
        } else if (!strcmp(op, "wait"))
            handle_wait(sock, m, sigfd);
        else if (!strcmp(op, "kill")) {
            const cJSON *jp = cJSON_GetObjectItemCaseSensitive(m, "pid");
            /* only a runner we started: never ourselves or -1 */
            if (cJSON_IsNumber(jp) && find_tracked((pid_t)jp->valuedouble))
                kill((pid_t)jp->valuedouble, SIGKILL);
            handle_wait(sock, m, sigfd);
        }
        else if (!strcmp(op, "denials"))
            send_denials(sock);
        else if (!strcmp(op, "mark"))
            handle_mark(sock, cfg);
        else if (!strcmp(op, "sweep"))
            handle_sweep(sock);
        else if (!strcmp(op, "busy")) {
            busy = 1;
            helper_procview_refresh();
        }
        else if (!strcmp(op, "idle")) {
            busy = 0;
            idle_since = ci_now_ms();
        } else if (!strcmp(op, "shutdown")) {
            cJSON_Delete(m);
            break;
        }
        cJSON_Delete(m);
    }
    kill_everything();
    _exit(0);
}
