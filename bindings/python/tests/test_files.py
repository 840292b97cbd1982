# SPDX-License-Identifier: MIT
"""Files in a session's /workspace and /output: upload, upload_file,
download, download_file, list_files and its pages, remove_file, and their
errors as exceptions."""
import os

import pytest

import codeinterp
from codeinterp import CodeInterpreterClient

pytestmark = pytest.mark.sandbox


def test_upload_and_read_in_sandbox(session):
    session.upload(data="a,b\n1,2\n3,4\n", file_name="data.csv")
    result = session.execute(code="import pandas as pd\nlen(pd.read_csv('data.csv'))")
    assert result.value == "2", result.stderr


def test_upload_bytes_like(session):
    session.upload(data=bytearray(b"\0\1\2"), file_name="in/nested/b.bin")
    session.upload(data=memoryview(b"mv"), file_name="m.bin")
    assert session.download("in/nested/b.bin") == b"\0\1\2"
    assert session.download_file(file_name="m.bin") == b"mv"


def test_upload_file_and_download_file(session, tmp_path):
    src = tmp_path / "data.csv"
    src.write_bytes(b"x\n" * 1000)
    session.upload_file(file_path=str(src), file_name="copy.csv")
    session.upload_file(file_path=src)  # default name: the base name
    result = session.execute(code="import os; sorted(os.listdir('.'))")
    assert result.value == "['copy.csv', 'data.csv']"
    dest = tmp_path / "back.csv"
    assert session.download_file(file_name="copy.csv", file_path=str(dest)) == str(dest)
    assert dest.read_bytes() == src.read_bytes()


def test_list_files(session):
    session.upload(data=b"12345", file_name="a.txt")
    session.upload(data=b"", file_name="dir/inner.txt")
    session.execute(code="import os; os.symlink('/etc/passwd', 'link')")
    entries = {e.name: e for e in session.list_files()}
    assert entries["a.txt"].type == "file" and entries["a.txt"].size == 5
    assert entries["a.txt"].mtime > 1_600_000_000
    assert entries["dir"].type == "directory"
    assert entries["link"].type == "symlink"
    assert [e.name for e in session.list_files("dir")] == ["inner.txt"]
    assert [e.name for e in session.list_files()] == sorted(entries)


def test_remove_file(session):
    session.upload(data=b"1", file_name="tree/a/b.txt")
    session.upload(data=b"1", file_name="one.txt")
    session.remove_file("one.txt")
    session.remove_file(file_name="tree")
    assert session.list_files() == []
    with pytest.raises(codeinterp.NoSuchFileError):
        session.remove_file("one.txt")


def test_missing_file(session):
    with pytest.raises(codeinterp.NoSuchFileError) as info:
        session.download("missing.txt")
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.code == -13 and info.value.name == "CI_ENOENT"
    assert "missing.txt" in str(info.value)


def test_missing_host_file(session, tmp_path):
    with pytest.raises(codeinterp.NoSuchFileError):
        session.upload_file(file_path=str(tmp_path / "nope"), file_name="x")


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a//b", "a/./b", "", "/output",
                                  "/workspace/", "/tmp/x", "/output/../etc/passwd"])
def test_invalid_names(session, name):
    with pytest.raises(codeinterp.InvalidPathError) as info:
        session.upload(data=b"x", file_name=name)
    assert isinstance(info.value, ValueError)


def test_output_area(session, tmp_path):
    result = session.execute(code="open('/output/x.txt', 'w').write('from code')\n"
                                  "open('w.txt', 'w').write('ws')")
    paths = sorted(a.path for a in result.artifacts)
    assert paths == ["/output/x.txt", "/workspace/w.txt"]
    for path in paths:  # an artifact's path downloads as it is
        assert session.download(path) in (b"from code", b"ws")
    session.upload(data="up", file_name="/output/sub/up.txt")
    session.upload(data="ws2", file_name="/workspace/w2.txt")
    result = session.execute(code="print(open('/output/sub/up.txt').read(), open('w2.txt').read())")
    assert result.stdout == "up ws2\n"
    assert [e.name for e in session.list_files("/output")] == ["sub", "x.txt"]
    assert [e.name for e in session.list_files("/workspace")] == ["w.txt", "w2.txt"]
    dest = tmp_path / "x.txt"
    session.download_file(file_name="/output/x.txt", file_path=str(dest))
    assert dest.read_bytes() == b"from code"
    session.remove_file("/output/sub")
    assert [e.name for e in session.list_files("/output/")] == ["x.txt"]
    with pytest.raises(codeinterp.InvalidPathError) as info:
        session.download("/etc/passwd")
    assert "/output/" in str(info.value)


def test_list_pages(session):
    session.execute(code="import os\nos.mkdir('many')\n"
                         "for i in range(10001):\n"
                         "    open('many/f%05d' % i, 'w').close()")
    whole = session.list_files("many")
    assert isinstance(whole, codeinterp.FileList)
    assert len(whole) == codeinterp.FILE_LIST_MAX == 10000
    assert whole.truncated and whole.next_token == "f09999"
    rest = session.list_files_page("many", after=whole.next_token)
    assert [e.name for e in rest] == ["f10000"]
    assert not rest.truncated and rest.next_token is None
    page = session.list_files_page("many", limit=3)
    assert [e.name for e in page] == ["f00000", "f00001", "f00002"] and page.truncated
    names = [e.name for e in session.iter_files("many", page_size=999)]
    assert names == ["f%05d" % i for i in range(10001)]
    small = session.list_files()
    assert small == [e for e in small] and not small.truncated
    with pytest.raises(codeinterp.InvalidArgumentError):
        session.list_files_page("many", limit=0)


def test_symlink_not_followed(session):
    session.execute(code="import os; os.symlink('/etc/passwd', 'pw')")
    with pytest.raises(codeinterp.InvalidPathError):
        session.download("pw")


def test_not_a_regular_file(session):
    session.execute(code="import os; os.mkdir('d'); os.mkfifo('fifo')")
    with pytest.raises(codeinterp.FileTypeError):
        session.download("d")
    with pytest.raises(codeinterp.FileTypeError):
        session.download("fifo")


def test_upload_limit():
    with CodeInterpreterClient(timeout=120, upload_limit=1000) as c, c.create_session() as s:
        with pytest.raises(codeinterp.TooBigError):
            s.upload(data=b"x" * 1001, file_name="big")
        assert s.list_files() == []
        s.upload(data=b"x" * 1000, file_name="fits")


def test_download_binary_with_nul(session):
    session.execute(code="open('b.bin', 'wb').write(bytes(range(256)) * 10)")
    assert session.download("b.bin") == bytes(range(256)) * 10


def test_path_like_names(session, tmp_path):
    import pathlib
    session.upload(data=b"p", file_name=pathlib.PurePosixPath("p/q.txt"))
    assert session.download(os.path.join("p", "q.txt")) == b"p"
