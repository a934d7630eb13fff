"""FakeQuantize modules for qconfigs, running qjit's kernels."""
import torch
from torch.ao.quantization import FakeQuantize as _TorchFakeQuantize

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
