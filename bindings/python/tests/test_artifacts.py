# SPDX-License-Identifier: MIT
"""Charts come back as images, files the code writes as artifacts."""
import pytest

pytestmark = pytest.mark.sandbox

PNG = b"\x89PNG\r\n\x1a\n"


def test_matplotlib_figures_are_images(session):
    result = session.execute(code="import matplotlib.pyplot as plt\n"
                                  "plt.figure(); plt.plot([1, 2, 3])\n"
                                  "plt.figure(); plt.bar(['a', 'b'], [1, 2])\n")
    assert result.ok, result.stderr
    assert len(result.images) == 2
    for image in result.images:
        assert image.mime_type == "image/png"
        assert image.data.startswith(PNG)
    assert result.displays == result.images
    assert session.execute(code="1").images == []


def test_images_in_json(session):
    result = session.execute(code="import matplotlib.pyplot as plt\nplt.plot([1, 2])\n")
    blocks = result.to_dict()["content"]
    assert [b["type"] for b in blocks] == ["text", "image"]
    assert blocks[1]["mimeType"] == "image/png"


def test_artifacts(session):
    session.upload(data=b"unchanged", file_name="old.txt")
    result = session.execute(code="import os\n"
                                  "open('out.csv', 'w').write('a,b\\n1,2\\n')\n"
                                  "os.makedirs('sub', exist_ok=True)\n"
                                  "open('sub/r.json', 'w').write('{}')\n")
    assert result.ok, result.stderr
    by_path = {a.path: a for a in result.artifacts}
    assert set(by_path) == {"/workspace/out.csv", "/workspace/sub/r.json"}
    assert by_path["/workspace/out.csv"].size == 8
    assert by_path["/workspace/out.csv"].mime_type == "text/csv"
    assert by_path["/workspace/sub/r.json"].mime_type == "application/json"
    assert not result.artifacts_truncated
    assert session.download("out.csv") == b"a,b\n1,2\n"


def test_artifact_in_output_folder(session):
    result = session.execute(code="open('/output/report.txt', 'w').write('done')")
    assert result.ok, result.stderr
    assert [a.path for a in result.artifacts] == ["/output/report.txt"]
