"""Shared fixtures of the Python tests, and their exit status for ctest."""
import os
import subprocess

import pytest

SOURCE_DIR = os.environ.get(
    "QJIT_SOURCE_DIR",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def pytest_sessionfinish(session, exitstatus):
    # A file whose every test skipped (no NumPy, no torch) is a skipped
    # ctest test (SKIP_RETURN_CODE 77), not a passed one.
    # A module-level skip collects nothing: pytest's status is then 5.
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if exitstatus in (0, 5) and reporter is not None:
        stats = reporter.stats
        if stats.get("skipped") and not stats.get("passed"):
            session.exitstatus = 77


@pytest.fixture(scope="session")
def jit():
    import qjit
    return qjit.Jit()


def source_path(*parts):
    return os.path.join(SOURCE_DIR, *parts)


def run_iropt(*args):
    """iropt's exit status, stdout and stderr (skips without iropt)."""
    iropt = os.environ.get("QJIT_IROPT")
    if not iropt:
        pytest.skip("QJIT_IROPT is not set (ctest sets it)")
    p = subprocess.run([iropt, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr
