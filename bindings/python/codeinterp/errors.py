# SPDX-License-Identifier: MIT
"""The exceptions of the binding: one class per CI_E* code of the library.

Every negative code a library call returns becomes an instance of the class
registered for it here, carrying the code, the library's static text
(ci_strerror) and its detailed message (ci_session_last_error or
ci_last_error). A failure of the code being run is not an exception: it is
a result whose status is "error".

Some classes also derive from the built-in exception a Python program would
expect (ValueError for a bad argument, FileNotFoundError for a missing
file, ...), so ``except FileNotFoundError`` works as well.
"""

__all__ = [
    "CodeInterpreterError",
    "InvalidArgumentError",
    "OutOfMemoryError",
    "SandboxError",
    "UnsupportedError",
    "SessionExpiredError",
    "SessionClosedError",
    "SessionBusyError",
    "RunnerError",
    "HostIOError",
    "CanceledError",
    "TooBigError",
    "InvalidPathError",
    "NoSuchFileError",
    "ProtocolError",
    "UnknownNameError",
    "LimitError",
    "TransferError",
    "FileTypeError",
    "AuditError",
    "NoCredentialsError",
    "AccessDeniedError",
    "NoSuchBucketError",
    "NoSuchKeyError",
    "NetworkError",
    "ChecksumError",
    "TooManyError",
    "StopExecution",
]


class CodeInterpreterError(Exception):
    """Base of every error the library reports.

    Attributes:
        code: the negative CI_E* value (e.g. -13), as returned by the C call.
        name: the C name of the code ("CI_ENOENT"), or None for a code this
            binding does not know.
        strerror: the library's static text for the code.
        message: the library's detailed message for this failure (what
            ``str(error)`` shows).
    """

    code = None
    name = None

    def __init__(self, message, code=None, strerror=None):
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.strerror = strerror if strerror is not None else message

    def __str__(self):
        return self.message


_BY_CODE = {}


def _code(value, name):
    """Registers a subclass as the exception for CI_E* code `value`."""

    def register(cls):
        cls.code = value
        cls.name = name
        _BY_CODE[value] = cls
        return cls

    return register


@_code(-1, "CI_EINVAL")
class InvalidArgumentError(CodeInterpreterError, ValueError):
    """An argument is invalid (out of range, empty, ...)."""


@_code(-2, "CI_ENOMEM")
class OutOfMemoryError(CodeInterpreterError, MemoryError):
    """The host process ran out of memory inside the library."""


@_code(-3, "CI_ESANDBOX")
class SandboxError(CodeInterpreterError):
    """A sandbox layer could not be set up; the message names the layer."""


@_code(-4, "CI_EUNSUPPORTED")
class UnsupportedError(CodeInterpreterError):
    """A known option or language that this library or host does not support."""


@_code(-5, "CI_EEXPIRED")
class SessionExpiredError(CodeInterpreterError):
    """The session's idle lifetime ran out; create a new session."""


@_code(-6, "CI_ECLOSED")
class SessionClosedError(CodeInterpreterError):
    """The session's sandbox is gone (killed, crashed) or the session was closed."""


@_code(-7, "CI_EBUSY")
class SessionBusyError(CodeInterpreterError):
    """The session is executing on another thread."""


@_code(-8, "CI_ERUNNER")
class RunnerError(CodeInterpreterError):
    """The language runner could not be started or broke its protocol."""


@_code(-9, "CI_EIO")
class HostIOError(CodeInterpreterError, OSError):
    """An I/O error in the host process (disk full, audit record not written...)."""


@_code(-10, "CI_ECANCELED")
class CanceledError(CodeInterpreterError):
    """The call was canceled."""


@_code(-11, "CI_ETOOBIG")
class TooBigError(CodeInterpreterError):
    """Data exceeds a configured size limit (e.g. the upload limit)."""


@_code(-12, "CI_EPATH")
class InvalidPathError(CodeInterpreterError, ValueError):
    """A file name is not a valid relative path, or goes through a symbolic link."""


@_code(-13, "CI_ENOENT")
class NoSuchFileError(CodeInterpreterError, FileNotFoundError):
    """No such file (in the session's workspace or on the host)."""


@_code(-14, "CI_EPROTO")
class ProtocolError(CodeInterpreterError):
    """A malformed request."""


@_code(-15, "CI_EUNKNOWN")
class UnknownNameError(CodeInterpreterError, ValueError):
    """An unknown name: language, tool or option."""


@_code(-16, "CI_ELIMIT")
class LimitError(CodeInterpreterError):
    """A resource limit could not be enforced (e.g. no usable cgroup)."""


@_code(-17, "CI_ETRANSFER")
class TransferError(CodeInterpreterError):
    """A file transfer (S3) failed."""


@_code(-18, "CI_EFILETYPE")
class FileTypeError(CodeInterpreterError):
    """The file is not of a kind the call accepts (e.g. not a regular file)."""


@_code(-19, "CI_EAUDIT")
class AuditError(CodeInterpreterError):
    """An audit trail does not verify."""


# S3 failures: each is a TransferError too, so one except clause catches them.

@_code(-20, "CI_ENOCREDENTIALS")
class NoCredentialsError(TransferError):
    """No S3 credentials were set or found in the environment."""


@_code(-21, "CI_EACCESS")
class AccessDeniedError(TransferError, PermissionError):
    """S3 refused the credentials or the access."""


@_code(-22, "CI_ENOBUCKET")
class NoSuchBucketError(TransferError):
    """No such S3 bucket."""


@_code(-23, "CI_ENOKEY")
class NoSuchKeyError(TransferError):
    """No such S3 object (key), or none under a prefix."""


@_code(-24, "CI_ENETWORK")
class NetworkError(TransferError, ConnectionError):
    """S3 could not be reached (connection, timeout, TLS verification)."""


@_code(-25, "CI_ECHECKSUM")
class ChecksumError(TransferError):
    """Transferred data did not match its checksum or length."""


@_code(-26, "CI_ETOOMANY")
class TooManyError(CodeInterpreterError):
    """A per-session bound was reached, e.g. the number of background tasks
    running at once (the client option max_tasks)."""


class StopExecution(Exception):
    """Raise from an on_stdout / on_stderr callback to stop the execution.

    The execution ends with status "killed" and execute() returns its result
    normally. Any other exception raised by a callback stops the execution
    too, and execute() raises it again once the library has returned.
    """


def error_for(code, message, strerror=None):
    """The exception instance for a negative library code."""
    cls = _BY_CODE.get(code, CodeInterpreterError)
    return cls(message, code=code, strerror=strerror)
