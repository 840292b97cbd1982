/* SPDX-License-Identifier: MIT */
#include "test_leaks.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_common.h"

static int count_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

int tl_count_fds(void)
{
    return count_dir("/proc/self/fd") - 1; /* less opendir's own */
}

/* Reads a small file into buf (NUL-terminated); bytes read or -1. */
static ssize_t read_small(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* ppid and comm of a process from /proc/<pid>/stat; -1 if gone. */
static pid_t stat_of(pid_t pid, char *comm, size_t cap)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof buf) <= 0)
        return -1;
    char *open_paren = strchr(buf, '('), *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren)
        return -1;
    if (comm)
        snprintf(comm, cap, "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
    char state;
    int ppid;
    if (sscanf(close_paren + 2, "%c %d", &state, &ppid) != 2)
        return -1;
    return ppid;
}

/* Calls fn for every process whose parent is `parent`; stops when fn
 * returns non-zero and returns that pid. */
static pid_t each_child(pid_t parent, int (*fn)(pid_t, const char *, void *), void *data)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    struct dirent *e;
    pid_t found = 0;
    while (!found && (e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 0)
            continue;
        char comm[64];
        if (stat_of((pid_t)pid, comm, sizeof comm) == parent && fn((pid_t)pid, comm, data))
            found = (pid_t)pid;
    }
    closedir(d);
    return found;
}

static int count_one(pid_t pid, const char *comm, void *data)
{
    (void)pid, (void)comm;
    ++*(int *)data;
    return 0;
}

int tl_count_children(void)
{
    int n = 0;
    each_child(getpid(), count_one, &n);
    return n;
}

long tl_rss_kib(void)
{
    char buf[8192];
    if (read_small("/proc/self/status", buf, sizeof buf) <= 0)
        return -1;
    const char *at = strstr(buf, "VmRSS:");
    return at ? strtol(at + 6, NULL, 10) : -1;
}

struct helper_list {
    pid_t *pids;
    size_t max, n;
};

static int add_helper(pid_t pid, const char *comm, void *data)
{
    struct helper_list *l = data;
    if (strncmp(comm, "codeinterp-sand", 15) == 0) {
        if (l->n < l->max)
            l->pids[l->n] = pid;
        l->n++;
    }
    return 0;
}

size_t tl_helpers(pid_t *pids, size_t max)
{
    struct helper_list l = { pids, max, 0 };
    each_child(getpid(), add_helper, &l);
    return l.n;
}

static int cmdline_has(pid_t pid, const char *comm, void *data)
{
    (void)comm;
    const char *needle = data;
    if (!needle)
        return 1;
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\0')
            buf[i] = ' ';
    return n > 0 && strstr(buf, needle) != NULL;
}

pid_t tl_child_of(pid_t parent, const char *needle)
{
    return each_child(parent, cmdline_has, (void *)needle);
}

uid_t tl_uid_of(pid_t pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    if (read_small(path, buf, sizeof buf) <= 0)
        return (uid_t)-1;
    const char *at = strstr(buf, "\nUid:");
    return at ? (uid_t)strtoul(at + 5, NULL, 10) : (uid_t)-1;
}

static void append(char **out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *more = NULL;
    if (vasprintf(&more, fmt, ap) < 0)
        abort();
    va_end(ap);
    char *joined = tc_printf("%s%s", *out, more);
    free(more);
    free(*out);
    *out = joined;
}

/* Entries of `dir` whose name contains id, at most `depth` levels down,
 * not following links. */
static void find_named(const char *dir, const char *id, int depth, char **out)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (strstr(e->d_name, id))
            append(out, " %s/%s", dir, e->d_name);
        if (depth > 0 && e->d_type == DT_DIR) {
            char *sub = tc_printf("%s/%s", dir, e->d_name);
            find_named(sub, id, depth - 1, out);
            free(sub);
        }
    }
    closedir(d);
}

char *tl_session_leftovers(const char *id)
{
    char *out = strdup("");
    const char *state = tc_state_dir();
    if (state) {
        char *sessions = tc_printf("%s/sessions", state);
        find_named(sessions, id, 0, &out);
        free(sessions);
    }
    find_named("/sys/fs/cgroup", id, 7, &out);
    find_named("/tmp", id, 0, &out);
    DIR *d = opendir("/sys/block");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "loop", 4) != 0)
            continue;
        char *path = tc_printf("/sys/block/%s/loop/backing_file", e->d_name);
        char buf[4096];
        if (read_small(path, buf, sizeof buf) > 0 && strstr(buf, id))
            append(&out, " /dev/%s->%s", e->d_name, buf);
        free(path);
    }
    if (d)
        closedir(d);
    return out;
}
