# SPDX-License-Identifier: MIT
"""Shell commands (Session.execute_command, language "shell"), the per-call
env, cwd and kill_leftovers, stray output, and background tasks (start,
status, output by offsets, wait, stop, the bound, the end of the session)."""
import os
import random
import threading
import time

import pytest

import codeinterp
from codeinterp import CodeInterpreterClient

from conftest import TIMEOUT

pytestmark = pytest.mark.sandbox


def marker():
    """A sleep duration no other process on the host uses: sleep <marker>."""
    return "%d" % random.randrange(10 ** 8, 10 ** 9)


def host_processes(text):
    """The host pids whose command line holds `text` (sandboxed processes
    are visible from the host's pid namespace)."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read().replace(b"\0", b" ")
        except OSError:
            continue
        if text.encode() in cmdline:
            found.append(int(pid))
    return found


def sandbox_runs(session, text):
    """Whether a process of the session's sandbox has `text` in its command
    line, asked of the sandbox's own /proc by Python code."""
    result = session.execute(
        code="import os\n"
             "def cmd(p):\n"
             "    try:\n"
             "        return open('/proc/%%s/cmdline' %% p, 'rb').read().replace(b'\\0', b' ')\n"
             "    except OSError:\n"
             "        return b''\n"
             "any(%r in cmd(p) for p in os.listdir('/proc') if p.isdigit())" % text.encode())
    assert result.ok, result.stderr
    return result.value == "True"


