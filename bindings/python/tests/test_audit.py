# SPDX-License-Identifier: MIT
"""The audit trail through the binding: a file, a callback, verification."""
import json

import pytest

import codeinterp
from codeinterp import CodeInterpreterClient, verify_audit_file

pytestmark = pytest.mark.sandbox


def test_audit_file_and_callback(tmp_path):
    trail = tmp_path / "audit.jsonl"
    lines = []
    with CodeInterpreterClient(timeout=120, audit_file=str(trail), audit_fsync=True,
                               on_audit=lines.append) as client:
        with client.create_session() as session:
            session.execute(code="print('secret code')")
            session.upload(data=b"x", file_name="f.txt")
    records = [json.loads(line) for line in trail.read_text().splitlines()]
    assert [json.loads(line) for line in lines] == records
    assert len(records) >= 4
    assert "secret code" not in trail.read_text()
    assert verify_audit_file(str(trail)) == len(records)


def test_principal_in_every_record():
    lines = []
    with CodeInterpreterClient(timeout=120, on_audit=lines.append,
                               audit_principal="AKIAEXAMPLE") as client:
        with client.create_session() as session:
            session.execute(code="1")
    records = [json.loads(line) for line in lines]
    assert records and all(r["principal"] == "AKIAEXAMPLE" for r in records)
    with pytest.raises(codeinterp.InvalidArgumentError):
        CodeInterpreterClient(audit_principal="tab\there")


def test_access_denied_record(tmp_path):
    trail = tmp_path / "audit.jsonl"
    with CodeInterpreterClient(audit_file=str(trail)) as client:
        client.audit_access_denied("AKIAWRONG", "signature", "POST /x")
        client.audit_access_denied(None, "malformed")
        with pytest.raises(codeinterp.InvalidArgumentError):
            client.audit_access_denied("AKIA", "")
    first, second = [json.loads(line) for line in trail.read_text().splitlines()]
    assert (first["session"], first["principal"], first["op"], first["params"]) == \
        ("", "AKIAWRONG", "access_denied", {"reason": "signature"})
    assert (first["outcome"], first["message"]) == ("error", "POST /x")
    assert "principal" not in second
    assert verify_audit_file(str(trail)) == 2


def test_callback_outlives_client(tmp_path):
    lines = []
    client = CodeInterpreterClient(timeout=120, on_audit=lines.append)
    session = client.create_session()
    client.close()
    del client
    import gc
    gc.collect()
    session.execute(code="1")
    session.close()
    assert len(lines) >= 3


def test_tampered_trail(tmp_path):
    trail = tmp_path / "audit.jsonl"
    with CodeInterpreterClient(timeout=120, audit_file=str(trail)) as client:
        with client.create_session() as session:
            session.execute(code="1")
    lines = trail.read_text().splitlines()
    del lines[1]
    trail.write_text("\n".join(lines) + "\n")
    with pytest.raises(codeinterp.AuditError, match="line 2"):
        verify_audit_file(str(trail))


def test_missing_trail(tmp_path):
    with pytest.raises(codeinterp.NoSuchFileError):
        verify_audit_file(str(tmp_path / "none"))
