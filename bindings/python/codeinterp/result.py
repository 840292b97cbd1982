# SPDX-License-Identifier: MIT
"""Results of executions, and the small records the session calls return."""
import ctypes
import json
import weakref
from collections import namedtuple

from . import errors
from ._clib import check, has, lib, take_buffer, text
from ._names import cgroup_mode_name

__all__ = ["ExecutionResult", "ExecutionError", "Image", "Artifact", "DeniedSyscall",
           "S3Upload", "FileInfo", "FileList", "Usage"]

ExecutionError = namedtuple("ExecutionError", "name value traceback")
ExecutionError.__doc__ = """The exception the code raised (or its non-zero exit):
name ("ZeroDivisionError"), value ("division by zero"), traceback (text or None)."""

Image = namedtuple("Image", "data mime_type")
Image.__doc__ = """A display output of the execution (a matplotlib figure):
data (bytes) and mime_type ("image/png")."""

Artifact = namedtuple("Artifact", "path size mime_type")
Artifact.__doc__ = """A regular file the execution created or changed: path inside
the sandbox ("/workspace/out.csv"), size in bytes, mime_type guessed from the
extension."""

DeniedSyscall = namedtuple("DeniedSyscall", "name times")
DeniedSyscall.__doc__ = """A system call the sandbox refused during the execution: name
("mount", "i386 getpid", "syscall 1234") and how many times."""

S3Upload = namedtuple("S3Upload", "uri path size")
S3Upload.__doc__ = """A file of /output the execution sent to S3: its s3:// uri,
path inside the sandbox ("/output/a.csv") and size in bytes."""

FileInfo = namedtuple("FileInfo", "name type size mtime")
FileInfo.__doc__ = """An entry of a session folder: name (one component), type
("file", "directory", "symlink" or "other"), size in bytes (a symbolic link's
target length), mtime in seconds since the epoch."""


class FileList(list):
    """A listing: FileInfo entries sorted by name (a list), and

    truncated: True when the folder has entries after the last one listed;
    next_token: then the `after` of Session.list_files_page() that lists
    them (None when truncated is False).
    """

    def __init__(self, entries=(), next_token=None):
        super().__init__(entries)
        self.next_token = next_token

    @property
    def truncated(self):
        return self.next_token is not None

Usage = namedtuple("Usage", "cpu_time peak_memory lifetime cpu_seconds gb_seconds")
Usage.__doc__ = """A session's resource use so far: cpu_time and lifetime in
seconds, peak_memory in bytes, and the billing figures cpu_seconds (CPU time
rounded up to whole seconds) and gb_seconds (peak GiB times the lifetime
rounded up to whole seconds). CPU and memory are 0 without a cgroup."""


def _bytes_out(getter, handle):
    length = ctypes.c_size_t()
    ptr = getter(handle, ctypes.byref(length))
    return ctypes.string_at(ptr, length.value) if ptr and length.value else b""


