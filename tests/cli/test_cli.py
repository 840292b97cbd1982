# SPDX-License-Identifier: MIT
"""Suite 'cli': the codeinterp command end to end, in real sandboxes.

Usage: test_cli.py PATH-TO-codeinterp   (meson passes the build tree's one
and the CODEINTERP_* variables that point the library at the build tree).
"""
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
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


@contextlib.contextmanager
def live_invoke(*args):
    """A running `codeinterp invoke`: yields (process, ask), where ask(line)
    sends one request line and returns the parsed answer. Killed and reaped
    on the way out, whatever happened."""
    proc = subprocess.Popen([CLI, "invoke", *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def ask(line):
        proc.stdin.write((line + "\n").encode())
        proc.stdin.flush()
        return json.loads(proc.stdout.readline())

    try:
        yield proc, ask
    finally:
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            try:
                stream.close()
            except BrokenPipeError:
                pass


def run_on_terminal(*args):
    """Runs codeinterp with stdout and stderr on a pseudo-terminal; returns
    (exit code, what the terminal received)."""
    import pty
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen([CLI, *args], stdin=subprocess.DEVNULL, stdout=slave,
                                stderr=slave)
        os.close(slave)
        slave = -1
        got = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            got += chunk
        return proc.wait(timeout=RUN_TIMEOUT), got
    finally:
        os.close(master)
        if slave >= 0:
            os.close(slave)


# Escape sequences sandboxed code might send to the user's terminal: an OSC
# 52 clipboard write, a window title, a screen clear, a DCS string, a C1
# CSI (U+009B), a bell; and an SGR colour, which is let through.
HOSTILE = ("import sys\n"
           "sys.stdout.write('a\\x1b]52;c;ZXZpbA==\\x07b\\x1b]0;pwned\\x07c\\n')\n"
           "sys.stdout.write('\\x1b[2J\\x1bP1$qm\\x1b\\\\\\u009b31m\\x07\\n')\n"
           "sys.stdout.write('\\x1b[1;31mred\\x1b[0m\\n')\n"
           "sys.stderr.write('e\\x1b]52;c;ZXZpbA==\\x07\\n')\n")


class Terminal(unittest.TestCase):
    def test_escape_sequences_are_shown_not_obeyed(self):
        code, got = run_on_terminal("exec", "-c", HOSTILE)
        self.assertEqual(code, 0, got)
        self.assertNotIn(b"\x1b]", got)
        self.assertNotIn(b"\x1bP", got)
        self.assertNotIn(b"\x1b[2J", got)
        self.assertNotIn("\u009b".encode(), got)
        self.assertNotIn(b"\x07", got)
        # shown instead, nothing dropped
        self.assertIn(b"a^[]52;c;ZXZpbA==^Gb^[]0;pwned^Gc", got)
        self.assertIn(b"^[[2J^[P1$qm^[\\<U+009B>31m^G", got)
        self.assertIn(b"e^[]52;c;ZXZpbA==^G", got)
        # colours pass
        self.assertIn(b"\x1b[1;31mred\x1b[0m", got)

    def test_raw_output_and_pipes_pass_bytes(self):
        code, got = run_on_terminal("exec", "--raw-output", "-c", HOSTILE)
        self.assertEqual(code, 0, got)
        self.assertIn(b"a\x1b]52;c;ZXZpbA==\x07b", got)
        p = run("exec", "-c", HOSTILE)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"\x1b]0;pwned\x07", p.stdout)
        self.assertIn(b"\x1b]52;c;ZXZpbA==\x07", p.stderr)

    def test_a_sequence_cut_between_writes(self):
        code, got = run_on_terminal("exec", "-c", "import sys, time\n"
                                    "sys.stdout.write('x\\x1b'); sys.stdout.flush()\n"
                                    "time.sleep(0.3)\n"
                                    "sys.stdout.write(']2;t\\x07 \\x1b[3'); sys.stdout.flush()\n"
                                    "time.sleep(0.3)\n"
                                    "sys.stdout.write('2mgreen\\x1b[0m\\n')\n")
        self.assertEqual(code, 0, got)
        self.assertIn(b"x^[]2;t^G \x1b[32mgreen\x1b[0m", got)


class BuildTree(unittest.TestCase):
    """build/tools/codeinterp runs as built; a copy of it (an installed
    binary is another file) never looks into the build tree, and each
    error names what fixes it."""

    def env_without(self, *names):
        env = {k: v for k, v in os.environ.items() if k not in names}
        env["LD_LIBRARY_PATH"] = os.path.join(os.path.dirname(os.path.dirname(CLI)), "lib")
        return env

    def test_build_tree_binary_needs_no_variable(self):
        p = subprocess.run([CLI, "exec", "-c", "print(6 * 7)"], capture_output=True,
                           env=self.env_without("CODEINTERP_HELPER", "CODEINTERP_KERNEL_DIR"),
                           timeout=RUN_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"42\n")

    def test_a_copy_does_not_use_the_build_tree(self):
        with tempfile.TemporaryDirectory() as d:
            copy = os.path.join(d, "codeinterp")
            subprocess.run(["cp", CLI, copy], check=True)
            p = subprocess.run([copy, "exec", "-c", "print(1)"], capture_output=True,
                               env=self.env_without("CODEINTERP_HELPER", "CODEINTERP_KERNEL_DIR"),
                               timeout=RUN_TIMEOUT)
            self.assertEqual(p.returncode, 125, p.stderr)
            self.assertIn(b"CODEINTERP_KERNEL_DIR", p.stderr)
            p = subprocess.run([copy, "exec", "-c", "print(1)"], capture_output=True,
                               env=self.env_without("CODEINTERP_HELPER"), timeout=RUN_TIMEOUT)
            self.assertEqual(p.returncode, 125, p.stderr)
            self.assertIn(b"CODEINTERP_HELPER", p.stderr)


TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_PYTHON = os.path.join(os.environ.get("CODEINTERP_RUNTIME_DIR") or "/opt/codeinterp",
                           "test", "venv", "bin", "python")


class SaveArtifacts(unittest.TestCase):
    def test_charts_and_output_files_reach_the_folder(self):
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "out")
            p = run("exec", "--save-artifacts", target, "-c",
                    "import matplotlib.pyplot as plt, os\n"
                    "plt.plot([1, 2, 3])\n"
                    "os.makedirs('/output/sub', exist_ok=True)\n"
                    "open('/output/sub/a.csv', 'w').write('x\\n1\\n')\n"
                    "open('/output/top.txt', 'w').write('t')\n"
                    "os.symlink('/etc/passwd', '/output/link')\n"
                    "open('/workspace/stays.txt', 'w').write('w')\n")
            self.assertEqual(p.returncode, 0, p.stderr)
            saved = sorted(os.path.relpath(os.path.join(r, f), target)
                           for r, _, fs in os.walk(target) for f in fs)
            self.assertEqual(saved, ["chart-1.png", "sub/a.csv", "top.txt"])
            with open(os.path.join(target, "chart-1.png"), "rb") as f:
                self.assertTrue(f.read().startswith(b"\x89PNG"))
            with open(os.path.join(target, "sub", "a.csv")) as f:
                self.assertEqual(f.read(), "x\n1\n")
            self.assertIn(b"saved " + target.encode() + b"/top.txt", p.stderr)

    def test_without_the_flag_they_are_mentioned(self):
        p = run("exec", "-c", "import matplotlib.pyplot as plt\nplt.plot([1])\n"
                "open('/output/a.txt', 'w').write('a')")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(b"1 chart and 1 file in /output not saved; --save-artifacts DIR", p.stderr)
        p = run("exec", "-c", "print(1)")
        self.assertNotIn(b"not saved", p.stderr)

    def test_an_unwritable_folder_fails(self):
        p = run("exec", "--save-artifacts", "/proc/nope", "-c", "open('/output/a', 'w')")
        self.assertEqual(p.returncode, 125, p.stderr)
        self.assertIn(b"--save-artifacts /proc/nope", p.stderr)


