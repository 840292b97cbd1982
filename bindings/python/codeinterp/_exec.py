# SPDX-License-Identifier: MIT
"""One execution: the ci_exec_options of a call, its streaming callbacks, and
the call itself (ci_execute or ci_execute_command on a session, or
ci_execute_oneshot)."""
import codecs
import collections.abc
import ctypes
import os

from . import errors
from ._clib import OUTPUT_CALLBACK, PROGRESS_CALLBACK, check, lib, text
from ._names import language_code, seconds_to_ms
from .result import ExecutionResult


class _Stream:
    """An on_stdout / on_stderr callable seen from C: chunks are decoded as
    UTF-8 across chunk boundaries, and an exception stops the execution
    instead of escaping into C (ctypes would print and drop it)."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError("an output callback must be callable, not %r" % (fn,))
        self.fn = fn
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self.error = None
        # kept here, referenced by the options object, for as long as C may call it
        self.c_callback = OUTPUT_CALLBACK(self._call)

    def _call(self, data, length, _user_data):
        if self.error is not None:
            return 1
        try:
            chunk = self.decoder.decode(ctypes.string_at(data, length))
            if chunk:
                self.fn(chunk)
            return 0
        except errors.StopExecution:
            return 1
        except BaseException as e:  # noqa: B902 - re-raised by execute()
            self.error = e
            return 1

    def finish(self):
        """Hands over what the decoder still holds (an incomplete UTF-8
        sequence at the very end), unless the callback already failed."""
        if self.error is None:
            tail = self.decoder.decode(b"", final=True)
            if tail:
                self.fn(tail)


UNKNOWN_SIZE = (1 << 64) - 1


class _Progress:
    """An on_progress callable seen from C: fn(uri, bytes_done, bytes_total),
    bytes_total None while unknown. StopExecution stops the transfer (it
    fails with CanceledError); any other exception too, and is raised again
    by execute()."""

    def __init__(self, fn):
        if not callable(fn):
            raise TypeError("on_progress must be callable, not %r" % (fn,))
        self.fn = fn
        self.error = None
        self.c_callback = PROGRESS_CALLBACK(self._call)

    def _call(self, uri, done, total, _user_data):
        if self.error is not None:
            return 1
        try:
            self.fn(uri.decode("utf-8", errors="replace"), done,
                    None if total == UNKNOWN_SIZE else total)
            return 0
        except errors.StopExecution:
            return 1
        except BaseException as e:  # noqa: B902 - re-raised by execute()
            self.error = e
            return 1

    def finish(self):
        pass


class ExecOptions:
    """A ci_exec_options handle for one call; a context manager that frees it."""

    def __init__(self, language="python", timeout=None, clear_context=False,
                 on_stdout=None, on_stderr=None, input_s3_uri=None, output_s3_uri=None,
                 on_progress=None, env=None, cwd=None, kill_leftovers=False, cancel=None):
        self.streams = []  # the callback objects C holds while the options live
        self.cancel = None
        out = ctypes.c_void_p()
        check(lib.ci_exec_options_new(ctypes.byref(out)))
        self.handle = out
        try:
            check(lib.ci_exec_options_set_language(self.handle, language_code(language)))
            if timeout is not None:
                check(lib.ci_exec_options_set_timeout_ms(
                    self.handle, seconds_to_ms(timeout, "timeout")))
            check(lib.ci_exec_options_set_clear_context(self.handle, 1 if clear_context else 0))
            for fn, setter in ((on_stdout, lib.ci_exec_options_set_stdout_callback),
                               (on_stderr, lib.ci_exec_options_set_stderr_callback)):
                if fn is not None:
                    stream = _Stream(fn)
                    check(setter(self.handle, stream.c_callback, None))
                    self.streams.append(stream)
            if input_s3_uri is not None:
                check(lib.ci_exec_options_set_input_s3_uri(self.handle, _uri(input_s3_uri)))
            if output_s3_uri is not None:
                check(lib.ci_exec_options_set_output_s3_uri(self.handle, _uri(output_s3_uri)))
            if on_progress is not None:
                progress = _Progress(on_progress)
                check(lib.ci_exec_options_set_progress_callback(
                    self.handle, progress.c_callback, None))
                self.streams.append(progress)
            # set only when asked for, so that a library without these calls
            # still runs everything else
            if env is not None:
                for name, value in _env_items(env):
                    rc = lib.ci_exec_options_set_env(self.handle, name, value)
                    if rc < 0:
                        check(rc, message="env %s: %s" % (
                            os.fsdecode(name), text(lib.ci_last_error())))
            if cwd is not None:
                check(lib.ci_exec_options_set_cwd(self.handle, _c_string(cwd, "cwd")))
            if kill_leftovers:
                check(lib.ci_exec_options_set_kill_leftovers(self.handle, 1))
            if cancel is not None:
                check(lib.ci_exec_options_set_cancel(self.handle, cancel.handle))
                self.cancel = cancel  # C holds its handle while the options live
        except BaseException:
            self.close()
            raise

    def close(self):
        if self.handle:
            lib.ci_exec_options_free(self.handle)
            self.handle = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _invalid(message):
    return errors.InvalidArgumentError(message, code=errors.InvalidArgumentError.code)


def _c_string(value, what):
    """A str (in the file system encoding, as os.fsencode), bytes or
    os.PathLike as bytes without NUL for the library."""
    if not isinstance(value, (str, bytes, os.PathLike)):
        raise TypeError("%s must be a str or path, not %r" % (what, value))
    value = os.fsencode(value)
    if b"\0" in value:
        raise _invalid("%s must not contain a NUL character" % what)
    return value


def _env_items(env):
    """(name, value) pairs of an env mapping as bytes; the library checks
    the names and sizes."""
    if not isinstance(env, collections.abc.Mapping):
        raise TypeError("env must be a mapping of names to values, not %r" % (env,))
    items = []
    for name, value in env.items():
        if not isinstance(name, (str, bytes)):
            raise TypeError("env names must be str, not %r" % (name,))
        shown = os.fsdecode(name)
        if not isinstance(value, (str, bytes)):
            raise TypeError("env %s: the value must be a str, not %r" % (shown, value))
        items.append((_c_string(name, "env name"), _c_string(value, "env %s" % shown)))
    return items


def _uri(uri):
    if not isinstance(uri, str):
        raise TypeError("an S3 URI must be a str, not %r" % (uri,))
    return uri.encode("utf-8")


def source(code, what="code"):
    """Code or a command line (str or bytes) as bytes for the library."""
    if isinstance(code, bytes):
        raw = code
    elif isinstance(code, str):
        raw = code.encode("utf-8")
    else:
        raise TypeError("%s must be str or bytes, not %r" % (what, type(code).__name__))
    if b"\0" in raw:
        raise _invalid("%s must not contain a NUL character" % what)
    return raw


def execute(call, target, code, session=None, what="code", **options):
    """Runs `call` (lib.ci_execute, lib.ci_execute_command or
    lib.ci_execute_oneshot) on `target` (a session or config handle) and
    returns an ExecutionResult. `session` is the handle whose last error
    explains a failure (None for one-shot); `what` names `code` in errors."""
    raw = source(code, what)
    with ExecOptions(**options) as opts:
        out = ctypes.c_void_p()
        rc = call(target, raw, opts.handle, ctypes.byref(out))
        failed = [cb.error for cb in opts.streams if cb.error is not None]
        if rc < 0 and not failed:
            check(rc, session)
        result = ExecutionResult(out) if rc >= 0 else None
        # a callback's own exception wins over what its stop caused
        if failed:
            if result is not None:
                result.close()
            raise failed[0]
        for stream in opts.streams:
            stream.finish()
        return result
