"""examples/python/fake_quant.py runs and prints what it says."""
import os
import subprocess
import sys

import pytest

from conftest import source_path

pytest.importorskip("numpy", reason="the example needs NumPy (python3-numpy)")


def test_example_runs():
    p = subprocess.run([sys.executable, source_path("examples", "python", "fake_quant.py")],
                       capture_output=True, text=True, env=os.environ)
    assert p.returncode == 0, p.stderr
    assert "graph @relu_fq(" in p.stdout
    assert "qjit.Error: error: graph @relu_fq takes 2 input(s), got 1" in p.stdout
    assert "dx = [[0.0, 1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 1.0, 1.0, 1.0]]" in p.stdout
