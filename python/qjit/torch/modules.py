"""FakeQuantize modules for qconfigs, running qjit's kernels."""
import torch
from torch.ao.quantization import FakeQuantize as _TorchFakeQuantize
from torch.ao.quantization._learnable_fake_quantize import \
    _LearnableFakeQuantize as _TorchLearnableFakeQuantize

from . import functional


class FakeQuantize(_TorchFakeQuantize):
    """torch.ao.quantization.FakeQuantize with qjit's kernels: the same
    arguments (observer, quant_min, quant_max, observer kwargs), buffers and
    state dict, so it replaces it in a qconfig:

        qjit.torch.FakeQuantize.with_args(observer=..., quant_min=0, ...)

    gradient="clipped" (PyTorch's rule, the default) or "ste".
    """

    def __init__(self, *args, gradient="clipped", **kwargs):
        super().__init__(*args, **kwargs)
        self.gradient = gradient

    def forward(self, X):
        # torch.ao.quantization.FakeQuantize.forward, with qjit's functions.
        if self.observer_enabled[0] == 1:
            self.activation_post_process(X.detach())
            _scale, _zero_point = self.calculate_qparams()
            _scale = _scale.to(self.scale.device)
            _zero_point = _zero_point.to(self.zero_point.device)
            if self.scale.shape != _scale.shape:
                self.scale.resize_(_scale.shape)
                self.zero_point.resize_(_zero_point.shape)
            self.scale.copy_(_scale)
            self.zero_point.copy_(_zero_point)
        if self.fake_quant_enabled[0] == 1:
            qmin = self.activation_post_process.quant_min
            qmax = self.activation_post_process.quant_max
            if self.is_per_channel:
                X = functional.fake_quantize_per_channel_affine(
                    X, self.scale, self.zero_point, self.ch_axis, qmin, qmax,
                    gradient=self.gradient)
            else:
                X = functional.fake_quantize_per_tensor_affine(
                    X, self.scale, self.zero_point, qmin, qmax,
                    gradient=self.gradient)
        return X


class LearnableFakeQuantize(_TorchLearnableFakeQuantize):
    """torch.ao.quantization._learnable_fake_quantize._LearnableFakeQuantize
    (lsq: scale and zero point are parameters learned by backpropagation)
    with qjit's kernels; the same arguments, parameters and switches
    (enable_param_learning, enable_static_estimate, ...)."""

    def forward(self, X):
        # _LearnableFakeQuantize.forward, with qjit's functions.
        if self.static_enabled[0] == 1:
            self.activation_post_process(X.detach())
            _scale, _zero_point = self.activation_post_process.calculate_qparams()
            self.scale.data.copy_(_scale.to(self.scale.device))
            self.zero_point.data.copy_(_zero_point.to(self.zero_point.device))
        else:
            self.scale.data.clamp_(min=self.eps.item())
        if self.fake_quant_enabled[0] == 1:
            if self.qscheme in (torch.per_channel_symmetric,
                                torch.per_tensor_symmetric):
                self.zero_point.data.zero_()
            grad_factor = 1.0
            if self.use_grad_scaling:
                grad_factor = 1.0 / (X.numel() * self.quant_max) ** 0.5
            if self.qscheme in (torch.per_channel_symmetric,
                                torch.per_channel_affine):
                X = functional.fake_quantize_learnable_per_channel_affine(
                    X, self.scale, self.zero_point, self.ch_axis,
                    self.quant_min, self.quant_max, grad_factor)
            else:
                X = functional.fake_quantize_learnable_per_tensor_affine(
                    X, self.scale, self.zero_point, self.quant_min,
                    self.quant_max, grad_factor)
        return X
