"""PyTorch's fake-quantization functions, computed by qjit's kernels.

Same signatures and, by docs/fake-quantization.md, the same bits as
torch.fake_quantize_per_tensor_affine / _per_channel_affine (forward and the
clipped backward, dx = dy * mask) and torch._fake_quantize_learnable_* (lsq).
"""
import numpy as np
import torch

import qjit
from . import kernels


def _input(x, what):
    if x.device.type != "cpu" or x.dtype != torch.float32:
        raise qjit.Error("error: %s takes a CPU float32 tensor, got %s on %s"
                         % (what, x.dtype, x.device))
    return x.detach().contiguous()


def _param(value, dtype, per_channel, what):
    """A scale or zero point as the kernels' operand: a NumPy array of
    `dtype`, of shape [] (per tensor) or [channels]."""
    if isinstance(value, torch.Tensor):
        a = value.detach().cpu().numpy()
    else:
        a = np.asarray(value)
    if a.dtype.kind == "f" and np.dtype(dtype).kind != "f" and \
            not np.array_equal(a, np.round(a)):
        raise qjit.Error("error: %s: a zero point must be an integer, got %s"
                         % (what, value))
    a = a.astype(dtype, copy=False)
    return a if per_channel else a.reshape(())


def _axis(axis, rank):
    return axis + rank if axis < 0 else axis


class _FakeQuantize(torch.autograd.Function):
    """y = fake_quantize(x); dx = dy * mask (clipped) or dy (ste)."""

    @staticmethod
    def forward(ctx, x, scale, zero_point, quant_min, quant_max, axis,
                gradient):
        x = x.contiguous()
        with_mask = gradient == "clipped" and ctx.needs_input_grad[0]
        kernel = kernels.forward_kernel(tuple(x.shape), quant_min, quant_max,
                                        axis, with_mask)
        ctx.gradient = gradient
        if not with_mask:
            return kernels.run(kernel, x, scale, zero_point)
        y, mask = kernels.run(kernel, x, scale, zero_point)
        ctx.save_for_backward(mask)
        return y

    @staticmethod
    def backward(ctx, dy):
        if ctx.gradient == "ste" or not ctx.needs_input_grad[0]:
            return dy, None, None, None, None, None, None
        (mask,) = ctx.saved_tensors
        dy = _input(dy, "the gradient")
        dx = kernels.run(kernels.clipped_backward_kernel(tuple(dy.shape)), dy,
                         mask)
        return dx, None, None, None, None, None, None


def _fake_quantize(x, scale, zero_point, quant_min, quant_max, axis,
                   gradient, what):
    if gradient not in ("ste", "clipped"):
        raise qjit.Error("error: gradient must be 'ste' or 'clipped', got %r"
                         % (gradient,))
    per_channel = axis is not None
    scale = _param(scale, np.float32, per_channel, what)
    zero_point = _param(zero_point, np.int32, per_channel, what)
    if per_channel:
        axis = _axis(axis, x.dim())
    xs = _input(x, what)
    if not (x.requires_grad and torch.is_grad_enabled()):
        kernel = kernels.forward_kernel(tuple(xs.shape), quant_min, quant_max,
                                        axis, False)
        return kernels.run(kernel, xs, scale, zero_point)
    return _FakeQuantize.apply(x, scale, zero_point, quant_min, quant_max,
                               axis, gradient)


def fake_quantize_per_tensor_affine(input, scale, zero_point, quant_min,
                                    quant_max, gradient="clipped"):
    """torch.fake_quantize_per_tensor_affine: scale and zero_point are
    numbers or one-element tensors. gradient="ste" passes dy through."""
    return _fake_quantize(input, scale, zero_point, quant_min, quant_max,
                          None, gradient, "fake_quantize_per_tensor_affine")


def fake_quantize_per_channel_affine(input, scale, zero_point, axis,
                                     quant_min, quant_max,
                                     gradient="clipped"):
    """torch.fake_quantize_per_channel_affine: scale and zero_point are
    tensors of input.shape[axis] values."""
    return _fake_quantize(input, scale, zero_point, quant_min, quant_max,
                          axis, gradient, "fake_quantize_per_channel_affine")


class _LearnableFakeQuantize(torch.autograd.Function):
    """lsq: the gradients of x, the scale and the zero point."""

    @staticmethod
    def forward(ctx, x, scale, zero_point, quant_min, quant_max, axis,
                grad_factor):
        x = x.contiguous()
        s = scale.detach().contiguous()
        z = zero_point.detach().contiguous()
        ps, pz = (s, z) if axis is not None else (s.reshape(()), z.reshape(()))
        ctx.key = (tuple(x.shape), quant_min, quant_max, axis, float(grad_factor))
        ctx.save_for_backward(x, s, z)
        return kernels.run(kernels.lsq_forward_kernel(*ctx.key), x, ps, pz)

    @staticmethod
    def backward(ctx, dy):
        x, s, z = ctx.saved_tensors
        per_channel = ctx.key[3] is not None
        ps, pz = (s, z) if per_channel else (s.reshape(()), z.reshape(()))
        dy = _input(dy, "the gradient")
        dx, ds, dz = kernels.run(kernels.lsq_backward_kernel(*ctx.key), dy, x,
                                 ps, pz)
        return (dx, ds.reshape(s.shape), dz.reshape(z.shape), None, None, None,
                None)


def _learnable(x, scale, zero_point, axis, quant_min, quant_max, grad_factor,
               what):
    _input(x, what)
    for name, t in (("scale", scale), ("zero_point", zero_point)):
        if not isinstance(t, torch.Tensor) or t.dtype != torch.float32:
            raise qjit.Error("error: %s: %s must be a float32 tensor"
                             % (what, name))
    if axis is not None:
        axis = _axis(axis, x.dim())
    elif scale.numel() != 1 or zero_point.numel() != 1:
        raise qjit.Error("error: %s: scale and zero_point must have one "
                         "element" % what)
    return _LearnableFakeQuantize.apply(x, scale, zero_point, quant_min,
                                        quant_max, axis, grad_factor)


def fake_quantize_learnable_per_tensor_affine(input, scale, zero_point,
                                              quant_min, quant_max,
                                              grad_factor=1.0):
    """torch._fake_quantize_learnable_per_tensor_affine (lsq): scale and
    zero_point are one-element float32 tensors that get gradients."""
    return _learnable(input, scale, zero_point, None, quant_min, quant_max,
                      grad_factor, "fake_quantize_learnable_per_tensor_affine")


def fake_quantize_learnable_per_channel_affine(input, scale, zero_point, axis,
                                               quant_min, quant_max,
                                               grad_factor=1.0):
    """torch._fake_quantize_learnable_per_channel_affine (lsq)."""
    return _learnable(input, scale, zero_point, axis, quant_min, quant_max,
                      grad_factor, "fake_quantize_learnable_per_channel_affine")
