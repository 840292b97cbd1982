# SPDX-License-Identifier: MIT
"""Suite 'cli': the codeinterp command end to end, in real sandboxes.

Usage: test_cli.py PATH-TO-codeinterp   (meson passes the build tree's one
and the CODEINTERP_* variables that point the library at the build tree).
"""
import json
import os
import random
import signal
import subprocess
import sys
import time
import unittest

CLI = None

# Generous: a loaded CI machine starts sandboxes slowly; a hang still fails.
RUN_TIMEOUT = 120


def run(*args, stdin=None):
    return subprocess.run([CLI, *args], input=stdin, capture_output=True,
                          timeout=RUN_TIMEOUT)


def call(code, **arguments):
    """One executeCode request line."""
    arguments["code"] = code
    return json.dumps({"name": "executeCode", "arguments": arguments})


def invoke(lines, *args):
    """Runs `codeinterp invoke` over the given request lines; returns the
    process and its answers, one parsed JSON object per stdout line."""
    stdin = "".join(line + "\n" for line in lines).encode()
    p = run("invoke", *args, stdin=stdin)
    answers = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]
    return p, answers


def text_of(answer):
    return answer["content"][0]["text"]


class Exec(unittest.TestCase):
    def test_hello_exits_zero(self):
        p = run("exec", "-c", "print('hello')")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"hello\n")

    def test_system_exit_code_passes_through(self):
        p = run("exec", "-c", "raise SystemExit(3)")
        self.assertEqual(p.returncode, 3, p.stderr)

    def test_exception_fails_with_traceback_once(self):
        p = run("exec", "-c", "print('before')\n1/0")
        self.assertNotEqual(p.returncode, 0)
        self.assertEqual(p.stdout, b"before\n")
        self.assertIn(b"ZeroDivisionError", p.stderr)
        self.assertEqual(p.stderr.count(b"ZeroDivisionError: division by zero"), 1, p.stderr)

    def test_last_expression_is_printed(self):
        p = run("exec", "-c", "print('a', end='')\n6 * 7")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"a\n42\n")

    def test_code_from_file_and_stdin(self):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ci-cli-{os.getpid()}.py")
        with open(path, "w") as f:
            f.write("print('from file')\n")
        try:
            p = run("exec", path)
        finally:
            os.unlink(path)
        self.assertEqual((p.returncode, p.stdout), (0, b"from file\n"), p.stderr)
        p = run("exec", "-", stdin=b"print('from stdin')\n")
        self.assertEqual((p.returncode, p.stdout), (0, b"from stdin\n"), p.stderr)

    def test_javascript_and_typescript(self):
        p = run("exec", "-l", "javascript", "-c", "console.log(1 + 1)")
        self.assertEqual((p.returncode, p.stdout), (0, b"2\n"), p.stderr)
        for code, shown in (("throw new Error('boom')", b"Error: boom"), ("throw 5", b"Uncaught 5")):
            p = run("exec", "-l", "javascript", "-c", code)
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(p.stderr.count(shown), 1, p.stderr)  # once, not twice
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ci-cli-{os.getpid()}.ts")
        with open(path, "w") as f:
            f.write("const n: number = 3;\nconsole.log(n * 2);\n")
        try:
            p = run("exec", "--json", path)  # the language comes from .ts
        finally:
            os.unlink(path)
        self.assertEqual(p.returncode, 0, p.stderr)
        sc = json.loads(p.stdout)["structuredContent"]
        self.assertEqual((sc["language"], sc["stdout"]), ("typescript", "6\n"))

    def test_stderr_is_streamed_apart(self):
        p = run("exec", "-c", "import sys; print('out'); print('err', file=sys.stderr)")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"out\n")
        self.assertEqual(p.stderr, b"err\n")

    def test_json_has_the_fields(self):
        p = run("exec", "--json", "-c", "print('hi')\n1 + 1")
        self.assertEqual(p.returncode, 0, p.stderr)
        r = json.loads(p.stdout)
        self.assertIs(r["isError"], False)
        self.assertEqual(r["content"], [{"type": "text", "text": "hi\n2"}])
        sc = r["structuredContent"]
        self.assertEqual(sc["stdout"], "hi\n")
        self.assertEqual(sc["stderr"], "")
        self.assertEqual(sc["exitCode"], 0)
        self.assertEqual(sc["status"], "ok")
        self.assertEqual(sc["language"], "python")
        self.assertEqual(sc["result"], "2")
        self.assertIsInstance(sc["executionTime"], (int, float))
        self.assertGreater(sc["executionTime"], 0)
        for key in ("cpuTimeMs", "peakMemoryBytes"):
            self.assertIn(key, sc)
            self.assertTrue(sc[key] is None or sc[key] >= 0, key)
        self.assertNotIn("error", sc)

    def test_json_error(self):
        p = run("exec", "--json", "-c", "1/0")
        self.assertEqual(p.returncode, 1, p.stderr)
        r = json.loads(p.stdout)
        self.assertIs(r["isError"], True)
        sc = r["structuredContent"]
        self.assertEqual(sc["status"], "error")
        self.assertEqual(sc["error"]["name"], "ZeroDivisionError")
        self.assertEqual(sc["error"]["value"], "division by zero")
        self.assertIn("ZeroDivisionError", text_of(r))

    def test_json_repairs_bytes_like_python(self):
        # Python's "replace" decoder substitutes maximal subparts, as the
        # library must: compare on tricky sequences and random bytes.
        rng = random.Random(1234)
        payload = (b"ok\x00\xff\xe2\x82A\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xf0\x9f\x98\x80"
                   + bytes(rng.randrange(256) for _ in range(4000)))
        code = f"import sys; sys.stdout.buffer.write(bytes.fromhex('{payload.hex()}'))"
        p = run("exec", "--json", "-c", code)
        self.assertEqual(p.returncode, 0, p.stderr)
        p.stdout.decode("utf-8")  # strict: raises on invalid UTF-8
        sc = json.loads(p.stdout)["structuredContent"]
        self.assertEqual(sc["stdout"], payload.decode("utf-8", "replace"))

    def test_timeout_exits_124(self):
        p = run("exec", "--timeout", "1", "-c", "import time; time.sleep(60)")
        self.assertEqual(p.returncode, 124, p.stderr)
        self.assertIn(b"timed out", p.stderr)
        p = run("exec", "--json", "--timeout", "1", "-c", "while True: pass")
        self.assertEqual(p.returncode, 124, p.stderr)
        r = json.loads(p.stdout)
        self.assertEqual(r["structuredContent"]["status"], "timeout")
        self.assertIs(r["isError"], True)

    def test_usage_errors(self):
        self.assertEqual(run("exec").returncode, 2)
        self.assertEqual(run("exec", "-c", "1", "file.py").returncode, 2)
        self.assertEqual(run("exec", "-l", "cobol", "-c", "1").returncode, 2)
        self.assertEqual(run("exec", "--timeout", "0", "-c", "1").returncode, 2)
        self.assertEqual(run("exec", "--network", "wifi", "-c", "1").returncode, 2)
        self.assertEqual(run("invoke", "--idle-timeout", "-1").returncode, 2)
        self.assertEqual(run("invoke", "extra").returncode, 2)
        self.assertEqual(run("frobnicate").returncode, 2)
        self.assertEqual(run().returncode, 2)

    def test_names_and_limits_are_the_librarys(self):
        # the choices and the maximum in the messages come from the library
        p = run("exec", "--cgroup", "v3", "-c", "1")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"auto, v1, v2, none", p.stderr)
        p = run("exec", "--network", "wifi", "-c", "1")
        self.assertIn(b"none, host", p.stderr)
        p = run("exec", "-l", "cobol", "-c", "1")
        self.assertIn(b"python, javascript, typescript", p.stderr)
        p = run("exec", "--timeout", "28800.5", "-c", "1")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"at most 28800", p.stderr)
        self.assertIn(b"max 28800", run("help").stdout)

    def test_help_and_version(self):
        p = run("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout.decode(), r"^codeinterp \d+\.\d+\.\d+\n$")
        for flag in ("help", "-h", "--help"):
            p = run(flag)
            self.assertEqual(p.returncode, 0)
            self.assertIn(b"codeinterp exec", p.stdout)
            self.assertIn(b"codeinterp invoke", p.stdout)

    def test_sandbox_failure_exits_125(self):
        env = dict(os.environ, CODEINTERP_HELPER="/nonexistent/codeinterp-sandbox")
        p = subprocess.run([CLI, "exec", "-c", "print(1)"], env=env,
                           capture_output=True, timeout=RUN_TIMEOUT)
        self.assertEqual(p.returncode, 125, p.stderr)
        self.assertTrue(p.stderr.startswith(b"codeinterp: "), p.stderr)


class Invoke(unittest.TestCase):
    def test_state_persists_between_lines(self):
        p, answers = invoke([call("x = 41"), call("print(x + 1)")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(answers), 2)
        self.assertIs(answers[0]["isError"], False, answers[0])
        self.assertEqual(answers[1]["structuredContent"]["stdout"], "42\n")
        self.assertEqual(text_of(answers[1]), "42\n")

    def test_bad_requests_are_answered_and_the_next_works(self):
        bad = [
            ("{not json", "malformed JSON"),
            ('["executeCode"]', "JSON object"),
            ('{"arguments":{"code":"1"}}', '"name"'),
            ('{"name":"formatDisk","arguments":{}}', "unknown tool"),
            ('{"name":"executeCode"}', '"arguments"'),
            ('{"name":"executeCode","arguments":{}}', '"arguments.code"'),
            ('{"name":"executeCode","arguments":{"code":"1","language":"cobol"}}',
             "unknown language"),
            ('{"name":"executeCode","arguments":{"code":"1","clearContext":"yes"}}',
             "clearContext"),
            ('{"name":"executeCode","arguments":{"code":"1","timeout":-1}}', "timeout"),
            ('{"name":"executeCode","arguments":{"code":"print(1)\\u0000print(2)"}}', "NUL"),
            ('{"name":"executeCode","arguments":{"code":"1","timeout":28800.5}}', "at most 28800"),
        ]
        lines = []
        for request, _ in bad:
            lines += [request, call("print('still here')")]
        p, answers = invoke(lines)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(answers), len(lines))
        for i, (request, expect) in enumerate(bad):
            problem, after = answers[2 * i], answers[2 * i + 1]
            self.assertIs(problem["isError"], True, request)
            self.assertIn(expect, text_of(problem), request)
            self.assertEqual(problem["structuredContent"]["error"]["value"], text_of(problem))
            self.assertIs(after["isError"], False, request)
            self.assertEqual(after["structuredContent"]["stdout"], "still here\n")
        self.assertIn("executeCode", text_of(answers[6]))  # lists the known tools

    def test_blank_lines_are_skipped(self):
        p, answers = invoke(["", "   ", call("print(1)"), "\t"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(answers), 1)

    def test_code_error_is_an_error_result(self):
        p, answers = invoke([call("1/0"), call("print('next')")])
        self.assertEqual(p.returncode, 0, p.stderr)
        sc = answers[0]["structuredContent"]
        self.assertIs(answers[0]["isError"], True)
        self.assertEqual(sc["status"], "error")
        self.assertEqual(sc["error"]["name"], "ZeroDivisionError")
        self.assertEqual(answers[1]["structuredContent"]["stdout"], "next\n")

    def test_timeout_then_session_still_works(self):
        p, answers = invoke([call("import time; time.sleep(60)", timeout=1),
                             call("print('after')")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(answers[0]["structuredContent"]["status"], "timeout")
        self.assertIs(answers[0]["isError"], True)
        self.assertEqual(answers[1]["structuredContent"]["stdout"], "after\n")

    def test_cli_timeout_flag(self):
        p, answers = invoke([call("import time; time.sleep(60)")], "--timeout", "1")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(answers[0]["structuredContent"]["status"], "timeout")

    def test_clear_context(self):
        p, answers = invoke([call("x = 1"), call("print(x)", clearContext=True)])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(answers[1]["structuredContent"]["error"]["name"], "NameError")

    def test_long_line(self):
        p, answers = invoke([call("s = '" + "a" * 1_000_000 + "'\nprint(len(s))")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(answers[0]["structuredContent"]["stdout"], "1000000\n")

    def test_expired_session_is_replaced(self):
        proc = subprocess.Popen([CLI, "invoke", "--idle-timeout", "0.3"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def ask(code):
            proc.stdin.write((call(code) + "\n").encode())
            proc.stdin.flush()
            return json.loads(proc.stdout.readline())

        try:
            self.assertIs(ask("x = 1")["isError"], False)
            time.sleep(1.5)
            expired = ask("print(x)")
            self.assertEqual(expired["structuredContent"]["status"], "session_expired")
            self.assertIs(expired["isError"], True)
            self.assertIn("expired", text_of(expired))
            fresh = ask("print(x)")  # a new session: x is gone
            self.assertEqual(fresh["structuredContent"]["error"]["name"], "NameError")
            self.assertEqual(ask("print('again')")["structuredContent"]["stdout"], "again\n")
            proc.stdin.close()
            self.assertEqual(proc.wait(timeout=RUN_TIMEOUT), 0)
        finally:
            proc.kill()
            proc.wait()
            proc.stdout.close()
            proc.stderr.close()

    def test_sigterm_destroys_the_session(self):
        # The interpreter renames itself; after SIGTERM no host process may
        # carry that name any more.
        mark = f"cimark{os.getpid() % 100000}"
        code = ("import ctypes\n"
                f"ctypes.CDLL(None).prctl(15, b'{mark}', 0, 0, 0)\n"
                "print(open('/proc/self/comm').read().strip())")
        proc = subprocess.Popen([CLI, "invoke"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            proc.stdin.write((call(code) + "\n").encode())
            proc.stdin.flush()
            answer = json.loads(proc.stdout.readline())
            if answer["structuredContent"].get("stdout") != mark + "\n":
                self.skipTest(f"the interpreter could not rename itself: {answer}")
            self.assertTrue(processes_named(mark), "the marked interpreter is not visible")
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=RUN_TIMEOUT)
        finally:
            proc.kill()
            proc.wait()
            proc.stdin.close()
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(proc.returncode, -signal.SIGTERM)
        deadline = time.monotonic() + 10
        while processes_named(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(processes_named(mark), [])


def processes_named(name):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == name:
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    CLI = sys.argv[1]
    unittest.main(argv=sys.argv[:1], verbosity=2)
