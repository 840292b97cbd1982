/* SPDX-License-Identifier: MIT */
/*
 * Entry of codeinterp-sandbox. The library spawns it with the control socket
 * as fd 3 and nothing else open. Stage one (this file), still in the host's
 * namespaces: read the config, become the session's unprivileged uid if we
 * were started as root, create the user namespace and map that one uid,
 * create the other namespaces, fork the sandbox's init (pid 1 of the new pid
 * namespace), then wait for it and exit with its status. Stage two is
 * helper_run_init().
 */
#include "sandbox/helper/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox/helper_proto.h"
#include "util/b64.h"

int helper_fail(struct helper_error *e, const char *layer, int err, const char *fmt, ...)
{
    e->layer = layer;
    e->err = err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof(e->detail), fmt, ap);
    va_end(ap);
    return -1;
}

void helper_send_error(int sock, const struct helper_error *e)
{
    cJSON *m = cJSON_CreateObject();
    if (!m)
        return;
    cJSON_AddStringToObject(m, "op", "error");
    cJSON_AddStringToObject(m, "layer", e->layer ? e->layer : "setup");
    cJSON_AddNumberToObject(m, "errno", e->err);
    char msg[512];
    snprintf(msg, sizeof(msg), "%s%s%s", e->detail, e->err ? ": " : "",
             e->err ? strerror(e->err) : "");
    cJSON_AddStringToObject(m, "message", msg);
    ci_proto_send(sock, m, NULL, 0);
    cJSON_Delete(m);
}

static const char *opt_string(const cJSON *m, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int get_u64(const cJSON *m, const char *key, uint64_t *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, key);
    if (!cJSON_IsNumber(v) || v->valuedouble < 0)
        return -1;
    *out = (uint64_t)v->valuedouble;
    return 0;
}

/* "binds": [{"source":..,"target":"/abs","required":0|1}, ...] */
static int parse_binds(const cJSON *list, struct helper_config *c, struct helper_error *e)
{
    static struct helper_bind binds[HELPER_MAX_BINDS];
    if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) > HELPER_MAX_BINDS)
        return helper_fail(e, "protocol", EPROTO, "config lacks binds, or has more than %d",
                           HELPER_MAX_BINDS);
    const cJSON *b;
    size_t n = 0;
    cJSON_ArrayForEach(b, list) {
        uint64_t required;
        const char *source = opt_string(b, "source"), *target = opt_string(b, "target");
        if (!source || !target || target[0] != '/' || get_u64(b, "required", &required))
            return helper_fail(e, "protocol", EPROTO, "a bind lacks source, target or required");
        binds[n++] = (struct helper_bind){ source, target, required != 0 };
    }
    c->binds = binds;
    c->bind_count = n;
    return 0;
}

static int parse_config(const cJSON *m, struct helper_config *c, struct helper_error *e)
{
    uint64_t uid, gid, sw, net;
    if (strcmp(ci_proto_op(m), "config") != 0)
        return helper_fail(e, "protocol", EPROTO, "expected a config message");
    if (get_u64(m, "uid", &uid) || get_u64(m, "gid", &gid) || get_u64(m, "switch_user", &sw) ||
        get_u64(m, "share_network", &net) || get_u64(m, "tmp_size", &c->tmp_size) ||
        get_u64(m, "nproc", &c->nproc) || get_u64(m, "nofile", &c->nofile) ||
        get_u64(m, "fsize", &c->fsize) || get_u64(m, "idle_ms", &c->idle_ms) ||
        get_u64(m, "lifetime_ms", &c->lifetime_ms) ||
        get_u64(m, "data_limit", &c->data_limit) ||
        get_u64(m, "memory_limit", &c->memory_limit) || get_u64(m, "cpu_millis", &c->cpu_millis))
        return helper_fail(e, "protocol", EPROTO, "config lacks a numeric field");
    c->uid = (uid_t)uid;
    c->gid = (gid_t)gid;
    c->switch_user = sw != 0;
    c->share_network = net != 0;
    c->workspace = opt_string(m, "workspace");
    c->output = opt_string(m, "output");
    c->data = opt_string(m, "data");
    const char *bpf = opt_string(m, "seccomp");
    if (!c->workspace || !c->output || !c->data || !bpf)
        return helper_fail(e, "protocol", EPROTO, "config lacks workspace, output, data or seccomp");
    if (parse_binds(cJSON_GetObjectItemCaseSensitive(m, "binds"), c, e) < 0)
        return -1;
    uint64_t arch;
    if (get_u64(m, "seccomp_arch", &arch) || arch > UINT32_MAX)
        return helper_fail(e, "protocol", EPROTO, "config lacks the seccomp ABI");
    c->seccomp_arch = (uint32_t)arch;
    c->seccomp_bpf = ci_b64_decode(bpf, strlen(bpf), &c->seccomp_len);
    if (!c->seccomp_bpf || c->seccomp_len == 0 || c->seccomp_len % 8 != 0)
        return helper_fail(e, "seccomp", EINVAL, "invalid seccomp program");
    return 0;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int e = n < 0 ? errno : 0;
    close(fd);
    if (n < 0)
        return -e;
    return (size_t)n == strlen(text) ? 0 : -EIO;
}

