# SPDX-License-Identifier: MIT
"""libcodeinterp's shell kernel: runs shell commands and background tasks
sent by the library, inside the sandbox.

Run as `python3 -I -S -B shell_kernel.py` with the control socket on fd 3
and /workspace as its working directory; stdlib only. Frames as in
kernel_channel.py; the ops (doc/protocol.md §2, "The shell kernel"):

  execute     {"code", "env"?, "cwd"?, "stdio"?}: `/bin/sh -c code` in a child
              of its own process group; the reply comes when that shell
              exits: exit_code its status, or 128+n when killed by signal n.
  task_start  {"task", "command", "env"?, "cwd"?, "max_tasks", "output_limit"}:
              `/bin/sh -c command` in its own session, its stdout and stderr
              read into rings of output_limit bytes; replies a snapshot.
  task_get    {"task", "from": [stdout offset, stderr offset]}: a snapshot.
  task_stop   {"task"}: kills the task's process group; a snapshot.

One epoll loop serves the control socket, the running command's pidfd and
every task's pipes and pidfd, so tasks keep being read and reaped while a
command runs. Requests that arrive while a command runs wait for its reply.
At end of file on the control socket every task's process group is killed
and the kernel exits.
"""

import binascii
import os
import select
import signal
import sys
import time

# -I leaves this file's folder off sys.path; the channel module lives beside it
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kernel_channel  # noqa: E402
del sys.path[0]

SHELL = "/bin/sh"
MAX_ENDED = 64                 # ended tasks kept readable
DEFAULT_MAX_TASKS = 16
DEFAULT_OUTPUT_LIMIT = 1 << 20
READ_SIZE = 1 << 16

# Every signal back to its default in the children: Python ignores SIGPIPE
# and SIGXFSZ and handles SIGINT; a shell must see none of that.
SIGDEF = tuple(s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP))

_spawn = os.posix_spawn
_DUP2 = os.POSIX_SPAWN_DUP2
_EPOLLIN = select.EPOLLIN


def _error(name, value):
    return {"status": "error", "exit_code": 1, "value": None,
            "error": {"name": name, "value": value, "traceback": ""}}


def _signame(n):
    try:
        return signal.Signals(n).name
    except ValueError:
        if signal.SIGRTMIN <= n <= signal.SIGRTMAX:
            return "SIGRTMIN+%d" % (n - signal.SIGRTMIN)
        return "SIG%d" % n