def until(predicate, seconds=10.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# -- commands -----------------------------------------------------------------

def test_exit_codes(session):
    ok = session.execute_command("true")
    assert ok.status == "ok" and ok.exit_code == 0 and ok.language == "shell"
    failed = session.execute_command("exit 3")
    assert failed.status == "error" and failed.exit_code == 3
    killed = session.execute_command("kill -9 $$")
    assert killed.exit_code == 128 + 9
    assert session.execute_command("false").exit_code == 1


def test_stdout_and_stderr_apart(session):
    result = session.execute_command("echo out; echo err >&2; echo out2")
    assert result.stdout == "out\nout2\n"
    assert result.stderr == "err\n"
    assert isinstance(result, codeinterp.ExecutionResult)
    assert result.stray_output_bytes == 0


def test_streams_and_timeout(session):
    seen = []
    result = session.execute_command("echo a; sleep 0.2; echo b >&2", on_stdout=seen.append,
                                     on_stderr=seen.append)
    assert "".join(seen) == "a\nb\n" and result.ok
    result = session.execute_command("sleep 30", timeout=0.5)
    assert result.status == "timeout"
    assert session.execute_command("echo still here").stdout == "still here\n"


def test_language_shell_in_execute_and_one_shot(session, client):
    result = session.execute(code="echo $((6 * 7))", language="shell")
    assert result.ok and result.stdout == "42\n" and result.language == "shell"
    result = client.execute(code="echo $X; pwd", language="sh", env={"X": "one shot"},
                            cwd="/workspace")
    assert result.ok and result.stdout == "one shot\n/workspace\n"


def test_env_does_not_leak_into_the_next_call(session):
    result = session.execute_command('echo "$CI_VAR|$CI_OTHER"',
                                     env={"CI_VAR": "v 1", "CI_OTHER": "ü"})
    assert result.stdout == "v 1|ü\n"
    assert session.execute_command('echo "${CI_VAR-unset}"').stdout == "unset\n"
    # the same holds for Python: os.environ has it during the call only
    result = session.execute(code="import os\nos.environ['CI_VAR']", env={"CI_VAR": "py"})
    assert result.value == "'py'"
    assert session.execute(code="os.environ.get('CI_VAR')").value is None


def test_env_and_cwd_in_javascript(session):
    assert session.execute_command("mkdir -p sub").ok
    result = session.execute(code="console.log(process.env.CI_VAR, process.cwd())",
                             language="javascript", env={"CI_VAR": "js"}, cwd="sub")
    assert result.stdout == "js /workspace/sub\n", result.stderr
    assert session.execute(code="console.log(process.env.CI_VAR, process.cwd())",
                           language="javascript").stdout == "undefined /workspace\n"


def test_cwd(session):
    assert session.execute_command("mkdir -p sub/dir").ok
    assert session.execute_command("pwd", cwd="sub/dir").stdout == "/workspace/sub/dir\n"
    assert session.execute_command("pwd", cwd="/workspace/sub").stdout == "/workspace/sub\n"
    assert session.execute_command("pwd").stdout == "/workspace\n"  # not kept
    assert session.execute(code="import os\nos.getcwd()", cwd="sub").value == "'/workspace/sub'"
    assert session.execute(code="os.getcwd()").value == "'/workspace'"
    missing = session.execute_command("pwd", cwd="no/such/dir")
    assert missing.status == "error" and "no/such/dir" in missing.stderr
    assert missing.stdout == ""


def test_file_written_by_command_read_by_python(session):
    assert session.execute_command("printf 'a,b\\n1,2\\n3,4\\n' > data.csv && mkdir -p out").ok
    result = session.execute(code="import csv\n"
                                  "rows = list(csv.DictReader(open('data.csv')))\n"
                                  "sum(int(r['b']) for r in rows)")
    assert result.value == "6"
    # and back: Python writes, the shell reads; the binding's file calls see it
    assert session.execute(code="open('out/py.txt', 'w').write('from python')").ok
    assert session.execute_command("cat out/py.txt").stdout == "from python"
    assert session.download("data.csv") == b"a,b\n1,2\n3,4\n"


def test_kill_leftovers(session):
    kept, killed = marker(), marker()
    assert session.execute_command("sleep %s &" % kept).ok
    assert session.execute_command("sleep %s &" % killed, kill_leftovers=True).ok
    assert sandbox_runs(session, "sleep " + kept)
    assert not sandbox_runs(session, "sleep " + killed)
    # Python: a subprocess left behind by a cell, killed when asked
    left = marker()
    assert session.execute(code="import subprocess\n"
                                "subprocess.Popen(['sleep', '%s'])" % left,
                           kill_leftovers=True).ok
    assert not sandbox_runs(session, "sleep " + left)


def test_stray_output_kept_out_of_later_results(session):
    assert session.execute_command("(sleep 0.5; echo late; echo late2 >&2) &").ok
    result = session.execute_command("sleep 2; echo mine")
    assert result.stdout == "mine\n" and result.stderr == ""
    assert result.stray_output_bytes == len("late\nlate2\n")
    assert session.execute_command("true").stray_output_bytes == 0


# -- tasks --------------------------------------------------------------------

# numbered lines on stdout and stderr with pauses, and a UTF-8 character
# whose two bytes are written a second apart
PRODUCER = ("i=0; while [ $i -lt 12 ]; do echo out $i; echo err $i >&2; i=$((i+1)); "
            "sleep 0.1; done; printf '\\303'; sleep 1; printf '\\251\\n'")
EXPECTED_OUT = "".join("out %d\n" % i for i in range(12)) + "é\n"
EXPECTED_ERR = "".join("err %d\n" % i for i in range(12))


def test_task_polled_to_completion(session):
    task = session.start_task(PRODUCER)
    assert isinstance(task, codeinterp.Task)
    assert task.id.startswith("task-") and task.command == PRODUCER
    out, err, out_bytes, pieces, statuses = [], [], [], 0, set()
    deadline = time.monotonic() + 60
    while True:
        status = task.status()
        statuses.add(status)
        got = task.output()
        assert not got.truncated and got.stdout_dropped == got.stderr_dropped == 0
        out.append(got.stdout)
        err.append(got.stderr)
        out_bytes.append(got.stdout_bytes)
        pieces += bool(got.stdout)
        if b"".join(out_bytes).endswith(b"\303"):
            # the first byte of the character alone: no text for it yet (a
            # slow host may read both bytes at once, and never get here)
            assert not "".join(out).endswith("\ufffd")
        if status in codeinterp.task.FINAL_STATUSES:
            break
        assert time.monotonic() < deadline, "the task did not end"
        time.sleep(0.05)
    last = task.output()  # anything written between the last read and the end
    out.append(last.stdout)
    err.append(last.stderr)
    out_bytes.append(last.stdout_bytes)
    assert status == "completed" and task.exit_code == 0
    assert "working" in statuses
    assert "".join(out) == EXPECTED_OUT          # nothing twice, nothing missing
    assert "".join(err) == EXPECTED_ERR
    assert b"".join(out_bytes) == EXPECTED_OUT.encode()
    assert pieces > 2, "the output came all at once, not incrementally"
    assert task.output() == ("", "", b"", b"", 0, 0)
    assert task.execution_time > 1 and task.cpu_time is not None


def test_status_and_wait_keep_output_for_output(session):
    task = session.start_task("echo one; sleep 0.3; echo two; echo bad >&2; exit 5")
    assert task.wait(timeout=30) == "completed"
    assert task.exit_code == 5
    got = task.output()
    assert (got.stdout, got.stderr) == ("one\ntwo\n", "bad\n")
    assert task.output().stdout == ""


def test_task_output_limit_drops_oldest():
    with CodeInterpreterClient(timeout=TIMEOUT, task_output_limit="4K") as small:
        with small.create_session() as session:
            # 20000 bytes of digits in 2000 lines of 10 bytes
            lines = "i=0; while [ $i -lt 2000 ]; do printf '%09d\\n' $i; i=$((i+1)); done"
            task = session.start_task(lines)
            assert task.wait(timeout=60) == "completed"
            got = task.output()
            # a gap between two reads: what the first read took is not
            # counted as lost, what came after it is
            later = session.start_task("echo ready; sleep 1; " + lines)
            first = []
            assert until(lambda: first.append(later.output().stdout_bytes)
                         or b"".join(first) == b"ready\n")
            assert later.wait(timeout=60) == "completed"
            second = later.output()
    assert got.truncated and got.stdout_truncated and not got.stderr_truncated
    assert len(got.stdout_bytes) == 4096
    assert got.stdout_dropped + len(got.stdout_bytes) == 20000
    assert got.stdout_bytes.endswith(b"000001999\n")  # the newest bytes are kept
    assert second.stdout_dropped == 20000 - 4096 and len(second.stdout_bytes) == 4096
    assert second.stdout_bytes.endswith(b"000001999\n")


def test_wait_timeout_raises(session):
    task = session.start_task("sleep 20")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=task.id):
        task.wait(timeout=0.5)
    assert 0.4 < time.monotonic() - started < 10
    assert task.status() == "working" and task.exit_code is None
    with pytest.raises(TimeoutError):
        task.wait(timeout=0)
    task.stop()


