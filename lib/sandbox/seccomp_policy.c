/* SPDX-License-Identifier: MIT */
/*
 * The seccomp deny-list every sandbox loads last. Default allow: the
 * namespaces, the dropped capabilities and the filesystem do the main work;
 * this list closes the kernel interfaces that have been the way out of
 * sandboxes (mount API, namespace creation, ptrace, keyrings, bpf, io_uring,
 * userfaultfd, perf, TIOCSTI) and every non-native syscall ABI.
 * Compiled once per process with libseccomp and handed to the helper as BPF.
 *
 * A denial is a user notification, not a plain errno: the sandbox's init
 * answers it with the errno the rule stands for (EPERM; EAFNOSUPPORT for
 * the refused address families; ENOSYS for another ABI) and counts it, so
 * results can name the calls that were refused (helper_notify.c).
 */
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <seccomp.h>
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
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* personality(2) bits that weaken memory protections */
#define READ_IMPLIES_EXEC_BIT 0x0400000

static const char *const denied[] = {
    /* filesystem view */
    "mount", "umount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "open_by_handle_at",
    "name_to_handle_at",
    /* namespaces */
    "setns",
    /* other processes' memory */
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    /* kernel keyrings, bpf, perf, userfaultfd, io_uring */
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    /* system administration */
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "swapon", "swapoff", "reboot", "acct", "syslog", "quotactl", "quotactl_fd",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "vhangup",
    "iopl", "ioperm", "lookup_dcookie", "nfsservctl", "uselib", "fanotify_init",
    "sethostname", "setdomainname",
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void *bpf_data;
static size_t bpf_len;
static char build_error[256];

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

static int add_rules(scmp_filter_ctx ctx)
{
    /* answered with EPERM by the init, and counted */
    uint32_t eperm = SCMP_ACT_NOTIFY;
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
        if (rule(ctx, eperm, denied[i], 0, NULL) < 0)
            return -1;

    /* clone3 passes its flags in memory seccomp cannot read: ENOSYS makes
     * libc fall back to clone, whose flags we can check. A plain errno, not
     * counted: libc tries it for every thread, that is no attempt to report. */
    if (rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL) < 0)
        return -1;
    /* deny when any namespace bit is set: one rule per bit keeps it exact */
    static const uint64_t bits[] = { CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET,
                                     CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWCGROUP, CLONE_NEWTIME };
    for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        struct scmp_arg_cmp a = SCMP_A0_64(SCMP_CMP_MASKED_EQ, bits[i], bits[i]);
        if (rule(ctx, eperm, "clone", 1, &a) < 0 || rule(ctx, eperm, "unshare", 1, &a) < 0)
            return -1;
    }

    /* Typing into a terminal; the kernel compares only the low 32 bits of
     * the request, so must we. */
    struct scmp_arg_cmp sti = SCMP_A1_32(SCMP_CMP_EQ, TIOCSTI);
    struct scmp_arg_cmp linux_ = SCMP_A1_32(SCMP_CMP_EQ, TIOCLINUX);
    if (rule(ctx, eperm, "ioctl", 1, &sti) < 0 || rule(ctx, eperm, "ioctl", 1, &linux_) < 0)
        return -1;

    /* Packet and vsock sockets; raw and SOCK_PACKET IP sockets. Raw netlink
     * stays allowed: getifaddrs() and node's os.networkInterfaces() use it,
     * and the network namespace holds only loopback. */
    struct scmp_arg_cmp packet = SCMP_A0_32(SCMP_CMP_EQ, AF_PACKET);
    struct scmp_arg_cmp vsock = SCMP_A0_32(SCMP_CMP_EQ, AF_VSOCK);
    if (rule(ctx, SCMP_ACT_NOTIFY, "socket", 1, &packet) < 0 ||
        rule(ctx, SCMP_ACT_NOTIFY, "socket", 1, &vsock) < 0)
        return -1;
    static const int ip_families[] = { AF_INET, AF_INET6 };
    static const int ip_types[] = { SOCK_RAW, SOCK_PACKET };
    for (size_t f = 0; f < 2; f++) {
        for (size_t t = 0; t < 2; t++) {
            struct scmp_arg_cmp a[2] = {
                SCMP_A0_32(SCMP_CMP_EQ, (uint32_t)ip_families[f]),
                SCMP_A1_32(SCMP_CMP_MASKED_EQ, 0xf, (uint32_t)ip_types[t]),
            };
            if (rule(ctx, eperm, "socket", 2, a) < 0)
                return -1;
        }
    }

    struct scmp_arg_cmp rie = SCMP_A0_32(SCMP_CMP_MASKED_EQ, READ_IMPLIES_EXEC_BIT, READ_IMPLIES_EXEC_BIT);
    if (rule(ctx, eperm, "personality", 1, &rie) < 0)
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
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
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