class NonRoot(unittest.TestCase):
    """A non-root user is told, flag by flag, how to run without root."""

    def setUp(self):
        if os.geteuid() != 0 or not shutil.which("setpriv"):
            self.skipTest("needs root (to become nobody) and setpriv")

    def as_nobody(self, *args):
        env = {k: v for k, v in os.environ.items() if k != "CODEINTERP_STATE_DIR"}
        return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               CLI, "exec", *args, "-c", "print(1)"], capture_output=True,
                              env=env, timeout=RUN_TIMEOUT)

    def test_each_error_names_its_flag(self):
        p = self.as_nobody()
        self.assertEqual(p.returncode, 125)
        self.assertIn(b"codeinterp --workspace-size 0", p.stderr)
        p = self.as_nobody("--workspace-size", "0")
        self.assertEqual(p.returncode, 125)
        self.assertIn(b"codeinterp --cgroup none", p.stderr)
        p = self.as_nobody("--workspace-size", "0", "--cgroup", "none")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"1\n")


class Limits(unittest.TestCase):
    """--output-limit, --upload-limit and --cpu reach the sandbox."""

    def test_output_limit_cuts_and_says_so(self):
        p = run("exec", "--output-limit", "1", "--json", "-c", "print('x' * (3 << 20))")
        self.assertEqual(p.returncode, 0, p.stderr)
        answer = json.loads(p.stdout)
        self.assertTrue(answer["structuredContent"]["stdoutTruncated"])
        self.assertEqual(len(answer["structuredContent"]["stdout"]), 1 << 20)
        self.assertIn("[stdout truncated: only its first 1048576 bytes are kept",
                      answer["content"][0]["text"])

    def test_cpu_quota(self):
        # a half-CPU quota: two busy processes for 1 s of wall time get
        # about 0.5 s of CPU, far below the 2 s they would get unlimited
        code = ("import multiprocessing, time, resource\n"
                "def spin():\n"
                "    end = time.time() + 1.5\n"
                "    while time.time() < end: pass\n"
                "ps = [multiprocessing.Process(target=spin) for _ in range(2)]\n"
                "[p.start() for p in ps]; [p.join() for p in ps]\n"
                "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
                "print(round(u.ru_utime + u.ru_stime, 2))\n")
        p = run("exec", "--cpu", "0.5", "-c", code)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertLess(float(p.stdout), 1.6, "two spinners used %s s of CPU" % p.stdout)

    def test_cgroup_parent_reaches_the_library(self):
        p = run("exec", "--cgroup", "v1", "--cgroup-parent", "no-such-parent-here", "-c", "1")
        self.assertEqual(p.returncode, 125, p.stderr)
        self.assertIn(b"/no-such-parent-here/codeinterp", p.stderr)

    def test_bad_values_are_usage_errors(self):
        for args in (("--cpu", "0"), ("--cpu", "x"), ("--output-limit", "-1"),
                     ("--upload-limit", "0"), ("--upload-limit", "9999999")):
            p = run("exec", *args, "-c", "1")
            self.assertEqual(p.returncode, 2, (args, p.stderr))
            self.assertIn(args[0].encode(), p.stderr)


