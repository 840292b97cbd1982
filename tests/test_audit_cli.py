# SPDX-License-Identifier: MIT
"""Suite 'audit': `codeinterp audit-verify` and `--audit-log` end to end.

Usage: test_audit_cli.py PATH-TO-codeinterp   (meson passes the build tree's
one and the CODEINTERP_* variables that point the library at the build tree).
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest

CLI = None
RUN_TIMEOUT = 120
ZEROS = "0" * 64


def run(*args, stdin=None):
    return subprocess.run([CLI, *args], input=stdin, capture_output=True,
                          timeout=RUN_TIMEOUT)


def check_chain(lines):
    """doc/audit.md's definition, independently of the library."""
    prev = ZEROS
    for n, line in enumerate(lines, 1):
        cut = line.rindex(b',"hash":"')
        rec = json.loads(line)
        assert rec["hash"] == hashlib.sha256(line[:cut]).hexdigest(), n
        assert rec["prev"] == prev and rec["seq"] == n, n
        prev = rec["hash"]


class AuditCli(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.log = os.path.join(self.dir.name, "audit.jsonl")

    def tearDown(self):
        self.dir.cleanup()

    def lines(self):
        with open(self.log, "rb") as f:
            return f.read().splitlines()

    def write(self, lines):
        with open(self.log, "wb") as f:
            f.write(b"".join(line + b"\n" for line in lines))

    def verify(self):
        return run("audit-verify", self.log)

    def test_exec_then_verify(self):
        p = run("exec", "--audit-log", self.log, "-c", "print('SECRET_MARKER_123')")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = run("exec", "--audit-log", self.log, "-c", "1/0")
        self.assertNotEqual(p.returncode, 0)
        lines = self.lines()
        ops = [json.loads(line)["op"] for line in lines]
        self.assertEqual(ops, ["session_create", "execute_start", "execute_end",
                               "session_destroy"] * 2)
        self.assertEqual(os.stat(self.log).st_mode & 0o777, 0o600)
        self.assertNotIn(b"SECRET_MARKER_123", b"".join(lines))
        check_chain(lines)
        v = self.verify()
        self.assertEqual(v.returncode, 0, v.stdout + v.stderr)
        self.assertEqual(v.stdout, b"ok: 8 records\n")

    def test_invoke_logs_each_call(self):
        calls = "".join(json.dumps({"name": "executeCode", "arguments": {"code": c}}) + "\n"
                        for c in ("x = 1", "x + 1"))
        p = run("invoke", "--audit-log", self.log, stdin=calls.encode())
        self.assertEqual(p.returncode, 0, p.stderr)
        ops = [json.loads(line)["op"] for line in self.lines()]
        self.assertEqual(ops, ["session_create"] + ["execute_start", "execute_end"] * 2
                         + ["session_destroy"])
        self.assertEqual(self.verify().stdout, b"ok: 6 records\n")

    def test_processes_append_to_one_chain(self):
        procs = [subprocess.Popen([CLI, "exec", "--audit-log", self.log, "-c", "sum(range(99))"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(4)]
        for p in procs:
            _, err = p.communicate(timeout=RUN_TIMEOUT)
            self.assertEqual(p.returncode, 0, err)
        check_chain(self.lines())
        self.assertEqual(self.verify().stdout, b"ok: 16 records\n")

    def tampered(self, lines, line_no, what):
        self.write(lines)
        v = self.verify()
        self.assertEqual(v.returncode, 1, v.stdout + v.stderr)
        self.assertIn(("line %d: " % line_no).encode(), v.stdout)
        self.assertIn(what.encode(), v.stdout)

    def test_tampering_is_detected(self):
        for _ in range(2):
            p = run("exec", "--audit-log", self.log, "-c", "print(1)")
            self.assertEqual(p.returncode, 0, p.stderr)
        good = self.lines()
        self.assertEqual(len(good), 8)

        edited = list(good)
        edited[2] = edited[2].replace(b'"python"', b'"pythoN"')
        self.tampered(edited, 3, "hash does not match")
        self.tampered(good[:4] + good[5:], 5, "not the hash of the line before")
        self.tampered(good[:1] + [good[2], good[1]] + good[3:], 2, "not the hash of the line before")
        self.tampered(good[1:], 1, "not 64 zeros")

        self.write(good)
        self.assertEqual(self.verify().returncode, 0)

    def test_usage_errors(self):
        self.assertEqual(run("audit-verify").returncode, 2)
        v = run("audit-verify", os.path.join(self.dir.name, "missing"))
        self.assertEqual(v.returncode, 2)
        self.assertIn(b"no such file", v.stderr)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    CLI = sys.argv[1]
    unittest.main(argv=sys.argv[:1], verbosity=2)
