#!/usr/bin/env python3
"""What calling qjit from Python costs, one thread, medians of one run.

    PYTHONPATH=build/python /usr/bin/python3 bench/python_overhead.py build

1. FakeQuantization of 16M floats compiled once: `iropt --run --repeat`
   (the C++ run on preallocated buffers, the same data) next to the same
   graph called from Python on a NumPy array, with out= (preallocated, as iropt) and without
   (a fresh 64 MB output per call).
2. qjit.torch.fake_quantize_per_tensor_affine on a 16M tensor next to
   torch.fake_quantize_per_tensor_affine: forward, and forward + backward.
3. The per-call overhead on 1K floats: the same calls on a small tensor,
   next to iropt's run of it.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import qjit

BIG = 1 << 24
SMALL = 1 << 10
GRAPH = """graph @fq(t0: Float32 [%d]) {
  t1 = FakeQuantization(t0, symmetric=false, scale=0.05, zero_point=128) : Float32 [%d]
  return t1
}
"""


def median_ns(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times)


def iropt_median_ns(iropt, x, repeat):
    """iropt's run of the same graph on the same data."""
    with tempfile.TemporaryDirectory() as tmp:
        graph, data = os.path.join(tmp, "fq.qir"), os.path.join(tmp, "x.npy")
        with open(graph, "w") as f:
            f.write(GRAPH % (x.size, x.size))
        np.save(data, x)
        out = subprocess.run(
            [iropt, graph, "--run", "--threads=1", "--repeat=%d" % repeat,
             "--input=" + data], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"run-median-ns: (\d+)", out).group(1))


def row(name, ns, reference=None, note=""):
    ratio = "" if reference is None else "%.2fx" % (ns / reference)
    us = ns / 1000
    shown = "%.2f ms" % (us / 1000) if us >= 1000 else "%.2f us" % us
    print("| %s | %s | %s | %s |" % (name, shown, ratio, note))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("build", nargs="?", default="build")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--small-repeat", type=int, default=5001)
    args = parser.parse_args()
    iropt = os.path.join(args.build, "tools", "iropt", "iropt")

    jit = qjit.Jit(threads=1)
    rng = np.random.default_rng(0)
    print("| case | median | vs | note |")
    print("|---|---|---|---|")
    for n, repeat in ((BIG, args.repeat), (SMALL, args.small_repeat)):
        f = jit.compile(qjit.parse(GRAPH % (n, n))[0])
        x = rng.standard_normal(n).astype(np.float32)
        y = np.empty_like(x)
        cpp = iropt_median_ns(iropt, x, repeat)
        label = "16M" if n == BIG else "1K"
        row("%s C++ run (iropt --repeat)" % label, cpp)
        row("%s Python f(x, out=y)" % label, median_ns(lambda: f(x, out=y), repeat), cpp,
            "vs the C++ run")
        row("%s Python f(x)" % label, median_ns(lambda: f(x), repeat), cpp,
            "a new output array per call")

    try:
        import torch
    except ImportError:
        print("torch is not installed: no qjit.torch figures")
        return 0
    import qjit.torch as qt
    torch.set_num_threads(1)
    for n, repeat in ((BIG, args.repeat), (SMALL, args.small_repeat)):
        label = "16M" if n == BIG else "1K"
        x = torch.randn(n)
        dy = torch.randn(n)
        args_ = (0.05, 128, 0, 255)
        times = {}
        for name, fn in (("torch", torch.fake_quantize_per_tensor_affine),
                         ("qjit.torch", qt.fake_quantize_per_tensor_affine)):
            times[name, "fwd"] = median_ns(lambda: fn(x, *args_), repeat)
            xg = x.clone().requires_grad_()

            def step():
                xg.grad = None
                fn(xg, *args_).backward(dy)
            times[name, "fwd+bwd"] = median_ns(step, repeat)
        for kind in ("fwd", "fwd+bwd"):
            row("%s torch.fake_quantize_per_tensor_affine %s" % (label, kind),
                times["torch", kind])
            row("%s qjit.torch %s" % (label, kind), times["qjit.torch", kind],
                times["torch", kind], "%.1fx faster than torch"
                % (times["torch", kind] / times["qjit.torch", kind]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
