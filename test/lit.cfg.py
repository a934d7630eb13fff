# lit configuration for qjit's regression tests.
import os
import lit.formats
from lit.llvm import llvm_config  # noqa: F401  (provides the standard substitutions)

config.name = "qjit"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".qir", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "unit"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.qjit_obj_root, "test")

llvm_config.use_default_substitutions()  # FileCheck, not, count from llvm_tools_dir
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.qjit_tools_dir, append_path=True)
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))

# Sanitizer builds reserve terabytes of address space for their shadow
# memory: tests that bound a run's address space need a plain build.
if not config.qjit_sanitize:
    config.available_features.add("plain-build")

# Tests that name x86 CPUs or vector widths need an x86-64 host.
import platform
if platform.machine().lower() in ("x86_64", "amd64"):
    config.available_features.add("x86_64-host")

# QJIT_HOST_FEATURES (lib/JIT/TargetSelection.h) narrows the host the JIT
# sees: "-avx512f" runs the suite as on an AVX2-only CPU (ctest's avx2
# label). It is taken from the environment or from `--param
# host_features=-avx512f`; oneDNN's own cap, ONEDNN_MAX_CPU_ISA, passes too.
host_features = lit_config.params.get(
    "host_features", os.environ.get("QJIT_HOST_FEATURES", ""))
if host_features:
    config.environment["QJIT_HOST_FEATURES"] = host_features
    # Its own output tree, so that it may run beside the plain suite.
    config.test_exec_root = os.path.join(config.qjit_obj_root, "test",
                                         "narrowed-host")
if "ONEDNN_MAX_CPU_ISA" in os.environ:
    config.environment["ONEDNN_MAX_CPU_ISA"] = os.environ["ONEDNN_MAX_CPU_ISA"]
