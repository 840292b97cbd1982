#!/bin/sh
# Usage: install_ldconfig.sh LDCONFIG   (a meson install script)
# Rebuilds the loader's cache after a real install as root, so that
# ctypes.CDLL("libcodeinterp.so.1") and programs find the library in
# /usr/local/lib/<multiarch>, which ld.so.conf lists but the cache does not
# know until ldconfig runs; meson has not run it since 0.61. A staged install
# (DESTDIR) leaves it to the target system, a non-root one says so.
if [ "$MESON_INSTALL_DESTDIR_PREFIX" != "$MESON_INSTALL_PREFIX" ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "libcodeinterp: run ldconfig as root so the loader finds libcodeinterp.so.1"
    exit 0
fi
echo "Running $1"
exec "$1"
