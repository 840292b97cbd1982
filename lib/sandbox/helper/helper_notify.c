/* SPDX-License-Identifier: MIT */
/*
 * Reporting denied system calls. The policy's denials return
 * SECCOMP_RET_USER_NOTIF instead of a fixed errno: the kernel parks the
 * calling thread and hands the call to the listener the init holds, which
 * answers with the errno the policy means (so the caller sees exactly what
 * an errno rule gives it) and counts the call by ABI and number. The
 * library asks for the counts after each execution and puts them in the
 * result, so a program that fails on EPERM says which call was refused.
 *
 * Safety: a reply here can only ever make the call fail; it never sets
 * SECCOMP_USER_NOTIF_FLAG_CONTINUE, so a denied call never runs whatever
 * the init does. The caller's memory is never read (the decision uses the
 * number and register arguments only), so there is nothing to race. If the
 * init is gone the kernel fails parked calls with ENOSYS.
 */
#include "sandbox/helper/helper.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox/seccomp_policy.h"

#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
#define X32_SYSCALL_BIT 0x40000000u

/* Distinct (abi, number) pairs counted between two reports; more are
 * counted in `overflow` only. */
#define MAX_DENIALS 32

static struct helper_denial denials[MAX_DENIALS];
static size_t n_denials;
static uint64_t overflow;
static uint32_t native_arch;
/* The kernel's sizes of the notification structs (they may grow). */
static struct seccomp_notif_sizes sizes;
static union {
    struct seccomp_notif n;
    unsigned char room[512];
} req_buf;
static union {
    struct seccomp_notif_resp r;
    unsigned char room[128];
} resp_buf;

int helper_seccomp_load(const struct helper_config *c, struct helper_error *e)
{
    native_arch = c->seccomp_arch;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) < 0)
        return helper_fail(e, "seccomp", errno, "SECCOMP_GET_NOTIF_SIZES (user notification "
                           "needs Linux 5.0)");
    if (sizes.seccomp_notif > sizeof(req_buf) || sizes.seccomp_notif_resp > sizeof(resp_buf))
        return helper_fail(e, "seccomp", EOVERFLOW, "notification structs too large");
    struct sock_fprog prog = {
        .len = (unsigned short)(c->seccomp_len / sizeof(struct sock_filter)),
        .filter = (struct sock_filter *)c->seccomp_bpf,
    };
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                      &prog);
    if (fd < 0)
        return helper_fail(e, "seccomp", errno, "loading the filter with a notification "
                           "listener");
    return (int)fd;
}

/* The errno a denied call gets: what the policy's errno rules would give. */
static int verdict(const struct seccomp_data *d)
{
    if (d->arch != native_arch ||
        (native_arch == AUDIT_ARCH_X86_64 && ((uint32_t)d->nr & X32_SYSCALL_BIT)))
        return ENOSYS; /* another ABI: as if the call did not exist */
    if (d->nr < 0 || d->nr > CI_SECCOMP_REVIEWED_MAX)
        return ENOSYS; /* not reviewed, maybe newer than libc: let it fall back */
#ifdef SYS_socket
    if (d->nr == SYS_socket && ((int)d->args[0] == AF_PACKET || (int)d->args[0] == AF_VSOCK))
        return EAFNOSUPPORT;
#endif
    return EPERM;
}

static void count(uint32_t arch, int nr)
{
    for (size_t i = 0; i < n_denials; i++) {
        if (denials[i].arch == arch && denials[i].nr == nr) {
            denials[i].count++;
            return;
        }
    }
    if (n_denials < MAX_DENIALS)
        denials[n_denials++] = (struct helper_denial){ arch, nr, 1 };
    else
        overflow++;
}

void helper_notify_handle(int fd)
{
    memset(&req_buf, 0, sizeof(req_buf));
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req_buf.n) < 0)
        return; /* ENOENT: the caller died (or was killed) meanwhile */
    int err = verdict(&req_buf.n.data);
    memset(&resp_buf, 0, sizeof(resp_buf));
    resp_buf.r.id = req_buf.n.id;
    resp_buf.r.error = -err;
    resp_buf.r.val = 0;
    resp_buf.r.flags = 0;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp_buf.r);
    count(req_buf.n.data.arch, req_buf.n.data.nr);
}

size_t helper_notify_take(struct helper_denial *out, size_t cap, uint64_t *more)
{
    size_t n = n_denials < cap ? n_denials : cap;
    memcpy(out, denials, n * sizeof(*out));
    *more = overflow;
    for (size_t i = n; i < n_denials; i++)
        *more += denials[i].count;
    n_denials = 0;
    overflow = 0;
    return n;
}
