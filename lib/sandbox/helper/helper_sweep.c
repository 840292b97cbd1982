/* SPDX-License-Identifier: MIT */
/*
 * The leftovers of an execution, seen from the sandbox's init: a mark of
 * the processes alive when the execution starts, and a sweep at its end
 * that kills every process started since (but the live runners). The init
 * is pid 1 of the sandbox's pid namespace and /proc is that namespace's,
 * so /proc lists exactly the sandbox's processes.
 */
#include "sandbox/helper/helper.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A process as the sweep knows it: a pid alone could have been reused. */
struct proc_id {
    pid_t pid;
    unsigned long long start; /* clock ticks after boot */
};

static struct proc_id *marks; /* sorted, while `marked` */
static size_t mark_count;
static size_t mark_cap;
static int marked;

static int cmp_id(const void *a, const void *b)
{
    const struct proc_id *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

static int contains(const struct proc_id *set, size_t n, struct proc_id id)
{
    return n && bsearch(&id, set, n, sizeof(*set), cmp_id) != NULL;
}

/* The state (field 3) and start time (field 22) of /proc/<name>/stat. 0,
 * -ENOENT when the process is gone, or -errno. */
static int read_stat(int procfd, const char *name, char *state, unsigned long long *start)
{
    char path[64];
    snprintf(path, sizeof(path), "%s/stat", name);
    int fd = openat(procfd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT || errno == ESRCH ? -ENOENT : -errno;
    /* fields 1..22 take well under 1 KiB whatever the command's name */
    char buf[1024];
    ssize_t n;
    do {
        n = read(fd, buf, sizeof(buf) - 1);
    } while (n < 0 && errno == EINTR);
    int e = errno;
    close(fd);
    if (n < 0)
        return e == ESRCH ? -ENOENT : -e;
    if (n == 0)
        return -ENOENT; /* an exiting process may read as empty */
    buf[n] = '\0';
    /* the name (field 2) may hold spaces and parentheses: the fields go on
     * after its last ')' */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ' || !p[2])
        return -EPROTO;
    p += 2;
    *state = *p;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -EPROTO;
        p++;
    }
    char *end;
    errno = 0;
    *start = strtoull(p, &end, 10);
    return end == p || errno ? -EPROTO : 0;
}

/* Calls fn for every live process of the sandbox but the init (zombies
 * are dead already and cannot be killed). A process whose stat cannot be
 * read, other than because it is gone, is passed with err set. 0, what fn
 * returned when it stopped the walk (non-zero), or -errno of /proc. */
typedef int (*proc_fn)(struct proc_id id, int err, void *arg);

static int walk_procs(proc_fn fn, void *arg)
{
    DIR *d = opendir("/proc");
    if (!d)
        return -errno;
    pid_t self = getpid();
    int r = 0;
    struct dirent *e;
    while (!r && (errno = 0, e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0 || pid == self)
            continue;
        char state = 0;
        struct proc_id id = { (pid_t)pid, 0 };
        int s = read_stat(dirfd(d), e->d_name, &state, &id.start);
        if (s == -ENOENT || state == 'Z' || state == 'X')
            continue;
        r = fn(id, s, arg);
    }
    if (!r && errno)
        r = -errno;
    closedir(d);
    return r;
}

static int mark_one(struct proc_id id, int err, void *arg)
{
    (void)arg;
    if (err)
        return err; /* a process we cannot tell apart must not be swept later */
    if (mark_count == mark_cap)
        return -E2BIG;
    marks[mark_count++] = id;
    return 0;
}

long helper_mark(size_t cap)
{
    marked = 0;
    mark_count = 0;
    if (cap > HELPER_MAX_MARKS)
        cap = HELPER_MAX_MARKS;
    if (cap != mark_cap) {
        free(marks);
        marks = cap ? malloc(cap * sizeof(*marks)) : NULL;
        mark_cap = marks ? cap : 0;
        if (cap && !marks)
            return -ENOMEM;
    }
    int r = walk_procs(mark_one, NULL);
    if (r < 0)
        return r;
    qsort(marks, mark_count, sizeof(*marks), cmp_id);
    marked = 1;
    return (long)mark_count;
}

struct sweep {
    const pid_t *keep;
    size_t nkeep;
    struct proc_id *killed; /* sorted up to `sorted`, this pass's after */
    size_t count, sorted, cap;
    unsigned total;
    unsigned fresh; /* killed for the first time in this pass */
    int err;        /* first process whose stat could not be read */
};

static int sweep_one(struct proc_id id, int err, void *arg)
{
    struct sweep *s = arg;
    if (err) {
        /* unknown start time: it may be older than the mark, so spare it */
        if (!s->err)
            s->err = err;
        return 0;
    }
    for (size_t i = 0; i < s->nkeep; i++)
        if (s->keep[i] == id.pid)
            return 0;
    if (contains(marks, mark_count, id))
        return 0;
    kill(id.pid, SIGKILL);
    /* A process killed in an earlier pass may still be exiting: not new.
     * /proc lists a pid once per pass, so the sorted part is enough. */
    if (contains(s->killed, s->sorted, id))
        return 0;
    s->fresh++;
    s->total++;
    if (s->count < s->cap)
        s->killed[s->count++] = id;
    return 0;
}

int helper_sweep(const pid_t *keep, size_t nkeep, unsigned *killed)
{
    *killed = 0;
    if (!marked)
        return -ENOENT;
    marked = 0;
    /* at most as many processes as a mark may hold can be alive at once;
     * past that each one simply counts as new, and the passes are bounded */
    struct sweep s = { .keep = keep, .nkeep = nkeep, .cap = mark_cap ? mark_cap : 1 };
    s.killed = malloc(s.cap * sizeof(*s.killed));
    if (!s.killed)
        return -ENOMEM;
    int r = 0;
    for (int pass = 0; pass < HELPER_SWEEP_PASSES; pass++) {
        s.fresh = 0;
        r = walk_procs(sweep_one, &s);
        qsort(s.killed, s.count, sizeof(*s.killed), cmp_id);
        s.sorted = s.count;
        /* Once a process has SIGKILL pending its fork fails, so a pass
         * that kills nobody new leaves nobody to make new processes but
         * the spared ones. */
        if (r < 0 || !s.fresh)
            break;
    }
    free(s.killed);
    *killed = s.total;
    return r < 0 ? r : s.err;
}
