# SPDX-License-Identifier: MIT
"""Library error codes become exceptions of one hierarchy carrying the
library's message; bad options are refused before anything runs."""
import os
import re
import shutil
import tempfile

import pytest

import codeinterp
from codeinterp import CodeInterpreterClient, errors

HEADER = os.environ.get("CODEINTERP_HEADER")


def header_codes():
    if not HEADER:
        pytest.skip("CODEINTERP_HEADER is not set")
    with open(HEADER, encoding="utf-8") as f:
        text = f.read()
    return {name: int(value) for name, value in
            re.findall(r"\b(CI_E[A-Z]+)\s*=\s*(-\d+)", text)}


def test_every_header_code_has_a_class():
    codes = header_codes()
    assert codes, "no CI_E* codes found in the header"
    for name, value in codes.items():
        cls = errors._BY_CODE.get(value)
        assert cls is not None, "no exception class for %s" % name
        assert cls.name == name and cls.code == value
        assert issubclass(cls, codeinterp.CodeInterpreterError)
        assert name in dir(errors) or cls.__name__ in errors.__all__


def test_unknown_code_is_the_base_class():
    e = errors.error_for(-999, "m")
    assert type(e) is codeinterp.CodeInterpreterError and e.code == -999


def test_builtin_bases():
    assert issubclass(codeinterp.NoSuchFileError, FileNotFoundError)
    assert issubclass(codeinterp.InvalidArgumentError, ValueError)
    assert issubclass(codeinterp.InvalidPathError, ValueError)
    assert issubclass(codeinterp.UnknownNameError, ValueError)
    assert issubclass(codeinterp.HostIOError, OSError)


def test_library_message_carried():
    with pytest.raises(codeinterp.InvalidArgumentError) as info:
        CodeInterpreterClient(max_processes=0)
    e = info.value
    assert e.code == -1 and e.name == "CI_EINVAL"
    assert "max processes" in str(e)  # the library's detailed message
    assert e.strerror and e.strerror != str(e)


@pytest.mark.parametrize("options", [
    {"timeout": 0}, {"timeout": -1}, {"timeout": 8 * 3600 + 1}, {"idle_timeout": 0},
    {"session_lifetime": 0}, {"session_lifetime": 28800.5},
    {"network": "internet"}, {"cgroup_mode": "v3"}, {"memory_limit": 1},
    {"memory_limit": -1}, {"memory_limit": "lots"}, {"cpu_limit": 0},
    {"max_processes": 2 ** 32}, {"output_limit": "2G"}, {"env": {"A=B": "c"}},
    {"env": {"": "x"}}, {"uid_range": (0, 10)},
    {"network": 1}, {"network": "none\0"}, {"cgroup_mode": "v1 "}, {"timeout": 10 ** 400},
    {"timeout": float("nan")},
])
def test_bad_options(options):
    with pytest.raises(codeinterp.InvalidArgumentError):
        CodeInterpreterClient(**options)


def test_names_and_limits_come_from_the_library():
    # the library's tables and rule: names in any case, its list of choices
    # in the message, seconds rounded up to whole milliseconds
    CodeInterpreterClient(network="NONE", cgroup_mode="V2", timeout=0.0001,
                          idle_timeout=8 * 3600).close()
    with pytest.raises(codeinterp.InvalidArgumentError, match="none, host"):
        CodeInterpreterClient(network="internet")
    with pytest.raises(codeinterp.InvalidArgumentError, match="auto, v1, v2, none"):
        CodeInterpreterClient(cgroup_mode="v3")
    with pytest.raises(codeinterp.InvalidArgumentError, match="^idle_timeout: .*28800"):
        CodeInterpreterClient(idle_timeout=28800.5)
    from codeinterp import _names
    assert _names.seconds_to_ms(0.0001, "t") == 1
    assert _names.seconds_to_ms(1.5, "t") == 1500
    assert _names.seconds_to_ms(1.0001, "t") == 1001
    assert _names.seconds_to_ms(8 * 3600, "t") == 8 * 3600 * 1000
    assert _names.cgroup_mode_name(2) == "v2"
    assert _names.cgroup_mode_name(99) == "unknown"


def test_wrong_types():
    with pytest.raises(TypeError):
        CodeInterpreterClient(no_such_option=1)
    with pytest.raises(TypeError):
        CodeInterpreterClient(timeout="10")
    with pytest.raises(TypeError):
        CodeInterpreterClient(max_processes=1.5)


def test_sizes_as_text():
    CodeInterpreterClient(memory_limit="512M", tmp_size="1GiB", workspace_size=0,
                          output_limit="16m", upload_limit="1.5k").close()


def test_tmpfs_state_dir_refused_unless_allowed():
    if os.geteuid() != 0 or not os.path.isdir("/dev/shm"):
        pytest.skip("workspace images need a root host and a tmpfs to refuse")
    state = tempfile.mkdtemp(prefix="ci-state-", dir="/dev/shm")
    try:
        with CodeInterpreterClient(state_dir=state, workspace_size="16M") as c:
            with pytest.raises(codeinterp.LimitError, match="tmpfs"):
                c.execute(code="print(6 * 7)")
        with CodeInterpreterClient(state_dir=state, workspace_size="16M",
                                   allow_tmpfs_state=True) as c:
            assert c.execute(code="print(6 * 7)").stdout == "42\n"
    finally:
        shutil.rmtree(state, ignore_errors=True)


def test_unknown_language():
    with CodeInterpreterClient() as c:
        with pytest.raises(codeinterp.UnknownNameError, match="cobol"):
            c.execute(code="1", language="cobol")
        with pytest.raises(TypeError):
            c.execute(code=1)


def test_nul_in_code():
    with CodeInterpreterClient() as c:
        with pytest.raises(codeinterp.InvalidArgumentError):
            c.execute(code="print(1)\0")


def test_exec_timeout_range():
    with CodeInterpreterClient() as c:
        with pytest.raises(codeinterp.InvalidArgumentError):
            c.execute(code="1", timeout=0)


def test_sandbox_error_names_the_layer(tmp_path):
    with CodeInterpreterClient(helper_path=str(tmp_path / "no-helper")) as c:
        with pytest.raises(codeinterp.SandboxError) as info:
            c.create_session()
    assert info.value.code == -3
    assert "no-helper" in str(info.value)


@pytest.mark.sandbox
def test_runner_error_names_the_path(tmp_path):
    with CodeInterpreterClient(timeout=60, runtime_dir=str(tmp_path)) as c:
        with c.create_session() as s:
            with pytest.raises(codeinterp.RunnerError) as info:
                s.execute(code="1")
    assert str(tmp_path) in str(info.value)
