"""How arrays reach compiled code: used in place or copied, never converted."""
import pytest

import qjit

np = pytest.importorskip("numpy", reason="the tests need NumPy (python3-numpy)")

TEXT = """graph @fq(t0: Float32 [4, 6], t1: Float32 [6]) {
  t2 = Add(t0, t1) : Float32 [4, 6]
  t3 = FakeQuantization(t2, symmetric=false, scale=0.25, zero_point=3) : Float32 [4, 6]
  return t3
}"""


@pytest.fixture(scope="module")
def fq(jit):
    return jit.compile(qjit.parse(TEXT)[0])


def reference(fq, x, b):
    return fq(np.ascontiguousarray(x, np.float32), np.ascontiguousarray(b, np.float32))


def data():
    rng = np.random.default_rng(3)
    return (rng.standard_normal((4, 6)).astype(np.float32) * 3,
            rng.standard_normal(6).astype(np.float32))


def test_non_contiguous_inputs_are_copied(fq):
    x, b = data()
    expected = reference(fq, x, b)
    big = np.zeros((8, 12), np.float32)
    big[::2, ::2] = x
    view = big[::2, ::2]
    assert not view.flags.c_contiguous
    assert fq(view, b).tobytes() == expected.tobytes()
    fortran = np.asfortranarray(x)
    assert fq(fortran, b).tobytes() == expected.tobytes()
    transposed = np.ascontiguousarray(x.T).T
    assert fq(transposed, b).tobytes() == expected.tobytes()
    np.testing.assert_array_equal(big[::2, ::2], x)  # inputs are not written


def test_misaligned_inputs_are_copied(fq):
    x, b = data()
    expected = reference(fq, x, b)
    raw = np.zeros(x.nbytes + 1, np.uint8)
    misaligned = raw[1:].view(np.float32).reshape(4, 6)
    misaligned[...] = x
    assert misaligned.ctypes.data % 4 != 0
    assert fq(misaligned, b).tobytes() == expected.tobytes()


def test_other_byte_order_is_copied(fq):
    x, b = data()
    expected = reference(fq, x, b)
    swapped = x.astype(">f4")
    assert fq(swapped, b.astype(">f4")).tobytes() == expected.tobytes()


def test_array_likes_are_not_converted(fq):
    x, b = data()
    # A list becomes a float64 array: the wrong dtype, an error.
    with pytest.raises(qjit.Error, match="input 1 of graph @fq must be Float32 \\[6\\], got Float64 \\[6\\]"):
        fq(x, b.tolist())
    assert fq(x, np.asarray(b.tolist(), np.float32)).tobytes() == \
        reference(fq, x, b).tobytes()


def test_outputs_are_fresh_aligned_arrays(fq):
    x, b = data()
    y = fq(x, b)
    assert y.flags.c_contiguous and y.flags.writeable and y.flags.owndata
    assert y.ctypes.data % 4 == 0
    assert fq(x, b) is not y


def test_usable_inputs_are_passed_by_address(fq):
    x, b = data()
    # run() sees x's own address as input and as output.
    with pytest.raises(qjit.Error, match="input 0 and output 0 of graph @fq overlap"):
        fq(x, b, out=x)
    # A strided view is copied first, so an output on its memory is fine.
    big = np.zeros((8, 6), np.float32)
    big[::2] = x
    expected = reference(fq, x, b)
    out = big[:4]
    assert fq(big[::2], b, out=out) is out
    assert out.tobytes() == expected.tobytes()


def test_large_outputs_do_not_alias(jit):
    # Outputs of 4 MiB and more get memory of their own, reused once their
    # array is freed (python/src/LargeBuffers.h); live ones are never shared.
    n = 1 << 21
    f = jit.compile(qjit.parse("""graph @neg(t0: Float32 [%d]) {
  t1 = Negate(t0) : Float32 [%d]
  return t1
}""" % (n, n))[0])
    xs = [np.full(n, float(i), np.float32) for i in range(4)]
    ys = [f(x) for x in xs]
    for i, y in enumerate(ys):
        assert (y == -float(i)).all()
        assert y.flags.writeable and y.flags.c_contiguous
    addresses = {y.ctypes.data for y in ys}
    assert len(addresses) == 4
    del ys[3]  # its memory may now serve the next output
    again = f(xs[0])
    assert (again == 0).all()
    for i, y in enumerate(ys):
        assert (y == -float(i)).all()
    view = again[10:20]
    del again
    later = f(xs[1])
    assert (view == 0).all() and (later == -1).all()  # a view keeps its memory
    del view, later, ys
    assert qjit.release_memory() >= 4 * n  # the freed outputs' mappings
    assert qjit.release_memory() == 0
