/* SPDX-License-Identifier: MIT */
/* Small descriptor helpers shared by the library and the helper. */
#pragma once
#include <stddef.h>
#include <sys/types.h>

int ci_fd_set_nonblock(int fd, int on);
/* Writes everything, retrying on EINTR/EAGAIN (polling); 0 or -errno. */
int ci_write_all(int fd, const void *data, size_t len);
/* Reads exactly len bytes; 0, -errno, or -EPIPE on early EOF. */
int ci_read_exact(int fd, void *data, size_t len);
/* Closes *fd if >= 0 and sets it to -1. */
void ci_close(int *fd);
/* 1 when fd is readable (or at end of file, or hung up) within timeout_ms
 * (-1: no limit), 0 otherwise; EINTR is retried. */
int ci_wait_readable(int fd, int timeout_ms);

/* One datagram on a SOCK_SEQPACKET socket, with up to `nfds` descriptors
 * attached (SCM_RIGHTS). */
int ci_seq_send(int sock, const void *data, size_t len, const int *fds, size_t nfds);
/* Receives one datagram into buf (capacity cap); received descriptors are
 * stored in fds (close-on-exec), their count in *nfds (capacity in *nfds on
 * entry). Returns the datagram length, 0 on EOF, or -errno (-EMSGSIZE when
 * the datagram was larger than cap). */
/* One sendmsg() of data with the descriptors attached to its first byte,
 * without SIGPIPE: on a stream socket it may send only part of data.
 * The bytes sent, or -errno (-EAGAIN on a full non-blocking socket). */
ssize_t ci_send_fds(int sock, const void *data, size_t len, const int *fds, size_t nfds);
ssize_t ci_seq_recv(int sock, void *buf, size_t cap, int *fds, size_t *nfds);
