/* SPDX-License-Identifier: MIT */
/*
 * What the sandbox learns about the host and the other sessions from /proc:
 * the paths that describe the host or its devices are masked as Docker and
 * runc mask them (an empty file over files, an empty read-only tmpfs over
 * directories; not /dev/null, which a nodev bind would make unreadable),
 * and the ones programs size themselves by are served as the sandbox's own
 * view: /proc/meminfo says the memory limit, /proc/cpuinfo,
 * /proc/stat and /sys/devices/system/cpu/online say the CPUs of the quota,
 * /proc/uptime counts from the sandbox's start, /proc/diskstats and
 * /proc/partitions list no device, the boot id is the sandbox's own.
 *
 * The generated files live in a small tmpfs of the init's, bound read-only
 * over the /proc entries and then detached from every path: only the init
 * keeps a descriptor to it, and rewrites uptime, loadavg and meminfo when an
 * execution starts (helper_procview_refresh). Everything else is a snapshot
 * taken when the sandbox is built.
 */
#include "sandbox/helper/helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#define NEWROOT "/tmp"
/* where the view's tmpfs is mounted while the sandbox is built */
#define STAGE NEWROOT "/run"

/* Files that describe the host, its kernel or its devices: read as empty. */
static const char *const masked_files[] = {
    "/proc/kcore", "/proc/keys", "/proc/key-users", "/proc/timer_list", "/proc/timer_stats",
    "/proc/sched_debug", "/proc/schedstat", "/proc/latency_stats", "/proc/kallsyms",
    "/proc/interrupts", "/proc/softirqs", "/proc/cmdline", "/proc/config.gz",
    "/proc/vmallocinfo", "/proc/slabinfo", "/proc/buddyinfo", "/proc/pagetypeinfo",
    "/proc/zoneinfo", "/proc/iomem", "/proc/ioports", "/proc/modules", "/proc/mtrr",
    "/proc/vmstat", "/proc/locks",
};
/* Directories of host hardware, and the host-wide pressure files (whose
 * writable triggers would let a sandbox poll the host's stalls): shown
 * empty. */
static const char *const masked_dirs[] = { "/proc/acpi", "/proc/asound", "/proc/scsi",
                                           "/proc/pressure" };

/* The generated files: name in the view, where it is bound. */
static const char *const served[][2] = {
    { "meminfo", "/proc/meminfo" },     { "cpuinfo", "/proc/cpuinfo" },
    { "stat", "/proc/stat" },           { "uptime", "/proc/uptime" },
    { "loadavg", "/proc/loadavg" },     { "diskstats", "/proc/diskstats" },
    { "partitions", "/proc/partitions" }, { "swaps", "/proc/swaps" },
    { "boot_id", "/proc/sys/kernel/random/boot_id" },
};

static struct {
    int dirfd;           /* the view's tmpfs, -1 before setup */
    uint64_t mem_total;  /* bytes */
    unsigned cpus;
    struct timespec start; /* CLOCK_MONOTONIC at setup */
} view = { .dirfd = -1 };

/* A growable text buffer; on allocation failure it stays short and
 * `failed` is set. */
struct text {
    char *p;
    size_t len, cap;
    int failed;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->p && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 4096) + (size_t)n;
        char *p = realloc(t->p, cap);
        if (!p) {
            t->failed = 1;
            return;
        }
        t->p = p;
        t->cap = cap;
    }
}

/* Replaces the file's content in place (the bind mounts show this inode).
 * Writable by its owner: the init rewrites it without capabilities; the
 * sandbox, the same uid, sees it only through read-only binds. */
