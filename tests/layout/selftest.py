# SPDX-License-Identifier: MIT
"""Proves check_layout.py can fail: runs it on small trees made in a temp
dir, each with one kind of violation (and one clean tree), and checks the
exit status and that the offending file:line is named.

Usage: selftest.py PATH/TO/check_layout.py
"""
import os
import subprocess
import sys
import tempfile

# Headers every synthetic tree has, so each include below resolves.
HEADERS = ("include/codeinterp/codeinterp.h", "lib/api/errors.h", "lib/core/session.h",
           "lib/sandbox/sandbox.h", "lib/runners/runner.h", "lib/transfer/transfer.h",
           "lib/util/buf.h", "tools/cli.h")

# (what, the file to add, its include, the violation expected or None)
CASES = [
    ("clean tree", "lib/core/ok.c",
     '#include <stdio.h>\n#include "codeinterp/codeinterp.h"\n#include "sandbox/sandbox.h"\n'
     '#include "util/buf.h"\n#include "ci_build_config.h"\n', None),
    ("core includes api", "lib/core/bad.c",
     '#include "util/buf.h"\n#include "api/errors.h"\n',
     "lib/core/bad.c:2: 'lib/core/bad.c includes lib/api/errors.h (layer api above core)'"),
    ("peers", "lib/sandbox/helper/bad.c", '#include "runners/runner.h"\n',
     "lib/sandbox/helper/bad.c:1: 'lib/sandbox/helper/bad.c includes lib/runners/runner.h"
     " (layers sandbox and runners are peers)'"),
    ("util includes up", "lib/util/bad.h", '#  include <core/session.h>\n',
     "lib/util/bad.h:1: 'lib/util/bad.h includes lib/core/session.h (layer core above util)'"),
    ("tools includes lib", "tools/bad.c", '#include "cli.h"\n#include "util/buf.h"\n',
     "tools/bad.c:2: 'tools/bad.c includes lib/util/buf.h"
     " (tools/ may include only the public header, not lib/util)'"),
]


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def run_case(checker, what, rel, text, expected):
    with tempfile.TemporaryDirectory(prefix="layout-selftest-") as root:
        for h in HEADERS:
            write(root, h, "")
        write(root, rel, text)
        p = subprocess.run([sys.executable, checker, "--root", root],
                           capture_output=True, text=True)
    want = 1 if expected else 0
    lines = p.stdout.splitlines()
    if p.returncode != want or lines != ([expected] if expected else []):
        print(f"FAIL {what}: exit {p.returncode} (want {want}), output {lines!r}"
              f" (want {expected!r}); stderr: {p.stderr.strip()}")
        return False
    print(f"ok   {what}")
    return True


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    results = [run_case(sys.argv[1], *case) for case in CASES]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
