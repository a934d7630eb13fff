#!/usr/bin/env python3
"""qjit on the QAT ONNX models next to PyTorch: batch 1, one thread.

For each model (resnet18, mobilenet_v2; made by scripts/onnx_models.py into
MODELS_DIR/<model>_b1/ when missing), in one run of this script, times:

  PyTorch QAT eval     the fake-quantized model itself (eval, observers off),
                       torch.set_num_threads(1)
  PyTorch int8 onednn  torch.ao.quantization.convert of that model, run with
                       torch.backends.quantized.engine = "onednn" (fbgemm,
                       then qnnpack where onednn is not built in)
  qjit float           iropt m.onnx --run --repeat=N --threads=1: the
                       fake-quantization path (iropt's default passes)
  qjit integer         -passes=check_model.INTEGER_PIPELINE (convert-to-integers)
  qjit float, 2 thr.   --threads=2
  qjit compile         --time-compile's compile-ns minus its import-ns: from
                       the imported graph to a callable function (passes,
                       lowering, LLVM, ORC), the first compile in the
                       process (cold)
  qjit import          --time-compile's import-ns: reading the .onnx file
                       into a graph (of the float path's run)

PyTorch's rows are medians of --runs calls after two warm-up calls (time.
perf_counter); qjit's are iropt's run-median-ns over --runs runs after its
warm-up run. Also prints each path's agreement with PyTorch's QAT output
(top-1, relative L2), so that a fast wrong path shows. Prints one markdown
table per model, with ratios (PyTorch QAT eval / row).

    /usr/bin/python3 bench/compare_models.py [BUILD_DIR] [--runs 20]
        [--models resnet18,mobilenet_v2] [--models-dir DIR] [--iropt PATH]

Without python3-torch, torchvision or onnx it says so and exits 1.
"""

import argparse
import copy
import importlib.util
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, "..", "scripts", "onnx_models.py")
CHECKER = os.path.join(HERE, "..", "test", "models", "check_model.py")


def fail(message):
    print(f"compare_models.py: {message}", file=sys.stderr)
    sys.exit(1)


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def median_ms(fn, runs):
    fn()
    fn()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def quantized_engine(torch):
    for engine in ("onednn", "fbgemm", "qnnpack"):
        if engine in torch.backends.quantized.supported_engines:
            return engine
    return None


