"""The compiled graphs behind qjit.torch, one per shape and parameters.

Scale and zero point are operands of the graphs, not attributes: an observer
that moves them every step reuses the same kernel. The kernels read CPU
tensors in place (torch.Tensor.numpy() views) and return new tensors.
"""
import functools
import threading

import torch

import qjit

_jit = None
_jit_lock = threading.Lock()


def _session():
    global _jit
    with _jit_lock:
        if _jit is None:
            _jit = qjit.Jit()
        return _jit


def _compile(text):
    return _session().compile(qjit.parse(text)[0])


def _type(dtype, shape):
    return "%s [%s]" % (dtype, ", ".join(str(d) for d in shape))


def _grid(quant_min, quant_max, axis, extra=""):
    """The attributes every kernel shares."""
    attrs = "quant_min=%d, quant_max=%d" % (quant_min, quant_max)
    if axis is not None:
        attrs += ", axis=%d" % axis
    return attrs + extra


def _params(axis, shape, zero_point_dtype):
    """The types of the scale and zero-point operands."""
    channels = [] if axis is None else [shape[axis]]
    return _type("Float32", channels), _type(zero_point_dtype, channels)


@functools.lru_cache(maxsize=None)
def forward_kernel(shape, quant_min, quant_max, axis, with_mask):
    """y (and its mask, for the clipped backward) from x, scale, zero point."""
    x = _type("Float32", shape)
    s, z = _params(axis, shape, "Int32")
    results = "t3, t4" if with_mask else "t3"
    types = x + ", " + _type("Bool", shape) if with_mask else x
    text = """graph @fake_quantize(t0: %s, t1: %s, t2: %s) {
  %s = FakeQuantization(t0, t1, t2, %s) : %s
  return %s
}""" % (x, s, z, results, _grid(quant_min, quant_max, axis), types, results)
    return _compile(text)


@functools.lru_cache(maxsize=None)
def clipped_backward_kernel(shape):
    """dx = dy * mask."""
    x = _type("Float32", shape)
    text = """graph @fake_quantize_backward(t0: %s, t1: %s) {
  t2 = GradFakeQuantization(t0, t1, gradient=clipped) : %s
  return t2
}""" % (x, _type("Bool", shape), x)
    return _compile(text)


def _lsq_attrs(quant_min, quant_max, axis, grad_factor):
    return _grid(quant_min, quant_max, axis,
                 ", gradient=lsq, grad_factor=%s" % repr(float(grad_factor)))


@functools.lru_cache(maxsize=None)
def lsq_forward_kernel(shape, quant_min, quant_max, axis, grad_factor):
    x = _type("Float32", shape)
    s, z = _params(axis, shape, "Float32")
    text = """graph @fake_quantize_lsq(t0: %s, t1: %s, t2: %s) {
  t3 = FakeQuantization(t0, t1, t2, %s) : %s
  return t3
}""" % (x, s, z, _lsq_attrs(quant_min, quant_max, axis, grad_factor), x)
    return _compile(text)


@functools.lru_cache(maxsize=None)
def lsq_backward_kernel(shape, quant_min, quant_max, axis, grad_factor):
    """dx, d scale, d zero point from dy, x, scale, zero point."""
    x = _type("Float32", shape)
    s, z = _params(axis, shape, "Float32")
    text = """graph @fake_quantize_lsq_backward(t0: %s, t1: %s, t2: %s, t3: %s) {
  t4, t5, t6 = GradFakeQuantization(t0, t1, t2, t3, %s) : %s, %s, %s
  return t4, t5, t6
}""" % (x, x, s, z, _lsq_attrs(quant_min, quant_max, axis, grad_factor),
        x, s, z)
    return _compile(text)


def run(kernel, *inputs):
    """Runs `kernel` on the inputs' memory (tensors or NumPy arrays) with
    torch's thread count; returns its outputs as tensors on the arrays the
    kernel allocated (large ones with huge pages: docs/python.md)."""
    outputs = kernel(*[t.numpy() if isinstance(t, torch.Tensor) else t
                       for t in inputs], threads=torch.get_num_threads())
    if isinstance(outputs, tuple):
        return tuple(torch.from_numpy(o) for o in outputs)
    return torch.from_numpy(outputs)
