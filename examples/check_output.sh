#!/bin/sh
# Usage: check_output.sh EXPECTED PROGRAM [ARG...]
# Runs an example and compares its stdout (trailing newlines dropped) with
# EXPECTED. Exits 77 (skipped) when the runtime environment is missing.
set -u
expected=$1
shift
runtime=${CODEINTERP_RUNTIME_DIR:-/opt/codeinterp}
if [ ! -x "$runtime/python/bin/python3" ]; then
    echo "SKIP: no runtime environment at $runtime"
    exit 77
fi
actual=$("$@")
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "FAIL: $* exited with $rc; stdout:"
    printf '%s\n' "$actual"
    exit 1
fi
if [ "$actual" != "$expected" ]; then
    echo "FAIL: $*"
    echo "--- expected ---"
    printf '%s\n' "$expected"
    echo "--- actual ---"
    printf '%s\n' "$actual"
    exit 1
fi
echo "ok: $*"
