/* SPDX-License-Identifier: MIT */
#include "sandbox/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/clock.h"

static const char *const v1_names[CG_COUNT] = { "memory", "pids", "cpu", "cpuacct", "freezer" };

static char *read_text(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (cap - len < 2) {
            char *g = realloc(buf, cap * 2);
            if (!g) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = g;
            cap *= 2;
        }
    }
    close(fd);
    if (buf)
        buf[len] = '\0';
    return buf;
}

static int write_at(const char *dir, const char *file, const char *value)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, value, strlen(value));
    int e = n < 0 ? errno : 0;
    close(fd);
    return n < 0 ? -e : 0;
}

static int read_u64_at(const char *dir, const char *file, const char *key, uint64_t *out)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    char *text = read_text(path);
    if (!text)
        return -errno;
    int r = -ENOENT;
    if (!key) {
        r = sscanf(text, "%lu", out) == 1 ? 0 : -EINVAL;
    } else {
        size_t klen = strlen(key);
        for (char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
            if (!strncmp(line, key, klen) && line[klen] == ' ') {
                r = sscanf(line + klen + 1, "%lu", out) == 1 ? 0 : -EINVAL;
                break;
            }
        }
    }
    free(text);
    return r;
}

/* 1 if the comma-separated list holds name. */
static int has_token(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
        if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
            return 1;
    return 0;
}

/* Copies the next line of text at *cursor into buf (without its newline)
 * and advances; 0 at the end. Lines that do not fit are skipped. */
static int next_line(const char **cursor, char *buf, size_t cap)
{
    while (*cursor && **cursor) {
        const char *line = *cursor;
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        *cursor = end ? end + 1 : NULL;
        if (len < cap) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            return 1;
        }
    }
    return 0;
}

/* Finds, in /proc/self/mountinfo text, the mount point of a cgroup
 * hierarchy: v2 when controller is NULL, else the v1 mount whose super
 * options name it. Stores the mount's root in root. */
static int find_mount(const char *mountinfo, const char *controller, char *mnt, size_t mntcap,
                      char *root, size_t rootcap)
{
    const char *cursor = mountinfo;
    char buf[1024];
    while (next_line(&cursor, buf, sizeof(buf))) {
        char r[512], m[512], fstype[64], opts[512];
        const char *sep = strstr(buf, " - ");
        if (!sep || sscanf(buf, "%*s %*s %*s %511s %511s", r, m) != 2 ||
            sscanf(sep + 3, "%63s %*s %511s", fstype, opts) != 2)
            continue;
        int match = 0;
        if (!controller) {
            match = !strcmp(fstype, "cgroup2");
        } else if (!strcmp(fstype, "cgroup")) {
            match = has_token(opts, controller);
        }
        if (match) {
            snprintf(mnt, mntcap, "%s", m);
            snprintf(root, rootcap, "%s", r);
            return 0;
        }
    }
    return -ENOENT;
}

/* The calling process's cgroup path in a hierarchy, from /proc/self/cgroup
 * text: v2 ("0::/path") when controller is NULL. */
