#!/usr/bin/env python3
"""qjit's benchmark programs next to the same cases in PyTorch eager mode.

Runs the Google Benchmark programs of bench/ (built in BUILD_DIR/bench) with
--benchmark_format=json and their medians over --repetitions, then times the
same cases in PyTorch (Debian's python3-torch, 1.13) with
torch.set_num_threads(1) and with every core: the median of many calls
measured with time.perf_counter after two warm-up calls. Prints one markdown
table: case, size, threads, qjit ms, PyTorch ms, speedup (PyTorch / qjit),
hand loop and memcpy where the program has them, and a note (the issue's
goal for the row, or the reference it is measured against).

The integer cases (QLinearBench: QLinearMatMul, a quantized Linear layer,
QLinearConv2D, all with constant weights) are compared with PyTorch's
quantized modules on the onednn engine (fbgemm, then qnnpack, where onednn is
not built in; the note names the engine used): torch.ao.nn.quantized.Linear
and Conv2d fed quint8 tensors, and for the Linear layer the whole float path,
quantize_per_tensor + torch.nn.intrinsic.quantized.LinearReLU + dequantize.

The training step (TrainBench: the gradient graph of a QAT MLP 784 -> 512 ->
10 on a batch of 256, from the autodiff pass, fused) is compared with the same
network in eager mode, torch.fake_quantize_per_tensor_affine with the same
scales, zero points and grids, forward + y.sum().backward(). Its matmuls call
Debian's OpenBLAS, whose thread pool is sized when torch loads it
(OPENBLAS_NUM_THREADS), not by torch.set_num_threads: each thread count runs
in a fresh subprocess with OPENBLAS_NUM_THREADS and torch.set_num_threads both
set to that count.

    /usr/bin/python3 bench/compare_pytorch.py [BUILD_DIR] [--repetitions 5]

PyTorch is optional for qjit; without it this script says so and exits 1.
"""

import argparse
import importlib.util
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

N64K = 1 << 16
N16M = 1 << 24
CHANNELS, INNER = 64, 262144  # [64, 262144]: 16M floats
MATMUL = 512
QMATMUL_SIZES = (512, 1024)
QLINEAR = 512                 # the quantized Linear layer: [512, 512] in, out
CONV_CHANNELS, CONV_SIZE = 64, 56
# The quantization of QLinearBench's cases (its qlinearAttrs, makeLinearLayer).
X_SCALE, X_ZP, W_SCALE = 0.02, 128, 0.005
Y_SCALE, Y_ZP = 0.5, 120
LAYER_Y_SCALE, LAYER_Y_ZP = 0.1, 0
# TrainBench's MLP: sizes, and (scale, zero point, quant_min, quant_max) of
# each per-tensor fake quantization (8-bit; the weights' grids symmetric).
TRAIN_BATCH, TRAIN_IN, TRAIN_HIDDEN, TRAIN_OUT = 256, 784, 512, 10
FQ_X, FQ_W1 = (0.01, 128, 0, 255), (0.0005, 0, -128, 127)
FQ_H, FQ_W2 = (0.01, 0, 0, 255), (0.001, 0, -128, 127)


