/* SPDX-License-Identifier: MIT */
/*
 * The seccomp allow-list every sandbox loads last. Only the calls named
 * here run; everything else is refused: the calls that have been the way
 * out of sandboxes (mount API, namespaces, ptrace, keyrings, bpf, io_uring,
 * userfaultfd, perf, modify_ldt, TIOCSTI), and every call nobody reviewed,
 * including those of kernels newer than the list. Only the native syscall
 * ABI is accepted. Compiled once per process with libseccomp and handed to
 * the helper as BPF.
 *
 * The list is what Python, Node, the shell and the preinstalled libraries
 * were seen to use (doc/security.md, "Seccomp", tells how to collect it
 * again with a log-only build), plus the calls of the same families they
 * would reach with other inputs. Arguments are checked where a call is
 * fine in one form and an escape in another: clone/unshare without
 * namespace flags, ioctl but TIOCSTI/TIOCLINUX, sockets of the families a
 * program needs, personality queries.
 *
 * A refusal is a user notification, not a plain errno: the sandbox's init
 * answers it with EPERM (ENOSYS for numbers above the reviewed table and
 * for another ABI; EAFNOSUPPORT for packet and vsock sockets) and counts
 * it, so results can name the calls that were refused (helper_notify.c).
 */
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codeinterp/codeinterp.h"
#include "sandbox/process.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* personality(2): PER_LINUX, and the query that changes nothing */
#define PER_LINUX_VALUE 0x0000u
#define PERSONALITY_QUERY 0xffffffffu

static const char *const allowed[] = {
    /* memory */
    "brk", "mmap", "munmap", "mremap", "mprotect", "madvise", "mincore", "msync", "mlock",
    "mlock2", "munlock", "mlockall", "munlockall", "membarrier", "memfd_create",
    /* memory keys (V8 asks for one) and NUMA policy of its own pages (an
     * import of numpy asks; moving other processes' pages needs
     * CAP_SYS_NICE, which the sandbox lacks) */
    "pkey_alloc", "pkey_free", "pkey_mprotect", "mbind", "get_mempolicy", "set_mempolicy",
    /* the process and its threads */
    "arch_prctl", "prctl", "set_tid_address", "set_robust_list", "get_robust_list", "rseq",
    "fork", "vfork", "execve", "execveat", "exit", "exit_group", "wait4", "waitid",
    "getpid", "getppid", "gettid", "getpgid", "getpgrp", "getsid", "setsid", "setpgid",
    "getuid", "geteuid", "getgid", "getegid", "getresuid", "getresgid", "getgroups",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups",
    "setfsuid", "setfsgid", "capget", "capset", "getrlimit", "setrlimit", "prlimit64",
    "getrusage", "times", "getpriority", "setpriority", "sched_yield", "sched_getaffinity",
    "sched_setaffinity", "sched_getparam", "sched_setparam", "sched_getscheduler",
    "sched_setscheduler", "sched_get_priority_max", "sched_get_priority_min",
    "sched_rr_get_interval", "sched_getattr", "sched_setattr", "ioprio_get", "ioprio_set",
    "getcpu", "uname", "sysinfo", "umask", "getrandom", "seccomp",
    /* signals */
    "kill", "tkill", "tgkill", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
    "rt_sigpending", "rt_sigsuspend", "rt_sigtimedwait", "rt_sigqueueinfo",
    "rt_tgsigqueueinfo", "sigaltstack", "pause", "pidfd_open", "pidfd_send_signal",
    "restart_syscall",
    /* time and waiting */
    "futex", "futex_waitv", "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres",
    "gettimeofday", "time", "alarm", "getitimer", "setitimer", "timer_create",
    "timer_settime", "timer_gettime", "timer_getoverrun", "timer_delete", "timerfd_create",
    "timerfd_settime", "timerfd_gettime",
    /* descriptors and I/O */
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
    "preadv2", "pwritev2", "lseek", "close", "close_range", "dup", "dup2", "dup3", "fcntl",
    "flock", "fsync", "fdatasync", "sync", "syncfs", "sync_file_range", "fallocate",
    "fadvise64", "readahead", "copy_file_range", "sendfile", "splice",
    "pipe", "pipe2", "eventfd", "eventfd2", "signalfd", "signalfd4", "poll", "ppoll",
    "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "inotify_init", "inotify_init1", "inotify_add_watch",
    "inotify_rm_watch",
    /* files and directories (the mounts decide what is writable) */
    "open", "openat", "openat2", "creat", "stat", "fstat", "lstat", "newfstatat", "statx",
    "statfs", "fstatfs", "access", "faccessat", "faccessat2", "readlink", "readlinkat",
    "getdents", "getdents64", "getcwd", "chdir", "fchdir", "mkdir", "mkdirat", "rmdir",
    "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink",
    "symlinkat", "chmod", "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat",
    "utime", "utimes", "utimensat", "futimesat", "truncate", "ftruncate", "mknod",
    "mknodat", "getxattr", "lgetxattr", "fgetxattr", "listxattr", "llistxattr",
    "flistxattr", "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr",
    "fremovexattr",
    /* sockets (socket itself: per family, below) */
    "socketpair", "bind", "listen", "accept", "accept4", "connect", "getsockname",
    "getpeername", "getsockopt", "setsockopt", "sendto", "recvfrom", "sendmsg", "recvmsg",
    "sendmmsg", "recvmmsg", "shutdown",
    /* SysV shared memory and semaphores, private to the sandbox's IPC
     * namespace. Not message queues: no runtime uses them, and msg_msg is
     * the kernel exploits' favourite heap spray. */
    "shmget", "shmat", "shmdt", "shmctl", "semget", "semop", "semtimedop", "semctl",
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *bpf_data;
static size_t bpf_len;
static char build_error[256];

/* What a call the list does not allow gets. A log-only build (meson
 * -Dseccomp_log_only=true; never ship one) lets it run and has the kernel
 * log it (dmesg, or the audit log), to collect what the list lacks. */
#ifdef CI_SECCOMP_LOG_ONLY
#define REFUSED SCMP_ACT_LOG
#else
#define REFUSED SCMP_ACT_NOTIFY
#endif

static int rule(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n,
                const struct scmp_arg_cmp *args)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR)
        return 0; /* not a syscall on this architecture */
    int r = seccomp_rule_add_array(ctx, action, nr, n, args);
    if (r < 0)
        snprintf(build_error, sizeof(build_error), "rule for %s: %s", name, strerror(-r));
    return r;
}

