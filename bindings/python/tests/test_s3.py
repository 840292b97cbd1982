# SPDX-License-Identifier: MIT
"""S3 through the binding, against moto's server on 127.0.0.1 checking SigV4
signatures of a key made in its IAM. The server and tests/s3_tool.py (an
independent boto3 client that puts inputs in place and checks what was sent)
come from the test environment scripts/setup installs in
$CODEINTERP_RUNTIME_DIR/test; without it the tests are skipped."""
import os
import subprocess
import sys

import pytest

import codeinterp
from codeinterp import CodeInterpreterClient, S3Upload

pytestmark = pytest.mark.sandbox

RUNTIME = os.environ.get("CODEINTERP_RUNTIME_DIR") or "/opt/codeinterp"
TEST_PYTHON = os.path.join(RUNTIME, "test", "venv", "bin", "python")
RUNTIME_PYTHON = os.path.join(RUNTIME, "python", "bin", "python3")
S3_TOOL = os.environ.get("CODEINTERP_S3_TOOL", "")
sys.path.insert(0, os.path.dirname(S3_TOOL) or ".")
from moto_server import Moto  # noqa: E402  (tests/moto_server.py, beside S3_TOOL)


@pytest.fixture(scope="module")
def moto(tmp_path_factory):
    if not (os.access(TEST_PYTHON, os.X_OK) and os.path.isfile(S3_TOOL)):
        pytest.skip("no S3 test environment (%s, CODEINTERP_S3_TOOL); run scripts/setup"
                    % TEST_PYTHON)
    server = Moto(str(tmp_path_factory.mktemp("moto")), TEST_PYTHON, S3_TOOL)
    yield server
    server.stop()


@pytest.fixture
def s3_client(moto):
    with CodeInterpreterClient(timeout=120, s3_access_key_id=moto.ak,
                               s3_secret_access_key=moto.sk, s3_endpoint=moto.endpoint,
                               s3_region="us-east-1") as c:
        yield c


def test_parquet_in_csv_out(moto, s3_client, tmp_path):
    parquet, expected = tmp_path / "sales.parquet", tmp_path / "expected.csv"
    subprocess.run([RUNTIME_PYTHON, "-c",
                    "import pandas as pd, numpy as np\n"
                    "rng = np.random.default_rng(7)\n"
                    "df = pd.DataFrame({'region': rng.choice(['north', 'south', 'east'], 3000),\n"
                    "                   'units': rng.integers(1, 20, 3000)})\n"
                    "df.to_parquet(%r)\n"
                    "df.groupby('region', as_index=False)['units'].sum()"
                    ".to_csv(%r, index=False)\n" % (str(parquet), str(expected))],
                   check=True, timeout=120)
    moto.tool("put", "bkt", "in/sales.parquet", str(parquet))
    progress = []
    result = s3_client.execute(
        code="import pandas as pd\n"
             "df = pd.read_parquet('/data/sales.parquet')\n"
             "g = df.groupby('region', as_index=False)['units'].sum()\n"
             "g.to_csv('/output/summary.csv', index=False)\n"
             "len(df)",
        input_s3_uri="s3://bkt/in/sales.parquet", output_s3_uri="s3://bkt/out/run1/",
        on_progress=lambda uri, done, total: progress.append((uri, done, total)))
    assert result.ok, result.stderr
    assert result.value == "3000"
    size = os.path.getsize(expected)
    assert result.s3_uploads == [S3Upload("s3://bkt/out/run1/summary.csv",
                                          "/output/summary.csv", size)]
    assert result.s3_upload_error is None
    assert moto.tool("cat", "bkt", "out/run1/summary.csv") == expected.read_text()
    uris = {uri for uri, _, _ in progress}
    assert "s3://bkt/in/sales.parquet" in uris
    last = [p for p in progress if p[0] == "s3://bkt/in/sales.parquet"][-1]
    assert last[1] == last[2] == parquet.stat().st_size