def test_stop(session):
    sleep = marker()
    task = session.start_task("echo before; sleep %s" % sleep)
    seen = []
    assert until(lambda: seen.append(task.output().stdout) or "".join(seen) == "before\n")
    assert host_processes("sleep " + sleep), "the task's process is not visible"
    assert task.stop() == "canceled"
    assert task.status() == "canceled"
    assert task.exit_code == 137
    assert until(lambda: not host_processes("sleep " + sleep), 10)
    assert task.wait(timeout=5) == "canceled"
    # a task that already ended keeps its status
    done = session.start_task("true")
    assert done.wait(timeout=30) == "completed"
    assert done.stop() == "completed" and done.exit_code == 0


def test_wait_while_the_session_executes_elsewhere(session):
    task = session.start_task("sleep 0.5; echo done")
    worker = threading.Thread(target=session.execute_command, args=("sleep 1.5",))
    worker.start()
    try:
        assert until(lambda: session._busy.locked(), 5)
        with pytest.raises(codeinterp.SessionBusyError):
            task.status()
        assert task.wait(timeout=30) == "completed"
    finally:
        worker.join()
    assert task.output().stdout == "done\n"


def test_task_env_and_cwd(session):
    assert session.execute_command("mkdir -p work/here").ok
    task = session.start_task('echo "$TASK_VAR"; pwd', env={"TASK_VAR": "t v"}, cwd="work/here")
    assert task.wait(timeout=30) == "completed"
    assert task.output().stdout == "t v\n/workspace/work/here\n"
    with pytest.raises(codeinterp.NoSuchFileError, match="no-such"):
        session.start_task("pwd", cwd="no-such")


def test_task_bound_raises_too_many():
    with CodeInterpreterClient(timeout=TIMEOUT, max_tasks=2) as bounded:
        with bounded.create_session() as session:
            first = session.start_task("sleep %s" % marker())
            second = session.start_task("sleep %s" % marker())
            with pytest.raises(codeinterp.TooManyError, match="2 tasks") as info:
                session.start_task("true")
            assert info.value.code == -26 and info.value.name == "CI_ETOOMANY"
            assert first.status() == second.status() == "working"
            first.stop()
            third = session.start_task("echo third")  # room again
            assert third.wait(timeout=30) == "completed"
            assert third.output().stdout == "third\n"
            fourth = session.start_task("sleep %s" % marker())  # third ended: not counted
            assert fourth.status() == "working"
            second.stop()
            fourth.stop()


