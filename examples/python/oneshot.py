#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs one snippet in a throwaway sandbox and prints what it wrote.

    python3 oneshot.py 'print(6 * 7)'
    python3 oneshot.py 'console.log(6 * 7)' javascript
"""
import sys

from codeinterp import CodeInterpreterClient

code = sys.argv[1] if len(sys.argv) > 1 else "print('hello from the sandbox')"
language = sys.argv[2] if len(sys.argv) > 2 else "python"

interpreter = CodeInterpreterClient(timeout=60)
result = interpreter.execute(code=code, language=language)
print(result.output, end="")
print(result.stderr, end="", file=sys.stderr)
if result.status != "ok":
    # an exception in the code is a result, not a Python exception
    if result.error:
        print("%s: %s" % (result.error.name, result.error.value), file=sys.stderr)
    sys.exit(1)