class S3(unittest.TestCase):
    """--input-s3 and --output-s3 against a signature-checking S3 server
    (moto with IAM, tests/moto_server.py), checked with boto3."""

    @classmethod
    def setUpClass(cls):
        if not os.access(TEST_PYTHON, os.X_OK):
            raise unittest.SkipTest("no test venv (%s); run scripts/setup" % TEST_PYTHON)
        sys.path.insert(0, TESTS_DIR)
        from moto_server import Moto
        cls.tmp = tempfile.TemporaryDirectory()
        cls.moto = Moto(cls.tmp.name, TEST_PYTHON, os.path.join(TESTS_DIR, "s3_tool.py"))

    @classmethod
    def tearDownClass(cls):
        cls.moto.stop()
        cls.tmp.cleanup()

    def env(self):
        return dict(os.environ, AWS_ACCESS_KEY_ID=self.moto.ak,
                    AWS_SECRET_ACCESS_KEY=self.moto.sk, AWS_REGION="us-east-1",
                    AWS_ENDPOINT_URL_S3=self.moto.endpoint)

    def test_input_and_output(self):
        self.moto.put_text("in/n.txt", "20\n")
        p = subprocess.run([CLI, "exec", "--input-s3", "s3://bkt/in/n.txt",
                            "--output-s3", "s3://bkt/out/", "-c",
                            "n = int(open('/data/n.txt').read())\n"
                            "open('/output/double.txt', 'w').write(str(2 * n))\nn"],
                           capture_output=True, env=self.env(), timeout=RUN_TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, b"20\n")
        self.assertEqual(self.moto.tool("cat", "bkt", "out/double.txt"), "40")
        self.assertIn(b"sent 1 file of /output to s3://bkt/out/", p.stderr)
        # not a terminal: no progress line
        self.assertNotIn(b"\r", p.stderr)

    def test_progress_on_a_terminal(self):
        self.moto.put_text("in/big.txt", "y" * (3 << 20))
        env = self.env()
        saved = os.environ.copy()
        os.environ.update(env)
        try:
            code, got = run_on_terminal("exec", "--input-s3", "s3://bkt/in/big.txt", "-c",
                                        "import os; os.path.getsize('/data/big.txt')")
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.assertEqual(code, 0, got)
        self.assertIn(b"s3://bkt/in/big.txt", got)
        self.assertIn(b"3.0 / 3.0 MiB  100%", got)
        self.assertIn(b"3145728", got)

    def test_missing_input_fails_clearly(self):
        p = subprocess.run([CLI, "exec", "--input-s3", "s3://bkt/in/none.txt", "-c", "1"],
                           capture_output=True, env=self.env(), timeout=RUN_TIMEOUT)
        self.assertEqual(p.returncode, 125, p.stderr)
        self.assertIn(b'"in/none.txt": no such key', p.stderr)