/* libseccomp API level that has SCMP_ACT_NOTIFY */
#define API_NOTIFY 5

/* Namespace creation: clone and unshare run only without these bits. */
#define NAMESPACE_FLAGS                                                                    \
    ((uint64_t)(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | \
                CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME))

static int allow_if(scmp_filter_ctx ctx, const char *name, unsigned n,
                    const struct scmp_arg_cmp *args)
{
    return rule(ctx, SCMP_ACT_ALLOW, name, n, args);
}

/* Allows name when the low 32 bits of its second argument are in [lo, hi]:
 * one masked comparison per aligned power-of-two block (at most 64). */
static int allow_range(scmp_filter_ctx ctx, const char *name, uint32_t lo, uint32_t hi)
{
    uint64_t at = lo;
    while (at <= hi) {
        uint64_t size = 1;
        while ((at & (size * 2 - 1)) == 0 && at + size * 2 - 1 <= hi)
            size *= 2;
        struct scmp_arg_cmp a = SCMP_A1_32(SCMP_CMP_MASKED_EQ, (uint32_t)~(size - 1), (uint32_t)at);
        if (allow_if(ctx, name, 1, &a) < 0)
            return -1;
        at += size;
    }
    return 0;
}

static int add_rules(scmp_filter_ctx ctx)
{
    for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
        if (allow_if(ctx, allowed[i], 0, NULL) < 0)
            return -1;

    /* clone3 passes its flags in memory seccomp cannot read: ENOSYS makes
     * libc fall back to clone, whose flags we can check. A plain errno, not
     * counted: libc tries it for every thread, that is no attempt to report. */
    if (rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL) < 0)
        return -1;
    struct scmp_arg_cmp no_ns = SCMP_A0_64(SCMP_CMP_MASKED_EQ, NAMESPACE_FLAGS, 0);
    if (allow_if(ctx, "clone", 1, &no_ns) < 0 || allow_if(ctx, "unshare", 1, &no_ns) < 0)
        return -1;

    /* Every ioctl but typing into a terminal (TIOCSTI, TIOCLINUX). The
     * kernel takes only the low 32 bits of the request, and libseccomp's
     * 32-bit comparisons but MASKED_EQ still look at all 64 (it casts the
     * datum only), and it takes one comparison per argument and rule: so
     * the requests below, between and above the two as aligned blocks of
     * masked comparisons. */
    _Static_assert(TIOCSTI < TIOCLINUX, "the ioctl ranges assume TIOCSTI < TIOCLINUX");
    if (allow_range(ctx, "ioctl", 0, TIOCSTI - 1u) < 0 ||
        allow_range(ctx, "ioctl", TIOCSTI + 1u, TIOCLINUX - 1u) < 0 ||
        allow_range(ctx, "ioctl", TIOCLINUX + 1u, UINT32_MAX) < 0)
        return -1;

    /* Unix and netlink sockets (getifaddrs() and node's
     * os.networkInterfaces() use raw netlink; the network namespace holds
     * only loopback), and IP stream and datagram sockets; no raw or packet
     * sockets, no vsock, none of the other families. */
    static const int local[] = { AF_UNIX, AF_NETLINK };
    for (size_t f = 0; f < sizeof(local) / sizeof(local[0]); f++) {
        struct scmp_arg_cmp a = SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)local[f]);
        if (allow_if(ctx, "socket", 1, &a) < 0)
            return -1;
    }
    static const int ip_families[] = { AF_INET, AF_INET6 };
    static const int ip_types[] = { SOCK_STREAM, SOCK_DGRAM };
    for (size_t f = 0; f < 2; f++) {
        for (size_t t = 0; t < 2; t++) {
            struct scmp_arg_cmp a[2] = {
                SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)ip_families[f]),
                SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, (uint32_t)ip_types[t]),
            };
            if (allow_if(ctx, "socket", 2, a) < 0)
                return -1;
        }
    }

    /* personality: the query and plain Linux; no flag that weakens memory
     * protections (READ_IMPLIES_EXEC, ADDR_NO_RANDOMIZE, ...). The kernel
     * takes an unsigned int: compare the low 32 bits only. */
    struct scmp_arg_cmp query = SCMP_A0_32(SCMP_CMP_MASKED_EQ, UINT32_MAX, PERSONALITY_QUERY);
    struct scmp_arg_cmp linux_ = SCMP_A0_32(SCMP_CMP_MASKED_EQ, UINT32_MAX, PER_LINUX_VALUE);
    if (allow_if(ctx, "personality", 1, &query) < 0 || allow_if(ctx, "personality", 1, &linux_) < 0)
        return -1;
    return 0;
}

