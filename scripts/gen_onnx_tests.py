#!/usr/bin/env python3
"""Writes the ONNX importer's test models into test/Import/onnx/.

For each case NAME: NAME.onnx (a small model made with onnx.helper), its
inputs NAME_in<i>.npy and the expected outputs NAME_out<i>.npy, computed
here with NumPy formulas that follow the ONNX operator definitions. The
bad_*.onnx files are malformed or unsupported models for the error tests.
It also writes test/Import/run-models.test, which runs every model. The
generated files are committed; the tests need neither Python's onnx nor
NumPy. Run with Debian's python3-onnx (1.12) and python3-numpy:

    /usr/bin/python3 scripts/gen_onnx_tests.py
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test",
                   "Import", "onnx")
rng = np.random.default_rng(1234)

F32 = TensorProto.FLOAT


def rand(*shape, lo=-1.0, hi=1.0):
    return rng.uniform(lo, hi, size=shape).astype(np.float32)


def init(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def vinfo(name, array_or_type, shape=None):
    if shape is None:
        a = array_or_type
        return helper.make_tensor_value_info(
            name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(a.dtype)], a.shape)
    return helper.make_tensor_value_info(name, array_or_type, shape)


def model(nodes, inputs, outputs, inits=(), opset=13, name="test_graph"):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    m = helper.make_model(graph, producer_name="gen_onnx_tests",
                          opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def save_model(name, m):
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(m.SerializeToString())


def case(name, nodes, inputs, outputs, inits=(), opset=13, check=True):
    """inputs: [(name, array)], outputs: [(name, expected array)]."""
    m = model(nodes, [vinfo(n, a) for n, a in inputs],
              [vinfo(n, a) for n, a in outputs], inits, opset)
    if check:
        onnx.checker.check_model(m)
    save_model(name, m)
    for i, (_, a) in enumerate(inputs):
        np.save(os.path.join(OUT, f"{name}_in{i}.npy"), a)
    for i, (_, a) in enumerate(outputs):
        np.save(os.path.join(OUT, f"{name}_out{i}.npy"), a)


# --- NumPy references -------------------------------------------------------

def quantize(x, scale, zp, axis=None):
    s, z = np.asarray(scale, np.float32), np.asarray(zp)
    if axis is not None:
        shape = [1] * x.ndim
        shape[axis] = -1
        s, z = s.reshape(shape), z.reshape(shape)
    info = np.iinfo(z.dtype)
    q = np.rint(x / s) + z.astype(np.float32)  # rint: half to even
    return np.clip(q, info.min, info.max).astype(z.dtype)


def dequantize(q, scale, zp, axis=None):
    s, z = np.asarray(scale, np.float32), np.asarray(zp)
    if axis is not None:
        shape = [1] * q.ndim
        shape[axis] = -1
        s, z = s.reshape(shape), z.reshape(shape)
    return ((q.astype(np.float32) - z.astype(np.float32)) * s).astype(np.float32)


def conv2d(x, w, b, stride, pad, dil, groups):
    """pad: (h, w) on both sides, or ONNX's (h_begin, w_begin, h_end, w_end)."""
    if len(pad) == 2:
        pad = (pad[0], pad[1], pad[0], pad[1])
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[2]), (pad[1], pad[3])))
    oh = (xp.shape[2] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    y = np.zeros((n, o, oh, ow), np.float64)
    og = o // groups
    for g in range(groups):
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg,
                           i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                y[:, g * og:(g + 1) * og, i, j] = np.einsum(
                    "nchw,ochw->no", patch.astype(np.float64),
                    w[g * og:(g + 1) * og].astype(np.float64))
    if b is not None:
        y += b.reshape(1, -1, 1, 1)
    return y.astype(np.float32)


def pool2d(x, k, s, p, kind, count_include_pad=False):
    n, c, h, w = x.shape
    oh = (h + 2 * p[0] - k[0]) // s[0] + 1
    ow = (w + 2 * p[1] - k[1]) // s[1] + 1
    y = np.zeros((n, c, oh, ow), np.float32)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            hs, he = max(h0, 0), min(h0 + k[0], h)
            ws, we = max(w0, 0), min(w0 + k[1], w)
            win = x[:, :, hs:he, ws:we]
            if kind == "max":
                y[:, :, i, j] = win.max(axis=(2, 3))
            else:
                count = k[0] * k[1] if count_include_pad else win.shape[2] * win.shape[3]
                y[:, :, i, j] = win.astype(np.float64).sum(axis=(2, 3)) / count
    return y


def pool2d_padded(x, k, s, pads, kind):
    """Max (pad -inf) or average counting the pads, ONNX's asymmetric pads."""
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
                constant_values=fill)
    return pool2d(xp, k, s, (0, 0), kind, True)


