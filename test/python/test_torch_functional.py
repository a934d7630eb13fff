"""qjit.torch against torch.fake_quantize_*, bit for bit, forward and backward
(docs/fake-quantization.md: its test vectors, and random data with the special
values)."""
import pytest

np = pytest.importorskip("numpy", reason="the tests need NumPy (python3-numpy)")
torch = pytest.importorskip("torch", reason="qjit.torch needs torch (python3-torch)")
import qjit  # noqa: E402
import qjit.torch as qt  # noqa: E402
from qjit.torch import kernels  # noqa: E402


@pytest.fixture(autouse=True)
def seeded_torch():
    """The same random dy (torch.randn) in every run: the learnable tests
    compare sums of thousands of float32 terms taken in a different order
    from PyTorch's, whose difference depends on the data; unseeded, one run
    in a few dozen passed their tolerance."""
    torch.manual_seed(20261204)


def bits(t):
    return t.detach().numpy().tobytes()


def forward_backward(fn, x, dy, *args):
    x = x.clone().requires_grad_()
    y = fn(x, *args)
    y.backward(dy)
    return y.detach(), x.grad


def assert_same_as_torch(x, dy, qt_fn, torch_fn, *args):
    y, dx = forward_backward(qt_fn, x, dy, *args)
    ty, tdx = forward_backward(torch_fn, x, dy, *args)
    assert bits(y) == bits(ty)
    assert bits(dx) == bits(tdx)
    return y, dx


