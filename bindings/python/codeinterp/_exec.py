# SPDX-License-Identifier: MIT
"""One execution: the ci_exec_options of a call, its streaming callbacks, and
the call itself (ci_execute on a session or ci_execute_oneshot)."""
import codecs
import ctypes
import math

from . import errors
from ._clib import OUTPUT_CALLBACK, check, lib
from .result import ExecutionResult

MAX_SECONDS = 8 * 3600


def seconds_to_ms(seconds, what):
    """A time limit in seconds (int or float) as the library's milliseconds,
    rounded up; out of (0, 8 h] is an InvalidArgumentError."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError("%s must be a number of seconds, not %r" % (what, seconds))
    if not 0 < seconds <= MAX_SECONDS:
        raise errors.InvalidArgumentError(
            "%s must be more than 0 and at most %d seconds, not %r" % (what, MAX_SECONDS, seconds))
    return max(1, math.ceil(seconds * 1000))


def language_code(name):
    """The ci_language value of "python", "javascript", "typescript" (or
    "py", "js", "ts"; any case)."""
    if not isinstance(name, str):
        raise TypeError("language must be a str, not %r" % (name,))
    out = ctypes.c_int()
    check(lib.ci_language_from_name(name.encode(), ctypes.byref(out)),
          message="unknown language %r; supported: python, javascript, typescript" % name)
    return out.value


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


class ExecOptions:
    """A ci_exec_options handle for one call; a context manager that frees it."""

    def __init__(self, language="python", timeout=None, clear_context=False,
                 on_stdout=None, on_stderr=None, input_s3_uri=None, output_s3_uri=None):
        self.streams = []
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
            if input_s3_uri is not None or output_s3_uri is not None:
                raise errors.UnsupportedError(
                    "S3 input and output are not available in this binding yet",
                    code=errors.UnsupportedError.code)
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


def execute(call, target, code, session=None, **options):
    """Runs `call` (lib.ci_execute or lib.ci_execute_oneshot) on `target` (a
    session or config handle) and returns an ExecutionResult. `session` is
    the handle whose last error explains a failure (None for one-shot)."""
    if isinstance(code, bytes):
        raw = code
    elif isinstance(code, str):
        raw = code.encode("utf-8")
    else:
        raise TypeError("code must be str or bytes, not %r" % type(code).__name__)
    if b"\0" in raw:
        raise errors.InvalidArgumentError("code must not contain a NUL character",
                                          code=errors.InvalidArgumentError.code)
    with ExecOptions(**options) as opts:
        out = ctypes.c_void_p()
        check(call(target, raw, opts.handle, ctypes.byref(out)), session)
        result = ExecutionResult(out)
        for stream in opts.streams:
            stream.finish()
        for stream in opts.streams:
            if stream.error is not None:
                result.close()
                raise stream.error
        return result
