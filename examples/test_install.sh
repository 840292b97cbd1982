#!/bin/sh
# Usage: test_install.sh BUILDDIR EXAMPLE_SOURCE
# Installs the build into a staging directory (meson install --destdir),
# builds the example against the staged files the way a user would
# (pkg-config + cc, nothing from the source or build tree) and runs it.
set -u
builddir=$1
example=$2

fail() {
    echo "FAIL: $*"
    exit 1
}

stage=$(mktemp -d /tmp/ci-install-XXXXXX) || fail "mktemp"
trap 'rm -rf "$stage"' EXIT
# mktemp makes it 0700; the sandbox's own uid must reach the staged kernels
chmod 755 "$stage"

meson install -C "$builddir" --destdir "$stage" --no-rebuild >"$stage/install.log" 2>&1 ||
    { cat "$stage/install.log"; fail "meson install"; }

pc=$(find "$stage" -name codeinterp.pc | head -n 1)
[ -n "$pc" ] || fail "no codeinterp.pc installed"
header=$(find "$stage" -path '*/include/codeinterp/codeinterp.h' | head -n 1)
[ -n "$header" ] || fail "no codeinterp/codeinterp.h installed"
page=$(find "$stage" -path '*/man3/ci_execute.3' | head -n 1)
[ -n "$page" ] || fail "no man page ci_execute.3 installed"
[ -f "$(dirname "$page")/libcodeinterp.3" ] || fail "no man page libcodeinterp.3 installed"
pypkg=$(find "$stage" -path '*/codeinterp/__init__.py' | head -n 1)
[ -n "$pypkg" ] || fail "no Python package codeinterp installed"
# The package must land where /usr/bin/python3 imports from (DESTDIR
# stripped), with every module of the source tree.
pysite=$(dirname "$(dirname "$pypkg")")
/usr/bin/python3 -I -c 'import sys; print("\n".join(sys.path))' | grep -qxF "${pysite#"$stage"}" ||
    fail "Python package installed in ${pysite#"$stage"}, which is not on /usr/bin/python3's sys.path"
pysrc=$(dirname "$example")/../bindings/python/codeinterp
want=$(cd "$pysrc" && ls -- *.py) || fail "no binding sources at $pysrc"
got=$(cd "$(dirname "$pypkg")" && ls -- *.py)
[ "$got" = "$want" ] || fail "installed Python modules differ from the source tree's: $got"

# The .pc names the configured prefix (e.g. /usr/local); the files are under
# the staging dir, so point pkg-config's prefix there.
prefix=$(sed -n 's/^prefix=//p' "$pc")
[ -n "$prefix" ] || fail "codeinterp.pc has no prefix"
staged_prefix=$stage$prefix
PKG_CONFIG_PATH=$(dirname "$pc")
export PKG_CONFIG_PATH
pcflags="--define-variable=prefix=$staged_prefix"
flags=$(pkg-config "$pcflags" --cflags --libs codeinterp) || fail "pkg-config codeinterp"
case "$flags" in
*"$stage"*) ;;
*) fail "pkg-config flags do not point into the staging dir: $flags" ;;
esac
libdir=$(pkg-config "$pcflags" --variable=libdir codeinterp)
[ -e "$libdir/libcodeinterp.so.1" ] || fail "no libcodeinterp.so.1 in $libdir"
[ -e "$libdir/libcodeinterp.so" ] || fail "no libcodeinterp.so (dev symlink) in $libdir"

# A sanitizer build of the library needs its runtime linked into the program.
sanitize=
if ldd "$libdir/libcodeinterp.so.1" | grep -q 'libasan'; then
    sanitize=-fsanitize=address,undefined
fi
# shellcheck disable=SC2086 # flags are words
cc -std=c99 -Wall -Wextra -Werror $sanitize -o "$stage/oneshot" "$example" $flags ||
    fail "compiling $example against the staged install"
LD_LIBRARY_PATH=$libdir ldd "$stage/oneshot" | grep 'libcodeinterp' | grep -q "$stage" ||
    fail "the example does not load the staged library"

runtime=${CODEINTERP_RUNTIME_DIR:-/opt/codeinterp}
if [ ! -x "$runtime/python/bin/python3" ]; then
    echo "SKIP: installed and compiled; no runtime environment at $runtime to run it"
    exit 77
fi

# Run with the staged helper and kernels, not the build tree's.
helper=$(find "$stage" -type f -name codeinterp-sandbox | head -n 1)
kernels=$(find "$stage" -type d -path '*/codeinterp/kernels' | head -n 1)
[ -n "$helper" ] || fail "no codeinterp-sandbox helper installed"
[ -n "$kernels" ] || fail "no kernel directory installed"
out=$(CODEINTERP_HELPER=$helper CODEINTERP_KERNEL_DIR=$kernels LD_LIBRARY_PATH=$libdir \
    "$stage/oneshot" 'print(6 * 7)') || fail "the installed example failed: $out"
[ "$out" = "42" ] || fail "installed example printed '$out', wanted 42"

# The installed Python package on the installed library (an uninstrumented
# interpreter cannot load a sanitizer build), running both kernels.
if [ -z "$sanitize" ]; then
    out=$(CODEINTERP_HELPER=$helper CODEINTERP_KERNEL_DIR=$kernels \
        CODEINTERP_LIBRARY=$libdir/libcodeinterp.so.1 PYTHONDONTWRITEBYTECODE=1 \
        PYTHONPATH=$pysite /usr/bin/python3 -c \
        'import codeinterp; from codeinterp import CodeInterpreterClient as C; c = C(); print(codeinterp.__file__, c.execute(code="6 * 7").value, c.execute(code="6 * 7", language="javascript").value)') ||
        fail "the installed Python package failed: $out"
    [ "$out" = "$pypkg 42 42" ] || fail "installed Python package printed '$out', wanted '$pypkg 42 42'"
fi
echo "ok: installed, compiled with pkg-config and ran; man pages and Python package installed"
