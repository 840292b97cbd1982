# SPDX-License-Identifier: MIT
"""A session: one sandbox whose interpreters and /workspace persist between
calls."""
import ctypes
import json
import os
import threading
import weakref
from contextlib import contextmanager

from . import _exec, errors
from ._clib import OUTPUT_CALLBACK, check, lib, take_buffer, text
from ._exec import _Stream
from ._names import cgroup_mode_name
from .result import FileInfo, FileList, Usage
from .task import Task

__all__ = ["Session"]

_FILE_TYPES = {1: "file", 2: "directory", 3: "symlink", 4: "other"}


def _name(file_name, what="file_name"):
    """A session file's name (relative to /workspace, or under /workspace/ or
    /output/) as bytes for the library."""
    if isinstance(file_name, (str, bytes, os.PathLike)):
        return os.fsencode(file_name)
    raise TypeError("%s must be a str, bytes or path, not %r" % (what, file_name))


def _destroy(handle):
    lib.ci_session_destroy(handle)


class Session:
    """A sandbox kept between calls; made by CodeInterpreterClient.create_session().

    Variables, imports and functions of each language persist from one
    execute() to the next, like the cells of a notebook, and so do the files
    of /workspace, the working directory of every execution. File names are
    relative to /workspace ("data.csv", "in/2024/data.csv") or absolute under
    /workspace/ or /output/ ("/output/chart.png", as artifacts are named);
    any other absolute name raises InvalidPathError.

    Use it from one thread at a time (a call made while another thread is
    inside one raises SessionBusyError); cancel() may be called from any
    thread. close() (or the end of a ``with`` block, or garbage collection)
    kills the sandbox and removes its files.
    """

    def __init__(self, client, handle):
        self._client = client  # keeps the client's audit callback alive
        self._handle = handle
        self._id = text(lib.ci_session_id(handle))
        self._busy = threading.Lock()      # one call at a time
        self._handle_lock = threading.Lock()  # cancel() against close()
        self._finalizer = weakref.finalize(self, _destroy, handle)

    @property
    def id(self):
        """The session id: 32 lowercase hex characters."""
        return self._id

    @property
    def closed(self):
        return self._handle is None

    @contextmanager
    def _use(self):
        if not self._busy.acquire(blocking=False):
            raise errors.SessionBusyError(
                "session %s is in use by another thread" % self._id,
                code=errors.SessionBusyError.code)
        try:
            if self._handle is None:
                raise errors.SessionClosedError("session %s was closed" % self._id,
                                                code=errors.SessionClosedError.code)
            yield self._handle
        finally:
            self._busy.release()

    def execute(self, code, language="python", timeout=None, clear_context=False,
                on_stdout=None, on_stderr=None, input_s3_uri=None, output_s3_uri=None,
                on_progress=None, *, env=None, cwd=None, kill_leftovers=False, cancel=None):
        """Runs `code` in this session's interpreter for `language` and returns
        an ExecutionResult, whatever the code did (check result.status).

        language: "python" (default), "javascript", "typescript", or "shell"
            (a command line, as execute_command()).
        timeout: seconds for this execution (default: the client's).
        clear_context: restart the interpreter first (files stay).
        env: dict of environment variables for this execution only, on top
            of the session's (os.environ / process.env hold them while the
            code runs); names [A-Za-z_][A-Za-z0-9_]*, values str.
        cwd: working directory of this execution, a folder under /workspace
            ("data/in" or "/workspace/data/in"; default /workspace). One
            outside it raises InvalidPathError; one that does not exist
            makes the execution fail (status "error", the reason on stderr).
        kill_leftovers: kill the processes this execution started that are
            still running when it ends (a background job, a subprocess).
            Otherwise they keep running, and what they write later is kept
            out of later results (result.stray_output_bytes counts it).
        on_stdout, on_stderr: called with each piece of text as the code
            writes it. Raising StopExecution stops the execution (status
            "killed"); any other exception stops it and is raised again here.
        input_s3_uri: "s3://bucket/key" (fetched as /data/<last part of the
            key>) or "s3://bucket/prefix/" (every object under it, into
            /data) before the code runs; a failed fetch raises its S3 error
            (NoSuchKeyError, AccessDeniedError, ... all TransferError).
        output_s3_uri: "s3://bucket/prefix/": after a successful execution
            every file under /output is sent there (result.s3_uploads,
            result.s3_upload_error).
        on_progress: called as fn(uri, bytes_done, bytes_total) during the
            transfers (bytes_total None while unknown); StopExecution stops
            the transfer.
        cancel: a codeinterp.Cancel; its request() stops this execution,
            also when made before the execution started (then nothing runs
            and the status is "killed").
        Raises SessionExpiredError when the idle lifetime ran out,
        SessionClosedError when the sandbox is gone, RunnerError when the
        interpreter could not be started, UnknownNameError for a language.
        """
        with self._use() as h:
            return _exec.execute(lib.ci_execute, h, code, session=h, language=language,
                                 timeout=timeout, clear_context=clear_context,
                                 on_stdout=on_stdout, on_stderr=on_stderr,
                                 input_s3_uri=input_s3_uri, output_s3_uri=output_s3_uri,
                                 on_progress=on_progress, env=env, cwd=cwd,
                                 kill_leftovers=kill_leftovers, cancel=cancel)

    def execute_command(self, command, *, timeout=None, env=None, cwd=None,
                        kill_leftovers=False, on_stdout=None, on_stderr=None,
                        input_s3_uri=None, output_s3_uri=None, on_progress=None,
                        cancel=None):
        """Runs one shell command line with /bin/sh -c inside the sandbox
        (never on the host) and returns an ExecutionResult like execute():
        stdout, stderr, exit_code (the shell's; 128+n when killed by signal
        n), status "ok" for exit code 0 and "error" otherwise (or "timeout",
        "killed", ...), language "shell".

        Each command runs in a fresh shell in /workspace (or `cwd`), with
        the session's environment plus `env`: cd and variables do not carry
        over to the next command, files do. The options are those of
        execute(); processes the command leaves in the background keep
        running unless kill_leftovers is true. An empty command raises
        InvalidArgumentError.
        """
        with self._use() as h:
            return _exec.execute(lib.ci_execute_command, h, command, session=h,
                                 what="command", timeout=timeout,
                                 on_stdout=on_stdout, on_stderr=on_stderr,
                                 input_s3_uri=input_s3_uri, output_s3_uri=output_s3_uri,
                                 on_progress=on_progress, env=env, cwd=cwd,
                                 kill_leftovers=kill_leftovers, cancel=cancel)

    def start_task(self, command, *, env=None, cwd=None):
        """Starts `command` (/bin/sh -c in the sandbox) as a background task
        and returns its Task at once; see Task for following it.

        env and cwd as for execute_command(). Raises TooManyError when the
        session already runs its bound of tasks (client option max_tasks),
        NoSuchFileError when `cwd` does not exist, InvalidArgumentError for
        an empty command. Tasks end with the session: close() kills them.
        """
        raw = _exec.source(command, "command")
        with _exec.ExecOptions(env=env, cwd=cwd) as opts, self._use() as h:
            out = ctypes.c_void_p()
            check(lib.ci_task_start(h, raw, opts.handle, ctypes.byref(out)), h)
            task_id = take_buffer(out).decode("ascii")
        return Task(self, task_id, command)

    def cancel(self):
        """Stops the execution running in this session on another thread, if
        any: its result has status "killed". Safe from any thread and from an
        output callback; does nothing when nothing runs or after close().
        To stop a call that may not have started yet, give it a
        codeinterp.Cancel instead."""
        with self._handle_lock:
            if self._handle is not None:
                check(lib.ci_session_cancel(self._handle))

    def upload(self, data, file_name):
        """Writes `data` (bytes-like, or str written as UTF-8) as the file
        `file_name` ("a.csv" is /workspace/a.csv; "/output/a.csv" goes to
        /output), creating folders and replacing a file; the file appears
        whole or not at all. TooBigError over the upload limit."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        data = bytes(data)
        with self._use() as h:
            check(lib.ci_upload(h, _name(file_name), data, len(data)), h)

    def upload_file(self, file_path, file_name=None):
        """Copies the host file `file_path` to the session file `file_name`
        (default: its base name in /workspace), streamed. NoSuchFileError if
        the host file is missing."""
        if file_name is None:
            file_name = os.path.basename(os.fspath(file_path))
        with self._use() as h:
            check(lib.ci_upload_file(h, _name(file_path, "file_path"), _name(file_name)), h)

    def download(self, file_name):
        """The bytes of the regular file `file_name` ("out.csv",
        "/workspace/out.csv", "/output/chart.png": an artifact's path works
        as it is). NoSuchFileError, InvalidPathError (e.g. through a symbolic
        link, or outside /workspace and /output), FileTypeError (not a plain
        regular file)."""
        data = ctypes.c_void_p()
        length = ctypes.c_size_t()
        with self._use() as h:
            check(lib.ci_download(h, _name(file_name), ctypes.byref(data),
                                  ctypes.byref(length)), h)
        return take_buffer(data, length.value)

    def download_file(self, file_name, file_path=None):
        """Without file_path, as download(). With it, copies the session file
        `file_name` to the host file `file_path` (streamed, replaced in one
        step) and returns file_path."""
        if file_path is None:
            return self.download(file_name)
        with self._use() as h:
            check(lib.ci_download_to_file(h, _name(file_name), _name(file_path, "file_path")), h)
        return file_path

    def list_files(self, path=""):
        """The entries of the folder `path` ("" for /workspace; "sub",
        "/output", "/output/sub"), as a FileList of FileInfo(name, type,
        size, mtime) sorted by name, not recursive; symbolic links are
        listed, never followed. At most FILE_LIST_MAX (10,000) entries: a
        larger folder is listed that far, with truncated True;
        list_files_page() and iter_files() go further."""
        return self._list(path, None, None)

    def list_files_page(self, path="", after=None, limit=1000):
        """One page of the folder `path`: the entries whose names sort after
        `after` (None: from the first), at most `limit` (1 to
        FILE_LIST_MAX). Its next_token is the `after` of the next page, None
        on the last one."""
        return self._list(path, after, limit)

    def iter_files(self, path="", page_size=1000):
        """Every entry of the folder `path`, in name order, fetched
        page_size at a time: memory stays bounded however large the folder
        is. Each page is a call on the session (the folder may change
        between pages: an entry there all along is yielded exactly once)."""
        after = None
        while True:
            page = self.list_files_page(path, after, page_size)
            yield from page
            if page.next_token is None:
                return
            after = page.next_token

    def _list(self, path, after, limit):
        out = ctypes.c_void_p()
        with self._use() as h:
            if limit is None:
                check(lib.ci_list_files(h, _name(path, "path"), ctypes.byref(out)), h)
            else:
                check(lib.ci_list_files_page(h, _name(path, "path"),
                                             None if after is None else _name(after, "after"),
                                             limit, ctypes.byref(out)), h)
        try:
            token = lib.ci_file_list_next_token(out)
            return FileList((FileInfo(text(lib.ci_file_list_name(out, i)),
                                      _FILE_TYPES.get(lib.ci_file_list_type(out, i), "other"),
                                      lib.ci_file_list_size(out, i),
                                      lib.ci_file_list_mtime(out, i))
                             for i in range(lib.ci_file_list_count(out))),
                            None if token is None else os.fsdecode(token))
        finally:
            lib.ci_file_list_free(out)

    def remove_file(self, file_name):
        """Removes the session file `file_name`: a file, a symbolic link (not
        its target) or a whole folder (never /workspace or /output
        themselves)."""
        with self._use() as h:
            check(lib.ci_remove_file(h, _name(file_name)), h)

    def s3_download(self, uri, file_name=None):
        """Fetches the object `uri` ("s3://bucket/key") into
        /workspace/`file_name` (default: the last part of the key), whole or
        not at all. Raises the S3 errors (TransferError and its subclasses),
        CanceledError after cancel()."""
        name = None if file_name is None else _name(file_name)
        with self._use() as h:
            check(lib.ci_s3_download(h, _exec._uri(uri), name), h)

    def s3_upload(self, file_name, uri):
        """Sends the regular file /workspace/`file_name` to `uri`, or to uri +
        file_name when uri ends with "/"."""
        with self._use() as h:
            check(lib.ci_s3_upload(h, _name(file_name), _exec._uri(uri)), h)

    def usage(self):
        """Usage(cpu_time, peak_memory, lifetime, cpu_seconds, gb_seconds) of
        the session so far."""
        out = ctypes.c_void_p()
        with self._use() as h:
            check(lib.ci_session_usage(h, ctypes.byref(out)), h)
        try:
            return Usage(lib.ci_usage_cpu_ms(out) / 1000.0,
                         lib.ci_usage_peak_memory_bytes(out),
                         lib.ci_usage_lifetime_ms(out) / 1000.0,
                         lib.ci_usage_cpu_seconds(out),
                         lib.ci_usage_gb_seconds(out))
        finally:
            lib.ci_usage_free(out)

    @property
    def limits_mode(self):
        """How the session is limited and metered: "v1", "v2" (cgroups) or
        "none" (rlimits only)."""
        with self._use() as h:
            return cgroup_mode_name(lib.ci_session_limits_mode(h))

    def invoke(self, request, *, on_stdout=None, on_stderr=None, cancel=None):
        """One AgentCore-style tool call (ci_invoke_json): `request` is a dict
        such as {"name": "executeCode", "arguments": {"code": "1 + 1"}} or its
        JSON text; returns the MCP CallToolResult as a dict. A malformed
        request is answered with isError true, not raised. on_stdout and
        on_stderr receive the output of executeCode and executeCommand as
        it comes, as for execute() (ci_invoke_json_stream); a
        codeinterp.Cancel given as `cancel` stops them (status "killed")."""
        if not isinstance(request, (str, bytes)):
            request = json.dumps(request)
        if isinstance(request, str):
            request = request.encode("utf-8")
        out = ctypes.c_void_p()
        streams = [_Stream(fn) if fn is not None else None for fn in (on_stdout, on_stderr)]
        with self._use() as h:
            if streams == [None, None] and cancel is None:
                check(lib.ci_invoke_json(h, request, ctypes.byref(out)), h)
            else:
                c_out, c_err = (s.c_callback if s else OUTPUT_CALLBACK() for s in streams)
                check(lib.ci_invoke_json_stream(h, request, c_out, c_err, None,
                                                cancel.handle if cancel is not None else None,
                                                ctypes.byref(out)), h)
        answer = json.loads(take_buffer(out).decode("utf-8"))
        for s in streams:
            if s is not None:
                s.finish()
                if s.error is not None:
                    raise s.error
        return answer

    def close(self):
        """Kills the sandbox, removes its files and frees the session. A call
        running on another thread is canceled first, and close() waits for
        it to return. Calling close() again does nothing."""
        if self._handle is None:
            return
        self.cancel()
        with self._busy:
            with self._handle_lock:
                self._handle = None
                self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<Session %s%s>" % (self._id, " closed" if self.closed else "")
