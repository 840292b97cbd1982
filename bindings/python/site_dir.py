# SPDX-License-Identifier: MIT
"""Usage: site_dir.py PREFIX

Prints the directory where the running Python imports pure-Python packages
from for an install under PREFIX, then, on a second line, "on-path" if that
directory is on its sys.path or "off-path" if not. meson runs it with
/usr/bin/python3 to place the binding.

Debian's python3 does not follow upstream's posix_prefix scheme: pip installs
to /usr/local/lib/python3.X/dist-packages (scheme 'posix_local', its default)
and Debian's own packages live in /usr/lib/python3/dist-packages (scheme
'deb_system'). Other prefixes use posix_prefix with base PREFIX, as upstream
Python and the other distributions do; such a directory is on sys.path only
when PREFIX is the interpreter's own prefix (or the distribution adds it).
"""
import os
import sys
import sysconfig


def site_dir(prefix):
    prefix = os.path.normpath(prefix)
    schemes = sysconfig.get_scheme_names()
    if "deb_system" in schemes:
        if prefix == "/usr/local" and "posix_local" in schemes:
            return sysconfig.get_paths("posix_local")["purelib"]
        if prefix == "/usr":
            return sysconfig.get_paths("deb_system", vars={"base": prefix})["purelib"]
    base = {"base": prefix, "platbase": prefix,
            "installed_base": prefix, "installed_platbase": prefix}
    return sysconfig.get_paths("posix_prefix", vars=base)["purelib"]


def main():
    if len(sys.argv) != 2 or not os.path.isabs(sys.argv[1]):
        sys.exit("usage: site_dir.py ABSOLUTE_PREFIX")
    path = os.path.normpath(site_dir(sys.argv[1]))
    on_path = any(os.path.normpath(p) == path for p in sys.path if p)
    print(path)
    print("on-path" if on_path else "off-path")


if __name__ == "__main__":
    main()
