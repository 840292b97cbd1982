# SPDX-License-Identifier: MIT
"""The C library as ctypes sees it: loading, one table of signatures, and the
one place where a negative return code becomes an exception.

Nothing else in the package calls ctypes.CDLL or sets argtypes. Opaque
handles travel as c_void_p. Strings the library owns are read as c_char_p
(copied into Python bytes at once); byte buffers that may hold NUL bytes are
read as c_void_p plus a length.

The library is the file named by the CODEINTERP_LIBRARY environment variable
(e.g. a build tree's build/lib/libcodeinterp.so.1), else the versioned soname
libcodeinterp.so.1 as the dynamic loader finds it, else what
ctypes.util.find_library("codeinterp") finds. A function of the table that the loaded
library does not export (an older release) is left out: calling it raises
UnsupportedError, and has() tells beforehand.
"""
import ctypes
import ctypes.util
import os
from ctypes import (CFUNCTYPE, POINTER, c_char_p, c_double, c_int, c_int64,
                    c_size_t, c_uint32, c_uint64, c_void_p)

from . import errors

SONAME = "libcodeinterp.so.1"

handle = c_void_p
handle_out = POINTER(c_void_p)

# typedef int (*ci_output_callback)(const char *data, size_t len, void *user_data);
OUTPUT_CALLBACK = CFUNCTYPE(c_int, c_void_p, c_size_t, c_void_p)
# typedef void (*ci_audit_callback)(const char *json_line, size_t len, void *user_data);
AUDIT_CALLBACK = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p)
# typedef int (*ci_progress_callback)(const char *uri, uint64_t bytes_done,
#                                     uint64_t bytes_total, void *user_data);
PROGRESS_CALLBACK = CFUNCTYPE(c_int, c_char_p, c_uint64, c_uint64, c_void_p)

# The streams of ci_task_info_output() and its offsets.
TASK_STDOUT = 1
TASK_STDERR = 2