def fail(message):
    print(f"compare_pytorch.py: {message}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------
# qjit: the Google Benchmark programs.
# ---------------------------------------------------------------------------

# What each program printed on stderr (its check's summary line).
PROGRAM_STDERR = {}


def run_program(build_dir, program, repetitions, min_time, filter_regex=None):
    """{benchmark name: median real time in ms} of one program."""
    path = os.path.join(build_dir, "bench", program)
    if not os.access(path, os.X_OK):
        fail(f"{path} not found: build the benchmarks first "
             f"(ninja -C {build_dir})")
    command = [path, "--benchmark_format=json",
               f"--benchmark_repetitions={repetitions}",
               f"--benchmark_min_time={min_time}"]
    if repetitions > 1:
        command.append("--benchmark_report_aggregates_only=true")
    if filter_regex:
        command.append(f"--benchmark_filter={filter_regex}")
    print(f"running {' '.join(command)}", file=sys.stderr)
    result = subprocess.run(command, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        fail(f"{program} failed ({result.returncode}):\n{result.stderr}")
    PROGRAM_STDERR[program] = result.stderr
    report = json.loads(result.stdout)
    to_ms = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    times = {}
    for entry in report["benchmarks"]:
        if repetitions > 1 and entry.get("aggregate_name") != "median":
            continue
        name = entry.get("run_name", entry["name"])
        name = name.removesuffix("/real_time")  # added by UseRealTime()
        times[name] = entry["real_time"] * to_ms[entry["time_unit"]]
    return times


def qjit_times(build_dir, repetitions, min_time):
    times = {}
    for program in ["FakeQuantBench", "ChainBench", "FakeQuantGradBench",
                    "FakeQuantChannelBench", "CompileBench"]:
        times.update(run_program(build_dir, program, repetitions, min_time))
    times.update(run_program(build_dir, "GemmBench", repetitions, min_time,
                             f"BM_MatMul(Jit|OneDnn|Cblas)/{MATMUL}$"))
    times.update(run_program(build_dir, "QLinearBench", repetitions,
                             min_time))
    times.update(run_program(build_dir, "TrainBench", repetitions, min_time))
    return times


def lookup(times, name):
    if name not in times:
        fail(f"no result for {name}; the programs reported: "
             f"{', '.join(sorted(times))}")
    return times[name]


# ---------------------------------------------------------------------------
# PyTorch: the same cases in eager mode.
# ---------------------------------------------------------------------------

def median_ms(fn, budget_s=1.5):
    """Median wall time of fn() in ms over as many calls as fit the budget
    (at least 7, at most 1000), after two warm-up calls."""
    fn()
    fn()
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    calls = max(7, min(1000, int(budget_s / max(once, 1e-9))))
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e3


def torch_cases(torch):
    """{case: (function, thread counts)}: the inputs built once per case."""
    gen = torch.Generator().manual_seed(0)

    def uniform(shape, lo, hi):
        return torch.rand(shape, generator=gen) * (hi - lo) + lo

    cases = {}
    for n in (N64K, N16M):
        x = uniform((n,), -8.0, 8.0)
        cases[("fq", n)] = lambda x=x: torch.fake_quantize_per_tensor_affine(
            x, 0.05, 0, -128, 127)

    x = uniform((CHANNELS, INNER), -8.0, 8.0)
    a = uniform((CHANNELS, 1), 0.5, 1.5)
    b = uniform((CHANNELS, 1), -1.0, 1.0)
    cases[("chain", N16M)] = lambda: torch.fake_quantize_per_tensor_affine(
        torch.relu(x * a + b), 0.05, 0, -128, 127)

    # The clipped backward as autograd runs it: PyTorch's forward keeps the
    # mask (fake_quantize_per_tensor_affine_cachemask) and its backward is
    # dy * mask; autograd.grad returns dx without accumulating into x.grad.
    xg = uniform((N16M,), -8.0, 8.0).requires_grad_()
    yg = torch.fake_quantize_per_tensor_affine(xg, 0.05, 0, -128, 127)
    dy = uniform((N16M,), -1.0, 1.0)
    cases[("grad", N16M)] = lambda: torch.autograd.grad(
        yg, xg, dy, retain_graph=True)

    scale = torch.tensor([0.02 + 0.001 * c for c in range(CHANNELS)],
                         dtype=torch.float32)
    zero_point = torch.tensor([c % 21 - 10 for c in range(CHANNELS)],
                              dtype=torch.int32)
    xc = uniform((CHANNELS, INNER), -8.0, 8.0)
    cases[("channel", N16M)] = (
        lambda: torch.fake_quantize_per_channel_affine(
            xc, scale, zero_point, 0, -128, 127))

    ma = uniform((MATMUL, MATMUL), -1.0, 1.0)
    mb = uniform((MATMUL, MATMUL), -1.0, 1.0)
    cases[("matmul", MATMUL)] = lambda: torch.matmul(ma, mb)
    cases.update(quantized_cases(torch, uniform))
    return cases


def quantized_engine(torch):
    """The quantized engine to compare with: onednn, else fbgemm, else
    qnnpack (None: no quantized engine at all)."""
    supported = torch.backends.quantized.supported_engines
    for engine in ("onednn", "fbgemm", "qnnpack"):
        if engine in supported:
            return engine
    return None


def quantized_cases(torch, uniform):
    """QLinearBench's cases as PyTorch quantized modules, with the same
    quantization parameters; the weights are quantized once, outside the
    timed calls, as qjit packs its constant weights at compile time."""
    import torch.ao.nn.quantized as nnq
    import torch.nn.intrinsic.quantized as nniq
    engine = quantized_engine(torch)
    if engine is None:
        return {}
    torch.backends.quantized.engine = engine

    def qweight(shape):
        return torch.quantize_per_tensor(uniform(shape, -0.64, 0.635),
                                         W_SCALE, 0, torch.qint8)

    def qinput(shape):
        return torch.quantize_per_tensor(uniform(shape, -2.5, 2.5), X_SCALE,
                                         X_ZP, torch.quint8)

    cases = {}
    # QLinearMatMul: quint8 in, quint8 out, no bias (qjit's case has none).
    for n in QMATMUL_SIZES:
        linear = nnq.Linear(n, n, bias_=False)
        linear.set_weight_bias(qweight((n, n)), None)
        linear.scale, linear.zero_point = Y_SCALE, Y_ZP
        x = qinput((n, n))
        cases[("qmatmul", n)] = lambda linear=linear, x=x: linear(x)

    # The Linear layer, float in and float out, bias and ReLU.
    layer = nniq.LinearReLU(QLINEAR, QLINEAR)
    layer.set_weight_bias(qweight((QLINEAR, QLINEAR)),
                          uniform((QLINEAR,), -1.0, 1.0))
    layer.scale, layer.zero_point = LAYER_Y_SCALE, LAYER_Y_ZP
    xf = uniform((QLINEAR, QLINEAR), -2.5, 2.5)
    cases[("qlinear", QLINEAR)] = lambda: torch.dequantize(layer(
        torch.quantize_per_tensor(xf, X_SCALE, X_ZP, torch.quint8)))

    conv = nnq.Conv2d(CONV_CHANNELS, CONV_CHANNELS, 3, padding=1, bias=False)
    conv.set_weight_bias(qweight((CONV_CHANNELS, CONV_CHANNELS, 3, 3)), None)
    conv.scale, conv.zero_point = Y_SCALE, Y_ZP
    xc = qinput((1, CONV_CHANNELS, CONV_SIZE, CONV_SIZE))
    cases[("qconv", CONV_SIZE)] = lambda: conv(xc)
    # The same input stored channels_last (NHWC), as a network's layers
    # pass it on: PyTorch's quantized Conv2d writes its output so.
    xl = xc.contiguous(memory_format=torch.channels_last)
    cases[("qconv_nhwc", CONV_SIZE)] = lambda: conv(xl)
    return cases


def train_cases(torch):
    """TrainBench's step in eager mode: {case: function}. "train_params":
    gradients of W1, b1, W2, b2 (x does not require grad); "train_all": of
    x too, as qjit's @f_grad returns them. The gradients are set to None
    before each step (optimizer.zero_grad(set_to_none=True)), so that
    backward writes them afresh as qjit does, not accumulates."""
    gen = torch.Generator().manual_seed(0)

    def uniform(shape, lo, hi):
        return torch.rand(shape, generator=gen) * (hi - lo) + lo

    fq = torch.fake_quantize_per_tensor_affine
    w1 = uniform((TRAIN_IN, TRAIN_HIDDEN), -0.05, 0.05).requires_grad_()
    b1 = uniform((TRAIN_HIDDEN,), -0.1, 0.1).requires_grad_()
    w2 = uniform((TRAIN_HIDDEN, TRAIN_OUT), -0.1, 0.1).requires_grad_()
    b2 = uniform((TRAIN_OUT,), -0.1, 0.1).requires_grad_()
    cases = {}
    for key, x_grad in (("train_params", False), ("train_all", True)):
        x = uniform((TRAIN_BATCH, TRAIN_IN), -1.0, 1.0).requires_grad_(x_grad)
        tensors = [x, w1, b1, w2, b2] if x_grad else [w1, b1, w2, b2]

        def step(x=x, tensors=tensors):
            for t in tensors:
                t.grad = None
            h = torch.relu(fq(x, *FQ_X) @ fq(w1, *FQ_W1) + b1)
            y = fq(h, *FQ_H) @ fq(w2, *FQ_W2) + b2
            y.sum().backward()
        cases[(key, TRAIN_BATCH)] = step
    return cases


def train_times_subprocess(thread_counts):
    """The training cases, each thread count in a fresh interpreter with
    OPENBLAS_NUM_THREADS set before torch loads OpenBLAS."""
    times = {}
    for threads in thread_counts:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads))
        command = [sys.executable, os.path.abspath(__file__),
                   "--train-only", str(threads)]
        result = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                                text=True)
        if result.returncode != 0:
            fail(f"{' '.join(command)} failed ({result.returncode})")
        for key, ms in json.loads(result.stdout).items():
            times[(key, TRAIN_BATCH, threads)] = ms
    return times