def maxpool_ceil(x, k, s, pads):
    """MaxPool with ceil_mode=1: the output size rounded up, but every window
    starting inside the input or its leading pad (PyTorch, ONNX Runtime)."""
    outs = []
    for i in range(2):
        size = x.shape[2 + i] + pads[i] + pads[i + 2]
        out = -(-(size - k[i]) // s[i]) + 1
        if (out - 1) * s[i] >= x.shape[2 + i] + pads[i]:
            out -= 1
        outs.append(out)
    big = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2] + k[0]), (pads[1], pads[3] + k[1])),
                 constant_values=-np.inf)
    y = np.zeros(x.shape[:2] + tuple(outs), np.float32)
    for i in range(outs[0]):
        for j in range(outs[1]):
            y[:, :, i, j] = big[:, :, i * s[0]:i * s[0] + k[0],
                                j * s[1]:j * s[1] + k[1]].max(axis=(2, 3))
    return y


def hard_sigmoid(x, alpha, beta):
    return np.clip(x * np.float32(alpha) + np.float32(beta), 0, 1).astype(np.float32)


# --- Models -----------------------------------------------------------------

def gen_quantization():
    x = rand(2, 3, 5, 7, lo=-4, hi=4)
    s, z = np.float32(0.05), np.uint8(128)
    q = quantize(x, s, z)
    case("qdq_per_tensor",
         [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q"),
          helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq")],
         [("x", x)], [("y", dequantize(q, s, z)), ("q", q)],
         [init("s", s), init("z", z)])

    # Per-axis along axis 1 with Int8 zero points; the scale as a [4] list.
    x = rand(2, 4, 3, 5, lo=-2, hi=2)
    s = np.array([0.01, 0.02, 0.015, 0.03], np.float32)
    z = np.array([0, -3, 5, 1], np.int8)
    q = quantize(x, s, z, axis=1)
    case("qdq_per_axis",
         [helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q", axis=1),
          helper.make_node("DequantizeLinear", ["q", "s", "z"], ["y"], name="dq", axis=-3)],
         [("x", x)], [("y", dequantize(q, s, z, axis=1)), ("q", q)],
         [init("s", s), init("z", z)])

    # PyTorch's QAT export: Clip(q, "", 127) on UInt8 between Q and DQ; the
    # scale a [1] tensor; a QuantizeLinear without zero point (UInt8, 0).
    x = rand(3, 17, lo=-3, hi=9)
    s, z = np.array([0.06], np.float32), np.array([64], np.uint8)
    q = np.minimum(quantize(x, s[0], z[0]), 127).astype(np.uint8)
    q0 = quantize(x, np.float32(0.1), np.uint8(0))
    case("qdq_clip_uint8",
         [helper.make_node("Constant", [], ["hi"], name="hi",
                           value=numpy_helper.from_array(np.array(127, np.uint8))),
          helper.make_node("QuantizeLinear", ["x", "s", "z"], ["q"], name="q"),
          helper.make_node("Clip", ["q", "", "hi"], ["qc"], name="clip"),
          helper.make_node("DequantizeLinear", ["qc", "s", "z"], ["y"], name="dq"),
          helper.make_node("QuantizeLinear", ["x", "s0"], ["q0"], name="q0")],
         [("x", x)], [("y", dequantize(q, s[0], z[0])), ("q0", q0)],
         [init("s", s), init("z", z), init("s0", np.float32(0.1))])


def gen_clip():
    x = rand(4, 9, lo=-2, hi=2)
    case("clip",
         [helper.make_node("Clip", ["x", "lo", "hi"], ["a"], name="both"),
          helper.make_node("Clip", ["x", "", "hi"], ["b"], name="max_only"),
          helper.make_node("Clip", ["x"], ["c"], name="none")],
         [("x", x)],
         [("a", np.clip(x, -0.5, 0.7)), ("b", np.minimum(x, np.float32(0.7))), ("c", x)],
         [init("lo", np.float32(-0.5)), init("hi", np.float32(0.7))])
    # Opset 10: the bounds are attributes.
    case("clip_opset10",
         [helper.make_node("Clip", ["x"], ["a"], name="clip", min=-0.25, max=0.5)],
         [("x", x)], [("a", np.clip(x, np.float32(-0.25), np.float32(0.5)))],
         opset=10)


def gen_conv():
    x, w, b = rand(1, 3, 9, 11), rand(4, 3, 3, 3), rand(4)
    case("conv_pads",
         [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv",
                           kernel_shape=[3, 3], pads=[1, 2, 1, 2], strides=[2, 1],
                           dilations=[1, 2])],
         [("x", x)], [("y", conv2d(x, w, b, (2, 1), (1, 2), (1, 2), 1))],
         [init("w", w), init("b", b)])
    x, w = rand(2, 4, 7, 6), rand(6, 2, 3, 3)
    case("conv_groups_same",
         [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", group=2,
                           auto_pad="SAME_UPPER")],
         [("x", x), ("w", w)], [("y", conv2d(x, w, None, (1, 1), (1, 1), (1, 1), 2))])
    x, w, b = rand(1, 5, 8, 8), rand(5, 1, 3, 3), rand(5)
    case("conv_depthwise",
         [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", group=5,
                           strides=[2, 2], auto_pad="VALID")],
         [("x", x)], [("y", conv2d(x, w, b, (2, 2), (0, 0), (1, 1), 5))],
         [init("w", w), init("b", b)])


def gen_asymmetric_pads():
    # Asymmetric pads become explicit Concats of zeros (-inf for MaxPool).
    x, w, b = rand(1, 2, 6, 7), rand(3, 2, 3, 3), rand(3)
    case("conv_asymmetric_pads",
         [helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv",
                           pads=[0, 1, 2, 1], strides=[2, 2]),
          helper.make_node("Conv", ["x", "w"], ["z"], name="same_lower",
                           auto_pad="SAME_LOWER", strides=[2, 2])],
         [("x", x)],
         [("y", conv2d(x, w, b, (2, 2), (0, 1, 2, 1), (1, 1), 1)),
          # in 6, 7 / stride 2 -> out 3, 4: total pads 1 and 2 (SAME_LOWER:
          # the larger half first).
          ("z", conv2d(x, w, None, (2, 2), (1, 1, 0, 1), (1, 1), 1))],
         [init("w", w), init("b", b)])
    x = rand(1, 2, 6, 8)
    case("pool_asymmetric_pads",
         [helper.make_node("MaxPool", ["x"], ["max"], name="max", kernel_shape=[3, 3],
                           strides=[2, 2], auto_pad="SAME_UPPER"),
          helper.make_node("AveragePool", ["x"], ["avg"], name="avg", kernel_shape=[2, 3],
                           pads=[1, 0, 0, 2], count_include_pad=1)],
         [("x", x)],
         [("max", pool2d_padded(x, (3, 3), (2, 2), (0, 0, 1, 1), "max")),
          ("avg", pool2d_padded(x, (2, 3), (1, 1), (1, 0, 0, 2), "avg"))])


def gen_ceil_mode():
    # GoogLeNet's MaxPool: ceil_mode=1 reads a partial last window; with pads
    # the last window may be dropped (it would start in the trailing pad).
    x = rand(1, 2, 5, 8)
    case("maxpool_ceil_mode",
         [helper.make_node("MaxPool", ["x"], ["a"], name="a", kernel_shape=[3, 3],
                           strides=[2, 2], ceil_mode=1),
          helper.make_node("MaxPool", ["x"], ["b"], name="b", kernel_shape=[2, 2],
                           strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)],
         [("x", x)],
         [("a", maxpool_ceil(x, (3, 3), (2, 2), (0, 0, 0, 0))),
          ("b", maxpool_ceil(x, (2, 2), (2, 2), (1, 1, 1, 1)))])


