# SPDX-License-Identifier: MIT
"""A moto S3 server on 127.0.0.1 for the tests, with IAM: every request
after the set-up must be signed with the access key it makes, so a client
that signs wrongly fails as it would against AWS. Used by the binding's
and the CLI's S3 tests; tests/s3_tool.py (boto3, the test venv) checks
what arrived."""
import os
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Moto:
    """Started by the constructor, stopped by stop(); bucket "bkt" exists.
    test_python is the test venv's Python (moto, boto3), s3_tool the path
    of tests/s3_tool.py."""

    def __init__(self, tmp, test_python, s3_tool):
        self.test_python, self.s3_tool = test_python, s3_tool
        self.port = free_port()
        self.endpoint = "http://127.0.0.1:%d" % self.port
        self.ak = self.sk = "unused"
        self.log = open(os.path.join(tmp, "moto.log"), "wb")
        env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT="3")
        self.proc = subprocess.Popen(
            [test_python, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto did not start; see %s" % self.log.name)
                time.sleep(0.1)
        # the IAM set-up's three calls go through unsigned; every later request
        # must be signed with the key it makes
        self.ak, self.sk = self.tool("moto-setup").split()
        self.tool("mb", "bkt")

    def tool(self, *args):
        return subprocess.run([self.test_python, self.s3_tool, self.endpoint, self.ak, self.sk, *args],
                              check=True, capture_output=True, timeout=120).stdout.decode()

    def put_text(self, key, text):
        with tempfile.NamedTemporaryFile("w", delete=False) as f:
            f.write(text)
        try:
            self.tool("put", "bkt", key, f.name)
        finally:
            os.unlink(f.name)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.log.close()
