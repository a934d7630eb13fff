#!/usr/bin/python3
"""Writes PyTorch reference results for the lit tests in test/golden/.

Needs Debian's python3-torch and python3-numpy; the tests themselves only read
the committed .npy files. Run from the repository root:
    /usr/bin/python3 scripts/gen_golden.py
PyTorch 1.13 (Debian 12) casts x / s to int64 before clamping, so +inf and any
|x / s| beyond int64 come out as quant_min (docs/fake-quantization.md:
quant_max). Such inputs are left out here; the C++ tests cover them against
the contract.
"""
import os
import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "golden", "Inputs")
rng = np.random.default_rng(20261128)


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(array))


def salted(shape, scale):
    """Normal data with exact ties at .5 steps, -0.0, NaN, -inf and huge values."""
    x = (rng.standard_normal(shape) * 60 * scale).astype(np.float32)
    flat = x.reshape(-1)
    n = flat.size
    ties = rng.choice(n, size=n // 8, replace=False)
    flat[ties] = ((rng.integers(-150, 150, size=ties.size) + 0.5) * np.float32(scale)).astype(np.float32)
    specials = np.array([-0.0, np.nan, -np.inf, 1e15, -1e15, 0.0], dtype=np.float32)
    where = rng.choice(n, size=min(n, specials.size), replace=False)
    flat[where] = specials[: where.size]
    return x


def fake_quant_with_grad(x, dy, fq):
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    y = fq(xt)
    y.backward(torch.from_numpy(dy))
    return y.detach().numpy(), xt.grad.numpy()


def per_tensor(name, shape, scale, zp, qmin, qmax):
    x = salted(shape, scale)
    dy = rng.standard_normal(shape).astype(np.float32)
    y, dx = fake_quant_with_grad(
        x, dy, lambda t: torch.fake_quantize_per_tensor_affine(t, scale, zp, qmin, qmax))
    for suffix, a in (("x", x), ("dy", dy), ("y", y), ("dx", dx)):
        save(f"{name}_{suffix}", a)


def per_channel(name, shape, axis, scales, zps, qmin, qmax):
    x = salted(shape, min(scales))
    dy = rng.standard_normal(shape).astype(np.float32)
    s = torch.tensor(scales, dtype=torch.float32)
    z = torch.tensor(zps, dtype=torch.int32)
    y, dx = fake_quant_with_grad(
        x, dy, lambda t: torch.fake_quantize_per_channel_affine(t, s, z, axis, qmin, qmax))
    for suffix, a in (("x", x), ("dy", dy), ("y", y), ("dx", dx)):
        save(f"{name}_{suffix}", a)


def observed(name, shape, observer, axis=None):
    x = (rng.standard_normal(shape) * 2 + 0.5).astype(np.float32)
    xt = torch.from_numpy(x)
    observer(xt)
    s, z = observer.calculate_qparams()
    if axis is None:
        y = torch.fake_quantize_per_tensor_affine(
            xt, float(s), int(z), observer.quant_min, observer.quant_max)
    else:
        y = torch.fake_quantize_per_channel_affine(
            xt, s.float(), z.int(), axis, observer.quant_min, observer.quant_max)
    save(f"{name}_x", x)
    save(f"{name}_y", y.numpy())


def main():
    os.makedirs(OUT, exist_ok=True)
    per_tensor("fq_sym8", [1000], 0.05, 0, -128, 127)
    per_tensor("fq_asym8", [7, 33], 0.5, 10, 0, 255)
    per_tensor("fq_4bit", [257], 0.3, 0, -8, 7)
    per_channel("fq_channel", [4, 3, 5], 1, [0.1, 0.25, 0.05], [0, 3, -2], -128, 127)
    per_channel("fq_channel_last", [6, 9], 1,
                [0.5, 0.01, 0.2, 1.0, 0.03, 0.07, 0.11, 0.13, 0.3], [0] * 9, -128, 127)
    q = torch.ao.quantization
    observed("obs_affine", [513],
             q.MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_affine))
    observed("obs_symmetric", [300],
             q.MinMaxObserver(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric))
    observed("obs_channel", [5, 40],
             q.PerChannelMinMaxObserver(ch_axis=0, dtype=torch.quint8,
                                        qscheme=torch.per_channel_affine), axis=0)


if __name__ == "__main__":
    main()