def gen_integer_div():
    # ShuffleNet's channel split: Shape -> Gather -> Div (INT64, truncating)
    # -> Unsqueeze -> Slice ends, folded at import time; also a negative
    # quotient (-7 / 2 = -3).
    x = rand(2, 6, 4)
    case("integer_div",
         [helper.make_node("Shape", ["x"], ["shape"], name="shape"),
          helper.make_node("Gather", ["shape", "one"], ["c"], name="gather", axis=0),
          helper.make_node("Div", ["c", "two"], ["half"], name="div"),
          helper.make_node("Unsqueeze", ["half", "zero"], ["end"], name="unsqueeze"),
          helper.make_node("Slice", ["x", "zero", "end", "one1"], ["a"], name="first"),
          helper.make_node("Div", ["minus7", "two"], ["q"], name="negdiv"),
          helper.make_node("Slice", ["x", "q", "big", "two1"], ["b"], name="last")],
         [("x", x)], [("a", x[:, :3]), ("b", x[:, :, -3:])],
         [init("one", np.array(1, np.int64)), init("two", np.array(2, np.int64)),
          init("zero", np.array([0], np.int64)), init("one1", np.array([1], np.int64)),
          init("minus7", np.array([-7], np.int64)), init("big", np.array([100], np.int64)),
          init("two1", np.array([2], np.int64))])


def gen_cast():
    # Cast to the same type is an alias; other Casts and ConstantOfShape are
    # computed at import time (float -> int truncates toward zero).
    x = rand(2, 3)
    case("cast_constant_of_shape",
         [helper.make_node("Shape", ["x"], ["s"], name="shape"),
          helper.make_node("ConstantOfShape", ["s"], ["c"], name="fill",
                           value=numpy_helper.from_array(np.array([1.5], np.float32))),
          helper.make_node("Add", ["x", "c"], ["y"], name="add"),
          helper.make_node("Constant", [], ["k"], name="k", value_floats=[2.7, -2.7, 300.0]),
          helper.make_node("Cast", ["k"], ["ki"], name="to_int", to=TensorProto.INT32),
          helper.make_node("Cast", ["x"], ["same"], name="same", to=TensorProto.FLOAT)],
         [("x", x)],
         [("y", x + np.float32(1.5)), ("ki", np.array([2, -2, 300], np.int32)), ("same", x)])


def gen_batchnorm():
    x = rand(2, 3, 4, 5, lo=-3, hi=3)
    gamma, beta, mean = rand(3), rand(3), rand(3)
    var = rand(3, lo=0.1, hi=2)
    eps = np.float32(1e-3)
    invstd = (np.float32(1) / np.sqrt(var + eps)).astype(np.float32)
    a = (gamma * invstd).astype(np.float32)
    bb = (beta - mean * a).astype(np.float32)
    y = (x * a.reshape(3, 1, 1) + bb.reshape(3, 1, 1)).astype(np.float32)
    case("batchnorm",
         [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"], ["y"],
                           name="bn", epsilon=float(eps), momentum=0.9)],
         [("x", x)], [("y", y)],
         [init("g", gamma), init("b", beta), init("m", mean), init("v", var)])


def gen_gemm_matmul():
    a, b, c = rand(3, 5), rand(4, 5), rand(4)
    y = (np.float32(0.5) * (a @ b.T) + np.float32(2.0) * c).astype(np.float32)
    case("gemm_transb",
         [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="fc", transB=1,
                           alpha=0.5, beta=2.0)],
         [("a", a)], [("y", y)], [init("b", b), init("c", c)])
    a, b, c = rand(5, 3), rand(5, 4), rand(3, 1)
    case("gemm_transa",
         [helper.make_node("Gemm", ["a", "b", "c"], ["y"], name="fc", transA=1)],
         [("a", a), ("b", b)], [("y", (a.T @ b + c).astype(np.float32))], [init("c", c)])
    a, b, v = rand(2, 3, 4), rand(4, 5), rand(3)
    case("matmul",
         [helper.make_node("MatMul", ["a", "b"], ["y"], name="mm"),
          helper.make_node("MatMul", ["v", "a"], ["z"], name="mm_1d")],
         [("a", a), ("b", b), ("v", v)],
         [("y", (a @ b).astype(np.float32)), ("z", (v @ a).astype(np.float32))])


def gen_elementwise():
    x, y = rand(2, 3, 4), rand(4)
    c, d = rand(3, 1), rand(2, 1, 1, lo=0.5, hi=2)
    case("binary_broadcast",
         [helper.make_node("Add", ["x", "y"], ["add"], name="add"),
          helper.make_node("Sub", ["x", "c"], ["sub"], name="sub"),
          helper.make_node("Mul", ["y", "x"], ["mul"], name="mul"),
          helper.make_node("Div", ["x", "d"], ["div"], name="div")],
         [("x", x), ("y", y)],
         [("add", x + y), ("sub", x - c), ("mul", y * x), ("div", x / d)],
         [init("c", c), init("d", d)])
    x = rand(3, 10, lo=-5, hi=5)
    hs = hard_sigmoid(x, 0.3, 0.4)
    swish = (x * hard_sigmoid(x, np.float32(1 / 6), 0.5)).astype(np.float32)
    case("activations",
         [helper.make_node("Relu", ["x"], ["relu"], name="relu"),
          helper.make_node("Sigmoid", ["x"], ["sigmoid"], name="sigmoid"),
          helper.make_node("HardSigmoid", ["x"], ["hs"], name="hs", alpha=0.3, beta=0.4),
          helper.make_node("HardSwish", ["x"], ["swish"], name="swish"),
          helper.make_node("LeakyRelu", ["x"], ["leaky"], name="leaky", alpha=0.1)],
         [("x", x)],
         [("relu", np.maximum(x, 0)), ("sigmoid", (1 / (1 + np.exp(-x))).astype(np.float32)),
          ("hs", hs), ("swish", swish),
          ("leaky", np.where(x > 0, x, x * np.float32(0.1)).astype(np.float32))],
         opset=14)


def gen_pool_reduce():
    x = rand(1, 2, 7, 8)
    case("pools",
         [helper.make_node("MaxPool", ["x"], ["max"], name="max", kernel_shape=[3, 3],
                           strides=[2, 2], pads=[1, 1, 1, 1]),
          helper.make_node("AveragePool", ["x"], ["avg"], name="avg", kernel_shape=[2, 2],
                           strides=[2, 2]),
          helper.make_node("AveragePool", ["x"], ["avgpad"], name="avgpad",
                           kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=1),
          helper.make_node("AveragePool", ["x"], ["avgexcl"], name="avgexcl",
                           kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
          helper.make_node("GlobalAveragePool", ["x"], ["gap"], name="gap")],
         [("x", x)],
         [("max", pool2d(x, (3, 3), (2, 2), (1, 1), "max")),
          ("avg", pool2d(x, (2, 2), (2, 2), (0, 0), "avg")),
          ("avgpad", pool2d(x, (3, 3), (1, 1), (1, 1), "avg", True)),
          ("avgexcl", pool2d(x, (3, 3), (1, 1), (1, 1), "avg", False)),
          ("gap", x.astype(np.float64).mean(axis=(2, 3), keepdims=True).astype(np.float32))])
    x = rand(3, 4, 5)
    case("reduce_mean",
         [helper.make_node("ReduceMean", ["x"], ["a"], name="a", axes=[1], keepdims=0),
          helper.make_node("ReduceMean", ["x"], ["b"], name="b", axes=[-1, 0]),
          helper.make_node("ReduceMean", ["x"], ["c"], name="c", keepdims=0)],
         [("x", x)],
         [("a", x.astype(np.float64).mean(axis=1).astype(np.float32)),
          ("b", x.astype(np.float64).mean(axis=(0, 2), keepdims=True).astype(np.float32)),
          ("c", np.array(x.astype(np.float64).mean(), np.float32))])
    case("reduce_mean_opset18",
         [helper.make_node("ReduceMean", ["x", "axes"], ["a"], name="a", keepdims=0)],
         [("x", x)], [("a", x.astype(np.float64).mean(axis=(0, 1)).astype(np.float32))],
         [init("axes", np.array([0, -2], np.int64))], opset=18,
         check=False)  # onnx 1.12's checker knows opsets up to 17


def gen_shape_ops():
    x = rand(2, 3, 4, 5)
    y = rand(2, 3, 4)
    case("reshapes",
         [helper.make_node("Flatten", ["x"], ["flat"], name="flat", axis=2),
          helper.make_node("Reshape", ["y", "s1"], ["r1"], name="r1"),
          helper.make_node("Reshape", ["y", "s2"], ["r2"], name="r2"),
          helper.make_node("Transpose", ["y"], ["t"], name="t", perm=[2, 0, 1]),
          helper.make_node("Unsqueeze", ["y", "ax"], ["u"], name="u"),
          helper.make_node("Squeeze", ["u", "ax0"], ["sq"], name="sq")],
         [("x", x), ("y", y)],
         [("flat", x.reshape(6, 20)), ("r1", y.reshape(2, 12)), ("r2", y.reshape(4, 3, 2)),
          ("t", y.transpose(2, 0, 1)), ("u", y.reshape(1, 2, 3, 1, 4)),
          ("sq", y.reshape(2, 3, 1, 4))],
         [init("s1", np.array([0, -1], np.int64)), init("s2", np.array([4, 0, -1], np.int64)),
          init("ax", np.array([0, 3], np.int64)), init("ax0", np.array([0], np.int64))])
    x = rand(2, 3, 4)
    case("split_concat",
         [helper.make_node("Split", ["x", "sizes"], ["a", "b"], name="split", axis=1),
          helper.make_node("Concat", ["b", "a"], ["ba"], name="concat", axis=-2),
          helper.make_node("Split", ["x"], ["c", "d"], name="halves", axis=2)],
         [("x", x)],
         [("ba", np.concatenate([x[:, 1:], x[:, :1]], axis=1)), ("c", x[:, :, :2]),
          ("d", x[:, :, 2:])],
         [init("sizes", np.array([1, 2], np.int64))])
    # Opset 11: Split's sizes and Squeeze's axes are attributes.
    case("split_opset11",
         [helper.make_node("Split", ["x"], ["a", "b"], name="split", axis=2, split=[3, 1]),
          helper.make_node("Unsqueeze", ["b"], ["u"], name="u", axes=[-1]),
          helper.make_node("Squeeze", ["u"], ["s"], name="s", axes=[3])],
         [("x", x)], [("a", x[:, :, :3]), ("s", x[:, :, 3:])], opset=11)
    x = rand(5, 6, 7)
    big = np.iinfo(np.int64).max
    case("slice",
         [helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["a"], name="neg"),
          helper.make_node("Slice", ["x", "st2", "en2"], ["b"], name="pos"),
          helper.make_node("Slice", ["x", "st3", "en3", "ax3", "sp3"], ["c"], name="rev")],
         [("x", x)],
         [("a", x[1:4:2, :, -1:-100:-2]), ("b", x[-3:big, 2:-1]), ("c", x[:, ::-1])],
         [init("st", np.array([1, -1], np.int64)), init("en", np.array([4, -100], np.int64)),
          init("ax", np.array([0, 2], np.int64)), init("sp", np.array([2, -2], np.int64)),
          init("st2", np.array([-3, 2], np.int64)), init("en2", np.array([big, -1], np.int64)),
          init("st3", np.array([-1], np.int64)),
          init("en3", np.array([np.iinfo(np.int64).min], np.int64)),
          init("ax3", np.array([1], np.int64)), init("sp3", np.array([-1], np.int64))])
    # The exporters' Shape -> Gather -> Unsqueeze -> Concat -> Reshape chain.
    x = rand(2, 3, 4)
    case("shape_gather",
         [helper.make_node("Shape", ["x"], ["shape"], name="shape"),
          helper.make_node("Gather", ["shape", "i0"], ["n"], name="gather", axis=0),
          helper.make_node("Unsqueeze", ["n", "ax"], ["n1"], name="unsqueeze"),
          helper.make_node("Concat", ["n1", "minus1"], ["target"], name="concat", axis=0),
          helper.make_node("Reshape", ["x", "target"], ["y"], name="reshape"),
          helper.make_node("Identity", ["y"], ["z"], name="identity"),
          helper.make_node("Constant", [], ["k"], name="k", value_floats=[1.0, 2.0, 3.0]),
          helper.make_node("Constant", [], ["two"], name="two", value_float=2.0),
          helper.make_node("Mul", ["k", "two"], ["k2"], name="k2")],
         [("x", x)],
         [("z", x.reshape(2, 12)), ("k2", np.array([2, 4, 6], np.float32))],
         [init("i0", np.array(0, np.int64)), init("ax", np.array([0], np.int64)),
          init("minus1", np.array([-1], np.int64))])