/* Sandboxed code is what the kernel should kill first when memory runs
 * out, and it must not make itself unkillable (-1000) instead. A write made
 * with CAP_SYS_RESOURCE (a root host's helper, before it becomes the
 * session's user) also sets the floor below which no unprivileged
 * descendant can go; an unprivileged helper can only raise its own score. */
static int prefer_for_oom_kill(struct helper_error *e)
{
    int r = write_file("/proc/self/oom_score_adj", "1000\n");
    if (r < 0)
        return helper_fail(e, "oom score", -r, "writing /proc/self/oom_score_adj");
    return 0;
}

/* With a CPU quota the sandbox runs on as many CPUs as the quota rounds up
 * to (taken from the ones we may use, from an offset the uid sets so that
 * sessions spread), so that programs sizing thread pools by the CPUs they
 * may run on (sched_getaffinity: OpenBLAS, os.process_cpu_count(), node's
 * availableParallelism) size them to the quota. The quota is what limits;
 * this is a hint the sandbox could widen again within its cpuset. Sets
 * c->cpus, also what the sandbox's /proc and /sys say. */
static int fit_cpus_to_quota(struct helper_config *c, struct helper_error *e)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) < 0)
        return helper_fail(e, "cpu affinity", errno, "sched_getaffinity");
    unsigned avail = (unsigned)CPU_COUNT(&set);
    unsigned want = c->cpu_millis ? (unsigned)((c->cpu_millis + 999) / 1000) : avail;
    if (want == 0 || avail == 0)
        want = 1;
    if (want >= avail) {
        c->cpus = avail ? avail : 1;
        return 0;
    }
    unsigned allowed[CPU_SETSIZE], n = 0;
    for (unsigned i = 0; i < CPU_SETSIZE && n < avail; i++)
        if (CPU_ISSET(i, &set))
            allowed[n++] = i;
    cpu_set_t mine;
    CPU_ZERO(&mine);
    for (unsigned k = 0; k < want; k++)
        CPU_SET(allowed[(c->uid + k) % n], &mine);
    if (sched_setaffinity(0, sizeof(mine), &mine) < 0)
        return helper_fail(e, "cpu affinity", errno, "sched_setaffinity to %u CPUs", want);
    c->cpus = want;
    return 0;
}