def special_data(shape, scale, zero_point, seed, with_ties=True):
    """Normal data with one element in eight on an exact .5 step of the grid,
    and -0.0, 0.0, NaN, -inf, +-1e15 (not +inf: docs, Differences)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    x = (rng.standard_normal(n) * 40 * np.max(scale)).astype(np.float32)
    ties = rng.integers(-140, 300, n) + 0.5
    pick = rng.random(n) < (0.125 if with_ties else 0)
    s = np.broadcast_to(np.asarray(scale, np.float32), (n,)) if np.ndim(scale) == 0 else None
    if s is not None:
        x[pick] = ((ties[pick] - zero_point) * s[pick]).astype(np.float32)
    specials = [-0.0, 0.0, np.nan, -np.inf, 1e15, -1e15]
    x[:len(specials)] = specials
    return torch.from_numpy(x.reshape(shape))


# docs/fake-quantization.md, "Test vectors": (scale, zero_point, qmin, qmax).
P1 = (1.0, 0, -128, 127)
P2 = (0.5, 10, 0, 255)
P3 = (0.5, 11, 0, 255)
VECTORS = [
    (P1, 2.5, 2.0, 1), (P1, 3.5, 4.0, 1), (P1, -2.5, -2.0, 1),
    (P1, -0.5, 0.0, 1), (P1, 127.5, 127.0, 0), (P1, -128.5, -128.0, 1),
    (P1, -128.6, -128.0, 0), (P1, 1000, 127.0, 0), (P1, float("nan"), -128.0, 0),
    (P2, 1.25, 1.0, 1), (P2, -5.75, -5.0, 0), (P2, 122.75, 122.5, 0),
    (P3, 1.25, 1.0, 1), (P3, -1.25, -1.0, 1),
]


@pytest.mark.parametrize("params,x,y,dx", VECTORS)
def test_vectors(params, x, y, dx):
    xt = torch.tensor([x], dtype=torch.float32)
    qy, qdx = assert_same_as_torch(xt, torch.ones(1), qt.fake_quantize_per_tensor_affine,
                                   torch.fake_quantize_per_tensor_affine, *params)
    assert bits(qy) == np.array([y], np.float32).tobytes()  # -0.5 gives +0.0
    assert qdx.item() == dx


def test_reciprocal_vector():
    s = float(np.float32(0.3))
    y = qt.fake_quantize_per_tensor_affine(torch.tensor([74.25]), s, 0, 0, 255)
    assert y.numpy().view(np.uint32)[0] == 0x4294CCCD
    assert bits(y) == bits(torch.fake_quantize_per_tensor_affine(torch.tensor([74.25]), s, 0, 0, 255))


def test_per_channel_vector():
    x = torch.tensor([[0.5, 1.5], [0.75, -0.25]])
    args = (torch.tensor([1.0, 0.5]), torch.tensor([0, 3], dtype=torch.int32), 0, -128, 127)
    y, dx = assert_same_as_torch(x, torch.ones(2, 2), qt.fake_quantize_per_channel_affine,
                                 torch.fake_quantize_per_channel_affine, *args)
    assert y.tolist() == [[0, 2], [1, 0]]
    assert dx.tolist() == [[1, 1], [1, 1]]


def test_plus_infinity_is_the_documented_difference():
    x = torch.tensor([float("inf")])
    assert qt.fake_quantize_per_tensor_affine(x, 1.0, 0, -128, 127).item() == 127
    assert torch.fake_quantize_per_tensor_affine(x, 1.0, 0, -128, 127).item() == -128


@pytest.mark.parametrize("shape,scale,zero_point,qmin,qmax", [
    ((1000,), 0.05, 0, -128, 127),
    ((7, 33), 0.5, 10, 0, 255),
    ((257,), 0.3, 0, -8, 7),
    ((64, 1024), 0.02, 128, 0, 255),   # large: the kernels' parallel loops
])
def test_per_tensor_random(shape, scale, zero_point, qmin, qmax):
    x = special_data(shape, scale, zero_point, seed=len(shape) + qmax)
    dy = torch.randn(shape)
    dy.view(-1)[:3] = torch.tensor([float("nan"), -0.0, -3.0])
    for s, z in [(scale, zero_point),
                 (torch.tensor([scale]), torch.tensor([zero_point], dtype=torch.int32))]:
        assert_same_as_torch(x, dy, qt.fake_quantize_per_tensor_affine,
                             torch.fake_quantize_per_tensor_affine, s, z, qmin, qmax)


@pytest.mark.parametrize("shape,axis", [((4, 3, 5), 1), ((6, 9), -1), ((8, 3, 4, 4), 0),
                                        ((2, 16, 64, 64), 1)])
def test_per_channel_random(shape, axis):
    channels = shape[axis]
    rng = np.random.default_rng(channels)
    scale = torch.from_numpy(rng.uniform(0.01, 0.3, channels).astype(np.float32))
    zero_point = torch.from_numpy(rng.integers(0, 20, channels).astype(np.int32))
    x = special_data(shape, 0.1, 0, seed=axis + 7)
    dy = torch.randn(shape)
    y, dx = forward_backward(qt.fake_quantize_per_channel_affine, x, dy, scale,
                             zero_point, axis, 0, 255)
    # PyTorch wants a non-negative axis.
    ty, tdx = forward_backward(torch.fake_quantize_per_channel_affine, x, dy, scale,
                               zero_point, axis % len(shape), 0, 255)
    assert bits(y) == bits(ty)
    assert bits(dx) == bits(tdx)


def test_non_contiguous_input():
    x = special_data((16, 24), 0.1, 3, seed=11).t()
    assert not x.is_contiguous()
    dy = torch.randn(24, 16)
    assert_same_as_torch(x, dy, qt.fake_quantize_per_tensor_affine,
                         torch.fake_quantize_per_tensor_affine, 0.1, 3, 0, 255)


def test_ste_passes_dy_through():
    x = special_data((300,), 0.1, 0, seed=12)
    dy = torch.randn(300)
    dy[0] = float("nan")
    y, dx = forward_backward(qt.fake_quantize_per_tensor_affine, x, dy, 0.1, 0, -128, 127, "ste")
    assert bits(dx) == bits(dy)
    assert bits(y) == bits(torch.fake_quantize_per_tensor_affine(x, 0.1, 0, -128, 127))


def test_no_grad_needs_no_mask():
    x = torch.randn(50)
    with torch.no_grad():
        y = qt.fake_quantize_per_tensor_affine(x.requires_grad_(), 0.1, 0, -128, 127)
    assert not y.requires_grad
    assert bits(y) == bits(torch.fake_quantize_per_tensor_affine(x.detach(), 0.1, 0, -128, 127))


def test_kernels_are_cached_per_shape_not_per_scale():
    x = torch.randn(123)
    before = kernels.forward_kernel.cache_info().currsize
    for scale in (0.1, 0.2, 0.3):
        for zero_point in (0, 5):
            qt.fake_quantize_per_tensor_affine(x, scale, zero_point, 0, 255)
    assert kernels.forward_kernel.cache_info().currsize == before + 1
    qt.fake_quantize_per_tensor_affine(torch.randn(124), 0.1, 0, 0, 255)
    assert kernels.forward_kernel.cache_info().currsize == before + 2


def learnable(fn, x, dy, scale, zero_point, *args):
    xs = x.clone().requires_grad_()
    s = scale.clone().requires_grad_()
    z = zero_point.clone().requires_grad_()
    y = fn(xs, s, z, *args)
    y.backward(dy)
    return y.detach(), xs.grad, s.grad, z.grad


def assert_learnable_as_torch(kind, *args):
    """y and dx bit for bit; d scale and d zero point are sums, whose order
    differs."""
    name = "fake_quantize_learnable_%s_affine" % kind
    y, dx, ds, dz = learnable(getattr(qt, name), *args)
    ty, tdx, tds, tdz = learnable(getattr(torch, "_" + name), *args)
    assert bits(y) == bits(ty)
    assert bits(dx) == bits(tdx)
    torch.testing.assert_close(ds, tds, rtol=1e-5, atol=1e-4)
    torch.testing.assert_close(dz, tdz, rtol=1e-5, atol=1e-4)


def test_learnable_per_tensor():
    # lsq (torch._fake_quantize_learnable_per_tensor_affine), no .5 steps:
    # see test_learnable_ties.
    x = special_data((2000,), 0.1, 0, seed=13, with_ties=False)
    x[2] = 0.3  # no NaN: PyTorch's lsq gradients for NaN differ (docs)
    dy = torch.randn(2000)
    assert_learnable_as_torch("per_tensor", x, dy, torch.tensor([0.1]),
                              torch.tensor([4.0]), 0, 255, 0.5)


def test_learnable_ties():
    # docs/fake-quantization.md, Differences: PyTorch's lsq backward rounds
    # fl(x * inv + zp), its forward x * inv (then adds zp); at a .5 step with
    # an odd zp they disagree. qjit rounds as the forward in both.
    x, dy = torch.tensor([0.05]), torch.ones(1)  # 0.05 * fl(1/0.1) = 0.5
    args = (x, dy, torch.tensor([0.1]), torch.tensor([3.0]), 0, 255, 1.0)
    y, _, ds, _ = learnable(qt.fake_quantize_learnable_per_tensor_affine, *args)
    ty, _, tds, _ = learnable(torch._fake_quantize_learnable_per_tensor_affine, *args)
    assert y.item() == ty.item() == 0.0  # roundeven(0.5) + 3 = 3: y = 0
    assert ds.item() == -0.5  # (y - x) / s: the level y is on
    assert tds.item() == 0.5  # roundeven(3.5) = 4: the level above


def test_learnable_per_channel():
    x = torch.randn(4, 8, 10) * 2
    dy = torch.randn(4, 8, 10)
    assert_learnable_as_torch("per_channel", x, dy, torch.linspace(0.05, 0.4, 8),
                              torch.arange(8, dtype=torch.float32) * 2, 1, 0, 255, 1.0)


def test_errors():
    with pytest.raises(qjit.Error, match="takes a CPU float32 tensor, got torch.float64"):
        qt.fake_quantize_per_tensor_affine(torch.randn(4, dtype=torch.float64), 0.1, 0, 0, 255)
    with pytest.raises(qjit.Error, match="gradient must be 'ste' or 'clipped'"):
        qt.fake_quantize_per_tensor_affine(torch.randn(4), 0.1, 0, 0, 255, "lsq")
    with pytest.raises(qjit.Error, match="a zero point must be an integer"):
        qt.fake_quantize_per_tensor_affine(torch.randn(4), 0.1, torch.tensor([0.5]), 0, 255)
    with pytest.raises(qjit.Error, match="zero_point.*must be a float32 tensor"):
        qt.fake_quantize_learnable_per_tensor_affine(
            torch.randn(4), torch.tensor([0.1]), torch.tensor([1]), 0, 255)


def test_large_results_stay_valid():
    # Large results live on memory qjit reuses once freed: tensors that are
    # alive keep theirs.
    x = torch.randn(1 << 21)
    ys = [qt.fake_quantize_per_tensor_affine(x * k, 0.1, 0, -128, 127) for k in (1, 2, 3)]
    for k, y in zip((1, 2, 3), ys):
        assert bits(y) == bits(torch.fake_quantize_per_tensor_affine(x * k, 0.1, 0, -128, 127))
    del ys[0]
    z = qt.fake_quantize_per_tensor_affine(x * 4, 0.1, 0, -128, 127)
    assert bits(ys[0]) == bits(torch.fake_quantize_per_tensor_affine(x * 2, 0.1, 0, -128, 127))
    assert bits(z) == bits(torch.fake_quantize_per_tensor_affine(x * 4, 0.1, 0, -128, 127))
