# SPDX-License-Identifier: MIT
"""The names of the library's enumerations and its rule for time limits in
seconds, asked of the library itself (ci_*_name, ci_*_from_name,
ci_timeout_ms_from_seconds): the binding keeps no table or limit of its own,
so it accepts exactly what the C API and the CLI accept."""
import ctypes

from . import errors
from ._clib import check, lib, text


def seconds_to_ms(seconds, what):
    """A time limit in seconds (int or float) as the library's milliseconds,
    rounded up; out of (0, 8 h] is an InvalidArgumentError."""
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError("%s must be a number of seconds, not %r" % (what, seconds))
    try:
        value = float(seconds)
    except OverflowError:  # an int past any double is out of range as well
        value = float("inf")
    ms = ctypes.c_uint64()
    rc = lib.ci_timeout_ms_from_seconds(value, ctypes.byref(ms))
    if rc < 0:
        check(rc, message="%s: %s" % (what, text(lib.ci_last_error())))
    return ms.value


def language_code(name):
    """The ci_language value of "python", "javascript", "typescript",
    "shell" (or "py", "js", "ts", "sh"; any case); an unknown one is an
    UnknownNameError."""
    if not isinstance(name, str):
        raise TypeError("language must be a str, not %r" % (name,))
    out = ctypes.c_int()
    check(lib.ci_language_from_name(name.encode(), ctypes.byref(out)))
    return out.value


def _option_code(from_name, value, what):
    """The value of the option `what` named `value`, parsed by the library's
    `from_name`; anything else is an InvalidArgumentError listing the names."""
    out = ctypes.c_int()
    if isinstance(value, str) and "\0" not in value:
        if from_name(value.encode("utf-8", "replace"), ctypes.byref(out)) == 0:
            return out.value
        message = "%s: %s" % (what, text(lib.ci_last_error()))
    else:
        message = "%s must be a name, not %r" % (what, value)
    raise errors.InvalidArgumentError(message, code=errors.InvalidArgumentError.code)


def network_code(value, what):
    """The ci_network value of "none" or "host"."""
    return _option_code(lib.ci_network_from_name, value, what)


def cgroup_mode_code(value, what):
    """The ci_cgroup_mode value of "auto", "v1", "v2" or "none"."""
    return _option_code(lib.ci_cgroup_mode_from_name, value, what)


def cgroup_mode_name(mode):
    """The name of a ci_cgroup_mode value; "unknown" for one this library
    does not name."""
    return text(lib.ci_cgroup_mode_name(mode)) or "unknown"


def task_status_name(status):
    """The name of a ci_task_status value ("submitted", "working",
    "completed", "canceled", "failed"); "unknown" for one this library does
    not name."""
    return text(lib.ci_task_status_name(status)) or "unknown"
