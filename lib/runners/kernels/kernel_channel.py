# SPDX-License-Identifier: MIT
"""The control channel of libcodeinterp's Python and shell kernels
(doc/protocol.md §2, lib/core/runner_frame.h).

On fd 3, an AF_UNIX stream socket: frames of a 4-byte big-endian length and
a UTF-8 JSON object. A reply is one such control frame of at most
REPLY_JSON_MAX bytes, echoing the request's "id" and "nonce", then one raw
frame per display it announces ({"mime_type", "len"} in "displays"): the
library refuses anything else as a protocol violation. A request may carry descriptors (SCM_RIGHTS) on the
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
# The library's bounds on a reply (lib/core/runner_frame.h): its control
# frame, and the display parts after it.
REPLY_JSON_MAX = 1 << 20
DISPLAYS_MAX = 32
DISPLAY_BYTES_MAX = 8 << 20
DISPLAYS_TOTAL_MAX = 16 << 20
# A reply's texts (value, error) are cut to this many characters when the
# frame would pass its bound: 6 bytes a character at worst (\u escapes),
# four texts (value, error name, value, traceback): well under REPLY_JSON_MAX.
_TEXT_CUT = 32 << 10
# room for more descriptors than a request carries, so that extra ones are
# received (and closed) rather than cut off with the message, and for the
# credentials SO_PASSCRED adds
_ANCILLARY = _socket.CMSG_SPACE(16 * 4) + _socket.CMSG_SPACE(12)
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
        sock = _socket.socket(fileno=fd)
        self._recvmsg = sock.recvmsg
        # what this end writes carries its writer's pid, whenever the
        # library's end started listening for it (see greet)
        sock.setsockopt(_SOL_SOCKET, _socket.SO_PASSCRED, 1)
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

    def greet(self):
        """The first bytes on the channel, an empty frame, written before
        any user code runs: the library takes their writer for the kernel
        and refuses bytes of any other process (a child the user's code
        forked keeps the socket)."""
        self._write_all(b"")

    def _write_all(self, data):
        buf = memoryview(_pack(">I", len(data)) + data)
        while buf:
            n = _write(self.fd, buf)
            buf = buf[n:]

    def write_frame(self, obj, parts=()):
        """Writes obj as a control frame, its texts cut if it would pass
        REPLY_JSON_MAX, then each of parts (bytes) as a raw frame."""
        data = _dumps(obj, ensure_ascii=False, default=str).encode("utf-8", "replace")
        if len(data) > REPLY_JSON_MAX:
            data = _dumps(_cut_texts(obj), ensure_ascii=False,
                          default=str).encode("utf-8", "replace")
        self._write_all(data)
        for part in parts:
            self._write_all(part)


def _cut(text):
    if isinstance(text, str) and len(text) > _TEXT_CUT:
        return text[:_TEXT_CUT] + "\n[... cut: the reply's bound is %d bytes]" % REPLY_JSON_MAX
    return text


def _cut_texts(obj):
    obj = dict(obj)
    obj["value"] = _cut(obj.get("value"))
    error = obj.get("error")
    if isinstance(error, dict):
        obj["error"] = {k: _cut(v) for k, v in error.items()}
    return obj


def displays_within_bounds(displays, warn):
    """The (mime_type, bytes) pairs that fit the library's bounds, in
    order; warn(message) for each one left out."""
    kept, total = [], 0
    for mime, data in displays:
        if len(kept) == DISPLAYS_MAX:
            warn("more than %d displays: the rest are left out" % DISPLAYS_MAX)
            break
        if not data or len(data) > DISPLAY_BYTES_MAX or total + len(data) > DISPLAYS_TOTAL_MAX:
            warn("a %s display of %d bytes is left out (at most %d each, %d in all)"
                 % (mime, len(data), DISPLAY_BYTES_MAX, DISPLAYS_TOTAL_MAX))
            continue
        total += len(data)
        kept.append((mime, data))
    return kept


def reply_parts(reply, displays):
    """Puts the announcements of displays ((mime_type, bytes) pairs) in
    reply; the bytes to write after it."""
    reply["displays"] = [{"mime_type": mime, "len": len(data)} for mime, data in displays]
    return [data for _mime, data in displays]


def echo(reply, request):
    """What a reply must carry of its request: id and nonce."""
    reply["id"] = request.get("id") if request is not None else None
    reply["nonce"] = request.get("nonce") if request is not None else None
    return reply


def not_dumpable():
    """Closes this process to the other processes of the sandbox (same uid):
    no /proc/PID/mem, no /proc/PID/fd, no core dump. The shell kernel's
    commands run in such processes, and must not reach its channel."""
    import ctypes
    PR_SET_DUMPABLE = 4
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def close_fds(fds):
    for fd in fds:
        try:
            _close(fd)
        except OSError:
            pass
