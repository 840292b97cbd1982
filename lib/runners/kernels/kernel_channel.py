# SPDX-License-Identifier: MIT
"""The control channel of libcodeinterp's Python and shell kernels
(doc/protocol.md §2, lib/core/runner_frame.h).

On fd 3, an AF_UNIX stream socket: frames of a 4-byte big-endian length and
a UTF-8 JSON object. A request may carry descriptors (SCM_RIGHTS) on the
first byte of its frame: an execute with "stdio": true brings the write ends
of the call's stdout and stderr pipes, in that order. Linux ends a read at a
message carrying descriptors, so a read that returns descriptors returns them
with its first byte: they belong to the frame that starts there. Descriptors
anywhere else are closed.

Stdlib only, and light to import (the kernels' start-up counts): _socket,
not socket. Every function the channel calls is taken at import, before any
user code runs, so a cell that rebinds json.dumps or os.write does not break
the replies.
"""

import _socket
import fcntl
import json
import os
import struct
import sys

CONTROL_FD = 3
_READ_SIZE = 1 << 16
# room for more descriptors than a request carries, so that extra ones are
# received (and closed) rather than cut off with the message
_ANCILLARY = _socket.CMSG_SPACE(16 * 4)
_CMSG_CLOEXEC = _socket.MSG_CMSG_CLOEXEC
_SOL_SOCKET = _socket.SOL_SOCKET
_SCM_RIGHTS = _socket.SCM_RIGHTS

_write, _close = os.write, os.close
_dumps, _loads = json.dumps, json.loads
_pack, _unpack = struct.pack, struct.unpack
_from_bytes = int.from_bytes
_BYTEORDER = sys.byteorder


def high_fd(fd):
    """A close-on-exec copy of fd above 512 (or half the open-files limit,
    if that is small): out of the way of user code that opens files, and
    not inherited by what it starts."""
    import resource
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    low = 512 if soft == resource.RLIM_INFINITY else max(CONTROL_FD + 1, min(512, soft // 2))
    return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, low)


def move_control_fd():
    """Moves the control socket from fd 3 to a high close-on-exec fd."""
    fd = high_fd(CONTROL_FD)
    os.close(CONTROL_FD)
    return fd


def _fds_of(ancillary):
    fds = []
    for level, kind, data in ancillary:
        if level == _SOL_SOCKET and kind == _SCM_RIGHTS:
            usable = len(data) - len(data) % 4
            fds.extend(_from_bytes(data[i:i + 4], _BYTEORDER) for i in range(0, usable, 4))
    return fds


class Channel:
    """Frames in and out of the control socket. feed() reads once (a caller
    that multiplexes calls it when the socket is readable); next_frame()
    hands out the frames read so far."""

    def __init__(self, fd):
        self.fd = fd
        # owns fd from here on
        self._recvmsg = _socket.socket(fileno=fd).recvmsg
        self._buf = bytearray()
        self._pos = 0          # stream offset of _buf[0]
        self._fds = []         # [stream offset of the byte they came with, [fds]]

    def feed(self):
        """One read. False at end of file."""
        try:
            data, ancillary, _flags, _addr = self._recvmsg(_READ_SIZE, _ANCILLARY, _CMSG_CLOEXEC)
        except OSError:  # ECONNRESET: the library is gone as surely as at EOF
            return False
        if ancillary:
            fds = _fds_of(ancillary)
            if fds:
                self._fds.append((self._pos + len(self._buf), fds))
        if not data:
            return False
        self._buf += data
        return True

    def next_frame(self):
        """(request, fds) for the next whole frame read, or None. request is
        None when the payload is not a JSON object. The caller owns fds."""
        buf = self._buf
        if len(buf) < 4:
            return None
        (length,) = _unpack(">I", buf[:4])
        if len(buf) < 4 + length:
            return None
        payload = bytes(buf[4:4 + length])
        start = self._pos
        del buf[:4 + length]
        self._pos += 4 + length
        fds = []
        while self._fds and self._fds[0][0] < self._pos:
            at, got = self._fds.pop(0)
            if at == start:
                fds.extend(got)
            else:
                for fd in got:
                    _close(fd)
        try:
            request = _loads(payload.decode("utf-8"))
        except ValueError:
            request = None
        if not isinstance(request, dict):
            request = None
        return request, fds

    def read_frame(self):
        """Blocks for the next frame: (request, fds), or None at end of file."""
        while True:
            frame = self.next_frame()
            if frame is not None:
                return frame
            if not self.feed():
                return None

    def write_frame(self, obj):
        data = _dumps(obj, ensure_ascii=False, default=str).encode("utf-8", "replace")
        buf = memoryview(_pack(">I", len(data)) + data)
        while buf:
            n = _write(self.fd, buf)
            buf = buf[n:]


def close_fds(fds):
    for fd in fds:
        try:
            _close(fd)
        except OSError:
            pass