# name: (restype, argtypes). The order follows codeinterp.h.
FUNCTIONS = {
    # errors, version, memory
    "ci_strerror": (c_char_p, [c_int]),
    "ci_last_error": (c_char_p, []),
    "ci_version": (c_char_p, []),
    "ci_version_number": (c_uint32, []),
    "ci_free": (None, [c_void_p]),
    # enumerations
    "ci_language_from_name": (c_int, [c_char_p, POINTER(c_int)]),
    "ci_language_name": (c_char_p, [c_int]),
    "ci_network_name": (c_char_p, [c_int]),
    "ci_network_from_name": (c_int, [c_char_p, POINTER(c_int)]),
    "ci_status_name": (c_char_p, [c_int]),
    # configuration
    "ci_config_new": (c_int, [handle_out]),
    "ci_config_free": (None, [handle]),
    "ci_config_set_helper_path": (c_int, [handle, c_char_p]),
    "ci_config_set_kernel_dir": (c_int, [handle, c_char_p]),
    "ci_config_set_runtime_dir": (c_int, [handle, c_char_p]),
    "ci_config_set_state_dir": (c_int, [handle, c_char_p]),
    "ci_config_set_uid_range": (c_int, [handle, c_uint32, c_uint32]),
    "ci_timeout_ms_from_seconds": (c_int, [c_double, POINTER(c_uint64)]),
    "ci_config_set_exec_timeout_ms": (c_int, [handle, c_uint64]),
    "ci_config_set_idle_timeout_ms": (c_int, [handle, c_uint64]),
    "ci_config_set_session_lifetime_ms": (c_int, [handle, c_uint64]),
    "ci_config_set_network": (c_int, [handle, c_int]),
    "ci_config_set_output_limit": (c_int, [handle, c_size_t]),
    "ci_config_set_max_processes": (c_int, [handle, c_uint32]),
    "ci_config_set_max_open_files": (c_int, [handle, c_uint32]),
    "ci_config_set_max_file_size": (c_int, [handle, c_uint64]),
    "ci_config_set_tmp_size": (c_int, [handle, c_uint64]),
    "ci_config_set_env": (c_int, [handle, c_char_p, c_char_p]),
    "ci_cgroup_mode_name": (c_char_p, [c_int]),
    "ci_cgroup_mode_from_name": (c_int, [c_char_p, POINTER(c_int)]),
    "ci_config_set_memory_limit": (c_int, [handle, c_uint64]),
    "ci_config_set_cpu_limit": (c_int, [handle, c_uint32]),
    "ci_config_set_workspace_size": (c_int, [handle, c_uint64]),
    "ci_config_set_cgroup_mode": (c_int, [handle, c_int]),
    "ci_config_set_cgroup_parent": (c_int, [handle, c_char_p]),
    # audit
    "ci_config_set_audit_file": (c_int, [handle, c_char_p]),
    "ci_config_set_audit_fsync": (c_int, [handle, c_int]),
    "ci_config_set_allow_tmpfs_state": (c_int, [handle, c_int]),
    "ci_config_set_audit_principal": (c_int, [handle, c_char_p]),
    "ci_audit_access_denied": (c_int, [handle, c_char_p, c_char_p, c_char_p]),
    "ci_config_set_audit_callback": (c_int, [handle, AUDIT_CALLBACK, c_void_p]),
    "ci_audit_verify_file": (c_int, [c_char_p, POINTER(c_uint64), POINTER(c_void_p)]),
    # sessions
    "ci_session_create": (c_int, [handle, handle_out]),
    "ci_session_destroy": (None, [handle]),
    "ci_session_cancel": (c_int, [handle]),
    "ci_session_last_error": (c_char_p, [handle]),
    "ci_session_id": (c_char_p, [handle]),
    "ci_session_usage": (c_int, [handle, handle_out]),
    "ci_usage_free": (None, [handle]),
    "ci_usage_cpu_ms": (c_uint64, [handle]),
    "ci_usage_peak_memory_bytes": (c_uint64, [handle]),
    "ci_usage_lifetime_ms": (c_uint64, [handle]),
    "ci_usage_cpu_seconds": (c_uint64, [handle]),
    "ci_usage_gb_seconds": (c_double, [handle]),
    "ci_session_limits_mode": (c_int, [handle]),
    # execution options
    "ci_exec_options_new": (c_int, [handle_out]),
    "ci_exec_options_free": (None, [handle]),
    "ci_exec_options_set_language": (c_int, [handle, c_int]),
    "ci_exec_options_set_timeout_ms": (c_int, [handle, c_uint64]),
    "ci_exec_options_set_clear_context": (c_int, [handle, c_int]),
    "ci_exec_options_set_stdout_callback": (c_int, [handle, OUTPUT_CALLBACK, c_void_p]),
    "ci_exec_options_set_stderr_callback": (c_int, [handle, OUTPUT_CALLBACK, c_void_p]),
    "ci_exec_options_set_env": (c_int, [handle, c_char_p, c_char_p]),
    "ci_exec_options_set_cwd": (c_int, [handle, c_char_p]),
    "ci_exec_options_set_kill_leftovers": (c_int, [handle, c_int]),
    # execution and results
    "ci_execute": (c_int, [handle, c_char_p, handle, handle_out]),
    "ci_execute_command": (c_int, [handle, c_char_p, handle, handle_out]),
    "ci_execute_oneshot": (c_int, [handle, c_char_p, handle, handle_out]),
    "ci_result_free": (None, [handle]),
    "ci_result_status": (c_int, [handle]),
    "ci_result_exit_code": (c_int, [handle]),
    "ci_result_stdout": (c_void_p, [handle, POINTER(c_size_t)]),
    "ci_result_stderr": (c_void_p, [handle, POINTER(c_size_t)]),
    "ci_result_stdout_truncated": (c_int, [handle]),
    "ci_result_stderr_truncated": (c_int, [handle]),
    "ci_result_value": (c_char_p, [handle]),
    "ci_result_error_name": (c_char_p, [handle]),
    "ci_result_error_value": (c_char_p, [handle]),
    "ci_result_error_traceback": (c_char_p, [handle]),
    "ci_result_wall_ms": (c_double, [handle]),
    "ci_result_cpu_ms": (c_double, [handle]),
    "ci_result_peak_memory_bytes": (c_uint64, [handle]),
    "ci_result_limits_mode": (c_int, [handle]),
    "ci_result_language": (c_int, [handle]),
    "ci_result_display_count": (c_size_t, [handle]),
    "ci_result_display_mime_type": (c_char_p, [handle, c_size_t]),
    "ci_result_display_data": (c_void_p, [handle, c_size_t, POINTER(c_size_t)]),
    "ci_result_artifact_count": (c_size_t, [handle]),
    "ci_result_artifact_path": (c_char_p, [handle, c_size_t]),
    "ci_result_artifact_size": (c_uint64, [handle, c_size_t]),
    "ci_result_artifact_mime_type": (c_char_p, [handle, c_size_t]),
    "ci_result_artifacts_truncated": (c_int, [handle]),
    "ci_result_denied_syscall_count": (c_size_t, [handle]),
    "ci_result_denied_syscall_name": (c_char_p, [handle, c_size_t]),
    "ci_result_denied_syscall_times": (c_uint64, [handle, c_size_t]),
    "ci_result_stray_output_bytes": (c_uint64, [handle]),
    "ci_result_to_json": (c_int, [handle, POINTER(c_void_p)]),
    # background tasks
    "ci_task_status_name": (c_char_p, [c_int]),
    "ci_config_set_max_tasks": (c_int, [handle, c_uint32]),
    "ci_config_set_task_output_limit": (c_int, [handle, c_size_t]),
    "ci_task_start": (c_int, [handle, c_char_p, handle, POINTER(c_void_p)]),
    "ci_task_get": (c_int, [handle, c_char_p, c_uint64, c_uint64, handle_out]),
    "ci_task_stop": (c_int, [handle, c_char_p, handle_out]),
    "ci_task_info_free": (None, [handle]),
    "ci_task_info_id": (c_char_p, [handle]),
    "ci_task_info_status": (c_int, [handle]),
    "ci_task_info_exit_code": (c_int, [handle]),
    "ci_task_info_error": (c_char_p, [handle]),
    "ci_task_info_output": (c_void_p, [handle, c_int, POINTER(c_size_t)]),
    "ci_task_info_output_offset": (c_uint64, [handle, c_int]),
    "ci_task_info_output_end": (c_uint64, [handle, c_int]),
    "ci_task_info_output_dropped": (c_uint64, [handle, c_int]),
    "ci_task_info_wall_ms": (c_double, [handle]),
    "ci_task_info_cpu_ms": (c_double, [handle]),
    "ci_task_info_peak_memory_bytes": (c_uint64, [handle]),
    "ci_task_info_to_json": (c_int, [handle, POINTER(c_void_p)]),
    # files
    "ci_config_set_upload_limit": (c_int, [handle, c_uint64]),
    "ci_upload": (c_int, [handle, c_char_p, c_char_p, c_size_t]),
    "ci_upload_file": (c_int, [handle, c_char_p, c_char_p]),
    "ci_download": (c_int, [handle, c_char_p, POINTER(c_void_p), POINTER(c_size_t)]),
    "ci_download_to_file": (c_int, [handle, c_char_p, c_char_p]),
    "ci_list_files": (c_int, [handle, c_char_p, handle_out]),
    "ci_list_files_page": (c_int, [handle, c_char_p, c_char_p, c_size_t, handle_out]),
    "ci_file_list_truncated": (c_int, [handle]),
    "ci_file_list_next_token": (c_char_p, [handle]),
    "ci_file_list_count": (c_size_t, [handle]),
    "ci_file_list_name": (c_char_p, [handle, c_size_t]),
    "ci_file_list_type": (c_int, [handle, c_size_t]),
    "ci_file_list_size": (c_uint64, [handle, c_size_t]),
    "ci_file_list_mtime": (c_int64, [handle, c_size_t]),
    "ci_file_list_free": (None, [handle]),
    "ci_remove_file": (c_int, [handle, c_char_p]),
    # S3
    "ci_config_set_s3_credentials": (c_int, [handle, c_char_p, c_char_p, c_char_p]),
    "ci_config_set_s3_region": (c_int, [handle, c_char_p]),
    "ci_config_set_s3_endpoint": (c_int, [handle, c_char_p]),
    "ci_config_set_s3_ca_file": (c_int, [handle, c_char_p]),
    "ci_config_set_s3_multipart_threshold": (c_int, [handle, c_uint64]),
    "ci_config_set_s3_part_size": (c_int, [handle, c_uint64]),
    "ci_config_set_s3_parallel_parts": (c_int, [handle, c_uint32]),
    "ci_config_set_s3_max_attempts": (c_int, [handle, c_uint32]),
    "ci_exec_options_set_input_s3_uri": (c_int, [handle, c_char_p]),
    "ci_exec_options_set_output_s3_uri": (c_int, [handle, c_char_p]),
    "ci_exec_options_set_progress_callback": (c_int, [handle, PROGRESS_CALLBACK, c_void_p]),
    "ci_result_s3_upload_count": (c_size_t, [handle]),
    "ci_result_s3_upload_uri": (c_char_p, [handle, c_size_t]),
    "ci_result_s3_upload_path": (c_char_p, [handle, c_size_t]),
    "ci_result_s3_upload_size": (c_uint64, [handle, c_size_t]),
    "ci_result_s3_upload_error": (c_int, [handle]),
    "ci_result_s3_upload_error_message": (c_char_p, [handle]),
    "ci_s3_download": (c_int, [handle, c_char_p, c_char_p]),
    "ci_s3_upload": (c_int, [handle, c_char_p, c_char_p]),
    # JSON tool calls
    "ci_invoke_json": (c_int, [handle, c_char_p, POINTER(c_void_p)]),
    "ci_invoke_json_stream": (c_int, [handle, c_char_p, OUTPUT_CALLBACK, OUTPUT_CALLBACK,
                                      c_void_p, handle, POINTER(c_void_p)]),
    # cancel handles
    "ci_cancel_create": (c_int, [handle_out]),
    "ci_cancel_request": (c_int, [handle]),
    "ci_cancel_requested": (c_int, [handle]),
    "ci_cancel_free": (None, [handle]),
    "ci_exec_options_set_cancel": (c_int, [handle, handle]),
}