static int become_session_user(const struct helper_config *c, struct helper_error *e)
{
    if (!c->switch_user)
        return 0;
    if (setgroups(0, NULL) < 0)
        return helper_fail(e, "user switch", errno, "setgroups");
    if (setresgid(c->gid, c->gid, c->gid) < 0)
        return helper_fail(e, "user switch", errno, "setresgid(%u)", (unsigned)c->gid);
    if (setresuid(c->uid, c->uid, c->uid) < 0)
        return helper_fail(e, "user switch", errno, "setresuid(%u)", (unsigned)c->uid);
    /* A uid change clears the dumpable flag, which would make our own
     * /proc/self/uid_map unwritable for us. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
        return helper_fail(e, "user switch", errno, "PR_SET_DUMPABLE");
    return 0;
}

/* A time namespace whose boot clock starts at the sandbox's start, so the
 * start times of its processes (/proc/PID/stat) and CLOCK_BOOTTIME say
 * nothing of the host's uptime, like its /proc/uptime. The init is the first
 * process in it. A kernel without time namespaces (EINVAL) leaves the boot
 * clock the host's. */
static int enter_time_namespace(struct helper_error *e)
{
#ifdef CLONE_NEWTIME
    if (unshare(CLONE_NEWTIME) < 0)
        return errno == EINVAL ? 0 : helper_fail(e, "time namespace", errno, "unshare");
    struct timespec boot;
    if (clock_gettime(CLOCK_BOOTTIME, &boot) < 0)
        return helper_fail(e, "time namespace", errno, "CLOCK_BOOTTIME");
    char offsets[64];
    snprintf(offsets, sizeof(offsets), "boottime %lld 0\n", -(long long)boot.tv_sec);
    int r = write_file("/proc/self/timens_offsets", offsets);
    if (r < 0)
        return helper_fail(e, "time namespace", -r, "writing timens_offsets");
#else
    (void)e;
#endif
    return 0;
}

static int enter_namespaces(const struct helper_config *c, struct helper_error *e)
{
    if (unshare(CLONE_NEWUSER) < 0)
        return helper_fail(e, "user namespace", errno,
                           "cannot create a user namespace (are unprivileged user namespaces "
                           "disabled, e.g. user.max_user_namespaces=0?)");
    char map[64];
    int r = write_file("/proc/self/setgroups", "deny");
    if (r < 0)
        return helper_fail(e, "user namespace", -r, "writing /proc/self/setgroups");
    snprintf(map, sizeof(map), "%d %u 1\n", HELPER_INNER_ID, (unsigned)c->uid);
    if ((r = write_file("/proc/self/uid_map", map)) < 0)
        return helper_fail(e, "user namespace", -r, "writing uid_map");
    snprintf(map, sizeof(map), "%d %u 1\n", HELPER_INNER_ID, (unsigned)c->gid);
    if ((r = write_file("/proc/self/gid_map", map)) < 0)
        return helper_fail(e, "user namespace", -r, "writing gid_map");

    static const struct { int flag; const char *name; } ns[] = {
        { CLONE_NEWNS, "mount namespace" },
        { CLONE_NEWPID, "pid namespace" },
        { CLONE_NEWIPC, "ipc namespace" },
        { CLONE_NEWUTS, "uts namespace" },
        { CLONE_NEWCGROUP, "cgroup namespace" },
        { CLONE_NEWNET, "network namespace" },
    };
    for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
        if (ns[i].flag == CLONE_NEWNET && c->share_network)
            continue;
        if (unshare(ns[i].flag) < 0)
            return helper_fail(e, ns[i].name, errno, "unshare");
    }
    return enter_time_namespace(e);
}

#ifdef __SANITIZE_ADDRESS__
/* The init is pid 1 of its namespace: a signal sent from inside reaches it
 * only if it has a handler, so it must have none, not even the ones a
 * sanitizer build installs by default (code in the sandbox could end the
 * sandbox with kill(1, SIGSEGV)). The helper runs with an empty
 * environment, so ASAN_OPTIONS cannot say it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "handle_segv=0:handle_sigbus=0:handle_sigfpe=0:handle_sigill=0:handle_abort=0:"
           "allow_user_segv_handler=1";
}

/* Undefined behaviour in the helper ends it (and so fails the session and
 * the test) instead of scrolling by on a stderr nobody reads. */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
    return "halt_on_error=1:print_stacktrace=1";
}
#endif

int main(void)
{
    int sock = CI_PROTO_FD;
    struct helper_error err = { 0 };
    struct helper_config cfg = { 0 };
    cJSON *msg = NULL;

    /* Nothing but the control socket should be open; make sure. */
    syscall(SYS_close_range, CI_PROTO_FD + 1, ~0u, 0);
    if (fcntl(sock, F_SETFD, FD_CLOEXEC) < 0)
        return 120;

    int r = ci_proto_recv(sock, &msg, NULL, NULL);
    if (r < 0) {
        helper_fail(&err, "protocol", -r, "reading the config");
        goto fail;
    }
    if (parse_config(msg, &cfg, &err) < 0 || prefer_for_oom_kill(&err) < 0 ||
        fit_cpus_to_quota(&cfg, &err) < 0 || become_session_user(&cfg, &err) < 0 ||
        enter_namespaces(&cfg, &err) < 0)
        goto fail;

    pid_t pid = fork();
    if (pid < 0) {
        helper_fail(&err, "pid namespace", errno, "fork of the sandbox init");
        goto fail;
    }
    if (pid == 0)
        helper_run_init(&cfg, sock);

    /* Stage one stays only as the init's parent, so the library can kill the
     * whole sandbox by killing us (the init has PDEATHSIG) and reap us. The
     * library watches the init's own pid to know when the sandbox is gone:
     * the kernel kills the whole pid namespace before the init's exit
     * completes. */
    cJSON *started = cJSON_CreateObject();
    if (started) {
        cJSON_AddStringToObject(started, "op", "started");
        cJSON_AddNumberToObject(started, "init_pid", pid);
        ci_proto_send(sock, started, NULL, 0);
        cJSON_Delete(started);
    }
    close(sock);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return 121;
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);

fail:
    helper_send_error(sock, &err);
    return 1;
}
