"""cmake --install puts a working qjit package under the prefix."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("numpy", reason="the check needs NumPy (python3-numpy)")


def test_import_from_an_install_prefix(tmp_path):
    build, cmake = os.environ.get("QJIT_BUILD_DIR"), os.environ.get("QJIT_CMAKE")
    if not build or not cmake:
        pytest.skip("QJIT_BUILD_DIR and QJIT_CMAKE are not set (ctest sets them)")
    prefix = tmp_path / "prefix"
    subprocess.run([cmake, "--install", build, "--prefix", str(prefix),
                    "--component", "python"], check=True, capture_output=True)
    version = "python%d.%d" % sys.version_info[:2]
    site = prefix / "lib" / version / "site-packages"
    assert (site / "qjit" / "__init__.py").exists()
    assert (site / "qjit" / "torch" / "functional.py").exists()
    env = dict(os.environ, PYTHONPATH=str(site))
    code = ("import qjit, numpy as np; print(qjit.__file__); "
            "f = qjit.Jit().compile(qjit.parse('graph @g(t0: Float32 [2]) {\\n"
            "  t1 = ReLU(t0) : Float32 [2]\\n  return t1\\n}')[0]); "
            "print(f(np.array([-1, 2], np.float32)).tolist())")
    p = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tmp_path),
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [str(site / "qjit" / "__init__.py"), "[0.0, 2.0]"]