def test_prefix_input_and_session_calls(moto, s3_client):
    moto.put_text("tree/a.txt", "alpha")
    moto.put_text("tree/sub/b.txt", "beta")
    with s3_client.create_session() as session:
        result = session.execute(code="open('/data/a.txt').read() + open('/data/sub/b.txt').read()",
                                 input_s3_uri="s3://bkt/tree/")
        assert result.value == "'alphabeta'", result.stderr
        # /data stays for later executions of the session
        assert session.execute(code="open('/data/a.txt').read()").value == "'alpha'"

        session.s3_download("s3://bkt/tree/sub/b.txt")
        session.s3_download("s3://bkt/tree/a.txt", file_name="in/renamed.txt")
        assert session.download("b.txt") == b"beta"
        assert session.download("in/renamed.txt") == b"alpha"

        session.upload(data="from the workspace", file_name="w.txt")
        session.s3_upload("w.txt", "s3://bkt/back/")
        session.s3_upload(file_name="w.txt", uri="s3://bkt/back/exact.txt")
    assert moto.tool("cat", "bkt", "back/w.txt") == "from the workspace"
    assert moto.tool("cat", "bkt", "back/exact.txt") == "from the workspace"


def test_errors_are_exceptions(moto, s3_client, monkeypatch):
    with s3_client.create_session() as session:
        with pytest.raises(codeinterp.NoSuchKeyError) as info:
            session.s3_download("s3://bkt/no/such/key.txt")
        assert isinstance(info.value, codeinterp.TransferError)
        assert "bkt" in str(info.value) and "no/such/key.txt" in str(info.value)
        with pytest.raises(codeinterp.NoSuchBucketError):
            session.s3_download("s3://nobucket/k.txt")
        with pytest.raises(codeinterp.NoSuchKeyError):
            session.execute(code="print('never')", input_s3_uri="s3://bkt/missing.parquet")
        with pytest.raises(codeinterp.NoSuchFileError):
            session.s3_upload("not-there.txt", "s3://bkt/x/")
        with pytest.raises(codeinterp.InvalidArgumentError):
            session.execute(code="1", input_s3_uri="http://bkt/key")

    with CodeInterpreterClient(timeout=120, s3_access_key_id=moto.ak,
                               s3_secret_access_key="wrong" + moto.sk,
                               s3_endpoint=moto.endpoint) as c, c.create_session() as s:
        with pytest.raises(codeinterp.AccessDeniedError) as info:
            s.s3_download("s3://bkt/tree/a.txt")
        assert isinstance(info.value, PermissionError)
        assert "wrong" not in str(info.value)  # secrets never appear in messages

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with CodeInterpreterClient(timeout=120, s3_endpoint=moto.endpoint) as c:
        with pytest.raises(codeinterp.NoCredentialsError):
            c.execute(code="1", input_s3_uri="s3://bkt/tree/a.txt")


def test_environment_credentials(moto, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", moto.ak)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", moto.sk)
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto.endpoint)
    moto.put_text("env/e.txt", "from env")
    with CodeInterpreterClient(timeout=120) as c:
        result = c.execute(code="import os\n"
                                "print(open('/data/e.txt').read(), "
                                "'AWS_SECRET_ACCESS_KEY' in os.environ)",
                           input_s3_uri="s3://bkt/env/e.txt")
    assert result.output == "from env False\n"


def test_failed_output_upload_is_reported(moto, s3_client):
    result = s3_client.execute(code="open('/output/r.txt', 'w').write('r')",
                               output_s3_uri="s3://nobucket/out/")
    assert result.ok
    assert result.s3_uploads == []
    assert isinstance(result.s3_upload_error, codeinterp.NoSuchBucketError)
    assert "nobucket" in str(result.s3_upload_error)


def test_progress_callback_stops_and_raises(moto, s3_client):
    moto.put_text("p/big.txt", "x" * (1 << 20))

    def stop(uri, done, total):
        raise codeinterp.StopExecution

    with pytest.raises(codeinterp.CanceledError):
        s3_client.execute(code="print('never')", input_s3_uri="s3://bkt/p/big.txt",
                          on_progress=stop)

    def fail(uri, done, total):
        raise KeyError("from progress")

    with pytest.raises(KeyError, match="from progress"):
        s3_client.execute(code="print('never')", input_s3_uri="s3://bkt/p/big.txt",
                          on_progress=fail)
