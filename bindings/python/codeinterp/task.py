# SPDX-License-Identifier: MIT
"""Background tasks: shell commands that outlive the call that starts them
(ci_task_start, ci_task_get, ci_task_stop), followed by offsets."""
import codecs
import ctypes
import time
from collections import namedtuple

from . import errors
from ._clib import TASK_STDERR, TASK_STDOUT, check, lib, text
from ._names import task_status_name

__all__ = ["Task", "TaskOutput", "FINAL_STATUSES"]

FINAL_STATUSES = frozenset(("completed", "canceled", "failed"))

_STREAMS = (TASK_STDOUT, TASK_STDERR)


class TaskOutput(namedtuple("TaskOutput", "stdout stderr stdout_bytes stderr_bytes "
                                          "stdout_dropped stderr_dropped")):
    """What a task wrote since the previous Task.output():

    stdout, stderr: text (invalid UTF-8 replaced; a character split between
        two reads is put back together).
    stdout_bytes, stderr_bytes: the same bytes as the task wrote them.
    stdout_dropped, stderr_dropped: bytes lost before these because the task
        wrote more than the task output limit (client option
        task_output_limit) between two reads; 0 when nothing was lost.
    stdout_truncated, stderr_truncated, truncated: whether any was lost.
    """

    __slots__ = ()

    @property
    def stdout_truncated(self):
        return self.stdout_dropped > 0

    @property
    def stderr_truncated(self):
        return self.stderr_dropped > 0

    @property
    def truncated(self):
        return self.stdout_truncated or self.stderr_truncated


