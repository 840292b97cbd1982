#!/bin/sh
# Usage: check_abi.sh BASELINE.abi LIBRARY.so PUBLIC_HEADER_DIR
# Compares the library with the committed ABI baseline (abidiff, Debian
# abigail-tools). Added functions are fine; a removed or changed function or
# variable, or any change abidiff calls incompatible, fails. Exits 77
# (skipped) without abidiff or without debug info in the library.
set -u
baseline=$1
lib=$2
headers=$3

if ! command -v abidiff >/dev/null; then
    echo "SKIP: abidiff not found (Debian abigail-tools; scripts/setup installs it)"
    exit 77
fi
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
    echo "SKIP: $lib has no debug info to compare (use buildtype debug or debugoptimized)"
    exit 77
fi

# Public types are those of the library's header and of the system headers
# it uses (stdint.h, stddef.h): a uint32_t parameter turned uint64_t is a
# change, while the library's own structs, opaque to callers, are private.
cc_include=$(${CC:-cc} -print-file-name=include)
report=$(abidiff --headers-dir2 "$headers" --headers-dir2 /usr/include \
    --headers-dir2 "$cc_include" --drop-private-types --no-show-locs \
    "$baseline" "$lib" 2>&1)
rc=$?
printf '%s\n' "$report"

# abidiff's exit status is a bit field: 1 error, 2 usage error, 4 an ABI
# change (additions included), 8 an incompatible change.
if [ $((rc & 3)) -ne 0 ]; then
    echo "FAIL: abidiff could not compare (status $rc)"
    exit 1
fi
if [ $((rc & 8)) -ne 0 ]; then
    echo "FAIL: incompatible ABI change against $baseline"
    exit 1
fi
if [ $((rc & 4)) -ne 0 ]; then
    # Only additions may remain: every "N Removed" and "N Changed" of the
    # summaries must be 0.
    if printf '%s\n' "$report" | grep -E 'changes summary:' |
        grep -Eq '(^|[^0-9])[1-9][0-9]* (Removed|Changed)'; then
        echo "FAIL: functions or variables removed or changed against $baseline"
        exit 1
    fi
    echo "ok: only additions against $baseline"
    exit 0
fi
echo "ok: same ABI as $baseline"
