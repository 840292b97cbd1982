#!/bin/sh
# Usage: abi/update_baseline.sh [BUILDDIR]   (default: build)
# Writes abi/libcodeinterp.so.1.abi, the ABI baseline that the test
# abi-compat compares the library against: abidw (Debian abigail-tools) of
# BUILDDIR/lib/libcodeinterp.so.1, limited to the types of the public header.
# Run it from a debug-info build (buildtype debug or debugoptimized, the
# default) of the release being declared, and commit the file with that
# release; see doc/ABI.md.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd -P)
builddir=${1:-$root/build}
lib=$builddir/lib/libcodeinterp.so.1
out=$root/abi/libcodeinterp.so.1.abi

command -v abidw >/dev/null || { echo "abidw not found: apt-get install abigail-tools" >&2; exit 1; }
[ -e "$lib" ] || { echo "no $lib: build first (meson compile -C $builddir)" >&2; exit 1; }
readelf -S "$lib" | grep -q '\.debug_info' ||
    { echo "$lib has no debug info: use a debug or debugoptimized build" >&2; exit 1; }

# No build paths in the file, so it does not change with the checkout's location.
# The same public headers as check_abi.sh: the library's and the system's.
cc_include=$(${CC:-cc} -print-file-name=include)
abidw --headers-dir "$root/include/codeinterp" --headers-dir /usr/include \
    --headers-dir "$cc_include" --drop-private-types \
    --no-corpus-path --no-comp-dir-path --short-locs --out-file "$out" "$lib"
echo "wrote $out ($(grep -c '<elf-symbol ' "$out") symbols)"
