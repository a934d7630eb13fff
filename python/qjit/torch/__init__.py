"""qjit's fake quantization for PyTorch (CPU, float32): functions with
torch.fake_quantize_*'s signatures and a FakeQuantize module for qconfigs,
forward and backward through torch.autograd on qjit's compiled kernels,
bit for bit as PyTorch (docs/fake-quantization.md, docs/python.md).

Needs torch: importing this module without it raises ImportError.
"""
from .functional import (fake_quantize_learnable_per_channel_affine,
                         fake_quantize_learnable_per_tensor_affine,
                         fake_quantize_per_channel_affine,
                         fake_quantize_per_tensor_affine)
from .modules import FakeQuantize, LearnableFakeQuantize

__all__ = ["FakeQuantize", "LearnableFakeQuantize", "fake_quantize_per_tensor_affine",
           "fake_quantize_per_channel_affine",
           "fake_quantize_learnable_per_tensor_affine",
           "fake_quantize_learnable_per_channel_affine"]
