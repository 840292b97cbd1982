/* SPDX-License-Identifier: MIT */
/*
 * The sandbox's filesystem: a tmpfs root holding read-only, nosuid, nodev
 * binds of the host's system directories, the runtime environment and the
 * kernels; the session's /workspace and /output read-write and /data
 * read-only (one capped filesystem on the host); a size-limited /tmp; a
 * minimal /dev; a fresh /proc. Then pivot_root into it and detach the host's
 * tree. Every host source is opened (O_PATH) before anything is mounted over
 * it and bound through /proc/self/fd, so no mount we make can change what a
 * later path lookup finds.
 */
#include "sandbox/helper/helper.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NEWROOT "/tmp"

/* Host system paths shown read-only at the same place. Missing ones are
 * skipped. /etc is not bound whole: only what programs need to run. */
static const char *const system_dirs[] = { "/usr" };
static const char *const top_links[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
static const char *const etc_entries[] = {
    "/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/ssl",
    "/etc/ca-certificates", "/etc/fonts", "/etc/localtime", "/etc/timezone",
    "/etc/alternatives", "/etc/mime.types", "/etc/nsswitch.conf", "/etc/host.conf",
    "/etc/protocols", "/etc/services", "/etc/gai.conf", "/etc/mailcap",
};
static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom" };

static int path_in_root(char *buf, size_t cap, const char *path)
{
    int n = snprintf(buf, cap, NEWROOT "%s", path);
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

static int mkdir_p(const char *path, mode_t mode)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) < 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(tmp, mode) < 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int make_mountpoint(const char *target, int is_dir)
{
    char parent[4096];
    snprintf(parent, sizeof(parent), "%s", target);
    char *slash = strrchr(parent, '/');
    if (slash && slash != parent) {
        *slash = '\0';
        int r = mkdir_p(parent, 0755);
        if (r < 0)
            return r;
    }
    if (is_dir)
        return mkdir(target, 0755) < 0 && errno != EEXIST ? -errno : 0;
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    close(fd);
    return 0;
}

/* Flags a bind inherits from its source and may not drop inside a user
 * namespace (the kernel locks them); a read-only remount must keep them. */
static unsigned long locked_flags(const char *target)
{
    struct statvfs sv;
    unsigned long f = 0;
    if (statvfs(target, &sv) < 0)
        return 0;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
    if (sv.f_flag & ST_NOATIME) f |= MS_NOATIME;
    if (sv.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
    if (sv.f_flag & ST_RELATIME) f |= MS_RELATIME;
    return f;
}

/* Binds the already-opened source fd at target (inside NEWROOT). */
static int bind_fd(int srcfd, const char *target, int writable, struct helper_error *e)
{
    char src[64];
    snprintf(src, sizeof(src), "/proc/self/fd/%d", srcfd);
    if (mount(src, target, NULL, MS_BIND | MS_REC, NULL) < 0)
        return helper_fail(e, "mounts", errno, "bind %s", target);
    unsigned long fl = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | locked_flags(target);
    if (!writable)
        fl |= MS_RDONLY;
    if (mount(NULL, target, NULL, fl, NULL) < 0)
        return helper_fail(e, "mounts", errno, "remount %s", target);
    return 0;
}

struct bind_plan {
    const char *inside;  /* path inside the sandbox */
    int fd;              /* O_PATH of the host source */
    int is_dir;
    int writable;
};

#define MAX_BINDS 48

static int plan_add(struct bind_plan *p, size_t *n, const char *host, const char *inside,
                    int writable, int required, struct helper_error *e)
{
    if (*n >= MAX_BINDS)
        return helper_fail(e, "mounts", E2BIG, "too many binds");
    int fd = open(host, O_PATH | O_CLOEXEC);
    if (fd < 0) {
        if (!required && errno == ENOENT)
            return 0;
        return helper_fail(e, "mounts", errno, "open %s", host);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        close(fd);
        return helper_fail(e, "mounts", errno, "stat %s", host);
    }
    p[*n] = (struct bind_plan){ inside, fd, S_ISDIR(st.st_mode), writable };
    (*n)++;
    return 0;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    close(fd);
    return w == (ssize_t)len ? 0 : -EIO;
}

static int write_generated_etc(const struct helper_config *c, struct helper_error *e)
{
    char text[512];
    snprintf(text, sizeof(text),
             "root:x:0:0:root:/root:/usr/sbin/nologin\n"
             "sandbox:x:%d:%d:sandbox:/workspace:/bin/sh\n"
             "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
             HELPER_INNER_ID, HELPER_INNER_ID);
    if (write_text(NEWROOT "/etc/passwd", text) < 0)
        return helper_fail(e, "mounts", errno, "writing /etc/passwd");
    snprintf(text, sizeof(text), "root:x:0:\nsandbox:x:%d:\nnogroup:x:65534:\n", HELPER_INNER_ID);
    if (write_text(NEWROOT "/etc/group", text) < 0)
        return helper_fail(e, "mounts", errno, "writing /etc/group");
    if (write_text(NEWROOT "/etc/hosts", "127.0.0.1\tlocalhost sandbox\n::1\tlocalhost ip6-localhost\n") < 0 ||
        write_text(NEWROOT "/etc/hostname", "sandbox\n") < 0)
        return helper_fail(e, "mounts", errno, "writing /etc/hosts");
    (void)c;
    return 0;
}

static int setup_dev(const int *devfds, struct helper_error *e)
{
    if (mount("tmpfs", NEWROOT "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
        return helper_fail(e, "mounts", errno, "tmpfs on /dev");
    for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
        char target[128];
        snprintf(target, sizeof(target), NEWROOT "/dev/%s", dev_nodes[i]);
        if (make_mountpoint(target, 0) < 0)
            return helper_fail(e, "mounts", errno, "creating %s", target);
        char src[64];
        snprintf(src, sizeof(src), "/proc/self/fd/%d", devfds[i]);
        /* device nodes need the source's dev semantics: no MS_NODEV here */
        if (mount(src, target, NULL, MS_BIND, NULL) < 0)
            return helper_fail(e, "mounts", errno, "bind /dev/%s", dev_nodes[i]);
    }
    static const char *const links[][2] = {
        { "/proc/self/fd", NEWROOT "/dev/fd" },
        { "/proc/self/fd/0", NEWROOT "/dev/stdin" },
        { "/proc/self/fd/1", NEWROOT "/dev/stdout" },
        { "/proc/self/fd/2", NEWROOT "/dev/stderr" },
    };
    for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
        if (symlink(links[i][0], links[i][1]) < 0)
            return helper_fail(e, "mounts", errno, "symlink %s", links[i][1]);
    if (mkdir(NEWROOT "/dev/shm", 01777) < 0)
        return helper_fail(e, "mounts", errno, "mkdir /dev/shm");
    if (mount("tmpfs", NEWROOT "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") < 0)
        return helper_fail(e, "mounts", errno, "tmpfs on /dev/shm");
    /* Nothing may be added to /dev by the sandbox (its tmpfs belongs to
     * the sandbox's uid); /dev/shm stays writable. */
    if (mount(NULL, NEWROOT "/dev", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k") < 0)
        return helper_fail(e, "mounts", errno, "read-only /dev");
    return 0;
}

/* /proc paths that give a view of the host or a lever on the kernel: made
 * read-only (they stay readable where the kernel allows). */
static const char *const proc_readonly[] = {
    "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs",
};

/* Runs before the old root is detached: the kernel lets a user namespace
 * mount proc only while a fully visible proc mount exists in its mount
 * namespace. */
static int setup_proc(struct helper_error *e)
{
    if (mount("proc", NEWROOT "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return helper_fail(e, "proc", errno, "mount /proc");
    for (size_t i = 0; i < sizeof(proc_readonly) / sizeof(proc_readonly[0]); i++) {
        char p[128];
        path_in_root(p, sizeof(p), proc_readonly[i]);
        if (access(p, F_OK) < 0)
            continue;
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0 ||
            mount(NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            return helper_fail(e, "proc", errno, "read-only %s", proc_readonly[i]);
    }
    return 0;
}

int helper_setup_filesystem(const struct helper_config *c, struct helper_error *e)
{
    struct bind_plan plan[MAX_BINDS];
    size_t n = 0;
    int devfds[sizeof(dev_nodes) / sizeof(dev_nodes[0])];
    char path[4096];

    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return helper_fail(e, "mounts", errno, "making / private");

    /* Open every host source before the first mount. */
    for (size_t i = 0; i < sizeof(system_dirs) / sizeof(system_dirs[0]); i++)
        if (plan_add(plan, &n, system_dirs[i], system_dirs[i], 0, 1, e) < 0)
            return -1;
    for (size_t i = 0; i < sizeof(etc_entries) / sizeof(etc_entries[0]); i++)
        if (plan_add(plan, &n, etc_entries[i], etc_entries[i], 0, 0, e) < 0)
            return -1;
    for (size_t i = 0; i < c->bind_count; i++)
        if (plan_add(plan, &n, c->binds[i].source, c->binds[i].target, 0, c->binds[i].required, e) < 0)
            return -1;
    if (plan_add(plan, &n, c->workspace, "/workspace", 1, 1, e) < 0 ||
        plan_add(plan, &n, c->output, "/output", 1, 1, e) < 0 ||
        plan_add(plan, &n, c->data, "/data", 0, 1, e) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++) {
        snprintf(path, sizeof(path), "/dev/%s", dev_nodes[i]);
        if ((devfds[i] = open(path, O_PATH | O_CLOEXEC)) < 0)
            return helper_fail(e, "mounts", errno, "open %s", path);
    }
    /* Top-level compatibility links of a merged-/usr system (/bin -> usr/bin):
     * recreated as links; a real directory is bound instead. */
    char link_targets[sizeof(top_links) / sizeof(top_links[0])][256];
    for (size_t i = 0; i < sizeof(top_links) / sizeof(top_links[0]); i++) {
        link_targets[i][0] = '\0';
        ssize_t l = readlink(top_links[i], link_targets[i], sizeof(link_targets[i]) - 1);
        if (l >= 0)
            link_targets[i][l] = '\0';
        else if (errno == EINVAL && plan_add(plan, &n, top_links[i], top_links[i], 0, 0, e) < 0)
            return -1;
    }

    if (mount("tmpfs", NEWROOT, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=16m") < 0)
        return helper_fail(e, "mounts", errno, "tmpfs for the new root");
    static const char *const dirs[] = { "/etc", "/opt/codeinterp", "/tmp", "/dev", "/proc",
                                        "/oldroot", "/var", "/run", "/home" };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        path_in_root(path, sizeof(path), dirs[i]);
        if (mkdir_p(path, 0755) < 0)
            return helper_fail(e, "mounts", errno, "mkdir %s", path);
    }
    for (size_t i = 0; i < sizeof(top_links) / sizeof(top_links[0]); i++) {
        if (!link_targets[i][0])
            continue;
        path_in_root(path, sizeof(path), top_links[i]);
        if (symlink(link_targets[i], path) < 0)
            return helper_fail(e, "mounts", errno, "symlink %s", path);
    }
    if (symlink("/tmp", NEWROOT "/var/tmp") < 0)
        return helper_fail(e, "mounts", errno, "symlink /var/tmp");
    if (write_generated_etc(c, e) < 0)
        return -1;

    for (size_t i = 0; i < n; i++) {
        if (path_in_root(path, sizeof(path), plan[i].inside) < 0)
            return helper_fail(e, "mounts", ENAMETOOLONG, "%s", plan[i].inside);
        if (make_mountpoint(path, plan[i].is_dir) < 0)
            return helper_fail(e, "mounts", errno, "mountpoint %s", path);
        if (bind_fd(plan[i].fd, path, plan[i].writable, e) < 0)
            return -1;
        close(plan[i].fd);
    }

    char opts[64];
    snprintf(opts, sizeof(opts), "mode=1777,size=%llu", (unsigned long long)c->tmp_size);
    if (mount("tmpfs", NEWROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, opts) < 0)
        return helper_fail(e, "mounts", errno, "tmpfs on /tmp");
    if (setup_dev(devfds, e) < 0)
        return -1;
    for (size_t i = 0; i < sizeof(devfds) / sizeof(devfds[0]); i++)
        close(devfds[i]);

    if (setup_proc(e) < 0 || helper_procview_setup(c, e) < 0)
        return -1;
    if (chdir(NEWROOT) < 0)
        return helper_fail(e, "pivot_root", errno, "chdir to the new root");
    if (syscall(SYS_pivot_root, ".", "oldroot") < 0)
        return helper_fail(e, "pivot_root", errno, "pivot_root");
    if (chdir("/") < 0)
        return helper_fail(e, "pivot_root", errno, "chdir /");
    if (umount2("/oldroot", MNT_DETACH) < 0)
        return helper_fail(e, "pivot_root", errno, "detaching the old root");
    if (rmdir("/oldroot") < 0)
        return helper_fail(e, "pivot_root", errno, "rmdir /oldroot");
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        return helper_fail(e, "mounts", errno, "making the root read-only");
    if (chdir("/workspace") < 0)
        return helper_fail(e, "mounts", errno, "chdir /workspace");
    return 0;
}
