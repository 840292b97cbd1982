#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Usage: with_s3.py S3_TOOL EXPECTED PROGRAM [ARG...]

Runs an S3 example against moto's server on 127.0.0.1: starts it from the
test environment of scripts/setup ($CODEINTERP_RUNTIME_DIR/test), makes an
access key in its IAM and the bucket "examples" holding in/sales.csv (with
S3_TOOL, tests/s3_tool.py), runs PROGRAM with the AWS_* variables pointing
at it, and compares its stdout (trailing newlines dropped) with EXPECTED.
Exits 77 (skipped) without the test or runtime environment.
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

SALES = "region,amount\nnorth,120\nsouth,80\nnorth,30\n"


def main(argv):
    tool, expected, program = argv[1], argv[2], argv[3:]
    runtime = os.environ.get("CODEINTERP_RUNTIME_DIR") or "/opt/codeinterp"
    python = os.path.join(runtime, "test", "venv", "bin", "python")
    for need in (python, os.path.join(runtime, "python", "bin", "python3")):
        if not os.access(need, os.X_OK):
            print("SKIP: %s is missing (run scripts/setup)" % need)
            return 77
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = "http://127.0.0.1:%d" % port
    with tempfile.TemporaryDirectory() as tmp:
        log = open(os.path.join(tmp, "moto.log"), "wb")
        server = subprocess.Popen(
            [python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env=dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3"),
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if server.poll() is not None or time.monotonic() > deadline:
                        print("FAIL: moto did not start")
                        return 1
                    time.sleep(0.1)

            def s3(ak, sk, *args):
                return subprocess.run([python, tool, endpoint, ak, sk, *args], check=True,
                                      capture_output=True, timeout=120).stdout.decode()

            ak, sk = s3("unused", "unused", "moto-setup").split()
            s3(ak, sk, "mb", "examples")
            sales = os.path.join(tmp, "sales.csv")
            with open(sales, "w") as f:
                f.write(SALES)
            s3(ak, sk, "put", "examples", "in/sales.csv", sales)

            env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            env.update(AWS_ACCESS_KEY_ID=ak, AWS_SECRET_ACCESS_KEY=sk,
                       AWS_ENDPOINT_URL_S3=endpoint, AWS_REGION="us-east-1")
            run = subprocess.run(program, env=env, capture_output=True, timeout=300)
            actual = run.stdout.decode(errors="replace").rstrip("\n")
            if run.returncode != 0 or actual != expected.rstrip("\n"):
                print("FAIL: %s exited with %d" % (" ".join(program), run.returncode))
                print("--- expected ---\n%s\n--- actual ---\n%s\n--- stderr ---\n%s"
                      % (expected, actual, run.stderr.decode(errors="replace")))
                return 1
            listing = s3(ak, sk, "ls", "examples", "out/")
            if not listing.startswith("out/totals.csv "):
                print("FAIL: out/totals.csv is not in the bucket: %r" % listing)
                return 1
            print("ok: %s" % " ".join(program))
            return 0
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
            log.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