class ExecutionResult:
    """The outcome of one execution, whatever it was.

    The code's own failure is reported here, not raised: status is "error"
    and error holds the exception. Everything is read from the library's
    result when the object is made; the C result is kept only for to_json()
    and released by close(), by a ``with`` block or when the object is
    collected.

    Attributes:
        status: "ok", "error", "timeout", "session_expired", "oom", "killed"
            or "sandbox_error".
        ok: status == "ok".
        exit_code: 0, 1 for an uncaught exception, n for exit(n), 128+signal
            when the interpreter was killed.
        stdout, output: captured stdout as text (invalid UTF-8 replaced).
        stderr: captured stderr as text.
        stdout_bytes, stderr_bytes: the same, as captured.
        stdout_truncated, stderr_truncated: the stream passed the output limit.
        value: text of the last expression's value (Python: its repr), or None.
        error: ExecutionError(name, value, traceback), or None.
        language: "python", "javascript", "typescript" or "shell".
        execution_time: wall-clock seconds.
        cpu_time: CPU seconds of every sandbox process, or None when not
            measured (cgroup mode "none").
        peak_memory: peak memory in bytes, or None when not measured.
        images: list of Image(data, mime_type) of the image displays
            (image/png, jpeg, gif, webp).
        displays: every display output, images and text/plain alike, as
            Image(data, mime_type).
        artifacts: list of Artifact(path, size, mime_type).
        artifacts_truncated: the workspace held more files than were examined.
        limits_mode: how the execution was limited and metered: "v1", "v2"
            (cgroups) or "none" (rlimits only); None with a library too old
            to say.
        denied_syscalls: list of DeniedSyscall(name, times) the seccomp
            policy refused.
        stray_output_bytes: bytes that processes left running by earlier
            executions (a background job, a subprocess of an earlier cell)
            wrote while this one ran; kept out of stdout and stderr and
            discarded (Python and shell commands only; 0 with a library
            too old to say).
        s3_uploads: list of S3Upload(uri, path, size) sent to output_s3_uri.
        s3_upload_error: None when every file of /output was sent, else the
            CodeInterpreterError (not raised) that stopped the uploads; the
            files of s3_uploads were sent whole.
    """

    def __init__(self, result_handle):
        self._handle = result_handle
        self._finalizer = weakref.finalize(self, lib.ci_result_free, result_handle)
        r = result_handle
        self.status = text(lib.ci_status_name(lib.ci_result_status(r))) or "unknown"
        self.exit_code = lib.ci_result_exit_code(r)
        self.stdout_bytes = _bytes_out(lib.ci_result_stdout, r)
        self.stderr_bytes = _bytes_out(lib.ci_result_stderr, r)
        self.stdout_truncated = bool(lib.ci_result_stdout_truncated(r))
        self.stderr_truncated = bool(lib.ci_result_stderr_truncated(r))
        self.value = text(lib.ci_result_value(r))
        name = text(lib.ci_result_error_name(r))
        self.error = None if name is None else ExecutionError(
            name, text(lib.ci_result_error_value(r)), text(lib.ci_result_error_traceback(r)))
        self.language = text(lib.ci_language_name(lib.ci_result_language(r)))
        self.execution_time = lib.ci_result_wall_ms(r) / 1000.0
        cpu_ms = lib.ci_result_cpu_ms(r)
        self.cpu_time = None if cpu_ms < 0 else cpu_ms / 1000.0
        self.peak_memory = lib.ci_result_peak_memory_bytes(r) or None
        self.displays = []
        for i in range(lib.ci_result_display_count(r)):
            length = ctypes.c_size_t()
            ptr = lib.ci_result_display_data(r, i, ctypes.byref(length))
            data = ctypes.string_at(ptr, length.value) if ptr else b""
            self.displays.append(Image(data, text(lib.ci_result_display_mime_type(r, i))))
        self.images = [d for d in self.displays if d.mime_type.startswith("image/")]
        self.artifacts = [
            Artifact(text(lib.ci_result_artifact_path(r, i)),
                     lib.ci_result_artifact_size(r, i),
                     text(lib.ci_result_artifact_mime_type(r, i)))
            for i in range(lib.ci_result_artifact_count(r))]
        self.artifacts_truncated = bool(lib.ci_result_artifacts_truncated(r))
        self.limits_mode = (cgroup_mode_name(lib.ci_result_limits_mode(r))
                            if has("ci_result_limits_mode") else None)
        self.denied_syscalls = [
            DeniedSyscall(text(lib.ci_result_denied_syscall_name(r, i)),
                          lib.ci_result_denied_syscall_times(r, i))
            for i in range(lib.ci_result_denied_syscall_count(r)
                           if has("ci_result_denied_syscall_count") else 0)]
        self.stray_output_bytes = (lib.ci_result_stray_output_bytes(r)
                                   if has("ci_result_stray_output_bytes") else 0)
        self.s3_uploads = [
            S3Upload(text(lib.ci_result_s3_upload_uri(r, i)),
                     text(lib.ci_result_s3_upload_path(r, i)),
                     lib.ci_result_s3_upload_size(r, i))
            for i in range(lib.ci_result_s3_upload_count(r)
                           if has("ci_result_s3_upload_count") else 0)]
        code = lib.ci_result_s3_upload_error(r) if has("ci_result_s3_upload_error") else 0
        self.s3_upload_error = None if code >= 0 else errors.error_for(
            code, text(lib.ci_result_s3_upload_error_message(r)) or text(lib.ci_strerror(code)),
            text(lib.ci_strerror(code)))

    @property
    def ok(self):
        return self.status == "ok"

    @property
    def stdout(self):
        return self.stdout_bytes.decode("utf-8", errors="replace")

    output = stdout

    @property
    def stderr(self):
        return self.stderr_bytes.decode("utf-8", errors="replace")

    def to_json(self):
        """The result as the library serializes it (ci_result_to_json): one
        JSON object in the MCP CallToolResult shape, as a str."""
        if not self._finalizer.alive:
            raise ValueError("the result was closed")
        out = ctypes.c_void_p()
        check(lib.ci_result_to_json(self._handle, ctypes.byref(out)))
        return take_buffer(out).decode("utf-8")

    def to_dict(self):
        """to_json(), parsed."""
        return json.loads(self.to_json())

    def close(self):
        """Releases the library's result; every attribute stays readable."""
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return "<ExecutionResult status=%s exit_code=%d>" % (self.status, self.exit_code)
