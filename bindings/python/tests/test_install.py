# SPDX-License-Identifier: MIT
"""The package installed the Python way (pyproject.toml), not from the source
tree: a wheel, pip install into a fresh venv of /usr/bin/python3, and pip's
system-wide layout. Each installed copy runs the Quick Start of the package's
docstring and of README.md in the sandbox, on the build tree's library.

Offline where the tools allow: the wheel is built with /usr/bin/python3's own
setuptools and wheel (Debian python3-setuptools, python3-wheel; both come with
python3-pip) without build isolation and installed with --no-index. `pip
install DIR` in a venv builds without isolation when the venv has setuptools
and wheel; a plain Debian 12 venv has no `wheel`, so there pip does what a
user's pip does, fetching setuptools and wheel from PyPI for an isolated
build.

meson passes CODEINTERP_PROJECT_VERSION (the meson project version) and
CODEINTERP_README; the library's variables come from binding_env. The source
tree's PYTHONPATH is dropped for every installed copy.
"""
import os
import re
import shutil
import subprocess
import zipfile

import pytest

from conftest import TIMEOUT

pytestmark = pytest.mark.sandbox

SYSTEM_PYTHON = "/usr/bin/python3"
SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODULES = sorted(f for f in os.listdir(os.path.join(SOURCE, "codeinterp")) if f.endswith(".py"))
VERSION = os.environ.get("CODEINTERP_PROJECT_VERSION", "")
README = os.environ.get("CODEINTERP_README", os.path.join(SOURCE, "..", "..", "README.md"))
LIBRARY = os.environ.get("CODEINTERP_LIBRARY", "")
# pip's own builds and installs; a venv and a build are quick, an isolated
# build may download setuptools
PIP_TIMEOUT = 600

# Runs in the installed copy: where it was imported from, its versions, then
# the docstring's Quick Start and README's Python example, as written.
QUICK_START = r'''
import importlib.metadata, os, re, sys, textwrap
import codeinterp
print("file", codeinterp.__file__)
print("version", codeinterp.__version__, importlib.metadata.version("codeinterp"))
doc = codeinterp.__doc__
block = textwrap.dedent(doc.split("\n\n", 1)[1].split("\n\nA pure-ctypes")[0])
with open("data.csv", "w") as f:
    f.write("a,b\n1,2\n3,4\n5,6\n")
print("--- docstring")
exec(compile(block.replace("timeout=60", "timeout=%d" % int(os.environ["QS_TIMEOUT"])),
             "docstring", "exec"), {})
readme = open(os.environ["CODEINTERP_README"]).read()
example = re.search(r"\*\*Python\*\*.*?```python\n(.*?)```", readme, re.S).group(1)
print("--- readme")
exec(compile(example, "README.md", "exec"), {})
'''


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "CODEINTERP_LIBRARY", "LD_LIBRARY_PATH",
                        "PIP_REQUIRE_VIRTUALENV", "VIRTUAL_ENV")}
    env.update(extra)
    return env


def _run(argv, timeout=PIP_TIMEOUT, **kw):
    proc = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True, timeout=timeout, **kw)
    assert proc.returncode == 0, "%s failed (%d):\n%s" % (" ".join(argv), proc.returncode,
                                                          proc.stdout)
    return proc.stdout


