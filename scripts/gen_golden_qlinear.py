#!/usr/bin/python3
"""Writes PyTorch references for QLinearMatMul and QLinearConv2D (test/golden/).

PyTorch 1.13's quantized Linear and Conv2d on the qnnpack engine compute
docs/integer-execution.md's arithmetic bit for bit; this script runs them on
random quantized data and writes, per case NAME, the inputs (x and w as their
integers, the bias already quantized to Int32 with scale x_scale * w_scale and
rounding half to even, as the op takes it), PyTorch's output integers, and
test/golden/NAME.qir running the op on them (JIT on every kernel path, and
the interpreter) and comparing byte for byte. Needs Debian's python3-torch and
python3-numpy; the tests read only the committed files. From the repository
root:
    /usr/bin/python3 scripts/gen_golden_qlinear.py
"""
import os
import numpy as np
import torch
import torch.ao.nn.quantized as nnq
import torch.nn.intrinsic.quantized as nniq

ROOT = os.path.join(os.path.dirname(__file__), "..", "test", "golden")
INPUTS = os.path.join(ROOT, "Inputs")
rng = np.random.default_rng(11)
torch.backends.quantized.engine = "qnnpack"

# The kernel paths each case also runs on (as the unit tests force them).
PATHS = ["", "-avx512f", "-avx512f,-avxvnni", "-avx512f,-avxvnni,-avx2"]


def fmt(v):
    """The float32 value, written exactly (as the double it widens to)."""
    return repr(float(np.float32(v)))


def fmt_list(values):
    return "[" + ", ".join(fmt(v) for v in values) + "]"


def quantized_weight(w, scales, zero_points, per_channel):
    if per_channel:
        return torch.quantize_per_channel(
            torch.from_numpy(w), torch.tensor(scales, dtype=torch.float64),
            torch.tensor(zero_points), 0, torch.qint8)
    return torch.quantize_per_tensor(torch.from_numpy(w), float(scales[0]),
                                     int(zero_points[0]), torch.qint8)


def int32_bias(bias, x_scale, w_scales, channels):
    """rne(fl(b / fl(x_scale * w_scale))), the op's Int32 bias operand."""
    scales = np.broadcast_to(np.asarray(w_scales, np.float32), (channels,))
    atw = np.float32(x_scale) * scales
    return np.rint(bias / atw).astype(np.int32)


def write_case(name, op, x, w, bias, out, attrs, shapes):
    inputs = [x, w] + ([bias] if bias is not None else [])
    for i, a in enumerate(inputs):
        np.save(os.path.join(INPUTS, f"{name}_in{i}.npy"), a)
    np.save(os.path.join(INPUTS, f"{name}_out.npy"), out)
    flags = " ".join(f"--input=%S/Inputs/{name}_in{i}.npy"
                     for i in range(len(inputs)))
    types = {np.dtype(np.uint8): "UInt8", np.dtype(np.int8): "Int8",
             np.dtype(np.int32): "Int32"}
    params = ", ".join(f"t{i}: {types[a.dtype]} {list(a.shape)}"
                       for i, a in enumerate(inputs))
    operands = ", ".join(f"t{i}" for i in range(len(inputs)))
    result = f"t{len(inputs)}"
    lines = [f"// PyTorch reference (qnnpack engine): "
             f"scripts/gen_golden_qlinear.py, case '{name}'."]
    for i, path in enumerate(PATHS):
        mattr = f" --mattr={path}" if path else ""
        lines.append(f"// RUN: rm -rf %t{i} && iropt %s --run{mattr} {flags} "
                     f"--output-dir=%t{i}")
        lines.append(f"// RUN: %python %S/compare_npy.py %t{i}/output0.npy "
                     f"%S/Inputs/{name}_out.npy")
    lines.append(f"// RUN: rm -rf %ti && iropt %s --run --engine=interpreter "
                 f"{flags} --output-dir=%ti")
    lines.append(f"// RUN: %python %S/compare_npy.py %ti/output0.npy "
                 f"%S/Inputs/{name}_out.npy")
    lines += ["", f"graph @f({params}) {{",
              f"  {result} = {op}({operands}, {attrs}) : UInt8 "
              f"{list(out.shape)}",
              f"  return {result}", "}", ""]
    with open(os.path.join(ROOT, f"{name}.qir"), "w") as f:
        f.write("\n".join(lines))


