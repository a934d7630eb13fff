"""qjit.Jit and compiled functions on NumPy arrays."""
import pytest

import qjit

np = pytest.importorskip("numpy", reason="the tests need NumPy (python3-numpy)")

DTYPES = [np.float32, np.float64, np.int8, np.uint8, np.int16, np.int32,
          np.int64, np.bool_]


def compile_text(jit, text):
    return jit.compile(qjit.parse(text)[0])


def binary(jit, op, dtype, shape_a, shape_b, **attrs):
    b = qjit.Builder(op.lower())
    x = b.input(dtype, shape_a)
    y = b.input(dtype, shape_b)
    return jit.compile(b.build(getattr(b, op)(x, y, **attrs)))


def random_array(rng, dtype, shape):
    if dtype == np.bool_:
        return rng.integers(0, 2, shape).astype(np.bool_)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, dtype=dtype,
                            endpoint=True)
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_every_dtype_round_trips(jit, dtype):
    rng = np.random.default_rng(1)
    a = random_array(rng, dtype, (3, 5))
    b = random_array(rng, dtype, (2, 5))
    f = binary(jit, "Concat", dtype, [3, 5], [2, 5], axis=0)
    out = f(a, b)
    assert out.dtype == np.dtype(dtype) and out.shape == (5, 5)
    np.testing.assert_array_equal(out, np.concatenate([a, b]))
    assert f.input_types == [(np.dtype(dtype), (3, 5)), (np.dtype(dtype), (2, 5))]


@pytest.mark.parametrize("dtype", DTYPES[:-1], ids=lambda d: np.dtype(d).name)
def test_every_dtype_computes_as_numpy(jit, dtype):
    rng = np.random.default_rng(2)
    a = random_array(rng, dtype, (4, 7))
    b = random_array(rng, dtype, (7,))
    f = binary(jit, "Add", dtype, [4, 7], [7])
    with np.errstate(over="ignore"):
        expected = a + b  # integers wrap in both
    np.testing.assert_array_equal(f(a, b), expected)


def test_scalar_and_empty_shapes(jit):
    f = binary(jit, "Multiply", np.float32, [], [0, 3])
    out = f(np.float32(2), np.zeros((0, 3), np.float32))
    assert out.shape == (0, 3)
    g = binary(jit, "Multiply", np.float64, [], [])
    assert g(np.array(3.0), np.array(4.0)) == 12.0


def test_fake_quant_vectors(jit):
    # docs/fake-quantization.md, set P1: s = 1, zp = 0, grid [-128, 127].
    f = compile_text(jit, """graph @p1(t0: Float32 [10]) {
  t1 = FakeQuantization(t0, scale=1.0) : Float32 [10]
  return t1
}""")
    x = np.array([2.5, 3.5, -2.5, -0.5, 127.5, -128.5, -128.6, 1000, np.inf,
                  np.nan], np.float32)
    y = f(x)
    expected = np.array([2, 4, -2, 0, 127, -128, -128, 127, 127, -128],
                        np.float32)
    assert y.tobytes() == expected.tobytes()  # -0.5 gives +0.0
    # The reciprocal rule: 74.25 * fl(1/fl(0.3)) is 247.5, which rounds to 248.
    g = compile_text(jit, """graph @r(t0: Float32 [1]) {
  t1 = FakeQuantization(t0, symmetric=false, scale=0.3) : Float32 [1]
  return t1
}""")
    assert g(np.array([74.25], np.float32)).view(np.uint32)[0] == 0x4294CCCD


def test_several_outputs_and_out(jit):
    f = compile_text(jit, """graph @two(t0: Float32 [6]) {
  t1, t2 = FakeQuantization(t0, scale=0.5, gradient=clipped) : Float32 [6], Bool [6]
  return t1, t2
}""")
    x = np.array([0.2, 0.3, -70, 70, 63.5, np.nan], np.float32)
    y, mask = f(x)
    assert mask.dtype == np.bool_
    np.testing.assert_array_equal(mask, [True, True, False, False, True, False])
    out = (np.empty(6, np.float32), np.empty(6, np.bool_))
    assert f(x, out=out) is out
    assert out[0].tobytes() == y.tobytes()
    np.testing.assert_array_equal(out[1], mask)
    single = compile_text(jit, """graph @one(t0: Float32 [6]) {
  t1 = ReLU(t0) : Float32 [6]
  return t1
}""")
    o = np.full(6, 7, np.float32)
    assert single(x, out=o) is o
    np.testing.assert_array_equal(o[:5], np.maximum(x[:5], 0))
    assert single(x, out=[o])[0] is o