static void build(void)
{
    /* libseccomp refuses actions the running kernel does not report, and
     * asks the kernel with seccomp(2) itself, which valgrind does not
     * emulate. Here the program is only exported: the kernel that loads it
     * in the helper is the judge (an unsupported action fails the sandbox
     * at its seccomp layer). So assume the level we need while compiling,
     * and give the process's libseccomp its own level back afterwards. */
    const unsigned api = seccomp_api_get();
    if (api < API_NOTIFY)
        seccomp_api_set(API_NOTIFY);
    scmp_filter_ctx ctx = seccomp_init(REFUSED);
    if (!ctx) {
        snprintf(build_error, sizeof(build_error), "seccomp_init failed");
        goto restore;
    }
    /* Only the native ABI: 32-bit (int 0x80) and x32 calls fail with ENOSYS
     * (answered by the init, and counted). */
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_NOTIFY);
    if (r < 0) {
        snprintf(build_error, sizeof(build_error), "bad-arch action: %s", strerror(-r));
        goto out;
    }
    if (add_rules(ctx) < 0)
        goto out;
    int fd = memfd_create("ci-seccomp", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(build_error, sizeof(build_error), "memfd_create: %s", strerror(errno));
        goto out;
    }
    if ((r = seccomp_export_bpf(ctx, fd)) < 0) {
        snprintf(build_error, sizeof(build_error), "exporting BPF: %s", strerror(-r));
        close(fd);
        goto out;
    }
    off_t len = lseek(fd, 0, SEEK_END);
    void *data = len > 0 ? malloc((size_t)len) : NULL;
    if (data && pread(fd, data, (size_t)len, 0) == len) {
        bpf_data = data;
        bpf_len = (size_t)len;
    } else {
        free(data);
        snprintf(build_error, sizeof(build_error), "reading the BPF program failed");
    }
    close(fd);
out:
    seccomp_release(ctx);
restore:
    if (api >= 1 && api < API_NOTIFY)
        seccomp_api_set(api);
}

int ci_seccomp_policy_bpf(const void **data, size_t *len, uint32_t *arch, char *err,
                          size_t errlen)
{
    pthread_once(&once, build);
    if (!bpf_data) {
        snprintf(err, errlen, "seccomp: cannot compile the filter: %s", build_error);
        return CI_ESANDBOX;
    }
    *data = bpf_data;
    *len = bpf_len;
    *arch = seccomp_arch_native();
    return CI_OK;
}
