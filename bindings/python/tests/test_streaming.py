# SPDX-License-Identifier: MIT
"""on_stdout / on_stderr streaming, stopping from a callback, and
session.cancel() from another thread."""
import threading
import time

import pytest

import codeinterp

pytestmark = pytest.mark.sandbox

SLOW_PRINT = ("import sys, time\n"
              "for i in range(3):\n"
              "    print('out', i, flush=True)\n"
              "    print('err', i, file=sys.stderr, flush=True)\n"
              "    time.sleep(0.2)\n")


def test_streams_while_running(session):
    seen = []
    result = session.execute(
        code=SLOW_PRINT,
        on_stdout=lambda text: seen.append(("out", text, time.monotonic())),
        on_stderr=lambda text: seen.append(("err", text, time.monotonic())))
    assert result.ok
    out = "".join(t for kind, t, _ in seen if kind == "out")
    err = "".join(t for kind, t, _ in seen if kind == "err")
    assert out == result.stdout == "out 0\nout 1\nout 2\n"
    assert err == result.stderr == "err 0\nerr 1\nerr 2\n"
    # the first chunk arrived well before the last: streamed, not at the end
    stamps = [at for kind, _, at in seen if kind == "out"]
    assert stamps[-1] - stamps[0] > 0.2


def test_one_shot_streams(client):
    seen = []
    result = client.execute(code="console.log('js out'); console.error('js err')",
                            language="javascript", on_stdout=seen.append,
                            on_stderr=seen.append)
    assert result.ok
    assert sorted(seen) == ["js err\n", "js out\n"]


def test_utf8_split_across_chunks(session):
    seen = []
    code = ("import sys, time\n"
            "b = 'é€😀'.encode()\n"
            "for i in range(len(b)):\n"
            "    sys.stdout.buffer.write(b[i:i+1]); sys.stdout.flush(); time.sleep(0.02)\n")
    result = session.execute(code=code, on_stdout=seen.append)
    assert result.ok
    assert "".join(seen) == "é€😀"
    assert "\ufffd" not in "".join(seen)


def test_stop_execution_from_callback(session):
    def stop(text):
        if "out 1" in text:
            raise codeinterp.StopExecution

    result = session.execute(code=SLOW_PRINT + "print('never')", on_stdout=stop)
    assert result.status == "killed"
    assert "never" not in result.stdout
    assert session.execute(code="1 + 1").value == "2"


def test_callback_exception_is_raised(session):
    def fail(text):
        raise KeyError("from callback")

    with pytest.raises(KeyError, match="from callback"):
        session.execute(code=SLOW_PRINT, on_stdout=fail)
    assert session.execute(code="'usable'").value == "'usable'"


def test_cancel_from_another_thread(session):
    started = threading.Event()
    timer = []

    def on_out(text):
        if not started.is_set():
            started.set()
            t = threading.Timer(0.3, session.cancel)
            timer.append(t)
            t.start()

    begin = time.monotonic()
    result = session.execute(code="print('go', flush=True)\nimport time; time.sleep(60)",
                             on_stdout=on_out)
    assert result.status == "killed"
    assert result.output == "go\n"
    assert time.monotonic() - begin < 30
    timer[0].join()
    assert session.execute(code="'after'").value == "'after'"


def test_cancel_from_callback(session):
    def on_out(text):
        session.cancel()

    result = session.execute(code="print('go', flush=True)\nimport time; time.sleep(60)",
                             on_stdout=on_out)
    assert result.status == "killed"


def test_cancel_when_idle_is_discarded(session):
    session.cancel()
    assert session.execute(code="'ran'").value == "'ran'"


def test_cancel_handle_from_another_thread(session):
    stop = codeinterp.Cancel()
    assert not stop.requested
    started = threading.Event()

    def on_out(text):
        started.set()

    timer = threading.Timer(0.3, lambda: started.wait(60) and stop.request())
    timer.start()
    result = session.execute(code="print('go', flush=True)\nimport time; time.sleep(60)",
                             on_stdout=on_out, cancel=stop)
    timer.join()
    assert stop.requested
    assert result.status == "killed"
    assert result.output == "go\n"


def test_cancel_handle_before_the_call(session):
    session.execute(code="x = 5")
    stop = codeinterp.Cancel()
    stop.request()
    stop.request()  # again: harmless
    assert session.execute(code="x = 6\nprint('ran')", cancel=stop).status == "killed"
    assert session.execute_command("echo ran > ran.txt", cancel=stop).status == "killed"
    answer = session.invoke({"name": "executeCode", "arguments": {"code": "x = 7"}},
                            cancel=stop)
    assert answer["structuredContent"]["status"] == "killed"
    # nothing ran and the interpreter kept its state
    assert session.execute(code="import os\n(x, os.path.exists('ran.txt'))").value \
        == "(5, False)"
    stop.close()
    stop.request()  # after close: a no-op
    with pytest.raises(ValueError):
        session.execute(code="1", cancel=stop)


def test_callback_must_be_callable(session):
    with pytest.raises(TypeError):
        session.execute(code="1", on_stdout="not callable")