class Exec(unittest.TestCase):
    def test_runtime_dir(self):
        # another set of language runtimes: an empty one has no Python
        # virtualenv (named in the error), plain JavaScript needs none
        with tempfile.TemporaryDirectory() as empty:
            p = run("exec", "--runtime-dir", empty, "-c", "print(1)")
            self.assertNotEqual(p.returncode, 0)
            self.assertIn(f"{empty}/python".encode(), p.stderr)
            p = run("exec", "--runtime-dir", empty, "-l", "js", "-c", "console.log(6 * 7)")
            self.assertEqual((p.returncode, p.stdout), (0, b"42\n"), p.stderr)
            p, answers = invoke([call("print(2)")], "--runtime-dir", empty)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIs(answers[0]["isError"], True)
            self.assertIn(f"{empty}/python", text_of(answers[0]))
        p = run("exec", "--runtime-dir", "relative", "-c", "1")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"absolute path", p.stderr)

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

    def test_each_command_has_its_own_help(self):
        texts = {}
        for cmd in ("exec", "invoke", "mcp", "serve", "audit-verify"):
            p = run(cmd, "--help")
            self.assertEqual(p.returncode, 0, (cmd, p.stderr))
            self.assertEqual(p.stdout, run("help", cmd).stdout)
            out = p.stdout.decode()
            self.assertIn("codeinterp " + cmd, out)
            others = {"exec", "invoke", "mcp", "serve", "audit-verify"} - {cmd}
            for other in others:
                self.assertNotIn("codeinterp %s " % other, out, (cmd, other))
            texts[cmd] = out
        self.assertIn("--raw-output", texts["exec"])
        self.assertNotIn("--raw-output", texts["invoke"])
        self.assertIn("--keys FILE", texts["serve"])
        self.assertIn("--idle-timeout", texts["invoke"])
        self.assertNotIn("--idle-timeout", texts["exec"])
        # invoke's help lists every tool with its arguments, from the catalog
        for line in ("executeCode {code, language?,", "executeCommand {command, timeout?}",
                     "startCommandExecution {command}", "getTask {taskId}",
                     "stopTask {taskId}", "writeFiles {content}", "readFiles {paths}",
                     "listFiles {directoryPath?, limit?, nextToken?}", "removeFiles {paths}"):
            self.assertIn(line, texts["invoke"])
        p = run("help", "nope")
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"no command 'nope'", p.stderr)

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

    def test_stream_writes_output_before_the_answer(self):
        proc = subprocess.Popen([CLI, "invoke", "--stream"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            proc.stdin.write((call("import sys, time\nfor i in range(3):\n"
                                   "    print('tick', i, flush=True)\n"
                                   "    print('e', file=sys.stderr, flush=True)\n"
                                   "    time.sleep(0.5)\n'caf\u00e9'") + "\n").encode())
            proc.stdin.flush()
            lines = []
            while True:
                line = proc.stdout.readline()
                self.assertTrue(line, "the answer never came")
                lines.append((time.monotonic(), json.loads(line)))
                if "content" in lines[-1][1]:
                    break
            chunks = [m for _, m in lines[:-1]]
            self.assertEqual({m["type"] for m in chunks}, {"output"})
            out = "".join(m["text"] for m in chunks if m["stream"] == "stdout")
            self.assertEqual(out, "tick 0\ntick 1\ntick 2\n")
            self.assertEqual("".join(m["text"] for m in chunks if m["stream"] == "stderr"),
                             "e\ne\ne\n")
            # the first chunk came while the code still ran
            self.assertLess(lines[0][0], lines[-1][0] - 0.5)
            self.assertEqual(lines[-1][1]["structuredContent"]["result"], "'caf\u00e9'")
            # tools that run no code answer with one line
            proc.stdin.write((tool("listFiles") + "\n").encode())
            proc.stdin.flush()
            self.assertIn("content", json.loads(proc.stdout.readline()))
        finally:
            proc.kill()
            proc.wait()
            for f in (proc.stdin, proc.stdout, proc.stderr):
                f.close()

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
        with live_invoke("--idle-timeout", "0.3") as (proc, ask_line):
            def ask(code):
                return ask_line(call(code))

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

    def test_sigterm_destroys_the_session(self):
        # The interpreter renames itself; after SIGTERM no host process may
        # carry that name any more.
        mark = f"cimark{os.getpid() % 100000}"
        code = ("import ctypes\n"
                f"ctypes.CDLL(None).prctl(15, b'{mark}', 0, 0, 0)\n"
                "print(open('/proc/self/comm').read().strip())")
        with live_invoke() as (proc, ask):
            answer = ask(call(code))
            if answer["structuredContent"].get("stdout") != mark + "\n":
                self.skipTest(f"the interpreter could not rename itself: {answer}")
            self.assertTrue(processes_named(mark), "the marked interpreter is not visible")
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=RUN_TIMEOUT)
        self.assertEqual(proc.returncode, -signal.SIGTERM)
        deadline = time.monotonic() + 10
        while processes_named(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(processes_named(mark), [])



def tool(name, **arguments):
    """One request line for any tool."""
    return json.dumps({"name": name, "arguments": arguments})


def temp_path(suffix):
    return os.path.join(os.environ.get("TMPDIR", "/tmp"), f"ci-cli-{os.getpid()}{suffix}")


class Shell(unittest.TestCase):
    """exec -l shell and .sh files, --env, --cwd and --kill-leftovers, and
    invoke's shell tools (executeCommand, startCommandExecution, getTask,
    stopTask) over its JSON lines."""

    def test_command_exit_code_and_stdout(self):
        p = run("exec", "-l", "shell", "-c", "echo hi; exit 3")
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertEqual(p.stdout, b"hi\n")
        self.assertEqual(p.stderr, b"")  # a plain exit: nothing added
        p = run("exec", "-l", "shell", "-c", "echo out; echo err >&2")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"out\n", b"err\n"))
        p = run("exec", "--json", "-l", "shell", "-c", "echo hi; exit 3")
        self.assertEqual(p.returncode, 3, p.stderr)
        r = json.loads(p.stdout)
        self.assertIs(r["isError"], True)
        sc = r["structuredContent"]
        self.assertEqual((sc["language"], sc["stdout"], sc["exitCode"], sc["status"]),
                         ("shell", "hi\n", 3, "error"))
        self.assertIn("Exited with code 3.", text_of(r))

    def test_shell_is_sh_in_the_sandbox(self):
        p = run("exec", "-l", "shell", "-c", 'echo "$0 $(pwd) $(id -un)"; kill -TERM $$')
        self.assertEqual(p.returncode, 128 + 15, p.stderr)
        self.assertEqual(p.stdout, b"/bin/sh /workspace sandbox\n")
        p = run("exec", "-l", "shell", "-", stdin=b"read -r x || true; echo \"[$x]\"\n")
        self.assertEqual((p.returncode, p.stdout), (0, b"[]\n"), p.stderr)

    def test_sh_file_runs_as_shell(self):
        # valid shell and a syntax error in Python: it must run as shell
        path = temp_path(".sh")
        with open(path, "w") as f:
            f.write('x=$(echo sh)\nfor i in 1 2; do echo "$x $i"; done\nexit 5\n')
        try:
            p = run("exec", path)
            q = run("exec", "--json", path)
        finally:
            os.unlink(path)
        self.assertEqual(p.returncode, 5, p.stderr)
        self.assertEqual(p.stdout, b"sh 1\nsh 2\n")
        self.assertNotIn(b"SyntaxError", p.stderr)
        self.assertEqual(json.loads(q.stdout)["structuredContent"]["language"], "shell")
        # -l wins over the extension
        path = temp_path(".sh")
        with open(path, "w") as f:
            f.write("print('python', 6 * 7)\n")
        try:
            p = run("exec", "-l", "python", path)
        finally:
            os.unlink(path)
        self.assertEqual((p.returncode, p.stdout), (0, b"python 42\n"), p.stderr)

    def test_env_seen_by_shell_and_python(self):
        env = ("--env", "CI_A=1", "--env", "CI_A=2", "--env", "CI_B=x=y z", "--env", "CI_E=")
        p = run("exec", *env, "-l", "shell", "-c", 'echo "$CI_A|$CI_B|${CI_E-unset}"')
        self.assertEqual((p.returncode, p.stdout), (0, b"2|x=y z|\n"), p.stderr)
        p = run("exec", *env, "-c", "import os\n"
                "print(os.environ['CI_A'], os.environ['CI_B'], repr(os.environ['CI_E']))")
        self.assertEqual((p.returncode, p.stdout), (0, b"2 x=y z ''\n"), p.stderr)
        # a subprocess of the Python code inherits it
        p = run("exec", "--env", "CI_A=sub", "-c",
                "import subprocess; _ = subprocess.run(['sh', '-c', 'echo $CI_A'])")
        self.assertEqual((p.returncode, p.stdout), (0, b"sub\n"), p.stderr)
        # without --env the variable is not there
        p = run("exec", "-l", "shell", "-c", 'echo "${CI_A-unset}"')
        self.assertEqual(p.stdout, b"unset\n")

    def test_env_javascript(self):
        # per-call env of JavaScript (process.env) is being fixed in the
        # library in parallel: this test states the documented behaviour
        p = run("exec", "--env", "CI_A=js", "-l", "javascript", "-c", "console.log(process.env.CI_A)")
        self.assertEqual((p.returncode, p.stdout), (0, b"js\n"), p.stderr)

    def test_env_usage_errors(self):
        for arg, said in (("NOEQUALS", b"NAME=VALUE"), ("1X=2", b"variable name"),
                          ("A-B=1", b"variable name"), ("=v", b"variable name")):
            p = run("exec", "--env", arg, "-c", "print('ran')")
            self.assertEqual(p.returncode, 2, arg)
            self.assertEqual(p.stdout, b"", arg)
            self.assertIn(said, p.stderr, arg)
        # invoke has no --env: its calls take the session's environment only
        self.assertEqual(run("invoke", "--env", "A=1", stdin=b"").returncode, 2)

    def test_env_does_not_leak_across_invoke_calls(self):
        p, answers = invoke([
            tool("executeCommand", command="export CI_LEAK=1; cd /tmp; echo set"),
            tool("executeCommand", command='echo "${CI_LEAK-unset} $(pwd)"'),
            call("import os\nos.environ['CI_PY'] = '1'\nos.chdir('/tmp')"),
            tool("executeCommand", command='echo "${CI_PY-unset} $(pwd)"'),
            call("import os; print(os.environ.get('CI_LEAK', 'unset'))"),
            tool("executeCommand", command="env", env={"CI_LEAK": "1"}),
        ])
        self.assertEqual(p.returncode, 0, p.stderr)
        sc = [a["structuredContent"] for a in answers]
        self.assertEqual(sc[0]["stdout"], "set\n")
        self.assertEqual(sc[1]["stdout"], "unset /workspace\n")  # a fresh shell each call
        self.assertEqual(sc[3]["stdout"], "unset /workspace\n")  # Python's state stays there
        self.assertEqual(sc[4]["stdout"], "unset\n")
        self.assertIs(answers[5]["isError"], True)  # no env argument: refused, not ignored
        self.assertIn('"env"', text_of(answers[5]))

    def test_cwd(self):
        for cwd in ("/workspace", ".", "/workspace/"):
            p = run("exec", "--cwd", cwd, "-l", "shell", "-c", "pwd")
            self.assertEqual((p.returncode, p.stdout), (0, b"/workspace\n"), (cwd, p.stderr))
        p = run("exec", "--cwd", ".", "-c", "import os; print(os.getcwd())")
        self.assertEqual((p.returncode, p.stdout), (0, b"/workspace\n"), p.stderr)

    def test_cwd_missing_folder_in_one_shot(self):
        # exec's sandbox starts with an empty /workspace, so a folder under
        # it does not exist yet when the code would start: the code does not
        # run, the reason is on stderr and the exit code is 1 (the folder
        # cannot be made by the code itself, which would run inside it)
        for language in ("shell", "python"):
            p = run("exec", "--cwd", "data/in", "-l", language, "-c", "echo ran" if
                    language == "shell" else "print('ran')")
            self.assertEqual(p.returncode, 1, (language, p.stderr))
            self.assertEqual(p.stdout, b"", language)
            self.assertIn(b"cannot enter /workspace/data/in: No such file or directory",
                          p.stderr, language)
        p = run("exec", "--json", "--cwd", "data", "-l", "shell", "-c", "echo ran")
        self.assertEqual(p.returncode, 1, p.stderr)
        sc = json.loads(p.stdout)["structuredContent"]
        self.assertEqual((sc["status"], sc["stdout"]), ("error", ""))
        self.assertIn("cannot enter /workspace/data", sc["stderr"])

    def test_cwd_outside_workspace_is_a_usage_error(self):
        for cwd in ("..", "../etc", "/etc", "/workspace/../etc", "a//b"):
            p = run("exec", "--cwd", cwd, "-l", "shell", "-c", "echo ran")
            self.assertEqual(p.returncode, 2, cwd)
            self.assertEqual(p.stdout, b"", cwd)
            self.assertIn(b"--cwd", p.stderr, cwd)

    def test_kill_leftovers(self):
        # A background job carrying a marker; in exec's one-shot sandbox it
        # dies with the sandbox either way, so what is checked is that the
        # run returns at once with the command's own output and status, the
        # job's later output is not shown, and no process of it survives.
        for flags in (("--kill-leftovers",), ()):
            mark = f"cileft{os.getpid() % 100000}{len(flags)}"
            command = (f"python3 -c 'import time; time.sleep(300)' {mark} & "
                       "(sleep 0.5; echo late) & echo started; exit 4")
            start = time.monotonic()
            p = run("exec", *flags, "-l", "shell", "-c", command)
            self.assertLess(time.monotonic() - start, 60, flags)
            self.assertEqual((p.returncode, p.stdout), (4, b"started\n"), (flags, p.stderr))
            time.sleep(0.7)
            self.assertEqual(processes_named_in_argv(mark), [], flags)
        p = run("exec", "--kill-leftovers", "-c",
                "import subprocess; subprocess.Popen(['sleep', '300']); print('py')")
        self.assertEqual((p.returncode, p.stdout), (0, b"py\n"), p.stderr)

    def test_invoke_execute_command(self):
        p, answers = invoke([
            tool("executeCommand", command="echo hi; echo err >&2; exit 3"),
            tool("executeCommand", command="printf made > f.txt; ls"),
            tool("readFiles", paths=["f.txt"]),
            call("print(open('f.txt').read())"),
            tool("executeCommand", command="sleep 60", timeout=1),
            tool("executeCommand", command=""),
            tool("executeCommand"),
            tool("executeCommand", command=["ls"]),
            tool("executeCommand", command="true", cwd="x"),
        ])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(len(answers), 9)
        r = answers[0]
        self.assertIs(r["isError"], True)
        self.assertEqual(r["structuredContent"]["exitCode"], 3)
        self.assertEqual(r["structuredContent"]["stdout"], "hi\n")
        self.assertEqual(r["structuredContent"]["stderr"], "err\n")
        self.assertEqual(text_of(r), "hi\nerr\nExited with code 3.")
        self.assertIs(answers[1]["isError"], False)
        self.assertEqual(answers[1]["structuredContent"]["stdout"], "f.txt\n")
        self.assertEqual(answers[2]["content"][0]["resource"]["text"], "made")
        self.assertEqual(answers[3]["structuredContent"]["stdout"], "made\n")
        self.assertEqual(answers[4]["structuredContent"]["status"], "timeout")
        for bad in answers[5:8]:
            self.assertIs(bad["isError"], True)
            self.assertIn('"arguments', text_of(bad))
        self.assertIn("does not take the argument \"cwd\"", text_of(answers[8]))

    def test_invoke_tasks(self):
        with live_invoke() as (proc, ask):
            self.check_tasks(proc, ask)

    def check_tasks(self, proc, ask):
        def poll(task_id, until):
            deadline = time.monotonic() + 30
            while True:
                r = ask(tool("getTask", taskId=task_id))
                self.assertIs(r["isError"], False, r)
                if until(r["structuredContent"]) or time.monotonic() > deadline:
                    return r
                time.sleep(0.05)

        started = ask(tool("startCommandExecution", command="echo one; sleep 0.3; echo two"))
        self.assertIs(started["isError"], False, started)
        task = started["structuredContent"]["taskId"]
        self.assertEqual(task, "task-1")
        self.assertIn(started["structuredContent"]["taskStatus"],
                      ("submitted", "working", "completed"))
        # the session answers other calls while the task runs
        self.assertEqual(ask(tool("executeCommand", command="echo busy"))
                         ["structuredContent"]["stdout"], "busy\n")
        done = poll(task, lambda sc: sc["taskStatus"] == "completed")
        sc = done["structuredContent"]
        self.assertEqual((sc["taskStatus"], sc["exitCode"], sc["stdout"]),
                         ("completed", 0, "one\ntwo\n"))
        self.assertEqual(text_of(done), "one\ntwo\nTask task-1 completed with exit code 0.")

        long = ask(tool("startCommandExecution", command="echo up; exec sleep 300"))
        task = long["structuredContent"]["taskId"]
        self.assertEqual(task, "task-2")
        poll(task, lambda sc: sc["stdout"] == "up\n")
        stopped = ask(tool("stopTask", taskId=task))
        self.assertIs(stopped["isError"], False, stopped)
        self.assertEqual(stopped["structuredContent"]["taskStatus"], "canceled")
        self.assertEqual(stopped["structuredContent"]["exitCode"], 137)
        self.assertIn("canceled", text_of(stopped))

        unknown = ask(tool("getTask", taskId="task-99"))
        self.assertIs(unknown["isError"], True)
        self.assertEqual(unknown["structuredContent"]["error"]["name"], "NoSuchTask")
        self.assertIn("task-99", text_of(unknown))
        bad = ask(tool("stopTask", taskId=2))
        self.assertIs(bad["isError"], True)
        self.assertIn('"arguments.taskId"', text_of(bad))
        proc.stdin.close()
        self.assertEqual(proc.wait(timeout=RUN_TIMEOUT), 0)

    def test_invoke_end_stops_running_tasks(self):
        # a task still running when invoke's input ends dies with the session
        mark = f"citask{os.getpid() % 100000}"
        p, answers = invoke([tool("startCommandExecution",
                                  command=f"exec python3 -c 'import time; time.sleep(300)' {mark}")])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIs(answers[0]["isError"], False, answers[0])
        deadline = time.monotonic() + 10
        while processes_named_in_argv(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(processes_named_in_argv(mark), [])


def processes_named_in_argv(word):
    """Host processes one of whose argv elements is `word`."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if word.encode() in f.read().split(b"\0"):
                        pids.append(int(entry))
            except OSError:
                pass
    return pids

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
