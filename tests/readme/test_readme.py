#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Suite readme: the blocks of the README's "Ways in" section run as written.

    test_readme.py README BUILD_DIR SOURCE_DIR

C: compiled with the build tree's pkg-config file (meson-uninstalled) and
run. Python: `pip install ./bindings/python` into a fresh venv made from
/usr/bin/python3 (pip fetches its build tools from the package registry),
then the block runs with that venv's Python, the build tree's library on
LD_LIBRARY_PATH. Command line:
the sh block with the build tree's codeinterp first on PATH. MCP: the
command and arguments of the JSON entry, spoken to with initialize and a
tools/call. AgentCore over HTTP: the sh block (key file, serve in the
background) in a scratch folder, then the boto3 block with the test venv's
Python; the only change made to a block is its port, 8741, replaced by a
free one, so that parallel suites do not collide.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

README = BUILD = SOURCE = None
TIMEOUT = 300


def blocks():
    """The fenced blocks of the "Ways in" section: [(language, text)]."""
    with open(README, encoding="utf-8") as f:
        text = f.read()
    section = text.split("\n## Ways in\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(\w+)\n(.*?)```", section, re.S)


def block(language, nth=0):
    found = [t for lang, t in blocks() if lang == language]
    return found[nth]


def env():
    e = dict(os.environ)
    e["PATH"] = os.path.join(BUILD, "tools") + os.pathsep + e.get("PATH", "")
    e["LD_LIBRARY_PATH"] = os.path.join(BUILD, "lib")
    return e


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WaysIn(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_ok(self, args, **kw):
        p = subprocess.run(args, capture_output=True, timeout=TIMEOUT, env=kw.pop("env", env()),
                           **kw)
        self.assertEqual(p.returncode, 0, (args, p.stdout, p.stderr))
        return p.stdout.decode()

    def test_the_section_has_every_way(self):
        self.assertEqual([lang for lang, _ in blocks()],
                         ["c", "python", "sh", "json", "sh", "python"])

    def test_c(self):
        src = os.path.join(self.tmp, "example.c")
        with open(src, "w") as f:
            f.write(block("c"))
        e = env()
        e["PKG_CONFIG_PATH"] = os.path.join(BUILD, "meson-uninstalled")
        flags = self.run_ok(["pkg-config", "--cflags", "--libs", "codeinterp"], env=e).split()
        exe = os.path.join(self.tmp, "example")
        self.run_ok(["cc", "-Wall", "-Werror", src, "-o", exe, *flags], env=e)
        self.assertEqual(self.run_ok([exe]), "42\n")

    def test_python_after_pip_install(self):
        venv = os.path.join(self.tmp, "venv")
        self.run_ok(["/usr/bin/python3", "-m", "venv", venv])
        py = os.path.join(venv, "bin", "python")
        # as the README says, from a copy so that setuptools' build folders
        # stay out of the source tree: pip's own isolated build, which takes
        # setuptools and wheel from the package registry
        shutil.copytree(os.path.join(SOURCE, "bindings", "python"),
                        os.path.join(self.tmp, "bindings", "python"),
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        self.run_ok([py, "-m", "pip", "install", "-q", "./bindings/python"], cwd=self.tmp)
        script = os.path.join(self.tmp, "quick.py")
        with open(script, "w") as f:
            f.write(block("python"))
        out = self.run_ok([py, script], cwd=self.tmp)
        self.assertEqual(out, "6\n")

    def test_command_line(self):
        out = self.run_ok(["bash", "-euo", "pipefail", "-c", block("sh")])
        lines = out.splitlines()
        self.assertEqual(lines[0], "6")
        answer = json.loads(lines[1])
        self.assertEqual(answer["structuredContent"]["stdout"], "Linux\n")

    def test_mcp_entry(self):
        entry = json.loads(block("json"))["mcpServers"]["codeinterp"]
        exe = shutil.which(entry["command"], path=env()["PATH"])
        self.assertTrue(exe, entry["command"])
        msgs = [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "readme", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
             "params": {"name": "executeCode", "arguments": {"code": "6 * 7"}}},
        ]
        p = subprocess.run([exe, *entry["args"]], capture_output=True, timeout=TIMEOUT,
                           env=env(), input="".join(json.dumps(m) + "\n" for m in msgs).encode())
        self.assertEqual(p.returncode, 0, p.stderr)
        answers = {m["id"]: m for m in map(json.loads, p.stdout.decode().splitlines())}
        self.assertEqual(answers[1]["result"]["serverInfo"]["name"], "codeinterp")
        self.assertEqual(answers[2]["result"]["structuredContent"]["result"], "42")

    def test_agentcore_over_http(self):
        test_python = os.path.join(os.environ.get("CODEINTERP_RUNTIME_DIR", "/opt/codeinterp"),
                                   "test", "venv", "bin", "python")
        if not os.access(test_python, os.X_OK):
            self.skipTest("no test venv with boto3 (%s); run scripts/setup" % test_python)
        port = str(free_port())
        start = block("sh", 1).replace("8741", port)
        client = block("python", 1).replace("8741", port)
        self.assertNotEqual(start, block("sh", 1), "the block names no port 8741")
        log = open(os.path.join(self.tmp, "serve.log"), "wb")
        # the block starts serve with &: its shell waits for it, and ends it
        # with the process group
        shell = subprocess.Popen(["bash", "-euo", "pipefail", "-c", start + "wait\n"],
                                 cwd=self.tmp, env=env(), stdout=log, stderr=log,
                                 start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", int(port)), timeout=1).close()
                    break
                except OSError:
                    self.assertIsNone(shell.poll(), "serve ended; see the log")
                    self.assertLess(time.monotonic(), deadline, "serve did not listen")
                    time.sleep(0.1)
            self.assertEqual(os.stat(os.path.join(self.tmp, "keys")).st_mode & 0o777, 0o600)
            script = os.path.join(self.tmp, "agentcore.py")
            with open(script, "w") as f:
                f.write(client)
            out = self.run_ok([test_python, script], cwd=self.tmp)
            self.assertEqual(out, "42\n")
        finally:
            os.killpg(shell.pid, signal.SIGTERM)
            try:
                shell.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(shell.pid, signal.SIGKILL)
                shell.wait()
            log.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    README, BUILD, SOURCE = sys.argv[1:]
    unittest.main(argv=sys.argv[:1], verbosity=2)