def _exit_code(status):
    """(exit code, signal or 0) of a wait status."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return 128 + sig, sig
    return os.WEXITSTATUS(status), 0


def _environ(extra):
    if not extra:
        return os.environ
    env = dict(os.environ)
    env.update(extra)
    return env


def _valid_env(env):
    return env is None or (isinstance(env, dict) and all(
        isinstance(k, str) and isinstance(v, str) and k and "=" not in k
        and "\0" not in k and "\0" not in v for k, v in env.items()))


class Ring:
    """The newest `limit` bytes a task wrote to one stream, and how many it
    wrote in all (`end`)."""
    __slots__ = ("buf", "end", "limit")

    def __init__(self, limit):
        self.buf = bytearray()
        self.end = 0
        self.limit = limit

    def add(self, data):
        self.buf += data
        self.end += len(data)
        over = len(self.buf) - self.limit
        if over > 0:
            del self.buf[:over]  # cheap: bytearray moves its start

    def view(self, since):
        start = self.end - len(self.buf)
        offset = min(max(since, start), self.end)
        return {"data": binascii.b2a_base64(self.buf[offset - start:], newline=False).decode("ascii"),
                "offset": offset, "end": self.end}


class Task:
    __slots__ = ("id", "pid", "pidfd", "state", "status", "exit_code", "rings", "pipes",
                 "started", "ended", "rusage")

    def __init__(self, task_id, pid, limit):
        self.id = task_id
        self.pid = pid            # also its process group
        self.pidfd = -1
        self.state = "working"
        self.exit_code = None
        self.rings = (Ring(limit), Ring(limit))
        self.pipes = [-1, -1]     # read ends, -1 once at end of file
        self.started = time.monotonic()
        self.ended = None
        self.rusage = None

    def running(self):
        return self.ended is None

    def snapshot(self, since=(0, 0)):
        end = self.ended if self.ended is not None else time.monotonic()
        ru = self.rusage
        return {
            "task": self.id, "state": self.state, "exit_code": self.exit_code, "error": None,
            "stdout": self.rings[0].view(since[0]), "stderr": self.rings[1].view(since[1]),
            "wall_ms": (end - self.started) * 1000.0,
            "cpu_ms": None if ru is None else (ru.ru_utime + ru.ru_stime) * 1000.0,
            "peak_memory_bytes": 0 if ru is None else ru.ru_maxrss * 1024,
        }


class Kernel:
    def __init__(self, channel):
        self.channel = channel
        self.home = os.getcwd()
        null = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
        self.devnull = kernel_channel.high_fd(null)  # the children's stdin
        os.close(null)
        self.epoll = select.epoll()
        self.handlers = {}
        self.tasks = {}          # id -> Task, running and the kept ended ones
        self.ended = []          # ids of ended tasks, oldest first
        self.foreground = None   # (request, pid, pidfd) of the running command
        self.waiting = []        # requests that came while a command runs
        self.done = False
        self.watch(channel.fd, self.on_control)

    # -- the loop ---------------------------------------------------------

    def watch(self, fd, handler):
        self.epoll.register(fd, _EPOLLIN)
        self.handlers[fd] = handler

    def unwatch(self, fd):
        self.epoll.unregister(fd)
        del self.handlers[fd]
        os.close(fd)

    def run(self):
        poll, handlers = self.epoll.poll, self.handlers
        while not self.done:
            for fd, _events in poll():
                handler = handlers.get(fd)
                # a handler may have closed an fd whose event is still in the
                # list (and a new one may have its number): every handler
                # copes with a wake-up that has nothing for it
                if handler is not None:
                    handler()
                if self.done:
                    break

    def on_control(self):
        if not self.channel.feed():
            self.shutdown()
            return
        while True:
            frame = self.channel.next_frame()
            if frame is None:
                break
            self.waiting.append(frame)
        self.serve_waiting()

    def serve_waiting(self):
        while self.waiting and self.foreground is None:
            request, fds = self.waiting.pop(0)
            reply = self.serve(request, fds)
            if reply is not None:
                self.channel.write_frame(kernel_channel.echo(reply, request))

    def serve(self, request, fds):
        """The reply to a request, or None when an execute's reply comes
        later. Owns fds."""
        op = request.get("op") if request is not None else None
        if op == "execute":
            return self.execute(request, fds)
        kernel_channel.close_fds(fds)
        if op == "task_start":
            return self.task_start(request)
        if op == "task_get":
            return self.task_get(request)
        if op == "task_stop":
            return self.task_stop(request)
        return _error("ProtocolError", "unknown op")

    def shutdown(self):
        self.done = True
        if self.foreground is not None:
            self._killpg(self.foreground[1])
        for task in self.tasks.values():
            if task.running() or task.pipes != [-1, -1]:
                self._killpg(task.pid)

    @staticmethod
    def _killpg(pgid):
        try:
            os.killpg(pgid, signal.SIGKILL)
        except OSError:
            pass

    # -- spawning ---------------------------------------------------------

    def _spawn(self, command, env, cwd, out, err, errfd, session):
        """Starts `/bin/sh -c command`: (pid, None) or (None, error reply).
        errfd: where a working directory that cannot be entered is told, or
        -1 (a task: only the reply tells)."""
        if not _valid_env(env):
            return None, _error("ProtocolError", "env must map names to strings")
        if cwd is not None:
            if not isinstance(cwd, str):
                return None, _error("ProtocolError", "cwd must be a string")
            # posix_spawn has no chdir: the kernel goes there and back
            try:
                os.chdir(cwd)
            except (OSError, ValueError) as e:
                reason = os.strerror(e.errno) if isinstance(e, OSError) and e.errno else str(e)
                message = "cannot enter %s: %s" % (cwd, reason)
                if errfd >= 0:
                    try:
                        os.write(errfd, ("codeinterp: %s\n" % message).encode("utf-8", "replace"))
                    except OSError:
                        pass
                return None, _error("WorkingDirectoryError", message)
        actions = [(_DUP2, self.devnull, 0)]
        if out >= 0:
            actions.append((_DUP2, out, 1))
            actions.append((_DUP2, err, 2))
        # a task leads a session of its own, a command a process group; the
        # other keyword is left out: the runtime's Python (3.11) reads an
        # explicit setpgroup=None as an integer and raises TypeError
        group = {"setsid": True} if session else {"setpgroup": 0}
        try:
            pid = _spawn(SHELL, [SHELL, "-c", command], _environ(env), file_actions=actions,
                         setsigmask=(), setsigdef=SIGDEF, **group)
        except (OSError, ValueError) as e:
            return None, _error("SpawnError", "cannot start %s: %s" % (SHELL, e))
        finally:
            if cwd is not None:
                try:
                    os.chdir(self.home)
                except OSError:
                    pass
        return pid, None

    # -- execute ----------------------------------------------------------

    def execute(self, request, fds):
        out = err = -1
        if request.get("stdio") is True:
            if len(fds) != 2:
                kernel_channel.close_fds(fds)
                return _error("ProtocolError", "stdio needs 2 descriptors, got %d" % len(fds))
            out, err = fds
        else:
            kernel_channel.close_fds(fds)
            fds = []
        code = request.get("code", "")
        if not isinstance(code, str):
            kernel_channel.close_fds(fds)
            return _error("ProtocolError", "code must be a string")
        pid, reply = self._spawn(code, request.get("env"), request.get("cwd"),
                                 out, err, err if err >= 0 else 2, False)
        # the child has its copies; the kernel keeps none of the call's pipes
        kernel_channel.close_fds(fds)
        if pid is None:
            return reply
        pidfd = os.pidfd_open(pid)
        self.foreground = (request, pid, pidfd)
        self.watch(pidfd, self.on_foreground)
        return None

    def on_foreground(self):
        request, pid, pidfd = self.foreground
        got, status = os.waitpid(pid, os.WNOHANG)
        if got == 0:
            return
        self.foreground = None
        self.unwatch(pidfd)
        code, sig = _exit_code(status)
        if code == 0:
            reply = {"status": "ok", "exit_code": 0, "value": None, "error": None}
        elif sig:
            reply = {"status": "killed", "exit_code": code, "value": None,
                     "error": {"name": "Signal", "traceback": "",
                               "value": "killed by signal %d (%s)" % (sig, _signame(sig))}}
        else:
            reply = {"status": "error", "exit_code": code, "value": None, "error": None}
        self.channel.write_frame(kernel_channel.echo(reply, request))
        self.serve_waiting()

    # -- tasks ------------------------------------------------------------

    def task_start(self, request):
        task_id = request.get("task")
        command = request.get("command")
        if not isinstance(task_id, str) or not isinstance(command, str):
            return _error("ProtocolError", "task and command must be strings")
        if task_id in self.tasks:
            return _error("DuplicateTask", "task %s exists" % task_id)
        max_tasks = request.get("max_tasks", DEFAULT_MAX_TASKS)
        limit = request.get("output_limit", DEFAULT_OUTPUT_LIMIT)
        if not isinstance(max_tasks, int) or not isinstance(limit, int) or limit < 1:
            return _error("ProtocolError", "max_tasks and output_limit must be integers")
        running = sum(1 for t in self.tasks.values() if t.running())
        if running >= max_tasks:
            return _error("TooManyTasks", "%d tasks are running" % running)
        try:
            out_r, out_w = os.pipe()
            try:
                err_r, err_w = os.pipe()
            except OSError:
                kernel_channel.close_fds((out_r, out_w))
                raise
        except OSError as e:
            return _error("SpawnError", "cannot make pipes: %s" % os.strerror(e.errno))
        pid, reply = self._spawn(command, request.get("env"), request.get("cwd"),
                                 out_w, err_w, -1, True)
        kernel_channel.close_fds((out_w, err_w))
        if pid is None:
            kernel_channel.close_fds((out_r, err_r))
            return reply
        task = Task(task_id, pid, limit)
        try:
            task.pidfd = os.pidfd_open(pid)
        except OSError as e:
            self._killpg(pid)
            os.waitpid(pid, 0)
            kernel_channel.close_fds((out_r, err_r))
            return _error("SpawnError", "cannot watch the task: %s" % os.strerror(e.errno))
        self.tasks[task_id] = task
        self.watch(task.pidfd, lambda: self.on_task_exit(task))
        for i, fd in enumerate((out_r, err_r)):
            os.set_blocking(fd, False)
            task.pipes[i] = fd
            self.watch(fd, lambda i=i: self.on_task_output(task, i))
        return {"status": "ok", "task": task.snapshot()}

    def on_task_output(self, task, i):
        fd = task.pipes[i]
        if fd < 0:
            return
        try:
            data = os.read(fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            task.rings[i].add(data)
        else:
            task.pipes[i] = -1
            self.unwatch(fd)

    def drain(self, task):
        """Reads what the task's pipes hold now."""
        for i in (0, 1):
            while task.pipes[i] >= 0:
                end = task.rings[i].end
                self.on_task_output(task, i)
                if task.rings[i].end == end:  # nothing more now (or end of file)
                    break

    def on_task_exit(self, task, block=False):
        if not task.running():
            return
        got, status, rusage = os.wait4(task.pid, 0 if block else os.WNOHANG)
        if got == 0:
            return
        task.ended = time.monotonic()
        task.rusage = rusage
        task.exit_code = _exit_code(status)[0]
        # what its shell wrote before it exited is in the pipes now: take it
        # before the state says the task ended, so that a reader who sees
        # "completed" has its output (later writes of its background
        # children still come, at higher offsets)
        self.drain(task)
        if task.state == "working":
            task.state = "completed"
        self.unwatch(task.pidfd)
        task.pidfd = -1
        self.ended.append(task.id)
        while len(self.ended) > MAX_ENDED:
            self.forget(self.tasks.pop(self.ended.pop(0)))

    def forget(self, task):
        for i in (0, 1):
            if task.pipes[i] >= 0:
                self.unwatch(task.pipes[i])
                task.pipes[i] = -1

    def _task(self, request):
        task = self.tasks.get(request.get("task"))
        if task is None:
            return None, _error("NoSuchTask", "no task %s" % request.get("task"))
        return task, None

    def task_get(self, request):
        task, reply = self._task(request)
        if task is None:
            return reply
        since = request.get("from")
        if not (isinstance(since, list) and len(since) == 2
                and all(isinstance(x, int) and x >= 0 for x in since)):
            since = (0, 0)
        self.drain(task)  # what the pipes hold now, not only what the loop saw
        return {"status": "ok", "task": task.snapshot(since)}

    def task_stop(self, request):
        task, reply = self._task(request)
        if task is None:
            return reply
        if task.running():
            self._killpg(task.pid)
            task.state = "canceled"
            self.on_task_exit(task, block=True)
        elif task.pipes != [-1, -1]:
            # its shell is gone but something of its group still holds its
            # pipes (the group cannot have been reused while it does)
            self._killpg(task.pid)
        self.drain(task)
        return {"status": "ok", "task": task.snapshot()}


def main():
    # the commands run as the same user: they must not reach this process's
    # memory or descriptors, the control channel and its nonces
    kernel_channel.not_dumpable()
    channel = kernel_channel.Channel(kernel_channel.move_control_fd())
    channel.greet()
    Kernel(channel).run()


if __name__ == "__main__":
    main()
