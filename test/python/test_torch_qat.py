"""qjit.torch.FakeQuantize in a qconfig: a QAT loop of a small CNN whose
losses equal the same loop with torch.ao.quantization.FakeQuantize."""
import copy

import pytest

torch = pytest.importorskip("torch", reason="qjit.torch needs torch (python3-torch)")
from torch import nn  # noqa: E402
from torch.ao import quantization as tq  # noqa: E402

import qjit.torch as qt  # noqa: E402


def qconfig(fake_quantize):
    return tq.QConfig(
        activation=fake_quantize.with_args(
            observer=tq.MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
            dtype=torch.quint8, qscheme=torch.per_tensor_affine),
        weight=fake_quantize.with_args(
            observer=tq.MovingAveragePerChannelMinMaxObserver, quant_min=-128,
            quant_max=127, dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
            ch_axis=0))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.relu2 = nn.ReLU()
        self.fc = nn.Linear(16 * 6 * 6, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu2(self.conv2(self.relu1(self.conv1(x))))
        return self.dequant(self.fc(torch.flatten(x, 1)))


def train(model, fake_quantize, steps=12):
    model = copy.deepcopy(model)
    model.qconfig = qconfig(fake_quantize)
    model = tq.prepare_qat(model.train())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    generator = torch.Generator().manual_seed(0)
    losses = []
    for step in range(steps):
        x = torch.randn(16, 1, 12, 12, generator=generator)
        labels = torch.randint(0, 10, (16,), generator=generator)
        loss = nn.functional.cross_entropy(model(x), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if step == steps // 2:
            model.apply(tq.disable_observer)  # frozen qparams from here on
    return model, losses


def test_qat_losses_equal_pytorch():
    torch.manual_seed(0)
    model = SmallCNN()
    ours, losses = train(model, qt.FakeQuantize)
    theirs, reference = train(model, tq.FakeQuantize)
    assert isinstance(ours.conv1.weight_fake_quant, qt.FakeQuantize)
    assert losses == reference
    assert losses[-1] < losses[0]
    # Same buffers, same values: a state dict moves between the two.
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert ours_state.keys() == theirs_state.keys()
    for key in ours_state:
        assert torch.equal(ours_state[key], theirs_state[key]), key
    theirs.load_state_dict(ours_state)


def test_converts_to_a_quantized_model():
    torch.manual_seed(1)
    model, _ = train(SmallCNN(), qt.FakeQuantize, steps=3)
    quantized = tq.convert(model.eval())
    assert "quantized" in type(quantized.conv1).__module__
    assert quantized(torch.randn(2, 1, 12, 12)).shape == (2, 10)


def test_ste_module_differs_only_in_the_gradient():
    fq = qt.FakeQuantize(observer=tq.MovingAverageMinMaxObserver, quant_min=0,
                         quant_max=255, gradient="ste")
    x = (torch.randn(100) * 3).requires_grad_()
    y = fq(x)
    y.backward(torch.ones(100))
    assert torch.equal(x.grad, torch.ones(100))
    assert torch.equal(y, tq.FakeQuantize(observer=tq.MovingAverageMinMaxObserver,
                                          quant_min=0, quant_max=255)(x.detach()))


def test_learnable_module_follows_pytorch():
    # lsq with learned scale and zero point: the static estimate gives
    # PyTorch's y bit for bit; while learning, the gradients of scale and
    # zero point are sums in another order (and PyTorch's backward rounds
    # differently near .5 steps, docs/fake-quantization.md), so the learned
    # parameters follow PyTorch's closely rather than bit for bit.
    from torch.ao.quantization._learnable_fake_quantize import _LearnableFakeQuantize
    kwargs = dict(observer=tq.MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                  use_grad_scaling=True)
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(64, 32, generator=generator) * 2
    target = torch.randn(64, 32, generator=generator)
    runs = []
    for cls in (qt.LearnableFakeQuantize, _LearnableFakeQuantize):
        fq = cls(**kwargs)
        static = fq(x).detach()
        fq.enable_param_learning()
        optimizer = torch.optim.SGD(fq.parameters(), lr=0.01)
        losses = []
        for _ in range(10):
            loss = ((fq(x) - target) ** 2).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        runs.append((static, losses, fq.scale.detach().clone(), fq.zero_point.detach().clone()))
    (static, losses, scale, zero_point), (t_static, t_losses, t_scale, t_zero_point) = runs
    assert torch.equal(static, t_static)
    assert losses[-1] < losses[0]
    torch.testing.assert_close(torch.tensor(losses), torch.tensor(t_losses), rtol=1e-4, atol=0)
    torch.testing.assert_close(scale, t_scale, rtol=1e-4, atol=0)
    torch.testing.assert_close(zero_point, t_zero_point, rtol=1e-3, atol=1e-3)