def _load():
    """The library: CODEINTERP_LIBRARY if set (no fallback then), else the
    soname through the loader's normal search (LD_LIBRARY_PATH, the ldconfig
    cache, the trusted directories), else what ctypes.util.find_library
    finds. ImportError says what to install or set."""
    override = os.environ.get("CODEINTERP_LIBRARY")
    if override:
        try:
            return ctypes.CDLL(override)
        except OSError as e:
            raise ImportError(
                "codeinterp: cannot load the library CODEINTERP_LIBRARY names, %s (%s); "
                "point it at a libcodeinterp.so.1 file (e.g. a build tree's "
                "build/lib/libcodeinterp.so.1) or unset it" % (override, e)) from e
    try:
        return ctypes.CDLL(SONAME)
    except OSError as e:
        tried = ["%s: %s" % (SONAME, e)]
    # find_library runs ldconfig -p or the compiler: only when the soname failed
    found = ctypes.util.find_library("codeinterp")
    if found and found != SONAME:
        try:
            return ctypes.CDLL(found)
        except OSError as e:
            tried.append("%s: %s" % (found, e))
    raise ImportError(
        "codeinterp: cannot load libcodeinterp (%s). Install the C library "
        "(meson setup build && meson install -C build, then run ldconfig if it went to a "
        "directory such as /usr/local/lib that the loader's cache does not list yet), "
        "or set CODEINTERP_LIBRARY to the libcodeinterp.so.1 file, or add its directory "
        "to LD_LIBRARY_PATH" % "; ".join(tried))


