# SPDX-License-Identifier: MIT
"""Sessions: state kept between calls, clear_context, usage, tool calls,
and the session's lifetime (close, with, garbage collection)."""
import gc
import os
import re
import threading

import pytest

import codeinterp
from codeinterp import CodeInterpreterClient

pytestmark = pytest.mark.sandbox


def session_dir(session_id):
    state = os.environ.get("CODEINTERP_STATE_DIR")
    if not state:
        pytest.skip("CODEINTERP_STATE_DIR is not set")
    return os.path.join(state, "sessions", session_id)


def test_state_persists(session):
    assert re.fullmatch(r"[0-9a-f]{32}", session.id)
    assert session.execute(code="x = 41").ok
    assert session.execute(code="x + 1").value == "42"
    assert session.execute(code="let y = 1", language="javascript").ok
    assert session.execute(code="y + 1", language="javascript").value == "2"


def test_clear_context(session):
    session.execute(code="x = 1")
    result = session.execute(code="x", clear_context=True)
    assert result.status == "error"
    assert result.error.name == "NameError"


def test_timeout_keeps_session_usable(session):
    session.execute(code="open('kept.txt', 'w').write('k')")
    assert session.execute(code="import time; time.sleep(60)", timeout=0.5).status == "timeout"
    assert session.execute(code="open('kept.txt').read()").value == "'k'"


def test_usage(session):
    session.execute(code="sum(i * i for i in range(3 * 10**6))")
    usage = session.usage()
    assert usage.lifetime > 0
    assert usage.cpu_seconds >= 0 and usage.gb_seconds >= 0
    if session.limits_mode != "none":
        assert usage.cpu_time > 0
        assert usage.peak_memory > 1 << 20
        assert usage.cpu_seconds >= 1
    assert session.limits_mode in ("v1", "v2", "none")


def test_invoke(session):
    answer = session.invoke({"name": "executeCode", "arguments": {"code": "x = 5\nx * 2"}})
    assert answer["isError"] is False
    assert answer["structuredContent"]["result"] == "10"
    assert session.execute(code="x").value == "5"  # same interpreter
    answer = session.invoke('{"name": "nope"}')
    assert answer["isError"] is True
    assert answer["structuredContent"]["error"]["name"] == "UnknownTool"


def test_invoke_streams_output(session):
    out, err = [], []
    answer = session.invoke(
        {"name": "executeCommand", "arguments": {"command": "echo one; echo two >&2"}},
        on_stdout=out.append, on_stderr=err.append)
    assert answer["structuredContent"]["stdout"] == "one\n"
    assert ("".join(out), "".join(err)) == ("one\n", "two\n")
    out.clear()
    answer = session.invoke({"name": "executeCode", "arguments": {"code": "print('py')"}},
                            on_stdout=out.append)
    assert "".join(out) == "py\n"

    def stop(_chunk):
        raise codeinterp.StopExecution()
    answer = session.invoke(
        {"name": "executeCode",
         "arguments": {"code": "import time\nprint('a', flush=True)\ntime.sleep(60)"}},
        on_stdout=stop)
    assert answer["structuredContent"]["status"] == "killed"

    def boom(_chunk):
        raise ValueError("from the callback")
    with pytest.raises(ValueError, match="from the callback"):
        session.invoke({"name": "executeCode", "arguments": {"code": "print(1)"}},
                       on_stdout=boom)


def test_close_removes_sandbox(client):
    session = client.create_session()
    path = session_dir(session.id)
    assert os.path.isdir(path)
    session.close()
    assert session.closed
    assert not os.path.exists(path)
    session.close()  # twice is fine
    with pytest.raises(codeinterp.SessionClosedError):
        session.execute(code="1")
    with pytest.raises(codeinterp.SessionClosedError):
        session.list_files()
    session.cancel()  # a no-op once closed


def test_context_manager(client):
    with client.create_session() as session:
        path = session_dir(session.id)
        assert session.execute(code="1").ok
    assert session.closed and not os.path.exists(path)


def test_garbage_collection_destroys(client):
    session = client.create_session()
    path = session_dir(session.id)
    assert os.path.isdir(path)
    del session
    gc.collect()
    assert not os.path.exists(path)


def test_session_outlives_client():
    client = CodeInterpreterClient(timeout=120)
    session = client.create_session()
    client.close()
    del client
    gc.collect()
    assert session.execute(code="2 + 2").value == "4"
    session.close()


def test_busy_from_another_thread(session):
    started = threading.Event()
    results = []

    def run():
        results.append(session.execute(
            code="import time\nprint('go', flush=True)\ntime.sleep(60)",
            on_stdout=lambda text: started.set()))

    t = threading.Thread(target=run)
    t.start()
    assert started.wait(60)
    with pytest.raises(codeinterp.SessionBusyError):
        session.execute(code="1")
    with pytest.raises(codeinterp.SessionBusyError):
        session.upload(data=b"x", file_name="x")
    session.cancel()
    t.join(60)
    assert results[0].status == "killed"


def test_close_from_another_thread_cancels(client):
    session = client.create_session()
    started = threading.Event()
    results = []

    def run():
        results.append(session.execute(code="import time\nprint('go', flush=True)\n"
                                            "time.sleep(60)",
                                       on_stdout=lambda text: started.set()))

    t = threading.Thread(target=run)
    t.start()
    assert started.wait(60)
    session.close()
    t.join(60)
    assert results[0].status == "killed"
    assert session.closed


def test_parallel_sessions(client):
    values = {}

    def run(n):
        with client.create_session() as s:
            s.execute(code="n = %d" % n)
            values[n] = s.execute(code="n * 10").value

    threads = [threading.Thread(target=run, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert values == {0: "0", 1: "10", 2: "20"}


def test_session_lifetime_ends_a_busy_session():
    # counted from creation, use or not: the running execution is stopped
    with CodeInterpreterClient(timeout=120, session_lifetime=1.5) as c:
        with c.create_session() as s:
            assert s.execute(code="1").ok
            import time
            started = time.monotonic()
            result = s.execute(code="import time\nprint('a', flush=True)\ntime.sleep(60)")
            assert time.monotonic() - started < 10
            assert result.status == "session_expired"
            assert result.stdout == "a\n"
            with pytest.raises(codeinterp.SessionExpiredError, match="lifetime"):
                s.execute(code="1")


def test_expired_session_raises():
    with CodeInterpreterClient(timeout=120, idle_timeout=0.5) as c:
        with c.create_session() as s:
            assert s.execute(code="1").ok
            import time
            time.sleep(2)
            with pytest.raises(codeinterp.SessionExpiredError) as info:
                s.execute(code="1")
            assert "expired" in str(info.value)
            assert info.value.code == -5