def train_only(threads):
    """The subprocess of train_times_subprocess: prints {case: ms}."""
    import torch
    torch.set_num_threads(threads)
    times = {}
    for (key, _), fn in train_cases(torch).items():
        times[key] = median_ms(fn)
        print(f"PyTorch {key} threads={threads} (OPENBLAS_NUM_THREADS="
              f"{os.environ.get('OPENBLAS_NUM_THREADS')}): "
              f"{times[key]:.3f} ms", file=sys.stderr)
    print(json.dumps(times))
    return 0


def torch_times(torch, thread_counts):
    times = {}
    cases = torch_cases(torch)
    for threads in thread_counts:
        torch.set_num_threads(threads)
        for key, fn in cases.items():
            if key[0] == "matmul" and threads != 1:
                continue
            times[key + (threads,)] = median_ms(fn)
            print(f"PyTorch {key[0]} n={key[1]} threads={threads}: "
                  f"{times[key + (threads,)]:.3f} ms", file=sys.stderr)
    return times


# ---------------------------------------------------------------------------
# The table.
# ---------------------------------------------------------------------------

def quantized_rows(q, t, thread_counts, engine, row, scaling):
    """The rows of QLinearBench's cases. PyTorch's column is '-' when torch
    has no quantized engine."""
    def torch_ms(key):
        return t.get(key)

    engine_note = (f"PyTorch {engine}" if engine == "onednn" else
                   f"PyTorch {engine} (onednn is not built in)" if engine
                   else "PyTorch has no quantized engine")
    float_ms = lookup(q, f"BM_FloatMatMul/size:{MATMUL}")

    def gops(ms, multiply_adds):
        return f"{2 * multiply_adds / (ms * 1e-3) * 1e-9:.0f} GOP/s"

    for n in QMATMUL_SIZES:
        one = lookup(q, f"BM_QMatMul/size:{n}/threads:1")
        for threads in thread_counts:
            ms = lookup(q, f"BM_QMatMul/size:{n}/threads:{threads}")
            notes = [gops(ms, n ** 3)]
            if threads == 1 and n == MATMUL:
                notes.append(f"{float_ms / ms:.2f}x faster than qjit's float "
                             f"MatMul ({fmt_ms(float_ms)} ms)")
            notes.append(scaling(one, ms, threads))
            notes.append(f"{engine_note}: ao.nn.quantized.Linear, quint8 in "
                         f"and out")
            row("QLinearMatMul UInt8 x Int8 -> UInt8, constant weights",
                f"{n}^3", threads, ms, torch_ms(("qmatmul", n, threads)),
                note="; ".join(filter(None, notes)))

    row("MatMul Float32, constant weights", f"{MATMUL}^3", 1, float_ms,
        torch_ms(("matmul", MATMUL, 1)),
        note=f"{gops(float_ms, MATMUL ** 3)}; qjit: oneDNN dnnl_sgemm; "
             f"PyTorch: torch.matmul (OpenBLAS, 1 thread)")

    one = lookup(q, "BM_QLinearLayer/threads:1")
    for threads in thread_counts:
        ms = lookup(q, f"BM_QLinearLayer/threads:{threads}")
        notes = [f"{float_ms / ms:.2f}x faster than qjit's float MatMul"
                 if threads == 1 else scaling(one, ms, threads),
                 f"{engine_note}: quantize_per_tensor, LinearReLU, "
                 f"dequantize"]
        row("quantized Linear layer: Float32 -> Quantize -> QLinearMatMul "
            "(bias, relu) -> Dequantize", f"{QLINEAR}^3", threads, ms,
            torch_ms(("qlinear", QLINEAR, threads)), note="; ".join(notes))

    # NCHW x and y (PyTorch: NCHW x, its output channels_last), then NHWC
    # x and y on both sides.
    for bench, key, layout, torch_layout in (
            ("BM_QConv2D", "qconv", "NCHW",
             "NCHW x, channels_last output"),
            ("BM_QConv2DChannelsLast", "qconv_nhwc", "NHWC",
             "channels_last x and output")):
        one = lookup(q, f"{bench}/threads:1")
        for threads in thread_counts:
            ms = lookup(q, f"{bench}/threads:{threads}")
            macs = CONV_CHANNELS ** 2 * CONV_SIZE ** 2 * 9
            notes = [gops(ms, macs), scaling(one, ms, threads),
                     f"{engine_note}: ao.nn.quantized.Conv2d, quint8, "
                     f"{torch_layout}"]
            row(f"QLinearConv2D UInt8 x Int8 -> UInt8, 64 -> 64 channels, "
                f"3x3, padding 1, constant weights, {layout}",
                f"[1, 64, {CONV_SIZE}, {CONV_SIZE}]", threads, ms,
                torch_ms((key, CONV_SIZE, threads)),
                note="; ".join(filter(None, notes)))