class _Functions:
    """The table's functions as attributes; those the loaded library lacks
    raise UnsupportedError when called."""

    def __init__(self, cdll):
        self._missing = set()
        for name, (restype, argtypes) in FUNCTIONS.items():
            try:
                fn = getattr(cdll, name)
            except AttributeError:
                self._missing.add(name)
                setattr(self, name, _missing_function(name))
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            setattr(self, name, fn)


def _missing_function(name):
    def call(*_args):
        raise errors.UnsupportedError(
            "%s is not exported by the loaded libcodeinterp %s" % (name, version()),
            code=errors.UnsupportedError.code)
    return call


cdll = _load()
lib = _Functions(cdll)


def has(name):
    """True if the loaded library exports the table's function `name`."""
    return name in FUNCTIONS and name not in lib._missing


def version():
    return lib.ci_version().decode()


def text(ptr):
    """A c_char_p result as str (None stays None)."""
    return None if ptr is None else ptr.decode("utf-8", errors="replace")


def take_buffer(ptr, length=None):
    """Copies a buffer handed to the caller out of the library (`length`
    bytes, or up to the NUL when None) and frees it with ci_free()."""
    try:
        if length is None:
            return ctypes.string_at(ptr)
        return ctypes.string_at(ptr, length) if length else b""
    finally:
        lib.ci_free(ptr)


def check(rc, session=None, message=None):
    """Returns rc when it is not negative; otherwise raises the exception of
    the code, with the detailed message of the session (when the call was on
    one) or of the calling thread, unless the caller gives one (for calls
    that leave no message). Must run right after the failed call: the
    thread's message lasts only until the next library call."""
    if rc >= 0:
        return rc
    static = text(lib.ci_strerror(rc))
    if message is None:
        detail = lib.ci_session_last_error(session) if session else None
        if not detail:
            detail = lib.ci_last_error()
        message = text(detail) or static
    raise errors.error_for(rc, message, static)