def test_argument_errors_before_running(jit):
    f = binary(jit, "Add", np.float32, [4], [4])
    x = np.ones(4, np.float32)
    with pytest.raises(qjit.Error, match=r"^error: graph @add takes 2 input\(s\), got 1$"):
        f(x)
    with pytest.raises(qjit.Error, match=r"input 1 of graph @add must be Float32 \[4\], got Float64 \[4\]"):
        f(x, np.ones(4))
    with pytest.raises(qjit.Error, match=r"input 0 of graph @add must be Float32 \[4\], got Float32 \[5\]"):
        f(np.ones(5, np.float32), x)
    with pytest.raises(qjit.Error, match="has dtype complex64, which is not one of qjit's"):
        f(np.ones(4, np.complex64), x)
    with pytest.raises(qjit.Error, match="input 1 of graph @add has dtype object"):
        f(x, object())
    out = np.zeros(4, np.float32)
    with pytest.raises(qjit.Error, match=r"graph @add has 1 output\(s\), got 2"):
        f(x, x, out=[out, out])
    with pytest.raises(qjit.Error, match=r"output 0 of graph @add must be Float32 \[4\], got Int32 \[4\]"):
        f(x, x, out=np.zeros(4, np.int32))
    with pytest.raises(qjit.Error, match="output 0 of graph @add must be a writable, C-contiguous"):
        f(x, x, out=np.zeros(8, np.float32)[::2])
    readonly = np.zeros(4, np.float32)
    readonly.flags.writeable = False
    with pytest.raises(qjit.Error, match="must be a writable"):
        f(x, x, out=readonly)
    with pytest.raises(qjit.Error, match="input 0 and output 0 of graph @add overlap"):
        f(out, x, out=out)
    with pytest.raises(TypeError, match="unexpected keyword argument 'outs'"):
        f(x, x, outs=out)
    np.testing.assert_array_equal(out, 0)  # nothing was written


def test_compile_a_pass_result(jit):
    module = qjit.parse("""graph @f(t0: Float32 [4]) {
  t1 = ReLU(t0) : Float32 [4]
  return t1
}""")
    qjit.passes.run(module, "autodiff")
    f_grad = jit.compile(module["f_grad"])
    assert f_grad.name == "f_grad" and repr(f_grad) == "<qjit.Function @f_grad>"
    x = np.array([-1, 2, -3, 4], np.float32)
    dy = np.array([10, 20, 30, 40], np.float32)
    np.testing.assert_array_equal(f_grad(x, dy), [0, 20, 0, 40])


def test_options_and_cache():
    with pytest.raises(qjit.Error, match="opt_level must be 0 to 3"):
        qjit.Jit(opt_level=4)
    jit = qjit.Jit(opt_level=0, threads=1)
    assert jit.threads == 1
    text = """graph @e(t0: Float64 [3]) {
  t1 = Exp(t0) : Float64 [3]
  return t1
}"""
    f = compile_text(jit, text)
    g = compile_text(jit, text)
    assert jit.cache_size == 1
    x = np.array([0.0, 1.0, -1.0])
    np.testing.assert_allclose(f(x), np.exp(x), rtol=1e-15)
    np.testing.assert_array_equal(f(x, threads=2), g(x))
    with pytest.raises(qjit.Error, match="cannot|unknown|not"):
        qjit.Jit(cpu="no-such-cpu")


def test_disk_cache_hits_in_a_new_jit(tmp_path):
    text = """graph @scaled(t0: Float32 [4]) {
  t1 = Multiply(t0, t0) : Float32 [4]
  return t1
}"""
    first = qjit.Jit(cache_dir=str(tmp_path))
    x = np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(compile_text(first, text)(x), x * x)
    stats = first.disk_cache_stats
    assert (stats["directory"], stats["misses"], stats["hits"]) == (
        str(tmp_path), 1, 0)
    second = qjit.Jit(cache_dir=str(tmp_path))
    np.testing.assert_array_equal(compile_text(second, text)(x), x * x)
    assert second.disk_cache_stats["hits"] == 1
    assert second.disk_cache_stats["rejected"] == 0
    assert len(list(tmp_path.glob("*.qjitobj"))) == 1