# --- Malformed and unsupported models ---------------------------------------

def bad(name, nodes, inputs, outputs, inits=(), opset=13, domain_opsets=()):
    m = model(nodes, inputs, outputs, inits, opset)
    for d, v in domain_opsets:
        m.opset_import.append(helper.make_opsetid(d, v))
    save_model(name, m)


def raw_tensor(name, dims, raw):
    """A FLOAT TensorProto with any raw_data (make_tensor checks the size)."""
    t = TensorProto()
    t.name, t.data_type, t.raw_data = name, F32, raw
    t.dims.extend(dims)
    return t


def gen_bad():
    x = vinfo("x", F32, [2, 3])
    y = vinfo("y", F32, [2, 3])
    with open(os.path.join(OUT, "conv_pads.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(OUT, "bad_truncated.onnx"), "wb") as f:
        f.write(data[:len(data) // 2])
    with open(os.path.join(OUT, "bad_not_protobuf.onnx"), "wb") as f:
        f.write(b"graph @f(t0: Float32 [2]) {\n  return t0\n}\n")
    bad("bad_unknown_input", [helper.make_node("Add", ["x", "w"], ["y"], name="add")],
        [x], [y])
    bad("bad_cycle", [helper.make_node("Add", ["x", "b"], ["a"], name="add"),
                      helper.make_node("Relu", ["a"], ["b"], name="relu"),
                      helper.make_node("Relu", ["b"], ["y"], name="out")], [x], [y])
    bad("bad_unknown_op", [helper.make_node("Celu", ["x"], ["y"], name="celu")], [x], [y])
    bad("bad_attribute", [helper.make_node("Relu", ["x"], ["y"], name="relu", alpha=0.5)],
        [x], [y])
    x4, y4 = vinfo("x", F32, [1, 1, 5, 5]), vinfo("y", F32, [1, 1, 3, 3])
    bad("bad_ceil_mode", [helper.make_node("AveragePool", ["x"], ["y"], name="pool",
                                           kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)],
        [x4], [y4])
    bad("bad_asymmetric_pads",
        [helper.make_node("AveragePool", ["x"], ["y"], name="pool", kernel_shape=[3, 3],
                          pads=[0, 0, 1, 1])],
        [x4], [y4])
    bad("bad_symbolic_dim", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [vinfo("x", F32, ["N", 3])], [y])
    bad("bad_domain",
        [helper.make_node("Relu", ["x"], ["y"], name="relu", domain="com.example")],
        [x], [y], domain_opsets=[("com.example", 1)])
    w = raw_tensor("w", [2, 3], b"\0" * 10)
    bad("bad_raw_size", [helper.make_node("Add", ["x", "w"], ["y"], name="add")],
        [x], [y], [w])
    w = raw_tensor("w", [1 << 40, 1 << 40], b"")
    bad("bad_huge_dims", [helper.make_node("Add", ["x", "w"], ["y"], name="add")],
        [x], [y], [w])
    w = raw_tensor("w", [2, 3], b"")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value="weights.bin")
    bad("bad_external_data", [helper.make_node("Add", ["x", "w"], ["y"], name="add")],
        [x], [y], [w])
    bad("bad_opset", [helper.make_node("Relu", ["x"], ["y"], name="relu")], [x], [y],
        opset=19)
    bad("bad_dynamic_shape",
        [helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")],
        [x, vinfo("s", TensorProto.INT64, [2])], [y])
    bad("bad_element_type", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [vinfo("x", TensorProto.FLOAT16, [2, 3])], [y])
    c = vinfo("c", F32, [3])
    bad("bad_training_bn",
        [helper.make_node("BatchNormalization", ["x", "g", "b", "m", "v"],
                          ["y", "rm", "rv"], name="bn", training_mode=1)],
        [x], [y, c, c], [init(n, rand(3)) for n in "gbmv"], opset=15)
    bad("bad_extra_input", [helper.make_node("Relu", ["x", "x"], ["y"], name="relu")],
        [x], [y])
    bad("bad_runtime_integer_div",
        [helper.make_node("Div", ["i", "i"], ["j"], name="div")],
        [vinfo("i", TensorProto.INT32, [2, 3])], [vinfo("j", TensorProto.INT32, [2, 3])])
    bad("bad_runtime_cast", [helper.make_node("Cast", ["x"], ["y"], name="cast",
                                              to=TensorProto.INT32)],
        [x], [vinfo("y", TensorProto.INT32, [2, 3])])
    bad("bad_output_shape", [helper.make_node("Relu", ["x"], ["y"], name="relu")],
        [x], [vinfo("y", F32, [3, "n"])])
    bad("bad_missing_output", [helper.make_node("Relu", ["x"], ["r"], name="relu")],
        [x], [y])


# Models whose outputs must equal the reference bit for bit (shape ops,
# clipping); the others are float arithmetic, compared within 1e-5 relative.
EXACT = ("cast_constant_of_shape", "clip", "clip_opset10", "integer_div", "reshapes", "shape_gather", "slice",
         "split_concat", "split_opset11")


def write_run_test():
    """test/Import/run-models.test: every model run on its inputs, each output
    compared with the reference (integer outputs always bit for bit)."""
    models = sorted(f[:-5] for f in os.listdir(OUT)
                    if f.endswith(".onnx") and not f.startswith("bad_"))
    lines = [
        "// Generated by scripts/gen_onnx_tests.py: every test model is imported,",
        "// JIT-compiled and run on its committed inputs; each output is compared with",
        "// the NumPy reference the script computed from the ONNX operator definitions:",
        "// integer outputs and the outputs of shape ops bit for bit, float arithmetic",
        "// within 1e-5 relative (test/golden/compare_npy.py).",
        "// RUN: rm -rf %t",
    ]
    for m in models:
        ins = sorted(f for f in os.listdir(OUT) if f.startswith(m + "_in"))
        outs = sorted(f for f in os.listdir(OUT) if f.startswith(m + "_out"))
        args = " ".join(f"--input=%S/onnx/{f}" for f in ins)
        lines.append(f"// RUN: iropt %S/onnx/{m}.onnx --run {args} --output-dir=%t/{m}")
        rtol = "" if m in EXACT else "--rtol=1e-5 "
        for i, f in enumerate(outs):
            lines.append(f"// RUN: %python %S/../golden/compare_npy.py {rtol}"
                         f"%t/{m}/output{i}.npy %S/onnx/{f}")
    lines += [
        "//",
        "// The interpreter gives the same results.",
        "// RUN: iropt %S/onnx/qdq_clip_uint8.onnx --run --engine=interpreter "
        "--input=%S/onnx/qdq_clip_uint8_in0.npy --output-dir=%t/interp_qdq",
        "// RUN: %python %S/../golden/compare_npy.py %t/interp_qdq/output0.npy "
        "%S/onnx/qdq_clip_uint8_out0.npy",
        "// RUN: %python %S/../golden/compare_npy.py %t/interp_qdq/output1.npy "
        "%S/onnx/qdq_clip_uint8_out1.npy",
        "// RUN: iropt %S/onnx/conv_asymmetric_pads.onnx --run --engine=interpreter "
        "--input=%S/onnx/conv_asymmetric_pads_in0.npy --output-dir=%t/interp_conv",
        "// RUN: %python %S/../golden/compare_npy.py --rtol=1e-5 %t/interp_conv/output0.npy "
        "%S/onnx/conv_asymmetric_pads_out0.npy",
    ]
    path = os.path.join(OUT, "..", "run-models.test")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    gen_quantization()
    gen_clip()
    gen_conv()
    gen_batchnorm()
    gen_gemm_matmul()
    gen_elementwise()
    gen_pool_reduce()
    gen_shape_ops()
    gen_asymmetric_pads()
    gen_ceil_mode()
    gen_integer_div()
    gen_cast()
    gen_bad()
    write_run_test()
    print(f"wrote {len(os.listdir(OUT))} files to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    sys.exit(main())