static int own_path(const char *self_cgroup, const char *controller, char *out, size_t cap)
{
    const char *cursor = self_cgroup;
    char buf[1024];
    while (next_line(&cursor, buf, sizeof(buf))) {
        char *c1 = strchr(buf, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c1 = '\0';
        *c2 = '\0';
        const char *ctrls = c1 + 1;
        int match = 0;
        if (!controller) {
            match = !strcmp(buf, "0") && !*ctrls;
        } else {
            match = has_token(ctrls, controller);
        }
        if (match) {
            snprintf(out, cap, "%s", c2 + 1);
            return 0;
        }
    }
    return -ENOENT;
}

/* mount point + (own path below the mount's root) */
static int hierarchy_dir(const char *mountinfo, const char *self_cgroup, const char *controller,
                         char *out, size_t cap)
{
    char mnt[512], root[512], path[1024];
    if (find_mount(mountinfo, controller, mnt, sizeof(mnt), root, sizeof(root)) < 0 ||
        own_path(self_cgroup, controller, path, sizeof(path)) < 0)
        return -ENOENT;
    const char *rel = path;
    size_t rlen = strlen(root);
    if (strcmp(root, "/") && !strncmp(path, root, rlen))
        rel = path + rlen;
    if (!strcmp(rel, "/"))
        rel = "";
    int n = snprintf(out, cap, "%s%s", mnt, rel);
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int make_dir(const char *path)
{
    return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

static int setup_v2(struct ci_cgroup *cg, const struct ci_sandbox_params *cfg, const char *id,
                    const char *mountinfo, const char *self_cgroup, char *err, size_t errlen)
{
    char base[1024];
    if (cfg->cgroup_parent)
        snprintf(base, sizeof(base), "%s", cfg->cgroup_parent);
    else if (hierarchy_dir(mountinfo, self_cgroup, NULL, base, sizeof(base)) < 0) {
        snprintf(err, errlen, "cgroup v2: no cgroup2 mount or no own cgroup");
        return CI_ELIMIT;
    }
    char path[1100];
    snprintf(path, sizeof(path), "%s/cgroup.controllers", base);
    char *ctrls = read_text(path);
    if (!ctrls) { /* e.g. EMFILE: not a missing controller */
        snprintf(err, errlen, "cgroup v2: cannot read %s: %s", path, strerror(errno));
        return CI_ELIMIT;
    }
    int have = strstr(ctrls, "memory") && strstr(ctrls, "pids") && strstr(ctrls, "cpu");
    free(ctrls);
    if (!have) {
        snprintf(err, errlen, "cgroup v2: %s lacks the memory, pids or cpu controller", base);
        return CI_ELIMIT;
    }
    int r = write_at(base, "cgroup.subtree_control", "+memory +pids +cpu");
    if (r == -EBUSY) { /* v2's rule: no processes in a cgroup that gives children controllers */
        snprintf(err, errlen, "cgroup v2: cannot enable controllers in %s: it holds processes "
                 "(a process's own cgroup usually does); set the cgroup parent to an empty "
                 "delegated directory (ci_config_set_cgroup_parent(); codeinterp "
                 "--cgroup-parent DIR; cgroup_parent= in Python): %s", base, strerror(-r));
        return CI_ELIMIT;
    }
    if (r < 0) {
        snprintf(err, errlen, "cgroup v2: cannot enable controllers in %s (not delegated?): %s",
                 base, strerror(-r));
        return CI_ELIMIT;
    }
    snprintf(path, sizeof(path), "%s/codeinterp-%s", base, id);
    if ((r = make_dir(path)) < 0) {
        snprintf(err, errlen, "cgroup v2: mkdir %s: %s", path, strerror(-r));
        return CI_ELIMIT;
    }
    if (!(cg->dir[0] = strdup(path)))
        return CI_ENOMEM;
    cg->mode = CI_CGROUP_V2;
    char v[64];
    snprintf(v, sizeof(v), "%lu", (unsigned long)cfg->memory_limit);
    if ((r = write_at(path, "memory.max", v)) < 0) {
        snprintf(err, errlen, "cgroup v2: memory.max: %s", strerror(-r));
        return CI_ELIMIT;
    }
    write_at(path, "memory.swap.max", "0"); /* absent without swap accounting */
    snprintf(v, sizeof(v), "%u", cfg->max_processes);
    if ((r = write_at(path, "pids.max", v)) < 0) {
        snprintf(err, errlen, "cgroup v2: pids.max: %s", strerror(-r));
        return CI_ELIMIT;
    }
    snprintf(v, sizeof(v), "%lu 100000", (unsigned long)cfg->cpu_millis * 100);
    if ((r = write_at(path, "cpu.max", v)) < 0) {
        snprintf(err, errlen, "cgroup v2: cpu.max: %s", strerror(-r));
        return CI_ELIMIT;
    }
    return CI_OK;
}

static int setup_v1(struct ci_cgroup *cg, const struct ci_sandbox_params *cfg, const char *id,
                    const char *mountinfo, const char *self_cgroup, char *err, size_t errlen)
{
    for (int c = 0; c < CG_COUNT; c++) {
        char dir[1024], path[1200];
        if (hierarchy_dir(mountinfo, self_cgroup, v1_names[c], dir, sizeof(dir)) < 0) {
            snprintf(err, errlen, "cgroup v1: the %s controller is not mounted", v1_names[c]);
            return CI_ELIMIT;
        }
        if (cfg->cgroup_parent)
            snprintf(dir + strlen(dir), sizeof(dir) - strlen(dir), "/%s", cfg->cgroup_parent);
        snprintf(path, sizeof(path), "%s/codeinterp", dir);
        int r = make_dir(path);
        if (r == 0) {
            snprintf(path, sizeof(path), "%s/codeinterp/%s", dir, id);
            r = make_dir(path);
        }
        if (r < 0) {
            snprintf(err, errlen, "cgroup v1: cannot create %s: %s", path, strerror(-r));
            return CI_ELIMIT;
        }
        if (!(cg->dir[c] = strdup(path)))
            return CI_ENOMEM;
    }
    cg->mode = CI_CGROUP_V1;
    char v[64];
    int r;
    snprintf(v, sizeof(v), "%lu", (unsigned long)cfg->memory_limit);
    if ((r = write_at(cg->dir[CG_MEMORY], "memory.limit_in_bytes", v)) < 0) {
        snprintf(err, errlen, "cgroup v1: memory.limit_in_bytes: %s", strerror(-r));
        return CI_ELIMIT;
    }
    /* memory+swap equal to memory: no swap. Absent without swap accounting. */
    write_at(cg->dir[CG_MEMORY], "memory.memsw.limit_in_bytes", v);
    snprintf(v, sizeof(v), "%u", cfg->max_processes);
    if ((r = write_at(cg->dir[CG_PIDS], "pids.max", v)) < 0) {
        snprintf(err, errlen, "cgroup v1: pids.max: %s", strerror(-r));
        return CI_ELIMIT;
    }
    snprintf(v, sizeof(v), "%lu", (unsigned long)cfg->cpu_millis * 100);
    if ((r = write_at(cg->dir[CG_CPU], "cpu.cfs_period_us", "100000")) < 0 ||
        (r = write_at(cg->dir[CG_CPU], "cpu.cfs_quota_us", v)) < 0) {
        snprintf(err, errlen, "cgroup v1: cpu quota: %s", strerror(-r));
        return CI_ELIMIT;
    }
    return CI_OK;
}

int ci_cgroup_create(struct ci_cgroup *cg, const struct ci_sandbox_params *cfg, const char *id,
                     const char *self_cgroup, const char *mountinfo, char *err, size_t errlen)
{
    memset(cg, 0, sizeof(*cg));
    cg->mode = CI_CGROUP_NONE;
    if (cfg->cgroup_mode == CI_CGROUP_NONE)
        return CI_OK;
    char *own_sc = NULL, *own_mi = NULL;
    int read_errno = 0;
    if (!self_cgroup && !(self_cgroup = own_sc = read_text("/proc/self/cgroup")))
        read_errno = errno;
    if (self_cgroup && !mountinfo && !(mountinfo = own_mi = read_text("/proc/self/mountinfo")))
        read_errno = errno;
    int r;
    if (!self_cgroup || !mountinfo) {
        snprintf(err, errlen, "cgroups: cannot read /proc/self/%s: %s",
                 self_cgroup ? "mountinfo" : "cgroup", strerror(read_errno));
        r = CI_ELIMIT;
        goto out;
    }
    char err2[512] = "";
    if (cfg->cgroup_mode == CI_CGROUP_V2) {
        r = setup_v2(cg, cfg, id, mountinfo, self_cgroup, err, errlen);
    } else if (cfg->cgroup_mode == CI_CGROUP_V1) {
        r = setup_v1(cg, cfg, id, mountinfo, self_cgroup, err, errlen);
    } else {
        r = setup_v2(cg, cfg, id, mountinfo, self_cgroup, err2, sizeof(err2));
        if (r < 0) {
            ci_cgroup_destroy(cg);
            r = setup_v1(cg, cfg, id, mountinfo, self_cgroup, err, errlen);
            if (r < 0) {
                size_t l = strlen(err);
                snprintf(err + l, errlen - l, "; %s (to accept rlimit-only limits: "
                         "ci_config_set_cgroup_mode(CI_CGROUP_NONE); codeinterp --cgroup none; "
                         "cgroup_mode=\"none\" in Python)", err2);
            }
        }
    }
out:
    if (r < 0)
        ci_cgroup_destroy(cg);
    free(own_sc);
    free(own_mi);
    return r;
}

int ci_cgroup_attach(struct ci_cgroup *cg, pid_t pid, char *err, size_t errlen)
{
    char v[32];
    snprintf(v, sizeof(v), "%d", (int)pid);
    for (int c = 0; c < CG_COUNT; c++) {
        if (!cg->dir[c])
            continue;
        int r = write_at(cg->dir[c], "cgroup.procs", v);
        if (r < 0) {
            snprintf(err, errlen, "cgroups: moving the sandbox into %s: %s", cg->dir[c], strerror(-r));
            return CI_ELIMIT;
        }
    }
    return CI_OK;
}

int ci_cgroup_usage(const struct ci_cgroup *cg, struct ci_cgroup_usage *u)
{
    memset(u, 0, sizeof(*u));
    if (cg->mode == CI_CGROUP_V2) {
        uint64_t usec = 0;
        int r = read_u64_at(cg->dir[0], "cpu.stat", "usage_usec", &usec);
        u->cpu_ns = usec * 1000;
        read_u64_at(cg->dir[0], "memory.peak", NULL, &u->peak_bytes);
        read_u64_at(cg->dir[0], "memory.events", "oom_kill", &u->oom_kills);
        return r < 0 ? CI_ELIMIT : CI_OK;
    }
    if (cg->mode == CI_CGROUP_V1) {
        int r = read_u64_at(cg->dir[CG_CPUACCT], "cpuacct.usage", NULL, &u->cpu_ns);
        read_u64_at(cg->dir[CG_MEMORY], "memory.max_usage_in_bytes", NULL, &u->peak_bytes);
        read_u64_at(cg->dir[CG_MEMORY], "memory.oom_control", "oom_kill", &u->oom_kills);
        return r < 0 ? CI_ELIMIT : CI_OK;
    }
    return CI_EUNSUPPORTED;
}

int ci_cgroup_reset_peak(struct ci_cgroup *cg)
{
    if (cg->mode == CI_CGROUP_V1)
        return write_at(cg->dir[CG_MEMORY], "memory.max_usage_in_bytes", "0") == 0;
    /* v2's memory.peak resets only for readers of the same open file
     * (Linux 6.12+); we read it fresh each time, so the peak is the
     * session's. */
    return 0;
}

static int kill_listed(const char *dir)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
    char *text = read_text(path);
    int n = 0;
    for (char *p = text; p && *p;) {
        char *end;
        long pid = strtol(p, &end, 10);
        if (end == p)
            break;
        if (pid > 0 && kill((pid_t)pid, SIGKILL) == 0)
            n++;
        p = end;
        while (*p == '\n')
            p++;
    }
    free(text);
    return n;
}

void ci_cgroup_kill(struct ci_cgroup *cg)
{
    if (cg->mode == CI_CGROUP_V2) {
        if (write_at(cg->dir[0], "cgroup.kill", "1") < 0)
            kill_listed(cg->dir[0]);
    } else if (cg->mode == CI_CGROUP_V1 && cg->dir[CG_FREEZER]) {
        /* Frozen processes cannot fork while we kill them one by one. */
        write_at(cg->dir[CG_FREEZER], "freezer.state", "FROZEN");
        kill_listed(cg->dir[CG_FREEZER]);
        write_at(cg->dir[CG_FREEZER], "freezer.state", "THAWED");
    }
}

void ci_cgroup_destroy(struct ci_cgroup *cg)
{
    ci_cgroup_kill(cg);
    for (int c = 0; c < CG_COUNT; c++) {
        if (!cg->dir[c])
            continue;
        int dup = 0;
        for (int k = 0; k < c; k++)
            if (cg->dir[k] && !strcmp(cg->dir[k], cg->dir[c]))
                dup = 1;
        /* Killed processes leave the cgroup asynchronously. */
        uint64_t deadline = ci_now_ms() + 2000;
        while (!dup && rmdir(cg->dir[c]) < 0 && errno == EBUSY && ci_now_ms() < deadline)
            usleep(5000);
    }
    for (int c = 0; c < CG_COUNT; c++) {
        free(cg->dir[c]);
        cg->dir[c] = NULL;
    }
    cg->mode = CI_CGROUP_NONE;
}
