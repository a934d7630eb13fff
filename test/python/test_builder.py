"""qjit.Builder: a method per op of Ops.def, attributes as keywords."""
import pytest

import qjit
from conftest import run_iropt

np = pytest.importorskip("numpy", reason="the tests need NumPy (python3-numpy)")


def ops_of_iropt():
    status, out, _ = run_iropt("--print-ops=markdown")
    assert status == 0
    return [line.split("`")[1] for line in out.splitlines()
            if line.startswith("| `")]


def test_one_method_per_op():
    ops = ops_of_iropt()
    assert len(ops) > 40
    for op in ops:
        method = getattr(qjit.Builder, op)
        assert method.__doc__.startswith(op + "(*operands")


def test_docstrings_list_attributes_with_defaults():
    doc = qjit.Builder.FakeQuantization.__doc__
    assert "num_bits=8" in doc and "gradient=ste" in doc and ", scale," in doc
    assert "Operands: 1 to 3" in doc


def test_build_prints_like_text():
    b = qjit.Builder("relu_fq")
    x = b.input(np.float32, [2, 5])
    bias = b.input("Float32", (5,))
    y = b.FakeQuantization(b.ReLU(b.Add(x, bias)), num_bits=8, scale=0.05)
    assert y.shape == (2, 5) and y.dtype == np.float32
    assert repr(y) == "<qjit.Value t4: Float32 [2, 5]>"
    graph = b.build(y)
    expected = """graph @relu_fq(t0: Float32 [2, 5], t1: Float32 [5]) {
  t2 = Add(t0, t1) : Float32 [2, 5]
  t3 = ReLU(t2) : Float32 [2, 5]
  t4 = FakeQuantization(t3, num_bits=8, scale=0.05) : Float32 [2, 5]
  return t4
}
"""
    assert str(graph) == expected
    assert str(qjit.parse(expected)) == str(graph)


def test_attribute_kinds():
    b = qjit.Builder("g")
    x = b.input(np.float32, [3, 4])
    # int -> float (scale), lists, numpy numbers, enums, bools.
    y = b.FakeQuantization(x, scale=[1, np.float32(0.5), 0.25],
                           zero_point=np.array([0, 1, 2]), axis=np.int64(0),
                           symmetric=False, gradient="clipped")
    z = b.Transpose(y, perm=(1, 0))
    w = b.ReduceSum(z, axes=[0], keep_dims=True)
    text = str(b.build(w))
    assert ("FakeQuantization(t0, symmetric=false, scale=[1.0, 0.5, 0.25], "
            "zero_point=[0, 1, 2], axis=0, gradient=clipped)") in text
    assert "Transpose(t1, perm=[1, 0]) : Float32 [4, 3]" in text
    assert "ReduceSum(t2, axes=[0], keep_dims=true) : Float32 [1, 3]" in text


def test_several_results():
    b = qjit.Builder("lsq")
    dy = b.input(np.float32, [4])
    x = b.input(np.float32, [4])
    s = b.input(np.float32, [])
    z = b.input(np.float32, [])
    dx, ds, dz = b.GradFakeQuantization(dy, x, s, z, gradient="lsq",
                                        num_bits=4)
    assert dx.shape == (4,) and ds.shape == () and dz.shape == ()
    assert len(b.build(dx, ds, dz).output_types) == 3


def test_constants():
    b = qjit.Builder("c")
    x = b.input(np.int32, [2, 2])
    c = b.constant([[1, 2], [3, 4]], dtype=np.int32)
    f = qjit.Jit().compile(b.build(b.Add(x, c)))
    out = f(np.full((2, 2), 10, dtype=np.int32))
    np.testing.assert_array_equal(out, [[11, 12], [13, 14]])
    assert "data {" in str(b.build(b.Add(x, c)))


def test_generic_op_method():
    b = qjit.Builder("g")
    x = b.input(np.float64, [3])
    assert b.op("Exp", x).dtype == np.float64
    with pytest.raises(qjit.Error, match="unknown op 'Nope'"):
        b.op("Nope", x)


def test_errors():
    b = qjit.Builder("g")
    x = b.input(np.float32, [3])
    with pytest.raises(qjit.Error, match="error: 'FakeQuantization': unknown attribute 'sclae'"):
        b.FakeQuantization(x, sclae=0.5)
    with pytest.raises(qjit.Error, match="scale must be finite and > 0"):
        b.FakeQuantization(x, scale=-1.0)
    with pytest.raises(qjit.Error, match="'Add'"):
        b.Add(x)
    with pytest.raises(qjit.Error, match="not a qjit.Value"):
        b.ReLU(1.0)
    other = qjit.Builder("h").input(np.float32, [3])
    with pytest.raises(qjit.Error, match="t0 is a value of graph @h, not of @g"):
        b.ReLU(other)
    with pytest.raises(qjit.Error, match="no element type for dtype float16"):
        b.input(np.float16, [3])
    with pytest.raises(qjit.Error, match="is not a dtype"):
        b.input("nonsense", [3])
    with pytest.raises(qjit.Error):
        b.input(np.float32, [-1])
    # A failed op leaves the graph as it was.
    assert str(b.build(b.ReLU(x))).count("=") == 1
