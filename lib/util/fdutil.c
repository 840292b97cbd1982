/* SPDX-License-Identifier: MIT */
#include "util/fdutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int ci_fd_set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    int nfl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
    if (nfl != fl && fcntl(fd, F_SETFL, nfl) < 0)
        return -errno;
    return 0;
}

int ci_write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                struct pollfd pfd = { .fd = fd, .events = POLLOUT };
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                    return -errno;
                continue;
            }
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int ci_read_exact(int fd, void *data, size_t len)
{
    char *p = data;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

void ci_close(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

#define CI_MAX_PASSED_FDS 8

int ci_seq_send(int sock, const void *data, size_t len, const int *fds, size_t nfds)
{
    ssize_t n = ci_send_fds(sock, data, len, fds, nfds);
    return n < 0 ? (int)n : 0;
}

ssize_t ci_send_fds(int sock, const void *data, size_t len, const int *fds, size_t nfds)
{
    if (nfds > CI_MAX_PASSED_FDS)
        return -EINVAL;
    struct iovec iov = { .iov_base = (void *)data, .iov_len = len };
    union {
        char buf[CMSG_SPACE(sizeof(int) * CI_MAX_PASSED_FDS)];
        struct cmsghdr align;
    } ctrl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0) {
        memset(&ctrl, 0, sizeof(ctrl));
        msg.msg_control = ctrl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    for (;;) {
        ssize_t n = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

ssize_t ci_seq_recv(int sock, void *buf, size_t cap, int *fds, size_t *nfds)
{
    size_t want = nfds ? *nfds : 0;
    if (nfds)
        *nfds = 0;
    struct iovec iov = { .iov_base = buf, .iov_len = cap };
    union {
        char buf[CMSG_SPACE(sizeof(int) * CI_MAX_PASSED_FDS)];
        struct cmsghdr align;
    } ctrl;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf) };
    ssize_t n;
    do {
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    size_t got = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        int tmp[CI_MAX_PASSED_FDS];
        memcpy(tmp, CMSG_DATA(c), k * sizeof(int));
        for (size_t i = 0; i < k; i++) {
            if (got < want)
                fds[got++] = tmp[i];
            else
                close(tmp[i]);
        }
    }
    if (nfds)
        *nfds = got;
    if (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) {
        for (size_t i = 0; i < got; i++)
            close(fds[i]);
        if (nfds)
            *nfds = 0;
        /* The control buffer holds every descriptor a message may carry,
         * so a cut there alone means the kernel could not install them:
         * this process is out of descriptors. */
        return (msg.msg_flags & MSG_TRUNC) ? -EMSGSIZE : -EMFILE;
    }
    return n;
}

int ci_wait_readable(int fd, int timeout_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int r;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r < 0 && errno == EINTR);
    return r > 0;
}