def _has(python, *modules):
    # setuptools first: pip imported before it loads the stdlib's distutils,
    # which setuptools' distutils hack then refuses
    probe = "import %s" % ", ".join(sorted(modules, key=lambda m: m != "setuptools"))
    if "setuptools" in modules:
        probe += "; assert int(setuptools.__version__.split('.')[0]) >= 61"
    return subprocess.run([python, "-I", "-c", probe], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of bindings/python's distribution files: setuptools builds in
    the project dir (build/, *.egg-info), which must not be the source tree."""
    assert VERSION, "CODEINTERP_PROJECT_VERSION is not set (meson sets it)"
    dest = tmp_path_factory.mktemp("src") / "python"
    shutil.copytree(SOURCE, str(dest), ignore=shutil.ignore_patterns(
        "tests", "build", "*.egg-info", "__pycache__", "meson.build", "site_dir.py"))
    return dest


@pytest.fixture(scope="module")
def wheel(project, tmp_path_factory):
    if not _has(SYSTEM_PYTHON, "pip", "setuptools", "wheel"):
        pytest.skip("%s lacks pip, setuptools>=61 or wheel (Debian python3-pip)" % SYSTEM_PYTHON)
    out = tmp_path_factory.mktemp("wheel")
    _run([SYSTEM_PYTHON, "-m", "pip", "wheel", "--no-deps", "--no-index",
          "--no-build-isolation", "-w", str(out), str(project)], env=_env())
    return out


def _venv(path):
    _run([SYSTEM_PYTHON, "-m", "venv", str(path)], env=_env())
    return str(path / "bin" / "python")


@pytest.fixture(scope="module")
def wheel_venv(wheel, tmp_path_factory):
    """A fresh venv with the wheel installed offline; its python."""
    python = _venv(tmp_path_factory.mktemp("wheel-venv") / "venv")
    whl = os.path.join(str(wheel), os.listdir(str(wheel))[0])
    _run([python, "-m", "pip", "install", "--no-index", whl], env=_env())
    return python


def _quick_start(python, cwd, site, **library_env):
    """Runs QUICK_START with `python` in `cwd`; checks where the package came
    from, its version and the examples' output."""
    env = _env(QS_TIMEOUT=str(TIMEOUT), CODEINTERP_README=README, PYTHONDONTWRITEBYTECODE="1",
               **library_env)
    out = _run([python, "-c", QUICK_START], timeout=TIMEOUT * 4, cwd=str(cwd), env=env)
    lines = out.splitlines()
    assert lines[0] == "file " + os.path.join(site, "codeinterp", "__init__.py"), out
    assert lines[1] == "version %s %s" % (VERSION, VERSION), out
    # docstring: print(result.output) of print(1), then "ok 3"; README: 6
    assert lines[2:] == ["--- docstring", "1", "", "ok 3", "--- readme", "6"], out


def _site(python):
    return _run([python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                env=_env()).strip()


def test_wheel_is_pure_and_complete(wheel):
    names = os.listdir(str(wheel))
    assert names == ["codeinterp-%s-py3-none-any.whl" % VERSION], names
    with zipfile.ZipFile(str(wheel / names[0])) as z:
        files = z.namelist()
        metadata = z.read("codeinterp-%s.dist-info/METADATA" % VERSION).decode()
    assert sorted(f.split("/", 1)[1] for f in files if f.startswith("codeinterp/")) == MODULES
    assert not [f for f in files if f.endswith((".so", ".pyc"))], files
    assert "\nVersion: %s\n" % VERSION in metadata
    assert "\nName: codeinterp\n" in metadata


def test_wheel_in_fresh_venv_loads_library_by_soname(wheel_venv, tmp_path):
    """The wheel installed offline into a fresh venv; the library found by the
    loader (LD_LIBRARY_PATH), not by CODEINTERP_LIBRARY."""
    _quick_start(wheel_venv, tmp_path, _site(wheel_venv),
                 LD_LIBRARY_PATH=os.path.dirname(LIBRARY))


def test_pip_install_dir_in_fresh_venv(project, tmp_path):
    """`pip install ./bindings/python` into a fresh venv, then the Quick Start
    on the library CODEINTERP_LIBRARY names."""
    python = _venv(tmp_path / "venv")
    argv = [python, "-m", "pip", "install"]
    if _has(python, "setuptools", "wheel"):
        argv += ["--no-index", "--no-build-isolation"]
    else:
        print("the venv has no setuptools>=61 and wheel: isolated build, from PyPI")
    _run(argv + [str(project)], env=_env())
    work = tmp_path / "work"
    work.mkdir()
    _quick_start(python, work, _site(python), CODEINTERP_LIBRARY=LIBRARY)


def test_missing_library_says_what_to_do(wheel_venv, tmp_path):
    ldconfig = shutil.which("ldconfig", path="/sbin:/usr/sbin")
    listed = subprocess.run([ldconfig, "-p"], stdout=subprocess.PIPE,
                            universal_newlines=True).stdout if ldconfig else ""
    python = wheel_venv
    bad = subprocess.run([python, "-c", "import codeinterp"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True,
                         env=_env(CODEINTERP_LIBRARY=str(tmp_path / "nothing.so.1")))
    assert bad.returncode != 0
    assert "ImportError: codeinterp: cannot load the library CODEINTERP_LIBRARY names" in bad.stdout
    assert str(tmp_path / "nothing.so.1") in bad.stdout
    if "libcodeinterp.so.1 " in listed:
        print("libcodeinterp is installed on this host: the no-library case is not checked")
        return
    missing = subprocess.run([python, "-c", "import codeinterp"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, universal_newlines=True, env=_env())
    assert missing.returncode != 0
    last = missing.stdout.strip().splitlines()[-1]
    assert last.startswith("ImportError: codeinterp: cannot load libcodeinterp (libcodeinterp.so.1: ")
    for hint in ("meson install", "ldconfig", "CODEINTERP_LIBRARY", "LD_LIBRARY_PATH"):
        assert hint in last, last


def test_system_wide_layout_is_on_sys_path(project, tmp_path):
    """System-wide pip (staged with --root) puts the package where
    /usr/bin/python3 imports from: /usr/local/lib/python3.X/dist-packages on
    Debian."""
    if not _has(SYSTEM_PYTHON, "pip", "setuptools", "wheel"):
        pytest.skip("%s lacks pip, setuptools>=61 or wheel (Debian python3-pip)" % SYSTEM_PYTHON)
    root = tmp_path / "root"
    _run([SYSTEM_PYTHON, "-m", "pip", "install", "--root", str(root), "--no-index",
          "--no-build-isolation", "--no-deps", "--break-system-packages", str(project)],
         env=_env())
    found = [os.path.dirname(os.path.dirname(os.path.join(d, "__init__.py")))
             for d, _, files in os.walk(str(root))
             if "__init__.py" in files and os.path.basename(d) == "codeinterp"]
    assert len(found) == 1, found
    site = found[0][len(str(root)):]
    path = _run([SYSTEM_PYTHON, "-I", "-c", "import sys; print('\\n'.join(sys.path))"],
                env=_env()).splitlines()
    assert site in path, (site, path)
    assert sorted(f for f in os.listdir(os.path.join(found[0], "codeinterp"))
                  if f.endswith(".py")) == MODULES
    # run it from the staged copy, as if installed
    work = tmp_path / "work"
    work.mkdir()
    _quick_start(SYSTEM_PYTHON, work, found[0], PYTHONPATH=found[0], CODEINTERP_LIBRARY=LIBRARY)


def test_version_has_one_source():
    init = open(os.path.join(SOURCE, "codeinterp", "__init__.py")).read()
    assert re.findall(r'^__version__ = "([^"]+)"$', init, re.M) == [VERSION]
    pyproject = open(os.path.join(SOURCE, "pyproject.toml")).read()
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "codeinterp.__version__"}' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M)
