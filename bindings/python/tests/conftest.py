# SPDX-License-Identifier: MIT
"""Shared fixtures of the binding's tests (suite 'python-binding').

meson runs them with CODEINTERP_LIBRARY pointing at the build tree's library,
PYTHONPATH at bindings/python and the CODEINTERP_* variables that point the
library at the build tree's helper and kernels.
"""
import os

import pytest

import codeinterp

RUNTIME = os.environ.get("CODEINTERP_RUNTIME_DIR") or "/opt/codeinterp"
HAVE_RUNTIME = os.access(os.path.join(RUNTIME, "python", "bin", "python3"), os.X_OK)

# Sandboxed code runs under these limits in every test: a loaded CI machine
# starts interpreters slowly, a hang must still end.
TIMEOUT = 120


def pytest_collection_modifyitems(config, items):
    if HAVE_RUNTIME:
        return
    skip = pytest.mark.skip(reason="no runtime environment at %s" % RUNTIME)
    for item in items:
        if "sandbox" in item.keywords:
            item.add_marker(skip)


def pytest_configure(config):
    config.addinivalue_line("markers", "sandbox: runs code in a real sandbox")


def pytest_sessionfinish(session, exitstatus):
    # meson counts exit status 77 as skipped: say so when nothing ran
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or exitstatus != 0:
        return
    stats = reporter.stats
    if stats.get("skipped") and not stats.get("passed") and not stats.get("failed"):
        session.exitstatus = 77


@pytest.fixture
def client():
    with codeinterp.CodeInterpreterClient(timeout=TIMEOUT) as c:
        yield c


@pytest.fixture
def session(client):
    with client.create_session() as s:
        yield s
