# SPDX-License-Identifier: MIT
"""Start-up cost of a one-shot run, against baselines measured in the same run.

Times `print(1)` N times each (interleaved, so a drift of the machine hits
every command alike) through:
  codeinterp  codeinterp exec -c 'print(1)'   (fresh sandbox + interpreter)
  python      /usr/bin/python3 -c 'print(1)'  (bare interpreter)
  bwrap       the same in bubblewrap with every namespace unshared
and prints the median and p90 of each and the ratios codeinterp/python and
codeinterp/bwrap. With --roundtrip, also runs the warm-session benchmark.

Usage: startup.py --codeinterp PATH [--runs N] [--roundtrip PATH]
"""
import argparse
import shutil
import statistics
import subprocess
import sys
import time

CODE = "print(1)"
BWRAP = ["bwrap", "--unshare-all", "--ro-bind", "/usr", "/usr",
         "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/lib", "/lib",
         "--symlink", "usr/bin", "/bin", "--proc", "/proc", "--dev", "/dev",
         "/usr/bin/python3", "-c", CODE]


def timed(cmd):
    """Milliseconds one run of cmd takes; the run must print exactly 1."""
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True)
    ms = (time.perf_counter() - start) * 1000.0
    if p.returncode != 0 or p.stdout != b"1\n":
        sys.exit(f"startup: {cmd[0]} failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
    return ms


def p90(samples):
    ordered = sorted(samples)
    return ordered[max(0, -(-len(ordered) * 9 // 10) - 1)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--codeinterp", required=True)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--roundtrip")
    args = ap.parse_args()

    commands = {
        "codeinterp": [args.codeinterp, "exec", "-c", CODE],
        "python": ["/usr/bin/python3", "-c", CODE],
    }
    if shutil.which("bwrap"):
        commands["bwrap"] = BWRAP
    else:
        print("startup: bwrap not installed; its baseline is left out")

    for cmd in commands.values():  # warm the page cache
        timed(cmd)
    samples = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd))

    print(f"one-shot print(1), {args.runs} runs each:")
    medians = {}
    for name, values in samples.items():
        medians[name] = statistics.median(values)
        print(f"  {name:<11} median {medians[name]:8.1f} ms   p90 {p90(values):8.1f} ms")
    for base in ("python", "bwrap"):
        if base in medians:
            print(f"  codeinterp/{base}: {medians['codeinterp'] / medians[base]:.1f}x")
    sys.stdout.flush()

    if args.roundtrip:
        subprocess.run([args.roundtrip], check=True)


if __name__ == "__main__":
    main()
