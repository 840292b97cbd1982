# SPDX-License-Identifier: MIT
"""Python binding of libcodeinterp: run untrusted Python, JavaScript,
TypeScript and shell commands in a sandbox on this Linux host.

    from codeinterp import CodeInterpreterClient

    interpreter = CodeInterpreterClient(timeout=60, memory_limit="1G")
    result = interpreter.execute(code="print(1)", language="python")
    print(result.output)

    with interpreter.create_session() as session:
        session.upload_file(file_path="data.csv", file_name="data.csv")
        result = session.execute(code="import pandas as pd\\n"
                                      "len(pd.read_csv('data.csv'))")
        print(result.status, result.value)

A pure-ctypes package over libcodeinterp.so.1 (or the file named by the
CODEINTERP_LIBRARY environment variable). Library failures raise a
CodeInterpreterError subclass (see codeinterp.errors); an exception in the
sandboxed code is a result with status "error".
"""
from . import errors
from .cancel import Cancel
from .client import CodeInterpreterClient, verify_audit_file, version
from .errors import *  # noqa: F401,F403 - the hierarchy is part of the API
from .result import (Artifact, DeniedSyscall, ExecutionError, ExecutionResult, FileInfo,
                     FileList, Image, S3Upload, Usage)
from .session import Session
from .task import Task, TaskOutput

__version__ = "0.1.0"

#: Most entries one listing holds (CI_FILE_LIST_MAX): Session.list_files()
#: stops there and flags the list truncated.
FILE_LIST_MAX = 10000

__all__ = [
    "CodeInterpreterClient",
    "Session",
    "Cancel",
    "Task",
    "TaskOutput",
    "ExecutionResult",
    "ExecutionError",
    "Image",
    "Artifact",
    "DeniedSyscall",
    "S3Upload",
    "FileInfo",
    "FileList",
    "FILE_LIST_MAX",
    "Usage",
    "verify_audit_file",
    "version",
] + errors.__all__
