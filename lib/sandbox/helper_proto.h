/* SPDX-License-Identifier: MIT */
/*
 * Messages between the library and its sandbox helper (codeinterp-sandbox).
 *
 * Transport: one SOCK_SEQPACKET socketpair, the helper's end inherited as
 * fd 3. Each datagram is one JSON object with an "op" member; descriptors
 * travel as SCM_RIGHTS on the datagram that announces them.
 *
 * library -> helper:
 *   config   first message: everything the helper needs to build the sandbox
 *   spawn    {argv, env, cwd}            -> spawned {pid} + fds [ctl, out, err]
 *   killall  kill every process but init -> killed
 *   wait     {pid, timeout_ms}            -> waited {pid, exited, code, signal}
 *   kill     {pid, timeout_ms}: SIGKILL a runner, then as wait
 *   shutdown kill everything and exit
 *   busy     an execution starts: the idle clock stops (no reply)
 *   idle     the session is idle from now: the idle clock restarts (no reply)
 *   mark     -> marked {count} or {errno}: record the processes alive now
 *   sweep    -> swept {killed[, errno]}: kill those started since the mark
 *            but live runners; uses the mark up (ENOENT: there was none)
 *   denials  -> denials {calls: [{arch, nr, count}], more}: the system calls
 *            the seccomp filter refused since the last denials (AUDIT_ARCH_*
 *            and number; `more` counts calls past the list's bound)
 * helper -> library:
 *   started  {init_pid}: host pid of the sandbox's init (sent by stage one)
 *   ready    the sandbox is built
 *   error    {layer, errno, message}: setup failed; the helper exits
 *   expired  the idle lifetime or the absolute lifetime ran out; everything
 *            is killed, the helper exits
 *   exited   {pid}: a runner the init spawned ended (unsolicited)
 */
#pragma once
#include <stddef.h>
#include <cjson/cJSON.h>

#define CI_PROTO_MAX_MSG (1u << 20)
#define CI_PROTO_FD 3

/* Sends msg (and fds); 0 or -errno. */
int ci_proto_send(int sock, const cJSON *msg, const int *fds, size_t nfds);
/* Receives one message; 0 with *msg set, -EPIPE on EOF, -EPROTO for a
 * datagram that is not a JSON object with a string "op", or -errno. */
int ci_proto_recv(int sock, cJSON **msg, int *fds, size_t *nfds);
/* The message's "op", or "" */
const char *ci_proto_op(const cJSON *msg);
