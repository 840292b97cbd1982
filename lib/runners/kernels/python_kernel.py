# SPDX-License-Identifier: MIT
"""libcodeinterp's Python kernel: runs cells sent by the library, inside the sandbox.

Protocol (see lib/core/runner_frame.h): on fd 3, frames of a 4-byte big-endian
length and a UTF-8 JSON object. Requests {"op": "execute", "id": n, "code": str};
replies {"id": n, "status": "ok"|"error", "exit_code": int, "value": str|None,
"error": {"name", "value", "traceback"}|None, "displays": [{"mime_type", "data"
(base64)}]}: each matplotlib figure left open by the cell, as PNG, then closed. stdout and stderr are the
process's own fds 1 and 2, read by the library while the cell runs; both are
flushed before every reply.
"""

import ast
import base64
import builtins
import io
import json
import linecache
import os
import struct
import sys
import traceback
import types

CONTROL_FD = 3
KERNEL_FILE = os.path.abspath(__file__)

# The kernel's own references: a cell that rebinds json.dumps, os.write or
# struct.pack in those modules must not break the replies.
_read, _write = os.read, os.write
_dumps, _loads = json.dumps, json.loads
_pack, _unpack = struct.pack, struct.unpack


def _move_control_fd():
    # Out of the way of user code that opens files, and not inherited by its
    # subprocesses (dup'ed descriptors are close-on-exec).
    import fcntl
    import resource
    # high, but below the open-files limit, which may be small
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    low = 512 if soft == resource.RLIM_INFINITY else max(CONTROL_FD + 1, min(512, soft // 2))
    fd = fcntl.fcntl(CONTROL_FD, fcntl.F_DUPFD_CLOEXEC, low)
    os.close(CONTROL_FD)
    return fd


def _read_exact(fd, n):
    chunks = []
    while n > 0:
        b = _read(fd, n)
        if not b:
            return None
        chunks.append(b)
        n -= len(b)
    return b"".join(chunks)


def _read_frame(fd):
    header = _read_exact(fd, 4)
    if header is None:
        return None
    (length,) = _unpack(">I", header)
    payload = _read_exact(fd, length)
    if payload is None:
        return None
    return _loads(payload.decode("utf-8"))


def _write_frame(fd, obj):
    data = _dumps(obj, ensure_ascii=False, default=str).encode("utf-8", "replace")
    buf = _pack(">I", len(data)) + data
    while buf:
        n = _write(fd, buf)
        buf = buf[n:]


def _user_frames(tb):
    """Drops the kernel's own frames from the front of a traceback."""
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) == KERNEL_FILE:
        tb = tb.tb_next
    return tb


def _safe_str(value):
    try:
        return str(value)
    except BaseException as e:  # a broken __str__ must not break the kernel
        return "<unprintable %s: %s>" % (type(value).__name__, type(e).__name__)


def _safe_repr(value):
    try:
        return repr(value)
    except BaseException as e:
        return "<unrepresentable %s: %s>" % (type(value).__name__, type(e).__name__)


class Kernel:
    def __init__(self):
        self.module = types.ModuleType("__main__")
        self.module.__dict__["__builtins__"] = builtins
        sys.modules["__main__"] = self.module
        self.ns = self.module.__dict__
        self.cell = 0

    def run_cell(self, code):
        self.cell += 1
        filename = "<cell %d>" % self.cell
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        reply = {"status": "ok", "exit_code": 0, "value": None, "error": None}
        try:
            tree = ast.parse(code, filename=filename, mode="exec")
            last = None
            if tree.body and isinstance(tree.body[-1], ast.Expr):
                last = ast.Expression(tree.body.pop().value)
            exec(compile(tree, filename, "exec"), self.ns)
            if last is not None:
                value = eval(compile(last, filename, "eval"), self.ns)
                if value is not None:
                    self.ns["_"] = value
                    reply["value"] = _safe_repr(value)
        except SystemExit as e:
            code = e.code
            if code is None or code == 0:
                pass
            else:
                if isinstance(code, int):
                    exit_code = code & 0xFF  # as the shell would see it
                else:
                    sys.stderr.write(_safe_str(code) + "\n")
                    exit_code = 1
                reply.update(status="error", exit_code=exit_code,
                             error={"name": "SystemExit", "value": _safe_str(code),
                                    "traceback": ""})
        except BaseException as e:
            tb = _user_frames(e.__traceback__)
            text = "".join(traceback.format_exception(type(e), e, tb))
            sys.stderr.write(text)
            reply.update(status="error", exit_code=1,
                         error={"name": type(e).__name__, "value": _safe_str(e),
                                "traceback": text})
        finally:
            reply["displays"] = self._collect_figures()
            self._flush()
        return reply

    @staticmethod
    def _collect_figures():
        """Every open matplotlib figure as a PNG, then closed, as a notebook
        shows them. Only if the cell imported pyplot: never import it here."""
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is None:
            return []
        displays = []
        try:
            for num in plt.get_fignums():
                buf = io.BytesIO()
                plt.figure(num).savefig(buf, format="png", bbox_inches="tight")
                displays.append({"mime_type": "image/png",
                                 "data": base64.b64encode(buf.getvalue()).decode("ascii")})
        except BaseException as e:  # a figure that cannot render must not lose the reply
            sys.stderr.write("codeinterp: could not render a figure: %s\n" % _safe_str(e))
        finally:
            try:
                plt.close("all")
            except BaseException:
                pass
        return displays

    @staticmethod
    def _flush():
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except BaseException:
                pass


def main():
    fd = _move_control_fd()
    # The working directory (/workspace) is where users put their modules.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(KERNEL_FILE):
        sys.path[0] = ""
    else:
        sys.path.insert(0, "")
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    kernel = Kernel()
    while True:
        request = _read_frame(fd)
        if request is None:
            return
        if request.get("op") != "execute":
            reply = {"status": "error", "exit_code": 1, "value": None,
                     "error": {"name": "ProtocolError", "value": "unknown op", "traceback": ""}}
        else:
            reply = kernel.run_cell(request.get("code", ""))
        reply["id"] = request.get("id")
        _write_frame(fd, reply)


if __name__ == "__main__":
    main()
