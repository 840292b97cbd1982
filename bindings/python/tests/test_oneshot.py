# SPDX-License-Identifier: MIT
"""CodeInterpreterClient.execute(): one-shot executions in every language,
the fields of a result, and failures of the code reported as results."""
import json

import pytest

import codeinterp
from codeinterp import CodeInterpreterClient

pytestmark = pytest.mark.sandbox


def test_print_and_value(client):
    result = client.execute(code="print(1)\n6 * 7", language="python")
    assert result.status == "ok" and result.ok
    assert result.output == result.stdout == "1\n"
    assert result.stderr == ""
    assert result.exit_code == 0
    assert result.value == "42"
    assert result.error is None
    assert result.language == "python"
    assert result.images == [] and result.artifacts == []


def test_measurements(client):
    result = client.execute(code="sum(range(10**6))")
    assert 0 < result.execution_time < 60
    assert result.cpu_time is not None and result.cpu_time >= 0
    assert result.peak_memory is not None and result.peak_memory > 1 << 20


@pytest.mark.parametrize("language, code", [
    ("javascript", "console.log('out'); 40 + 2"),
    ("js", "console.log('out'); 40 + 2"),
    ("typescript", "const x: number = 40; console.log('out'); x + 2"),
    ("TS", "const x: number = 40; console.log('out'); x + 2"),
])
def test_node_languages(client, language, code):
    result = client.execute(code=code, language=language)
    assert result.status == "ok", result.stderr
    assert result.output == "out\n"
    assert result.value == "42"
    assert result.language in ("javascript", "typescript")


def test_exception_is_a_result_not_a_raise(client):
    result = client.execute(code="print('before')\n1 / 0")
    assert result.status == "error" and not result.ok
    assert result.exit_code == 1
    assert result.output == "before\n"
    assert result.error.name == "ZeroDivisionError"
    assert result.error.value == "division by zero"
    assert "<cell" in result.error.traceback
    assert "ZeroDivisionError" in result.stderr


def test_js_throw_is_a_result(client):
    result = client.execute(code="throw new TypeError('bad')", language="javascript")
    assert result.status == "error"
    assert result.error.name == "TypeError"
    assert result.error.value == "bad"


def test_exit_code(client):
    result = client.execute(code="import sys; sys.exit(3)")
    assert result.status == "error"
    assert result.exit_code == 3


def test_timeout_status(client):
    result = client.execute(code="print('started', flush=True)\nimport time; time.sleep(60)",
                            timeout=1)
    assert result.status == "timeout"
    assert result.exit_code == 137
    assert result.output == "started\n"
    assert result.execution_time < 30


def test_client_timeout_default():
    with CodeInterpreterClient(timeout=0.5) as c:
        assert c.execute(code="import time; time.sleep(30)").status == "timeout"


def test_output_limit_truncates():
    with CodeInterpreterClient(timeout=120, output_limit="1K") as c:
        result = c.execute(code="print('x' * 5000)")
    assert result.status == "ok"
    assert result.stdout_truncated and not result.stderr_truncated
    assert len(result.stdout_bytes) == 1024


def test_binary_output(client):
    result = client.execute(code="import sys; sys.stdout.buffer.write(b'a\\0b\\xff')")
    assert result.stdout_bytes == b"a\0b\xff"
    assert result.stdout == "a\0b\ufffd"


def test_to_json(client):
    result = client.execute(code="print('hi')\n41 + 1")
    answer = json.loads(result.to_json())
    assert answer == result.to_dict()
    assert answer["isError"] is False
    sc = answer["structuredContent"]
    assert sc["stdout"] == "hi\n" and sc["result"] == "42" and sc["status"] == "ok"
    result.close()
    result.close()
    assert result.output == "hi\n"  # attributes outlive the C result
    with pytest.raises(ValueError):
        result.to_json()


def test_environment_and_network_options():
    with CodeInterpreterClient(timeout=120, env={"GREETING": "hello"}, network="none") as c:
        result = c.execute(code="import os; print(os.environ['GREETING'])")
    assert result.output == "hello\n"


def test_limit_options_reach_the_sandbox():
    with CodeInterpreterClient(timeout=120, max_open_files=1000, max_processes=64,
                               memory_limit="256M", cpu_limit=0.5) as c:
        result = c.execute(code="import resource\n"
                                "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])")
    assert result.output == "1000\n"


def test_memory_limit_oom():
    with CodeInterpreterClient(timeout=120, memory_limit="128M") as c:
        result = c.execute(code="x = bytearray(512 << 20)\nx[::4096] = b'1' * len(x[::4096])")
    if result.peak_memory is None:
        pytest.skip("no cgroup to enforce the memory limit")
    assert result.status in ("oom", "error")


def test_closed_client():
    c = CodeInterpreterClient()
    c.close()
    c.close()
    with pytest.raises(ValueError):
        c.execute(code="1")
    with pytest.raises(ValueError):
        c.create_session()


def test_version():
    assert codeinterp.version().count(".") == 2


def test_limits_mode_and_denied_syscalls(client):
    result = client.execute(code="import ctypes, os\n"
                                 "libc = ctypes.CDLL(None, use_errno=True)\n"
                                 "rc = libc.mount(b'none', b'/tmp', b'tmpfs', 0, None)\n"
                                 "print(rc, os.strerror(ctypes.get_errno()))")
    assert result.ok, result.stderr
    assert result.output.startswith("-1 ")
    assert result.limits_mode in ("v1", "v2", "none")
    if not codeinterp._clib.has("ci_result_denied_syscall_count"):
        pytest.skip("the library does not report denied system calls")
    names = {d.name: d.times for d in result.denied_syscalls}
    assert names.get("mount", 0) >= 1