def run_iropt(command):
    """The stdout of one iropt command."""
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    result = subprocess.run(command, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        fail(f"{' '.join(command)} failed ({result.returncode}):\n"
             f"{result.stderr[-3000:]}")
    return result.stdout


def report_value(text, key):
    m = re.search(rf"^{key}: (\d+)$", text, re.M)
    if not m:
        fail(f"iropt printed no '{key}:'")
    return int(m.group(1))


def qjit_rows(iropt, model_dir, runs, integer_passes, tmp):
    """{row: (ms, output path)} and the compile / import figures."""
    import numpy as np
    m = os.path.join(model_dir, "m.onnx")
    x = os.path.join(model_dir, "x.npy")
    rows = {}
    cases = [("qjit float, 1 thread", [], 1),
             ("qjit integer (convert-to-integers), 1 thread",
              [f"-passes={integer_passes}"], 1),
             ("qjit float, 2 threads", [], 2),
             ("qjit integer (convert-to-integers), 2 threads",
              [f"-passes={integer_passes}"], 2)]
    compile_ms = {}
    import_ms = None
    for name, extra, threads in cases:
        out_dir = os.path.join(tmp, re.sub(r"\W+", "_", name))
        text = run_iropt([iropt, m, "--run", f"--input={x}",
                          f"--output-dir={out_dir}", f"--repeat={runs}",
                          f"--threads={threads}", "--time-compile"] + extra)
        rows[name] = (report_value(text, "run-median-ns") * 1e-6,
                      np.load(os.path.join(out_dir, "output0.npy")))
        imported = report_value(text, "import-ns") * 1e-6
        compile_ms[name] = report_value(text, "compile-ns") * 1e-6 - imported
        if threads == 1 and not extra:
            import_ms = imported
    return rows, compile_ms, import_ms


def torch_rows(gen, name, x, runs):
    """{row: (ms, output)} of PyTorch's two paths, one thread."""
    import torch
    torch.set_num_threads(1)
    model = gen.build_qat_model(name)
    rows = {}
    with torch.no_grad():
        rows["PyTorch QAT eval (fake quantization), 1 thread"] = (
            median_ms(lambda: model(x), runs), model(x).numpy())
    engine = quantized_engine(torch)
    if engine is None:
        return rows, None
    torch.backends.quantized.engine = engine
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        int8 = torch.ao.quantization.convert(copy.deepcopy(model).eval(),
                                             inplace=False)
    with torch.no_grad():
        rows[f"PyTorch int8 (convert, {engine} engine), 1 thread"] = (
            median_ms(lambda: int8(x), runs), int8(x).numpy())
    return rows, engine


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir", nargs="?", default="build")
    parser.add_argument("--iropt", default=None,
                        help="default: BUILD_DIR/tools/iropt/iropt")
    parser.add_argument("--models-dir", default=None,
                        help="default: BUILD_DIR/test/models")
    parser.add_argument("--models", default="resnet18,mobilenet_v2")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--integer-passes", default=None,
                        help="default: check_model.py's "
                             "INTEGER_PIPELINE")
    args = parser.parse_args()
    iropt = args.iropt or os.path.join(args.build_dir, "tools", "iropt",
                                       "iropt")
    if not os.access(iropt, os.X_OK):
        fail(f"{iropt} not found: build it first (ninja -C {args.build_dir} "
             f"iropt)")
    models_dir = args.models_dir or os.path.join(args.build_dir, "test",
                                                 "models")
    try:
        gen = load(GENERATOR, "onnx_models")
        import numpy as np
        import onnx  # noqa: F401
        import torch
        import torchvision  # noqa: F401
    except ImportError as e:
        fail(f"{e}: needs python3-torch, python3-torchvision, python3-onnx")
    checker = load(CHECKER, "check_model")
    if args.integer_passes is None:
        args.integer_passes = checker.INTEGER_PIPELINE

    import tempfile
    tmp = tempfile.mkdtemp(prefix="qjit-compare-models-")
    load_before = os.getloadavg()
    print(f"machine: {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, load average {load_before[0]:.2f}; "
          f"torch {torch.__version__}; {args.runs} runs per row",
          file=sys.stderr)
    for name in args.models.split(","):
        model_dir = checker.ensure_models(gen, models_dir, name, 1)
        x = torch.from_numpy(np.load(os.path.join(model_dir, "x.npy")))
        meta_scale = None
        import json
        with open(os.path.join(model_dir, "meta.json")) as f:
            meta_scale = json.load(f)["output"]["scale"]
        t_rows, engine = torch_rows(gen, name, x, args.runs)
        q_rows, compile_ms, import_ms = qjit_rows(
            iropt, model_dir, args.runs, args.integer_passes, tmp)
        ref_key = "PyTorch QAT eval (fake quantization), 1 thread"
        ref_ms, ref_out = t_rows[ref_key]
        print(f"\n### {name}, batch 1\n")
        print("| path | ms | PyTorch QAT eval / this | top-1 = PyTorch QAT's | "
              "rel. L2 to PyTorch QAT |")
        print("|---|---|---|---|---|")
        for row, (ms, out) in list(t_rows.items()) + list(q_rows.items()):
            ours = checker.top1_sets(np, out, meta_scale)[0]
            theirs = checker.top1_sets(np, ref_out, meta_scale)[0]
            print(f"| {row} | {ms:.2f} | {ref_ms / ms:.2f}x | "
                  f"{'yes' if ours & theirs else 'NO'} {sorted(ours)} | "
                  f"{gen.rel_l2(out, ref_out):.3e} |")
        print(f"| qjit compile, cold (compile-ns - import-ns: passes, "
              f"lowering, LLVM -O2, ORC), float path | "
              f"{compile_ms['qjit float, 1 thread']:.0f} | | | |")
        print(f"| qjit compile, cold, integer path | "
              f"{compile_ms['qjit integer (convert-to-integers), 1 thread']:.0f}"
              f" | | | |")
        print(f"| qjit import (import-ns) | {import_ms:.0f} | | | |")
    load_after = os.getloadavg()
    print(f"\nload average before {load_before[0]:.2f}, after "
          f"{load_after[0]:.2f}; PyTorch quantized engine: {engine}; "
          f"qjit integer pipeline: -passes={args.integer_passes}")
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