def quant_attrs(x_scale, x_zp, w_scales, w_zps, y_scale, y_zp, relu):
    per_channel = len(w_scales) > 1
    text = (f"x_scale={fmt(x_scale)}, x_zero_point={x_zp}, "
            f"w_scale={fmt_list(w_scales) if per_channel else fmt(w_scales[0])}"
            f", w_zero_point="
            f"{list(map(int, w_zps)) if per_channel else int(w_zps[0])}, "
            f"y_scale={fmt(y_scale)}, y_zero_point={y_zp}")
    return text + (", relu=true" if relu else "")


def weight_quantization(channels, per_channel, zero_point):
    count = channels if per_channel else 1
    scales = np.round(rng.uniform(0.002, 0.01, count), 5).astype(np.float32)
    zps = np.full(count, zero_point, np.int64)
    return scales, zps


def linear_case(name, m, k, n, per_channel, relu, with_bias, w_zp=0):
    x_scale, x_zp, y_scale, y_zp = 0.02, 131, 0.05, 97
    w_scales, w_zps = weight_quantization(n, per_channel, w_zp)
    xf = rng.uniform(-2.5, 2.5, (m, k)).astype(np.float32)
    wf = rng.uniform(-0.6, 0.6, (n, k)).astype(np.float32)
    bias = rng.uniform(-1, 1, n).astype(np.float32) if with_bias else None
    xq = torch.quantize_per_tensor(torch.from_numpy(xf), x_scale, x_zp,
                                   torch.quint8)
    wq = quantized_weight(wf, w_scales, w_zps, per_channel)
    layer = (nniq.LinearReLU if relu else nnq.Linear)(k, n)
    layer.set_weight_bias(wq, None if bias is None else torch.from_numpy(bias))
    layer.scale, layer.zero_point = y_scale, y_zp
    out = layer(xq).int_repr().numpy()
    w = np.ascontiguousarray(wq.int_repr().numpy().T)  # [K, N]
    qbias = None if bias is None else int32_bias(bias, x_scale, w_scales, n)
    write_case(name, "QLinearMatMul", xq.int_repr().numpy(), w, qbias, out,
               quant_attrs(x_scale, x_zp, w_scales, w_zps, y_scale, y_zp,
                           relu), None)


def conv_case(name, shape, out_channels, kernel, stride, padding, dilation,
              groups, per_channel, relu, with_bias):
    x_scale, x_zp, y_scale, y_zp = 0.03, 118, 0.04, 109
    w_scales, w_zps = weight_quantization(out_channels, per_channel, 0)
    xf = rng.uniform(-3, 3, shape).astype(np.float32)
    wf = rng.uniform(-0.5, 0.5, (out_channels, shape[1] // groups, kernel,
                                 kernel)).astype(np.float32)
    bias = (rng.uniform(-1, 1, out_channels).astype(np.float32)
            if with_bias else None)
    xq = torch.quantize_per_tensor(torch.from_numpy(xf), x_scale, x_zp,
                                   torch.quint8)
    wq = quantized_weight(wf, w_scales, w_zps, per_channel)
    cls = nniq.ConvReLU2d if relu else nnq.Conv2d
    layer = cls(shape[1], out_channels, kernel, stride=stride,
                padding=padding, dilation=dilation, groups=groups)
    layer.set_weight_bias(wq, None if bias is None else torch.from_numpy(bias))
    layer.scale, layer.zero_point = y_scale, y_zp
    out = layer(xq).int_repr().numpy()
    qbias = (None if bias is None
             else int32_bias(bias, x_scale, w_scales, out_channels))
    attrs = quant_attrs(x_scale, x_zp, w_scales, w_zps, y_scale, y_zp, relu)
    attrs += (f", stride={stride}, padding={padding}, dilation={dilation}, "
              f"groups={groups}")
    write_case(name, "QLinearConv2D", xq.int_repr().numpy(),
               wq.int_repr().numpy(), qbias, out, attrs, None)


def main():
    os.makedirs(INPUTS, exist_ok=True)
    linear_case("qlinear_matmul", 33, 67, 29, False, False, True)
    linear_case("qlinear_matmul_channel_relu", 19, 130, 70, True, True, True)
    linear_case("qlinear_matmul_wzp", 8, 45, 21, False, False, False, w_zp=5)
    conv_case("qlinear_conv2d", (1, 5, 11, 9), 7, 3, 1, 1, 1, 1, False,
              False, True)
    conv_case("qlinear_conv2d_depthwise", (2, 8, 10, 10), 8, 3, 2, 1, 1, 8,
              True, True, True)
    conv_case("qlinear_conv2d_dilated_groups", (1, 6, 12, 12), 4, 3, 1, 2, 2,
              2, True, False, False)


if __name__ == "__main__":
    main()