class Task:
    """A shell command running in the background of a session; made by
    Session.start_task().

    It runs in the session's sandbox (same files as its interpreters) in its
    own process group, until its command exits, stop() kills it, or the
    session ends (close() kills every task). The library buffers its stdout
    and stderr, up to the task output limit per stream, newest bytes kept;
    output() reads what came since the last read by offsets, so nothing is
    read twice or skipped.

    Every call asks the session and goes through it: it raises
    SessionBusyError while the session executes on another thread,
    SessionClosedError once the session was closed, SessionExpiredError
    once its idle lifetime ran out (a task does not keep a session alive;
    polling it does).

    Attributes (as of the last call that asked the session: status(),
    output(), wait(), stop()):
        id: the task's id in its session ("task-1", "task-2", ...).
        command: the command line it was started with.
        error: why a "failed" task failed, or None.
        execution_time: wall-clock seconds since it started, up to its end.
        cpu_time: CPU seconds of the processes its shell waited for, once it
            ended; None while it runs.
        peak_memory: largest resident set of one of its processes in bytes,
            once it ended; None while it runs.
    """

    def __init__(self, session, task_id, command):
        self._session = session
        self.id = task_id
        self.command = command
        self._status = "submitted"
        self._exit_code = None
        self.error = None
        self.execution_time = 0.0
        self.cpu_time = None
        self.peak_memory = None
        # per stream: the offset output() reads from next, and the end the
        # last snapshot gave (status() asks from there, so that it moves
        # only the bytes that came since; output() reads them again)
        self._read = [0, 0]
        self._seen = [0, 0]
        self._decoders = [codecs.getincrementaldecoder("utf-8")("replace") for _ in _STREAMS]

    def _take(self, info):
        """The state, exit code and times of a ci_task_info."""
        self._status = task_status_name(lib.ci_task_info_status(info))
        code = lib.ci_task_info_exit_code(info)
        self._exit_code = None if code < 0 or self._status not in FINAL_STATUSES else code
        self.error = text(lib.ci_task_info_error(info))
        self.execution_time = lib.ci_task_info_wall_ms(info) / 1000.0
        cpu_ms = lib.ci_task_info_cpu_ms(info)
        self.cpu_time = None if cpu_ms < 0 else cpu_ms / 1000.0
        self.peak_memory = lib.ci_task_info_peak_memory_bytes(info) or None

    def _get(self, offsets):
        """A snapshot (ci_task_info handle) with the output from `offsets`;
        its state, exit code and times taken. Free it with
        ci_task_info_free()."""
        info = ctypes.c_void_p()
        with self._session._use() as h:
            check(lib.ci_task_get(h, self.id.encode(), offsets[0], offsets[1],
                                  ctypes.byref(info)), h)
        try:
            self._take(info)
            for i, stream in enumerate(_STREAMS):
                self._seen[i] = max(self._seen[i], lib.ci_task_info_output_end(info, stream))
        except BaseException:
            lib.ci_task_info_free(info)
            raise
        return info

    def status(self):
        """The task's state now: "submitted", "working", "completed" (its
        command exited, whatever its exit code), "canceled" (stopped) or
        "failed" (it could not start, or was lost: the session's shell
        interpreter was killed, as on an execution's timeout). Output is
        left for output()."""
        lib.ci_task_info_free(self._get(self._seen))
        return self._status

    @property
    def exit_code(self):
        """The exit code once the task ended (the shell's; 128+n when killed
        by signal n, 137 once stopped), else None. Asks the session unless
        an ended state was already seen."""
        if self._status not in FINAL_STATUSES:
            self.status()
        return self._exit_code

    def output(self):
        """What the task wrote since the previous output() (or since it
        started), read from the library by offsets: a TaskOutput with stdout
        and stderr apart, and how many bytes of each were lost in between
        because the task wrote more than the task output limit (the library
        keeps the newest bytes). What is returned is contiguous: the bytes
        right after the lost ones, up to the newest."""
        info = self._get(self._read)
        try:
            final = self._status in FINAL_STATUSES
            fields = {}
            for i, (stream, name) in enumerate(zip(_STREAMS, ("stdout", "stderr"))):
                length = ctypes.c_size_t()
                ptr = lib.ci_task_info_output(info, stream, ctypes.byref(length))
                data = ctypes.string_at(ptr, length.value) if ptr and length.value else b""
                dropped = lib.ci_task_info_output_dropped(info, stream)
                decoder = self._decoders[i]
                # a character cut by a drop cannot be completed
                head = decoder.decode(b"", final=True) if dropped else ""
                fields[name] = head + decoder.decode(data, final=final)
                fields[name + "_bytes"] = data
                fields[name + "_dropped"] = dropped
                self._read[i] = max(self._read[i], lib.ci_task_info_output_end(info, stream))
        finally:
            lib.ci_task_info_free(info)
        return TaskOutput(**fields)

    def wait(self, timeout=None):
        """Polls the task until it has ended and returns its final status
        ("completed", "canceled" or "failed"). Raises TimeoutError when it
        still runs after `timeout` seconds (None: no limit); the task keeps
        running then. While the session executes on another thread, it
        waits for that to end. Output is left for output()."""
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
                raise TypeError("timeout must be a number of seconds, not %r" % (timeout,))
            if not timeout >= 0:
                raise errors.InvalidArgumentError(
                    "timeout must be at least 0 seconds, not %r" % (timeout,),
                    code=errors.InvalidArgumentError.code)
            deadline = time.monotonic() + timeout
        delay = 0.01
        status = self._status
        while True:
            try:
                status = self.status()
            except errors.SessionBusyError:
                pass  # the session executes on another thread: ask again later
            if status in FINAL_STATUSES:
                return status
            if timeout is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError("task %s (%s) is still %s after %g s"
                                       % (self.id, self.command, status, timeout))
                delay = min(delay, left)
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def stop(self):
        """Kills the task's whole process group; its status becomes
        "canceled". A task that had already ended keeps its status. Returns
        the status. Its output stays readable with output()."""
        info = ctypes.c_void_p()
        with self._session._use() as h:
            check(lib.ci_task_stop(h, self.id.encode(), ctypes.byref(info)), h)
        try:
            # the snapshot holds all of the buffered output, from offset 0:
            # only its state is taken, output() goes on from its offsets
            self._take(info)
        finally:
            lib.ci_task_info_free(info)
        return self._status

    def __repr__(self):
        return "<Task %s %s>" % (self.id, self._status)