def test_tasks_lost_when_the_session_kills_every_process(session):
    task = session.start_task("sleep %s" % marker())
    assert session.execute_command("sleep 30", timeout=0.5).status == "timeout"
    assert task.status() == "failed"
    assert task.error and "lost" in task.error
    assert task.exit_code is None


def test_tasks_end_with_the_session(client):
    sleep = marker()
    with client.create_session() as session:
        task = session.start_task("sleep %s" % sleep)
        assert task.status() == "working"
        assert host_processes("sleep " + sleep), "the task's process is not visible"
    assert session.closed
    assert until(lambda: not host_processes("sleep " + sleep), 10), "the task outlived its session"
    with pytest.raises(codeinterp.SessionClosedError):
        task.status()
    with pytest.raises(codeinterp.SessionClosedError):
        task.output()
    with pytest.raises(codeinterp.SessionClosedError):
        task.stop()
    with pytest.raises(codeinterp.SessionClosedError):
        task.wait(timeout=1)


# -- bad arguments ------------------------------------------------------------

def test_bad_command_arguments(session):
    with pytest.raises(codeinterp.InvalidArgumentError, match="non-empty command"):
        session.execute_command("")
    with pytest.raises(codeinterp.InvalidArgumentError, match="NUL"):
        session.execute_command("echo a\0b")
    with pytest.raises(TypeError, match="command"):
        session.execute_command(None)
    with pytest.raises(TypeError):
        session.execute_command("true", "positional timeout")
    with pytest.raises(codeinterp.InvalidArgumentError, match="^env A=B: .*name"):
        session.execute_command("true", env={"A=B": "x"})
    with pytest.raises(codeinterp.InvalidArgumentError, match="^env 1A: "):
        session.execute(code="1", env={"1A": "x"})
    with pytest.raises(codeinterp.InvalidArgumentError, match="^env BIG: .*128 KiB"):
        session.execute_command("true", env={"BIG": "x" * (128 << 10)})
    with pytest.raises(TypeError, match="env"):
        session.execute_command("true", env="A=B")
    with pytest.raises(TypeError, match="env A"):
        session.execute_command("true", env={"A": 1})
    with pytest.raises(codeinterp.InvalidArgumentError, match="NUL"):
        session.execute_command("true", env={"A": "x\0y"})
    with pytest.raises(codeinterp.InvalidPathError, match="/etc"):
        session.execute_command("pwd", cwd="/etc")
    with pytest.raises(codeinterp.InvalidPathError):
        session.execute(code="1", cwd="../outside")
    with pytest.raises(TypeError, match="cwd"):
        session.execute_command("pwd", cwd=3)
    with pytest.raises(codeinterp.UnknownNameError):
        session.execute(code="echo", language="bash")
    # the session is still fine after all of that
    assert session.execute_command("echo fine").stdout == "fine\n"


def test_bad_task_arguments(session):
    with pytest.raises(codeinterp.InvalidArgumentError, match="non-empty command"):
        session.start_task("")
    with pytest.raises(TypeError, match="command"):
        session.start_task(["sleep", "1"])
    with pytest.raises(codeinterp.InvalidArgumentError, match="^env A-B: "):
        session.start_task("true", env={"A-B": "x"})
    with pytest.raises(codeinterp.InvalidPathError):
        session.start_task("true", cwd="/tmp")
    task = session.start_task("true")
    with pytest.raises(codeinterp.InvalidArgumentError, match="timeout"):
        task.wait(timeout=-1)
    with pytest.raises(TypeError, match="timeout"):
        task.wait(timeout="1")
    assert task.wait(timeout=30) == "completed"
    unknown = codeinterp.Task(session, "task-999", "?")
    with pytest.raises(codeinterp.NoSuchFileError, match="task-999"):
        unknown.status()


@pytest.mark.parametrize("options", [
    {"max_tasks": 0}, {"max_tasks": 1025}, {"max_tasks": -1}, {"task_output_limit": 100},
    {"task_output_limit": "1G"}, {"task_output_limit": "lots"},
])
def test_bad_task_options(options):
    with pytest.raises(codeinterp.InvalidArgumentError):
        CodeInterpreterClient(**options)
