"""qjit.parse, printing, modules and qjit.passes."""
import pathlib

import pytest

import qjit
from conftest import run_iropt, source_path

QAT_BLOCK = source_path("examples", "qat_block.qir")

ONE_OP = """graph @g(t0: Float32 [4]) {
  t1 = FakeQuantization(t0, num_bits=8, scale=0.05) : Float32 [4]
  return t1
}
"""


def test_text_round_trip():
    module = qjit.parse(ONE_OP)
    assert str(module) == ONE_OP
    assert str(qjit.parse(str(module))) == str(module)
    assert str(module["g"]) == ONE_OP


def test_file_as_str_and_pathlike():
    text = pathlib.Path(QAT_BLOCK).read_text()
    by_str = qjit.parse(QAT_BLOCK)
    by_path = qjit.parse(pathlib.Path(QAT_BLOCK))
    assert str(by_str) == str(by_path)
    # Comments are not kept; the ops are.
    assert str(by_str) == str(qjit.parse(text))
    _, printed, _ = run_iropt(QAT_BLOCK)
    assert str(by_str) == printed


def test_module_access():
    pytest.importorskip("numpy", reason="types are NumPy dtypes (python3-numpy)")
    module = qjit.parse(ONE_OP + "\n" + ONE_OP.replace("@g", "@h"))
    assert len(module) == 2
    assert repr(module) == "<qjit.Module @g, @h>"
    assert repr(module["h"]) == "<qjit.Graph @h>"
    assert module.names == ["g", "h"]
    assert [g.name for g in module] == ["g", "h"]
    assert module[1].name == module[-1].name == "h"
    assert "h" in module and "f" not in module
    with pytest.raises(KeyError):
        module["f"]
    with pytest.raises(IndexError):
        module[2]
    g = module["g"]
    assert g.module is not None
    assert [(str(d), s) for d, s in g.input_types] == [("float32", (4,))]
    assert [(str(d), s) for d, s in g.output_types] == [("float32", (4,))]


def test_parse_error_is_iropt_text(tmp_path):
    bad = source_path("test", "IR", "parse-error-format.qir")
    with pytest.raises(qjit.Error) as e:
        qjit.parse(bad)
    status, _, stderr = run_iropt(bad)
    assert status == 1
    assert str(e.value) == stderr.rstrip("\n")
    assert ":6:41: error: 'FakeQuantization' has no attribute 'sclae'" in str(e.value)
    assert str(e.value).endswith("^")
    assert isinstance(e.value, ValueError)


def test_verifier_errors_are_located():
    text = ONE_OP.replace("Float32 [4]\n  return", "Float32 [5]\n  return")
    with pytest.raises(qjit.Error) as e:
        qjit.parse(text, name="mine.qir")
    lines = str(e.value).splitlines()
    assert lines[0] == ("mine.qir:2:8: error: 'FakeQuantization' op result t1 is "
                        "annotated Float32 [5] but the op produces Float32 [4]")
    assert lines[1] == "  t1 = FakeQuantization(t0, num_bits=8, scale=0.05) : Float32 [5]"
    assert lines[2] == "       ^"


def test_errors_of_several_cases_match_iropt(tmp_path):
    # Every case of the verifier's error file, one per parse.
    path = source_path("test", "IR", "verifier-errors.qir")
    cases = pathlib.Path(path).read_text().split("// -----")
    checked = 0
    for i, case in enumerate(cases):
        if "graph @" not in case:
            continue
        file = tmp_path / ("case%d.qir" % i)
        file.write_text(case)
        status, _, stderr = run_iropt(str(file))
        if status == 0:
            assert str(qjit.parse(str(file))) != ""
            continue
        with pytest.raises(qjit.Error) as e:
            qjit.parse(str(file))
        assert str(e.value) == stderr.rstrip("\n")
        checked += 1
    assert checked >= 3


def test_missing_file():
    with pytest.raises(qjit.Error, match="cannot read 'no/such.qir'"):
        qjit.parse("no/such.qir")


def test_autodiff_graph_by_name():
    pytest.importorskip("numpy", reason="types are NumPy dtypes (python3-numpy)")
    module = qjit.parse(QAT_BLOCK)
    assert qjit.passes.run(module, "autodiff,cse,dce") is module
    assert module.names == ["qat_block", "qat_block_grad"]
    grad = module["qat_block_grad"]
    # f's inputs, then one gradient per output; one gradient per input.
    assert len(grad.input_types) == 4 + 2
    assert len(grad.output_types) == 4
    _, printed, _ = run_iropt(QAT_BLOCK, "-passes=autodiff,cse,dce")
    assert str(module) == printed


def test_passes_on_a_graph_run_on_its_module():
    module = qjit.parse(QAT_BLOCK)
    qjit.passes.run(module["qat_block"], "fuse-elementwise")
    assert "FusedElementwise" in str(module)
    _, printed, _ = run_iropt(QAT_BLOCK, "-passes=fuse-elementwise")
    assert str(module) == printed


def test_pass_errors():
    module = qjit.parse(QAT_BLOCK)
    with pytest.raises(qjit.Error, match="unknown pass 'nope'"):
        qjit.passes.run(module, "dce,nope")
    names = [name for name, _ in qjit.passes.names()]
    assert "autodiff" in names and "fuse-elementwise" in names


def test_autodiff_error_is_located():
    text = """graph @f(t0: Float32 [4]) {
  t1 = Quantize(t0, scale=0.1, dtype=Int8) : Int8 [4]
  t2 = Dequantize(t1, scale=0.1) : Float32 [4]
  return t2
}
"""
    module = qjit.parse(text, name="q.qir")
    with pytest.raises(qjit.Error) as e:
        qjit.passes.run(module, "autodiff")
    assert str(e.value).startswith("q.qir:2:")
    assert "has no gradient" in str(e.value)


def test_onnx_model():
    model = source_path("test", "Import", "onnx", "activations.onnx")
    module = qjit.parse(model)
    _, printed, _ = run_iropt(model)
    assert str(module) == printed


def test_onnx_error():
    model = source_path("test", "Import", "onnx", "bad_attribute.onnx")
    with pytest.raises(qjit.Error) as e:
        qjit.parse(model)
    status, _, stderr = run_iropt(model)
    assert status == 1
    # iropt names itself first: "iropt: error: <model>: ...".
    assert "iropt: " + str(e.value) == stderr.rstrip("\n")
