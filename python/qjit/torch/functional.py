"""PyTorch's fake-quantization functions, computed by qjit's kernels.

Same signatures and, by docs/fake-quantization.md, the same bits as
torch.fake_quantize_per_tensor_affine / _per_channel_affine (forward and the
clipped backward, dx = dy * mask) and torch._fake_quantize_learnable_* (lsq).
"""
import torch

import qjit
from . import kernels


def _input(x, what):
    if x.device.type != "cpu" or x.dtype != torch.float32:
        raise qjit.Error("error: %s takes a CPU float32 tensor, got %s on %s"
                         % (what, x.dtype, x.device))
    return x.detach().contiguous()


def _param(value, dtype, per_channel, what):
    """A scale or zero point as the kernels' operand: a [] tensor (per
    tensor) or a [channels] one, detached, contiguous, of `dtype`."""
    t = torch.as_tensor(value).detach()
    if t.dtype.is_floating_point and not dtype.is_floating_point and \
            not torch.equal(t, t.round()):
        raise qjit.Error("error: %s: a zero point must be an integer, got %s"
                         % (what, t))
    t = t.to(device="cpu", dtype=dtype)
    return t.contiguous() if per_channel else t.reshape(())


def _axis(axis, rank):
    return axis + rank if axis < 0 else axis


class _FakeQuantize(torch.autograd.Function):
    """y = fake_quantize(x); dx = dy * mask (clipped) or dy (ste)."""

    @staticmethod
    def forward(ctx, x, scale, zero_point, quant_min, quant_max, axis,
                gradient):
        x = x.contiguous()
        shape = tuple(x.shape)
        with_mask = gradient == "clipped" and ctx.needs_input_grad[0]
        kernel = kernels.forward_kernel(shape, quant_min, quant_max, axis,
                                        with_mask)
        y = torch.empty_like(x)
        if with_mask:
            mask = torch.empty(shape, dtype=torch.bool)
            kernels.run(kernel, [x, scale, zero_point], [y, mask])
            ctx.save_for_backward(mask)
        else:
            kernels.run(kernel, [x, scale, zero_point], [y])
        ctx.gradient = gradient
        return y

    @staticmethod
    def backward(ctx, dy):
        if ctx.gradient == "ste" or not ctx.needs_input_grad[0]:
            return dy, None, None, None, None, None, None
        (mask,) = ctx.saved_tensors
        dy = _input(dy, "the gradient")
        kernel = kernels.clipped_backward_kernel(tuple(dy.shape))
        dx = torch.empty_like(dy)
        kernels.run(kernel, [dy, mask], [dx])
        return dx, None, None, None, None, None, None


def _fake_quantize(x, scale, zero_point, quant_min, quant_max, axis,
                   gradient, what):
    if gradient not in ("ste", "clipped"):
        raise qjit.Error("error: gradient must be 'ste' or 'clipped', got %r"
                         % (gradient,))
    per_channel = axis is not None
    scale = _param(scale, torch.float32, per_channel, what)
    zero_point = _param(zero_point, torch.int32, per_channel, what)
    if per_channel:
        axis = _axis(axis, x.dim())
    if not (x.requires_grad and torch.is_grad_enabled()):
        xs = _input(x, what)
        kernel = kernels.forward_kernel(tuple(xs.shape), quant_min, quant_max,
                                        axis, False)
        return kernels.run(kernel, [xs, scale, zero_point],
                           [torch.empty_like(xs)])[0]
    _input(x, what)  # the checks only
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
        key = (tuple(x.shape), quant_min, quant_max, axis, float(grad_factor))
        y = torch.empty_like(x)
        kernels.run(kernels.lsq_forward_kernel(*key), [x, ps, pz], [y])
        ctx.save_for_backward(x, s, z)
        ctx.key = key
        return y

    @staticmethod
    def backward(ctx, dy):
        x, s, z = ctx.saved_tensors
        per_channel = ctx.key[3] is not None
        ps, pz = (s, z) if per_channel else (s.reshape(()), z.reshape(()))
        dy = _input(dy, "the gradient")
        dx = torch.empty_like(x)
        ds, dz = torch.empty_like(ps), torch.empty_like(pz)
        kernels.run(kernels.lsq_backward_kernel(*ctx.key), [dy, x, ps, pz],
                    [dx, ds, dz])
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
