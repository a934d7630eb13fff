#!/usr/bin/python3
"""A stand-in for `iropt M.onnx --run`: evaluates the ops the test models use
with ONNX's semantics, in PyTorch (float32), and writes DIR/output<i>.npy.

For checking test/models/check_model.py without qjit, and as a second
reference: ONNX's QuantizeLinear divides by the scale (x / s), PyTorch's
fake quantization multiplies by its inverse (x * (1 / s)), which rounds the
other way on some elements; the table check_model.py prints against this
evaluator shows what that alone gives. Only the ops of the exported resnet18
and mobilenet_v2 are known.

    test/models/onnx_torch_eval.py M.onnx --run --input=x.npy --output-dir=D
    check_model.py --iropt test/models/onnx_torch_eval.py ...
"""

import argparse
import os
import sys

import numpy as np
import onnx
import onnx.numpy_helper as nh
import torch
import torch.nn.functional as F


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def per_axis(t, x, axis):
    """t (a scale or zero point) shaped to broadcast along x's axis."""
    if t.dim() == 0 or t.numel() == 1:
        return t.reshape(())
    shape = [1] * x.dim()
    shape[axis] = -1
    return t.reshape(shape)


def quantize(x, scale, zp, axis):
    dtype = zp.dtype
    lo, hi = (0, 255) if dtype == torch.uint8 else (-128, 127)
    s = per_axis(scale, x, axis)
    z = per_axis(zp.to(torch.float32), x, axis)
    q = torch.round(x / s) + z  # torch.round: half to even, as ONNX
    return torch.clamp(q, lo, hi).to(dtype)


def dequantize(q, scale, zp, axis):
    s = per_axis(scale, q, axis)
    z = per_axis(zp.to(torch.float32), q, axis)
    return (q.to(torch.float32) - z) * s


def run(model, inputs):
    g = model.graph
    env = {"": None}
    for init in g.initializer:
        env[init.name] = torch.from_numpy(nh.to_array(init).copy())
    for vi, value in zip(g.input, inputs):
        env[vi.name] = torch.from_numpy(value)
    for node in g.node:
        a = attrs(node)
        x = [env[i] for i in node.input]
        op = node.op_type
        if op == "Constant":
            y = torch.from_numpy(nh.to_array(node.attribute[0].t).copy())
        elif op == "Identity":
            y = x[0]
        elif op == "QuantizeLinear":
            y = quantize(x[0], x[1], x[2], a.get("axis", 1))
        elif op == "DequantizeLinear":
            y = dequantize(x[0], x[1], x[2], a.get("axis", 1))
        elif op == "Clip":
            lo = x[1] if len(x) > 1 else None
            hi = x[2] if len(x) > 2 else None
            y = x[0]
            if lo is not None:
                y = torch.maximum(y, lo.to(y.dtype))
            if hi is not None:
                y = torch.minimum(y, hi.to(y.dtype))
        elif op == "Conv":
            pads = a.get("pads", [0, 0, 0, 0])
            assert pads[:2] == pads[2:], "asymmetric padding"
            y = F.conv2d(x[0], x[1], x[2] if len(x) > 2 else None,
                         stride=a.get("strides", 1), padding=pads[:2],
                         dilation=a.get("dilations", 1),
                         groups=a.get("group", 1))
        elif op == "Div":
            y = x[0] / x[1]
        elif op == "Add":
            y = x[0] + x[1]
        elif op == "BatchNormalization":
            y = F.batch_norm(x[0], x[3], x[4], x[1], x[2], False, 0.0,
                             a.get("epsilon", 1e-5))
        elif op == "Relu":
            y = torch.relu(x[0])
        elif op == "MaxPool":
            pads = a.get("pads", [0, 0, 0, 0])
            y = F.max_pool2d(x[0], a["kernel_shape"], a.get("strides"),
                             pads[:2], ceil_mode=bool(a.get("ceil_mode", 0)))
        elif op == "GlobalAveragePool":
            y = x[0].mean(dim=(2, 3), keepdim=True)
        elif op == "Flatten":
            y = torch.flatten(x[0], a.get("axis", 1))
        elif op == "Gemm":
            b = x[1].t() if a.get("transB", 0) else x[1]
            y = x[0] @ b
            if len(x) > 2:
                y = y + x[2]
        else:
            raise SystemExit(f"onnx_torch_eval.py: op {op} is not known")
        env[node.output[0]] = y
    return [env[o.name] for o in g.output]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--run", action="store_true")
    parser.add_argument("--input", action="append", default=[])
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("-passes", "--passes", default=None,
                        help="ignored")
    parser.add_argument("--print-passes", action="store_true")
    args = parser.parse_args()
    model = onnx.load(args.model)
    inputs = [np.load(p) for p in args.input]
    with torch.no_grad():
        outputs = run(model, inputs)
    os.makedirs(args.output_dir, exist_ok=True)
    for i, t in enumerate(outputs):
        np.save(os.path.join(args.output_dir, f"output{i}.npy"), t.numpy())
    return 0


if __name__ == "__main__":
    sys.exit(main())