static int put(const char *name, const struct text *t)
{
    if (t->failed)
        return -ENOMEM;
    int fd = openat(view.dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    size_t off = 0;
    while (off < t->len) {
        ssize_t w = write(fd, t->p + off, t->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            return -e;
        }
        off += (size_t)w;
    }
    close(fd);
    return 0;
}

static int put_text(const char *name, const char *s)
{
    struct text t = { (char *)s, strlen(s), strlen(s) + 1, 0 };
    return put(name, &t);
}

/* Reads a whole (small) file; NULL on failure. */
static char *slurp(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        if (len == cap) {
            if (cap >= max)
                break;
            char *p = realloc(buf, cap * 2 + 1);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* "0" or "0-3" */
static void cpu_range(struct text *t, unsigned n)
{
    if (n == 1)
        add(t, "0\n");
    else
        add(t, "0-%u\n", n - 1);
}

/* The host's /proc/cpuinfo cut to the first `cpus` processors, numbered
 * from 0 as one package of that many cores. */
static void make_cpuinfo(struct text *t, const char *host)
{
    static const char *const renumbered[] = { "processor", "core id", "apicid", "initial apicid" };
    static const char *const counted[] = { "siblings", "cpu cores" };
    const char *block = host;
    for (unsigned cpu = 0; cpu < view.cpus; cpu++) {
        const char *end = block ? strstr(block, "\n\n") : NULL;
        const char *stop = end ? end + 1 : block + strlen(block);
        for (const char *line = block; line && line < stop;) {
            const char *nl = memchr(line, '\n', (size_t)(stop - line));
            size_t len = nl ? (size_t)(nl - line) : (size_t)(stop - line);
            const char *colon = memchr(line, ':', len);
            size_t key = colon ? (size_t)(colon - line) : 0;
            while (key > 0 && (line[key - 1] == '\t' || line[key - 1] == ' '))
                key--;
            const char *done = NULL;
            for (size_t i = 0; colon && !done && i < sizeof(renumbered) / sizeof(*renumbered); i++)
                if (key == strlen(renumbered[i]) && !strncmp(line, renumbered[i], key)) {
                    add(t, "%.*s: %u\n", (int)(colon - line), line, cpu);
                    done = line;
                }
            for (size_t i = 0; colon && !done && i < sizeof(counted) / sizeof(*counted); i++)
                if (key == strlen(counted[i]) && !strncmp(line, counted[i], key)) {
                    add(t, "%.*s: %u\n", (int)(colon - line), line, view.cpus);
                    done = line;
                }
            if (key == strlen("physical id") && !strncmp(line, "physical id", key) && colon) {
                add(t, "%.*s: 0\n", (int)(colon - line), line);
                done = line;
            }
            if (!done && len)
                add(t, "%.*s\n", (int)len, line);
            line = nl ? nl + 1 : NULL;
        }
        add(t, "\n");
        /* the next host processor's block, or this one again */
        if (end && end[2])
            block = end + 2;
    }
}

static double since_start(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - view.start.tv_sec) +
           (double)(now.tv_nsec - view.start.tv_nsec) / 1e9;
}

/* Memory the sandbox holds: its processes' resident pages and its tmpfs
 * files (/tmp, /dev/shm). Counted by the init inside the sandbox. */
static uint64_t memory_used(void)
{
    uint64_t used = 0;
    long page = sysconf(_SC_PAGESIZE);
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[300], buf[128];
        snprintf(path, sizeof(path), "/proc/%s/statm", de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        unsigned long long size, resident;
        if (n > 0 && (buf[n] = '\0', sscanf(buf, "%llu %llu", &size, &resident) == 2))
            used += resident * (uint64_t)page;
    }
    if (d)
        closedir(d);
    static const char *const tmpfs[] = { "/tmp", "/dev/shm" };
    for (size_t i = 0; i < sizeof(tmpfs) / sizeof(tmpfs[0]); i++) {
        struct statvfs sv;
        if (statvfs(tmpfs[i], &sv) == 0)
            used += (uint64_t)(sv.f_blocks - sv.f_bfree) * sv.f_frsize;
    }
    return used;
}

static int write_meminfo(uint64_t used)
{
    uint64_t total = view.mem_total >> 10, free_kb = used >= view.mem_total ? 0 :
                                                      (view.mem_total - used) >> 10;
    uint64_t used_kb = total - free_kb;
    struct text t = { 0 };
    add(&t,
        "MemTotal:       %8llu kB\nMemFree:        %8llu kB\nMemAvailable:   %8llu kB\n"
        "Buffers:               0 kB\nCached:                0 kB\nSwapCached:            0 kB\n"
        "Active:         %8llu kB\nInactive:              0 kB\nSwapTotal:             0 kB\n"
        "SwapFree:              0 kB\nDirty:                 0 kB\nWriteback:             0 kB\n"
        "AnonPages:      %8llu kB\nMapped:                0 kB\nShmem:                 0 kB\n"
        "Slab:                  0 kB\nSReclaimable:          0 kB\nSUnreclaim:            0 kB\n"
        "CommitLimit:    %8llu kB\nCommitted_AS:   %8llu kB\nHugePages_Total:       0\n"
        "HugePages_Free:        0\nHugePages_Rsvd:        0\nHugePages_Surp:        0\n"
        "Hugepagesize:       2048 kB\n",
        (unsigned long long)total, (unsigned long long)free_kb, (unsigned long long)free_kb,
        (unsigned long long)used_kb, (unsigned long long)used_kb, (unsigned long long)total,
        (unsigned long long)used_kb);
    int r = put("meminfo", &t);
    free(t.p);
    return r;
}

/* uptime, loadavg and meminfo as of now. */
static int write_dynamic(uint64_t used, unsigned procs, unsigned last_pid)
{
    char buf[128];
    double up = since_start();
    snprintf(buf, sizeof(buf), "%.2f %.2f\n", up, 0.0);
    int r = put_text("uptime", buf);
    snprintf(buf, sizeof(buf), "0.00 0.00 0.00 1/%u %u\n", procs ? procs : 1, last_pid);
    if (r == 0)
        r = put_text("loadavg", buf);
    return r == 0 ? write_meminfo(used) : r;
}

static int write_static(const char *host_cpuinfo)
{
    struct text t = { 0 };
    make_cpuinfo(&t, host_cpuinfo);
    int r = put("cpuinfo", &t);
    t.len = 0;
    add(&t, "cpu  0 0 0 0 0 0 0 0 0 0\n");
    for (unsigned i = 0; i < view.cpus; i++)
        add(&t, "cpu%u 0 0 0 0 0 0 0 0 0 0\n", i);
    add(&t, "intr 0\nctxt 0\nbtime %lld\nprocesses 0\nprocs_running 1\nprocs_blocked 0\n"
            "softirq 0 0 0 0 0 0 0 0 0 0 0\n", (long long)time(NULL));
    if (r == 0)
        r = put("stat", &t);
    free(t.p);
    if (r == 0)
        r = put_text("empty", "");
    if (r == 0)
        r = put_text("diskstats", "");
    if (r == 0)
        r = put_text("partitions", "major minor  #blocks  name\n\n");
    if (r == 0)
        r = put_text("swaps", "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n");
    unsigned char u[16];
    if (r == 0 && getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
        r = -EIO;
    if (r == 0) {
        u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* a version 4 UUID */
        u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
        char id[40];
        snprintf(id, sizeof(id),
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", u[0],
                 u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
                 u[13], u[14], u[15]);
        r = put_text("boot_id", id);
    }
    return r;
}

/* Binds src over target (inside NEWROOT), read-only. A target the kernel
 * does not have is skipped. */
static int bind_ro(const char *src, const char *target, struct helper_error *e)
{
    char path[256];
    snprintf(path, sizeof(path), NEWROOT "%s", target);
    if (access(path, F_OK) < 0)
        return 0;
    if (mount(src, path, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              NULL) < 0)
        return helper_fail(e, "proc", errno, "masking %s", target);
    return 0;
}

/* /sys holds only what tells the number of CPUs (glibc's
 * sysconf(_SC_NPROCESSORS_ONLN/CONF), os.cpu_count()), in the root tmpfs,
 * read-only with the root. */
static int write_sys_cpus(struct helper_error *e)
{
    static const char *const dirs[] = { NEWROOT "/sys", NEWROOT "/sys/devices",
                                         NEWROOT "/sys/devices/system",
                                         NEWROOT "/sys/devices/system/cpu" };
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        if (mkdir(dirs[i], 0755) < 0 && errno != EEXIST)
            return helper_fail(e, "proc", errno, "mkdir %s", dirs[i]);
    struct text t = { 0 };
    cpu_range(&t, view.cpus);
    static const char *const files[] = { "online", "possible", "present" };
    int r = t.failed ? -ENOMEM : 0;
    for (size_t i = 0; r == 0 && i < sizeof(files) / sizeof(files[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), NEWROOT "/sys/devices/system/cpu/%s", files[i]);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
        if (fd < 0)
            r = -errno;
        else if (write(fd, t.p, t.len) != (ssize_t)t.len)
            r = -EIO;
        if (fd >= 0)
            close(fd);
    }
    free(t.p);
    return r < 0 ? helper_fail(e, "proc", -r, "writing /sys/devices/system/cpu") : 0;
}

int helper_procview_setup(const struct helper_config *c, struct helper_error *e)
{
    view.cpus = c->cpus ? c->cpus : 1;
    clock_gettime(CLOCK_MONOTONIC, &view.start);
    /* the new /proc shows the host's memory and processors like any other */
    char *host_cpuinfo = slurp(NEWROOT "/proc/cpuinfo", 64u << 20);
    char *meminfo = slurp(NEWROOT "/proc/meminfo", 1u << 20);
    unsigned long long host_kb = 0;
    if (!host_cpuinfo || !meminfo || sscanf(meminfo, "MemTotal: %llu kB", &host_kb) != 1) {
        free(host_cpuinfo);
        free(meminfo);
        return helper_fail(e, "proc", errno ? errno : EIO, "reading the host's cpuinfo/meminfo");
    }
    free(meminfo);
    view.mem_total = (uint64_t)host_kb << 10;
    if (c->memory_limit && c->memory_limit < view.mem_total)
        view.mem_total = c->memory_limit;

    if (mount("tmpfs", STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0755,size=1m") < 0) {
        free(host_cpuinfo);
        return helper_fail(e, "proc", errno, "tmpfs for the /proc view");
    }
    view.dirfd = open(STAGE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int r = view.dirfd < 0 ? -errno : write_static(host_cpuinfo);
    free(host_cpuinfo);
    if (r == 0)
        r = write_dynamic(0, 1, 1);
    if (r < 0)
        return helper_fail(e, "proc", -r, "writing the /proc view");
    for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
        char src[128];
        snprintf(src, sizeof(src), STAGE "/%s", served[i][0]);
        if (bind_ro(src, served[i][1], e) < 0)
            return -1;
    }
    for (size_t i = 0; i < sizeof(masked_files) / sizeof(masked_files[0]); i++)
        if (bind_ro(STAGE "/empty", masked_files[i], e) < 0)
            return -1;
    for (size_t i = 0; i < sizeof(masked_dirs) / sizeof(masked_dirs[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), NEWROOT "%s", masked_dirs[i]);
        if (access(path, F_OK) < 0)
            continue;
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "mode=0555,size=4k") < 0)
            return helper_fail(e, "proc", errno, "masking %s", masked_dirs[i]);
    }
    if (write_sys_cpus(e) < 0)
        return -1;
    /* only the init's descriptor reaches the view from now on */
    if (umount2(STAGE, MNT_DETACH) < 0)
        return helper_fail(e, "proc", errno, "detaching the /proc view");
    return 0;
}

void helper_procview_refresh(void)
{
    if (view.dirfd < 0)
        return;
    unsigned procs = 0, last = 1;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d)) != NULL) {
        char *end;
        unsigned long pid = strtoul(de->d_name, &end, 10);
        if (*end || pid == 0)
            continue;
        procs++;
        if (pid > last)
            last = (unsigned)pid;
    }
    if (d)
        closedir(d);
    write_dynamic(memory_used(), procs, last);
}
