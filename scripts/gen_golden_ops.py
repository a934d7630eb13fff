#!/usr/bin/python3
"""Writes PyTorch reference results for every op's lit tests (test/golden/).

Needs Debian's python3-torch and python3-numpy; the tests only read the
committed .npy files. Run from the repository root:
    /usr/bin/python3 scripts/gen_golden_ops.py
Each case NAME writes NAME_in<i>.npy (inputs in graph order) and NAME_out.npy.
"""
import os
import numpy as np
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "golden", "Inputs")
rng = np.random.default_rng(3)


def randn(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def case(name, inputs, fn):
    tensors = [torch.from_numpy(a) for a in inputs]
    with torch.no_grad():
        out = fn(*tensors)
    out = out.contiguous().numpy()
    for i, a in enumerate(inputs):
        np.save(os.path.join(OUT, f"{name}_in{i}.npy"), a)
    np.save(os.path.join(OUT, f"{name}_out.npy"), out)


def grad_case(name, x, dy, fn):
    """Writes NAME_in0 = dy, NAME_in1 = x and NAME_out = d fn(x) / dx * dy."""
    t = torch.from_numpy(x).requires_grad_()
    fn(t).backward(torch.from_numpy(dy))
    np.save(os.path.join(OUT, f"{name}_in0.npy"), dy)
    np.save(os.path.join(OUT, f"{name}_in1.npy"), x)
    np.save(os.path.join(OUT, f"{name}_out.npy"), t.grad.numpy())


def hard_inputs():
    """Values around the kinks at -3 and 3, exact ties, zeros and infinities."""
    edges = np.array([-3, 3, -3.0000002, -2.9999998, 2.9999998, 3.0000002,
                      0, -0.0, 0.5, -0.5, np.inf, -np.inf, 6, -6],
                     dtype=np.float32)
    return np.concatenate([randn(250, scale=4), edges])


def main():
    os.makedirs(OUT, exist_ok=True)
    case("matmul_2d", [randn(7, 13), randn(13, 5)], torch.matmul)
    case("matmul_batched", [randn(2, 1, 4, 6), randn(3, 6, 5)], torch.matmul)
    case("matmul_large", [randn(64, 96), randn(96, 80)], torch.matmul)
    case("conv2d_basic", [randn(1, 3, 8, 8), randn(4, 3, 3, 3)],
         lambda x, w: F.conv2d(x, w))
    case("conv2d_groups", [randn(2, 4, 9, 11), randn(6, 2, 3, 3), randn(6)],
         lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2),
                                  dilation=(1, 2), groups=2))
    case("conv2d_depthwise", [randn(1, 8, 7, 7), randn(8, 1, 3, 3), randn(8)],
         lambda x, w, b: F.conv2d(x, w, b, padding=1, groups=8))
    case("maxpool", [randn(2, 3, 9, 10)],
         lambda x: F.max_pool2d(x, (3, 2), stride=(2, 2), padding=(1, 1)))
    case("avgpool_pad", [randn(2, 3, 9, 10)],
         lambda x: F.avg_pool2d(x, 3, stride=2, padding=1))
    case("avgpool_nopad", [randn(2, 3, 9, 10)],
         lambda x: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False))
    case("softmax", [randn(4, 10, 3, scale=5)], lambda x: torch.softmax(x, 1))
    case("log_softmax", [randn(5, 17, scale=30)], lambda x: torch.log_softmax(x, -1))
    case("gelu", [randn(300, scale=3)], lambda x: F.gelu(x))
    case("gelu_tanh", [randn(300, scale=3)], lambda x: F.gelu(x, approximate="tanh"))
    case("sigmoid_tanh", [randn(301, scale=4)], lambda x: torch.tanh(torch.sigmoid(x) * 3))
    case("exp_log_sqrt", [np.abs(randn(257, scale=3)) + np.float32(0.01)],
         lambda x: torch.sqrt(x) + torch.log(x) - torch.exp(-x))
    case("power", [np.abs(randn(64)) + np.float32(0.1), randn(64)], torch.pow)
    case("leaky_relu", [randn(100)], lambda x: F.leaky_relu(x, 0.2))
    case("reduce_sum_mean", [randn(3, 4, 5)],
         lambda x: x.sum(dim=(0, 2)) + x.mean(dim=(0, 2)))
    case("reduce_max_keep", [randn(3, 4, 5)], lambda x: x.amax(dim=1, keepdim=True))
    # Quantize/Dequantize (bit-exact): per tensor and per channel.
    x = randn(6, 7, scale=4)
    case("quantize_uint8", [x],
         lambda t: torch.quantize_per_tensor(t, 0.05, 128, torch.quint8).int_repr())
    case("quantize_int8_channel", [randn(4, 6, scale=2)],
         lambda t: torch.quantize_per_channel(
             t, torch.tensor([0.01, 0.02, 0.05, 0.1], dtype=torch.float64),
             torch.tensor([0, 1, -3, 5]), 0, torch.qint8).int_repr())
    q = rng.integers(0, 256, size=(5, 8)).astype(np.uint8)
    case("dequantize_uint8", [q],
         lambda t: torch._make_per_tensor_quantized_tensor(t, 0.037, 100).dequantize())
    # HardSigmoid / HardSwish (ONNX's, PyTorch's formulas), forward with NaN
    # and backward (NaN left out: PyTorch's scalar and vector backward
    # kernels disagree on it).
    x = np.concatenate([hard_inputs(), np.array([np.nan], dtype=np.float32)])
    case("hardsigmoid", [x], F.hardsigmoid)
    case("hardswish", [x], F.hardswish)
    x, dy = hard_inputs(), randn(264)
    grad_case("grad_hardsigmoid", x, dy, F.hardsigmoid)
    grad_case("grad_hardswish", x, dy, F.hardswish)


if __name__ == "__main__":
    main()
