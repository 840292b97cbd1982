# SPDX-License-Identifier: MIT
"""CodeInterpreterClient: the settings of sandboxes (a ci_config), one-shot
executions and the sessions made from it."""
import ctypes
import os
import re
import threading
import weakref
from contextlib import contextmanager

from . import _exec, _names, errors
from ._clib import AUDIT_CALLBACK, check, lib, take_buffer, text
from .session import Session

__all__ = ["CodeInterpreterClient", "verify_audit_file"]

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)


def _invalid(message):
    return errors.InvalidArgumentError(message, code=errors.InvalidArgumentError.code)


def _uint(bits):
    def convert(value, what):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("%s must be an int, not %r" % (what, value))
        if not 0 <= value < (1 << bits):
            raise _invalid("%s is out of range: %r" % (what, value))
        return value
    return convert


def _size(bits):
    """Bytes as an int, or a str such as "512M", "2GiB", "1.5g" (powers of 1024)."""
    as_int = _uint(bits)

    def convert(value, what):
        if isinstance(value, str):
            m = _SIZE.match(value)
            if not m:
                raise _invalid("%s: cannot read %r as a size (e.g. 512M, 2G)" % (what, value))
            value = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
        return as_int(value, what)
    return convert


def _millicpus(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("%s must be a number of CPUs, not %r" % (what, value))
    return _uint(32)(round(value * 1000), what)


def _path(value, what):
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError("%s must be a path, not %r" % (what, value))
    return os.fsencode(value)


def _text(value, what):
    if not isinstance(value, str):
        raise TypeError("%s must be a str, not %r" % (what, value))
    return value.encode("utf-8")


def _flag(value, _what):
    return 1 if value else 0


# keyword option: (config setter, converter). Sizes are bytes, times seconds.
_OPTIONS = {
    "timeout": ("ci_config_set_exec_timeout_ms", _names.seconds_to_ms),
    "idle_timeout": ("ci_config_set_idle_timeout_ms", _names.seconds_to_ms),
    "session_lifetime": ("ci_config_set_session_lifetime_ms", _names.seconds_to_ms),
    "network": ("ci_config_set_network", _names.network_code),
    "memory_limit": ("ci_config_set_memory_limit", _size(64)),
    "cpu_limit": ("ci_config_set_cpu_limit", _millicpus),
    "cgroup_mode": ("ci_config_set_cgroup_mode", _names.cgroup_mode_code),
    "cgroup_parent": ("ci_config_set_cgroup_parent", _path),
    "workspace_size": ("ci_config_set_workspace_size", _size(64)),
    "allow_tmpfs_state": ("ci_config_set_allow_tmpfs_state", _flag),
    "output_limit": ("ci_config_set_output_limit", _size(8 * ctypes.sizeof(ctypes.c_size_t))),
    "max_processes": ("ci_config_set_max_processes", _uint(32)),
    "max_open_files": ("ci_config_set_max_open_files", _uint(32)),
    "max_file_size": ("ci_config_set_max_file_size", _size(64)),
    "tmp_size": ("ci_config_set_tmp_size", _size(64)),
    "upload_limit": ("ci_config_set_upload_limit", _size(64)),
    "max_tasks": ("ci_config_set_max_tasks", _uint(32)),
    "task_output_limit": ("ci_config_set_task_output_limit",
                          _size(8 * ctypes.sizeof(ctypes.c_size_t))),
    "helper_path": ("ci_config_set_helper_path", _path),
    "kernel_dir": ("ci_config_set_kernel_dir", _path),
    "runtime_dir": ("ci_config_set_runtime_dir", _path),
    "state_dir": ("ci_config_set_state_dir", _path),
    "audit_file": ("ci_config_set_audit_file", _path),
    "audit_fsync": ("ci_config_set_audit_fsync", _flag),
    "audit_principal": ("ci_config_set_audit_principal", _text),
    "s3_region": ("ci_config_set_s3_region", _text),
    "s3_endpoint": ("ci_config_set_s3_endpoint", _text),
    "s3_ca_file": ("ci_config_set_s3_ca_file", _path),
    "s3_multipart_threshold": ("ci_config_set_s3_multipart_threshold", _size(64)),
    "s3_part_size": ("ci_config_set_s3_part_size", _size(64)),
    "s3_parallel_parts": ("ci_config_set_s3_parallel_parts", _uint(32)),
    "s3_max_attempts": ("ci_config_set_s3_max_attempts", _uint(32)),
}
# Set together with one ci_config_set_s3_credentials call.
_S3_CREDENTIALS = ("s3_access_key_id", "s3_secret_access_key", "s3_session_token")


def _audit_callback(fn):
    """A C audit callback calling fn(line) with each record as str (without
    the final newline). Exceptions are printed by ctypes and otherwise
    ignored: the record is already on the trail."""
    if not callable(fn):
        raise TypeError("on_audit must be callable, not %r" % (fn,))

    def call(data, length, _user_data):
        fn(ctypes.string_at(data, length).decode("utf-8", errors="replace").rstrip("\n"))
    return AUDIT_CALLBACK(call)


class CodeInterpreterClient:
    """Settings for sandboxes, and the way to get them.

    Keyword options (all optional; sizes in bytes or as "512M" / "2G", times
    in seconds, rounded up to whole milliseconds, names in any case; the
    library checks times and names, ci_timeout_ms_from_seconds and the
    ci_*_from_name calls):
        timeout: per-execution time limit (default 900, at most 28800).
        idle_timeout: a session unused this long is killed (default 900, at
            most 28800).
        session_lifetime: a session is killed this long after it was
            created, used or not, a running execution included (default:
            no such limit; at most 28800).
        network: "none" (default: loopback only) or "host" (unsafe for
            untrusted code).
        memory_limit: memory of the whole sandbox, without swap (default 2G).
        cpu_limit: CPU quota in CPUs, e.g. 0.5 or 2 (default 2).
        cgroup_mode: "auto" (default), "v1", "v2" or "none" (rlimits only:
            no CPU quota, no metering).
        cgroup_parent: the delegated cgroup under which sessions go.
        workspace_size: cap of /workspace (default 10G; 0 for an uncapped
            directory, the only choice for a non-root host). Its blocks are
            reserved on the host when the session starts.
        allow_tmpfs_state: accept workspace images in a state dir on tmpfs
            (host memory, outside the memory limit; refused by default).
        output_limit: stdout and stderr bytes kept per execution (16M).
        max_processes, max_open_files, max_file_size, tmp_size, upload_limit.
        max_tasks: background tasks running at once per session (1 .. 1024,
            default 16); one more raises TooManyError.
        task_output_limit: stdout and stderr bytes buffered per task (each;
            4K .. 256M, default 1M); past it the oldest are dropped.
        env: dict of environment variables for the sandbox (None removes).
        audit_file: append audit records to this file; audit_fsync: fsync each.
        audit_principal: who acts through the sessions (e.g. a caller's key
            id), written as "principal" in each of their audit records.
        s3_access_key_id, s3_secret_access_key, s3_session_token: S3
            credentials (default: the AWS_* environment variables).
        s3_region, s3_endpoint (an S3-compatible store, path-style),
        s3_ca_file, s3_multipart_threshold, s3_part_size, s3_parallel_parts,
        s3_max_attempts: the other S3 settings (default: AWS_REGION,
            AWS_ENDPOINT_URL_S3, ... then the library's defaults).
        on_audit: callable receiving each audit record (a JSON line, str).
        helper_path, kernel_dir, runtime_dir, state_dir: where the library
            finds its parts (default: the install locations, or the
            CODEINTERP_* environment variables).
        uid_range: (base, count) of host uids for sessions of a root host.

    An option out of range raises InvalidArgumentError; an unknown keyword
    raises TypeError. The client holds no sandbox itself: execute() makes a
    throwaway one, create_session() a lasting one. Sessions keep working
    after the client is closed.
    """

    def __init__(self, **options):
        out = ctypes.c_void_p()
        check(lib.ci_config_new(ctypes.byref(out)))
        self._config = out
        self._finalizer = weakref.finalize(self, lib.ci_config_free, out)
        self._audit_cb = None
        # close() waits until no call is using the config on another thread
        self._idle = threading.Condition()
        self._users = 0
        try:
            credentials = [options.pop(k, None) for k in _S3_CREDENTIALS]
            for key, value in options.items():
                self._set(key, value)
            if any(v is not None for v in credentials):
                check(lib.ci_config_set_s3_credentials(
                    self._config, *(None if v is None else _text(v, k)
                                    for k, v in zip(_S3_CREDENTIALS, credentials))))
        except BaseException:
            self.close()
            raise

    def _set(self, key, value):
        c = self._config
        if key in _OPTIONS:
            setter, convert = _OPTIONS[key]
            if value is None and key in ("cgroup_parent", "audit_file", "s3_region",
                                         "s3_endpoint", "s3_ca_file"):
                check(getattr(lib, setter)(c, None))
            else:
                check(getattr(lib, setter)(c, convert(value, key)))
        elif key == "env":
            for name, val in dict(value).items():
                check(lib.ci_config_set_env(c, os.fsencode(name),
                                            None if val is None else os.fsencode(str(val))))
        elif key == "uid_range":
            base, count = value
            check(lib.ci_config_set_uid_range(c, _uint(32)(base, "uid_range base"),
                                              _uint(32)(count, "uid_range count")))
        elif key == "on_audit":
            cb = None if value is None else _audit_callback(value)
            check(lib.ci_config_set_audit_callback(c, cb, None))
            # sessions copy the config, pointer included: keep the callback
            # alive as long as this client and every session made from it
            self._audit_cb = cb
        else:
            raise TypeError("CodeInterpreterClient got an unknown option %r" % key)

    @contextmanager
    def _config_in_use(self):
        with self._idle:
            if not self._finalizer.alive:
                raise ValueError("the CodeInterpreterClient was closed")
            self._users += 1
        try:
            yield self._config
        finally:
            with self._idle:
                self._users -= 1
                self._idle.notify_all()

    def execute(self, code, language="python", timeout=None, clear_context=False,
                on_stdout=None, on_stderr=None, input_s3_uri=None, output_s3_uri=None,
                on_progress=None, *, env=None, cwd=None, kill_leftovers=False):
        """Runs `code` once in a fresh sandbox, destroyed before returning,
        and returns its ExecutionResult (the code's own errors are in
        result.status and result.error, not raised). language="shell" runs
        a command line with /bin/sh -c. Options as Session.execute(); a
        sandbox that cannot be built raises SandboxError or LimitError."""
        with self._config_in_use() as config:
            return _exec.execute(lib.ci_execute_oneshot, config, code, language=language,
                                 timeout=timeout, clear_context=clear_context,
                                 on_stdout=on_stdout, on_stderr=on_stderr,
                                 input_s3_uri=input_s3_uri, output_s3_uri=output_s3_uri,
                                 on_progress=on_progress, env=env, cwd=cwd,
                                 kill_leftovers=kill_leftovers)

    def create_session(self):
        """A new Session (also a context manager). Raises SandboxError naming
        the isolation layer that could not be set up, LimitError when no
        cgroup can enforce the limits."""
        out = ctypes.c_void_p()
        with self._config_in_use() as config:
            check(lib.ci_session_create(config, ctypes.byref(out)))
        return Session(self, out)

    def audit_access_denied(self, principal, reason, message=None):
        """Puts on this client's audit trail that a caller (claiming the
        identity `principal`, or None) was refused before reaching any
        session, for `reason` (a short word), with `message` as detail
        (ci_audit_access_denied). Does nothing without an audit sink."""
        args = [None if v is None else _text(v, k)
                for k, v in (("principal", principal), ("reason", reason), ("message", message))]
        with self._config_in_use() as config:
            check(lib.ci_audit_access_denied(config, *args))

    def close(self):
        """Frees the settings, once one-shot executions running on other
        threads are done. Sessions made from them keep working."""
        with self._idle:
            self._idle.wait_for(lambda: self._users == 0)
            self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def verify_audit_file(path):
    """Checks the hash chain of an audit file and returns its number of
    records; raises AuditError naming the first bad line when it does not
    verify, NoSuchFileError when the file is missing."""
    records = ctypes.c_uint64()
    problem = ctypes.c_void_p()
    rc = lib.ci_audit_verify_file(os.fsencode(path), ctypes.byref(records), ctypes.byref(problem))
    if rc == errors.AuditError.code and problem.value:
        check(rc, message=take_buffer(problem).decode("utf-8", errors="replace"))
    check(rc)
    return records.value


def version():
    """Version of the loaded library, "MAJOR.MINOR.PATCH"."""
    return text(lib.ci_version())
