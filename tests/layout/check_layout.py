# SPDX-License-Identifier: MIT
"""Checks the layer rule of the architecture: includes point down only.

Layers, top to bottom: lib/api > lib/core > {lib/sandbox, lib/runners,
lib/transfer} > lib/util. A file may include headers of its own layer and of
the layers below it; the three middle layers are peers that core composes, so
none includes another's headers; lib/util includes only lib/util. The public
header (include/) may be included from anywhere; tools/ and bindings/ include
nothing of lib/ (their own headers are fine), and include/ includes only
include/. Headers that are not in the tree (system, libraries, generated
ones such as ci_build_config.h) are not judged.

Every violation is printed as
    file:line: 'X includes Y (why)'
and the exit status is 1 when there is one, 0 otherwise.

Usage: check_layout.py [--root DIR]   (default: the source tree holding this file)
"""
import argparse
import os
import re
import sys

# Rank of each layer under lib/: higher is further up.
LIB_LAYERS = {"api": 3, "core": 2, "sandbox": 1, "runners": 1, "transfer": 1, "util": 0}
# Trees whose C may use the public header and their own files only.
FRONT_ENDS = ("tools", "bindings", "include")
# Where `#include "x"` and `#include <x>` are looked for after the including
# file's own directory (meson's include_directories of the library).
SEARCH_DIRS = ("lib", "include")
C_SUFFIXES = (".c", ".h")
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def layer_of(rel):
    """The layer a repository-relative path belongs to, or None if none."""
    parts = rel.split("/")
    if parts[0] == "lib" and len(parts) > 2 and parts[1] in LIB_LAYERS:
        return parts[1]
    if parts[0] in FRONT_ENDS:
        return parts[0]
    return None


def resolve(root, including, quote, name):
    """Repository-relative path of the header an include names, or None when
    it is not in the tree (system, library or generated header)."""
    dirs = []
    if quote == '"':
        dirs.append(os.path.dirname(including))
    dirs.extend(SEARCH_DIRS)
    for d in dirs:
        rel = os.path.normpath(os.path.join(d, name))
        if not rel.startswith("..") and os.path.isfile(os.path.join(root, rel)):
            return rel
    return None


def why_not(src_layer, dst_layer):
    """Why a file of src_layer may not include a header of dst_layer, or None
    when it may."""
    if dst_layer == src_layer or dst_layer == "include":
        return None
    if src_layer in FRONT_ENDS:
        return f"{src_layer}/ may include only the public header, not lib/{dst_layer}"
    if dst_layer in FRONT_ENDS:
        return f"lib/{src_layer} includes from {dst_layer}/"
    src, dst = LIB_LAYERS[src_layer], LIB_LAYERS[dst_layer]
    if dst > src:
        return f"layer {dst_layer} above {src_layer}"
    if dst == src:
        return f"layers {src_layer} and {dst_layer} are peers"
    return None


def sources(root):
    """Repository-relative paths of the C files the rule covers."""
    for top in ("lib",) + FRONT_ENDS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
            dirnames.sort()
            for f in sorted(filenames):
                if f.endswith(C_SUFFIXES):
                    yield os.path.relpath(os.path.join(dirpath, f), root)


def violations(root):
    for rel in sources(root):
        src_layer = layer_of(rel)
        if src_layer is None:
            continue
        with open(os.path.join(root, rel), encoding="utf-8", errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                target = resolve(root, rel, m.group(1), m.group(2))
                dst_layer = layer_of(target) if target else None
                if dst_layer is None:
                    continue
                why = why_not(src_layer, dst_layer)
                if why:
                    yield f"{rel}:{lineno}: '{rel} includes {target} ({why})'"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(here)))
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.root, "lib")):
        sys.exit(f"check_layout: {args.root} has no lib/")
    found = list(violations(args.root))
    for v in found:
        print(v)
    print(f"check_layout: {len(found)} violation(s)", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