def fmt_ms(ms):
    if ms is None:
        return "-"
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 1:
        return f"{ms:.2f}"
    if ms >= 0.01:
        return f"{ms:.3f}"
    return f"{ms:.4f}"


def size_name(n):
    return {N64K: "64K", N16M: "16M"}.get(n, str(n))


def machine():
    model = platform.processor() or "unknown CPU"
    try:
        for line in subprocess.run(["lscpu"], stdout=subprocess.PIPE,
                                   text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores"


def main():
    parser = argparse.ArgumentParser(
        description="qjit's benchmarks next to PyTorch eager, one table")
    parser.add_argument("build_dir", nargs="?", default="build",
                        help="the qjit build directory (default: build)")
    parser.add_argument("--repetitions", type=int, default=5,
                        help="Google Benchmark repetitions (median)")
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds per Google Benchmark repetition")
    parser.add_argument("--train-only", type=int, metavar="THREADS",
                        help=argparse.SUPPRESS)  # train_times_subprocess's
    args = parser.parse_args()
    if args.train_only:
        return train_only(args.train_only)

    if importlib.util.find_spec("torch") is None:
        fail("PyTorch is not installed (Debian: apt install python3-torch); "
             "it is optional for qjit but this comparison needs it")

    all_threads = os.cpu_count() or 1
    thread_counts = [1] if all_threads == 1 else [1, all_threads]
    load_before = os.getloadavg()
    q = qjit_times(args.build_dir, args.repetitions, args.min_time)
    # Debian's torch calls OpenBLAS (pthreads) for matmul, whose thread pool
    # torch.set_num_threads does not size; MatMul is compared on one thread,
    # as the GEMM calls in GemmBench. Read when torch loads OpenBLAS.
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    import torch
    t = torch_times(torch, thread_counts)
    t.update(train_times_subprocess(thread_counts))
    load_after = os.getloadavg()

    rows = []

    def row(case, n, threads, qjit_ms, torch_ms, hand=None, memcpy=None,
            note=""):
        speedup = (f"{torch_ms / qjit_ms:.1f}x"
                   if torch_ms is not None else "-")
        rows.append([case, size_name(n) if isinstance(n, int) else n,
                     str(threads), fmt_ms(qjit_ms), fmt_ms(torch_ms), speedup,
                     fmt_ms(hand), fmt_ms(memcpy), note])

    def scaling(base, ms, threads):
        return "" if threads == 1 else f"{base / ms:.2f}x one thread"

    for n in (N64K, N16M):
        hand = lookup(q, f"BM_FakeQuantHand/n:{n}")
        memcpy = lookup(q, f"BM_Memcpy/n:{n}")
        one = lookup(q, f"BM_FakeQuantJit/n:{n}/threads:1")
        for threads in thread_counts:
            ms = lookup(q, f"BM_FakeQuantJit/n:{n}/threads:{threads}")
            note = (f"{ms / hand:.2f}x hand loop" if threads == 1
                    else scaling(one, ms, threads))
            row("FakeQuantization forward, per tensor", n, threads, ms,
                t[("fq", n, threads)], hand, memcpy, note)

    for case, key, program_case in [
            ("Multiply-Add-ReLU-FakeQuantization, fused", "chain",
             "ChainFused"),
            ("FakeQuantization clipped backward (dy * mask)", "grad",
             "GradClippedJit"),
            ("FakeQuantization forward, per channel [64, 262144]", "channel",
             "PerChannelJit")]:
        hand_name = {"chain": "BM_ChainHand", "grad": "BM_GradClippedHand",
                     "channel": "BM_PerChannelHand"}[key]
        hand = lookup(q, hand_name)
        one = lookup(q, f"BM_{program_case}/threads:1")
        for threads in thread_counts:
            ms = lookup(q, f"BM_{program_case}/threads:{threads}")
            if key == "chain":
                unfused = lookup(q, f"BM_ChainUnfused/threads:{threads}")
                note = f"unfused JIT {fmt_ms(unfused)} ms"
            else:
                note = ""
            if threads == 1:
                note = ", ".join(filter(None, [f"{ms / hand:.2f}x hand loop",
                                               note]))
            else:
                note = ", ".join(filter(None, [scaling(one, ms, threads),
                                               note]))
            row(case, N16M, threads, ms, t[(key, N16M, threads)], hand,
                None, note)

    jit = lookup(q, f"BM_MatMulJit/{MATMUL}")
    dnnl = lookup(q, f"BM_MatMulOneDnn/{MATMUL}")
    cblas = lookup(q, f"BM_MatMulCblas/{MATMUL}")
    gflops = 2 * MATMUL ** 3 / (jit * 1e-3) * 1e-9
    row("MatMul Float32", f"{MATMUL}^3", 1, jit, t[("matmul", MATMUL, 1)],
        note=f"{gflops:.0f} GFLOP/s; dnnl_sgemm {fmt_ms(dnnl)} ms: qjit at "
             f"{100 * dnnl / jit:.0f}% of oneDNN; OpenBLAS's cblas_sgemm "
             f"{fmt_ms(cblas)} ms")

    quantized_rows(q, t, thread_counts, quantized_engine(torch), row,
                   scaling)

    for key, program_case, what, pytorch_grads in [
            ("train_params", "TrainStepParams",
             "weight and bias gradients", "x.requires_grad=False"),
            ("train_all", "TrainStep",
             "gradients of every input, x too", "x.requires_grad=True")]:
        one = lookup(q, f"BM_{program_case}/threads:1")
        for threads in thread_counts:
            ms = lookup(q, f"BM_{program_case}/threads:{threads}")
            notes = [scaling(one, ms, threads),
                     f"PyTorch: {pytorch_grads}, OpenBLAS on {threads} "
                     f"thread(s)"]
            if threads == 1 and key == "train_params":
                notes.insert(0, "goal >= 4x")
            row(f"QAT MLP 784-512-10 training step (autodiff, fused): "
                f"forward + backward, {what}", f"batch {TRAIN_BATCH}",
                threads, ms, t.get((key, TRAIN_BATCH, threads)),
                note="; ".join(filter(None, notes)))

    cold = lookup(q, "BM_CompileCold")
    as_given = lookup(q, "BM_CompileColdAsGiven")
    hit = lookup(q, "BM_CompileCacheHit")
    row("compile a 4-op graph at -O2, cold", "1 loop", "-", cold, None,
        note="new graph on an existing Jit session; the default pipeline "
             "fuses it")
    row("compile it as given, cold", "4 ops", "-", as_given, None,
        note="JitOptions::defaultPasses = false")
    for n in (1000, 3000):
        for default, what in ((0, "as given"), (1, "default pipeline")):
            ms = lookup(q, f"BM_CompileChain/n:{n}/default:{default}"
                           "/iterations:3")
            row(f"compile a chain of elementwise ops, {what}", f"{n} ops",
                "-", ms, None, note=f"{ms / n * 1e3:.0f} us per op")
    row("compile a 4-op graph, cache hit", "4 ops", "-", hit, None,
        note=f"{hit * 1e3:.1f} us: verify, hash, look up")

    # GemmBench's check names the kernels OpenBLAS chose for this CPU
    # (OPENBLAS_CORETYPE overrides the choice, for PyTorch's matmul too).
    core = re.search(r"OpenBLAS (\S+),", PROGRAM_STDERR.get("GemmBench", ""))
    core = core.group(1) if core else "unknown"
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        core += f" (OPENBLAS_CORETYPE={coretype})"
    print(f"Machine: {machine()}; load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after; PyTorch {torch.__version__}, "
          f"quantized engine {quantized_engine(torch)}; OpenBLAS core {core}; "
          f"qjit: medians of {args.repetitions} Google Benchmark repetitions, "
          f"PyTorch: medians of single calls (time.perf_counter)")
    print()
    header = ["case", "size", "threads", "qjit ms", "PyTorch ms", "speedup",
              "hand loop ms", "memcpy ms", "note"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join(["---"] * len(header)) + "|")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
