# SPDX-License-Identifier: MIT
"""libcodeinterp's Python kernel: runs cells sent by the library, inside the sandbox.

Protocol (see lib/core/runner_frame.h, doc/protocol.md §2): on fd 3, frames of
a 4-byte big-endian length and a UTF-8 JSON object (kernel_channel.py).
Requests {"op": "execute", "id": n, "nonce": str, "code": str, "env"?:
{name: value}, "cwd"?: str, "stdio"?: true}; replies {"id": n, "nonce": the
request's, "status": "ok"|"error", "exit_code": int, "value": str|None,
"error": {"name", "value", "traceback"}|None, "displays": [{"mime_type",
"len"}]}, then the bytes of each display as a frame of its own: each
matplotlib figure left open by the cell, as PNG, then closed. stdout and
stderr are the process's own fds 1 and 2, read by the library while the cell
runs; with "stdio" the request brings two pipes that are fds 1 and 2 for that
cell only. Both are flushed before every reply. "env" and "cwd" hold for the
cell only: the variables and the working directory are put back after it.
"""

import ast
import builtins
import io
import linecache
import os
import sys
import traceback
import types

# From this file's folder, still sys.path[0] here (main() takes it off), and
# out of sys.modules at once: a user's own kernel_channel.py in /workspace
# must not get this one.
import kernel_channel as _channel
del sys.modules["kernel_channel"]

KERNEL_FILE = os.path.abspath(__file__)

# The kernel's own references: a cell that rebinds os.dup2 or os.chdir must
# not break the kernel (the channel keeps its own the same way).
_dup2, _chdir, _getcwd, _write = os.dup2, os.chdir, os.getcwd, os.write
_strerror = os.strerror
_environ = os.environ


def _warn(message):
    try:
        sys.stderr.write("codeinterp: %s\n" % message)
    except BaseException:
        pass


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
        self.home = os.getcwd()
        # the kernel's own fds 1 and 2, put back after a cell with its own pipes
        self.stdout_fd = _channel.high_fd(1)
        self.stderr_fd = _channel.high_fd(2)

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
            reply["displays"] = _channel.displays_within_bounds(self._collect_figures(), _warn)
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
                displays.append(("image/png", buf.getvalue()))
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


class CallContext:
    """What one execute request changes for its cell (fds 1 and 2, the
    environment, the working directory) and how it is put back."""

    def __init__(self, kernel, request, fds):
        self.kernel = kernel
        self.fds = fds if request.get("stdio") is True and len(fds) == 2 else []
        if not self.fds:
            _channel.close_fds(fds)
        env = request.get("env")
        self.env = env if isinstance(env, dict) else {}
        self.cwd = request.get("cwd")
        self.saved_env = {}
        self.saved_cwd = None

    def enter(self):
        """None, or the error reply when the cell must not run."""
        if self.fds:
            Kernel._flush()
            _dup2(self.fds[0], 1)
            _dup2(self.fds[1], 2)
        for name, value in self.env.items():
            if not isinstance(name, str) or not isinstance(value, str):
                continue
            old = _environ.get(name)
            try:
                _environ[name] = value
            except (ValueError, OSError):  # a NUL or '=' the library lets through
                continue
            self.saved_env.setdefault(name, old)
        if self.cwd is None:
            return None
        try:
            self.saved_cwd = _getcwd()
        except OSError:  # the cwd of an earlier cell was removed
            self.saved_cwd = self.kernel.home
        try:
            _chdir(self.cwd)
        except (OSError, ValueError, TypeError) as e:
            self.saved_cwd = None
            reason = _strerror(e.errno) if isinstance(e, OSError) and e.errno else str(e)
            message = "cannot enter %s: %s" % (self.cwd, reason)
            try:
                _write(2, ("codeinterp: %s\n" % message).encode("utf-8", "replace"))
            except OSError:
                pass
            return {"status": "error", "exit_code": 1, "value": None, "displays": [],
                    "error": {"name": "WorkingDirectoryError", "value": message,
                              "traceback": ""}}
        return None

    def leave(self):
        if self.saved_cwd is not None:
            try:
                _chdir(self.saved_cwd)
            except OSError:
                try:
                    _chdir(self.kernel.home)
                except OSError:
                    pass
        for name, value in self.saved_env.items():
            try:
                if value is None:
                    _environ.pop(name, None)
                else:
                    _environ[name] = value
            except (ValueError, OSError):
                pass
        if self.fds:
            # what the cell wrote goes to its pipes; then the kernel's own fds
            # back, and no copy of the call's pipes kept
            Kernel._flush()
            _dup2(self.kernel.stdout_fd, 1)
            _dup2(self.kernel.stderr_fd, 2)
            _channel.close_fds(self.fds)


def main():
    channel = _channel.Channel(_channel.move_control_fd())
    channel.greet()
    # The working directory (/workspace) is where users put their modules.
    if sys.path and os.path.abspath(sys.path[0] or ".") == os.path.dirname(KERNEL_FILE):
        sys.path[0] = ""
    else:
        sys.path.insert(0, "")
    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    kernel = Kernel()
    while True:
        frame = channel.read_frame()
        if frame is None:
            return
        request, fds = frame
        if request is None or request.get("op") != "execute":
            _channel.close_fds(fds)
            reply = {"status": "error", "exit_code": 1, "value": None,
                     "error": {"name": "ProtocolError", "value": "unknown op", "traceback": ""}}
        else:
            call = CallContext(kernel, request, fds)
            try:
                reply = call.enter()
                if reply is None:
                    code = request.get("code", "")
                    reply = kernel.run_cell(code if isinstance(code, str) else "")
            finally:
                call.leave()
        parts = _channel.reply_parts(reply, reply.pop("displays", None) or [])
        channel.write_frame(_channel.echo(reply, request), parts)


if __name__ == "__main__":
    main()
